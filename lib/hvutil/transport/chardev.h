/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /dev/vmbus/hv_* character-device transport (PROTOCOL.md §4), shared by
 * KVP, VSS and the char-device era of file copy.
 *
 * What the kernel's hv_utils_transport gives us: a single opener (a second
 * open() is EBUSY), reads that return exactly one whole message (EINVAL, with
 * the message kept, when the buffer is too small), writes handed whole to
 * the service, and poll().  What it asks of us: a registration handshake on
 * every open, and, after any failed read or write (the kernel resets the
 * device across hibernation), close, reopen and register again rather than
 * exit.
 *
 * The transport knows nothing of KVP, VSS or fcopy bytes: the caller (the
 * daemon, which fills it from proto/) describes the device in a struct
 * hv_chardev_desc: path, message sizes, and the handshake as bytes to write,
 * the size of the reply to read and a function that checks it.  transport/
 * and proto/ are siblings and must not include each other; the descriptor
 * keeps it so and keeps the layouts in one place, proto/.
 *
 * The system calls go through a small vtable (struct hv_chardev_io) so unit
 * tests and services tests can put a fake kernel underneath
 * (chardev-fake.h); hv_chardev_io_system is the real one.
 *
 * The object is loop-agnostic: hv_chardev_get_fd(), hv_chardev_get_events()
 * (POLLIN) and hv_chardev_dispatch(), plus hv_chardev_get_generation(), which
 * changes on every successful open so an event-loop adapter notices a reopen
 * that reused the fd number.
 *
 * Errors for people: open failures leave a sentence in hv_chardev_get_error()
 * that the daemon logs ("/dev/vmbus/hv_kvp is busy: held by pid 1234
 * (hv_kvp_daemon)").  -ENOENT means the device is not there (yet): since
 * 6.13 the kernel creates it only once the channel is open, so callers wait
 * and retry instead of failing.  The library itself logs at debug level only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hv_path;
struct hv_chardev;

/* System calls on the device; each returns -errno on failure. */
struct hv_chardev_io {
	int (*open)(void *userdata, const char *path, int flags);
	int (*close)(void *userdata, int fd);
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t size);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t size);
};

extern const struct hv_chardev_io hv_chardev_io_system;

struct hv_chardev_handshake {
	const void *request; /* written whole after every open; copied by hv_chardev_new() */
	size_t request_size; /* 0: no registration write */
	size_t reply_size;   /* exact size of the kernel's answer; 0: none expected */
	/* Checks the answer (reply_size bytes) and may keep data from it (the
	 * KVP version).  NULL: any answer of the right size.  -EPROTO on mismatch. */
	int (*check_reply)(const void *reply, size_t size, void *userdata);
	void *userdata;
};

struct hv_chardev_desc {
	const char *name;   /* "kvp": for messages */
	const char *device; /* "/dev/vmbus/hv_kvp", resolved through the path context */
	/* A read outside [min, max] bytes is a transport failure (-> reopen).  The
	 * read buffer is max_msg_size bytes (at most HV_CHARDEV_MAX_MSG_SIZE). */
	size_t min_msg_size;
	size_t max_msg_size;
	struct hv_chardev_handshake handshake;
};

#define HV_CHARDEV_MAX_MSG_SIZE (64 * 1024)

struct hv_chardev_callbacks {
	/* One whole message from the kernel.  msg is the transport's buffer,
	 * valid until the callback returns; the service may build its reply in
	 * place and pass it to hv_chardev_write().  < 0 is fatal: dispatch
	 * returns it. */
	int (*on_message)(struct hv_chardev *c, void *msg, size_t size, void *userdata);
	/* Optional: the device was closed after a failure and is about to be
	 * reopened; any transaction in flight is lost (VSS thaws, fcopy cancels). */
	void (*on_reset)(struct hv_chardev *c, void *userdata);
};

/* desc is copied (strings and handshake request too); path is borrowed. */
int hv_chardev_new(const struct hv_chardev_desc *desc, const struct hv_path *path, struct hv_chardev **ret);
struct hv_chardev *hv_chardev_free(struct hv_chardev *c);

/* Defaults: hv_chardev_io_system; no callbacks. */
void hv_chardev_set_io(struct hv_chardev *c, const struct hv_chardev_io *io, void *userdata);
/* The vtable in use and its userdata (so an adapter can wrap it). */
const struct hv_chardev_io *hv_chardev_get_io(const struct hv_chardev *c, void **ret_userdata);
void hv_chardev_set_callbacks(struct hv_chardev *c, const struct hv_chardev_callbacks *cb, void *userdata);

/*
 * Open exclusively (O_RDWR|O_CLOEXEC) and register.  0 on success (also when
 * already open).  -ENOENT: no device yet.  -EBUSY: another process holds it
 * (named in hv_chardev_get_error()).  -EPROTO: the kernel's answer to the
 * registration was wrong.  Other -errno from open, write or read.
 */
int hv_chardev_open(struct hv_chardev *c);
void hv_chardev_close(struct hv_chardev *c);
/* Close, call on_reset, open and register again. */
int hv_chardev_reopen(struct hv_chardev *c);

int hv_chardev_get_fd(const struct hv_chardev *c);
uint32_t hv_chardev_get_events(const struct hv_chardev *c);
uint64_t hv_chardev_get_generation(const struct hv_chardev *c);
/* Reopens after failures since creation. */
unsigned hv_chardev_get_reopens(const struct hv_chardev *c);
const char *hv_chardev_get_name(const struct hv_chardev *c);
/* The last open/registration failure as a sentence, or NULL after a success. */
const char *hv_chardev_get_error(const struct hv_chardev *c);

/*
 * Read one message and hand it to on_message.  1: a message was handled;
 * 0: nothing to do (EINTR, EAGAIN) or the device failed and was reopened;
 * < 0: on_message failed, or the device failed and could not be reopened
 * (the transport is then closed; hv_chardev_get_error() says why).
 */
int hv_chardev_dispatch(struct hv_chardev *c);

/*
 * Write one whole message.  0: written.  -ECONNRESET: the write failed, the
 * device was reopened and registered again, the message is lost (the
 * kernel already answered the host with a failure).  Other < 0: the write
 * failed and the reopen failed too.
 */
int hv_chardev_write(struct hv_chardev *c, const void *msg, size_t size);

/*
 * Which process holds device (an unprefixed path, as readlink() of
 * /proc/PID/fd/N shows it): scans /proc through the path context, skipping
 * exclude.  ret_comm is /proc/PID/comm (malloc'd).  -ESRCH when nobody
 * visible holds it.
 */
int hv_chardev_find_holder(const struct hv_path *p, const char *device, pid_t exclude, pid_t *ret_pid,
			   char **ret_comm);
