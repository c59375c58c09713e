/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration loader (see config.h for the rules).
 *
 * iniparser 4.1 (Debian 12) is used only as the lexer.  Its quirks, and what
 * we do about them:
 *  - it prints errors on stderr unless a callback is installed; the callback
 *    takes no userdata, so we install ours around each load and collect the
 *    text in a per-thread buffer, then log it once with the file name;
 *  - a syntax error anywhere makes iniparser_load() return NULL, as does a file
 *    it cannot open; we open the file ourselves first to tell the two apart;
 *  - section and key names are lowercased; values are not;
 *  - a key before any section is stored as ":key"; a section is an entry
 *    without a value; "[a:b]" is indistinguishable from key "b" of [a];
 *  - the dictionary keeps insertion order (it never deletes here), so walking
 *    d->key[] visits entries in file order, a repeated key holding its last value.
 *
 * Each file is lexed on its own and applied to the new object in order, so
 * later files override earlier ones key by key, and every message names the
 * file the value came from.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "platform/config.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CONFIG_MAIN_FILE "hvutils.conf"
#define CONFIG_DROPIN_DIR "hvutils.conf.d"
#define CONFIG_DROPIN_SUFFIX ".conf"
/* Caps on what a file can make us allocate. */
#define CONFIG_MAX_DROPINS 1024
#define CONFIG_MAX_LIST_WORDS 256

/*
 * Sections of the whole suite (DESIGN.md §1).  A program that does not load
 * one of them skips it without a warning: one hvutils.conf serves every daemon.
 */
static const char *const suite_sections[] = {
	"general", "kvp", "vss", "fcopy", "heartbeat", "timesync", "shutdown", "channels", "net",
};

struct hv_config {
	const struct hv_config_section *const *sections;
	size_t n_sections;
	void **data; /* one block of sections[i]->size bytes per section */
	const struct hv_path *path;
	char *file; /* explicit file, or NULL */
	char **files; /* files read, NULL-terminated */
	size_t n_files;
};

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void strv_freep(char ***v)
{
	strv_free(*v);
}

static bool has_range(const struct hv_config_item *item)
{
	return item->min != 0 || item->max != 0;
}

static int parse_ll(const char *s, long long *ret)
{
	char *end;
	long long v;

	if (!s || !(isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_ull(const char *s, int base, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	/* strtoull() accepts "-1" and wraps it: digits only. */
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int strdup_to(const char *s, char **ret)
{
	char *d = strdup(s);

	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

static int asprintf_to(char **ret, const char *fmt, ...) _printf_(2, 3);
static int asprintf_to(char **ret, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* ---- bool ---- */

int hv_config_parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "off" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -EINVAL;
}

static int bool_parse(const struct hv_config_item *item, const char *value, void *field)
{
	int r = hv_config_parse_bool(value);

	if (r < 0)
		return r;
	*(bool *)field = r;
	return 0;
}

static int bool_format(const struct hv_config_item *item, const void *field, char **ret)
{
	return strdup_to(*(const bool *)field ? "yes" : "no", ret);
}

static void bool_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "a boolean (yes/no, true/false, on/off, 1/0)");
}

const struct hv_config_type hv_config_bool = {
	.name = "bool",
	.size = sizeof(bool),
	.parse = bool_parse,
	.format = bool_format,
	.expected = bool_expected,
};

/* ---- int, uint ---- */

static int int_parse(const struct hv_config_item *item, const char *value, void *field)
{
	long long lo = has_range(item) ? item->min : INT_MIN;
	long long hi = has_range(item) ? item->max : INT_MAX;
	long long v;
	int r;

	r = parse_ll(value, &v);
	if (r < 0)
		return r;
	if (v < lo || v > hi)
		return -ERANGE;
	*(int *)field = (int)v;
	return 0;
}

static int int_format(const struct hv_config_item *item, const void *field, char **ret)
{
	return asprintf_to(ret, "%d", *(const int *)field);
}

static void int_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	if (has_range(item))
		snprintf(buf, size, "an integer in [%lld, %lld]", item->min, item->max);
	else
		snprintf(buf, size, "an integer");
}

const struct hv_config_type hv_config_int = {
	.name = "int",
	.size = sizeof(int),
	.parse = int_parse,
	.format = int_format,
	.expected = int_expected,
};

static int uint_parse(const struct hv_config_item *item, const char *value, void *field)
{
	unsigned long long lo = has_range(item) ? (unsigned long long)item->min : 0;
	unsigned long long hi = has_range(item) ? (unsigned long long)item->max : UINT_MAX;
	unsigned long long v;
	int r;

	r = parse_ull(value, 10, &v);
	if (r < 0)
		return r;
	if (v < lo || v > hi)
		return -ERANGE;
	*(unsigned *)field = (unsigned)v;
	return 0;
}

static int uint_format(const struct hv_config_item *item, const void *field, char **ret)
{
	return asprintf_to(ret, "%u", *(const unsigned *)field);
}

static void uint_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	if (has_range(item))
		snprintf(buf, size, "an integer in [%lld, %lld]", item->min, item->max);
	else
		snprintf(buf, size, "a non-negative integer");
}

const struct hv_config_type hv_config_uint = {
	.name = "uint",
	.size = sizeof(unsigned),
	.parse = uint_parse,
	.format = uint_format,
	.expected = uint_expected,
};

/* ---- string, path ---- */

static void string_free(void *field)
{
	char **p = field;

	free(*p);
	*p = NULL;
}

static int string_parse(const struct hv_config_item *item, const char *value, void *field)
{
	char *s;
	int r;

	r = strdup_to(value, &s);
	if (r < 0)
		return r;
	string_free(field);
	*(char **)field = s;
	return 0;
}

static int string_format(const struct hv_config_item *item, const void *field, char **ret)
{
	const char *s = *(char *const *)field;

	return strdup_to(s ? s : "", ret);
}

static void string_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "a string");
}

const struct hv_config_type hv_config_string = {
	.name = "string",
	.size = sizeof(char *),
	.parse = string_parse,
	.format = string_format,
	.expected = string_expected,
	.free = string_free,
};

/* The len bytes at s as an absolute path (hv_path_normalize: "//" and "."
 * dropped, ".." refused, so no root is escaped).  Shared by path and paths. */
static int path_normalize(const char *s, size_t len, char **ret)
{
	if (len == 0 || s[0] != '/' || len >= PATH_MAX)
		return -EINVAL;
	return hv_path_normalize(s, len, ret);
}

static int path_parse(const struct hv_config_item *item, const char *value, void *field)
{
	char *s;
	int r;

	r = path_normalize(value, strlen(value), &s);
	if (r < 0)
		return r;
	string_free(field);
	*(char **)field = s;
	return 0;
}

static void path_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "an absolute path without \"..\"");
}

const struct hv_config_type hv_config_path = {
	.name = "path",
	.size = sizeof(char *),
	.parse = path_parse,
	.format = string_format,
	.expected = path_expected,
	.free = string_free,
};

/* ---- file mode, user or group ---- */

static int mode_parse(const struct hv_config_item *item, const char *value, void *field)
{
	unsigned long long v;
	int r;

	r = parse_ull(value, 8, &v);
	if (r < 0)
		return r;
	if (v > 0777)
		return -ERANGE;
	*(unsigned *)field = (unsigned)v;
	return 0;
}

static int mode_format(const struct hv_config_item *item, const void *field, char **ret)
{
	return asprintf_to(ret, "%04o", *(const unsigned *)field);
}

static void mode_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "an octal mode from 0000 to 0777");
}

const struct hv_config_type hv_config_mode = {
	.name = "mode",
	.size = sizeof(unsigned),
	.parse = mode_parse,
	.format = mode_format,
	.expected = mode_expected,
};

/*
 * A number below (uid_t)-1, or a name of the usual characters (a trailing
 * '$' for machine accounts).  Not looked up here: the file may be written
 * before the account exists.
 */
static int account_parse(const struct hv_config_item *item, const char *value, void *field)
{
	size_t len = strlen(value);
	unsigned long long v;
	int r;

	if (len == 0 || len > 255 || value[0] == '-')
		return -EINVAL;
	r = parse_ull(value, 10, &v);
	if (r == -ERANGE || (r == 0 && v >= (unsigned long long)(uid_t)-1))
		return -ERANGE;
	for (size_t i = 0; r < 0 && i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.' && !(c == '$' && i == len - 1))
			return -EINVAL;
	}
	return string_parse(item, value, field);
}

static void account_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "a name or a number");
}

const struct hv_config_type hv_config_account = {
	.name = "account",
	.size = sizeof(char *),
	.parse = account_parse,
	.format = string_format,
	.expected = account_expected,
	.free = string_free,
};

/* ---- enum ---- */

static int enum_parse(const struct hv_config_item *item, const char *value, void *field)
{
	for (size_t i = 0; i < item->table_len; i++)
		if (item->table[i] && strcasecmp(item->table[i], value) == 0) {
			*(int *)field = (int)i;
			return 0;
		}
	return -EINVAL;
}

static int enum_format(const struct hv_config_item *item, const void *field, char **ret)
{
	int i = *(const int *)field;

	if (i < 0 || (size_t)i >= item->table_len || !item->table[i])
		return strdup_to("", ret);
	return strdup_to(item->table[i], ret);
}

static void enum_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	size_t used;
	bool first = true;

	snprintf(buf, size, "one of:");
	used = strlen(buf);
	for (size_t i = 0; i < item->table_len && used < size; i++) {
		if (!item->table[i])
			continue;
		snprintf(buf + used, size - used, "%s %s", first ? "" : ",", item->table[i]);
		used += strlen(buf + used);
		first = false;
	}
}

const struct hv_config_type hv_config_enum = {
	.name = "enum",
	.size = sizeof(int),
	.parse = enum_parse,
	.format = enum_format,
	.expected = enum_expected,
};

/* ---- duration ---- */

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_MINUTE (UINT64_C(60) * HV_USEC_PER_SEC)
#define USEC_PER_HOUR (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY (UINT64_C(24) * USEC_PER_HOUR)

static const struct duration_unit {
	const char *name;
	uint64_t usec;
} duration_units[] = {
	{ "us", 1 },         { "usec", 1 },
	{ "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },
	{ "s", HV_USEC_PER_SEC }, { "sec", HV_USEC_PER_SEC },
	{ "second", HV_USEC_PER_SEC }, { "seconds", HV_USEC_PER_SEC },
	{ "m", USEC_PER_MINUTE }, { "min", USEC_PER_MINUTE },
	{ "minute", USEC_PER_MINUTE }, { "minutes", USEC_PER_MINUTE },
	{ "h", USEC_PER_HOUR }, { "hr", USEC_PER_HOUR },
	{ "hour", USEC_PER_HOUR }, { "hours", USEC_PER_HOUR },
	{ "d", USEC_PER_DAY }, { "day", USEC_PER_DAY }, { "days", USEC_PER_DAY },
};

/* Largest first: what hv_config_format_duration() writes. */
static const struct duration_unit duration_format_units[] = {
	{ "d", USEC_PER_DAY }, { "h", USEC_PER_HOUR }, { "min", USEC_PER_MINUTE },
	{ "s", HV_USEC_PER_SEC }, { "ms", USEC_PER_MSEC }, { "us", 1 },
};

int hv_config_parse_duration(const char *s, uint64_t *ret_usec)
{
	uint64_t total = 0;
	const char *p = s;
	bool any = false;

	if (!s)
		return -EINVAL;
	for (;;) {
		unsigned long long n;
		uint64_t mult = 0, part;
		const char *unit;
		size_t ulen;
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno == ERANGE)
			return -ERANGE;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		unit = p;
		while (isalpha((unsigned char)*p))
			p++;
		ulen = (size_t)(p - unit);
		if (ulen == 0)
			mult = HV_USEC_PER_SEC; /* a plain number counts seconds */
		for (size_t i = 0; ulen > 0 && i < ELEMENTSOF(duration_units); i++)
			if (strlen(duration_units[i].name) == ulen &&
			    strncmp(duration_units[i].name, unit, ulen) == 0)
				mult = duration_units[i].usec;
		if (mult == 0)
			return -EINVAL;
		if (*p && !isspace((unsigned char)*p) && !isdigit((unsigned char)*p))
			return -EINVAL;
		if (__builtin_mul_overflow((uint64_t)n, mult, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return -ERANGE;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ret_usec = total;
	return 0;
}

int hv_config_format_duration(uint64_t usec, char **ret)
{
	char buf[256] = "";
	size_t used = 0;

	if (usec == 0)
		return strdup_to("0", ret);
	for (size_t i = 0; i < ELEMENTSOF(duration_format_units) && usec > 0; i++) {
		uint64_t q = usec / duration_format_units[i].usec;

		if (q == 0)
			continue;
		snprintf(buf + used, sizeof(buf) - used, "%s%llu%s", used ? " " : "",
			 (unsigned long long)q, duration_format_units[i].name);
		used += strlen(buf + used);
		usec %= duration_format_units[i].usec;
	}
	return strdup_to(buf, ret);
}

static int duration_parse(const struct hv_config_item *item, const char *value, void *field)
{
	uint64_t v;
	int r;

	r = hv_config_parse_duration(value, &v);
	if (r < 0)
		return r;
	if (has_range(item) && (v < (uint64_t)item->min || v > (uint64_t)item->max))
		return -ERANGE;
	*(uint64_t *)field = v;
	return 0;
}

static int duration_format(const struct hv_config_item *item, const void *field, char **ret)
{
	return hv_config_format_duration(*(const uint64_t *)field, ret);
}

static void duration_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	_cleanup_free_ char *lo = NULL, *hi = NULL;

	if (has_range(item) && hv_config_format_duration((uint64_t)item->min, &lo) >= 0 &&
	    hv_config_format_duration((uint64_t)item->max, &hi) >= 0)
		snprintf(buf, size, "a duration between %s and %s (e.g. 30s, 5min, 1h 30min; plain numbers are seconds)",
			 lo, hi);
	else
		snprintf(buf, size, "a duration (e.g. 30s, 5min, 1h 30min; plain numbers are seconds)");
}

const struct hv_config_type hv_config_duration = {
	.name = "duration",
	.size = sizeof(uint64_t),
	.parse = duration_parse,
	.format = duration_format,
	.expected = duration_expected,
};

/* ---- lists: globs, paths ---- */

/*
 * A list is words separated by spaces, tabs or commas, stored as a
 * NULL-terminated char **: at least one word, at most item->max when set,
 * else CONFIG_MAX_LIST_WORDS.  The list types differ only in how one word is
 * checked and stored (word(), which writes *ret only on success) and in what
 * their messages call it.
 */
static size_t list_max(const struct hv_config_item *item)
{
	return has_range(item) ? (size_t)item->max : CONFIG_MAX_LIST_WORDS;
}

static void list_free(void *field)
{
	char ***p = field;

	strv_free(*p);
	*p = NULL;
}

static int list_parse(const struct hv_config_item *item, const char *value, void *field,
		      int (*word)(const char *s, size_t len, char **ret))
{
	_cleanup_(strv_freep) char **v = NULL;
	size_t n = 0, max = list_max(item);

	v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (const char *p = value; *p;) {
		size_t len = strcspn(p, " \t,");
		char **nv;
		int r;

		if (len == 0) {
			p++;
			continue;
		}
		if (n >= max)
			return -ERANGE;
		nv = realloc(v, (n + 2) * sizeof(char *));
		if (!nv)
			return -ENOMEM;
		v = nv;
		r = word(p, len, &v[n]);
		if (r < 0)
			return r;
		v[++n] = NULL;
		p += len;
	}
	if (n == 0)
		return -EINVAL;
	list_free(field);
	*(char ***)field = TAKE_PTR(v);
	return 0;
}

static int list_format(const struct hv_config_item *item, const void *field, char **ret)
{
	char *const *v = *(char **const *)field;
	size_t len = 1;
	char *s;

	for (size_t i = 0; v && v[i]; i++)
		len += strlen(v[i]) + 1;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (size_t i = 0; v && v[i]; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, v[i]);
	}
	*ret = s;
	return 0;
}

static bool glob_is_valid(const char *g)
{
	/* fnmatch() would take an unclosed '[' literally: almost surely a typo. */
	for (const char *p = g; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;

			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			q = strchr(q, ']');
			if (!q)
				return false;
			p = q;
		}
	}
	return true;
}

static int glob_word(const char *s, size_t len, char **ret)
{
	_cleanup_free_ char *g = strndup(s, len);

	if (!g)
		return -ENOMEM;
	if (!glob_is_valid(g))
		return -EINVAL;
	*ret = TAKE_PTR(g);
	return 0;
}

static int globs_parse(const struct hv_config_item *item, const char *value, void *field)
{
	return list_parse(item, value, field, glob_word);
}

static void globs_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "a list of glob patterns separated by spaces or commas (at most %zu, brackets closed)",
		 list_max(item));
}

const struct hv_config_type hv_config_globs = {
	.name = "globs",
	.size = sizeof(char **),
	.parse = globs_parse,
	.format = list_format,
	.expected = globs_expected,
	.free = list_free,
};

static int paths_parse(const struct hv_config_item *item, const char *value, void *field)
{
	return list_parse(item, value, field, path_normalize);
}

static void paths_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "a list of absolute paths without \"..\" separated by spaces or commas (at most %zu)",
		 list_max(item));
}

const struct hv_config_type hv_config_paths = {
	.name = "paths",
	.size = sizeof(char **),
	.parse = paths_parse,
	.format = list_format,
	.expected = paths_expected,
	.free = list_free,
};

/* ---- log level ---- */

static int log_level_parse(const struct hv_config_item *item, const char *value, void *field)
{
	char buf[16];
	size_t i;
	int r;

	for (i = 0; value[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (char)tolower((unsigned char)value[i]);
	if (value[i])
		return -EINVAL;
	buf[i] = '\0';
	r = hv_log_level_from_string(buf);
	if (r < 0)
		return -EINVAL;
	*(int *)field = r;
	return 0;
}

static int log_level_format(const struct hv_config_item *item, const void *field, char **ret)
{
	const char *s = hv_log_level_to_string(*(const int *)field);

	if (!s)
		return asprintf_to(ret, "%d", *(const int *)field);
	return strdup_to(s, ret);
}

static void log_level_expected(const struct hv_config_item *item, char *buf, size_t size)
{
	snprintf(buf, size, "a log level (err, warning, notice, info, debug, or 0 to 7)");
}

const struct hv_config_type hv_config_log_level = {
	.name = "log-level",
	.size = sizeof(int),
	.parse = log_level_parse,
	.format = log_level_format,
	.expected = log_level_expected,
};

/* ---- [general] ---- */

static const struct hv_config_item general_items[] = {
	HV_CONFIG_LOG_LEVEL("log-level", struct hv_config_general, log_level, "info",
			    "Most verbose level logged (--debug overrides it)"),
};

const struct hv_config_section hv_config_general_section = {
	.name = "general",
	.size = sizeof(struct hv_config_general),
	.items = general_items,
	.n_items = ELEMENTSOF(general_items),
};

/* ---- iniparser error capture ---- */

static __thread char *ini_errors;

static int ini_error_cb(const char *fmt, ...)
{
	char buf[1024], *p, *s;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	/* "iniparser: syntax error in F (2):\n-> foo\n" -> one line. */
	p = buf;
	if (strncmp(p, "iniparser: ", 11) == 0)
		p += 11;
	for (s = p; *s; s++)
		if (*s == '\n' || *s == '\t')
			*s = ' ';
	len = strlen(p);
	while (len > 0 && p[len - 1] == ' ')
		p[--len] = '\0';
	if (len == 0)
		return 0;

	if (!ini_errors) {
		ini_errors = strdup(p);
	} else if (strlen(ini_errors) < 2048) {
		char *n;

		if (asprintf(&n, "%s; %s", ini_errors, p) >= 0) {
			free(ini_errors);
			ini_errors = n;
		}
	}
	return 0;
}

/* ---- schema ---- */

static bool is_lower_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (isupper((unsigned char)*s) || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static int check_schema(const struct hv_config_section *const *sections, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hv_config_section *s = sections[i];

		if (!s || !is_lower_name(s->name) || (s->n_items > 0 && !s->items))
			return hv_log_err_errno(-EINVAL, "config schema: section %zu is malformed", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(sections[j]->name, s->name) == 0)
				return hv_log_err_errno(-EINVAL, "config schema: section [%s] twice", s->name);
		for (size_t k = 0; k < s->n_items; k++) {
			const struct hv_config_item *it = &s->items[k];

			if (!is_lower_name(it->key))
				return hv_log_err_errno(-EINVAL, "config schema: [%s] item %zu has a bad key",
							s->name, k);
			if (!it->type || !it->type->parse || !it->type->format || !it->type->expected ||
			    it->offset + it->type->size > s->size)
				return hv_log_err_errno(-EINVAL, "config schema: [%s] %s: bad type or offset",
							s->name, it->key);
			if (it->type == &hv_config_enum && (!it->table || it->table_len == 0))
				return hv_log_err_errno(-EINVAL, "config schema: [%s] %s: enum without names",
							s->name, it->key);
			for (size_t m = 0; m < k; m++)
				if (strcmp(s->items[m].key, it->key) == 0)
					return hv_log_err_errno(-EINVAL, "config schema: [%s] %s twice",
								s->name, it->key);
		}
	}
	return 0;
}

/* ---- the object ---- */

static void section_data_free(const struct hv_config_section *s, void *block)
{
	if (!block)
		return;
	for (size_t k = 0; k < s->n_items; k++)
		if (s->items[k].type->free)
			s->items[k].type->free((uint8_t *)block + s->items[k].offset);
	free(block);
}

struct hv_config *hv_config_free(struct hv_config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; c->data && i < c->n_sections; i++)
		section_data_free(c->sections[i], c->data[i]);
	free(c->data);
	free(c->file);
	strv_free(c->files);
	free(c);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_config *, hv_config_free);

static int item_reset(const struct hv_config_item *it, void *block)
{
	void *field = (uint8_t *)block + it->offset;

	if (it->type->free)
		it->type->free(field);
	memset(field, 0, it->type->size);
	if (!it->default_value)
		return 0;
	return it->type->parse(it, it->default_value, field);
}

static int apply_defaults(struct hv_config *c)
{
	for (size_t i = 0; i < c->n_sections; i++) {
		const struct hv_config_section *s = c->sections[i];

		for (size_t k = 0; k < s->n_items; k++) {
			int r = item_reset(&s->items[k], c->data[i]);

			if (r == -ENOMEM)
				return r;
			if (r < 0)
				return hv_log_err_errno(-EINVAL, "config schema: [%s] %s: bad default '%s'",
							s->name, s->items[k].key, s->items[k].default_value);
		}
	}
	return 0;
}

static ssize_t find_section(const struct hv_config *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n_sections; i++)
		if (strlen(c->sections[i]->name) == len && strncmp(c->sections[i]->name, name, len) == 0)
			return (ssize_t)i;
	return -1;
}

static bool is_suite_section(const char *name, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(suite_sections); i++)
		if (strlen(suite_sections[i]) == len && strncmp(suite_sections[i], name, len) == 0)
			return true;
	return false;
}

static const struct hv_config_item *find_item(const struct hv_config_section *s, const char *key)
{
	for (size_t k = 0; k < s->n_items; k++)
		if (strcmp(s->items[k].key, key) == 0)
			return &s->items[k];
	return NULL;
}

/* Report an unknown section once per file; reported holds names seen so far. */
static void note_unknown_section(const char *file, const char *name, size_t len, char ***reported)
{
	size_t n = 0;
	char **nv;

	for (; *reported && (*reported)[n]; n++)
		if (strlen((*reported)[n]) == len && strncmp((*reported)[n], name, len) == 0)
			return;
	if (is_suite_section(name, len))
		hv_log_debug("%s: [%.*s] is not used by this program, skipping", file, (int)len, name);
	else
		hv_log_warning("%s:%.*s: unknown section, ignoring", file, (int)len, name);
	nv = realloc(*reported, (n + 2) * sizeof(char *));
	if (!nv)
		return;
	*reported = nv;
	nv[n] = strndup(name, len);
	nv[n + 1] = NULL;
}

static int apply_dictionary(struct hv_config *c, const char *file, const dictionary *d)
{
	_cleanup_(strv_freep) char **reported = NULL;

	for (ssize_t i = 0; i < d->size; i++) {
		const char *entry = d->key[i], *value = d->val[i], *colon, *key;
		const struct hv_config_item *it;
		char expected[512];
		void *field;
		ssize_t si;
		int r;

		if (!entry)
			continue;
		colon = strchr(entry, ':');
		if (!value) {
			/* A section header (iniparser stores them without a value). */
			if (find_section(c, entry, strlen(entry)) < 0)
				note_unknown_section(file, entry, strlen(entry), &reported);
			continue;
		}
		if (!colon)
			continue; /* not produced by iniparser_load() */
		key = colon + 1;
		if (colon == entry) {
			hv_log_warning("%s: key '%s' outside of any section, ignoring", file, key);
			continue;
		}
		si = find_section(c, entry, (size_t)(colon - entry));
		if (si < 0) {
			note_unknown_section(file, entry, (size_t)(colon - entry), &reported);
			continue;
		}
		it = find_item(c->sections[si], key);
		if (!it) {
			hv_log_warning("%s:%s:%s: unknown key, ignoring", file, c->sections[si]->name, key);
			continue;
		}
		field = (uint8_t *)c->data[si] + it->offset;
		if (!*value) {
			/* "key =": back to the default, as systemd does for empty assignments. */
			r = item_reset(it, c->data[si]);
			if (r < 0)
				return r;
			continue;
		}
		r = it->type->parse(it, value, field);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			it->type->expected(it, expected, sizeof(expected));
			return hv_log_err_errno(r, "%s:%s:%s: %s '%s', expected %s", file,
						c->sections[si]->name, key,
						r == -ERANGE ? "value out of range" : "invalid value", value,
						expected);
		}
	}
	return 0;
}

static int load_file(struct hv_config *c, const char *file, bool explicit)
{
	_cleanup_close_ int fd = -EBADF;
	dictionary *d;
	struct stat st;
	int r;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = hv_negative_errno();
		if (r == -ENOENT && !explicit)
			return 0; /* vanished since the scan */
		return hv_log_err_errno(r, "%s: cannot open configuration file: %m", file);
	}
	if (fstat(fd, &st) < 0)
		return hv_log_err_errno(hv_negative_errno(), "%s: cannot stat: %m", file);
	if (S_ISDIR(st.st_mode))
		return hv_log_err_errno(-EISDIR, "%s: is a directory, not a configuration file", file);

	free(ini_errors);
	ini_errors = NULL;
	iniparser_set_error_callback(ini_error_cb);
	d = iniparser_load(file);
	if (!d) {
		r = hv_log_err_errno(-EBADMSG, "%s: cannot parse: %s", file,
				     ini_errors ? ini_errors : "unknown iniparser error");
		free(ini_errors);
		ini_errors = NULL;
		return r;
	}
	if (ini_errors) {
		/* Not fatal for iniparser (e.g. an allocation failure it survived). */
		hv_log_warning("%s: %s", file, ini_errors);
		free(ini_errors);
		ini_errors = NULL;
	}
	r = apply_dictionary(c, file, d);
	iniparser_freedict(d);
	return r;
}

static int add_file(struct hv_config *c, const char *file)
{
	char **nv = realloc(c->files, (c->n_files + 2) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	c->files = nv;
	nv[c->n_files] = strdup(file);
	if (!nv[c->n_files])
		return -ENOMEM;
	nv[++c->n_files] = NULL;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin_name(const char *name)
{
	size_t len = strlen(name), slen = STRLEN(CONFIG_DROPIN_SUFFIX);

	return name[0] != '.' && len > slen && strcmp(name + len - slen, CONFIG_DROPIN_SUFFIX) == 0;
}

/* Sorted names of the drop-ins in dir (resolved path); none when dir is missing. */
static int list_dropins(const char *dir, char ***ret, size_t *ret_n)
{
	_cleanup_(strv_freep) char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *dp;
	int r = 0;

	names = calloc(1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	dp = opendir(dir);
	if (!dp) {
		r = hv_negative_errno();
		if (r == -ENOENT || r == -ENOTDIR) {
			*ret = TAKE_PTR(names);
			*ret_n = 0;
			return 0;
		}
		return hv_log_err_errno(r, "%s: cannot open drop-in directory: %m", dir);
	}
	while ((errno = 0, de = readdir(dp))) {
		struct stat st;
		char **nv;

		if (!is_dropin_name(de->d_name))
			continue;
		if (fstatat(dirfd(dp), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode)) {
			hv_log_debug("%s/%s: not a regular file, skipping", dir, de->d_name);
			continue;
		}
		if (n >= CONFIG_MAX_DROPINS) {
			r = hv_log_err_errno(-E2BIG, "%s: more than %d drop-ins", dir, CONFIG_MAX_DROPINS);
			break;
		}
		nv = realloc(names, (n + 2) * sizeof(char *));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		names = nv;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		names[++n] = NULL;
	}
	if (r == 0 && errno != 0)
		r = hv_log_err_errno(hv_negative_errno(), "%s: cannot read drop-in directory: %m", dir);
	closedir(dp);
	if (r < 0)
		return r;
	qsort(names, n, sizeof(char *), cmp_str);
	*ret = TAKE_PTR(names);
	*ret_n = n;
	return 0;
}

int hv_config_directory(char **ret)
{
	const char *env = getenv("CONFIGURATION_DIRECTORY");
	size_t len;
	char *d;

	/* systemd passes a ':'-separated list when several are configured. */
	if (env && env[0] && (len = strcspn(env, ":")) > 0)
		d = strndup(env, len);
	else
		d = strdup(SYSCONFDIR "/hvutils");
	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

static int read_sources(struct hv_config *c)
{
	_cleanup_free_ char *dir = NULL, *main_file = NULL, *dropin_dir = NULL;
	_cleanup_(strv_freep) char **names = NULL;
	size_t n = 0;
	struct stat st;
	int r;

	if (c->file) {
		r = load_file(c, c->file, true);
		if (r < 0)
			return r;
		return add_file(c, c->file);
	}

	r = hv_config_directory(&dir);
	if (r < 0)
		return r;
	main_file = hv_path_getf(c->path, "%s/" CONFIG_MAIN_FILE, dir);
	dropin_dir = hv_path_getf(c->path, "%s/" CONFIG_DROPIN_DIR, dir);
	if (!main_file || !dropin_dir)
		return -ENOMEM;

	if (stat(main_file, &st) == 0 || errno != ENOENT) {
		r = load_file(c, main_file, true);
		if (r < 0)
			return r;
		r = add_file(c, main_file);
		if (r < 0)
			return r;
	} else {
		hv_log_debug("%s: not present, using defaults", main_file);
	}

	r = list_dropins(dropin_dir, &names, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *f = NULL;

		if (asprintf(&f, "%s/%s", dropin_dir, names[i]) < 0)
			return -ENOMEM;
		r = load_file(c, f, false);
		if (r < 0)
			return r;
		r = add_file(c, f);
		if (r < 0)
			return r;
	}
	return 0;
}

static int config_new(const struct hv_config_section *const *sections, size_t n_sections,
		      const struct hv_path *path, const char *file, struct hv_config **ret)
{
	_cleanup_(hv_config_freep) struct hv_config *c = NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sections = sections;
	c->n_sections = n_sections;
	c->path = path;
	if (file) {
		c->file = strdup(file);
		if (!c->file)
			return -ENOMEM;
	}
	c->files = calloc(1, sizeof(char *));
	c->data = calloc(n_sections ? n_sections : 1, sizeof(void *));
	if (!c->files || !c->data)
		return -ENOMEM;
	for (size_t i = 0; i < n_sections; i++) {
		c->data[i] = calloc(1, sections[i]->size ? sections[i]->size : 1);
		if (!c->data[i])
			return -ENOMEM;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int hv_config_load(const struct hv_config_section *const *sections, size_t n_sections,
		   const struct hv_config_source *src, struct hv_config **ret)
{
	_cleanup_(hv_config_freep) struct hv_config *c = NULL;
	int r;

	if (!ret || (n_sections > 0 && !sections))
		return -EINVAL;
	r = check_schema(sections, n_sections);
	if (r < 0)
		return r;
	r = config_new(sections, n_sections, src ? src->path : NULL, src ? src->file : NULL, &c);
	if (r < 0)
		return r;
	r = apply_defaults(c);
	if (r < 0)
		return r;
	r = read_sources(c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int hv_config_reload(struct hv_config **config)
{
	struct hv_config_source src;
	struct hv_config *n = NULL;
	int r;

	if (!config || !*config)
		return -EINVAL;
	src = (struct hv_config_source){ .path = (*config)->path, .file = (*config)->file };
	r = hv_config_load((*config)->sections, (*config)->n_sections, &src, &n);
	if (r < 0)
		return r;
	hv_config_free(*config);
	*config = n;
	return 0;
}

const void *hv_config_get(const struct hv_config *c, const struct hv_config_section *section)
{
	if (!c || !section)
		return NULL;
	for (size_t i = 0; i < c->n_sections; i++)
		if (c->sections[i] == section)
			return c->data[i];
	return NULL;
}

const void *hv_config_get_by_name(const struct hv_config *c, const char *section)
{
	ssize_t i;

	if (!c || !section)
		return NULL;
	i = find_section(c, section, strlen(section));
	return i < 0 ? NULL : c->data[i];
}

char *const *hv_config_get_files(const struct hv_config *c)
{
	return c ? c->files : NULL;
}

/* iniparser strips unquoted values and cuts them at ';' or '#'. */
static bool value_needs_quotes(const char *v)
{
	size_t len = strlen(v);

	return len > 0 && (strpbrk(v, ";#") || isspace((unsigned char)v[0]) ||
			   isspace((unsigned char)v[len - 1]) || v[0] == '"' || v[0] == '\'');
}

int hv_config_dump(const struct hv_config *c, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int r = 0;

	if (!c || !ret)
		return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;

	fputs("# Effective configuration.\n", f);
	if (c->n_files == 0)
		fputs("# No file was read: compiled-in defaults.\n", f);
	for (size_t i = 0; i < c->n_files; i++)
		fprintf(f, "# Read: %s\n", c->files[i]);

	for (size_t i = 0; r >= 0 && i < c->n_sections; i++) {
		const struct hv_config_section *s = c->sections[i];

		fprintf(f, "\n[%s]\n", s->name);
		for (size_t k = 0; k < s->n_items; k++) {
			const struct hv_config_item *it = &s->items[k];
			_cleanup_free_ char *v = NULL;

			r = it->type->format(it, (const uint8_t *)c->data[i] + it->offset, &v);
			if (r < 0)
				break;
			if (it->description)
				fprintf(f, "# %s\n", it->description);
			fprintf(f, "# Default: %s\n", it->default_value ? it->default_value : "(none)");
			if (!*v)
				fprintf(f, "%s =\n", it->key);
			else if (value_needs_quotes(v))
				fprintf(f, strchr(v, '"') ? "%s = '%s'\n" : "%s = \"%s\"\n", it->key, v);
			else
				fprintf(f, "%s = %s\n", it->key, v);
		}
	}
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}
