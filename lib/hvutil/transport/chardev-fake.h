/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake kernel under struct hv_chardev_io, for tests (not in the shipped
 * library: test programs compile chardev-fake.c themselves).
 *
 * It keeps the semantics of hv_utils_transport.c (PROTOCOL.md §4): one
 * opener (EBUSY), ENOENT while the device is "absent", one pending message,
 * reads of exactly one message (EINVAL and the message kept when the buffer is
 * too small, EAGAIN when nothing is pending), release dropping everything
 * and requiring a new registration.  The service side is reduced to what
 * the transport sees: the first write after open is the registration, which
 * the test's handshake callback accepts or refuses (a test that includes
 * proto/ can pass the proto kernel-side handshake functions; transport/
 * cannot); after that, a write is accepted only as the reply to a message
 * the daemon has read (the USERSPACE_REQ state), with a length in
 * [reply_min, reply_max], and is queued for the test to collect.
 *
 * The fd is a real eventfd, readable while a message is pending, so the
 * transport can sit on a real sd-event loop in tests.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "transport/chardev.h"

struct hv_chardev_fake_kernel {
	/* The registration write.  Return -errno to refuse it (write() fails),
	 * 0 to accept without an answer, or the length of the answer written
	 * to reply (reply_size bytes available). */
	int (*handshake)(const void *buf, size_t len, void *reply, size_t reply_size, void *userdata);
	size_t reply_min; /* accepted daemon reply sizes once registered */
	size_t reply_max;
	void *userdata;
};

struct hv_chardev_fake;

struct hv_chardev_fake_stats {
	unsigned opens;         /* successful opens */
	unsigned closes;
	unsigned registrations; /* accepted handshakes */
	unsigned replies;       /* accepted daemon replies */
	bool open;
	bool registered;
	bool transaction; /* the daemon read a message and owes a reply */
	bool pending;     /* a message waits to be read */
};

int hv_chardev_fake_new(const struct hv_chardev_fake_kernel *kernel, struct hv_chardev_fake **ret);
struct hv_chardev_fake *hv_chardev_fake_free(struct hv_chardev_fake *f);

/* Use with hv_chardev_set_io(c, &hv_chardev_fake_io, fake). */
extern const struct hv_chardev_io hv_chardev_fake_io;

void hv_chardev_fake_set_present(struct hv_chardev_fake *f, bool present); /* default true */
void hv_chardev_fake_set_busy(struct hv_chardev_fake *f, bool busy);       /* someone else has it open */
/* The path of the last open() (resolved, with the path context's root). */
const char *hv_chardev_fake_get_path(const struct hv_chardev_fake *f);

/* Host message for the daemon: -ENOTCONN when not open and registered,
 * -EBUSY while a message is pending or a transaction is open, -E2BIG above
 * HV_CHARDEV_MAX_MSG_SIZE. */
int hv_chardev_fake_send(struct hv_chardev_fake *f, const void *msg, size_t len);
/* Oldest daemon reply not yet collected: its length, -EAGAIN if none,
 * -ENOBUFS if size is too small (the reply stays queued). */
ssize_t hv_chardev_fake_recv(struct hv_chardev_fake *f, void *buf, size_t size);

/* Faults, each for the next call only: the call returns error (< 0). */
void hv_chardev_fake_fail_next_open(struct hv_chardev_fake *f, int error);
void hv_chardev_fake_fail_next_read(struct hv_chardev_fake *f, int error);
void hv_chardev_fake_fail_next_write(struct hv_chardev_fake *f, int error);
/* The next read that has a message returns only half of it (and consumes it). */
void hv_chardev_fake_short_next_read(struct hv_chardev_fake *f);
/* As across hibernation: the open transaction is dropped by the kernel, so
 * the daemon's reply to it fails with -EINVAL. */
void hv_chardev_fake_hibernate(struct hv_chardev_fake *f);

void hv_chardev_fake_get_stats(const struct hv_chardev_fake *f, struct hv_chardev_fake_stats *ret);
