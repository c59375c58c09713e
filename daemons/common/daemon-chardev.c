/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Char-device descriptors from proto/ and the chardev <-> sd-event glue (see
 * daemon-chardev.h).  This is where transport/ and proto/ meet, one layer
 * above both.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "daemons/common/daemon-chardev.h"
#include "platform/sd.h"
#include "proto/fcopy.h"
#include "proto/kvp.h"
#include "proto/vss.h"
#include "proto/wire.h"

/* ---- descriptors ---- */

static int check_kvp_reply(const void *reply, size_t size, void *userdata)
{
	char version[HV_KVP_REGISTER_VERSION_SIZE];
	uint8_t op = 0;
	int r;

	r = hv_kvp_msg_decode_register(reply, size, &op, version, sizeof(version));
	if (r < 0 || op != HV_KVP_OP_REGISTER1)
		return -EPROTO;
	memcpy(userdata, version, sizeof(version));
	return 0;
}

int hv_daemon_chardev_new_kvp(const struct hv_path *p, char version[HV_KVP_REGISTER_VERSION_SIZE],
			      struct hv_chardev **ret)
{
	uint8_t request[HV_KVP_MSG_SIZE];
	struct hv_chardev_desc desc;
	int r;

	if (!version)
		return -EINVAL;
	r = hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, request, sizeof(request));
	if (r < 0)
		return r;
	desc = (struct hv_chardev_desc){
		.name = "kvp",
		.device = HV_DEVICE_KVP,
		.min_msg_size = HV_KVP_MSG_SIZE,
		.max_msg_size = HV_KVP_MSG_SIZE,
		.handshake = {
			.request = request,
			.request_size = HV_KVP_MSG_SIZE,
			.reply_size = HV_KVP_MSG_SIZE,
			.check_reply = check_kvp_reply,
			.userdata = version,
		},
	};
	return hv_chardev_new(&desc, p, ret);
}

/* VSS and fcopy answer with a bare 4-byte value (userdata: the value expected). */
static int check_u32_reply(const void *reply, size_t size, void *userdata)
{
	if (size != 4 || hv_get_le32(reply) != (uint32_t)(uintptr_t)userdata)
		return -EPROTO;
	return 0;
}

int hv_daemon_chardev_new_vss(const struct hv_path *p, struct hv_chardev **ret)
{
	uint8_t request[HV_VSS_MSG_SIZE];
	struct hv_chardev_desc desc;
	int r;

	r = hv_vss_msg_encode_request(HV_VSS_OP_REGISTER1, 0, request, sizeof(request));
	if (r < 0)
		return r;
	desc = (struct hv_chardev_desc){
		.name = "vss",
		.device = HV_DEVICE_VSS,
		.min_msg_size = HV_VSS_MSG_SIZE,
		.max_msg_size = HV_VSS_MSG_SIZE,
		.handshake = {
			.request = request,
			.request_size = HV_VSS_MSG_SIZE,
			.reply_size = HV_VSS_HANDSHAKE_REPLY_SIZE,
			.check_reply = check_u32_reply,
			.userdata = (void *)(uintptr_t)HV_VSS_OP_REGISTER1,
		},
	};
	return hv_chardev_new(&desc, p, ret);
}

int hv_daemon_chardev_new_fcopy(const struct hv_path *p, struct hv_chardev **ret)
{
	uint8_t request[HV_FCOPY_HANDSHAKE_SIZE];
	struct hv_chardev_desc desc;
	int r;

	r = hv_fcopy_daemon_encode_handshake(HV_FCOPY_CURRENT_VERSION, request, sizeof(request));
	if (r < 0)
		return r;
	desc = (struct hv_chardev_desc){
		.name = "fcopy",
		.device = HV_DEVICE_FCOPY,
		/* START 1088, WRITE 6196, COMPLETE/CANCEL as long as the host's packet. */
		.min_msg_size = 4,
		.max_msg_size = HV_FCOPY_DO_SIZE,
		.handshake = {
			.request = request,
			.request_size = HV_FCOPY_HANDSHAKE_SIZE,
			.reply_size = 4,
			.check_reply = check_u32_reply,
			.userdata = (void *)(uintptr_t)HV_FCOPY_CURRENT_VERSION,
		},
	};
	return hv_chardev_new(&desc, p, ret);
}

/* ---- on the loop ---- */

struct hv_daemon_chardev {
	struct hv_daemon *daemon;
	struct hv_chardev *chardev;
	struct hv_sd_io *io; /* on the loop only */
	sd_event_source *retry;
	uint64_t retry_usec;
	bool waiting_logged;

	/* The reader (hv_daemon_chardev_start_reader). */
	bool reader;
	bool reader_running;
	pthread_t thread;
	int reader_result; /* the reader's last word, read after the join */
	int ended_fd;      /* eventfd: the reader has ended */
	sd_event_source *ended_source;
	int busy_fd;       /* eventfd: messages come again after a quiet second */
	sd_event_source *busy_source;
	sd_event_source *status_tick; /* armed only while messages come */
	atomic_bool ticking;          /* status_tick is armed or about to be */
	_Atomic uint64_t handled;
	atomic_bool stopping; /* the loop wants the reader gone */
	atomic_bool in_read;  /* the reader waits (or is about to wait) for the kernel */
	uint64_t handled_seen; /* by the status tick */
	const struct hv_chardev_io *below; /* the chardev's own io, which the reader's wraps */
	void *below_userdata;
};

static int io_get_fd(void *object)
{
	return hv_chardev_get_fd(((struct hv_daemon_chardev *)object)->chardev);
}

static uint32_t io_get_events(void *object)
{
	return hv_chardev_get_events(((struct hv_daemon_chardev *)object)->chardev);
}

static uint64_t io_get_generation(void *object)
{
	return hv_chardev_get_generation(((struct hv_daemon_chardev *)object)->chardev);
}

static int arm_retry(struct hv_daemon_chardev *dc);
static int reader_start(struct hv_daemon_chardev *dc);

/* Open; 0 and attached when registered, 0 and waiting on ENOENT, < 0 fatal (logged). */
static int try_open(struct hv_daemon_chardev *dc)
{
	const char *device_error;
	int r;

	r = hv_chardev_open(dc->chardev);
	if (r == -ENOENT) {
		if (!dc->waiting_logged) {
			hv_log_notice("%s, waiting for it", hv_chardev_get_error(dc->chardev));
			dc->waiting_logged = true;
		}
		(void)hv_daemon_status(dc->daemon, "Waiting for the %s device",
				       hv_chardev_get_name(dc->chardev));
		return arm_retry(dc);
	}
	if (r < 0) {
		device_error = hv_chardev_get_error(dc->chardev);
		if (device_error)
			return hv_log_err_errno(r, "%s", device_error);
		return hv_log_err_errno(r, "Failed to open the %s device: %m", hv_chardev_get_name(dc->chardev));
	}
	dc->waiting_logged = false;
	if (dc->io) {
		r = hv_sd_io_refresh(dc->io);
		if (r < 0)
			return hv_log_err_errno(r, "Failed to watch the %s device: %m",
						hv_chardev_get_name(dc->chardev));
	}
	if (dc->reader) {
		r = reader_start(dc);
		if (r < 0)
			return r;
	}
	(void)hv_daemon_status(dc->daemon, "Registered with the kernel (%s)", hv_chardev_get_name(dc->chardev));
	return hv_daemon_ready(dc->daemon);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hv_daemon_chardev *dc = userdata;
	int r;

	dc->retry = sd_event_source_disable_unref(dc->retry);
	r = try_open(dc);
	if (r < 0)
		return hv_daemon_exit(dc->daemon, r);
	return 0;
}

static int arm_retry(struct hv_daemon_chardev *dc)
{
	sd_event *e = hv_daemon_get_event(dc->daemon);
	uint64_t now;
	int r;

	if (dc->retry)
		return 0;
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &dc->retry, CLOCK_MONOTONIC, now + dc->retry_usec, 0, on_retry, dc);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to arm the retry timer: %m");
	return 0;
}

/* dispatch failed with r: 0 carried on (waiting for the device), < 0 fatal (logged). */
static int after_failure(struct hv_daemon_chardev *dc, int r)
{
	if (hv_chardev_get_fd(dc->chardev) >= 0)
		return r; /* the service failed; it logged why */
	/* The device failed and could not be reopened. */
	if (r == -ENOENT) {
		hv_log_notice("Lost the %s device after a reset", hv_chardev_get_name(dc->chardev));
		r = try_open(dc);
		return r < 0 ? r : 0;
	}
	return hv_log_err_errno(r, "%s", hv_chardev_get_error(dc->chardev) ?: "Lost the device");
}

static int io_dispatch(void *object, uint32_t revents)
{
	struct hv_daemon_chardev *dc = object;
	int r;

	r = hv_chardev_dispatch(dc->chardev);
	return r >= 0 ? 0 : after_failure(dc, r);
}

static const struct hv_sd_io_ops chardev_io_ops = {
	.get_fd = io_get_fd,
	.get_events = io_get_events,
	.get_generation = io_get_generation,
	.dispatch = io_dispatch,
};

/* ---- the reader ---- */

/*
 * The reader leaves a blocking read() when the loop stops it: the loop sets
 * `stopping` and sends the reader STOP_SIGNAL, whose handler does nothing
 * but is installed without SA_RESTART, so the read ends with EINTR (the
 * kernel's device and hvsim's alike) and the reader sees the flag.  The
 * reader is the one thread with the signal unblocked, and it is sent only
 * while the reader is in (or about to enter) read(), again every few
 * milliseconds until it is gone, which also covers a signal that lands
 * just before the read starts.  (pthread_cancel() would do without a
 * signal of ours, but unwinding a cancelled thread confuses
 * AddressSanitizer, and the tests run under it.)
 */
#define STOP_SIGNAL (SIGRTMIN + 7)
#define STOP_RESEND_NSEC (10 * 1000 * 1000)

static void on_stop_signal(int sig)
{
}

/* The chardev's io as it was, with read() marked as where the reader waits. */
static int reader_io_open(void *userdata, const char *path, int flags)
{
	struct hv_daemon_chardev *dc = userdata;

	return dc->below->open(dc->below_userdata, path, flags);
}

static int reader_io_close(void *userdata, int fd)
{
	struct hv_daemon_chardev *dc = userdata;

	return dc->below->close(dc->below_userdata, fd);
}

static ssize_t reader_io_read(void *userdata, int fd, void *buf, size_t size)
{
	struct hv_daemon_chardev *dc = userdata;
	ssize_t n;

	atomic_store(&dc->in_read, true);
	n = atomic_load(&dc->stopping) ? -EINTR : dc->below->read(dc->below_userdata, fd, buf, size);
	atomic_store(&dc->in_read, false);
	return n;
}

static ssize_t reader_io_write(void *userdata, int fd, const void *buf, size_t size)
{
	struct hv_daemon_chardev *dc = userdata;

	return dc->below->write(dc->below_userdata, fd, buf, size);
}

static const struct hv_chardev_io reader_io = {
	.open = reader_io_open,
	.close = reader_io_close,
	.read = reader_io_read,
	.write = reader_io_write,
};

/* A device that honours O_NONBLOCK (the tests' fake kernel) said EAGAIN:
 * wait for it the ordinary way.  The kernel's never do. */
static int reader_wait(struct hv_daemon_chardev *dc)
{
	struct pollfd p = { .fd = hv_chardev_get_fd(dc->chardev), .events = POLLIN };
	int r;

	if (p.fd < 0)
		return -ENOTCONN;
	atomic_store(&dc->in_read, true);
	r = atomic_load(&dc->stopping) ? 0 : poll(&p, 1, -1);
	atomic_store(&dc->in_read, false);
	return r < 0 && errno != EINTR ? hv_negative_errno() : 0;
}

static void *reader_main(void *userdata)
{
	struct hv_daemon_chardev *dc = userdata;
	int r;

	for (;;) {
		if (atomic_load(&dc->stopping)) {
			r = 0;
			break;
		}
		r = hv_chardev_dispatch(dc->chardev);
		if (r > 0) {
			atomic_fetch_add(&dc->handled, 1);
			/* The first message after a quiet spell wakes the loop's
			 * status tick; the others only count. */
			if (!atomic_load(&dc->ticking) && !atomic_exchange(&dc->ticking, true))
				(void)eventfd_write(dc->busy_fd, 1);
			continue;
		}
		if (r == 0)
			r = reader_wait(dc);
		if (r < 0)
			break;
	}
	dc->reader_result = r;
	(void)eventfd_write(dc->ended_fd, 1);
	return NULL;
}

static void reader_join(struct hv_daemon_chardev *dc, bool stop)
{
	struct timespec deadline;

	if (!dc->reader_running)
		return;
	if (stop) {
		atomic_store(&dc->stopping, true);
		for (;;) {
			if (atomic_load(&dc->in_read))
				(void)pthread_kill(dc->thread, STOP_SIGNAL);
			(void)clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_nsec += STOP_RESEND_NSEC;
			if (deadline.tv_nsec >= 1000000000) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(dc->thread, NULL, &deadline) == 0)
				break;
		}
	} else {
		(void)pthread_join(dc->thread, NULL);
	}
	dc->reader_running = false;
	dc->status_tick = sd_event_source_disable_unref(dc->status_tick);
}

/* The reader ended: the device failed and could not be reopened, or a
 * callback failed.  Carry on as the loop would have. */
static int on_reader_ended(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hv_daemon_chardev *dc = userdata;
	eventfd_t v;
	int r;

	(void)eventfd_read(dc->ended_fd, &v);
	if (!dc->reader_running)
		return 0;
	reader_join(dc, false);
	r = after_failure(dc, dc->reader_result);
	return r < 0 ? hv_daemon_exit(dc->daemon, r) : 0;
}

/*
 * The reader cannot touch the loop: the status file learns of its work from
 * a tick on the loop, once a second while messages come.  A quiet second
 * stops the tick (an idle daemon does not wake up); the next message starts
 * it again through busy_fd.
 */
static int on_status_tick(sd_event_source *s, uint64_t usec, void *userdata);

static int arm_status_tick(struct hv_daemon_chardev *dc)
{
	sd_event *e = hv_daemon_get_event(dc->daemon);
	uint64_t now;
	int r;

	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	if (dc->status_tick) {
		r = sd_event_source_set_time(dc->status_tick, now + HV_USEC_PER_SEC);
		return r < 0 ? r : sd_event_source_set_enabled(dc->status_tick, SD_EVENT_ONESHOT);
	}
	return sd_event_add_time(e, &dc->status_tick, CLOCK_MONOTONIC, now + HV_USEC_PER_SEC, 0, on_status_tick, dc);
}

static int on_status_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hv_daemon_chardev *dc = userdata;
	uint64_t handled = atomic_load(&dc->handled);
	int r;

	if (handled == dc->handled_seen) {
		atomic_store(&dc->ticking, false);
		/* A message that came just now, before the store, found the
		 * flag still set and did not ask: look once more. */
		if (atomic_load(&dc->handled) == handled || atomic_exchange(&dc->ticking, true))
			return 0;
	}
	dc->handled_seen = atomic_load(&dc->handled);
	hv_daemon_touch_status(dc->daemon);
	r = arm_status_tick(dc);
	if (r < 0)
		hv_log_debug_errno(r, "Failed to re-arm the status tick: %m");
	return 0;
}

static int on_reader_busy(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hv_daemon_chardev *dc = userdata;
	eventfd_t v;
	int r;

	(void)eventfd_read(dc->busy_fd, &v);
	r = arm_status_tick(dc);
	if (r < 0)
		hv_log_debug_errno(r, "Failed to arm the status tick: %m");
	return 0;
}

static int reader_start(struct hv_daemon_chardev *dc)
{
	struct sigaction sa = { .sa_handler = on_stop_signal }; /* no SA_RESTART */
	sigset_t all, old;
	int r;

	if (dc->reader_running)
		return 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(STOP_SIGNAL, &sa, NULL) < 0)
		return hv_log_err_errno(hv_negative_errno(), "Failed to set up the reader's stop signal: %m");
	atomic_store(&dc->stopping, false);
	atomic_store(&dc->ticking, false);
	/* Signals are the loop's business, but for the one that stops it. */
	sigfillset(&all);
	sigdelset(&all, STOP_SIGNAL);
	r = -pthread_sigmask(SIG_SETMASK, &all, &old);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to block signals: %m");
	r = -pthread_create(&dc->thread, NULL, reader_main, dc);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to start the %s reader: %m", hv_chardev_get_name(dc->chardev));
	dc->reader_running = true;
	return 0;
}

/* ---- the object ---- */

struct hv_daemon_chardev *hv_daemon_chardev_free(struct hv_daemon_chardev *dc)
{
	if (!dc)
		return NULL;
	reader_join(dc, true);
	if (dc->below)
		hv_chardev_set_io(dc->chardev, dc->below, dc->below_userdata);
	sd_event_source_disable_unref(dc->ended_source);
	sd_event_source_disable_unref(dc->busy_source);
	sd_event_source_disable_unref(dc->status_tick);
	hv_safe_close(dc->ended_fd);
	hv_safe_close(dc->busy_fd);
	sd_event_source_disable_unref(dc->retry);
	hv_sd_io_free(dc->io);
	free(dc);
	return NULL;
}

static int start(struct hv_daemon *d, struct hv_chardev *c, uint64_t retry_usec, bool reader,
		 struct hv_daemon_chardev **ret)
{
	struct hv_daemon_chardev *dc;
	int r;

	if (!d || !c || !ret)
		return -EINVAL;
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return -ENOMEM;
	dc->daemon = d;
	dc->chardev = c;
	dc->retry_usec = retry_usec > 0 ? retry_usec : 1000000;
	dc->ended_fd = -EBADF;
	dc->busy_fd = -EBADF;
	dc->reader = reader;
	if (reader) {
		dc->below = hv_chardev_get_io(c, &dc->below_userdata);
		hv_chardev_set_io(c, &reader_io, dc);
		dc->ended_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		dc->busy_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		r = dc->ended_fd < 0 || dc->busy_fd < 0 ? hv_negative_errno() : 0;
		if (r >= 0)
			r = sd_event_add_io(hv_daemon_get_event(d), &dc->ended_source, dc->ended_fd, EPOLLIN,
					    on_reader_ended, dc);
		if (r >= 0)
			r = sd_event_add_io(hv_daemon_get_event(d), &dc->busy_source, dc->busy_fd, EPOLLIN,
					    on_reader_busy, dc);
	} else {
		r = hv_sd_io_attach(hv_daemon_get_event(d), &chardev_io_ops, dc, &dc->io);
	}
	if (r >= 0)
		r = try_open(dc);
	if (r < 0) {
		hv_daemon_chardev_free(dc);
		return r;
	}
	*ret = dc;
	return 0;
}

int hv_daemon_chardev_start(struct hv_daemon *d, struct hv_chardev *c, uint64_t retry_usec,
			    struct hv_daemon_chardev **ret)
{
	return start(d, c, retry_usec, false, ret);
}

int hv_daemon_chardev_start_reader(struct hv_daemon *d, struct hv_chardev *c, uint64_t retry_usec,
				   struct hv_daemon_chardev **ret)
{
	return start(d, c, retry_usec, true, ret);
}
