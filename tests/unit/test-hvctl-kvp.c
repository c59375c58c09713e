/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl kvp in process: options (pool numbers and names, misuse), what
 * bad command-line keys and values exit with, the pool directory (option,
 * [kvp] pool-directory, missing), get/set/delete/clear through the store,
 * watch, and the printer's escaping of data from outside.  The golden
 * files in tests/golden/hvctl/kvp-* hold the full outputs.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "cli/hvctl/hvctl.h"
#include "services/kvp-store.h"

static char root[] = "/tmp/hv-test-hvctl-kvp-XXXXXX";
static char pools[300];

static void setup(void)
{
	char cmd[400];

	cr_assert_not_null(mkdtemp(root));
	snprintf(pools, sizeof(pools), "%s/var/lib/hyperv", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", pools);
	cr_assert_eq(system(cmd), 0);
	cr_redirect_stderr();
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(hvctl_kvp, .init = setup, .fini = teardown);

/* hvctl with argv (NULL-terminated), root as the sysroot; stdout into
 * *ret_out when not NULL. */
static int run(char **ret_out, const char *const *args)
{
	char *argv[16], *buf = NULL;
	size_t len = 0;
	int argc = 0, r;
	struct hv_path *path = hv_path_new(root);
	struct hvctl_context ctx;

	argv[argc++] = (char *)"hvctl";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ctx = (struct hvctl_context){ .path = path, .out = open_memstream(&buf, &len) };
	arg_json = HVCTL_OUTPUT_TEXT;
	arg_verbose = 0;
	r = hvctl_run_with(argc, argv, &ctx);
	fclose(ctx.out);
	hv_path_free(path);
	if (ret_out)
		*ret_out = buf;
	else
		free(buf);
	return r;
}

#define RUN(out, ...) run(out, (const char *const[]){ __VA_ARGS__, NULL })

static void put(unsigned pool, const char *k, const char *v)
{
	struct hv_kvp_store *s = NULL;

	cr_assert_eq(hv_kvp_store_open(pools, pool, NULL, &s), 0);
	cr_assert_geq(hv_kvp_store_set(s, k, strlen(k), v, strlen(v)), 0);
	hv_kvp_store_free(s);
}

static void assert_out(int want_status, const char *want_out, const char *const *args)
{
	char *out = NULL;
	int r = run(&out, args);

	cr_assert_eq(r, want_status, "%s ...: exit %d, want %d", args[0], r, want_status);
	if (want_out)
		cr_assert_str_eq(out, want_out);
	free(out);
}

#define ASSERT_OUT(status, out, ...) assert_out(status, out, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- pools by number and by name ---- */

struct pool_arg {
	char arg[16];
	char want[32];
};

static struct pool_arg pool_args[] = {
	{ "0", "external=0\n" },
	{ "external", "external=0\n" },
	{ "1", "guest=1\n" },
	{ "guest", "guest=1\n" },
	{ "2", "auto=2\n" },
	{ "auto", "auto=2\n" },
	{ "3", "auto-external=3\n" },
	{ "auto-external", "auto-external=3\n" },
	{ "4", "auto-internal=4\n" },
	{ "auto-internal", "auto-internal=4\n" },
};

ParameterizedTestParameters(hvctl_kvp, pool_by_number_or_name)
{
	return cr_make_param_array(struct pool_arg, pool_args, ELEMENTSOF(pool_args));
}

ParameterizedTest(struct pool_arg *a, hvctl_kvp, pool_by_number_or_name)
{
	put(0, "external", "0");
	put(1, "guest", "1");
	put(2, "auto", "2");
	put(3, "auto-external", "3");
	put(4, "auto-internal", "4");
	ASSERT_OUT(0, a->want, "kvp", "list", "--pool", a->arg);
}

struct bad_arg {
	char args[8][40]; /* arrays: Criterion copies parameters into its worker */
	int status;
	char err[200];
};

static struct bad_arg bad_args[] = {
	{ { "kvp", "list", "--pool", "5" }, 64,
	  "hvctl: invalid pool '5' (expected 0-4 or external, guest, auto, auto-external, auto-internal)\n"
	  "Try 'hvctl --help'.\n" },
	{ { "kvp", "list", "--pool", "Guest" }, 64, "" },
	{ { "kvp", "list", "--pool", "-1" }, 64, "" },
	{ { "kvp", "list", "--pool", "01" }, 64, "" },
	{ { "kvp", "list", "--pool" }, 64, "hvctl: option '--pool' needs an argument\nTry 'hvctl --help'.\n" },
	{ { "kvp", "bogus" }, 64, "hvctl: kvp: unknown verb 'bogus'\nTry 'hvctl --help'.\n" },
	{ { "kvp" }, 64, "" },
	{ { "kvp", "get" }, 64, "hvctl: kvp get: missing argument (expects KEY)\nTry 'hvctl --help'.\n" },
	{ { "kvp", "set", "k" }, 64, "" },
	{ { "kvp", "list", "x" }, 64, "" },
	{ { "kvp", "get", "--pool", "1", "--pool", "3", "k" }, 0, "" }, /* several pools: fine for get */
	{ { "kvp", "set", "--pool", "1", "--pool", "3", "k", "v" }, 64,
	  "hvctl: kvp set: works on one pool, got several --pool\nTry 'hvctl --help'.\n" },
	{ { "kvp", "list", "--all", "--pool", "1" }, 64, "" },
	{ { "kvp", "get", "--repair", "k" }, 64,
	  "hvctl: kvp get: option '--repair' does not apply\nTry 'hvctl --help'.\n" },
	{ { "kvp", "set", "--all", "k", "v" }, 64, "" },
	{ { "kvp", "fsck", "--count", "1" }, 64, "" },
	{ { "kvp", "watch", "--count", "0" }, 64, "" },
	{ { "kvp", "watch", "--count", "x" }, 64, "" },
	{ { "kvp", "watch", "--timeout", "0" }, 64, "" },
	{ { "kvp", "watch", "--timeout", "soon" }, 64, "" },
	{ { "kvp", "list", "--pool-dir=" }, 64, "hvctl: option '--pool-dir' needs a directory\nTry 'hvctl --help'.\n" },
	/* 65: what cannot go into a record or is not UTF-8 */
	{ { "kvp", "set", "@empty", "v" }, 65, "hvctl: kvp set: the key is empty\n" },
	{ { "kvp", "get", "@empty" }, 65, "" },
	{ { "kvp", "delete", "@empty" }, 65, "" },
	{ { "kvp", "set", "k\xff", "v" }, 65, "hvctl: kvp set: the key is not valid UTF-8\n" },
	{ { "kvp", "set", "k", "\xc3" }, 65, "hvctl: kvp set: the value is not valid UTF-8\n" },
	{ { "kvp", "get", "\xed\xa0\x80" }, 65, "" },
};

ParameterizedTestParameters(hvctl_kvp, bad_arguments)
{
	return cr_make_param_array(struct bad_arg, bad_args, ELEMENTSOF(bad_args));
}

ParameterizedTest(struct bad_arg *a, hvctl_kvp, bad_arguments)
{
	char *out = NULL;
	const char *argv[9] = {};
	int r, n = 0;

	/* "@empty" stands for "" (an empty string ends the list). */
	for (; n < 8 && a->args[n][0]; n++)
		argv[n] = strcmp(a->args[n], "@empty") == 0 ? "" : a->args[n];
	argv[n] = NULL;
	r = run(&out, argv);
	if (a->status == 0)
		cr_assert_eq(r, 2, "%s %s: %d (a lookup of a missing key)", a->args[0], a->args[1], r);
	else
		cr_assert_eq(r, a->status, "%s %s ...: exit %d, want %d", a->args[0], a->args[1], r, a->status);
	if (a->status != 0)
		cr_assert_str_eq(out, "", "nothing on stdout");
	fflush(stderr);
	if (a->err[0])
		cr_assert_stderr_eq_str(a->err);
	free(out);
}

Test(hvctl_kvp, too_long_key_and_value)
{
	char key[513], value[2049];

	memset(key, 'k', 512);
	key[512] = '\0';
	memset(value, 'v', 2048);
	value[2048] = '\0';
	ASSERT_OUT(65, "", "kvp", "set", key, "v");
	ASSERT_OUT(65, "", "kvp", "get", key);
	ASSERT_OUT(65, "", "kvp", "set", "k", value);
	/* Fits a record, but the host cannot read it back: --force. */
	value[1500] = '\0';
	ASSERT_OUT(65, "", "kvp", "set", "k", value);
	ASSERT_OUT(0, "", "kvp", "set", "--force", "k", value);
	key[300] = '\0';
	ASSERT_OUT(65, "", "kvp", "set", key, "v");
	ASSERT_OUT(0, "", "kvp", "set", "--force", key, "v");
	value[1022] = '\0';
	ASSERT_OUT(0, "", "kvp", "set", "k2", value);
}

/* ---- the pool directory ---- */

Test(hvctl_kvp, missing_pool_directory_is_66)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pools);
	cr_assert_eq(system(cmd), 0);
	ASSERT_OUT(66, "", "kvp", "list");
	ASSERT_OUT(66, "", "kvp", "set", "k", "v");
	ASSERT_OUT(66, "", "kvp", "fsck");
	ASSERT_OUT(66, "", "kvp", "watch", "--timeout", "1");
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: no KVP pool directory /var/lib/hyperv (is hv-kvpd running?)\n"
				"hvctl: no KVP pool directory /var/lib/hyperv (is hv-kvpd running?)\n"
				"hvctl: no KVP pool directory /var/lib/hyperv (is hv-kvpd running?)\n"
				"hvctl: no KVP pool directory /var/lib/hyperv (is hv-kvpd running?)\n");
	cr_assert_eq(access(pools, F_OK), -1, "nothing created");
}

Test(hvctl_kvp, pool_dir_option_is_literal)
{
	char other[400];

	snprintf(other, sizeof(other), "%s/elsewhere", root);
	cr_assert_eq(mkdir(other, 0755), 0);
	ASSERT_OUT(0, "", "kvp", "set", "--pool-dir", other, "k", "there");
	ASSERT_OUT(0, "there\n", "kvp", "get", "k", "--pool-dir", other);
	ASSERT_OUT(2, "", "kvp", "get", "k");
}

Test(hvctl_kvp, config_pool_directory)
{
	char cfgdir[400], conf[500], moved[400];
	FILE *f;

	snprintf(cfgdir, sizeof(cfgdir), "%s/etc/hvutils", root);
	snprintf(conf, sizeof(conf), "mkdir -p '%s' '%s/srv/kvp'", cfgdir, root);
	cr_assert_eq(system(conf), 0);
	cr_assert_eq(setenv("CONFIGURATION_DIRECTORY", "/etc/hvutils", 1), 0);
	snprintf(conf, sizeof(conf), "%s/hvutils.conf", cfgdir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fputs("[kvp]\npool-directory = /srv/kvp\n", f);
	fclose(f);
	ASSERT_OUT(0, "", "kvp", "set", "k", "configured");
	snprintf(moved, sizeof(moved), "%s/srv/kvp/.kvp_pool_1", root);
	cr_assert_eq(access(moved, F_OK), 0, "the pool is where the config says");
	ASSERT_OUT(0, "configured\n", "kvp", "get", "k");
}

/* ---- get, set, delete, clear ---- */

Test(hvctl_kvp, get_first_pool_wins_unless_told)
{
	put(3, "Name", "from the host");
	put(1, "Name", "from the guest");
	ASSERT_OUT(0, "from the guest\n", "kvp", "get", "Name");
	ASSERT_OUT(0, "from the host\n", "kvp", "get", "--pool", "auto-external", "Name");
	ASSERT_OUT(2, "", "kvp", "get", "--pool", "0", "Name");
}

Test(hvctl_kvp, set_get_delete_in_the_guest_pool)
{
	char *out = NULL;

	ASSERT_OUT(0, "", "kvp", "set", "k", "v1");
	cr_assert_eq(RUN(&out, "--json", "kvp", "set", "k", "v2"), 0);
	cr_assert_str_eq(out, "{\"pool\":1,\"pool_name\":\"guest\",\"key\":\"k\",\"value\":\"v2\",\"created\":false}\n");
	free(out);
	ASSERT_OUT(0, "v2\n", "kvp", "get", "--pool", "guest", "k");
	ASSERT_OUT(64, "", "kvp", "delete", "--pool", "0", "k");
	ASSERT_OUT(0, "", "kvp", "delete", "k");
	ASSERT_OUT(2, "", "kvp", "delete", "k");
	ASSERT_OUT(2, "", "kvp", "get", "k");
	ASSERT_OUT(0, "", "kvp", "set", "--force", "--pool", "0", "host", "x");
	ASSERT_OUT(0, "x\n", "kvp", "get", "host");
}

Test(hvctl_kvp, clear_guest_by_default_all_when_asked)
{
	put(1, "a", "1");
	put(1, "b", "2");
	put(3, "HostName", "old");
	ASSERT_OUT(0, "guest: 2 records removed\n", "kvp", "clear");
	ASSERT_OUT(0, "old\n", "kvp", "get", "HostName");
	ASSERT_OUT(0, "auto-external: 1 record removed\n", "kvp", "clear", "--pool", "3");
	ASSERT_OUT(2, "", "kvp", "get", "HostName");
	ASSERT_OUT(0, NULL, "kvp", "clear", "--all");
}

Test(hvctl_kvp, list_escapes_text_and_keeps_json_exact)
{
	char *out = NULL;

	put(1, "k\x1b[1m", "a\tb\x7f\xc2\x9b");
	ASSERT_OUT(0, "k\\x1b[1m=a\\tb\\x7f\\u009b\n", "kvp", "list", "--pool", "1");
	cr_assert_eq(RUN(&out, "--json", "kvp", "list", "--pool", "1"), 0);
	cr_assert_str_eq(out, "[{\"pool\":1,\"pool_name\":\"guest\",\"index\":0,\"key\":\"k\\u001b[1m\","
			      "\"value\":\"a\\tb\x7f\xc2\x9b\"}]\n");
	free(out);
}

Test(hvctl_kvp, escape_data)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain", 5, "plain" },
		{ "a\nb\tc\rd", 7, "a\\nb\\tc\\rd" },
		{ "\x1b[2J\x07", 5, "\\x1b[2J\\x07" },
		{ "\x7f", 1, "\\x7f" },
		{ "back\\slash", 10, "back\\slash" },
		{ "caf\xc3\xa9 \xe2\x9c\x93", 9, "caf\xc3\xa9 \xe2\x9c\x93" },
		{ "\xc2\x9b" "31m", 5, "\\u009b31m" },
		{ "abc\xe2\x80\xae" "cba", 9, "abc\\u202ecba" },
		{ "\xe2\x81\xa6x", 4, "\\u2066x" },
		{ "\xff\xfe", 2, "\\xff\\xfe" },
		{ "\xc3(", 2, "\\xc3(" },
		{ "", 0, "" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *s = hvctl_escape_data(cases[i].in, cases[i].len);

		cr_assert_str_eq(s, cases[i].out, "case %zu", i);
		free(s);
	}
}

/* ---- fsck ---- */

Test(hvctl_kvp, fsck_exit_status)
{
	char path[400];
	int fd;

	put(1, "a", "1");
	ASSERT_OUT(0, NULL, "kvp", "fsck");
	snprintf(path, sizeof(path), "%s/.kvp_pool_1", pools);
	fd = open(path, O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "torn", 4), 4);
	close(fd);
	ASSERT_OUT(65, NULL, "kvp", "fsck");
	ASSERT_OUT(65, NULL, "kvp", "fsck", "--pool", "guest");
	ASSERT_OUT(0, NULL, "kvp", "fsck", "--pool", "external");
	ASSERT_OUT(0, NULL, "kvp", "fsck", "--repair");
	ASSERT_OUT(0, "guest: 1 record, 0 errors, 0 warnings\n", "kvp", "fsck", "--pool", "1");
}

/* ---- watch ---- */

/* A child changes the guest pool while hvctl watches it. */
Test(hvctl_kvp, watch_reports_changes)
{
	char *out = NULL;
	pid_t pid;

	put(1, "stays", "1");
	put(1, "goes", "2");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct hv_kvp_store *s = NULL;

		usleep(300000);
		if (hv_kvp_store_open(pools, 1, NULL, &s) < 0)
			_exit(1);
		hv_kvp_store_set(s, "new", 3, "v", 1);
		usleep(50000);
		hv_kvp_store_set(s, "stays", 5, "changed", 7);
		usleep(50000);
		hv_kvp_store_delete(s, "goes", 4);
		hv_kvp_store_free(s);
		_exit(0);
	}
	cr_assert_eq(RUN(&out, "kvp", "watch", "--count", "3", "--timeout", "10"), 0);
	cr_assert_str_eq(out, "+ guest new=v\n~ guest stays=changed\n- guest goes=2\n");
	free(out);
	waitpid(pid, NULL, 0);

	cr_assert_eq(RUN(&out, "kvp", "watch", "--count", "1", "--timeout", "0.2"), 75);
	cr_assert_str_eq(out, "");
	free(out);
	cr_assert_eq(RUN(&out, "kvp", "watch", "--timeout", "0.2"), 0, "no --count: a timeout is the end");
	free(out);
}

Test(hvctl_kvp, watch_json_lines)
{
	char *out = NULL;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct hv_kvp_store *s = NULL;

		usleep(300000);
		if (hv_kvp_store_open(pools, 0, NULL, &s) < 0)
			_exit(1);
		hv_kvp_store_set(s, "k", 1, "v", 1);
		usleep(100000);
		hv_kvp_store_set(s, "k", 1, "w", 1);
		hv_kvp_store_free(s);
		_exit(0);
	}
	cr_assert_eq(RUN(&out, "--json", "kvp", "watch", "--pool", "external", "--count", "2", "--timeout", "10"),
		     0);
	cr_assert_str_eq(out, "{\"event\":\"added\",\"pool\":0,\"pool_name\":\"external\",\"index\":0,"
			      "\"key\":\"k\",\"value\":\"v\"}\n"
			      "{\"event\":\"changed\",\"pool\":0,\"pool_name\":\"external\",\"index\":0,"
			      "\"key\":\"k\",\"value\":\"w\",\"old_value\":\"v\"}\n");
	free(out);
	waitpid(pid, NULL, 0);
}
