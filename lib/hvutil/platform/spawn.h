/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting a helper program without a shell: posix_spawn() of a path with
 * an argv, never a command line (STYLE 14).  Used for VSS hooks
 * (services/vss-hooks.c) and the network managers' command-line tools
 * (platform/netmgr.c).
 *
 * The child gets what a daemon's helper should have rather than what the
 * daemon has:
 *  - a fixed environment: PATH of the usual system directories and
 *    LANG=C.UTF-8, never the daemon's own;
 *  - an empty signal mask and the default disposition of the signals a
 *    daemon blocks for sd-event or ignores (TERM, INT, HUP, PIPE, CHLD);
 *  - stdin from /dev/null; stdout to stdout_fd, or /dev/null when it is
 *    negative; stderr to stderr_fd, or the daemon's own (the journal) when
 *    it is negative;
 *  - when asked, a process group of its own, so that a timeout can kill
 *    whatever it started as well.
 * Every other descriptor of the daemon is O_CLOEXEC and is not inherited.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct hv_spawn_options {
	int stdout_fd;          /* < 0: /dev/null */
	int stderr_fd;          /* < 0: inherited */
	bool new_process_group; /* the child leads a group of its own (pgid = pid) */
};

/*
 * Start argv[0] with argv.  0 and the child's pid in *ret_pid, or the
 * -errno of posix_spawn() (-ENOENT, -EACCES, ... for a program that
 * cannot be run).  Waiting for the child is the caller's business.
 */
int hv_spawn(char *const argv[], const struct hv_spawn_options *o, pid_t *ret_pid);
