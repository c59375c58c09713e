/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mountinfo parser; the format and the rules are in mountinfo.h.  Fields
 * are separated by exactly one space (the kernel escapes spaces inside
 * fields), so an empty field shows up as two spaces in a row: that is
 * legal for the source (mount(2) accepts "") and nowhere else.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "mountinfo.h"

struct field {
	const char *s;
	size_t len;
};

struct cursor {
	const char *p;   /* next field starts here; NULL once the line is used up */
	const char *end; /* end of the line (its '\n' or NUL) */
};

static bool next_field(struct cursor *c, struct field *ret)
{
	const char *sp;

	if (!c->p)
		return false;
	sp = memchr(c->p, ' ', (size_t)(c->end - c->p));
	ret->s = c->p;
	if (sp) {
		ret->len = (size_t)(sp - c->p);
		c->p = sp + 1;
	} else {
		ret->len = (size_t)(c->end - c->p);
		c->p = NULL;
	}
	return true;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

char *hv_mountinfo_unescape(const char *s, size_t len)
{
	char *r = malloc(len + 1), *o = r;

	if (!r)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && len - i > 3 && s[i + 1] >= '0' && s[i + 1] <= '3' && is_octal(s[i + 2]) &&
		    is_octal(s[i + 3])) {
			char v = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));

			if (v == '\0') {
				free(r);
				errno = EINVAL;
				return NULL;
			}
			*o++ = v;
			i += 3;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return r;
}

/* Strict unsigned decimal: digits only, no sign, no overflow past max. */
static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (unsigned long)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool parse_devnum(const struct field *f, unsigned *ret_major, unsigned *ret_minor)
{
	const char *colon = memchr(f->s, ':', f->len);
	unsigned long ma, mi;

	if (!colon || !parse_uint(f->s, (size_t)(colon - f->s), UINT_MAX, &ma) ||
	    !parse_uint(colon + 1, f->len - (size_t)(colon + 1 - f->s), UINT_MAX, &mi))
		return false;
	*ret_major = (unsigned)ma;
	*ret_minor = (unsigned)mi;
	return true;
}

static void entry_done(struct hv_mountinfo_entry *e)
{
	free(e->root);
	free(e->mountpoint);
	free(e->options);
	free(e->optional);
	free(e->fstype);
	free(e->source);
	free(e->super_options);
}

struct hv_mountinfo *hv_mountinfo_free(struct hv_mountinfo *mi)
{
	if (!mi)
		return NULL;
	for (size_t i = 0; i < mi->n_entries; i++)
		entry_done(&mi->entries[i]);
	free(mi->entries);
	free(mi);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_mountinfo *, hv_mountinfo_free);

/* Decode field f into *ret; "what" names it in the error. */
static int take_string(const struct field *f, bool may_be_empty, char **ret, const char **ret_why)
{
	if (f->len == 0 && !may_be_empty) {
		*ret_why = "empty";
		return -EINVAL;
	}
	*ret = hv_mountinfo_unescape(f->s, f->len);
	if (!*ret) {
		if (errno == EINVAL) {
			*ret_why = "escape decodes to NUL in";
			return -EINVAL;
		}
		return -ENOMEM;
	}
	return 0;
}

/* Append the decoded optional field f to *opt, space-separated. */
static int append_optional(char **opt, const struct field *f, const char **ret_why)
{
	_cleanup_free_ char *v = NULL;
	size_t have = strlen(*opt), n;
	char *grown;
	int r;

	r = take_string(f, false, &v, ret_why);
	if (r < 0)
		return r;
	n = strlen(v);
	grown = realloc(*opt, have + (have ? 1 : 0) + n + 1);
	if (!grown)
		return -ENOMEM;
	if (have)
		grown[have++] = ' ';
	memcpy(grown + have, v, n + 1);
	*opt = grown;
	return 0;
}

/*
 * One line into e (zeroed by the caller; on failure the caller frees what
 * was filled).  On -EINVAL *ret_what names the bad part.
 */
static int parse_line(const char *line, const char *end, struct hv_mountinfo_entry *e, const char **ret_what,
		      const char **ret_why)
{
	struct cursor c = { line, end };
	struct field f;
	unsigned long v;
	int r;

	*ret_why = "bad";
	*ret_what = "mount id";
	if (!next_field(&c, &f) || !parse_uint(f.s, f.len, INT_MAX, &v))
		return -EINVAL;
	e->mount_id = (int)v;
	*ret_what = "parent id";
	if (!next_field(&c, &f) || !parse_uint(f.s, f.len, INT_MAX, &v))
		return -EINVAL;
	e->parent_id = (int)v;
	*ret_what = "major:minor";
	if (!next_field(&c, &f) || !parse_devnum(&f, &e->major, &e->minor))
		return -EINVAL;

	*ret_why = "missing";
	*ret_what = "root";
	if (!next_field(&c, &f))
		return -EINVAL;
	r = take_string(&f, false, &e->root, ret_why);
	if (r < 0)
		return r;
	*ret_what = "mount point";
	if (!next_field(&c, &f))
		return -EINVAL;
	r = take_string(&f, false, &e->mountpoint, ret_why);
	if (r < 0)
		return r;
	*ret_what = "mount options";
	if (!next_field(&c, &f))
		return -EINVAL;
	r = take_string(&f, false, &e->options, ret_why);
	if (r < 0)
		return r;

	e->optional = strdup("");
	if (!e->optional)
		return -ENOMEM;
	for (;;) {
		*ret_why = "missing";
		*ret_what = "\"-\" separator";
		if (!next_field(&c, &f))
			return -EINVAL;
		if (f.len == 1 && f.s[0] == '-')
			break;
		*ret_what = "optional field";
		r = append_optional(&e->optional, &f, ret_why);
		if (r < 0)
			return r;
	}

	*ret_why = "missing";
	*ret_what = "file system type";
	if (!next_field(&c, &f))
		return -EINVAL;
	r = take_string(&f, false, &e->fstype, ret_why);
	if (r < 0)
		return r;
	*ret_why = "missing";
	*ret_what = "source";
	if (!next_field(&c, &f))
		return -EINVAL;
	r = take_string(&f, true, &e->source, ret_why);
	if (r < 0)
		return r;
	*ret_why = "missing";
	*ret_what = "super options";
	if (!next_field(&c, &f))
		return -EINVAL;
	/* Later kernels may append fields after these: ignored. */
	return take_string(&f, false, &e->super_options, ret_why);
}

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ret_error)
		return -EINVAL;
	va_start(ap, fmt);
	n = vasprintf(ret_error, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*ret_error = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

int hv_mountinfo_parse(const char *text, struct hv_mountinfo **ret, char **ret_error)
{
	_cleanup_(hv_mountinfo_freep) struct hv_mountinfo *mi = NULL;
	size_t lines = 1, lineno = 0;
	const char *p;

	for (p = text; *p; p++)
		if (*p == '\n')
			lines++;
	mi = calloc(1, sizeof(*mi));
	if (!mi)
		return -ENOMEM;
	mi->entries = calloc(lines, sizeof(*mi->entries));
	if (!mi->entries)
		return -ENOMEM;

	for (p = text; *p;) {
		const char *end = strchrnul(p, '\n'), *what, *why;
		struct hv_mountinfo_entry *e;
		int r;

		lineno++;
		if (end == p) {
			p++;
			continue;
		}
		e = &mi->entries[mi->n_entries++];
		r = parse_line(p, end, e, &what, &why);
		if (r == -EINVAL)
			return fail(ret_error, "line %zu: %s %s", lineno, why, what);
		if (r < 0)
			return r;
		p = *end ? end + 1 : end;
	}
	*ret = TAKE_PTR(mi);
	return 0;
}

bool hv_mountinfo_has_option(const char *options, const char *name)
{
	size_t n = strlen(name);
	const char *p = options;

	if (!options)
		return false;
	while (*p) {
		const char *q = p;
		bool quoted = false;

		while (*q && (quoted || *q != ',')) {
			if (*q == '"')
				quoted = !quoted;
			q++;
		}
		if ((size_t)(q - p) == n && memcmp(p, name, n) == 0)
			return true;
		p = *q ? q + 1 : q;
	}
	return false;
}
