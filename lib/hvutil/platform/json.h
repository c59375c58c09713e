/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-c helpers: objects built from field tables, and files written
 * atomically (temporary file in the same directory, fsync, rename, fsync of
 * the directory), so a reader such as `hvctl status` sees the old file or the
 * new one, never a torn one.
 *
 * Daemon status files live in RUNSTATEDIR "/hvutils/<daemon>.json"
 * (/run/hvutils on a packaged system), resolved through the path context.
 */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hv_path;

enum hv_json_type {
	HV_JSON_STRING, /* const char * or char *; NULL gives null */
	HV_JSON_BOOL,   /* bool */
	HV_JSON_INT,    /* int */
	HV_JSON_UINT,   /* unsigned */
	HV_JSON_INT64,  /* int64_t */
	HV_JSON_UINT64, /* uint64_t */
	HV_JSON_DOUBLE, /* double */
	HV_JSON_STRV,   /* char ** (NULL-terminated; NULL gives []) */
	_HV_JSON_TYPE_MAX,
	_HV_JSON_TYPE_INVALID = -EINVAL,
};

const char *hv_json_type_to_string(enum hv_json_type t);
enum hv_json_type hv_json_type_from_string(const char *s);

struct hv_json_field {
	const char *name;
	enum hv_json_type type;
	size_t offset; /* offsetof() into the struct given to the builder */
};

#define HV_JSON_FIELD(n, t, st, f) { .name = (n), .type = (t), .offset = offsetof(st, f) }

/* Add one member per field of obj to target (an object). */
int hv_json_add_fields(json_object *target, const void *obj, const struct hv_json_field *fields,
		       size_t n_fields);
/* A new object with one member per field. */
int hv_json_from_fields(const void *obj, const struct hv_json_field *fields, size_t n_fields,
			json_object **ret);

/*
 * Write obj (pretty-printed, with a trailing newline) to abs_path under the
 * path context, atomically, with the given mode.  The directory must exist.
 */
int hv_json_write_file(const struct hv_path *p, const char *abs_path, json_object *obj, mode_t mode);
/* Parse a JSON file (at most 1 MiB). -EBADMSG if it is not JSON. */
int hv_json_read_file(const struct hv_path *p, const char *abs_path, json_object **ret);

/* RUNSTATEDIR "/hvutils/<daemon>.json" (not prefixed); -EINVAL for a name
 * that is not [A-Za-z0-9_.-]+ or starts with '.'. */
int hv_json_status_path(const char *daemon, char **ret);
/* Write a daemon's status file (mode 0644), creating its directory (0755). */
int hv_json_write_status(const struct hv_path *p, const char *daemon, json_object *obj);
