/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/json: objects from field tables (every type, table-driven), the
 * atomic file write (content, mode, no temporary left behind, old file kept
 * on failure), reading back, and daemon status paths under a path context.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/path.h"
#include "platform/json.h"

struct sample {
	const char *name;
	char *missing;
	bool on;
	int neg;
	unsigned big;
	int64_t i64;
	uint64_t u64;
	double ratio;
	char **list;
	char **empty;
};

static char *sample_list[] = { "a", "b", NULL };

static const struct sample sample = {
	.name = "hv-kvpd",
	.missing = NULL,
	.on = true,
	.neg = -3,
	.big = 4000000000u,
	.i64 = INT64_MIN,
	.u64 = UINT64_MAX,
	.ratio = 0.5,
	.list = sample_list,
	.empty = NULL,
};

static const struct hv_json_field sample_fields[] = {
	HV_JSON_FIELD("name", HV_JSON_STRING, struct sample, name),
	HV_JSON_FIELD("missing", HV_JSON_STRING, struct sample, missing),
	HV_JSON_FIELD("on", HV_JSON_BOOL, struct sample, on),
	HV_JSON_FIELD("neg", HV_JSON_INT, struct sample, neg),
	HV_JSON_FIELD("big", HV_JSON_UINT, struct sample, big),
	HV_JSON_FIELD("i64", HV_JSON_INT64, struct sample, i64),
	HV_JSON_FIELD("u64", HV_JSON_UINT64, struct sample, u64),
	HV_JSON_FIELD("ratio", HV_JSON_DOUBLE, struct sample, ratio),
	HV_JSON_FIELD("list", HV_JSON_STRV, struct sample, list),
	HV_JSON_FIELD("empty", HV_JSON_STRV, struct sample, empty),
};

struct field_case {
	char name[16];
	char json[64]; /* the member rendered alone */
};

static const struct field_case field_cases[] = {
	{ "name", "\"hv-kvpd\"" },
	{ "missing", "null" },
	{ "on", "true" },
	{ "neg", "-3" },
	{ "big", "4000000000" },
	{ "i64", "-9223372036854775808" },
	{ "u64", "18446744073709551615" },
	{ "ratio", "0.5" },
	{ "list", "[\"a\",\"b\"]" },
	{ "empty", "[]" },
};

ParameterizedTestParameters(json, fields)
{
	return cr_make_param_array(struct field_case, field_cases, ELEMENTSOF(field_cases));
}

ParameterizedTest(struct field_case *fc, json, fields)
{
	json_object *o = NULL, *v = NULL;

	cr_assert_eq(hv_json_from_fields(&sample, sample_fields, ELEMENTSOF(sample_fields), &o), 0);
	cr_assert_eq(json_object_object_length(o), (int)ELEMENTSOF(sample_fields));
	cr_assert(json_object_object_get_ex(o, fc->name, &v), "%s missing", fc->name);
	cr_assert_str_eq(v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "null", fc->json);
	json_object_put(o);
}

Test(json, bad_tables_are_rejected)
{
	static const struct hv_json_field bad_type[] = {
		{ .name = "x", .type = _HV_JSON_TYPE_MAX, .offset = 0 },
	};
	static const struct hv_json_field no_name[] = {
		{ .name = NULL, .type = HV_JSON_INT, .offset = 0 },
	};
	json_object *o = NULL, *arr = json_object_new_array();

	cr_assert_eq(hv_json_from_fields(&sample, bad_type, 1, &o), -EINVAL);
	cr_assert_null(o);
	cr_assert_eq(hv_json_from_fields(&sample, no_name, 1, &o), -EINVAL);
	cr_assert_eq(hv_json_add_fields(arr, &sample, sample_fields, 1), -EINVAL, "target must be an object");
	cr_assert_eq(hv_json_from_fields(&sample, sample_fields, 1, NULL), -EINVAL);
	json_object_put(arr);
}

Test(json, type_names)
{
	cr_assert_str_eq(hv_json_type_to_string(HV_JSON_UINT64), "uint64");
	cr_assert_eq(hv_json_type_from_string("strv"), HV_JSON_STRV);
	cr_assert_eq(hv_json_type_from_string("nope"), _HV_JSON_TYPE_INVALID);
	cr_assert_null(hv_json_type_to_string(_HV_JSON_TYPE_MAX));
}

/* ---- files ---- */

static char root[128];
static struct hv_path *path;

static void setup(void)
{
	strcpy(root, "/tmp/hv-test-json-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	path = hv_path_new(root);
	cr_assert_not_null(path);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'; rm -rf '%s'", root, root);
	(void)system(cmd);
	hv_path_free(path);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *file)
{
	char *text = NULL;

	cr_assert_geq(hv_read_text_file(file, 0, &text), 0, "%s", file);
	return text;
}

Test(json, write_file_atomically, .init = setup, .fini = teardown)
{
	json_object *o = NULL, *back = NULL, *v = NULL;
	char dir[256], file[300];
	struct stat st;
	char *text;

	snprintf(dir, sizeof(dir), "%s/out", root);
	snprintf(file, sizeof(file), "%s/out/state.json", root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(hv_json_from_fields(&sample, sample_fields, ELEMENTSOF(sample_fields), &o), 0);

	cr_assert_eq(hv_json_write_file(path, "/out/state.json", o, 0640), 0);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);
	cr_assert_eq(count_entries(dir), 1, "no temporary file may be left");
	text = slurp(file);
	cr_assert_not_null(strstr(text, "\"name\": \"hv-kvpd\""), "%s", text);
	free(text);

	cr_assert_eq(hv_json_read_file(path, "/out/state.json", &back), 0);
	cr_assert(json_object_object_get_ex(back, "u64", &v));
	cr_assert_eq(json_object_get_uint64(v), UINT64_MAX);
	json_object_put(back);

	/* Replacing: a new inode each time (rename, not rewrite in place). */
	{
		struct stat st2;
		json_object *small = json_object_new_object();

		json_object_object_add(small, "n", json_object_new_int(1));
		cr_assert_eq(hv_json_write_file(path, "/out/state.json", small, 0644), 0);
		cr_assert_eq(stat(file, &st2), 0);
		cr_assert_neq(st.st_ino, st2.st_ino);
		text = slurp(file);
		cr_assert_str_eq(text, "{\n  \"n\": 1\n}");
		free(text);
		json_object_put(small);
	}
	cr_assert_eq(count_entries(dir), 1);
	json_object_put(o);
}

Test(json, failed_write_leaves_no_temporary, .init = setup, .fini = teardown)
{
	json_object *o = json_object_new_object();
	char dir[256], target[300];

	/* rename() onto a directory fails (EISDIR) after everything was written. */
	snprintf(dir, sizeof(dir), "%s/out", root);
	snprintf(target, sizeof(target), "%s/out/state.json", root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(mkdir(target, 0755), 0);
	cr_assert_eq(hv_json_write_file(path, "/out/state.json", o, 0644), -EISDIR);
	cr_assert_eq(count_entries(dir), 1, "the temporary file must be removed");
	json_object_put(o);
}

Test(json, write_file_checks_arguments, .init = setup, .fini = teardown)
{
	json_object *o = json_object_new_object();

	cr_assert_eq(hv_json_write_file(path, "/nodir/x.json", o, 0644), -ENOENT);
	cr_assert_eq(hv_json_write_file(path, "/", o, 0644), -EINVAL);
	cr_assert_eq(hv_json_write_file(path, NULL, o, 0644), -EINVAL);
	cr_assert_eq(hv_json_write_file(path, "/x.json", NULL, 0644), -EINVAL);
	json_object_put(o);
}

struct read_case {
	char text[32];
	int error;
};

static const struct read_case read_cases[] = {
	{ "{\"a\": 1}\n", 0 },
	{ "[1, 2]", 0 },
	{ "{\"a\": ", -EBADMSG },
	{ "{} {}", -EBADMSG },
	{ "nope", -EBADMSG },
	{ "", -EBADMSG },
};

ParameterizedTestParameters(json, read_file)
{
	return cr_make_param_array(struct read_case, read_cases, ELEMENTSOF(read_cases));
}

ParameterizedTest(struct read_case *rc, json, read_file, .init = setup, .fini = teardown)
{
	json_object *o = NULL;
	char file[256];
	FILE *f;

	snprintf(file, sizeof(file), "%s/in.json", root);
	f = fopen(file, "we");
	cr_assert_not_null(f);
	fputs(rc->text, f);
	fclose(f);
	cr_assert_eq(hv_json_read_file(path, "/in.json", &o), rc->error, "'%s'", rc->text);
	if (rc->error == 0)
		cr_assert_not_null(o);
	else
		cr_assert_null(o);
	json_object_put(o);
	cr_assert_eq(hv_json_read_file(path, "/missing.json", &o), -ENOENT);
}

struct status_case {
	char daemon[32];
	int error;
};

static const struct status_case status_cases[] = {
	{ "hv-kvpd", 0 }, { "hv_vssd.2", 0 }, { "", -EINVAL }, { "../etc/passwd", -EINVAL },
	{ "a/b", -EINVAL }, { ".hidden", -EINVAL }, { "sp ace", -EINVAL },
};

ParameterizedTestParameters(json, status_path)
{
	return cr_make_param_array(struct status_case, status_cases, ELEMENTSOF(status_cases));
}

ParameterizedTest(struct status_case *sc, json, status_path)
{
	char *p = NULL, want[256];

	cr_assert_eq(hv_json_status_path(sc->daemon, &p), sc->error, "'%s'", sc->daemon);
	if (sc->error == 0) {
		snprintf(want, sizeof(want), RUNSTATEDIR "/hvutils/%s.json", sc->daemon);
		cr_assert_str_eq(p, want);
	} else {
		cr_assert_null(p);
	}
	free(p);
}

Test(json, write_status_creates_its_directory, .init = setup, .fini = teardown)
{
	json_object *o = json_object_new_object(), *back = NULL, *v = NULL;
	char file[512];

	json_object_object_add(o, "state", json_object_new_string("ready"));
	cr_assert_eq(hv_json_write_status(path, "hv-testd", o), 0);
	snprintf(file, sizeof(file), "%s" RUNSTATEDIR "/hvutils/hv-testd.json", root);
	cr_assert_eq(access(file, R_OK), 0, "%s", file);
	cr_assert_eq(hv_json_read_file(path, RUNSTATEDIR "/hvutils/hv-testd.json", &back), 0);
	cr_assert(json_object_object_get_ex(back, "state", &v));
	cr_assert_str_eq(json_object_get_string(v), "ready");
	cr_assert_eq(hv_json_write_status(path, "../escape", o), -EINVAL);
	json_object_put(back);
	json_object_put(o);
}
