/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shape of a GUID's text form, for the layers that meet GUIDs only as
 * text (sysfs attributes, directory names) and may not include the codec in
 * proto/guid.h: transport/uio.c and platform/sysfs.c.  Only the shape is
 * checked; proto/guid.h converts to and from the 16 raw bytes.
 */
#pragma once

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL (= HV_GUID_STRING_MAX). */
#define HV_GUID_TEXT_MAX 37

/*
 * "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", braces optional, hex digits
 * in either case, to lower case without braces in ret.  -EINVAL for
 * anything else (ret untouched).
 */
int hv_guid_text_normalize(const char *s, char ret[static HV_GUID_TEXT_MAX]);
