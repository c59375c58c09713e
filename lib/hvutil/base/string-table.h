/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * enum <-> string through one static table:
 *
 *   static const char *const color_table[_COLOR_MAX] = { [COLOR_RED] = "red", ... };
 *   HV_DEFINE_STRING_TABLE_LOOKUP(color, enum color);
 *
 * gives color_to_string() (NULL when out of range) and color_from_string()
 * (-EINVAL when unknown).
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "macros.h"

ssize_t hv_string_table_lookup(const char *const *table, size_t len, const char *key);

#define HV_DEFINE_STRING_TABLE_LOOKUP(name, type)                                      \
	const char *name##_to_string(type i)                                           \
	{                                                                              \
		if ((size_t)i >= ELEMENTSOF(name##_table))                              \
			return NULL;                                                   \
		return name##_table[i];                                                \
	}                                                                              \
	type name##_from_string(const char *s)                                         \
	{                                                                              \
		return (type)hv_string_table_lookup(name##_table, ELEMENTSOF(name##_table), s); \
	}
