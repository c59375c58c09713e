/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl's printer: the same calls give aligned text and valid JSON;
 * templates, alignment scopes, unknown values, hostile values, misuse
 * and write errors.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hvctl/printer.h"

/* Runs emit() against a printer in the given mode; returns the output. */
static char *render(enum hvctl_output mode, void (*emit)(struct hvctl_printer *), int *ret_flush)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hvctl_printer *p;

	cr_assert_not_null(f);
	p = hvctl_printer_new(f, mode);
	cr_assert_not_null(p);
	emit(p);
	*ret_flush = hvctl_printer_flush(p);
	hvctl_printer_free(p);
	fclose(f);
	return buf;
}

static char *render_ok(enum hvctl_output mode, void (*emit)(struct hvctl_printer *))
{
	int r;
	char *s = render(mode, emit, &r);

	cr_assert_eq(r, 0, "flush: %s", strerror(-r));
	return s;
}

/* A small device list, the way hvctl devices prints it. */
static void emit_devices(struct hvctl_printer *p)
{
	static const struct {
		int id;
		const char *name;
		int n;
	} devs[] = { { 4, "kvp", 1 }, { 12, "nic", 3 }, { 132, "scsi", 0 } };

	hvctl_print_open_array(p, NULL);
	for (size_t i = 0; i < 3; i++) {
		hvctl_print_open_object(p, NULL);
		hvctl_print_uint(p, "id", "ID %>2s: ", (uint64_t)devs[i].id);
		hvctl_print_string(p, "name", "%s\n", devs[i].name);
		hvctl_print_bool(p, "bound", NULL, i != 1);
		hvctl_print_open_array(p, "channels");
		for (int c = 0; c < devs[i].n; c++) {
			hvctl_print_open_object(p, NULL);
			hvctl_print_uint(p, "relid", "\tchannel %>s", (uint64_t)(c ? 100 + c : devs[i].id));
			hvctl_print_uint(p, "cpu", " on cpu %s\n", (uint64_t)c);
			hvctl_print_close_object(p);
		}
		hvctl_print_close_array(p);
		hvctl_print_close_object(p);
	}
	hvctl_print_close_array(p);
}

Test(printer, text_aligns_per_array)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_devices);

	cr_assert_str_eq(s, "ID   4: kvp\n"
			    "\tchannel 4 on cpu 0\n"
			    "ID  12: nic\n"
			    "\tchannel  12 on cpu 0\n"
			    "\tchannel 101 on cpu 1\n"
			    "\tchannel 102 on cpu 2\n"
			    "ID 132: scsi\n");
}

Test(printer, json_from_the_same_calls)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_devices);

	cr_assert_str_eq(s, "[{\"id\":4,\"name\":\"kvp\",\"bound\":true,\"channels\":[{\"relid\":4,\"cpu\":0}]},"
			    "{\"id\":12,\"name\":\"nic\",\"bound\":false,\"channels\":[{\"relid\":12,\"cpu\":0},"
			    "{\"relid\":101,\"cpu\":1},{\"relid\":102,\"cpu\":2}]},"
			    "{\"id\":132,\"name\":\"scsi\",\"bound\":true,\"channels\":[]}]\n");
}

Test(printer, json_pretty_parses_to_the_same_document)
{
	_cleanup_free_ char *pretty = render_ok(HVCTL_OUTPUT_JSON_PRETTY, emit_devices);
	_cleanup_free_ char *shrt = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_devices);
	json_object *a = json_tokener_parse(pretty), *b = json_tokener_parse(shrt);

	cr_assert_not_null(a, "pretty output is JSON");
	cr_assert_not_null(b, "short output is JSON");
	cr_assert(strchr(pretty, '\n') < pretty + strlen(pretty) - 1, "pretty has several lines");
	cr_assert_not_null(strstr(pretty, "\"id\": 4"), "a space after the colon: %s", pretty);
	cr_assert(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
}

static void emit_left_columns(struct hvctl_printer *p)
{
	static const char *const keys[] = { "a", "longer-key", "mid" };

	hvctl_print_text(p, "KEY        VALUE\n");
	hvctl_print_open_array(p, NULL);
	for (size_t i = 0; i < 3; i++) {
		hvctl_print_open_object(p, NULL);
		hvctl_print_string(p, "key", "%<10s ", keys[i]);
		hvctl_print_uint(p, "value", "%s%%\n", i * 10);
		hvctl_print_close_object(p);
	}
	hvctl_print_close_array(p);
}

Test(printer, left_alignment_min_width_and_percent)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_left_columns);
	_cleanup_free_ char *j = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_left_columns);

	cr_assert_str_eq(s, "KEY        VALUE\n"
			    "a          0%\n"
			    "longer-key 10%\n"
			    "mid        20%\n");
	cr_assert_str_eq(j, "[{\"key\":\"a\",\"value\":0},{\"key\":\"longer-key\",\"value\":10},"
			    "{\"key\":\"mid\",\"value\":20}]\n",
			 "text-only calls leave no trace in JSON");
}

static void emit_unknowns(struct hvctl_printer *p)
{
	hvctl_print_open_object(p, NULL);
	hvctl_print_string(p, "s", "s=%s ", NULL);
	hvctl_print_null(p, "n", "n=%s ", "unknown");
	hvctl_print_null(p, "q", "q=%s ", NULL);
	hvctl_print_uint_or_null(p, "u", "u=%s ", -1);
	hvctl_print_uint_or_null(p, "v", "v=%s ", 7);
	hvctl_print_int(p, "i", "i=%s ", -5);
	hvctl_print_uint(p, "max", "max=%s\n", UINT64_MAX);
	hvctl_print_close_object(p);
}

Test(printer, unknown_values)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_unknowns);
	_cleanup_free_ char *j = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_unknowns);

	cr_assert_str_eq(s, "s=? n=unknown q=? u=? v=7 i=-5 max=18446744073709551615\n");
	cr_assert_str_eq(j, "{\"s\":null,\"n\":null,\"q\":null,\"u\":null,\"v\":7,\"i\":-5,"
			    "\"max\":18446744073709551615}\n");
}

static void emit_hostile(struct hvctl_printer *p)
{
	hvctl_print_string(p, "path", "path=%s\n", "/sys/bus/\x1b[31mred\x7f\ttab\nnl");
}

Test(printer, hostile_values_are_defused)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_hostile);
	_cleanup_free_ char *j = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_hostile);

	cr_assert_str_eq(s, "path=/sys/bus/?[31mred??tab?nl\n");
	cr_assert_str_eq(j, "{\"path\":\"/sys/bus/\\u001b[31mred\x7f\\ttab\\nnl\"}\n",
			 "slashes unescaped, control characters escaped: %s", j);
}

static void emit_fields_at_top(struct hvctl_printer *p)
{
	hvctl_print_uint(p, "a", "a=%s\n", 1);
	hvctl_print_string(p, "b", NULL, "json only");
}

Test(printer, fields_without_container_make_an_object)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_fields_at_top);
	_cleanup_free_ char *j = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_fields_at_top);

	cr_assert_str_eq(s, "a=1\n");
	cr_assert_str_eq(j, "{\"a\":1,\"b\":\"json only\"}\n");
}

static void emit_nothing(struct hvctl_printer *p)
{
}

Test(printer, nothing_printed_is_no_output)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_nothing);
	_cleanup_free_ char *j = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_nothing);

	cr_assert_str_eq(s, "");
	cr_assert_str_eq(j, "");
}

static void emit_empty_array(struct hvctl_printer *p)
{
	hvctl_print_open_array(p, NULL);
	hvctl_print_close_array(p);
}

Test(printer, empty_list)
{
	_cleanup_free_ char *s = render_ok(HVCTL_OUTPUT_TEXT, emit_empty_array);
	_cleanup_free_ char *j = render_ok(HVCTL_OUTPUT_JSON_SHORT, emit_empty_array);

	cr_assert_str_eq(s, "");
	cr_assert_str_eq(j, "[]\n");
}

/* ---- misuse: reported by flush, nothing half-written ---- */

static void emit_unclosed(struct hvctl_printer *p)
{
	hvctl_print_open_array(p, NULL);
	hvctl_print_uint(p, "a", "%s\n", 1);
}

static void emit_overclosed(struct hvctl_printer *p)
{
	hvctl_print_open_array(p, NULL);
	hvctl_print_close_object(p);
}

static void emit_bad_template(struct hvctl_printer *p)
{
	hvctl_print_uint(p, "a", "a=%d\n", 1);
}

static void emit_keyless_member(struct hvctl_printer *p)
{
	hvctl_print_open_object(p, NULL);
	hvctl_print_uint(p, NULL, "%s\n", 1);
	hvctl_print_close_object(p);
}

static void emit_field_after_root_array(struct hvctl_printer *p)
{
	hvctl_print_open_array(p, NULL);
	hvctl_print_close_array(p);
	hvctl_print_uint(p, "late", "%s\n", 1);
}

Test(printer, misuse_is_reported)
{
	struct {
		void (*emit)(struct hvctl_printer *);
		enum hvctl_output mode;
	} cases[] = {
		{ emit_unclosed, HVCTL_OUTPUT_TEXT },
		{ emit_unclosed, HVCTL_OUTPUT_JSON_SHORT },
		{ emit_overclosed, HVCTL_OUTPUT_TEXT },
		{ emit_overclosed, HVCTL_OUTPUT_JSON_SHORT },
		{ emit_bad_template, HVCTL_OUTPUT_TEXT },
		{ emit_keyless_member, HVCTL_OUTPUT_JSON_SHORT },
		{ emit_field_after_root_array, HVCTL_OUTPUT_JSON_SHORT },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int r;
		_cleanup_free_ char *s = render(cases[i].mode, cases[i].emit, &r);

		cr_assert_eq(r, -ENOTRECOVERABLE, "case %zu: %d", i, r);
		cr_assert_str_eq(s, "", "case %zu: nothing written", i);
	}
}

Test(printer, write_error_is_reported)
{
	FILE *f = fopen("/dev/full", "we");
	struct hvctl_printer *p;

	cr_assert_not_null(f);
	p = hvctl_printer_new(f, HVCTL_OUTPUT_TEXT);
	emit_devices(p);
	cr_assert_eq(hvctl_printer_flush(p), -ENOSPC);
	hvctl_printer_free(p);
	fclose(f);
}

Test(printer, flush_starts_afresh)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hvctl_printer *p = hvctl_printer_new(f, HVCTL_OUTPUT_JSON_SHORT);

	emit_unclosed(p);
	cr_assert_eq(hvctl_printer_flush(p), -ENOTRECOVERABLE);
	emit_fields_at_top(p);
	cr_assert_eq(hvctl_printer_flush(p), 0, "the error does not stick");
	emit_empty_array(p);
	cr_assert_eq(hvctl_printer_flush(p), 0);
	hvctl_printer_free(p);
	fclose(f);
	cr_assert_str_eq(buf, "{\"a\":1,\"b\":\"json only\"}\n[]\n");
	free(buf);
}

Test(printer, output_modes)
{
	cr_assert_eq(hvctl_output_from_string("short"), HVCTL_OUTPUT_JSON_SHORT);
	cr_assert_eq(hvctl_output_from_string("pretty"), HVCTL_OUTPUT_JSON_PRETTY);
	cr_assert_eq(hvctl_output_from_string("off"), HVCTL_OUTPUT_TEXT);
	cr_assert_eq(hvctl_output_from_string("Pretty"), _HVCTL_OUTPUT_INVALID);
	cr_assert_eq(hvctl_output_from_string(""), _HVCTL_OUTPUT_INVALID);
	cr_assert_str_eq(hvctl_output_to_string(HVCTL_OUTPUT_JSON_PRETTY), "pretty");
	cr_assert_null(hvctl_printer_new(stdout, _HVCTL_OUTPUT_MAX));
	cr_assert_null(hvctl_printer_free(NULL));
}
