/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host engines: what Hyper-V's side of the KVP, VSS and file-copy
 * integration components sends, and how it reads the answers.  Each host
 * operation is a job made of one or more IC packets put on a device's
 * channel; the answer of each packet moves the job on
 * (KVP enumerate walks indexes until a failure status such as HV_S_CONT,
 * a file copy sends START, WRITE fragments and COMPLETE).
 *
 * Jobs come from control requests (JSON objects, see control.h) and finish
 * with a JSON result handed to the done callback, exactly once.  A KVP
 * "bench" job is many requests in a row, timed by the engine itself.  At world
 * start the engine negotiates on every channel with realistic host
 * version lists (framework 3.0 and 1.0; per service the versions of
 * PROTOCOL.md §2.2).  KVP's negotiation then waits in the ring until a
 * daemon registers, as on a real host (§5.2).
 *
 * A channel is one of two transports behind struct hvsim_host_link_ops:
 * a char-device model (hv_utils: open from the start, the kernel model
 * answers), or a uio ring (host-ring.c: open while the guest holds
 * /dev/uioN; NEGOTIATE on every open; a close or rescind fails what is in
 * flight).  The service engines do not know which one they talk to.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chardev-model.h"

struct hvsim_host;

/* result is owned by the callee; it has "ok": true and the guest's answer,
 * or "ok": false and "error". */
typedef void (*hvsim_host_done_fn)(json_object *result, void *userdata);

/* A channel's transport: put a host IC payload on it (the guest's answer
 * comes back through hvsim_host_on_reply() with the same cookie, or a
 * failure through hvsim_host_on_failure()), or withdraw one the guest has
 * not read yet (true if it was withdrawn). */
struct hvsim_host_link_ops {
	int (*send)(void *link, const uint8_t *payload, size_t len, uint64_t cookie, uint64_t now);
	bool (*cancel)(void *link, uint64_t cookie);
};

/* Channels for the given char-device models (NULL entries: none), open
 * from the start. */
struct hvsim_host *hvsim_host_new(struct hvsim_cdev *const cdevs[_HVSIM_CDEV_MAX]);
/* Give kind k another transport (the uio ring), closed until
 * hvsim_host_channel_open().  closed_hint says why requests fail while it
 * is closed ("no process has /dev/uio0 open"). */
void hvsim_host_set_link(struct hvsim_host *h, enum hvsim_cdev_kind k, const struct hvsim_host_link_ops *ops,
			 void *link, const char *transport, const char *closed_hint);
bool hvsim_host_has_channel(const struct hvsim_host *h, enum hvsim_cdev_kind k);
/* The guest opened the channel: negotiate. */
void hvsim_host_channel_open(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t now);
/* The channel went away: every job on it fails with reason, the
 * negotiation is forgotten. */
void hvsim_host_channel_closed(struct hvsim_host *h, enum hvsim_cdev_kind k, const char *reason, uint64_t now);
/* True once the guest answered this channel's NEGOTIATE (successfully). */
bool hvsim_host_negotiated(const struct hvsim_host *h, enum hvsim_cdev_kind k);
struct hvsim_host *hvsim_host_free(struct hvsim_host *h);

/* Queue the NEGOTIATE of every channel. */
void hvsim_host_start(struct hvsim_host *h, uint64_t now);

/*
 * Start the job a control request asks for ("cmd" kvp, vss or fcopy).
 * fd: a file passed with the request (fcopy copy source), taken over.
 * Returns 0 (done will be called, possibly before this returns) or
 * -EINVAL with *ret_error set (malloc'd) for a malformed request.
 */
int hvsim_host_submit(struct hvsim_host *h, json_object *req, int fd, uint64_t now, hvsim_host_done_fn done,
		      void *userdata, char **ret_error);

/* Forget the owner of pending jobs (its connection closed): their results
 * are dropped. */
void hvsim_host_forget_owner(struct hvsim_host *h, void *userdata);

/* Answer every pending job "ok": false with reason (the world ends). */
void hvsim_host_abort(struct hvsim_host *h, const char *reason);

/* The model answered a packet (wire this to the models' host_reply). */
void hvsim_host_on_reply(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t cookie, const uint8_t *payload,
			 size_t len, uint64_t now);
/* The packet will never be answered (timeout, malformed reply, corrupt
 * ring): its job fails with error. */
void hvsim_host_on_failure(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t cookie, const char *error,
			   uint64_t now);

void hvsim_host_tick(struct hvsim_host *h, uint64_t now);
uint64_t hvsim_host_next_deadline(const struct hvsim_host *h);

/* The host's view of a channel, added to `hvsim host status`. */
void hvsim_host_describe(const struct hvsim_host *h, enum hvsim_cdev_kind k, json_object *out);
