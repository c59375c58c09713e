/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text and JSON from one description of the output (see printer.h).
 *
 * JSON mode builds a json-c tree and serializes it on flush.  Text mode
 * records a list of segments: literal template text, and rendered
 * values that may belong to an alignment column.  A column is one key
 * within one array instance (so every device's channel list aligns on
 * its own); its width is only known once every record has been printed,
 * which is why text is rendered on flush and not as calls come in.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"
#include "base/string-table.h"
#include "base/utf16.h"
#include "printer.h"

/* Deeper nesting than this is a bug in a verb. */
#define PRINTER_MAX_DEPTH 16

static const char *const hvctl_output_table[_HVCTL_OUTPUT_MAX] = {
	[HVCTL_OUTPUT_TEXT] = "off",
	[HVCTL_OUTPUT_JSON_SHORT] = "short",
	[HVCTL_OUTPUT_JSON_PRETTY] = "pretty",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hvctl_output, enum hvctl_output);

enum align {
	ALIGN_NONE,
	ALIGN_LEFT,
	ALIGN_RIGHT,
};

struct column {
	struct column *next;
	unsigned scope; /* the array instance */
	char *key;
	size_t width;
};

struct segment {
	char *text;
	struct column *column; /* NULL: printed as is */
	enum align align;
};

struct scope {
	bool is_array;
	unsigned id;        /* alignment scope of arrays */
	json_object *json;  /* JSON mode */
};

struct hvctl_printer {
	FILE *f;
	enum hvctl_output mode;
	int error;

	struct scope stack[PRINTER_MAX_DEPTH];
	size_t depth;
	unsigned next_scope;

	json_object *root; /* JSON mode */

	struct segment *segs; /* text mode */
	size_t n_segs, cap_segs;
	struct column *columns;
};

static void keep_error(struct hvctl_printer *p, int r)
{
	if (p->error == 0)
		p->error = r;
}

struct hvctl_printer *hvctl_printer_new(FILE *f, enum hvctl_output mode)
{
	struct hvctl_printer *p;

	if (mode < 0 || mode >= _HVCTL_OUTPUT_MAX)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->f = f;
	p->mode = mode;
	p->next_scope = 1; /* 0 is the top level */
	return p;
}

static void reset(struct hvctl_printer *p)
{
	for (size_t i = 0; i < p->n_segs; i++)
		free(p->segs[i].text);
	p->n_segs = 0;
	while (p->columns) {
		struct column *c = p->columns;

		p->columns = c->next;
		free(c->key);
		free(c);
	}
	/* Containers still open hold references into root: drop them all. */
	p->depth = 0;
	if (p->root)
		json_object_put(p->root);
	p->root = NULL;
	p->error = 0;
}

struct hvctl_printer *hvctl_printer_free(struct hvctl_printer *p)
{
	if (p) {
		reset(p);
		free(p->segs);
		free(p);
	}
	return NULL;
}

bool hvctl_printer_is_json(const struct hvctl_printer *p)
{
	return p->mode != HVCTL_OUTPUT_TEXT;
}

/* ---- JSON ---- */

/* Adds v (taking the reference) to the current container. */
static void json_add(struct hvctl_printer *p, const char *key, json_object *v)
{
	json_object *parent;

	/* v is NULL for a JSON null; json-c stores that as is. */
	if (p->depth == 0) {
		if (!p->root)
			p->root = json_object_new_object();
		if (!p->root) {
			json_object_put(v);
			keep_error(p, -ENOMEM);
			return;
		}
		if (!json_object_is_type(p->root, json_type_object)) {
			/* A field after the top-level array was closed. */
			json_object_put(v);
			keep_error(p, -ENOTRECOVERABLE);
			return;
		}
		parent = p->root;
	} else
		parent = p->stack[p->depth - 1].json;

	if (json_object_is_type(parent, json_type_array)) {
		if (json_object_array_add(parent, v) < 0) {
			json_object_put(v);
			keep_error(p, -ENOMEM);
		}
	} else if (!key) {
		json_object_put(v);
		keep_error(p, -ENOTRECOVERABLE);
	} else if (json_object_object_add(parent, key, v) < 0) {
		json_object_put(v);
		keep_error(p, -ENOMEM);
	}
}

/* ---- text ---- */

static struct column *column_get(struct hvctl_printer *p, const char *key)
{
	unsigned scope = 0;
	struct column *c;

	for (size_t i = p->depth; i > 0; i--)
		if (p->stack[i - 1].is_array) {
			scope = p->stack[i - 1].id;
			break;
		}
	for (c = p->columns; c; c = c->next)
		if (c->scope == scope && strcmp(c->key, key ? key : "") == 0)
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = strdup(key ? key : "");
	if (!c->key) {
		free(c);
		return NULL;
	}
	c->scope = scope;
	c->next = p->columns;
	p->columns = c;
	return c;
}

/* Takes text. */
static void seg_add(struct hvctl_printer *p, char *text, struct column *column, enum align align)
{
	if (!text) {
		keep_error(p, -ENOMEM);
		return;
	}
	if (p->n_segs == p->cap_segs) {
		size_t ncap = p->cap_segs ? p->cap_segs * 2 : 64;
		struct segment *s = reallocarray(p->segs, ncap, sizeof(*s));

		if (!s) {
			free(text);
			keep_error(p, -ENOMEM);
			return;
		}
		p->segs = s;
		p->cap_segs = ncap;
	}
	p->segs[p->n_segs++] = (struct segment){ .text = text, .column = column, .align = align };
}

/* Values are data from the system: never let them move the cursor or
 * talk to the terminal. */
static char *sanitize(const char *value)
{
	char *s = strdup(value);

	for (char *c = s; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

static void text_field(struct hvctl_printer *p, const char *key, const char *tmpl, const char *value)
{
	const char *t = tmpl, *lit = tmpl;

	while (*t) {
		enum align align = ALIGN_NONE;
		size_t minw = 0;
		const char *c = t + 1;
		struct column *col = NULL;

		if (*t != '%') {
			t++;
			continue;
		}
		if (*c == '%') {
			/* Literal text up to and including one '%'. */
			seg_add(p, strndup(lit, (size_t)(c - lit)), NULL, ALIGN_NONE);
			t = lit = c + 1;
			continue;
		}
		if (*c == '>' || *c == '<') {
			align = *c == '>' ? ALIGN_RIGHT : ALIGN_LEFT;
			c++;
			while (*c >= '0' && *c <= '9')
				minw = minw * 10 + (size_t)(*c++ - '0');
		}
		if (*c != 's') {
			/* Not a conversion we know: a bug in the template. */
			keep_error(p, -ENOTRECOVERABLE);
			t++;
			continue;
		}
		if (t > lit)
			seg_add(p, strndup(lit, (size_t)(t - lit)), NULL, ALIGN_NONE);
		if (align != ALIGN_NONE) {
			col = column_get(p, key);
			if (!col)
				keep_error(p, -ENOMEM);
			else {
				size_t w = strlen(value);

				col->width = HV_MAX(col->width, HV_MAX(w, minw));
			}
		}
		seg_add(p, sanitize(value), col, col ? align : ALIGN_NONE);
		t = lit = c + 1;
	}
	if (t > lit)
		seg_add(p, strndup(lit, (size_t)(t - lit)), NULL, ALIGN_NONE);
}

static void text_render(struct hvctl_printer *p)
{
	for (size_t i = 0; i < p->n_segs; i++) {
		const struct segment *s = &p->segs[i];
		int width = s->column ? (int)s->column->width : 0;

		switch (s->align) {
		case ALIGN_NONE:
			fputs(s->text, p->f);
			break;
		case ALIGN_LEFT:
			fprintf(p->f, "%-*s", width, s->text);
			break;
		case ALIGN_RIGHT:
			fprintf(p->f, "%*s", width, s->text);
			break;
		}
	}
}

/* ---- the calls ---- */

static void field(struct hvctl_printer *p, const char *key, const char *text, const char *rendered,
		  json_object *(*make)(const void *), const void *arg)
{
	if (p->mode == HVCTL_OUTPUT_TEXT) {
		if (text)
			text_field(p, key, text, rendered ? rendered : "?");
		return;
	}
	{
		json_object *v = make ? make(arg) : NULL;

		if (make && !v) {
			keep_error(p, -ENOMEM);
			return;
		}
		json_add(p, key, v);
	}
}

static json_object *make_string(const void *a)
{
	return json_object_new_string(a);
}

void hvctl_print_string(struct hvctl_printer *p, const char *key, const char *text, const char *value)
{
	field(p, key, text, value, value ? make_string : NULL, value);
}

/* ---- data from outside ---- */

struct strbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct strbuf *b, const char *p, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;
		char *ns;

		while (ncap < b->n + n + 1)
			ncap *= 2;
		ns = realloc(b->s, ncap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static char *sb_steal(struct strbuf *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	return b->s;
}

/* C1 controls and the bidirectional embeddings, overrides and isolates:
 * each can make a terminal or a reader see something else than the bytes. */
static bool is_deceptive(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

char *hvctl_escape_data(const char *value, size_t len)
{
	struct strbuf b = {};
	char esc[16];

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)value[i];
		uint32_t cp;
		int n;

		if (c == '\n' || c == '\t' || c == '\r') {
			sb_add(&b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", 2);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			sb_add(&b, esc, 4);
			i++;
			continue;
		}
		if (c < 0x80) {
			sb_add(&b, value + i, 1);
			i++;
			continue;
		}
		n = hv_utf8_decode(value + i, len - i, &cp);
		if (n < 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			sb_add(&b, esc, 4);
			i++;
		} else if (is_deceptive(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
			sb_add(&b, esc, 6);
			i += (size_t)n;
		} else {
			sb_add(&b, value + i, (size_t)n);
			i += (size_t)n;
		}
	}
	return sb_steal(&b);
}

/* value with every byte that does not start a valid UTF-8 sequence
 * replaced by U+FFFD: json-c writes strings byte for byte. */
static char *utf8_repair(const char *value, size_t len)
{
	struct strbuf b = {};

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int n = hv_utf8_decode(value + i, len - i, &cp);

		if (n < 0 || cp == 0) {
			sb_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			sb_add(&b, value + i, (size_t)n);
			i += (size_t)n;
		}
	}
	return sb_steal(&b);
}

void hvctl_print_data(struct hvctl_printer *p, const char *key, const char *text, const char *value,
		      size_t len)
{
	_cleanup_free_ char *s = NULL;

	if (!value) {
		hvctl_print_null(p, key, text, NULL);
		return;
	}
	if (p->mode == HVCTL_OUTPUT_TEXT && !text)
		return;
	s = p->mode == HVCTL_OUTPUT_TEXT ? hvctl_escape_data(value, len) : utf8_repair(value, len);
	if (!s) {
		keep_error(p, -ENOMEM);
		return;
	}
	hvctl_print_string(p, key, text, s);
}

static json_object *make_uint(const void *a)
{
	uint64_t v = *(const uint64_t *)a;

#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= ((0 << 16) | (14 << 8))
	return json_object_new_uint64(v);
#else
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
#endif
}

void hvctl_print_uint(struct hvctl_printer *p, const char *key, const char *text, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	field(p, key, text, buf, make_uint, &value);
}

static json_object *make_int(const void *a)
{
	return json_object_new_int64(*(const int64_t *)a);
}

void hvctl_print_int(struct hvctl_printer *p, const char *key, const char *text, int64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, value);
	field(p, key, text, buf, make_int, &value);
}

static json_object *make_bool(const void *a)
{
	return json_object_new_boolean(*(const bool *)a);
}

void hvctl_print_bool(struct hvctl_printer *p, const char *key, const char *text, bool value)
{
	field(p, key, text, value ? "yes" : "no", make_bool, &value);
}

void hvctl_print_null(struct hvctl_printer *p, const char *key, const char *text, const char *null_text)
{
	field(p, key, text, null_text, NULL, NULL);
}

void hvctl_print_uint_or_null(struct hvctl_printer *p, const char *key, const char *text, int64_t value)
{
	if (value < 0)
		hvctl_print_null(p, key, text, NULL);
	else
		hvctl_print_uint(p, key, text, (uint64_t)value);
}

void hvctl_print_text(struct hvctl_printer *p, const char *literal)
{
	if (p->mode == HVCTL_OUTPUT_TEXT && literal && *literal)
		seg_add(p, strdup(literal), NULL, ALIGN_NONE);
}

static void open_container(struct hvctl_printer *p, const char *key, bool is_array)
{
	struct scope *s;

	if (p->depth >= PRINTER_MAX_DEPTH) {
		keep_error(p, -ENOTRECOVERABLE);
		return;
	}
	s = &p->stack[p->depth];
	*s = (struct scope){ .is_array = is_array, .id = is_array ? p->next_scope++ : 0 };

	if (p->mode != HVCTL_OUTPUT_TEXT) {
		json_object *v = is_array ? json_object_new_array() : json_object_new_object();

		if (!v) {
			keep_error(p, -ENOMEM);
			return;
		}
		if (p->depth == 0 && !p->root) {
			p->root = v;
		} else {
			/* json_add() takes one reference; the stack borrows it. */
			json_add(p, key, v);
			if (p->error != 0)
				return;
		}
		s->json = v;
	}
	p->depth++;
}

static void close_container(struct hvctl_printer *p, bool is_array)
{
	if (p->depth == 0 || p->stack[p->depth - 1].is_array != is_array) {
		keep_error(p, -ENOTRECOVERABLE);
		return;
	}
	p->depth--;
}

void hvctl_print_open_array(struct hvctl_printer *p, const char *key)
{
	open_container(p, key, true);
}

void hvctl_print_close_array(struct hvctl_printer *p)
{
	close_container(p, true);
}

void hvctl_print_open_object(struct hvctl_printer *p, const char *key)
{
	open_container(p, key, false);
}

void hvctl_print_close_object(struct hvctl_printer *p)
{
	close_container(p, false);
}

int hvctl_printer_flush(struct hvctl_printer *p)
{
	int r = p->error;

	if (r == 0 && p->depth != 0)
		r = -ENOTRECOVERABLE;
	if (r == 0) {
		if (p->mode == HVCTL_OUTPUT_TEXT)
			text_render(p);
		else if (p->root) {
			int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
				    (p->mode == HVCTL_OUTPUT_JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
									 : JSON_C_TO_STRING_PLAIN);
			const char *s = json_object_to_json_string_ext(p->root, flags);

			if (!s)
				r = -ENOMEM;
			else {
				fputs(s, p->f);
				fputc('\n', p->f);
			}
		}
	}
	reset(p);
	if (r == 0 && (fflush(p->f) != 0 || ferror(p->f)))
		r = errno > 0 ? -errno : -EIO;
	return r;
}
