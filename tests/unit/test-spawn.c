/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/spawn: what a spawned child gets (environment, signal mask and
 * dispositions, standard descriptors, process group), seen from inside it
 * by a small sh script, and the errors for a program that cannot run.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/spawn.h"

/* What the child reports about itself, one "name=value" a line. */
static const char report[] = "echo \"path=$PATH\"\n"
			     "echo \"lang=$LANG\"\n"
			     "echo \"leak=${HV_SPAWN_TEST_LEAK-unset}\"\n"
			     "grep -E '^Sig(Blk|Ign):' /proc/$$/status | tr -d ' \\t' | tr : =\n"
			     "echo \"stdin=$(readlink /proc/$$/fd/0)\"\n"
			     "echo \"stdout=$(readlink /proc/$$/fd/1)\"\n"
			     "echo \"stderr=$(readlink /proc/$$/fd/2)\"\n"
			     "read -r _ _ _ _ pgrp _ </proc/$$/stat\n"
			     "[ \"$pgrp\" = \"$$\" ] && echo leader=yes || echo leader=no\n";

static int wait_exit(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;

	while ((n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
}

static void assert_line(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "%s\n", line);
	cr_assert_not_null(strstr(text, want), "no line '%s' in:\n%s", line, text);
}

Test(spawn, child_gets_a_clean_environment_and_signals)
{
	struct hv_spawn_options o = { .new_process_group = true };
	sigset_t block, old;
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)report, NULL };
	char text[4096];
	int p[2];
	pid_t pid;

	/* What a daemon has and its children must not: a blocked SIGTERM, an
	 * ignored SIGPIPE, a variable in the environment. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &block, &old), 0);
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(setenv("HV_SPAWN_TEST_LEAK", "leaked", 1), 0);

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	o.stdout_fd = o.stderr_fd = p[1];
	cr_assert_eq(hv_spawn(argv, &o, &pid), 0);
	close(p[1]);
	read_all(p[0], text, sizeof(text));
	close(p[0]);
	cr_assert_eq(wait_exit(pid), 0, "%s", text);

	assert_line(text, "path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_line(text, "lang=C.UTF-8");
	assert_line(text, "leak=unset");
	assert_line(text, "SigBlk=0000000000000000");
	{
		/* glibc's own real-time signals may be ignored from further up: only ours count. */
		const char *ign = strstr(text, "SigIgn=");
		unsigned long long mask;

		cr_assert_not_null(ign, "%s", text);
		mask = strtoull(ign + strlen("SigIgn="), NULL, 16);
		cr_assert_eq(mask & (1ULL << (SIGPIPE - 1)), 0, "SIGPIPE still ignored: %llx", mask);
	}
	assert_line(text, "stdin=/dev/null");
	cr_assert_not_null(strstr(text, "stdout=pipe:["), "%s", text);
	cr_assert_not_null(strstr(text, "stderr=pipe:["), "%s", text);
	assert_line(text, "leader=yes");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The report of fds 1 and 2 and the group goes to the file named by $0. */
static const char report_to_file[] = "out=$(readlink /proc/$$/fd/1) err=$(readlink /proc/$$/fd/2)\n"
				     "printf 'fd1=%s\\nfd2=%s\\n' \"$out\" \"$err\" >\"$0\"\n"
				     "read -r _ _ _ _ pgrp _ </proc/$$/stat\n"
				     "[ \"$pgrp\" = \"$$\" ] && echo leader=yes >>\"$0\" || echo leader=no >>\"$0\"\n";

Test(spawn, default_descriptors_and_group)
{
	struct hv_spawn_options o = { .stdout_fd = -EBADF, .stderr_fd = -EBADF };
	char file[] = "/tmp/hv-test-spawn-XXXXXX", text[4096], want[PATH_MAX + 16], err[PATH_MAX];
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)report_to_file, file, NULL };
	ssize_t n;
	pid_t pid;
	int fd;

	fd = mkstemp(file);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(hv_spawn(argv, &o, &pid), 0);
	cr_assert_eq(wait_exit(pid), 0);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	read_all(fd, text, sizeof(text));
	close(fd);
	unlink(file);

	assert_line(text, "fd1=/dev/null");
	/* stderr is ours (the journal, in a daemon). */
	n = readlink("/proc/self/fd/2", err, sizeof(err) - 1);
	cr_assert_gt(n, 0);
	err[n] = '\0';
	snprintf(want, sizeof(want), "fd2=%s", err);
	assert_line(text, want);
	assert_line(text, "leader=no");
}

Test(spawn, errors)
{
	struct hv_spawn_options o = { .stdout_fd = -EBADF, .stderr_fd = -EBADF };
	char *missing[] = { (char *)"/nonexistent/hv-test-prog", NULL };
	char *empty[] = { NULL };
	pid_t pid = 12345;

	cr_assert_eq(hv_spawn(missing, &o, &pid), -ENOENT);
	cr_assert_eq(hv_spawn(empty, &o, &pid), -EINVAL);
	cr_assert_eq(hv_spawn(NULL, &o, &pid), -EINVAL);
	cr_assert_eq(pid, 12345, "ret_pid untouched on failure");
}
