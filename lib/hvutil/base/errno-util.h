/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Functions return >= 0 on success and -errno on failure.  These helpers
 * keep that convention honest at the libc boundary.
 */
#pragma once

#include <errno.h>

/* errno as a negative value, never 0 (a libc call that failed without
 * setting errno still yields an error). */
static inline int hv_negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Wrap a libc call returning -1 and setting errno. */
#define HV_RET_NERRNO(expr)                        \
	({                                         \
		long _r = (long)(expr);            \
		_r < 0 ? hv_negative_errno() : (int)_r; \
	})

/* True for errors that mean "try again later", not failure. */
static inline int hv_errno_is_transient(int r)
{
	return r == -EAGAIN || r == -EINTR;
}

const char *hv_strerror(int r);
