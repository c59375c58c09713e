/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hv-vssd's hooks: the executables of one directory ([vss] hooks-directory,
 * /etc/hvutils/vss-hooks.d), run with one argument around a freeze, the
 * way qemu-guest-agent's fsfreeze-hook.d and open-vm-tools' backupScripts.d
 * work (ECOSYSTEM.md §4.2, §4.6 item 3): "freeze" before the freeze, "thaw"
 * after the thaw, "freeze-fail" after a freeze that failed.  The freezer
 * decides the order; this module finds the hooks and runs one.
 *
 * Which files are hooks: regular files (a symbolic link to one counts) with
 * an execute bit, in byte order of their names; skipped are names starting
 * with '.', ending in '~', ".rpmnew" or ".rpmsave", or containing
 * ".dpkg-" (what package managers leave beside a changed file).
 *
 * How one runs: posix_spawn() of the file itself, no shell; argv is the
 * path and the argument; stdin /dev/null; stdout and stderr one pipe whose
 * lines are logged at info level ("Hook NAME: line", control characters
 * replaced, at most HV_VSS_HOOK_OUTPUT_MAX bytes per run); environment PATH
 * and LANG only; its own process group, so a timeout kills (SIGKILL) the
 * hook and whatever it started.  A hook that could not be started, exited
 * non-zero, died of a signal or was killed after the timeout failed.
 *
 * Asynchronous runs live on an sd-event loop (the child's exit through a
 * pidfd, its output through the pipe, the timeout through a timer).
 * hv_vss_hook_run() is the synchronous form, for the daemon's stop path
 * where the loop is gone.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define HV_VSS_HOOK_OUTPUT_MAX (64 * 1024)
#define HV_VSS_HOOK_LINE_MAX 1024

/* Is this directory entry name one that is never run (backup files)? */
bool hv_vss_hook_name_is_ignored(const char *name);

/*
 * The hooks in dir (an already resolved path), sorted.  A missing
 * directory is no hooks (0, an empty list).  ret is a NULL-terminated
 * malloc'd list of names.
 */
int hv_vss_hooks_scan(const char *dir, char ***ret);

struct hv_vss_hook_result {
	/* Exit status 0..255, 128 + N after signal N, or -errno when the hook
	 * could not be started. */
	int status;
	bool timed_out;
	uint64_t start_usec;    /* CLOCK_REALTIME */
	uint64_t duration_usec; /* CLOCK_MONOTONIC */
};

static inline bool hv_vss_hook_result_ok(const struct hv_vss_hook_result *r)
{
	return r->status == 0 && !r->timed_out;
}

struct hv_vss_hook;
typedef void (*hv_vss_hook_done_fn)(struct hv_vss_hook *h, const struct hv_vss_hook_result *result,
				    void *userdata);

/*
 * Start dir/name with argument on e; done runs once, from the loop, when
 * the hook ended (it may free h).  A hook that cannot be started is not an
 * error here: done reports status -errno (from the loop, like any other
 * end).  < 0 only for bad arguments and out of resources.
 */
int hv_vss_hook_start(sd_event *e, const char *dir, const char *name, const char *argument,
		      uint64_t timeout_usec, hv_vss_hook_done_fn done, void *userdata, struct hv_vss_hook **ret);
/* A hook still running is killed and reaped; done is not called. */
struct hv_vss_hook *hv_vss_hook_free(struct hv_vss_hook *h);
const char *hv_vss_hook_get_name(const struct hv_vss_hook *h);

/* Wait for a hook started with hv_vss_hook_start() without the loop (the
 * daemon stopping): to its end or its deadline.  done is not called; h is
 * still the caller's to free. */
int hv_vss_hook_wait(struct hv_vss_hook *h, struct hv_vss_hook_result *ret);

/* Run dir/name with argument to its end (at most timeout_usec). */
int hv_vss_hook_run(const char *dir, const char *name, const char *argument, uint64_t timeout_usec,
		    struct hv_vss_hook_result *ret);
