/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The freeze guardian (see vss-guardian.h).  fork() rather than a helper
 * binary: the child needs nothing but this file's code and the thaw ops,
 * there is no path to get wrong, and the daemon is single-threaded, so the
 * child may use malloc and the log sink after the fork.
 *
 * Wire: each message is one byte on a SOCK_SEQPACKET socket; 'H' carries one
 * descriptor (SCM_RIGHTS) to hold, 'R' asks the guardian to release
 * everything and exit.  The socket keeps messages queued after the daemon
 * died, descriptors in flight included, so whatever was sent before a crash
 * is received before the end of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "services/vss-guardian.h"

#define MSG_HOLD 'H'
#define MSG_RELEASE 'R'
#define REAP_TIMEOUT_MSEC 2000

struct hv_vss_guardian {
	pid_t pid;
	int sock;
	size_t held;
};

pid_t hv_vss_guardian_get_pid(const struct hv_vss_guardian *g)
{
	return g ? g->pid : -1;
}

size_t hv_vss_guardian_get_held(const struct hv_vss_guardian *g)
{
	return g ? g->held : 0;
}

/* ---- the child ---- */

struct guardian {
	struct hv_fsfreeze ff;
	int *fds;
	size_t n, cap;
};

static _noreturn_ void guardian_thaw_and_exit(struct guardian *c, const char *why)
{
	unsigned thawed = 0, failed = 0;
	int first_error = 0;

	/* Thaw first, last frozen first; say anything only afterwards. */
	for (size_t i = c->n; i > 0; i--) {
		int r = hv_fsfreeze_thaw(&c->ff, c->fds[i - 1]);

		if (r == HV_FSFREEZE_DONE)
			thawed++;
		else if (r < 0) {
			failed++;
			if (!first_error)
				first_error = r;
		}
	}
	if (thawed > 0 || failed > 0) {
		if (failed > 0)
			hv_log_err_errno(first_error,
					 "Guardian: %s; thawed %u file system(s), %u failed to thaw: %m",
					 why, thawed, failed);
		else
			hv_log_warning("Guardian: %s; thawed %u file system(s) it had frozen", why, thawed);
	}
	_exit(failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static void guardian_keep(struct guardian *c, int fd)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		int *n = realloc(c->fds, cap * sizeof(int));

		if (!n) {
			/* Cannot keep it: thaw it now rather than lose track. */
			(void)hv_fsfreeze_thaw(&c->ff, fd);
			close(fd);
			return;
		}
		c->fds = n;
		c->cap = cap;
	}
	c->fds[c->n++] = fd;
}

/* 2: a message was taken; 1: nothing queued now; 0: end of file or a
 * failed socket; -1: release. */
static int guardian_receive(struct guardian *c, int sock)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR ? 2 : errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (byte == MSG_HOLD)
			guardian_keep(c, fd);
		else
			close(fd);
	}
	return byte == MSG_RELEASE ? -1 : 2;
}

static _noreturn_ void guardian_release_and_exit(struct guardian *c)
{
	for (size_t i = 0; i < c->n; i++)
		close(c->fds[i]);
	_exit(EXIT_SUCCESS);
}

/* The end, for whatever reason: descriptors still queued are frozen too,
 * so take them first; a release queued before the end means the daemon
 * thawed everything itself. */
static _noreturn_ void guardian_end(struct guardian *c, int sock, const char *why)
{
	int r;

	while ((r = guardian_receive(c, sock)) == 2)
		;
	if (r < 0)
		guardian_release_and_exit(c);
	guardian_thaw_and_exit(c, why);
}

static void close_inherited(int keep)
{
	/* keep is 3 by now: everything above it goes. */
	if (close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	for (int fd = keep + 1; fd < 65536; fd++)
		(void)close(fd);
}

static _noreturn_ void guardian_main(int sock, const struct hv_fsfreeze *ff, pid_t parent)
{
	struct guardian c = { .ff = *ff };
	sigset_t mask;
	int sigfd;

	/* The parent's buffered messages are the parent's to flush. */
	hv_log_buffer_discard();

	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(EXIT_FAILURE);
		sock = 3;
	}
	close_inherited(sock);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* A second line behind the socket: the parent's death is a SIGTERM. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		guardian_end(&c, sock, "the daemon was gone before the guardian started");

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		int r;

		if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			guardian_end(&c, sock, "waiting failed");
		}
		if (sigfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				guardian_end(&c, sock, si.ssi_signo == SIGHUP ? "got SIGHUP"
							   : si.ssi_signo == SIGINT ? "got SIGINT"
										    : "got SIGTERM");
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* Take everything queued, then act on what ended it. */
			while ((r = guardian_receive(&c, sock)) == 2)
				;
			if (r == 0)
				guardian_thaw_and_exit(&c, "the daemon went away with file systems frozen");
			if (r < 0)
				guardian_release_and_exit(&c);
		}
	}
}

/* ---- the daemon's side ---- */

int hv_vss_guardian_start(const struct hv_fsfreeze *ff, struct hv_vss_guardian **ret)
{
	struct hv_fsfreeze copy = ff && ff->ops ? *ff : hv_fsfreeze_system;
	struct hv_vss_guardian *g;
	sigset_t mask, saved;
	int sv[2], r;
	pid_t parent = getpid(), pid;

	if (!ret)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(g);
		return -errno;
	}
	/* The child must not die of a stop signal before its signalfd exists:
	 * it is born with them blocked (a daemon has them blocked anyway). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &mask, &saved);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		guardian_main(sv[1], &copy, parent);
	}
	r = pid < 0 ? -errno : 0;
	(void)sigprocmask(SIG_SETMASK, &saved, NULL);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		free(g);
		return r;
	}
	close(sv[1]);
	g->pid = pid;
	g->sock = sv[0];
	*ret = g;
	return 0;
}

static int send_message(struct hv_vss_guardian *g, char byte, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(g->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

int hv_vss_guardian_hold(struct hv_vss_guardian *g, int fd)
{
	int r;

	if (!g || fd < 0)
		return -EINVAL;
	/* The kernel duplicates the descriptor into the message. */
	r = send_message(g, MSG_HOLD, fd);
	if (r < 0)
		return r;
	g->held++;
	return 0;
}

static void sleep_msec(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reap the child within timeout_ms; true when reaped. */
static bool reap(pid_t pid, unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited += 5) {
		pid_t w = waitpid(pid, NULL, WNOHANG);

		if (w == pid || (w < 0 && errno == ECHILD))
			return true;
		if (waited >= timeout_ms)
			return false;
		sleep_msec(5);
	}
}

int hv_vss_guardian_release(struct hv_vss_guardian *g)
{
	struct pollfd p;
	int r;

	if (!g)
		return 0;
	r = send_message(g, MSG_RELEASE, -1);
	if (r == 0) {
		/* Its end of the socket closes when it exits. */
		p = (struct pollfd){ .fd = g->sock, .events = POLLIN };
		while (poll(&p, 1, REAP_TIMEOUT_MSEC) < 0 && errno == EINTR)
			;
	}
	g->sock = hv_safe_close(g->sock);
	if (!reap(g->pid, REAP_TIMEOUT_MSEC)) {
		/* Stuck: it holds nothing we still need. */
		(void)kill(g->pid, SIGKILL);
		(void)reap(g->pid, REAP_TIMEOUT_MSEC);
	}
	free(g);
	return r;
}

struct hv_vss_guardian *hv_vss_guardian_free(struct hv_vss_guardian *g)
{
	if (!g)
		return NULL;
	g->sock = hv_safe_close(g->sock);
	(void)reap(g->pid, REAP_TIMEOUT_MSEC);
	free(g);
	return NULL;
}
