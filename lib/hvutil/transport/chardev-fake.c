/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fake kernel for the char-device transport (see chardev-fake.h).  Restates
 * hv_utils_transport.c's rules from PROTOCOL.md §4 on purpose rather than
 * sharing code with the transport it tests.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/macros.h"
#include "transport/chardev-fake.h"

struct fake_reply {
	struct fake_reply *next;
	size_t len;
	uint8_t data[];
};

struct hv_chardev_fake {
	struct hv_chardev_fake_kernel kernel;
	bool present;
	bool busy;
	char *last_path;

	int fd; /* eventfd while open */
	bool registered;
	bool transaction;

	uint8_t *pending;
	size_t pending_len;
	bool pending_is_request; /* a host message, not the handshake answer */

	struct fake_reply *replies;

	int fail_open, fail_read, fail_write;
	bool short_read;
	struct hv_chardev_fake_stats stats;
};

int hv_chardev_fake_new(const struct hv_chardev_fake_kernel *kernel, struct hv_chardev_fake **ret)
{
	struct hv_chardev_fake *f;

	if (!kernel || !ret || kernel->reply_min > kernel->reply_max)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kernel = *kernel;
	f->present = true;
	f->fd = -EBADF;
	*ret = f;
	return 0;
}

static void drop_pending(struct hv_chardev_fake *f)
{
	free(f->pending);
	f->pending = NULL;
	f->pending_len = 0;
	f->pending_is_request = false;
}

/* Keep the eventfd readable exactly while a message is pending. */
static void sync_readable(struct hv_chardev_fake *f)
{
	uint64_t v;

	if (f->fd < 0)
		return;
	/* Non-semaphore eventfd: a read resets the counter to 0. */
	(void)!read(f->fd, &v, sizeof(v));
	if (f->pending) {
		v = 1;
		(void)!write(f->fd, &v, sizeof(v));
	}
}

static void release(struct hv_chardev_fake *f)
{
	/* hvt_op_release(): mode back to INIT, pending message dropped, the
	 * service resets and needs a new registration. */
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -EBADF;
	f->registered = false;
	f->transaction = false;
	drop_pending(f);
}

struct hv_chardev_fake *hv_chardev_fake_free(struct hv_chardev_fake *f)
{
	if (!f)
		return NULL;
	release(f);
	while (f->replies) {
		struct fake_reply *n = f->replies->next;

		free(f->replies);
		f->replies = n;
	}
	free(f->last_path);
	free(f);
	return NULL;
}

void hv_chardev_fake_set_present(struct hv_chardev_fake *f, bool present)
{
	f->present = present;
}

void hv_chardev_fake_set_busy(struct hv_chardev_fake *f, bool busy)
{
	f->busy = busy;
}

const char *hv_chardev_fake_get_path(const struct hv_chardev_fake *f)
{
	return f->last_path;
}

void hv_chardev_fake_fail_next_open(struct hv_chardev_fake *f, int error)
{
	f->fail_open = error;
}

void hv_chardev_fake_fail_next_read(struct hv_chardev_fake *f, int error)
{
	f->fail_read = error;
}

void hv_chardev_fake_fail_next_write(struct hv_chardev_fake *f, int error)
{
	f->fail_write = error;
}

void hv_chardev_fake_short_next_read(struct hv_chardev_fake *f)
{
	f->short_read = true;
}

void hv_chardev_fake_hibernate(struct hv_chardev_fake *f)
{
	f->transaction = false;
	drop_pending(f);
	sync_readable(f);
}

void hv_chardev_fake_get_stats(const struct hv_chardev_fake *f, struct hv_chardev_fake_stats *ret)
{
	*ret = f->stats;
	ret->open = f->fd >= 0;
	ret->registered = f->registered;
	ret->transaction = f->transaction;
	ret->pending = f->pending != NULL;
}

static int set_pending(struct hv_chardev_fake *f, const void *msg, size_t len, bool is_request)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	drop_pending(f);
	f->pending = copy;
	f->pending_len = len;
	f->pending_is_request = is_request;
	sync_readable(f);
	return 0;
}

int hv_chardev_fake_send(struct hv_chardev_fake *f, const void *msg, size_t len)
{
	if (!f || (!msg && len))
		return -EINVAL;
	if (len > HV_CHARDEV_MAX_MSG_SIZE)
		return -E2BIG;
	if (f->fd < 0 || !f->registered)
		return -ENOTCONN;
	/* One outstanding kernel->user message; and the service state machine
	 * does not start a transaction while one is open. */
	if (f->pending || f->transaction)
		return -EBUSY;
	return set_pending(f, msg, len, true);
}

ssize_t hv_chardev_fake_recv(struct hv_chardev_fake *f, void *buf, size_t size)
{
	struct fake_reply *r = f->replies;
	size_t len;

	if (!r)
		return -EAGAIN;
	if (size < r->len)
		return -ENOBUFS;
	memcpy(buf, r->data, r->len);
	len = r->len;
	f->replies = r->next;
	free(r);
	return (ssize_t)len;
}

static int queue_reply(struct hv_chardev_fake *f, const void *buf, size_t len)
{
	struct fake_reply *r = malloc(sizeof(*r) + len), **tail;

	if (!r)
		return -ENOMEM;
	r->next = NULL;
	r->len = len;
	memcpy(r->data, buf, len);
	for (tail = &f->replies; *tail; tail = &(*tail)->next)
		;
	*tail = r;
	return 0;
}

/* ---- the io vtable ---- */

static int fake_open(void *userdata, const char *path, int flags)
{
	struct hv_chardev_fake *f = userdata;
	char *p;
	int r;

	p = strdup(path);
	if (!p)
		return -ENOMEM;
	free(f->last_path);
	f->last_path = p;
	if (f->fail_open < 0) {
		r = f->fail_open;
		f->fail_open = 0;
		return r;
	}
	if (!f->present)
		return -ENOENT;
	if (f->busy || f->fd >= 0)
		return -EBUSY;
	f->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->fd < 0)
		return hv_negative_errno();
	f->stats.opens++;
	return f->fd;
}

static int fake_close(void *userdata, int fd)
{
	struct hv_chardev_fake *f = userdata;

	if (fd < 0 || fd != f->fd)
		return -EBADF;
	release(f);
	f->stats.closes++;
	return 0;
}

static ssize_t fake_read(void *userdata, int fd, void *buf, size_t size)
{
	struct hv_chardev_fake *f = userdata;
	size_t len;
	int r;

	if (fd < 0 || fd != f->fd)
		return -EBADF;
	if (f->fail_read < 0) {
		r = f->fail_read;
		f->fail_read = 0;
		return r;
	}
	if (!f->pending)
		return -EAGAIN;
	if (size < f->pending_len)
		return -EINVAL; /* the message stays */
	len = f->pending_len;
	if (f->short_read) {
		f->short_read = false;
		len /= 2;
	}
	memcpy(buf, f->pending, len);
	if (f->pending_is_request)
		f->transaction = true;
	drop_pending(f);
	sync_readable(f);
	return (ssize_t)len;
}

static ssize_t fake_write(void *userdata, int fd, const void *buf, size_t size)
{
	struct hv_chardev_fake *f = userdata;
	uint8_t answer[HV_CHARDEV_MAX_MSG_SIZE];
	int r;

	if (fd < 0 || fd != f->fd)
		return -EBADF;
	if (f->fail_write < 0) {
		r = f->fail_write;
		f->fail_write = 0;
		return r;
	}
	if (!f->registered) {
		r = f->kernel.handshake ? f->kernel.handshake(buf, size, answer, sizeof(answer), f->kernel.userdata)
					: 0;
		if (r < 0)
			return r;
		f->registered = true;
		f->stats.registrations++;
		if (r > 0) {
			r = set_pending(f, answer, (size_t)r, false);
			if (r < 0)
				return r;
		}
		return (ssize_t)size;
	}
	/* A reply is accepted only for a message the daemon has read. */
	if (!f->transaction || size < f->kernel.reply_min || size > f->kernel.reply_max)
		return -EINVAL;
	r = queue_reply(f, buf, size);
	if (r < 0)
		return r;
	f->transaction = false;
	f->stats.replies++;
	return (ssize_t)size;
}

const struct hv_chardev_io hv_chardev_fake_io = {
	.open = fake_open,
	.close = fake_close,
	.read = fake_read,
	.write = fake_write,
};
