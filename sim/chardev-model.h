/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel side of one hv_utils char device (/dev/vmbus/hv_kvp, hv_vss,
 * hv_fcopy), without FUSE and without a clock: the transport of
 * hv_utils_transport.c (single opener, one pending message, whole-message
 * reads, reset on release) and the service state machine of hv_kvp.c,
 * hv_snapshot.c and hv_fcopy.c (DEVICE_INIT, READY, HOSTMSG_RECEIVED,
 * USERSPACE_REQ, USERSPACE_RECV), fed by host packets and timed by the
 * caller's "now".  PROTOCOL.md §4, §5.2, §5.3, §6.2, §6.3, §7.2, §12 item 5.
 *
 * The host side puts IC payloads "on the ring" with hvsim_cdev_host_send();
 * the model answers through the host_reply callback, exactly once per
 * packet it reads (negotiations, kernel-answered ops, daemon replies,
 * HV_E_FAIL for timeouts, resets and missing daemons), or never for packets
 * the kernel drops.  The daemon side is the file operations: the FUSE
 * adapter turns each FUSE request into one call and defers reads that
 * return -EAGAIN until the readable callback fires.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/icmsg.h"
#include "world.h"

/* hvutil_device_state of the kernel's util drivers. */
enum hvsim_util_state {
	HVSIM_UTIL_DEVICE_INIT = 0,
	HVSIM_UTIL_READY = 1,
	HVSIM_UTIL_HOSTMSG_RECEIVED = 2,
	HVSIM_UTIL_USERSPACE_REQ = 3,
	HVSIM_UTIL_USERSPACE_RECV = 4,
	HVSIM_UTIL_DEVICE_DYING = 5,
	_HVSIM_UTIL_STATE_MAX,
};

const char *hvsim_util_state_to_string(enum hvsim_util_state s);

/* The largest host packet the model accepts (the KVP receive buffer). */
#define HVSIM_CDEV_MAX_PACKET (4 * 4096)

struct hvsim_cdev;

struct hvsim_cdev_callbacks {
	/* The kernel answered the host packet sent with this cookie. */
	void (*host_reply)(struct hvsim_cdev *c, uint64_t cookie, const uint8_t *payload, size_t len,
			   void *userdata);
	/* A kernel->daemon message became pending. */
	void (*readable)(struct hvsim_cdev *c, void *userdata);
};

struct hvsim_cdev_stats {
	uint64_t opens, busy_opens, releases;
	uint64_t host_packets;     /* put on the ring by the host */
	uint64_t host_replies;     /* answered to the host */
	uint64_t host_dropped;     /* read by the kernel and dropped without reply */
	uint64_t negotiations;     /* NEGOTIATE packets answered */
	uint64_t to_daemon;        /* messages the daemon read */
	uint64_t from_daemon;      /* daemon writes accepted */
	uint64_t rejected_writes;  /* daemon writes refused (-EINVAL, -EFAULT) */
	uint64_t short_reads;      /* reads refused with -EINVAL (buffer too small) */
	uint64_t registrations;    /* handshakes accepted */
	uint64_t timeouts;         /* host requests failed by the reply timeout */
	uint64_t reset_failures;   /* host requests failed by a release */
	uint64_t send_failures;    /* host requests failed because a message was unread */
	uint64_t no_daemon;        /* host requests failed because no daemon registered */
};

struct hvsim_cdev *hvsim_cdev_new(enum hvsim_cdev_kind kind, const struct hvsim_kernel_config *cfg,
				  const struct hvsim_cdev_callbacks *cb, void *userdata);
struct hvsim_cdev *hvsim_cdev_free(struct hvsim_cdev *c);

enum hvsim_cdev_kind hvsim_cdev_kind(const struct hvsim_cdev *c);

/* --- file operations (hv_utils_transport.c) --- */

/* 0, or -EBUSY when already open. */
int hvsim_cdev_open(struct hvsim_cdev *c, uint64_t now_ms);
void hvsim_cdev_release(struct hvsim_cdev *c, uint64_t now_ms);
bool hvsim_cdev_is_open(const struct hvsim_cdev *c);
/* Length of the pending kernel->daemon message, 0 if none. */
size_t hvsim_cdev_pending(const struct hvsim_cdev *c);
/* Copies the pending message: its length, -EAGAIN if none is pending (a
 * blocking reader waits), -EINVAL if size is too small (message kept). */
ssize_t hvsim_cdev_read(struct hvsim_cdev *c, uint8_t *buf, size_t size, uint64_t now_ms);
/* len on success, else -EINVAL / -EFAULT as the kernel's on_msg. */
ssize_t hvsim_cdev_write(struct hvsim_cdev *c, const uint8_t *buf, size_t len, uint64_t now_ms);

/* --- the channel (host side) --- */

/* Queue a host IC payload.  -EMSGSIZE above HVSIM_CDEV_MAX_PACKET. */
int hvsim_cdev_host_send(struct hvsim_cdev *c, const uint8_t *payload, size_t len, uint64_t cookie,
			 uint64_t now_ms);
/* Withdraw a packet the kernel has not read yet.  true if it was queued. */
bool hvsim_cdev_host_cancel(struct hvsim_cdev *c, uint64_t cookie);
/* Host packets not read by the kernel yet. */
size_t hvsim_cdev_host_queued(const struct hvsim_cdev *c);

/* --- time --- */

/* The next moment hvsim_cdev_tick() has work, UINT64_MAX if none. */
uint64_t hvsim_cdev_next_deadline(const struct hvsim_cdev *c);
void hvsim_cdev_tick(struct hvsim_cdev *c, uint64_t now_ms);

/* --- introspection --- */

enum hvsim_util_state hvsim_cdev_state(const struct hvsim_cdev *c);
/* The op the daemon registered with (KVP 4/100, VSS 128/129, fcopy 0/1),
 * -1 before any registration since the last open. */
int hvsim_cdev_registered_op(const struct hvsim_cdev *c);
/* True once the kernel answered a NEGOTIATE; versions in *fw / *srv. */
bool hvsim_cdev_negotiated(const struct hvsim_cdev *c, struct hv_ic_version *fw, struct hv_ic_version *srv);
const struct hvsim_cdev_stats *hvsim_cdev_stats(const struct hvsim_cdev *c);
/* True while a host request waits for the daemon (timeout armed). */
bool hvsim_cdev_busy(const struct hvsim_cdev *c);
