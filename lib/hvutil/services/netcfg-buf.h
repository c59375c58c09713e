/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growing text buffer for the netcfg writers (internal to netcfg*.c).
 * Appends never fail on their own: an allocation failure is remembered
 * and reported once, by hv_netcfg_buf_finish().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/macros.h"

struct hv_netcfg_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

void hv_netcfg_buf_printf(struct hv_netcfg_buf *b, const char *fmt, ...) _printf_(2, 3);
/* 0 and *ret = the text (ownership moves), or -ENOMEM. */
int hv_netcfg_buf_finish(struct hv_netcfg_buf *b, char **ret);
