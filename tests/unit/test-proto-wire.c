/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto/wire: LE accessors and the kernel-compatible converters
 * (utf16s_to_utf8s / utf8s_to_utf16s behaviour, PROTOCOL.md §5.2, §7.2). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "proto/wire.h"

/*
 * Criterion hands parameters to a re-executed test process, where pointers
 * taken in the parent are not valid: tests get an index into a static table.
 */
#define PARAM_INDICES(table)                                                 \
	do {                                                                 \
		static size_t idx_[ELEMENTSOF(table)];                       \
		for (size_t i_ = 0; i_ < ELEMENTSOF(table); i_++)            \
			idx_[i_] = i_;                                       \
		return cr_make_param_array(size_t, idx_, ELEMENTSOF(idx_));  \
	} while (0)


Test(wire, le_accessors_are_little_endian_and_unaligned)
{
	uint8_t b[16] = { 0 };

	hv_put_le16(b + 1, 0x1234);
	cr_assert_eq(b[1], 0x34);
	cr_assert_eq(b[2], 0x12);
	hv_put_le32(b + 3, 0x80004005u);
	cr_assert_eq(b[3], 0x05);
	cr_assert_eq(b[6], 0x80);
	hv_put_le64(b + 7, 0x0102030405060708ull);
	cr_assert_eq(b[7], 0x08);
	cr_assert_eq(b[14], 0x01);
	cr_assert_eq(hv_get_le16(b + 1), 0x1234);
	cr_assert_eq(hv_get_le32(b + 3), 0x80004005u);
	cr_assert_eq(hv_get_le64(b + 7), 0x0102030405060708ull);
}

struct k16_case {
	const char *what;
	uint16_t src[8];
	size_t units;
	size_t maxout;
	const char *want; /* bytes written (no terminator) */
};

static struct k16_case kernel_utf16_to_utf8_cases[] = {
	{ "ascii", { 'a', 'b', 'c' }, 3, 16, "abc" },
	{ "stops at NUL", { 'a', 0, 'c' }, 3, 16, "a" },
	{ "unit count limit", { 'a', 'b', 'c' }, 2, 16, "ab" },
	{ "byte limit", { 'a', 'b', 'c' }, 3, 2, "ab" },
	{ "bmp", { 0x20ac }, 1, 16, "\xe2\x82\xac" },
	{ "pair", { 0xd83d, 0xde00 }, 2, 16, "\xf0\x9f\x98\x80" },
	{ "lone low skipped", { 0xdc00, 'a' }, 2, 16, "a" },
	{ "lone high skipped, next kept", { 0xd800, 'b' }, 2, 16, "b" },
	{ "high at end stops", { 'a', 0xd800, 0xdc00 }, 2, 16, "a" },
	{ "char that does not fit dropped, later ones kept", { 'a', 'b', 0x20ac, 'c' }, 4, 4, "abc" },
	{ "two-byte char dropped with one byte left", { 'a', 0xe9, 'b' }, 3, 2, "ab" },
};

ParameterizedTestParameters(wire, kernel_utf16_to_utf8)
{
	PARAM_INDICES(kernel_utf16_to_utf8_cases);
}

ParameterizedTest(size_t *ci, wire, kernel_utf16_to_utf8)
{
	const struct k16_case *c = &kernel_utf16_to_utf8_cases[*ci];
	uint8_t src[16];
	char dst[32];
	size_t n, wl = strlen(c->want);

	for (size_t i = 0; i < 8; i++)
		hv_put_le16(src + 2 * i, c->src[i]);
	memset(dst, 'X', sizeof(dst));
	n = hv_wire_kernel_utf16_to_utf8(src, c->units, dst, c->maxout);
	cr_assert_eq(n, wl, "%s: got %zu bytes want %zu", c->what, n, wl);
	cr_assert_eq(memcmp(dst, c->want, wl), 0, "%s", c->what);
	cr_assert_eq(dst[n], 'X', "%s: no terminator is written", c->what);
}

struct k8_case {
	const char *what;
	const char *src;
	size_t maxout;
	int want_n;
	uint16_t want[8];
};

static struct k8_case kernel_utf8_to_utf16_cases[] = {
	{ "ascii", "abc", 8, 3, { 'a', 'b', 'c' } },
	{ "limit", "abc", 2, 2, { 'a', 'b' } },
	{ "bmp", "\xe2\x82\xac", 8, 1, { 0x20ac } },
	{ "pair", "\xf0\x9f\x98\x80", 8, 2, { 0xd83d, 0xde00 } },
	{ "pair that does not fit stops", "a\xf0\x9f\x98\x80"
					  "b",
	  2, 1, { 'a' } },
	{ "invalid utf-8", "a\xff", 8, -EILSEQ, { 'a' } },
	{ "overlong", "\xc0\xaf", 8, -EILSEQ, { 0 } },
	{ "truncated sequence", "a\xe2\x82", 8, -EILSEQ, { 'a' } },
	{ "empty", "", 8, 0, { 0 } },
};

ParameterizedTestParameters(wire, kernel_utf8_to_utf16)
{
	PARAM_INDICES(kernel_utf8_to_utf16_cases);
}

ParameterizedTest(size_t *ci, wire, kernel_utf8_to_utf16)
{
	const struct k8_case *c = &kernel_utf8_to_utf16_cases[*ci];
	uint8_t dst[32];
	int n;
	size_t written;

	memset(dst, 0xaa, sizeof(dst));
	n = hv_wire_kernel_utf8_to_utf16(c->src, strlen(c->src), dst, c->maxout);
	cr_assert_eq(n, c->want_n, "%s: got %d want %d", c->what, n, c->want_n);
	written = n >= 0 ? (size_t)n : 0;
	for (size_t i = 0; i < written; i++)
		cr_assert_eq(hv_get_le16(dst + 2 * i), c->want[i], "%s: unit %zu", c->what, i);
	if (n >= 0)
		cr_assert_eq(hv_get_le16(dst + 2 * written), 0xaaaa, "%s: no terminator is written", c->what);
	else if (c->want[0])
		cr_assert_eq(hv_get_le16(dst), c->want[0], "%s: units before the error stay", c->what);
}

Test(wire, kernel_utf8_to_utf16_bounded_by_src_len)
{
	uint8_t dst[16] = { 0 };

	cr_assert_eq(hv_wire_kernel_utf8_to_utf16("abcdef", 3, dst, 8), 3);
	cr_assert_eq(hv_get_le16(dst + 6), 0);
}
