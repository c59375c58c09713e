/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-c helpers (see json.h).  The atomic write follows the usual recipe:
 * mkostemp() next to the target (a rename across filesystems would not be
 * atomic), write everything, fchmod, fsync, close, rename, then fsync the
 * directory so the rename itself is durable.  Any failure removes the
 * temporary file and leaves the old target untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/string-table.h"
#include "platform/json.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

#define JSON_READ_MAX (1024 * 1024)

static const char *const hv_json_type_table[_HV_JSON_TYPE_MAX] = {
	[HV_JSON_STRING] = "string", [HV_JSON_BOOL] = "bool",     [HV_JSON_INT] = "int",
	[HV_JSON_UINT] = "uint",     [HV_JSON_INT64] = "int64",   [HV_JSON_UINT64] = "uint64",
	[HV_JSON_DOUBLE] = "double", [HV_JSON_STRV] = "strv",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_json_type, enum hv_json_type);

static void json_object_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}

static json_object *field_value(const void *obj, const struct hv_json_field *f, int *ret_error)
{
	const uint8_t *p = (const uint8_t *)obj + f->offset;
	json_object *v = NULL;

	*ret_error = 0;
	switch (f->type) {
	case HV_JSON_STRING: {
		const char *s;

		memcpy(&s, p, sizeof(s));
		return s ? json_object_new_string(s) : NULL;
	}
	case HV_JSON_BOOL:
		return json_object_new_boolean(*(const bool *)p);
	case HV_JSON_INT:
		return json_object_new_int(*(const int *)p);
	case HV_JSON_UINT:
		return json_object_new_int64(*(const unsigned *)p);
	case HV_JSON_INT64:
		return json_object_new_int64(*(const int64_t *)p);
	case HV_JSON_UINT64:
		return json_object_new_uint64(*(const uint64_t *)p);
	case HV_JSON_DOUBLE:
		return json_object_new_double(*(const double *)p);
	case HV_JSON_STRV: {
		char *const *v2;

		memcpy(&v2, p, sizeof(v2));
		v = json_object_new_array();
		if (!v)
			break;
		for (size_t i = 0; v2 && v2[i]; i++) {
			json_object *s = json_object_new_string(v2[i]);

			if (!s || json_object_array_add(v, s) < 0) {
				json_object_put(s);
				json_object_put(v);
				*ret_error = -ENOMEM;
				return NULL;
			}
		}
		return v;
	}
	case _HV_JSON_TYPE_MAX:
	case _HV_JSON_TYPE_INVALID:
		*ret_error = -EINVAL;
		return NULL;
	}
	*ret_error = -ENOMEM;
	return NULL;
}

int hv_json_add_fields(json_object *target, const void *obj, const struct hv_json_field *fields,
		       size_t n_fields)
{
	if (!target || !json_object_is_type(target, json_type_object) || !obj || (n_fields && !fields))
		return -EINVAL;
	for (size_t i = 0; i < n_fields; i++) {
		const struct hv_json_field *f = &fields[i];
		json_object *v;
		int r;

		if (!f->name || (unsigned)f->type >= _HV_JSON_TYPE_MAX)
			return -EINVAL;
		v = field_value(obj, f, &r);
		if (r < 0)
			return r;
		/* A NULL string is a JSON null; anything else NULL here is OOM. */
		if (!v && f->type != HV_JSON_STRING)
			return -ENOMEM;
		if (json_object_object_add(target, f->name, v) < 0) {
			json_object_put(v);
			return -ENOMEM;
		}
	}
	return 0;
}

int hv_json_from_fields(const void *obj, const struct hv_json_field *fields, size_t n_fields,
			json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = hv_json_add_fields(o, obj, fields, n_fields);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return hv_negative_errno();
	if (fsync(fd) < 0 && errno != EINVAL)
		return hv_negative_errno();
	return 0;
}

int hv_json_write_file(const struct hv_path *p, const char *abs_path, json_object *obj, mode_t mode)
{
	_cleanup_free_ char *path = NULL, *dir = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *text, *base;
	int r;

	if (!abs_path || !obj)
		return -EINVAL;
	path = hv_path_get(p, abs_path);
	if (!path)
		return -ENOMEM;
	base = strrchr(path, '/');
	if (!base || !base[1])
		return -EINVAL;
	dir = base == path ? strdup("/") : strndup(path, (size_t)(base - path));
	if (!dir || asprintf(&tmp, "%s/.#%sXXXXXX", dir, base + 1) < 0)
		return -ENOMEM;

	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hv_negative_errno();
	r = hv_write_all(fd, text, strlen(text));
	if (r >= 0)
		r = hv_write_all(fd, "\n", 1);
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = hv_negative_errno();
	if (r >= 0 && fsync(fd) < 0)
		r = hv_negative_errno();
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = hv_negative_errno();
	if (r >= 0 && rename(tmp, path) < 0)
		r = hv_negative_errno();
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	/* The new content is in place; a failed directory sync only weakens durability. */
	r = fsync_dir(dir);
	if (r < 0)
		hv_log_debug_errno(r, "%s: fsync of the directory failed, ignoring: %m", dir);
	return 0;
}

int hv_json_read_file(const struct hv_path *p, const char *abs_path, json_object **ret)
{
	_cleanup_free_ char *text = NULL;
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *o;
	int r;

	if (!abs_path || !ret)
		return -EINVAL;
	r = hv_path_read_text(p, abs_path, JSON_READ_MAX, &text);
	if (r < 0)
		return r;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, r);
	jerr = json_tokener_get_error(tok);
	/* The whole text must be one value (trailing whitespace aside). */
	if (o && jerr == json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);

		while (text[off] == ' ' || text[off] == '\n' || text[off] == '\t' || text[off] == '\r')
			off++;
		if (text[off] != '\0')
			jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

int hv_json_status_path(const char *daemon, char **ret)
{
	char *s;

	if (!daemon || !daemon[0] || daemon[0] == '.' || !ret)
		return -EINVAL;
	for (const char *c = daemon; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '_' || *c == '.'))
			return -EINVAL;
	if (asprintf(&s, RUNSTATEDIR "/hvutils/%s.json", daemon) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int hv_json_write_status(const struct hv_path *p, const char *daemon, json_object *obj)
{
	_cleanup_free_ char *abs = NULL, *dir = NULL;
	char *slash;
	int r;

	r = hv_json_status_path(daemon, &abs);
	if (r < 0)
		return r;
	dir = hv_path_get(p, abs);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return -EINVAL;
	*slash = '\0';
	r = hv_mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	return hv_json_write_file(p, abs, obj, 0644);
}
