/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict UTF-16LE <-> UTF-8 (RFC 3629, RFC 2781).  The reference daemons
 * replace what they cannot convert with 'X' or read past buffers
 * (PROTOCOL.md §7.3, §11.19); here invalid input is an error.
 */
#include <errno.h>
#include <string.h>

#include "utf16.h"

static uint16_t load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void store_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int hv_utf16le_to_utf8(const void *src, size_t src_units, char *dst, size_t dst_size)
{
	const uint8_t *s = src;
	size_t out = 0;

	if (dst_size == 0)
		return -ENOBUFS;
	dst[0] = '\0';

	for (size_t i = 0; i < src_units; i++) {
		uint32_t cp = load_le16(s + 2 * i);
		char enc[4];
		size_t n;

		if (cp == 0)
			break;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t lo;

			if (i + 1 >= src_units)
				return -EILSEQ;
			lo = load_le16(s + 2 * (i + 1));
			if (lo < 0xdc00 || lo > 0xdfff)
				return -EILSEQ;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			return -EILSEQ;
		}
		n = utf8_encode(cp, enc);
		if (out + n + 1 > dst_size)
			return -ENOBUFS;
		memcpy(dst + out, enc, n);
		out += n;
		dst[out] = '\0';
	}
	return (int)out;
}

int hv_utf8_decode(const char *str, size_t len, uint32_t *ret_cp)
{
	const uint8_t *s = (const uint8_t *)str;
	uint32_t cp, min;
	size_t n;

	if (len == 0)
		return -EILSEQ;
	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return -EILSEQ;
	}
	if (len < n)
		return -EILSEQ;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -EILSEQ;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode are invalid. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -EILSEQ;
	*ret_cp = cp;
	return (int)n;
}

static size_t bounded_strlen(const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);

	return nul ? (size_t)(nul - s) : len;
}

int hv_utf8_utf16_units(const char *s, size_t len)
{
	size_t units = 0;

	len = bounded_strlen(s, len);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int n = hv_utf8_decode(s + i, len - i, &cp);

		if (n < 0)
			return n;
		units += cp >= 0x10000 ? 2 : 1;
		if (units > 0x7fffffff)
			return -E2BIG;
		i += (size_t)n;
	}
	return (int)units;
}

bool hv_utf8_is_valid(const char *s, size_t len)
{
	return hv_utf8_utf16_units(s, len) >= 0;
}

int hv_utf8_to_utf16le(const char *src, size_t src_len, void *dst, size_t dst_units)
{
	uint8_t *d = dst;
	size_t out = 0;

	if (dst_units == 0)
		return -ENOBUFS;
	store_le16(d, 0);
	src_len = bounded_strlen(src, src_len);

	for (size_t i = 0; i < src_len;) {
		uint32_t cp;
		int n = hv_utf8_decode(src + i, src_len - i, &cp);

		if (n < 0)
			return n;
		if (cp >= 0x10000) {
			if (out + 3 > dst_units)
				return -ENOBUFS;
			cp -= 0x10000;
			store_le16(d + 2 * out++, (uint16_t)(0xd800 + (cp >> 10)));
			store_le16(d + 2 * out++, (uint16_t)(0xdc00 + (cp & 0x3ff)));
		} else {
			if (out + 2 > dst_units)
				return -ENOBUFS;
			store_le16(d + 2 * out++, (uint16_t)cp);
		}
		store_le16(d + 2 * out, 0);
		i += (size_t)n;
	}
	return (int)out;
}
