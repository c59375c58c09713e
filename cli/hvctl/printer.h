/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one printer of hvctl: every verb describes its output once, as a
 * tree of arrays, objects and typed fields, and the printer renders that
 * tree either as text or as JSON (json-c).  Text and JSON come from the
 * same calls (after iproute2's PRINT_ANY), so they cannot drift apart.
 *
 * Each field has a JSON key and a text template.  The template is
 * printed literally except for these conversions, which all stand for
 * the field's value (the value is typed by the function, never by the
 * template, so there is nothing to get wrong the printf way):
 *
 *   %s     the value
 *   %>s    the value right-aligned to the widest value of the same key
 *          among the records of the enclosing array ("%>2s": at least 2)
 *   %<s    the same, left-aligned (table columns)
 *   %%     a literal '%'
 *
 * A NULL template makes a field JSON-only; hvctl_print_text() is text
 * only.  In JSON, fields become members of the enclosing object (or
 * elements of the enclosing array); values of unknown fields are null.
 * In text, unknown values print as "?" and control characters in values
 * as '?'.
 *
 * Output is buffered until hvctl_printer_flush(), which is when column
 * widths are known and the JSON document is complete.  Printing
 * functions do not fail: the first error (out of memory, misuse) is kept
 * and returned by the flush.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/macros.h"

enum hvctl_output {
	HVCTL_OUTPUT_TEXT,
	HVCTL_OUTPUT_JSON_SHORT,  /* one line */
	HVCTL_OUTPUT_JSON_PRETTY, /* indented */
	_HVCTL_OUTPUT_MAX,
	_HVCTL_OUTPUT_INVALID = -EINVAL,
};

/* "off", "short", "pretty" (the values of --json=). */
const char *hvctl_output_to_string(enum hvctl_output o);
enum hvctl_output hvctl_output_from_string(const char *s);

struct hvctl_printer;

/* NULL only on OOM.  f stays the caller's. */
struct hvctl_printer *hvctl_printer_new(FILE *f, enum hvctl_output mode);
struct hvctl_printer *hvctl_printer_free(struct hvctl_printer *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hvctl_printer *, hvctl_printer_free);

bool hvctl_printer_is_json(const struct hvctl_printer *p);

/*
 * Write out what was printed so far and start afresh.  JSON: one
 * document (all containers must be closed) followed by a newline.
 * Returns 0, the first error kept since the last flush, -ENOTRECOVERABLE
 * for unbalanced containers, or -errno from writing (ENOSPC, EIO, ...).
 */
int hvctl_printer_flush(struct hvctl_printer *p);

/* Containers.  key names the member in the enclosing object; it is
 * ignored inside arrays and at the top level. */
void hvctl_print_open_array(struct hvctl_printer *p, const char *key);
void hvctl_print_close_array(struct hvctl_printer *p);
void hvctl_print_open_object(struct hvctl_printer *p, const char *key);
void hvctl_print_close_object(struct hvctl_printer *p);

/* Typed fields; text may be NULL (JSON only). */
void hvctl_print_string(struct hvctl_printer *p, const char *key, const char *text, const char *value);
void hvctl_print_uint(struct hvctl_printer *p, const char *key, const char *text, uint64_t value);
void hvctl_print_int(struct hvctl_printer *p, const char *key, const char *text, int64_t value);
void hvctl_print_bool(struct hvctl_printer *p, const char *key, const char *text, bool value);
/* An unknown value: JSON null, text null_text (NULL means "?"). */
void hvctl_print_null(struct hvctl_printer *p, const char *key, const char *text, const char *null_text);
/* A count or index where negative means unknown (the platform layer's
 * convention): prints as uint, or as null when value < 0. */
void hvctl_print_uint_or_null(struct hvctl_printer *p, const char *key, const char *text,
			      int64_t value);

/*
 * A string from outside (a pool file, the host): len bytes that may hold
 * anything.  Text shows it escaped so it can neither talk to the terminal
 * nor pass for other output: \n, \t, \r, \xNN for the other C0 controls,
 * DEL and bytes that are not UTF-8, \uNNNN for C1 controls and the
 * bidirectional overrides (U+202A-U+202E, U+2066-U+2069).  JSON gets the
 * string with each byte that is not UTF-8 replaced by U+FFFD (json-c
 * escapes the controls).  value NULL: unknown, as hvctl_print_string().
 */
void hvctl_print_data(struct hvctl_printer *p, const char *key, const char *text, const char *value,
		      size_t len);
/* The text rendering of hvctl_print_data() (malloc'd), for messages. */
char *hvctl_escape_data(const char *value, size_t len);

/* Literal text, printed as is (no conversions); nothing in JSON. */
void hvctl_print_text(struct hvctl_printer *p, const char *literal);
