/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by hvsim's modules: the monotonic clock every
 * deadline is measured on, and file writing for the sysfs builder.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
static inline uint64_t hvsim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Poll timeout in ms from now to deadline (UINT64_MAX: -1, i.e. none),
 * capped at cap_ms. */
static inline int hvsim_poll_timeout(uint64_t now, uint64_t deadline, int cap_ms)
{
	if (deadline == UINT64_MAX)
		return cap_ms;
	if (deadline <= now)
		return 0;
	if (deadline - now > (uint64_t)cap_ms && cap_ms >= 0)
		return cap_ms;
	return (int)(deadline - now);
}
