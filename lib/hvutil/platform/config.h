/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration files, driven by a schema table (after systemd's
 * timesyncd-gperf.gperf): iniparser is only the lexer.
 *
 * Files, in this order, later ones overriding earlier ones key by key:
 *
 *   <dir>/hvutils.conf
 *   <dir>/hvutils.conf.d/ *.conf      (sorted by name, byte order)
 *
 * where <dir> is the first entry of $CONFIGURATION_DIRECTORY when set (systemd's
 * ConfigurationDirectory=), else SYSCONFDIR "/hvutils", resolved through the path
 * context.  An explicit file (--config FILE) replaces the whole search and is
 * taken literally.  A missing hvutils.conf or drop-in directory is not an error;
 * a missing explicit file is.
 *
 * Each program declares the sections it owns as tables of struct
 * hv_config_section: a section name, the size of the C struct that holds its
 * values and one struct hv_config_item per key (key, value type, offsetof() of
 * the field, default as a string, description).  The section name is given
 * once per section rather than once per key, so a table cannot disagree with
 * itself.  Loading yields a struct hv_config holding one filled struct per
 * section; hv_config_get() returns it.
 *
 * Rules:
 *  - keys and section names are case-insensitive (iniparser lowercases them,
 *    so schema keys must be lowercase);
 *  - an empty value ("key =") resets the key to its default;
 *  - an unknown key, an unknown section or a key outside any section is a
 *    warning and is ignored; sections the suite knows but the program does not
 *    load (another daemon's [kvp] in a daemon that is not hv-kvpd) are skipped
 *    silently;
 *  - a bad value, a syntax error or an unreadable file fails the whole load,
 *    naming file, section, key, the value and what was expected.  Nothing is
 *    half applied: a load builds a new object, and hv_config_reload() swaps it
 *    in only on success, so SIGHUP with a broken file keeps the old config.
 *
 * All messages go to the log sink (base/log.h), including iniparser's own,
 * which it would otherwise print on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macros.h"

struct hv_path;
struct hv_config_item;

/*
 * A value type.  parse() stores the parsed value in *field on success, freeing
 * what was there, and leaves *field untouched on failure (-EINVAL for bad
 * syntax, -ERANGE for out of range).  format() renders the value as it could
 * be written in the file (malloc'd).  expected() describes what parse()
 * accepts, for error messages.  free() releases a field (NULL when the type
 * owns no memory).
 */
struct hv_config_type {
	const char *name;
	size_t size; /* sizeof the field */
	int (*parse)(const struct hv_config_item *item, const char *value, void *field);
	int (*format)(const struct hv_config_item *item, const void *field, char **ret);
	void (*expected)(const struct hv_config_item *item, char *buf, size_t size);
	void (*free)(void *field);
};

/* The C type of each one's field is the one its HV_CONFIG_*() macro below checks. */
extern const struct hv_config_type hv_config_bool;
extern const struct hv_config_type hv_config_int;      /* range [min, max] unless both are 0 */
extern const struct hv_config_type hv_config_uint;     /* range [min, max] unless both are 0 */
extern const struct hv_config_type hv_config_string;
extern const struct hv_config_type hv_config_enum;     /* index into table, case-insensitive */
extern const struct hv_config_type hv_config_duration; /* "30s", "5min", "1h 30min", "45" = 45 s */
extern const struct hv_config_type hv_config_globs;    /* glob patterns, space or comma separated */
extern const struct hv_config_type hv_config_path;     /* absolute, no ".." component */
extern const struct hv_config_type hv_config_paths;    /* paths as above, space or comma separated */
extern const struct hv_config_type hv_config_mode;     /* permission bits in octal, 0000 to 0777 */
extern const struct hv_config_type hv_config_account;  /* a user or group, name or number (not looked up) */
extern const struct hv_config_type hv_config_log_level; /* int, base/log.h levels by name or 0..7 */

struct hv_config_item {
	const char *key;
	const struct hv_config_type *type;
	size_t offset;
	const char *default_value; /* parsed at load time; NULL leaves the field zero */
	const char *description;
	/*
	 * type-specific: ranges (duration ranges in microseconds; for globs and
	 * paths max is the most words, 0 for 256), enum names
	 */
	long long min, max;
	const char *const *table;
	size_t table_len;
};

struct hv_config_section {
	const char *name;
	size_t size; /* sizeof the struct the items' offsets point into */
	const struct hv_config_item *items;
	size_t n_items;
};

/*
 * offsetof() that also checks the field's C type against the value type at
 * compile time: a table cannot point a bool parser at an int.
 */
#define HV_CONFIG_OFFSET(st, field, ctype)                                                   \
	(offsetof(st, field) +                                                              \
	 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((st *)0)->field), ctype) ? 1 : -1]))

#define HV_CONFIG_BOOL(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_bool, .offset = HV_CONFIG_OFFSET(st, f, bool), \
	  .default_value = (def), .description = (desc) }
#define HV_CONFIG_INT(k, st, f, def, desc, lo, hi) \
	{ .key = (k), .type = &hv_config_int, .offset = HV_CONFIG_OFFSET(st, f, int), \
	  .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
#define HV_CONFIG_UINT(k, st, f, def, desc, lo, hi) \
	{ .key = (k), .type = &hv_config_uint, .offset = HV_CONFIG_OFFSET(st, f, unsigned), \
	  .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
#define HV_CONFIG_STRING(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_string, .offset = HV_CONFIG_OFFSET(st, f, char *), \
	  .default_value = (def), .description = (desc) }
#define HV_CONFIG_ENUM(k, st, f, def, desc, tbl) \
	{ .key = (k), .type = &hv_config_enum, .offset = HV_CONFIG_OFFSET(st, f, int), \
	  .default_value = (def), .description = (desc), .table = (tbl), \
	  .table_len = ELEMENTSOF(tbl) }
#define HV_CONFIG_DURATION(k, st, f, def, desc, lo, hi) \
	{ .key = (k), .type = &hv_config_duration, .offset = HV_CONFIG_OFFSET(st, f, uint64_t), \
	  .default_value = (def), .description = (desc), .min = (lo), .max = (hi) }
#define HV_CONFIG_GLOBS(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_globs, .offset = HV_CONFIG_OFFSET(st, f, char **), \
	  .default_value = (def), .description = (desc) }
#define HV_CONFIG_PATH(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_path, .offset = HV_CONFIG_OFFSET(st, f, char *), \
	  .default_value = (def), .description = (desc) }
#define HV_CONFIG_PATHS(k, st, f, def, desc, most) \
	{ .key = (k), .type = &hv_config_paths, .offset = HV_CONFIG_OFFSET(st, f, char **), \
	  .default_value = (def), .description = (desc), .max = (most) }
#define HV_CONFIG_MODE(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_mode, .offset = HV_CONFIG_OFFSET(st, f, unsigned), \
	  .default_value = (def), .description = (desc) }
#define HV_CONFIG_ACCOUNT(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_account, .offset = HV_CONFIG_OFFSET(st, f, char *), \
	  .default_value = (def), .description = (desc) }
#define HV_CONFIG_LOG_LEVEL(k, st, f, def, desc) \
	{ .key = (k), .type = &hv_config_log_level, .offset = HV_CONFIG_OFFSET(st, f, int), \
	  .default_value = (def), .description = (desc) }

#define HV_USEC_PER_SEC UINT64_C(1000000)

/* [general]: keys every program reads. */
struct hv_config_general {
	int log_level;
};
extern const struct hv_config_section hv_config_general_section;

/* Where to read from.  path: NULL means the real root.  file: explicit file or NULL. */
struct hv_config_source {
	const struct hv_path *path;
	const char *file;
};

struct hv_config;

/*
 * Apply defaults, then read the files of src in order.  sections: the
 * program's schema (the array and the sections must outlive the config;
 * src->path too).  -EINVAL for a bad value or a bad schema, -EBADMSG for
 * an INI syntax error, -ENOENT for a missing explicit file, other -errno
 * for I/O errors; each logged once with the file name.
 */
int hv_config_load(const struct hv_config_section *const *sections, size_t n_sections,
		   const struct hv_config_source *src, struct hv_config **ret);

/* Load again from the same sources and schema; replaces *config only on success. */
int hv_config_reload(struct hv_config **config);

struct hv_config *hv_config_free(struct hv_config *c);

/* The filled struct of a section of the schema, or NULL if it is not in it. */
const void *hv_config_get(const struct hv_config *c, const struct hv_config_section *section);
const void *hv_config_get_by_name(const struct hv_config *c, const char *section);

/* Files actually read, in order (NULL-terminated). */
char *const *hv_config_get_files(const struct hv_config *c);

/*
 * The effective configuration as INI text that hv_config_load() reads back
 * to the same values: the files read, then every section and key with its
 * description and default as comments.  ret is malloc'd.
 */
int hv_config_dump(const struct hv_config *c, char **ret);

/* The directory searched by default: $CONFIGURATION_DIRECTORY or SYSCONFDIR "/hvutils" (not prefixed). */
int hv_config_directory(char **ret);

/* Helpers shared with other parsers, exposed for tests. */
int hv_config_parse_duration(const char *s, uint64_t *ret_usec);
int hv_config_format_duration(uint64_t usec, char **ret);
int hv_config_parse_bool(const char *s);
