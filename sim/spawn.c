/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running helper programs.  See spawn.h.
 *
 * hvsim blocks the signals it reads through a signalfd; a spawned program
 * gets an empty mask and default dispositions instead.  The child is
 * waited for by pid, so the loop's own reaping (waitpid(-1) on SIGCHLD)
 * later finds nothing of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "spawn.h"
#include "util.h"

#define MAX_CAPTURE (1024 * 1024)

struct capture {
	int fd;
	char *buf;
	size_t len, size;
};

/* Read what is there; false at EOF or error. */
static bool capture_read(struct capture *c)
{
	char tmp[4096];
	ssize_t n = read(c->fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (c->len + (size_t)n + 1 > c->size && c->len < MAX_CAPTURE) {
		size_t size = HV_MIN((size_t)MAX_CAPTURE + 1, HV_MAX(c->size * 2, c->len + (size_t)n + 1));
		char *b = realloc(c->buf, size);

		if (b) {
			c->buf = b;
			c->size = size;
		}
	}
	if (c->buf && c->len + 1 < c->size) {
		size_t take = HV_MIN((size_t)n, c->size - 1 - c->len);

		memcpy(c->buf + c->len, tmp, take);
		c->len += take;
		c->buf[c->len] = '\0';
	}
	return true;
}

static int make_attr(posix_spawnattr_t *attr)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawnattr_init(attr) != 0)
		return -ENOMEM;
	if (posix_spawnattr_setsigmask(attr, &none) != 0 || posix_spawnattr_setsigdefault(attr, &all) != 0 ||
	    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0) {
		posix_spawnattr_destroy(attr);
		return -EINVAL;
	}
	return 0;
}

int hvsim_spawn(char *const argv[], char *const envp[], int timeout_ms, char **ret_out, char **ret_err,
		int *ret_status)
{
	static char *const empty_env[] = { NULL };
	struct capture cap[2] = { { .fd = -EBADF }, { .fd = -EBADF } };
	int out[2] = { -EBADF, -EBADF }, err[2] = { -EBADF, -EBADF };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	uint64_t deadline = hvsim_now_ms() + (uint64_t)timeout_ms;
	bool open[2] = { true, true }, killed = false;
	int r, status = 0;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = -errno;
		goto out_fds;
	}
	r = make_attr(&attr);
	if (r < 0)
		goto out_fds;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		posix_spawnattr_destroy(&attr);
		r = -ENOMEM;
		goto out_fds;
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	r = -posix_spawn(&pid, argv[0], &fa, &attr, argv, envp ? envp : empty_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	out[1] = hv_safe_close(out[1]);
	err[1] = hv_safe_close(err[1]);
	if (r < 0)
		goto out_fds;

	cap[0].fd = out[0];
	cap[1].fd = err[0];
	while (open[0] || open[1]) {
		struct pollfd p[2] = { { .fd = open[0] ? out[0] : -1, .events = POLLIN },
				       { .fd = open[1] ? err[0] : -1, .events = POLLIN } };
		int n = poll(p, 2, hvsim_poll_timeout(hvsim_now_ms(), deadline, 1000));

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (open[i] && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				open[i] = capture_read(&cap[i]);
		if (hvsim_now_ms() >= deadline && !killed) {
			(void)kill(pid, SIGKILL);
			killed = true;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed) {
		r = -ETIME;
		goto out_fds;
	}
	if (ret_out) {
		*ret_out = cap[0].buf ? TAKE_PTR(cap[0].buf) : strdup("");
		if (!*ret_out)
			r = -ENOMEM;
	}
	if (ret_err && r >= 0) {
		*ret_err = cap[1].buf ? TAKE_PTR(cap[1].buf) : strdup("");
		if (!*ret_err)
			r = -ENOMEM;
	}
	*ret_status = status;
out_fds:
	free(cap[0].buf);
	free(cap[1].buf);
	hv_safe_close(out[0]);
	hv_safe_close(out[1]);
	hv_safe_close(err[0]);
	hv_safe_close(err[1]);
	return r;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int hvsim_find_program(const char *name, char **ret)
{
	static const char fallback[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *lists[2] = { getenv("PATH"), fallback };
	char *p;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (!executable(name))
			return -ENOENT;
		p = strdup(name);
		if (!p)
			return -ENOMEM;
		*ret = p;
		return 0;
	}
	for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
		const char *s = lists[l];

		while (s && *s) {
			const char *e = strchr(s, ':');
			size_t len = e ? (size_t)(e - s) : strlen(s);

			if (len > 0 && s[0] == '/') {
				if (asprintf(&p, "%.*s/%s", (int)len, s, name) < 0)
					return -ENOMEM;
				if (executable(p)) {
					*ret = p;
					return 0;
				}
				free(p);
			}
			s = e ? e + 1 : NULL;
		}
	}
	return -ENOENT;
}

const char *hvsim_first_line(const char *text)
{
	static char buf[201];
	size_t len;

	if (!text)
		return "";
	while (*text == '\n')
		text++;
	len = strcspn(text, "\n");
	snprintf(buf, sizeof(buf), "%.*s", (int)HV_MIN(len, sizeof(buf) - 1), text);
	return buf;
}
