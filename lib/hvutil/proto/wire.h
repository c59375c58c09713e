/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Little-endian field accessors for wire and ABI buffers, and the two
 * string converters that reproduce the kernel's lib/nls behaviour.
 *
 * Every codec in proto/ reads and writes fields by offset through these
 * helpers (memcpy + leXXtoh), never through a packed struct pointer, so no
 * alignment or aliasing assumption is made about host-supplied buffers
 * (STYLE.md rule 48).
 */
#pragma once

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t hv_get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t hv_get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t hv_get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void hv_put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void hv_put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void hv_put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * UTF-16LE -> UTF-8 the way the kernel's utf16s_to_utf8s() does it when it
 * converts host strings for a daemon (hv_kvp.c, hv_fcopy.c): reads at most
 * src_units units, stops at a NUL unit, silently SKIPS unpaired surrogates,
 * and skips any character whose UTF-8 form does not fit in the bytes still
 * left of maxout (later, shorter characters may still be written).  Writes
 * no terminator.  Returns the number of bytes written (0..maxout).
 */
size_t hv_wire_kernel_utf16_to_utf8(const uint8_t *src, size_t src_units, char *dst, size_t maxout);

/*
 * UTF-8 -> UTF-16LE the way the kernel's utf8s_to_utf16s() does it when it
 * converts daemon replies for the host: reads at most src_len bytes, stops
 * at NUL, stops (does not skip) at the first character that does not fit
 * in the units left of maxout units.  Writes no terminator.  Returns the
 * number of units written, or -EILSEQ on invalid UTF-8 (units converted
 * before the bad byte stay written, as in the kernel).
 */
int hv_wire_kernel_utf8_to_utf16(const char *src, size_t src_len, uint8_t *dst, size_t maxout);
