/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * strerror() for negative error codes; thread-safe through strerror_r into
 * a per-thread buffer.
 */
#include <stdio.h>
#include <string.h>

#include "errno-util.h"

const char *hv_strerror(int r)
{
	static __thread char buf[128];
	int e = r < 0 ? -r : r;

	/* GNU strerror_r may return a static string instead of filling buf. */
	const char *s = strerror_r(e, buf, sizeof(buf));
	return s ? s : "Unknown error";
}
