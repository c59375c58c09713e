/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict UTF-16LE <-> UTF-8.  The host speaks UTF-16LE; files and the
 * kernel's daemon ABI speak UTF-8.  Invalid input (unpaired surrogates,
 * overlong or truncated UTF-8, code points above U+10FFFF) is an error,
 * never replaced by a placeholder character and never a crash.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Convert at most src_units UTF-16LE code units from src (byte buffer, no
 * alignment needed), stopping early at a NUL unit.  Writes NUL-terminated
 * UTF-8 to dst (dst_size bytes including the terminator).
 * Returns the UTF-8 length without terminator, -EILSEQ on invalid UTF-16,
 * -ENOBUFS if dst is too small.  dst is always NUL-terminated when
 * dst_size > 0, even on error.
 */
int hv_utf16le_to_utf8(const void *src, size_t src_units, char *dst, size_t dst_size);

/*
 * Convert src_len bytes of UTF-8 (stopping early at NUL) to UTF-16LE in dst,
 * which holds dst_units code units, and append a NUL unit.
 * Returns the number of units written without the terminator, -EILSEQ on
 * invalid UTF-8, -ENOBUFS if dst is too small.
 */
int hv_utf8_to_utf16le(const char *src, size_t src_len, void *dst, size_t dst_units);

/* Decode one UTF-8 sequence; returns its length (1-4) and stores the code
 * point, or -EILSEQ.  len is the number of bytes available. */
int hv_utf8_decode(const char *s, size_t len, uint32_t *ret_cp);
bool hv_utf8_is_valid(const char *s, size_t len);
/* Number of UTF-16 code units a valid UTF-8 string needs (no terminator), or -EILSEQ. */
int hv_utf8_utf16_units(const char *s, size_t len);
