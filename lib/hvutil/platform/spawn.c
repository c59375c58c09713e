/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hv_spawn(): posix_spawn() with the child's environment, signals and
 * standard descriptors set up as spawn.h describes.  posix_spawn() (a
 * vfork-like clone in glibc) rather than fork(): nothing runs in the child
 * between the two but libc, which matters in a daemon with a loop and
 * a sizeable address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "base/macros.h"
#include "platform/spawn.h"

static char *const child_env[] = {
	(char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	(char *)"LANG=C.UTF-8",
	NULL,
};

/* Signals the daemon blocks (sd-event's) or ignores: defaults in the child. */
static const int child_default_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD };

static int setup_attr(posix_spawnattr_t *attr, bool new_process_group)
{
	sigset_t none, defaults;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int r;

	sigemptyset(&none);
	sigemptyset(&defaults);
	for (size_t i = 0; i < ELEMENTSOF(child_default_signals); i++)
		sigaddset(&defaults, child_default_signals[i]);
	r = posix_spawnattr_setsigmask(attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(attr, &defaults);
	if (r == 0 && new_process_group) {
		r = posix_spawnattr_setpgroup(attr, 0);
		flags |= POSIX_SPAWN_SETPGROUP;
	}
	if (r == 0)
		r = posix_spawnattr_setflags(attr, flags);
	return r;
}

/* Standard descriptors: stdin /dev/null, stdout fd or /dev/null, stderr fd or inherited. */
static int setup_files(posix_spawn_file_actions_t *fa, int stdout_fd, int stderr_fd)
{
	int r;

	r = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = stdout_fd >= 0 ? posix_spawn_file_actions_adddup2(fa, stdout_fd, STDOUT_FILENO)
				   : posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (r == 0 && stderr_fd >= 0)
		r = posix_spawn_file_actions_adddup2(fa, stderr_fd, STDERR_FILENO);
	return r;
}

int hv_spawn(char *const argv[], const struct hv_spawn_options *o, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int r;

	if (!argv || !argv[0] || !o || !ret_pid)
		return -EINVAL;
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawnattr_init(&attr);
	if (r != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	r = setup_attr(&attr, o->new_process_group);
	if (r == 0)
		r = setup_files(&fa, o->stdout_fd, o->stderr_fd);
	if (r == 0)
		r = posix_spawn(&pid, argv[0], &fa, &attr, argv, child_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return -r;
	*ret_pid = pid;
	return 0;
}
