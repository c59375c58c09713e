/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemons/common: the skeleton, proven on tests/helpers/hv-testd run as a
 * real process: --help, --version and usage errors (table-driven), READY=1
 * and STATUS= on a real $NOTIFY_SOCKET, SIGHUP with a good, a bad and a
 * refused configuration (the old one stays), SIGTERM/SIGINT exit 0, start
 * failures, the watchdog, log levels and the stderr format, the status file,
 * and a char device that appears late (READY=1 only after registration).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/path.h"
#include "platform/json.h"

static char tmpdir[128];
static char sockpath[256];
static int sockfd = -1;
static char notes[16384]; /* every datagram received, separated by '|' */

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(tmpdir, "/tmp/hv-test-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/notify", tmpdir);
	strcpy(sa.sun_path, sockpath);
	sockfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(sockfd, 0);
	cr_assert_eq(bind(sockfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	notes[0] = '\0';
}

static void teardown(void)
{
	char cmd[512];

	close(sockfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)system(cmd);
}

static const char *helper_path(void)
{
	static char path[4096];
	const char *top = getenv("HV_TOP_BUILDDIR");
	char self[4096];
	ssize_t n;

	if (top) {
		snprintf(path, sizeof(path), "%s/tests/helpers/hv-testd", top);
		return path;
	}
	/* Run by hand: tests/unit/test-daemon -> tests/helpers/hv-testd. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../helpers/hv-testd", dirname(self));
	return path;
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static const char *tmp(const char *name)
{
	static char bufs[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", tmpdir, name);
	return bufs[i];
}

/* Start hv-testd with args (NULL-terminated) and "K=V" environment
 * additions; stdout/stderr go to tmpdir/out and tmpdir/err. */
static pid_t spawn(const char *const *args, const char *const *env)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		const char *argv[32] = { "hv-testd" };
		char pidbuf[32];
		size_t n = 1;
		int fd;

		unsetenv("NOTIFY_SOCKET");
		unsetenv("JOURNAL_STREAM");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		unsetenv("HV_SYSROOT");
		unsetenv("CONFIGURATION_DIRECTORY");
		setenv("NOTIFY_SOCKET", sockpath, 1);
		for (size_t i = 0; env && env[i]; i++) {
			char *kv = strdup(env[i]), *eq = strchr(kv, '=');

			*eq = '\0';
			setenv(kv, eq + 1, 1);
		}
		/* The watchdog belongs to the process that execs. */
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
		if (getenv("WATCHDOG_USEC"))
			setenv("WATCHDOG_PID", pidbuf, 1);
		for (size_t i = 0; args && args[i] && n < ELEMENTSOF(argv) - 1; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		fd = open(tmp("out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		fd = open(tmp("err"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		execv(helper_path(), (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Exit status of pid, waiting up to 10 s. */
static int wait_exit(pid_t pid)
{
	int status;

	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		cr_assert_geq(r, 0);
		if (r == pid) {
			cr_assert(WIFEXITED(status), "hv-testd died from signal %d", WTERMSIG(status));
			return WEXITSTATUS(status);
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert_fail("hv-testd did not exit");
	return -1;
}

static char *slurp(const char *name)
{
	char *text = NULL;

	if (hv_read_text_file(tmp(name), 0, &text) < 0)
		return strdup("");
	return text;
}

/*
 * Wait up to timeout_ms for a datagram equal to want (or starting with it
 * when prefix); every datagram is appended to notes.  True when seen.
 */
static bool wait_note(const char *want, bool prefix, int timeout_ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timeval tv = { .tv_usec = 50000 };
		char buf[4096];
		ssize_t n;

		setsockopt(sockfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = recv(sockfd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			strncat(notes, buf, sizeof(notes) - strlen(notes) - 2);
			strcat(notes, "|");
			if (prefix ? strncmp(buf, want, strlen(want)) == 0 : strcmp(buf, want) == 0)
				return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > timeout_ms)
			return false;
	}
}

#define expect_note(want) cr_assert(wait_note((want), false, 5000), "no '%s' in: %s", (want), notes)
#define expect_note_prefix(want) cr_assert(wait_note((want), true, 5000), "no '%s...' in: %s", (want), notes)

/* ---- options ---- */

Test(daemon, help, .init = setup, .fini = teardown)
{
	const char *args[] = { "--help", NULL };
	char *out;

	cr_assert_eq(wait_exit(spawn(args, NULL)), 0);
	out = slurp("out");
	cr_assert_not_null(strstr(out, "Usage: hv-testd [OPTIONS]\nTest daemon for the hvutils daemon skeleton.\n"),
			   "%s", out);
	for (const char *const *opt = (const char *const[]){ "--config FILE", "--debug", "--no-daemon", "--help",
							    "--version", "hvutils.conf(5)", NULL };
	     *opt; opt++)
		cr_assert_not_null(strstr(out, *opt), "%s missing from:\n%s", *opt, out);
	free(out);
}

Test(daemon, version, .init = setup, .fini = teardown)
{
	const char *args[] = { "-V", NULL };
	char *out;

	cr_assert_eq(wait_exit(spawn(args, NULL)), 0);
	out = slurp("out");
	cr_assert_str_eq(out, "hv-testd (" PACKAGE_NAME ") " PACKAGE_VERSION);
	free(out);
}

struct usage_case {
	char args[3][24];
	char message[64];
};

static const struct usage_case usage_cases[] = {
	{ { "--bogus" }, "hv-testd: unknown option '--bogus'" },
	{ { "-x" }, "hv-testd: unknown option '-x'" },
	{ { "--config" }, "hv-testd: option '--config' needs an argument" },
	{ { "--config=" }, "hv-testd: --config needs a file name" },
	{ { "--debug", "extra" }, "hv-testd: unexpected argument 'extra'" },
	{ { "--help=yes" }, "hv-testd: unknown option '--help=yes'" },
};

ParameterizedTestParameters(daemon, usage_errors)
{
	return cr_make_param_array(struct usage_case, usage_cases, ELEMENTSOF(usage_cases));
}

ParameterizedTest(struct usage_case *uc, daemon, usage_errors, .init = setup, .fini = teardown)
{
	const char *args[4] = { 0 };
	char *err;

	for (size_t i = 0; i < 3 && uc->args[i][0]; i++)
		args[i] = uc->args[i];
	cr_assert_eq(wait_exit(spawn(args, NULL)), 64);
	err = slurp("err");
	cr_assert_not_null(strstr(err, uc->message), "%s", err);
	cr_assert_not_null(strstr(err, "Try 'hv-testd --help' for more information."), "%s", err);
	free(err);
}

/* ---- lifecycle ---- */

Test(daemon, ready_reload_and_terminate, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	char *err;
	pid_t pid;

	write_file("test.conf", "[test]\ngreeting = one\n");
	pid = spawn(args, NULL);
	expect_note("STATUS=Starting");
	expect_note("STATUS=greeting=one");
	expect_note("READY=1");

	/* A good configuration is applied. */
	write_file("test.conf", "[test]\ngreeting = two\n");
	notes[0] = '\0';
	cr_assert_eq(kill(pid, SIGHUP), 0);
	expect_note_prefix("RELOADING=1\nMONOTONIC_USEC=");
	expect_note("STATUS=greeting=two");
	expect_note("READY=1");

	/* A bad one is not: the old stays and the log says why. */
	write_file("test.conf", "[test]\ngreeting = three\n[general]\nlog-level = loud\n");
	notes[0] = '\0';
	cr_assert_eq(kill(pid, SIGHUP), 0);
	expect_note_prefix("RELOADING=1");
	expect_note("READY=1");
	expect_note("STATUS=greeting=two");
	cr_assert_null(strstr(notes, "greeting=three"), "%s", notes);

	/* Nor a syntax error. */
	write_file("test.conf", "[test\n");
	notes[0] = '\0';
	cr_assert_eq(kill(pid, SIGHUP), 0);
	expect_note("STATUS=greeting=two");

	/* Nor one the daemon refuses. */
	write_file("test.conf", "[test]\ngreeting = four\nrefuse-reload = yes\n");
	notes[0] = '\0';
	cr_assert_eq(kill(pid, SIGHUP), 0);
	expect_note("STATUS=greeting=two");
	cr_assert_null(strstr(notes, "greeting=four"), "%s", notes);

	/* What the daemon actually runs with after all three: still "two". */
	cr_assert_eq(kill(pid, SIGUSR1), 0);
	expect_note("STATUS=active greeting=two");

	/* Still alive and reloadable after all that. */
	write_file("test.conf", "[test]\ngreeting = five\n");
	notes[0] = '\0';
	cr_assert_eq(kill(pid, SIGHUP), 0);
	expect_note("STATUS=greeting=five");
	cr_assert_eq(kill(pid, SIGUSR1), 0);
	expect_note("STATUS=active greeting=five");

	notes[0] = '\0';
	cr_assert_eq(kill(pid, SIGTERM), 0);
	expect_note("STOPPING=1");
	cr_assert_eq(wait_exit(pid), 0);

	err = slurp("err");
	cr_assert_not_null(strstr(err, "hv-testd: Ready\n"), "%s", err);
	cr_assert_not_null(strstr(err, ":general:log-level: invalid value 'loud', expected a log level"), "%s", err);
	cr_assert_not_null(strstr(err, "Failed to reload configuration, keeping the old one: Invalid argument"),
			   "%s", err);
	cr_assert_not_null(strstr(err, "syntax error"), "%s", err);
	cr_assert_not_null(strstr(err, "The new configuration was refused, keeping the old one: Operation not permitted"),
			   "%s", err);
	free(err);
}

struct signal_case {
	int sig;
	char option[16];
};

static const struct signal_case signal_cases[] = {
	{ SIGTERM, "" },
	{ SIGINT, "" },
	{ SIGTERM, "-n" },
	{ SIGTERM, "--no-daemon" },
};

ParameterizedTestParameters(daemon, stop_signals_exit_cleanly)
{
	return cr_make_param_array(struct signal_case, signal_cases, ELEMENTSOF(signal_cases));
}

ParameterizedTest(struct signal_case *sc, daemon, stop_signals_exit_cleanly, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), sc->option[0] ? sc->option : NULL, NULL };
	pid_t pid;

	write_file("test.conf", "[test]\n");
	pid = spawn(args, NULL);
	expect_note("READY=1");
	cr_assert_eq(kill(pid, sc->sig), 0);
	expect_note("STOPPING=1");
	cr_assert_eq(wait_exit(pid), 0);
}

Test(daemon, missing_config_file_fails, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("nope.conf"), NULL };
	char *err;

	cr_assert_eq(wait_exit(spawn(args, NULL)), 1);
	err = slurp("err");
	cr_assert_not_null(strstr(err, "nope.conf: cannot open configuration file"), "%s", err);
	cr_assert_not_null(strstr(err, "Failed to load configuration: No such file or directory"), "%s", err);
	free(err);
	cr_assert_null(strstr(notes, "READY=1"));
}

Test(daemon, failed_start_exits_1_without_ready, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	char *err;
	pid_t pid;

	write_file("test.conf", "[test]\nfail-start = yes\n");
	pid = spawn(args, NULL);
	expect_note("ERRNO=5");
	expect_note("STOPPING=1");
	cr_assert_eq(wait_exit(pid), 1);
	cr_assert_null(strstr(notes, "READY=1"), "%s", notes);
	err = slurp("err");
	cr_assert_not_null(strstr(err, "Failed to start: Input/output error"), "%s", err);
	free(err);
}

Test(daemon, watchdog, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	const char *env[] = { "WATCHDOG_USEC=200000", NULL };
	pid_t pid;

	write_file("test.conf", "[test]\n");
	pid = spawn(args, env);
	expect_note("READY=1");
	expect_note("WATCHDOG=1");
	kill(pid, SIGTERM);
	cr_assert_eq(wait_exit(pid), 0);
}

/* ---- configuration search, log level, log format ---- */

static void make_root_config(const char *main_text, const char *dropin_text)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/root/etc/hvutils/hvutils.conf.d'", tmpdir);
	cr_assert_eq(system(cmd), 0);
	if (main_text)
		write_file("root/etc/hvutils/hvutils.conf", main_text);
	if (dropin_text)
		write_file("root/etc/hvutils/hvutils.conf.d/50-test.conf", dropin_text);
}

struct level_case {
	char main[64];
	char option[16];
	bool debug_shown;
	bool info_shown;
};

static const struct level_case level_cases[] = {
	{ "[general]\nlog-level = debug\n", "", true, true },
	{ "[general]\nlog-level = info\n", "", false, true },
	{ "[general]\nlog-level = err\n", "", false, false },
	{ "[general]\nlog-level = err\n", "--debug", true, true },
	{ "", "", false, true },
};

ParameterizedTestParameters(daemon, log_level)
{
	return cr_make_param_array(struct level_case, level_cases, ELEMENTSOF(level_cases));
}

ParameterizedTest(struct level_case *lc, daemon, log_level, .init = setup, .fini = teardown)
{
	const char *args[] = { lc->option[0] ? lc->option : NULL, NULL };
	char env_root[300];
	const char *env[] = { env_root, "CONFIGURATION_DIRECTORY=/etc/hvutils", NULL };
	char *err;
	pid_t pid;

	make_root_config(lc->main, "[test]\ngreeting = from-dropin\n");
	snprintf(env_root, sizeof(env_root), "HV_SYSROOT=%s/root", tmpdir);
	pid = spawn(args, env);
	expect_note("STATUS=greeting=from-dropin");
	expect_note("READY=1");
	kill(pid, SIGTERM);
	cr_assert_eq(wait_exit(pid), 0);
	err = slurp("err");
	cr_assert_eq(strstr(err, "hv-testd: Status: Starting\n") != NULL, lc->debug_shown, "%s", err);
	cr_assert_eq(strstr(err, "hv-testd: Ready\n") != NULL, lc->info_shown, "%s", err);
	free(err);
}

Test(daemon, journal_format, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	const char *env[] = { "JOURNAL_STREAM=8:1234", NULL };
	char *err;
	pid_t pid;

	write_file("test.conf", "[test]\nbogus = 1\n");
	pid = spawn(args, env);
	expect_note("READY=1");
	kill(pid, SIGTERM);
	cr_assert_eq(wait_exit(pid), 0);
	err = slurp("err");
	cr_assert_not_null(strstr(err, "<6>Ready\n"), "%s", err);
	cr_assert_not_null(strstr(err, "<4>"), "%s", err);
	cr_assert_not_null(strstr(err, "test.conf:test:bogus: unknown key, ignoring\n"), "%s", err);
	cr_assert_null(strstr(err, "hv-testd: "), "no prefix under the journal: %s", err);
	free(err);
}

/* ---- status file ---- */

Test(daemon, status_file, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	char env_root[300];
	const char *env[] = { env_root, NULL };
	json_object *o = NULL, *v = NULL;
	struct hv_path *p;
	pid_t pid;

	snprintf(env_root, sizeof(env_root), "HV_SYSROOT=%s/root", tmpdir);
	write_file("test.conf", "[test]\nstatus-file = yes\ngreeting = json\n");
	cr_assert_eq(mkdir(tmp("root"), 0755), 0);
	pid = spawn(args, env);
	expect_note("READY=1");
	kill(pid, SIGTERM);
	cr_assert_eq(wait_exit(pid), 0);

	p = hv_path_new(tmp("root"));
	cr_assert_eq(hv_json_read_file(p, RUNSTATEDIR "/hvutils/hv-testd.json", &o), 0);
	cr_assert(json_object_object_get_ex(o, "daemon", &v));
	cr_assert_str_eq(json_object_get_string(v), "hv-testd");
	cr_assert(json_object_object_get_ex(o, "ready", &v));
	cr_assert(json_object_get_boolean(v));
	cr_assert(json_object_object_get_ex(o, "status", &v));
	cr_assert_str_eq(json_object_get_string(v), "greeting=json");
	cr_assert(json_object_object_get_ex(o, "pid", &v));
	cr_assert_eq(json_object_get_int(v), pid);
	json_object_put(o);
	hv_path_free(p);
}

/* The skeleton keeps the file itself: ready at once, batched updates with
 * the daemon's own members, and "ready": false once stopped. */
static json_object *read_status(const char *root)
{
	struct hv_path *p = hv_path_new(root);
	json_object *o = NULL;

	cr_assert_not_null(p);
	if (hv_json_read_file(p, RUNSTATEDIR "/hvutils/hv-testd.json", &o) < 0)
		o = NULL;
	hv_path_free(p);
	return o;
}

static int64_t status_int(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

Test(daemon, managed_status_file, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	char env_root[300];
	const char *env[] = { env_root, "HV_TESTD_MANAGED_STATUS=1", NULL };
	json_object *o, *v = NULL;
	pid_t pid;
	bool seen = false;

	snprintf(env_root, sizeof(env_root), "HV_SYSROOT=%s/root", tmpdir);
	write_file("test.conf", "[test]\ngreeting = managed\n");
	cr_assert_eq(mkdir(tmp("root"), 0755), 0);
	pid = spawn(args, env);
	expect_note("READY=1");

	/* Written when ready, before any batching delay. */
	for (int i = 0; i < 100 && !(o = read_status(tmp("root"))); i++)
		usleep(10000);
	cr_assert_not_null(o, "no status file right after READY=1");
	cr_assert(json_object_object_get_ex(o, "ready", &v));
	cr_assert(json_object_get_boolean(v));
	cr_assert_eq(status_int(o, "requests"), 0);
	json_object_put(o);

	/* Three requests in a burst end up in the file within the batching delay. */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(kill(pid, SIGRTMIN + 1), 0);
	for (int i = 0; i < 300 && !seen; i++) {
		o = read_status(tmp("root"));
		seen = o && status_int(o, "requests") == 3;
		json_object_put(o);
		if (!seen)
			usleep(10000);
	}
	cr_assert(seen, "the status file never showed 3 requests");

	kill(pid, SIGTERM);
	cr_assert_eq(wait_exit(pid), 0);
	o = read_status(tmp("root"));
	cr_assert_not_null(o);
	cr_assert(json_object_object_get_ex(o, "ready", &v));
	cr_assert_not(json_object_get_boolean(v), "still ready after exit: %s", json_object_to_json_string(o));
	cr_assert(json_object_object_get_ex(o, "status", &v));
	cr_assert_str_eq(json_object_get_string(v), "Stopped");
	cr_assert_eq(status_int(o, "requests"), 3);
	json_object_put(o);
}

/* ---- a char device that appears late ---- */

Test(daemon, ready_only_after_registration_on_a_late_device, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	char env_root[300], cmd[512];
	const char *env[] = { env_root, NULL };
	char *err;
	pid_t pid;

	snprintf(env_root, sizeof(env_root), "HV_SYSROOT=%s/root", tmpdir);
	write_file("test.conf", "[test]\nchardev = kvp\nretry = 50ms\n");
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/root/dev/vmbus'", tmpdir);
	cr_assert_eq(system(cmd), 0);
	pid = spawn(args, env);
	expect_note("STATUS=Waiting for the kvp device");
	/* Not ready while the device is missing. */
	cr_assert_not(wait_note("READY=1", false, 300), "READY=1 before registration: %s", notes);

	/*
	 * The device appears.  A FIFO plays a loop-back kernel: the daemon reads
	 * its own 7432-byte REGISTER1 message back, which is a well-formed answer
	 * (op 100, empty version string).
	 */
	cr_assert_eq(mkfifo(tmp("root/dev/vmbus/hv_kvp"), 0600), 0);
	expect_note("STATUS=Registered with the kernel (kvp)");
	expect_note("READY=1");
	kill(pid, SIGTERM);
	cr_assert_eq(wait_exit(pid), 0);
	err = slurp("err");
	cr_assert_not_null(strstr(err, "/dev/vmbus/hv_kvp does not exist (yet), waiting for it"), "%s", err);
	free(err);
}

Test(daemon, bad_registration_answer_is_fatal, .init = setup, .fini = teardown)
{
	const char *args[] = { "--config", tmp("test.conf"), NULL };
	char env_root[300], cmd[512];
	const char *env[] = { env_root, NULL };
	char *err;

	snprintf(env_root, sizeof(env_root), "HV_SYSROOT=%s/root", tmpdir);
	write_file("test.conf", "[test]\nchardev = kvp\n");
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/root/dev/vmbus'", tmpdir);
	cr_assert_eq(system(cmd), 0);
	/* A regular file: opens, takes the registration, but answers nothing. */
	write_file("root/dev/vmbus/hv_kvp", "");
	cr_assert_eq(wait_exit(spawn(args, env)), 1);
	err = slurp("err");
	cr_assert_not_null(strstr(err, "/dev/vmbus/hv_kvp answered the registration with 0 bytes, expected 7432"),
			   "%s", err);
	cr_assert_not_null(strstr(err, "Failed to start"), "%s", err);
	free(err);
}
