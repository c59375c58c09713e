/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding and running hv-vssd's hooks (see vss-hooks.h).  One struct
 * hv_vss_hook is one run: the child, its pidfd (Linux 5.3; without one a
 * short timer polls waitpid()), its output pipe with the line being
 * assembled, and the deadline.  The asynchronous and the synchronous form
 * share everything but the waiting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "platform/spawn.h"
#include "services/vss-hooks.h"

#define POLL_FALLBACK_USEC (20 * 1000)

/* ---- which files ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool hv_vss_hook_name_is_ignored(const char *name)
{
	return !name || !name[0] || name[0] == '.' || ends_with(name, "~") || ends_with(name, ".rpmnew") ||
	       ends_with(name, ".rpmsave") || strstr(name, ".dpkg-");
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int hv_vss_hooks_scan(const char *dir, char ***ret)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (!dir || !ret)
		return -EINVAL;
	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			return -errno;
		v = calloc(1, sizeof(char *));
		if (!v)
			return -ENOMEM;
		*ret = v;
		return 0;
	}
	v = calloc(1, sizeof(char *));
	if (!v)
		r = -ENOMEM;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		struct stat st;
		char **nv;

		if (hv_vss_hook_name_is_ignored(de->d_name))
			continue;
		/* stat, not lstat: a link to an executable is a hook. */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
			continue;
		nv = realloc(v, (n + 2) * sizeof(char *));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			r = -ENOMEM;
			break;
		}
		v[++n] = NULL;
	}
	if (r == 0 && errno != 0)
		r = -errno;
	closedir(d);
	if (r < 0) {
		strv_free(v);
		return r;
	}
	qsort(v, n, sizeof(char *), compare_names);
	*ret = v;
	return 0;
}

/* ---- one run ---- */

struct hv_vss_hook {
	char *name;
	pid_t pid; /* > 0 until reaped */
	int pidfd;
	int outfd;
	uint64_t start_mono, deadline_mono;
	struct hv_vss_hook_result result;
	char line[HV_VSS_HOOK_LINE_MAX + 1];
	size_t line_len;
	size_t logged; /* bytes of output taken */
	bool truncated;

	sd_event *event;
	sd_event_source *out_source, *exit_source, *timer;
	hv_vss_hook_done_fn done;
	void *userdata;
};

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000;
}

const char *hv_vss_hook_get_name(const struct hv_vss_hook *h)
{
	return h ? h->name : NULL;
}

static void flush_line(struct hv_vss_hook *h)
{
	if (h->line_len == 0)
		return;
	h->line[h->line_len] = '\0';
	hv_log_info("Hook %s: %s", h->name, h->line);
	h->line_len = 0;
}

static void take_output(struct hv_vss_hook *h, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (h->logged >= HV_VSS_HOOK_OUTPUT_MAX) {
			if (!h->truncated) {
				flush_line(h);
				hv_log_info("Hook %s: (more output not logged)", h->name);
				h->truncated = true;
			}
			return;
		}
		h->logged++;
		if (c == '\n') {
			flush_line(h);
			continue;
		}
		/* Nothing that could talk to a terminal reading the log. */
		if (c < 0x20 || c == 0x7f)
			c = c == '\t' ? ' ' : '?';
		h->line[h->line_len++] = (char)c;
		if (h->line_len == HV_VSS_HOOK_LINE_MAX)
			flush_line(h);
	}
}

/* Read what is there; false at end of file or error (stop watching). */
static bool read_output(struct hv_vss_hook *h)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(h->outfd, buf, sizeof(buf));

		if (n > 0) {
			take_output(h, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

static void kill_hook(struct hv_vss_hook *h)
{
	if (h->pid <= 0)
		return;
	/* The group first (what the hook started), then the hook itself in
	 * case it left the group. */
	(void)kill(-h->pid, SIGKILL);
	(void)kill(h->pid, SIGKILL);
}

/* true when the child was reaped now (result.status set). */
static bool try_reap(struct hv_vss_hook *h, bool block)
{
	int st;
	pid_t w;

	if (h->pid <= 0)
		return true;
	do
		w = waitpid(h->pid, &st, block ? 0 : WNOHANG);
	while (w < 0 && errno == EINTR);
	if (w == 0)
		return false;
	if (w < 0)
		h->result.status = -errno;
	else if (WIFEXITED(st))
		h->result.status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		h->result.status = 128 + WTERMSIG(st);
	else
		h->result.status = -EIO;
	h->pid = 0;
	h->result.duration_usec = now_usec(CLOCK_MONOTONIC) - h->start_mono;
	return true;
}

static int spawn_hook(struct hv_vss_hook *h, const char *dir, const char *argument)
{
	/* A group of its own: a timeout kills whatever the hook started too. */
	struct hv_spawn_options o = { .new_process_group = true };
	_cleanup_free_ char *path = NULL;
	int pipefd[2], r;
	char *argv[3];
	pid_t pid;
	long pfd;

	if (asprintf(&path, "%s/%s", dir, h->name) < 0) {
		path = NULL;
		return -ENOMEM;
	}
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/* Non-blocking is for our end only. */
	(void)fcntl(pipefd[1], F_SETFL, 0);
	o.stdout_fd = o.stderr_fd = pipefd[1];
	argv[0] = path;
	argv[1] = (char *)argument;
	argv[2] = NULL;
	h->start_mono = now_usec(CLOCK_MONOTONIC);
	h->result.start_usec = now_usec(CLOCK_REALTIME);
	r = hv_spawn(argv, &o, &pid);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		return r;
	}
	h->pid = pid;
	h->outfd = pipefd[0];
	pfd = syscall(SYS_pidfd_open, pid, 0);
	h->pidfd = pfd >= 0 ? (int)pfd : -EBADF;
	return 0;
}

static struct hv_vss_hook *hook_new(const char *name)
{
	struct hv_vss_hook *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->name = strdup(name);
	if (!h->name) {
		free(h);
		return NULL;
	}
	h->pidfd = -EBADF;
	h->outfd = -EBADF;
	h->result.status = -EIO;
	return h;
}

static void hook_stop_sources(struct hv_vss_hook *h)
{
	h->out_source = sd_event_source_disable_unref(h->out_source);
	h->exit_source = sd_event_source_disable_unref(h->exit_source);
	h->timer = sd_event_source_disable_unref(h->timer);
}

struct hv_vss_hook *hv_vss_hook_free(struct hv_vss_hook *h)
{
	if (!h)
		return NULL;
	hook_stop_sources(h);
	if (h->pid > 0) {
		kill_hook(h);
		(void)try_reap(h, true);
	}
	h->pidfd = hv_safe_close(h->pidfd);
	h->outfd = hv_safe_close(h->outfd);
	h->event = sd_event_unref(h->event);
	free(h->name);
	free(h);
	return NULL;
}

/* The end of a run: the last output, a line about a failure, done(). */
static void hook_finish(struct hv_vss_hook *h)
{
	hv_vss_hook_done_fn done = h->done;
	struct hv_vss_hook_result result;

	if (h->outfd >= 0)
		(void)read_output(h);
	flush_line(h);
	hook_stop_sources(h);
	h->outfd = hv_safe_close(h->outfd);
	h->pidfd = hv_safe_close(h->pidfd);
	result = h->result;
	if (done)
		done(h, &result, h->userdata); /* may free h */
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hv_vss_hook *h = userdata;

	(void)s;
	(void)fd;
	(void)revents;
	if (!read_output(h)) {
		flush_line(h);
		h->out_source = sd_event_source_disable_unref(h->out_source);
	}
	return 0;
}

static int on_exit_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hv_vss_hook *h = userdata;

	(void)s;
	(void)fd;
	(void)revents;
	if (try_reap(h, false))
		hook_finish(h);
	return 0;
}

static int arm_timer(struct hv_vss_hook *h, uint64_t when);

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hv_vss_hook *h = userdata;

	(void)s;
	if (try_reap(h, false)) {
		hook_finish(h);
		return 0;
	}
	if (usec >= h->deadline_mono && !h->result.timed_out) {
		h->result.timed_out = true;
		hv_log_warning("Hook %s did not finish in time, killing it", h->name);
		kill_hook(h);
	}
	/* Without a pidfd the timer is how the end is noticed; with one, a
	 * killed hook is reported by the pidfd. */
	if (h->pidfd < 0 || !h->exit_source)
		return arm_timer(h, usec + POLL_FALLBACK_USEC);
	h->timer = sd_event_source_disable_unref(h->timer);
	return 0;
}

static int arm_timer(struct hv_vss_hook *h, uint64_t when)
{
	int r;

	if (h->timer) {
		r = sd_event_source_set_time(h->timer, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
		return r;
	}
	return sd_event_add_time(h->event, &h->timer, CLOCK_MONOTONIC, when, 0, on_timer, h);
}

/* A failure to start is reported through done, from the loop. */
static int on_start_failed(sd_event_source *s, void *userdata)
{
	struct hv_vss_hook *h = userdata;

	(void)s;
	hook_finish(h);
	return 0;
}

int hv_vss_hook_start(sd_event *e, const char *dir, const char *name, const char *argument,
		      uint64_t timeout_usec, hv_vss_hook_done_fn done, void *userdata, struct hv_vss_hook **ret)
{
	struct hv_vss_hook *h;
	uint64_t first;
	int r;

	if (!e || !dir || !name || !argument || !ret)
		return -EINVAL;
	h = hook_new(name);
	if (!h)
		return -ENOMEM;
	h->event = sd_event_ref(e);
	h->done = done;
	h->userdata = userdata;

	r = spawn_hook(h, dir, argument);
	if (r < 0) {
		hv_log_warning_errno(r, "Hook %s could not be started: %m", name);
		h->result.status = r;
		h->result.start_usec = now_usec(CLOCK_REALTIME);
		r = sd_event_add_defer(e, &h->timer, on_start_failed, h);
		if (r < 0) {
			hv_vss_hook_free(h);
			return r;
		}
		*ret = h;
		return 0;
	}
	h->deadline_mono = h->start_mono + timeout_usec;

	r = sd_event_add_io(e, &h->out_source, h->outfd, EPOLLIN, on_output, h);
	if (r >= 0 && h->pidfd >= 0)
		r = sd_event_add_io(e, &h->exit_source, h->pidfd, EPOLLIN, on_exit_pidfd, h);
	if (r >= 0) {
		first = h->deadline_mono;
		if (h->pidfd < 0)
			first = HV_MIN(first, h->start_mono + POLL_FALLBACK_USEC);
		r = arm_timer(h, first);
	}
	if (r < 0) {
		hv_vss_hook_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

/* Wait for the end without a loop: output read, killed at the deadline. */
static void wait_sync(struct hv_vss_hook *h)
{
	bool out_open = h->outfd >= 0;

	while (!try_reap(h, false)) {
		uint64_t now = now_usec(CLOCK_MONOTONIC);
		struct pollfd p[2];
		int n = 0, wait_ms;

		if (now >= h->deadline_mono && !h->result.timed_out) {
			h->result.timed_out = true;
			hv_log_warning("Hook %s did not finish in time, killing it", h->name);
			kill_hook(h);
			(void)try_reap(h, true);
			break;
		}
		wait_ms = (int)HV_MIN((h->deadline_mono - now + 999) / 1000, (uint64_t)INT32_MAX);
		if (h->pidfd < 0)
			wait_ms = HV_MIN(wait_ms, (int)(POLL_FALLBACK_USEC / 1000));
		if (out_open)
			p[n++] = (struct pollfd){ .fd = h->outfd, .events = POLLIN };
		if (h->pidfd >= 0)
			p[n++] = (struct pollfd){ .fd = h->pidfd, .events = POLLIN };
		if (poll(p, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
			break;
		if (out_open && p[0].revents)
			out_open = read_output(h);
	}
	if (h->pid > 0) {
		/* poll() failed: do not leave it running. */
		kill_hook(h);
		(void)try_reap(h, true);
	}
	if (h->outfd >= 0)
		(void)read_output(h);
	flush_line(h);
}

int hv_vss_hook_wait(struct hv_vss_hook *h, struct hv_vss_hook_result *ret)
{
	if (!h || !ret)
		return -EINVAL;
	hook_stop_sources(h);
	if (h->pid > 0)
		wait_sync(h);
	*ret = h->result;
	return 0;
}

int hv_vss_hook_run(const char *dir, const char *name, const char *argument, uint64_t timeout_usec,
		    struct hv_vss_hook_result *ret)
{
	struct hv_vss_hook *h;
	int r;

	if (!dir || !name || !argument || !ret)
		return -EINVAL;
	h = hook_new(name);
	if (!h)
		return -ENOMEM;
	r = spawn_hook(h, dir, argument);
	if (r < 0) {
		hv_log_warning_errno(r, "Hook %s could not be started: %m", name);
		h->result.status = r;
		h->result.start_usec = now_usec(CLOCK_REALTIME);
	} else {
		h->deadline_mono = h->start_mono + timeout_usec;
		wait_sync(h);
	}
	*ret = h->result;
	hv_vss_hook_free(h);
	return 0;
}
