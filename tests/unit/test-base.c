/* SPDX-License-Identifier: GPL-2.0-or-later */
/* base: log sink and levels, string tables, errno helpers, path context. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hvutil.h"

/* ---- log ---- */

static char captured[512];
static int captured_level = -1;

static void capture_sink(void *userdata, int level, const char *file, int line, const char *func,
			 const char *format, va_list ap)
{
	captured_level = level;
	vsnprintf(captured, sizeof(captured), format, ap);
}

Test(log, default_sink_is_silent_and_returns_error)
{
	hv_log_set_sink(NULL, NULL);
	cr_assert_eq(hv_log_err_errno(-ENOENT, "x"), -ENOENT);
	cr_assert_eq(hv_log_err_errno(ENOENT, "x"), -ENOENT, "positive errors are normalised");
}

Test(log, sink_receives_message_with_errno_text)
{
	hv_log_set_sink(capture_sink, NULL);
	hv_log_set_max_level(HV_LOG_DEBUG);
	cr_assert_eq(hv_log_warning_errno(-EACCES, "open %s: %m", "f"), -EACCES);
	cr_assert_eq(captured_level, HV_LOG_WARNING);
	cr_assert_str_eq(captured, "open f: Permission denied");
}

Test(log, level_filters_and_keeps_errno)
{
	hv_log_set_sink(capture_sink, NULL);
	hv_log_set_max_level(HV_LOG_INFO);
	captured[0] = '\0';
	errno = 42;
	hv_log_debug("hidden");
	cr_assert_str_eq(captured, "");
	cr_assert_eq(errno, 42);
	cr_assert_eq(hv_log_debug_errno(-EIO, "hidden"), -EIO);
	hv_log_info("shown %d", 7);
	cr_assert_str_eq(captured, "shown 7");
	cr_assert_eq(errno, 42);
}

Test(log, level_names)
{
	cr_assert_eq(hv_log_level_from_string("debug"), HV_LOG_DEBUG);
	cr_assert_eq(hv_log_level_from_string("warning"), HV_LOG_WARNING);
	cr_assert_eq(hv_log_level_from_string("warn"), HV_LOG_WARNING);
	cr_assert_eq(hv_log_level_from_string("error"), HV_LOG_ERR);
	cr_assert_eq(hv_log_level_from_string("3"), HV_LOG_ERR);
	cr_assert_eq(hv_log_level_from_string("8"), -EINVAL);
	cr_assert_eq(hv_log_level_from_string("loud"), -EINVAL);
	cr_assert_eq(hv_log_level_from_string(""), -EINVAL);
	cr_assert_str_eq(hv_log_level_to_string(HV_LOG_NOTICE), "notice");
	cr_assert_null(hv_log_level_to_string(9));
	hv_log_set_max_level(99);
	cr_assert_eq(hv_log_get_max_level(), HV_LOG_DEBUG);
}

/* ---- string tables ---- */

enum fruit { FRUIT_APPLE, FRUIT_PEAR, FRUIT_PLUM, _FRUIT_MAX, _FRUIT_INVALID = -EINVAL };
static const char *const fruit_table[_FRUIT_MAX] = {
	[FRUIT_APPLE] = "apple",
	[FRUIT_PEAR] = "pear",
	[FRUIT_PLUM] = "plum",
};
const char *fruit_to_string(enum fruit i);
enum fruit fruit_from_string(const char *s);
HV_DEFINE_STRING_TABLE_LOOKUP(fruit, enum fruit)

Test(string_table, both_ways)
{
	cr_assert_str_eq(fruit_to_string(FRUIT_PEAR), "pear");
	cr_assert_null(fruit_to_string(_FRUIT_MAX));
	cr_assert_null(fruit_to_string((enum fruit)-1));
	cr_assert_eq(fruit_from_string("plum"), FRUIT_PLUM);
	cr_assert_eq(fruit_from_string("Plum"), _FRUIT_INVALID);
	cr_assert_eq(fruit_from_string(NULL), _FRUIT_INVALID);
}

/* ---- errno helpers ---- */

Test(errno_util, nerrno_and_strerror)
{
	cr_assert_eq(HV_RET_NERRNO(open("/nonexistent/x", O_RDONLY)), -ENOENT);
	errno = 0;
	cr_assert_eq(hv_negative_errno(), -EIO, "never 0 on failure");
	cr_assert_str_eq(hv_strerror(-ENOENT), "No such file or directory");
	cr_assert(hv_errno_is_transient(-EAGAIN));
	cr_assert_not(hv_errno_is_transient(-EIO));
}

/* ---- path context ---- */

static char root[] = "/tmp/hv-test-path-XXXXXX";

static void make_root(void)
{
	char p[256];
	FILE *f;

	cr_assert_not_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/sys", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys/attr", root);
	f = fopen(p, "w");
	fputs("0x1414\n\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/sys/big", root);
	f = fopen(p, "w");
	for (int i = 0; i < 1000; i++)
		fputs("0123456789", f);
	fclose(f);
}

static void remove_root(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(path, .init = make_root, .fini = remove_root);

Test(path, prefix_is_applied)
{
	struct hv_path *p = hv_path_new(root);
	_cleanup_free_ char *a = hv_path_get(p, "/sys/attr");
	_cleanup_free_ char *b = hv_path_getf(p, "/sys/%s/%d", "x", 3);
	char want[300];

	snprintf(want, sizeof(want), "%s/sys/attr", root);
	cr_assert_str_eq(a, want);
	snprintf(want, sizeof(want), "%s/sys/x/3", root);
	cr_assert_str_eq(b, want);
	cr_assert_str_eq(hv_path_root(p), root);
	hv_path_free(p);
}

Test(path, empty_root_is_real_root)
{
	const char *roots[] = { NULL, "", "/", "///" };

	for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
		struct hv_path *p = hv_path_new(roots[i]);
		_cleanup_free_ char *a = hv_path_get(p, "/proc/self");

		cr_assert_str_eq(a, "/proc/self");
		cr_assert_str_eq(hv_path_root(p), "/");
		hv_path_free(p);
	}
	cr_assert_null(hv_path_free(NULL));
}

Test(path, read_text_strips_newlines)
{
	struct hv_path *p = hv_path_new(root);
	_cleanup_free_ char *v = NULL;

	cr_assert_eq(hv_path_read_text(p, "/sys/attr", 0, &v), 6);
	cr_assert_str_eq(v, "0x1414");
	hv_path_free(p);
}

Test(path, read_text_errors)
{
	struct hv_path *p = hv_path_new(root);
	char *v = NULL;

	cr_assert_eq(hv_path_read_text(p, "/sys/missing", 0, &v), -ENOENT);
	cr_assert_null(v, "ret untouched on failure");
	cr_assert_eq(hv_path_read_text(p, "/sys/big", 100, &v), -EFBIG);
	cr_assert_null(v);
	cr_assert_eq(hv_path_read_text(p, "/sys", 0, &v), -EISDIR);
	cr_assert_eq(hv_path_access(p, "/sys/attr", R_OK), 0);
	cr_assert_eq(hv_path_access(p, "/sys/nope", R_OK), -ENOENT);
	hv_path_free(p);
}

Test(path, open_and_opendir)
{
	struct hv_path *p = hv_path_new(root);
	int fd = hv_path_open(p, "/sys/attr", O_RDONLY, 0);
	DIR *d;

	cr_assert_geq(fd, 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC always");
	close(fd);
	d = hv_path_opendir(p, "/sys");
	cr_assert_not_null(d);
	closedir(d);
	cr_assert_eq(hv_path_open(p, "/nope", O_RDONLY, 0), -ENOENT);
	hv_path_free(p);
}

Test(path, from_env)
{
	struct hv_path *p;

	setenv("HV_SYSROOT", "/some/where/", 1);
	p = hv_path_new_from_env();
	cr_assert_str_eq(hv_path_root(p), "/some/where");
	hv_path_free(p);
	unsetenv("HV_SYSROOT");
}

/* ---- cleanup macros ---- */

Test(path, normalize)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "/a//./b/", "/a/b" }, { "", "/" }, { "/", "/" }, { "a/b", "/a/b" },
		{ "//./", "/" }, { "/srv/in coming/", "/srv/in coming" }, { "/.a/..b", "/.a/..b" },
	};
	static const char *const bad[] = { "..", "/a/../b", "/a/..", "../x" };
	char *out;

	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		cr_assert_eq(hv_path_normalize(ok[i].in, strlen(ok[i].in), &out), 0, "%s", ok[i].in);
		cr_assert_str_eq(out, ok[i].out);
		free(out);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		cr_assert_eq(hv_path_normalize(bad[i], strlen(bad[i]), &out), -EINVAL, "%s", bad[i]);
	/* Only len bytes count. */
	cr_assert_eq(hv_path_normalize("/a/b/../c", 4, &out), 0);
	cr_assert_str_eq(out, "/a/b");
	free(out);
}

Test(macros, take_and_cleanup)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int taken;
	char *s;

	{
		_cleanup_free_ char *x = strdup("x");
		s = TAKE_PTR(x);
		cr_assert_null(x);
	}
	cr_assert_str_eq(s, "x");
	free(s);
	taken = TAKE_FD(fd);
	cr_assert_eq(fd, -EBADF);
	cr_assert_geq(taken, 0);
	cr_assert_eq(hv_safe_close(taken), -EBADF);
	cr_assert_eq(ELEMENTSOF(fruit_table), 3);
}

/* ---- guid-text ---- */

Test(guid_text, normalize)
{
	char out[HV_GUID_TEXT_MAX] = "untouched";

	cr_assert_eq(hv_guid_text_normalize("{A9A0F4E7-5A45-4D96-B827-8A841E8C03E6}", out), 0);
	cr_assert_str_eq(out, "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6");
	cr_assert_eq(hv_guid_text_normalize("eb765408-105f-49b6-b4aa-c123b64d17d4", out), 0);
	cr_assert_str_eq(out, "eb765408-105f-49b6-b4aa-c123b64d17d4");
	cr_assert_eq(hv_guid_text_normalize("{eb765408-105f-49b6-b4aa-c123b64d17d4", out), -EINVAL);
	cr_assert_eq(hv_guid_text_normalize("eb765408x105f-49b6-b4aa-c123b64d17d4", out), -EINVAL);
	cr_assert_eq(hv_guid_text_normalize("eb765408-105f-49b6-b4aa-c123b64d17dg", out), -EINVAL);
	cr_assert_eq(hv_guid_text_normalize("eb765408-105f-49b6-b4aa-c123b64d17d", out), -EINVAL);
	cr_assert_eq(hv_guid_text_normalize("", out), -EINVAL);
	cr_assert_str_eq(out, "eb765408-105f-49b6-b4aa-c123b64d17d4", "untouched on failure");
}
