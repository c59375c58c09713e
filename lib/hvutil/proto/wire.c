/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel-compatible string conversions (PROTOCOL.md §5.2, §7.2, §11.26).
 *
 * The kernel converts host strings with utf16s_to_utf8s() and daemon
 * replies with utf8s_to_utf16s() from lib/nls.  Their edge behaviour
 * (skip bad surrogates, drop what does not fit, no terminator) is part of
 * what a daemon or host can observe, so hvsim reproduces it.  Each code
 * point is still converted by the strict base converters; only the
 * decisions around them (skip, stop, drop) live here.
 */
#include <errno.h>
#include <string.h>

#include "base/utf16.h"
#include "proto/wire.h"

static bool is_high_surrogate(uint16_t u)
{
	return u >= 0xd800 && u <= 0xdbff;
}

static bool is_low_surrogate(uint16_t u)
{
	return u >= 0xdc00 && u <= 0xdfff;
}

size_t hv_wire_kernel_utf16_to_utf8(const uint8_t *src, size_t src_units, char *dst, size_t maxout)
{
	size_t out = 0, i = 0;

	while (i < src_units && out < maxout) {
		uint16_t u = hv_get_le16(src + 2 * i);
		size_t start = i, n_units = 1;
		char enc[8];
		int n;

		if (u == 0)
			break;
		i++;
		if (u < 0x80) {
			dst[out++] = (char)u;
			continue;
		}
		if (is_low_surrogate(u))
			continue; /* a lone low surrogate is skipped */
		if (is_high_surrogate(u)) {
			if (i >= src_units)
				break; /* source ends inside a pair: stop */
			if (!is_low_surrogate(hv_get_le16(src + 2 * i)))
				continue; /* lone high surrogate skipped, next unit kept */
			i++;
			n_units = 2;
		}
		n = hv_utf16le_to_utf8(src + 2 * start, n_units, enc, sizeof(enc));
		if (n <= 0)
			continue;
		if ((size_t)n > maxout - out)
			continue; /* does not fit: dropped, a shorter one may follow */
		memcpy(dst + out, enc, (size_t)n);
		out += (size_t)n;
	}
	return out;
}

int hv_wire_kernel_utf8_to_utf16(const char *src, size_t src_len, uint8_t *dst, size_t maxout)
{
	size_t out = 0, i = 0;
	const char *nul = memchr(src, '\0', src_len);

	if (nul)
		src_len = (size_t)(nul - src);

	while (i < src_len && out < maxout) {
		uint8_t tmp[3 * 2];
		uint32_t cp;
		int n, units;

		n = hv_utf8_decode(src + i, src_len - i, &cp);
		if (n < 0)
			return -EILSEQ;
		units = hv_utf8_to_utf16le(src + i, (size_t)n, tmp, 3);
		if (units < 0)
			return -EILSEQ;
		if ((size_t)units > maxout - out)
			break; /* a pair that does not fit ends the string */
		memcpy(dst + 2 * out, tmp, 2 * (size_t)units);
		out += (size_t)units;
		i += (size_t)n;
	}
	return (int)out;
}
