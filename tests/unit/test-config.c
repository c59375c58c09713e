/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/config: value types (table-driven, good and bad values), the
 * search order and drop-ins (fixtures under tests/fixtures/config), warnings
 * for unknown keys and sections, errors naming file, section, key, value and
 * what was expected, reload keeping the old config on error, and dump.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/path.h"
#include "platform/config.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

/* ---- the schema used throughout ---- */

struct test_cfg {
	bool flag;
	int level;
	unsigned count;
	char *name;
	int mode;
	uint64_t timeout;
	char **exclude;
	char *dir;
	unsigned small;
	char **dirs;
	unsigned perm;
	char *user;
};

static const char *const mode_table[] = { "off", "on", "auto" };

static const struct hv_config_item test_items[] = {
	HV_CONFIG_BOOL("flag", struct test_cfg, flag, "no", "A flag"),
	HV_CONFIG_INT("level", struct test_cfg, level, "5", "A level", -10, 10),
	HV_CONFIG_UINT("count", struct test_cfg, count, "3", "A count", 0, 0),
	HV_CONFIG_STRING("name", struct test_cfg, name, "default", "A name"),
	HV_CONFIG_ENUM("mode", struct test_cfg, mode, "auto", "A mode", mode_table),
	HV_CONFIG_DURATION("timeout", struct test_cfg, timeout, "30s", "A timeout", 0, 0),
	HV_CONFIG_GLOBS("exclude", struct test_cfg, exclude, "loop* ram*", "Excluded devices"),
	HV_CONFIG_PATH("dir", struct test_cfg, dir, "/var/lib/test", "A directory"),
	HV_CONFIG_UINT("small", struct test_cfg, small, "2", "A small number", 1, 9),
	HV_CONFIG_PATHS("dirs", struct test_cfg, dirs, "/srv", "Directories", 3),
	HV_CONFIG_MODE("perm", struct test_cfg, perm, "0640", "A file mode"),
	HV_CONFIG_ACCOUNT("user", struct test_cfg, user, "root", "A user"),
};

static const struct hv_config_section test_section = {
	.name = "test",
	.size = sizeof(struct test_cfg),
	.items = test_items,
	.n_items = ELEMENTSOF(test_items),
};

static const struct hv_config_section *const schema[] = { &hv_config_general_section, &test_section };

/* ---- log capture ---- */

static char logbuf[16384];

static void capture_sink(void *userdata, int level, const char *file, int line, const char *func,
			 const char *format, va_list ap)
{
	size_t used = strlen(logbuf);

	if (used + 2 >= sizeof(logbuf))
		return;
	snprintf(logbuf + used, sizeof(logbuf) - used, "<%d>", level);
	used = strlen(logbuf);
	vsnprintf(logbuf + used, sizeof(logbuf) - used, format, ap);
	used = strlen(logbuf);
	if (used + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
}

static char tmpdir[256];

static void setup(void)
{
	logbuf[0] = '\0';
	hv_log_set_sink(capture_sink, NULL);
	hv_log_set_max_level(HV_LOG_DEBUG);
	strcpy(tmpdir, "/tmp/hv-test-config-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	setenv("CONFIGURATION_DIRECTORY", "/etc/hvutils", 1);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)system(cmd);
	hv_log_set_sink(NULL, NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "fopen %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* A file in tmpdir; path returned in a static buffer. */
static const char *tmp_file(const char *name, const char *text)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_file(path, text);
	return path;
}

static int load_explicit(const char *file, struct hv_config **ret)
{
	struct hv_config_source src = { .file = file };

	return hv_config_load(schema, ELEMENTSOF(schema), &src, ret);
}

static const struct test_cfg *cfg_of(const struct hv_config *c)
{
	const struct test_cfg *t = hv_config_get(c, &test_section);

	cr_assert_not_null(t);
	return t;
}

static char *fixture_root(const char *scenario)
{
	const char *top = getenv("HV_TOP_SRCDIR");
	char *p;

	cr_assert_geq(asprintf(&p, "%s/tests/fixtures/config/%s", top ? top : HV_TOP_SRCDIR_DEFAULT, scenario),
		      0);
	return p;
}

/* ---- value types, table-driven ---- */

struct value_case {
	const char *key;
	const char *value;
	int error; /* 0, -EINVAL or -ERANGE */
	const char *formatted; /* the field as dumped, when error == 0 */
};

static const struct value_case value_cases[] = {
	{ "flag", "yes", 0, "yes" },
	{ "flag", "On", 0, "yes" },
	{ "flag", "1", 0, "yes" },
	{ "flag", "FALSE", 0, "no" },
	{ "flag", "off", 0, "no" },
	{ "flag", "maybe", -EINVAL, NULL },
	{ "flag", "2", -EINVAL, NULL },
	{ "level", "-10", 0, "-10" },
	{ "level", "10", 0, "10" },
	{ "level", "+3", 0, "3" },
	{ "level", "11", -ERANGE, NULL },
	{ "level", "-11", -ERANGE, NULL },
	{ "level", "abc", -EINVAL, NULL },
	{ "level", "1.5", -EINVAL, NULL },
	{ "level", "0x10", -EINVAL, NULL },
	{ "level", "3 apples", -EINVAL, NULL },
	{ "level", "99999999999999999999", -ERANGE, NULL },
	{ "count", "0", 0, "0" },
	{ "count", "4294967295", 0, "4294967295" },
	{ "count", "4294967296", -ERANGE, NULL },
	{ "count", "-1", -EINVAL, NULL },
	{ "count", "+1", -EINVAL, NULL },
	{ "small", "9", 0, "9" },
	{ "small", "0", -ERANGE, NULL },
	{ "small", "10", -ERANGE, NULL },
	{ "name", "hello world", 0, "hello world" },
	{ "name", "\"a ; b # c\"", 0, "a ; b # c" },
	{ "name", "x ; trailing comment", 0, "x" },
	{ "mode", "off", 0, "off" },
	{ "mode", "AUTO", 0, "auto" },
	{ "mode", "sometimes", -EINVAL, NULL },
	{ "timeout", "45", 0, "45s" },
	{ "timeout", "30s", 0, "30s" },
	{ "timeout", "5min", 0, "5min" },
	{ "timeout", "1h 30min", 0, "1h 30min" },
	{ "timeout", "90s", 0, "1min 30s" },
	{ "timeout", "1500ms", 0, "1s 500ms" },
	{ "timeout", "2 days", 0, "2d" },
	{ "timeout", "250us", 0, "250us" },
	{ "timeout", "0", 0, "0" },
	{ "timeout", "5 fortnights", -EINVAL, NULL },
	{ "timeout", "min", -EINVAL, NULL },
	{ "timeout", "-5s", -EINVAL, NULL },
	{ "timeout", "5s!", -EINVAL, NULL },
	{ "timeout", "300000000000d", -ERANGE, NULL },
	{ "timeout", "99999999999999999999", -ERANGE, NULL },
	{ "exclude", "a b,c", 0, "a b c" },
	{ "exclude", "loop*, ram* ,sr[0-9]", 0, "loop* ram* sr[0-9]" },
	{ "exclude", "sd[abc", -EINVAL, NULL },
	{ "exclude", ", ,", -EINVAL, NULL },
	{ "dir", "/srv//data/", 0, "/srv/data" },
	{ "dir", "/./x/.", 0, "/x" },
	{ "dir", "/", 0, "/" },
	{ "dir", "relative/dir", -EINVAL, NULL },
	{ "dir", "/a/../b", -EINVAL, NULL },
	{ "dirs", "/srv//in/ /home,/tmp/./x", 0, "/srv/in /home /tmp/x" },
	{ "dirs", "/", 0, "/" },
	{ "dirs", "/a /b /c /d", -ERANGE, NULL },
	{ "dirs", "/a relative", -EINVAL, NULL },
	{ "dirs", "/a/../b", -EINVAL, NULL },
	{ "dirs", ",,", -EINVAL, NULL },
	{ "perm", "600", 0, "0600" },
	{ "perm", "0777", 0, "0777" },
	{ "perm", "0", 0, "0000" },
	{ "perm", "0999", -EINVAL, NULL },
	{ "perm", "4755", -ERANGE, NULL },
	{ "perm", "-1", -EINVAL, NULL },
	{ "perm", "rw-r--r--", -EINVAL, NULL },
	{ "user", "1000", 0, "1000" },
	{ "user", "backup-user_1.x", 0, "backup-user_1.x" },
	{ "user", "host$", 0, "host$" },
	{ "user", "4294967295", -ERANGE, NULL },
	{ "user", "a/b", -EINVAL, NULL },
	{ "user", "-x", -EINVAL, NULL },
	{ "user", "a$b", -EINVAL, NULL },
};

/*
 * Criterion runs each parameter in a re-executed worker, so parameters are
 * indices into the table (the same binary has the same table).
 */
ParameterizedTestParameters(config, value)
{
	static size_t idx[ELEMENTSOF(value_cases)];

	for (size_t i = 0; i < ELEMENTSOF(idx); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, ELEMENTSOF(idx));
}

ParameterizedTest(size_t *i, config, value, .init = setup, .fini = teardown)
{
	const struct value_case *vc = &value_cases[*i];
	struct hv_config *c = NULL;
	const struct hv_config_item *it = NULL;
	char text[512], pattern[1024];
	const char *file;
	int r;

	snprintf(text, sizeof(text), "[test]\n%s = %s\n", vc->key, vc->value);
	file = tmp_file("value.conf", text);
	r = load_explicit(file, &c);
	cr_assert_eq(r, vc->error, "%s = %s: got %d, want %d; log:\n%s", vc->key, vc->value, r, vc->error,
		     logbuf);
	if (vc->error < 0) {
		cr_assert_null(c, "ret must not be written on failure");
		/* file:section:key: ... 'value', expected ... */
		snprintf(pattern, sizeof(pattern), "%s:test:%s: ", file, vc->key);
		cr_assert_not_null(strstr(logbuf, pattern), "no '%s' in:\n%s", pattern, logbuf);
		cr_assert_not_null(strstr(logbuf, vc->value), "value missing in:\n%s", logbuf);
		cr_assert_not_null(strstr(logbuf, ", expected "), "expectation missing in:\n%s", logbuf);
		cr_assert_not_null(strstr(logbuf, vc->error == -ERANGE ? "out of range" : "invalid value"));
		return;
	}
	for (size_t k = 0; k < ELEMENTSOF(test_items); k++)
		if (strcmp(test_items[k].key, vc->key) == 0)
			it = &test_items[k];
	cr_assert_not_null(it);
	{
		char *out = NULL;

		cr_assert_eq(it->type->format(it, (const uint8_t *)cfg_of(c) + it->offset, &out), 0);
		cr_assert_str_eq(out, vc->formatted, "%s = %s", vc->key, vc->value);
		free(out);
	}
	hv_config_free(c);
}

struct level_case {
	char value[16];
	int level;
};

static const struct level_case level_cases[] = {
	{ "debug", HV_LOG_DEBUG }, { "7", HV_LOG_DEBUG }, { "Warning", HV_LOG_WARNING },
	{ "err", HV_LOG_ERR },     { "error", HV_LOG_ERR }, { "loud", -EINVAL },
	{ "8", -EINVAL },          { "-1", -EINVAL },
};

ParameterizedTestParameters(config, general_log_level)
{
	return cr_make_param_array(struct level_case, level_cases, ELEMENTSOF(level_cases));
}

ParameterizedTest(struct level_case *lc, config, general_log_level, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL;
	char text[128];
	int r;

	snprintf(text, sizeof(text), "[general]\nlog-level = %s\n", lc->value);
	r = load_explicit(tmp_file("general.conf", text), &c);
	if (lc->level < 0) {
		cr_assert_eq(r, -EINVAL);
		cr_assert_not_null(strstr(logbuf, ":general:log-level: invalid value"), "%s", logbuf);
		return;
	}
	cr_assert_eq(r, 0, "%s", logbuf);
	cr_assert_eq(((const struct hv_config_general *)hv_config_get(c, &hv_config_general_section))->log_level,
		     lc->level);
	hv_config_free(c);
}

/* ---- duration helpers on their own ---- */

Test(config, duration_round_trip)
{
	static const uint64_t values[] = { 0, 1, 999, 1000, 1000000, 61000000, 3600000000ULL,
					   86400000000ULL + 1, UINT64_MAX };

	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		char *s = NULL;
		uint64_t back = 42;

		cr_assert_eq(hv_config_format_duration(values[i], &s), 0);
		cr_assert_eq(hv_config_parse_duration(s, &back), 0, "%s", s);
		cr_assert_eq(back, values[i], "%s", s);
		free(s);
	}
}

/* ---- defaults, search order, drop-ins ---- */

Test(config, defaults_without_files, .init = setup, .fini = teardown)
{
	struct hv_path *p = hv_path_new(tmpdir);
	struct hv_config_source src = { .path = p };
	struct hv_config *c = NULL;
	const struct test_cfg *t;

	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), 0, "%s", logbuf);
	t = cfg_of(c);
	cr_assert_eq(t->flag, false);
	cr_assert_eq(t->level, 5);
	cr_assert_eq(t->count, 3);
	cr_assert_str_eq(t->name, "default");
	cr_assert_eq(t->mode, 2);
	cr_assert_eq(t->timeout, 30 * HV_USEC_PER_SEC);
	cr_assert_str_eq(t->exclude[0], "loop*");
	cr_assert_str_eq(t->exclude[1], "ram*");
	cr_assert_null(t->exclude[2]);
	cr_assert_str_eq(t->dir, "/var/lib/test");
	cr_assert_eq(((const struct hv_config_general *)hv_config_get_by_name(c, "general"))->log_level,
		     HV_LOG_INFO);
	cr_assert_null(hv_config_get_files(c)[0]);
	cr_assert_null(hv_config_get_by_name(c, "kvp"));
	hv_config_free(c);
	hv_path_free(p);
}

Test(config, dropins_sorted_and_override, .init = setup, .fini = teardown)
{
	char *root = fixture_root("dropins");
	struct hv_path *p = hv_path_new(root);
	struct hv_config_source src = { .path = p };
	struct hv_config *c = NULL;
	const struct test_cfg *t;
	char *const *files;
	char want[1024];

	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), 0, "%s", logbuf);
	t = cfg_of(c);
	/* 20-later.conf beats 10-first.conf beats hvutils.conf */
	cr_assert_str_eq(t->name, "twenty");
	cr_assert_eq(t->count, 2);
	/* "exclude =" in 10-first.conf reset the main file's value to the default */
	cr_assert_str_eq(t->exclude[0], "loop*");
	cr_assert_str_eq(t->exclude[1], "ram*");
	cr_assert_eq(t->timeout, 10 * HV_USEC_PER_SEC);
	cr_assert_eq(((const struct hv_config_general *)hv_config_get(c, &hv_config_general_section))->log_level,
		     HV_LOG_NOTICE);

	files = hv_config_get_files(c);
	snprintf(want, sizeof(want), "%s/etc/hvutils/hvutils.conf", root);
	cr_assert_str_eq(files[0], want);
	snprintf(want, sizeof(want), "%s/etc/hvutils/hvutils.conf.d/10-first.conf", root);
	cr_assert_str_eq(files[1], want);
	snprintf(want, sizeof(want), "%s/etc/hvutils/hvutils.conf.d/20-later.conf", root);
	cr_assert_str_eq(files[2], want);
	cr_assert_null(files[3], "hidden file, README and the sub.conf directory are skipped");

	/* [kvp] belongs to another daemon: no warning. */
	cr_assert_null(strstr(logbuf, "<4>"), "unexpected warning:\n%s", logbuf);
	hv_config_free(c);
	hv_path_free(p);
	free(root);
}

Test(config, many_dropins_apply_in_name_order, .init = setup, .fini = teardown)
{
	struct hv_path *p = hv_path_new(tmpdir);
	struct hv_config_source src = { .path = p };
	struct hv_config *c = NULL;
	char path[512], text[64];
	char *const *files;

	snprintf(path, sizeof(path), "%s/etc", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/hvutils", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/hvutils/hvutils.conf.d", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	/* Created in a scrambled order, so directory order is not name order. */
	for (int i = 0; i < 40; i++) {
		int n = (i * 17) % 40;

		snprintf(path, sizeof(path), "%s/etc/hvutils/hvutils.conf.d/%02d-x.conf", tmpdir, n);
		snprintf(text, sizeof(text), "[test]\nlevel = %d\n", n % 10);
		if (n == 39)
			snprintf(text, sizeof(text), "[test]\nname = last\n");
		write_file(path, text);
	}
	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), 0, "%s", logbuf);
	cr_assert_eq(cfg_of(c)->level, 8, "38-x.conf is the last to set level");
	cr_assert_str_eq(cfg_of(c)->name, "last");
	files = hv_config_get_files(c);
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "%s/etc/hvutils/hvutils.conf.d/%02d-x.conf", tmpdir, i);
		cr_assert_str_eq(files[i], path);
	}
	cr_assert_null(files[40]);
	hv_config_free(c);
	hv_path_free(p);
}

Test(config, explicit_file_replaces_search, .init = setup, .fini = teardown)
{
	char *root = fixture_root("dropins");
	char *expl = fixture_root("explicit/other.conf");
	struct hv_path *p = hv_path_new(root);
	struct hv_config_source src = { .path = p, .file = expl };
	struct hv_config *c = NULL;

	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), 0, "%s", logbuf);
	cr_assert_str_eq(cfg_of(c)->name, "explicit");
	cr_assert_eq(cfg_of(c)->flag, true);
	cr_assert_eq(cfg_of(c)->count, 3, "drop-ins are not read with an explicit file");
	cr_assert_str_eq(hv_config_get_files(c)[0], expl);
	cr_assert_null(hv_config_get_files(c)[1]);
	hv_config_free(c);
	hv_path_free(p);
	free(root);
	free(expl);
}

Test(config, missing_explicit_file_is_an_error, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
	cr_assert_eq(load_explicit(path, &c), -ENOENT);
	cr_assert_null(c);
	cr_assert_not_null(strstr(logbuf, path), "%s", logbuf);
}

Test(config, directory_as_file_is_an_error, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL;

	cr_assert_eq(load_explicit(tmpdir, &c), -EISDIR);
	cr_assert_null(c);
}

Test(config, configuration_directory)
{
	char *d = NULL;

	setenv("CONFIGURATION_DIRECTORY", "/etc/first:/etc/second", 1);
	cr_assert_eq(hv_config_directory(&d), 0);
	cr_assert_str_eq(d, "/etc/first");
	free(d);
	setenv("CONFIGURATION_DIRECTORY", "", 1);
	cr_assert_eq(hv_config_directory(&d), 0);
	cr_assert_str_eq(d, SYSCONFDIR "/hvutils");
	free(d);
	unsetenv("CONFIGURATION_DIRECTORY");
	cr_assert_eq(hv_config_directory(&d), 0);
	cr_assert_str_eq(d, SYSCONFDIR "/hvutils");
	free(d);
}

Test(config, configuration_directory_is_searched, .init = setup, .fini = teardown)
{
	struct hv_path *p = hv_path_new(tmpdir);
	struct hv_config_source src = { .path = p };
	struct hv_config *c = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/elsewhere", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/elsewhere/hvutils.conf", tmpdir);
	write_file(path, "[test]\nname = from-env\n");
	setenv("CONFIGURATION_DIRECTORY", "/elsewhere", 1);
	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), 0, "%s", logbuf);
	cr_assert_str_eq(cfg_of(c)->name, "from-env");
	hv_config_free(c);
	hv_path_free(p);
}

/* ---- warnings and errors ---- */

Test(config, unknown_keys_and_sections_warn, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL;
	const char *file;
	char want[1024];

	file = tmp_file("unknown.conf", "orphan = 1\n"
					"[test]\nname = ok\nbogus = 1\n"
					"[nosuch]\nx = 1\ny = 2\n"
					"[vss]\nfreeze-timeout = 1\n");
	cr_assert_eq(load_explicit(file, &c), 0, "%s", logbuf);
	cr_assert_str_eq(cfg_of(c)->name, "ok");

	snprintf(want, sizeof(want), "<4>%s:test:bogus: unknown key, ignoring\n", file);
	cr_assert_not_null(strstr(logbuf, want), "no '%s' in:\n%s", want, logbuf);
	snprintf(want, sizeof(want), "<4>%s:nosuch: unknown section, ignoring\n", file);
	cr_assert_not_null(strstr(logbuf, want), "no '%s' in:\n%s", want, logbuf);
	cr_assert_eq(strstr(strstr(logbuf, want) + strlen(want), "nosuch: unknown section"), NULL,
		     "an unknown section is reported once");
	snprintf(want, sizeof(want), "<4>%s: key 'orphan' outside of any section, ignoring\n", file);
	cr_assert_not_null(strstr(logbuf, want), "no '%s' in:\n%s", want, logbuf);
	cr_assert_null(strstr(logbuf, "vss: unknown"), "suite sections are not unknown:\n%s", logbuf);
	hv_config_free(c);
}

Test(config, syntax_error_goes_to_the_sink_not_stderr, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL;
	const char *file;

	cr_redirect_stderr();
	file = tmp_file("syntax.conf", "[test]\nname = ok\nthis line has no equals sign\n");
	cr_assert_eq(load_explicit(file, &c), -EBADMSG);
	cr_assert_null(c);
	cr_assert_not_null(strstr(logbuf, "syntax error"), "%s", logbuf);
	cr_assert_not_null(strstr(logbuf, file), "%s", logbuf);
	cr_assert_not_null(strstr(logbuf, "this line has no equals sign"), "%s", logbuf);
	fflush(stderr);
	cr_assert_stderr_eq_str("", "iniparser must not print on stderr");
}

Test(config, bad_dropin_fails_whole_load, .init = setup, .fini = teardown)
{
	struct hv_path *p = hv_path_new(tmpdir);
	struct hv_config_source src = { .path = p };
	struct hv_config *c = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/etc", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/hvutils", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/hvutils/hvutils.conf.d", tmpdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/hvutils/hvutils.conf.d/50-bad.conf", tmpdir);
	write_file(path, "[test]\nmode = turbo\n");
	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), -EINVAL);
	cr_assert_null(c);
	cr_assert_not_null(strstr(logbuf, "50-bad.conf:test:mode: invalid value 'turbo', expected one of: off, on, auto"),
			   "%s", logbuf);
	hv_path_free(p);
}

Test(config, reload_keeps_old_config_on_error, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL, *before;
	char path[512];

	snprintf(path, sizeof(path), "%s/reload.conf", tmpdir);
	write_file(path, "[test]\nname = first\nlevel = 1\n");
	cr_assert_eq(load_explicit(path, &c), 0);

	write_file(path, "[test]\nname = second\nlevel = 2\n");
	before = c;
	cr_assert_eq(hv_config_reload(&c), 0, "%s", logbuf);
	cr_assert_str_eq(cfg_of(c)->name, "second");
	cr_assert_eq(cfg_of(c)->level, 2);
	(void)before;

	/* A bad value: the old object stays, untouched. */
	write_file(path, "[test]\nname = third\nlevel = 99\n");
	before = c;
	logbuf[0] = '\0';
	cr_assert_eq(hv_config_reload(&c), -ERANGE);
	cr_assert_eq(c, before);
	cr_assert_str_eq(cfg_of(c)->name, "second");
	cr_assert_eq(cfg_of(c)->level, 2);
	cr_assert_not_null(strstr(logbuf, "test:level: value out of range '99', expected an integer in [-10, 10]"),
			   "%s", logbuf);

	/* A syntax error: same. */
	write_file(path, "[test\nname = fourth\n");
	cr_assert_eq(hv_config_reload(&c), -EBADMSG);
	cr_assert_eq(c, before);
	cr_assert_str_eq(cfg_of(c)->name, "second");

	/* The file gone: an explicit file must exist. */
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(hv_config_reload(&c), -ENOENT);
	cr_assert_str_eq(cfg_of(c)->name, "second");
	hv_config_free(c);
}

/* ---- schema checks ---- */

struct small_cfg {
	int a;
	int b;
};

static const struct hv_config_item upper_items[] = {
	HV_CONFIG_INT("Upper", struct small_cfg, a, "1", "x", 0, 0),
};
static const struct hv_config_item dup_items[] = {
	HV_CONFIG_INT("a", struct small_cfg, a, "1", "x", 0, 0),
	HV_CONFIG_INT("a", struct small_cfg, b, "1", "x", 0, 0),
};
static const struct hv_config_item bad_default_items[] = {
	HV_CONFIG_INT("a", struct small_cfg, a, "lots", "x", 0, 0),
};
static const struct hv_config_item range_default_items[] = {
	HV_CONFIG_INT("a", struct small_cfg, a, "50", "x", 1, 10),
};

struct schema_case {
	const struct hv_config_item *items;
	size_t n;
	const char *name;
};

static const struct schema_case schema_cases[] = {
	{ upper_items, ELEMENTSOF(upper_items), "small" },
	{ dup_items, ELEMENTSOF(dup_items), "small" },
	{ bad_default_items, ELEMENTSOF(bad_default_items), "small" },
	{ range_default_items, ELEMENTSOF(range_default_items), "small" },
	{ NULL, 0, "Small" },
	{ NULL, 0, "a:b" },
};

Test(config, bad_schemas_are_rejected, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < ELEMENTSOF(schema_cases); i++) {
		const struct hv_config_section s = {
			.name = schema_cases[i].name,
			.size = sizeof(struct small_cfg),
			.items = schema_cases[i].items,
			.n_items = schema_cases[i].n,
		};
		const struct hv_config_section *const sections[] = { &s };
		struct hv_path *p = hv_path_new(tmpdir);
		struct hv_config_source src = { .path = p };
		struct hv_config *c = NULL;

		cr_assert_eq(hv_config_load(sections, 1, &src, &c), -EINVAL, "case %zu", i);
		cr_assert_null(c);
		hv_path_free(p);
	}
	{
		const struct hv_config_section *const twice[] = { &test_section, &test_section };
		struct hv_config *c = NULL;

		cr_assert_eq(hv_config_load(twice, 2, NULL, &c), -EINVAL);
	}
}

/* ---- dump ---- */

Test(config, dump_renders_and_reads_back, .init = setup, .fini = teardown)
{
	struct hv_config *c = NULL, *c2 = NULL;
	char *dump = NULL, *dump2 = NULL;
	const char *file;

	file = tmp_file("dump.conf", "[general]\nlog-level = debug\n"
				     "[test]\nflag = on\nlevel = -7\ncount = 12\n"
				     "name = \"  semi;colon # hash  \"\nmode = off\n"
				     "timeout = 1h 30min 15s\nexclude = sd[a-c]*, vd*\ndir = /srv//x/\n");
	cr_assert_eq(load_explicit(file, &c), 0, "%s", logbuf);
	cr_assert_eq(hv_config_dump(c, &dump), 0);

	cr_assert_not_null(strstr(dump, "# Read: "), "%s", dump);
	cr_assert_not_null(strstr(dump, file), "%s", dump);
	cr_assert_not_null(strstr(dump, "\n[general]\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\nlog-level = debug\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\n[test]\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "# A flag\n# Default: no\nflag = yes\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\nname = \"  semi;colon # hash  \"\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\ntimeout = 1h 30min 15s\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\nexclude = sd[a-c]* vd*\n"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\ndir = /srv/x\n"), "%s", dump);

	/* Loading the dump gives the same configuration. */
	file = tmp_file("dump2.conf", dump);
	cr_assert_eq(load_explicit(file, &c2), 0, "%s", logbuf);
	cr_assert_eq(hv_config_dump(c2, &dump2), 0);
	cr_assert_str_eq(strchr(dump2, '['), strchr(dump, '['));
	cr_assert_str_eq(cfg_of(c2)->name, "  semi;colon # hash  ");
	free(dump);
	free(dump2);
	hv_config_free(c);
	hv_config_free(c2);
}

Test(config, dump_without_files_says_defaults, .init = setup, .fini = teardown)
{
	struct hv_path *p = hv_path_new(tmpdir);
	struct hv_config_source src = { .path = p };
	struct hv_config *c = NULL;
	char *dump = NULL;

	cr_assert_eq(hv_config_load(schema, ELEMENTSOF(schema), &src, &c), 0);
	cr_assert_eq(hv_config_dump(c, &dump), 0);
	cr_assert_not_null(strstr(dump, "compiled-in defaults"), "%s", dump);
	cr_assert_not_null(strstr(dump, "\nname = default\n"), "%s", dump);
	free(dump);
	hv_config_free(c);
	hv_path_free(p);
}
