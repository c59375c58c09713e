/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvp-null-responder: the transport's limit for bench/kvp.  It opens
 * /dev/vmbus/hv_kvp, registers as the daemons do (REGISTER1, PROTOCOL.md
 * §5.3, through the same transport and descriptor as hv-kvpd), then answers
 * every message at once with success: the message goes back whole with its
 * error field (bytes 0..3) set to HV_S_OK.  It keeps no pool and writes no
 * file, so whatever rate it reaches is what the simulated kernel, FUSE and
 * the host engine allow; a daemon cannot go faster on the same host.
 *
 * By default it blocks in read() (the device's read waits for a message,
 * §4): one read and one write per message, the shortest path there is.
 * With --epoll it waits in epoll_wait() first, as daemons on an event loop
 * do (hv-kvpd through sd-event; the reference uses poll()).  On a real
 * kernel that wait is nearly free; under hvsim every poll of the device is
 * a FUSE request answered by hvsim, so the difference between the two
 * modes is what waiting costs on this simulated host.
 *
 * Usage: kvp-null-responder [--epoll]   (runs until killed)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "base/path.h"
#include "daemons/common/daemon-chardev.h"
#include "proto/hv-status.h"
#include "proto/wire.h"

static int on_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	int r;

	hv_put_le32(msg, HV_S_OK);
	r = hv_chardev_write(c, msg, size);
	/* A reset lost this answer (the kernel failed the request); go on. */
	return r == -ECONNRESET ? 0 : r;
}

static const struct hv_chardev_callbacks callbacks = {
	.on_message = on_message,
};

int main(int argc, char **argv)
{
	char version[HV_KVP_REGISTER_VERSION_SIZE] = "";
	struct hv_chardev *c = NULL;
	struct hv_path *p = NULL;
	int r, ep = -EBADF, watched = -EBADF;
	unsigned reopens = 0;
	bool use_epoll = false;

	hv_log_set_sink(hv_log_stderr_sink, (void *)"kvp-null-responder");
	if (argc == 2 && strcmp(argv[1], "--epoll") == 0) {
		use_epoll = true;
	} else if (argc > 1) {
		fprintf(stderr, "Usage: %s [--epoll]\nAnswers every KVP message with HV_S_OK (bench/kvp).\n",
			argv[0]);
		return strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (use_epoll) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0) {
			hv_log_err("epoll_create1: %s", hv_strerror(-errno));
			return 1;
		}
	}
	p = hv_path_new_from_env();
	if (!p)
		return 1;
	r = hv_daemon_chardev_new_kvp(p, version, &c);
	if (r < 0) {
		hv_log_err("cannot describe the KVP device: %s", hv_strerror(r));
		goto out;
	}
	hv_chardev_set_callbacks(c, &callbacks, NULL);
	/* The device may appear a little after the world starts (§4). */
	for (int tries = 0; (r = hv_chardev_open(c)) == -ENOENT && tries < 200; tries++)
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	if (r < 0) {
		hv_log_err("%s", hv_chardev_get_error(c) ?: hv_strerror(r));
		goto out;
	}
	for (;;) {
		int fd = hv_chardev_get_fd(c);

		if (fd < 0) {
			hv_log_err("lost the KVP device: %s", hv_chardev_get_error(c) ?: "reopen failed");
			r = -ENODEV;
			break;
		}
		if (use_epoll) {
			struct epoll_event ev = { .events = EPOLLIN };

			/* A reopen may reuse the number: watch it afresh. */
			if (fd != watched || hv_chardev_get_reopens(c) != reopens) {
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
					r = -errno;
					hv_log_err("epoll_ctl: %s", hv_strerror(r));
					break;
				}
				watched = fd;
				reopens = hv_chardev_get_reopens(c);
			}
			if (epoll_wait(ep, &ev, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				break;
			}
		}
		r = hv_chardev_dispatch(c);
		if (r < 0) {
			hv_log_err("KVP device: %s", hv_chardev_get_error(c) ?: hv_strerror(r));
			break;
		}
	}
out:
	if (ep >= 0)
		close(ep);
	hv_chardev_free(c);
	hv_path_free(p);
	return r < 0 ? 1 : 0;
}
