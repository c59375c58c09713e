/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GUID text <-> raw bytes (PROTOCOL.md §2.3, §9).  The raw form is what
 * VMBus and guid_t store: data1 (u32), data2 (u16), data3 (u16) little-
 * endian, then data4[8] as written.  The text is the usual big-endian
 * reading of those fields.
 */
#include <errno.h>
#include <string.h>

#include "proto/guid.h"

/* Raw byte index for each pair of hex digits in text order. */
static const uint8_t text_to_raw[HV_GUID_SIZE] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
/* Position of each pair in the 36-character text. */
static const uint8_t text_pos[HV_GUID_SIZE] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

static int hex_byte(const char *s)
{
	int hi = hex_val(s[0]), lo;

	if (hi < 0)
		return hi;
	lo = hex_val(s[1]);
	if (lo < 0)
		return lo;
	return (hi << 4) | lo;
}

int hv_guid_from_string(const char *s, struct hv_guid *ret)
{
	struct hv_guid g;
	size_t len;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == HV_GUID_STRING_LEN + 2) {
		if (s[0] != '{' || s[len - 1] != '}')
			return -EINVAL;
		s++;
		len -= 2;
	}
	if (len != HV_GUID_STRING_LEN)
		return -EINVAL;
	if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -EINVAL;
	for (size_t i = 0; i < HV_GUID_SIZE; i++) {
		int b = hex_byte(s + text_pos[i]);

		if (b < 0)
			return -EINVAL;
		g.b[text_to_raw[i]] = (uint8_t)b;
	}
	*ret = g;
	return 0;
}

static const char hex_digits[] = "0123456789abcdef";

char *hv_guid_to_string(const struct hv_guid *g, char buf[static HV_GUID_STRING_MAX])
{
	memset(buf, '-', HV_GUID_STRING_LEN);
	for (size_t i = 0; i < HV_GUID_SIZE; i++) {
		uint8_t b = g->b[text_to_raw[i]];

		buf[text_pos[i]] = hex_digits[b >> 4];
		buf[text_pos[i] + 1] = hex_digits[b & 0xf];
	}
	buf[HV_GUID_STRING_LEN] = '\0';
	return buf;
}

char *hv_guid_to_modalias(const struct hv_guid *g, char buf[static HV_GUID_MODALIAS_MAX])
{
	char *p = buf + strlen(HV_GUID_MODALIAS_PREFIX);

	memcpy(buf, HV_GUID_MODALIAS_PREFIX, strlen(HV_GUID_MODALIAS_PREFIX));
	for (size_t i = 0; i < HV_GUID_SIZE; i++) {
		*p++ = hex_digits[g->b[i] >> 4];
		*p++ = hex_digits[g->b[i] & 0xf];
	}
	*p = '\0';
	return buf;
}

int hv_guid_from_modalias(const char *s, struct hv_guid *ret)
{
	struct hv_guid g;
	size_t plen = strlen(HV_GUID_MODALIAS_PREFIX);

	if (!s)
		return -EINVAL;
	if (strncmp(s, HV_GUID_MODALIAS_PREFIX, plen) == 0)
		s += plen;
	if (strlen(s) != 2 * HV_GUID_SIZE)
		return -EINVAL;
	for (size_t i = 0; i < HV_GUID_SIZE; i++) {
		int b = hex_byte(s + 2 * i);

		if (b < 0)
			return -EINVAL;
		g.b[i] = (uint8_t)b;
	}
	*ret = g;
	return 0;
}

bool hv_guid_equal(const struct hv_guid *a, const struct hv_guid *b)
{
	return memcmp(a->b, b->b, HV_GUID_SIZE) == 0;
}

bool hv_guid_is_null(const struct hv_guid *g)
{
	static const struct hv_guid null_guid;

	return hv_guid_equal(g, &null_guid);
}
