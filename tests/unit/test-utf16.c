/* SPDX-License-Identifier: GPL-2.0-or-later */
/* base/utf16: strict conversions both ways, table-driven. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "base/utf16.h"

/*
 * Criterion runs each parameterized case in a freshly executed worker, so
 * parameters hold arrays, not pointers into this binary's data.
 */
struct u16_case {
	char name[24];
	uint16_t units[8];
	size_t n;
	char utf8[8]; /* expected, when err == 0 */
	int err;
};

static const struct u16_case u16_cases[] = {
	{ "ascii", { 'a', 'b', 'c' }, 3, "abc", 0 },
	{ "stops-at-nul", { 'a', 0, 'b' }, 3, "a", 0 },
	{ "two-byte", { 0x00e9 }, 1, "\xc3\xa9", 0 },
	{ "three-byte", { 0x20ac }, 1, "\xe2\x82\xac", 0 },
	{ "surrogate-pair", { 0xd83d, 0xde00 }, 2, "\xf0\x9f\x98\x80", 0 },
	{ "max-pair", { 0xdbff, 0xdfff }, 2, "\xf4\x8f\xbf\xbf", 0 },
	{ "lone-high", { 0xd83d, 'a' }, 2, "", -EILSEQ },
	{ "lone-high-at-end", { 'a', 0xd83d }, 2, "", -EILSEQ },
	{ "lone-low", { 0xde00 }, 1, "", -EILSEQ },
	{ "reversed-pair", { 0xde00, 0xd83d }, 2, "", -EILSEQ },
	{ "empty", { 0 }, 0, "", 0 },
};

ParameterizedTestParameters(utf16, to_utf8)
{
	return cr_make_param_array(struct u16_case, u16_cases, sizeof(u16_cases) / sizeof(u16_cases[0]));
}

ParameterizedTest(const struct u16_case *c, utf16, to_utf8)
{
	uint8_t raw[16];
	char out[32];
	int r;

	for (size_t i = 0; i < 8; i++) {
		raw[2 * i] = (uint8_t)(c->units[i] & 0xff);
		raw[2 * i + 1] = (uint8_t)(c->units[i] >> 8);
	}
	r = hv_utf16le_to_utf8(raw, c->n, out, sizeof(out));
	if (c->err == 0) {
		cr_assert_eq(r, (int)strlen(c->utf8), "%s: r=%d", c->name, r);
		cr_assert_str_eq(out, c->utf8, "%s", c->name);
	} else {
		cr_assert_eq(r, c->err, "%s: r=%d", c->name, r);
	}
}

Test(utf16, to_utf8_small_buffer)
{
	const uint8_t raw[] = { 'a', 0, 'b', 0, 'c', 0 };
	char out[3];

	cr_assert_eq(hv_utf16le_to_utf8(raw, 3, out, sizeof(out)), -ENOBUFS);
	cr_assert_str_eq(out, "ab", "output stays terminated");
	cr_assert_eq(hv_utf16le_to_utf8(raw, 3, out, 0), -ENOBUFS);
}

Test(utf16, to_utf8_unaligned_source)
{
	uint8_t raw[8] = { 0xff, 'h', 0, 'i', 0, 0, 0 };
	char out[8];

	cr_assert_eq(hv_utf16le_to_utf8(raw + 1, 3, out, sizeof(out)), 2);
	cr_assert_str_eq(out, "hi");
}

struct u8_case {
	char name[24];
	char in[8];
	size_t len; /* 0 = strlen */
	int units;  /* expected units, or negative errno */
};

static const struct u8_case u8_cases[] = {
	{ "ascii", "hello", 0, 5 },
	{ "latin1", "caf\xc3\xa9", 0, 4 },
	{ "euro", "\xe2\x82\xac", 0, 1 },
	{ "astral", "\xf0\x9f\x98\x80", 0, 2 },
	{ "overlong-slash", "\xc0\xaf", 0, -EILSEQ },
	{ "overlong-3", "\xe0\x80\xaf", 0, -EILSEQ },
	{ "surrogate-encoded", "\xed\xa0\x80", 0, -EILSEQ },
	{ "past-unicode", "\xf4\x90\x80\x80", 0, -EILSEQ },
	{ "truncated", "\xe2\x82", 0, -EILSEQ },
	{ "bad-continuation", "\xe2\x28\xa1", 0, -EILSEQ },
	{ "stray-continuation", "\x80", 0, -EILSEQ },
	{ "ff-byte", "\xff", 0, -EILSEQ },
	{ "nul-ends", "ab\0\xff", 4, 2 },
};

ParameterizedTestParameters(utf16, from_utf8)
{
	return cr_make_param_array(struct u8_case, u8_cases, sizeof(u8_cases) / sizeof(u8_cases[0]));
}

ParameterizedTest(const struct u8_case *c, utf16, from_utf8)
{
	size_t len = c->len ? c->len : strlen(c->in);
	uint8_t out[64];
	char back[64];
	int r;

	r = hv_utf8_to_utf16le(c->in, len, out, sizeof(out) / 2);
	cr_assert_eq(r, c->units, "%s: r=%d", c->name, r);
	cr_assert_eq(hv_utf8_utf16_units(c->in, len), c->units, "%s", c->name);
	cr_assert_eq(hv_utf8_is_valid(c->in, len), c->units >= 0, "%s", c->name);
	if (r < 0)
		return;
	/* Terminated, and the round trip gives the input back. */
	cr_assert_eq(out[2 * r], 0);
	cr_assert_eq(out[2 * r + 1], 0);
	cr_assert_geq(hv_utf16le_to_utf8(out, (size_t)r + 1, back, sizeof(back)), 0);
	cr_assert_eq(strncmp(back, c->in, len), 0, "%s: round trip", c->name);
}

Test(utf16, from_utf8_small_buffer)
{
	uint8_t out[8];

	/* 3 units plus terminator need 4. */
	cr_assert_eq(hv_utf8_to_utf16le("abc", 3, out, 3), -ENOBUFS);
	cr_assert_eq(hv_utf8_to_utf16le("abc", 3, out, 4), 3);
	/* A surrogate pair never gets split by a full buffer. */
	cr_assert_eq(hv_utf8_to_utf16le("\xf0\x9f\x98\x80", 4, out, 2), -ENOBUFS);
	cr_assert_eq(hv_utf8_to_utf16le("", 0, out, 0), -ENOBUFS);
}

Test(utf16, decode_reports_length)
{
	uint32_t cp;

	cr_assert_eq(hv_utf8_decode("\xe2\x82\xac", 3, &cp), 3);
	cr_assert_eq(cp, 0x20ac);
	cr_assert_eq(hv_utf8_decode("\xe2\x82\xac", 2, &cp), -EILSEQ);
	cr_assert_eq(hv_utf8_decode("", 0, &cp), -EILSEQ);
}
