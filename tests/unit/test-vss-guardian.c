/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/vss-guardian with real processes and a recorder in place of
 * FITHAW: the guardian's thaw op appends "thaw NAME" to a file (it cannot
 * use an inherited descriptor: the guardian closes them all), NAME found
 * from the inode of the descriptor it holds.  Nothing is frozen or thawed
 * for real.  Cases: the daemon closes the socket, is SIGKILLed, releases
 * it; SIGTERM to the guardian; inherited descriptors are dropped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "platform/fsfreeze.h"
#include "services/vss-guardian.h"

static char root[] = "/tmp/hv-test-vss-guardian-XXXXXX";
static char record[300];
static const char *const names[] = { "a", "b", "c" };
static ino_t inodes[3];
static int fds[3] = { -1, -1, -1 };

static int rec_open(void *userdata, const char *mountpoint, int mount_id)
{
	(void)userdata;
	(void)mountpoint;
	(void)mount_id;
	return -EPERM;
}

static int rec_freeze(void *userdata, int fd)
{
	(void)userdata;
	(void)fd;
	return -EPERM;
}

/* Runs in the guardian. */
static int rec_thaw(void *userdata, int fd)
{
	const char *name = "?";
	struct stat st;
	char line[64];
	int out, n;

	(void)userdata;
	if (fstat(fd, &st) == 0)
		for (size_t i = 0; i < 3; i++)
			if (st.st_ino == inodes[i])
				name = names[i];
	out = open(record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	n = snprintf(line, sizeof(line), "thaw %s\n", name);
	if (write(out, line, (size_t)n) != n) {
		close(out);
		return -EIO;
	}
	close(out);
	return 0;
}

static const struct hv_fsfreeze_ops rec_ops = { .open = rec_open, .freeze = rec_freeze, .thaw = rec_thaw };
static const struct hv_fsfreeze rec = { .ops = &rec_ops };

static void setup(void)
{
	char path[400];
	struct stat st;

	cr_assert_not_null(mkdtemp(root));
	snprintf(record, sizeof(record), "%s/record", root);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		cr_assert_eq(mkdir(path, 0755), 0);
		fds[i] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(fds[i], 0);
		cr_assert_eq(fstat(fds[i], &st), 0);
		inodes[i] = st.st_ino;
	}
}

static void teardown(void)
{
	char cmd[400];

	for (size_t i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(vss_guardian, .init = setup, .fini = teardown, .timeout = 20);

static char *read_record(void)
{
	char *s = NULL;

	if (hv_read_text_file(record, 0, &s) < 0)
		return strdup("");
	return s;
}

/* Wait (bounded) for a process that is not our child to be gone. */
static bool gone_within(pid_t pid, int ms)
{
	for (int waited = 0; waited < ms; waited += 5) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		(void)waitpid(-1, NULL, WNOHANG);
		usleep(5000);
	}
	return false;
}

static struct hv_vss_guardian *start_holding_all(void)
{
	struct hv_vss_guardian *g = NULL;

	cr_assert_eq(hv_vss_guardian_start(&rec, &g), 0);
	cr_assert_gt(hv_vss_guardian_get_pid(g), 0);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(hv_vss_guardian_hold(g, fds[i]), 0);
	cr_assert_eq(hv_vss_guardian_get_held(g), 3);
	return g;
}

Test(vss_guardian, end_of_file_thaws_everything_last_first)
{
	struct hv_vss_guardian *g = start_holding_all();
	_cleanup_free_ char *got = NULL;

	/* free() closes the socket without a release and reaps the child. */
	hv_vss_guardian_free(g);
	got = read_record();
	cr_assert_str_eq(got, "thaw c\nthaw b\nthaw a");
}

Test(vss_guardian, release_thaws_nothing)
{
	struct hv_vss_guardian *g = start_holding_all();
	pid_t pid = hv_vss_guardian_get_pid(g);
	_cleanup_free_ char *got = NULL;

	cr_assert_eq(hv_vss_guardian_release(g), 0);
	cr_assert_eq(kill(pid, 0), -1, "reaped");
	got = read_record();
	cr_assert_str_eq(got, "");
}

Test(vss_guardian, sigterm_thaws)
{
	struct hv_vss_guardian *g = start_holding_all();
	_cleanup_free_ char *got = NULL;

	cr_assert_eq(kill(hv_vss_guardian_get_pid(g), SIGTERM), 0);
	/* It thaws and exits on its own; free() only reaps it then. */
	cr_assert(gone_within(hv_vss_guardian_get_pid(g), 3000) ||
		  waitpid(hv_vss_guardian_get_pid(g), NULL, 0) == hv_vss_guardian_get_pid(g));
	got = read_record();
	cr_assert_str_eq(got, "thaw c\nthaw b\nthaw a");
	hv_vss_guardian_free(g);
}

Test(vss_guardian, a_sigkilled_daemon_is_covered_within_a_second)
{
	int ready[2], gpipe[2];
	pid_t daemon_pid, guardian = 0;
	struct timespec t0, t1;
	_cleanup_free_ char *got = NULL;
	char c;
	long ms;

	/* The orphaned guardian comes back to us, so we can reap it. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(gpipe), 0);
	daemon_pid = fork();
	cr_assert_geq(daemon_pid, 0);
	if (daemon_pid == 0) {
		struct hv_vss_guardian *g = NULL;
		pid_t p;

		close(ready[0]);
		close(gpipe[0]);
		if (hv_vss_guardian_start(&rec, &g) < 0)
			_exit(1);
		for (size_t i = 0; i < 3; i++)
			if (hv_vss_guardian_hold(g, fds[i]) < 0)
				_exit(1);
		p = hv_vss_guardian_get_pid(g);
		if (write(gpipe[1], &p, sizeof(p)) != sizeof(p) || write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	close(gpipe[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the daemon child started its guardian");
	cr_assert_eq(read(gpipe[0], &guardian, sizeof(guardian)), (ssize_t)sizeof(guardian));
	got = read_record();
	cr_assert_str_eq(got, "", "nothing thawed while the daemon lives");
	free(got);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(kill(daemon_pid, SIGKILL), 0);
	cr_assert_eq(waitpid(daemon_pid, NULL, 0), daemon_pid);
	cr_assert_eq(waitpid(guardian, NULL, 0), guardian, "the guardian exits after thawing");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	got = read_record();
	cr_assert_str_eq(got, "thaw c\nthaw b\nthaw a");
	cr_assert_lt(ms, 1000, "thawed %ld ms after the kill", ms);
	close(ready[0]);
	close(gpipe[0]);
}

Test(vss_guardian, drops_inherited_descriptors)
{
	struct hv_vss_guardian *g = NULL;
	struct pollfd p;
	int pfd[2];

	/* Stands for /dev/vmbus/hv_vss: a dead daemon must release it. */
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	cr_assert_eq(hv_vss_guardian_start(&rec, &g), 0);
	close(pfd[1]);
	p = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 3000), 1, "the guardian kept the write end");
	cr_assert(p.revents & POLLHUP);
	close(pfd[0]);
	cr_assert_eq(hv_vss_guardian_release(g), 0);
}

Test(vss_guardian, refuses_bad_arguments)
{
	cr_assert_eq(hv_vss_guardian_start(&rec, NULL), -EINVAL);
	cr_assert_eq(hv_vss_guardian_hold(NULL, 0), -EINVAL);
	cr_assert_eq(hv_vss_guardian_release(NULL), 0);
	cr_assert_null(hv_vss_guardian_free(NULL));
}
