/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-side model of the hv_utils char devices.  See chardev-model.h.
 *
 * Structure follows the kernel's: a transport (open flag, the one pending
 * outbound message and its one-shot on_read action) under a service (state,
 * the registered daemon version, the host packet being served and its
 * reply timeout).  The host's packets wait in a FIFO standing in for the
 * ring; the service reads the next one only when the kernel would
 * (KVP: READY only, so nothing at all before a daemon registers, §5.2;
 * VSS and fcopy: DEVICE_INIT or READY).
 *
 * Callbacks never run in the middle of a state change: replies and
 * "readable" notifications are queued and delivered when the outermost
 * public call returns, and a callback may call back into the model (the
 * host engine sending its next packet, the FUSE adapter completing a
 * deferred read); the delivery loop runs until nothing is left to do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hvutil.h"
#include "chardev-model.h"
#include "proto/fcopy.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/kvp.h"
#include "proto/vss.h"
#include "proto/wire.h"

static const char *const util_state_table[_HVSIM_UTIL_STATE_MAX] = {
	[HVSIM_UTIL_DEVICE_INIT] = "DEVICE_INIT",
	[HVSIM_UTIL_READY] = "READY",
	[HVSIM_UTIL_HOSTMSG_RECEIVED] = "HOSTMSG_RECEIVED",
	[HVSIM_UTIL_USERSPACE_REQ] = "USERSPACE_REQ",
	[HVSIM_UTIL_USERSPACE_RECV] = "USERSPACE_RECV",
	[HVSIM_UTIL_DEVICE_DYING] = "DEVICE_DYING",
};

const char *hvsim_util_state_to_string(enum hvsim_util_state s)
{
	return s < _HVSIM_UTIL_STATE_MAX ? util_state_table[s] : NULL;
}

struct packet {
	struct packet *next;
	uint64_t cookie;
	size_t len;
	uint8_t data[];
};

enum on_read {
	ON_READ_NONE,
	ON_READ_REGISTER_DONE, /* kvp_register_done, vss_register_done, fcopy_register_done */
};

struct hvsim_cdev {
	enum hvsim_cdev_kind kind;
	struct hvsim_kernel_config cfg;
	struct hvsim_cdev_callbacks cb;
	void *userdata;
	uint64_t now;

	/* transport */
	bool open;
	uint8_t *outmsg;
	size_t outmsg_len;
	enum on_read on_read;

	/* service */
	enum hvsim_util_state state;
	int registered_op;
	struct packet *cur; /* the host packet being served (recv_buffer) */
	bool timeout_armed;
	uint64_t deadline;
	bool negotiated;
	struct hv_ic_version fw, srv;

	/* the ring, and replies waiting for delivery */
	struct packet *ring, *ring_tail;
	size_t n_ring;
	struct packet *outbox, *outbox_tail;
	bool notify_readable;
	unsigned depth;

	struct hvsim_cdev_stats stats;
};

static void packet_list_free(struct packet *p)
{
	while (p) {
		struct packet *n = p->next;

		free(p);
		p = n;
	}
}

struct hvsim_cdev *hvsim_cdev_new(enum hvsim_cdev_kind kind, const struct hvsim_kernel_config *cfg,
				  const struct hvsim_cdev_callbacks *cb, void *userdata)
{
	struct hvsim_cdev *c;

	if (kind < 0 || kind >= _HVSIM_CDEV_MAX)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->kind = kind;
	c->cfg = *cfg;
	if (cb)
		c->cb = *cb;
	c->userdata = userdata;
	c->state = HVSIM_UTIL_DEVICE_INIT;
	c->registered_op = -1;
	return c;
}

struct hvsim_cdev *hvsim_cdev_free(struct hvsim_cdev *c)
{
	if (!c)
		return NULL;
	free(c->outmsg);
	free(c->cur);
	packet_list_free(c->ring);
	packet_list_free(c->outbox);
	free(c);
	return NULL;
}

enum hvsim_cdev_kind hvsim_cdev_kind(const struct hvsim_cdev *c)
{
	return c->kind;
}

/* ---- plumbing: entry/exit and deferred callbacks ----------------------- */

static void pump(struct hvsim_cdev *c);

static void enter(struct hvsim_cdev *c, uint64_t now)
{
	if (now > c->now)
		c->now = now;
	c->depth++;
}

static void leave(struct hvsim_cdev *c)
{
	if (c->depth > 1) {
		c->depth--;
		return;
	}
	for (;;) {
		pump(c);
		if (c->outbox) {
			struct packet *p = c->outbox;

			c->outbox = p->next;
			if (!c->outbox)
				c->outbox_tail = NULL;
			c->stats.host_replies++;
			if (c->cb.host_reply)
				c->cb.host_reply(c, p->cookie, p->data, p->len, c->userdata);
			free(p);
			continue;
		}
		if (c->notify_readable) {
			c->notify_readable = false;
			if (c->cb.readable)
				c->cb.readable(c, c->userdata);
			continue;
		}
		break;
	}
	c->depth--;
}

/* The packet being served goes back to the host as it is now. */
static void reply_current(struct hvsim_cdev *c)
{
	struct packet *p = c->cur;

	if (!p)
		return;
	c->cur = NULL;
	p->next = NULL;
	if (c->outbox_tail)
		c->outbox_tail->next = p;
	else
		c->outbox = p;
	c->outbox_tail = p;
}

static void fail_current(struct hvsim_cdev *c)
{
	if (!c->cur)
		return;
	(void)hv_icmsg_set_reply(c->cur->data, c->cur->len, HV_E_FAIL);
	reply_current(c);
}

static void arm_timeout(struct hvsim_cdev *c, uint64_t ms)
{
	c->timeout_armed = true;
	c->deadline = c->now + ms;
}

/* cancel_delayed_work_sync(): true if the timeout was still pending. */
static bool disarm_timeout(struct hvsim_cdev *c)
{
	bool was = c->timeout_armed;

	c->timeout_armed = false;
	return was;
}

/* hvutil_transport_send() in CHARDEV mode. */
static int transport_send(struct hvsim_cdev *c, const uint8_t *msg, size_t len, enum on_read on_read)
{
	if (!c->open)
		return -EINVAL;
	if (c->outmsg)
		return -EFAULT; /* the previous message was not read */
	c->outmsg = malloc(len);
	if (!c->outmsg)
		return -ENOMEM;
	memcpy(c->outmsg, msg, len);
	c->outmsg_len = len;
	c->on_read = on_read;
	c->notify_readable = true;
	return 0;
}

static void transport_reset(struct hvsim_cdev *c)
{
	free(c->outmsg);
	c->outmsg = NULL;
	c->outmsg_len = 0;
	c->on_read = ON_READ_NONE;
}

/* A host request could not be handed to the daemon. */
static void send_failed(struct hvsim_cdev *c)
{
	c->stats.send_failures++;
	if (disarm_timeout(c)) {
		fail_current(c);
		c->state = HVSIM_UTIL_READY;
	}
}

/* ---- the services' channel callbacks ------------------------------------ */

static const struct hv_ic_versions *versions_for(enum hvsim_cdev_kind k)
{
	switch (k) {
	case HVSIM_CDEV_KVP:
		return &hv_ic_versions_kvp;
	case HVSIM_CDEV_VSS:
		return &hv_ic_versions_vss;
	case HVSIM_CDEV_FCOPY:
		return &hv_ic_versions_fcopy;
	case _HVSIM_CDEV_MAX:
	case _HVSIM_CDEV_INVALID:
		break;
	}
	return NULL;
}

static void negotiate(struct hvsim_cdev *c)
{
	const struct hv_ic_versions *v = versions_for(c->kind);
	struct packet *p = c->cur;
	struct hv_ic_version fw, srv;
	uint32_t status;

	/* vmbus_prep_negotiate_resp(); the util drivers leave status as the
	 * host sent it and only set icflags (§2.2 step 7). */
	if (hv_icmsg_negotiate_reply(p->data, p->len, v->fw, v->n_fw, v->srv, v->n_srv, &fw, &srv) == 0) {
		c->negotiated = true;
		c->fw = fw;
		c->srv = srv;
	}
	status = hv_get_le32(p->data + HV_ICMSG_OFF_STATUS);
	(void)hv_icmsg_set_reply(p->data, p->len, status);
	c->stats.negotiations++;
	reply_current(c);
}

static void kvp_host_message(struct hvsim_cdev *c)
{
	uint8_t msg[HV_KVP_MSG_SIZE];

	if (hv_get_le16(c->cur->data + HV_ICMSG_OFF_TYPE) != HV_ICMSG_TYPE_KVPEXCHANGE) {
		/* Neither NEGOTIATE nor KVPEXCHANGE: dropped (§5.2). */
		c->stats.host_dropped++;
		free(c->cur);
		c->cur = NULL;
		return;
	}
	c->state = HVSIM_UTIL_HOSTMSG_RECEIVED;
	arm_timeout(c, c->cfg.kvp_timeout_ms);
	/* kvp_send_key() */
	if (hv_kvp_kernel_request_to_daemon(c->cur->data, c->cur->len, msg, sizeof(msg)) < 0) {
		send_failed(c);
		return;
	}
	c->state = HVSIM_UTIL_USERSPACE_REQ;
	if (transport_send(c, msg, sizeof(msg), ON_READ_NONE) < 0)
		send_failed(c);
}

static void vss_host_message(struct hvsim_cdev *c)
{
	uint8_t msg[HV_VSS_MSG_SIZE];
	uint8_t op;

	if (hv_get_le16(c->cur->data + HV_ICMSG_OFF_TYPE) != HV_ICMSG_TYPE_VSS ||
	    c->cur->len < HV_ICMSG_HDR_SIZE + HV_VSS_MSG_SIZE) {
		c->stats.host_dropped++;
		free(c->cur);
		c->cur = NULL;
		return;
	}
	op = c->cur->data[HV_ICMSG_HDR_SIZE + HV_VSS_OFF_OPERATION];
	if (hv_vss_kernel_route(op) == HV_VSS_ROUTE_KERNEL) {
		/* vss_handle_request(): answered here, then the poll wrapper
		 * sets READY, even with no daemon registered. */
		(void)hv_vss_kernel_answer_host(c->cur->data, c->cur->len, HV_S_OK);
		reply_current(c);
		c->state = HVSIM_UTIL_READY;
		return;
	}
	if (c->state < HVSIM_UTIL_READY) {
		c->stats.no_daemon++;
		(void)hv_vss_kernel_answer_host(c->cur->data, c->cur->len, HV_E_FAIL);
		reply_current(c);
		return;
	}
	c->state = HVSIM_UTIL_HOSTMSG_RECEIVED;
	/* vss_send_op() */
	if (hv_vss_kernel_request_to_daemon(c->cur->data, c->cur->len, msg, sizeof(msg)) < 0) {
		fail_current(c);
		c->state = HVSIM_UTIL_READY;
		return;
	}
	c->state = HVSIM_UTIL_USERSPACE_REQ;
	arm_timeout(c, op == HV_VSS_OP_FREEZE ? c->cfg.vss_freeze_timeout_ms : c->cfg.vss_timeout_ms);
	if (transport_send(c, msg, sizeof(msg), ON_READ_NONE) < 0)
		send_failed(c);
}

static void fcopy_host_message(struct hvsim_cdev *c)
{
	uint8_t msg[HV_FCOPY_DO_SIZE + HV_ICMSG_HDR_SIZE];
	int n;

	/* hv_fcopy.c does not look at the type of non-NEGOTIATE packets. */
	if (c->state < HVSIM_UTIL_READY) {
		c->stats.no_daemon++;
		fail_current(c);
		return;
	}
	c->state = HVSIM_UTIL_HOSTMSG_RECEIVED;
	arm_timeout(c, c->cfg.fcopy_timeout_ms);
	/* fcopy_send_data() */
	n = hv_fcopy_kernel_request_to_daemon(c->cur->data, c->cur->len, msg, sizeof(msg));
	if (n < 0) {
		/* Too short to hold an fcopy header: dropped. */
		disarm_timeout(c);
		c->stats.host_dropped++;
		free(c->cur);
		c->cur = NULL;
		c->state = HVSIM_UTIL_READY;
		return;
	}
	c->state = HVSIM_UTIL_USERSPACE_REQ;
	if (transport_send(c, msg, (size_t)n, ON_READ_NONE) < 0)
		send_failed(c);
}

/* Whether the service would read the next packet from the ring now. */
static bool can_read_ring(const struct hvsim_cdev *c)
{
	if (c->cur)
		return false;
	if (c->kind == HVSIM_CDEV_KVP)
		return c->state == HVSIM_UTIL_READY;
	return c->state <= HVSIM_UTIL_READY;
}

static void pump(struct hvsim_cdev *c)
{
	while (c->ring && can_read_ring(c)) {
		struct packet *p = c->ring;

		c->ring = p->next;
		if (!c->ring)
			c->ring_tail = NULL;
		c->n_ring--;
		p->next = NULL;
		c->cur = p;

		if (p->len < HV_ICMSG_HDR_SIZE) {
			/* "Packet length too small": dropped without reply. */
			c->stats.host_dropped++;
			free(p);
			c->cur = NULL;
			continue;
		}
		if (hv_get_le16(p->data + HV_ICMSG_OFF_TYPE) == HV_ICMSG_TYPE_NEGOTIATE) {
			negotiate(c);
			continue;
		}
		switch (c->kind) {
		case HVSIM_CDEV_KVP:
			kvp_host_message(c);
			break;
		case HVSIM_CDEV_VSS:
			vss_host_message(c);
			break;
		case HVSIM_CDEV_FCOPY:
			fcopy_host_message(c);
			break;
		case _HVSIM_CDEV_MAX:
		case _HVSIM_CDEV_INVALID:
			break;
		}
	}
}

/* ---- daemon writes (the services' on_msg) -------------------------------- */

static ssize_t kvp_on_msg(struct hvsim_cdev *c, const uint8_t *buf, size_t len)
{
	uint8_t out[HV_KVP_MSG_SIZE];
	uint8_t op;

	if (len < HV_KVP_MSG_SIZE)
		return -EINVAL;
	if (c->state < HVSIM_UTIL_READY) {
		if (hv_kvp_kernel_handshake(buf, len, out, sizeof(out), &op) < 0)
			return -EINVAL;
		c->registered_op = op;
		c->stats.registrations++;
		/* kvp_register() ignores a failed send. */
		(void)transport_send(c, out, sizeof(out), ON_READ_REGISTER_DONE);
		return 0;
	}
	if (c->state < HVSIM_UTIL_USERSPACE_REQ)
		return -EINVAL;
	c->state = HVSIM_UTIL_USERSPACE_RECV;
	if (disarm_timeout(c)) {
		(void)hv_kvp_kernel_reply_to_host(c->cur->data, c->cur->len, buf, len,
						  (uint8_t)c->registered_op, NULL);
		reply_current(c);
		c->state = HVSIM_UTIL_READY;
	}
	return 0;
}

static ssize_t vss_on_msg(struct hvsim_cdev *c, const uint8_t *buf, size_t len)
{
	uint8_t out[HV_VSS_HANDSHAKE_REPLY_SIZE];
	int r;

	r = hv_vss_kernel_classify_daemon_write(buf, len);
	if (r < 0)
		return r;
	if (r == HV_VSS_WRITE_REGISTER) {
		/* No registration in the middle of a transaction. */
		if (c->state > HVSIM_UTIL_READY)
			return -EINVAL;
		r = hv_vss_kernel_handshake(buf[HV_VSS_OFF_OPERATION], out, sizeof(out));
		if (r < 0)
			return r;
		if (r > 0 && transport_send(c, out, (size_t)r, ON_READ_REGISTER_DONE) < 0)
			return -EFAULT;
		c->registered_op = buf[HV_VSS_OFF_OPERATION];
		c->stats.registrations++;
		return 0;
	}
	if (c->state != HVSIM_UTIL_USERSPACE_REQ)
		return -EINVAL; /* "Transaction not active" */
	c->state = HVSIM_UTIL_USERSPACE_RECV;
	if (disarm_timeout(c)) {
		(void)hv_vss_kernel_reply_to_host(c->cur->data, c->cur->len, buf, len, NULL);
		reply_current(c);
		c->state = HVSIM_UTIL_READY;
	}
	return 0;
}

static ssize_t fcopy_on_msg(struct hvsim_cdev *c, const uint8_t *buf, size_t len)
{
	uint8_t out[HV_FCOPY_HANDSHAKE_SIZE];
	uint32_t version;
	int r;

	if (len != HV_FCOPY_REPLY_SIZE)
		return -EINVAL;
	if (c->state == HVSIM_UTIL_DEVICE_INIT) {
		r = hv_fcopy_kernel_handshake(buf, len, out, sizeof(out), &version);
		if (r < 0)
			return r;
		/* Version 0 gets no answer and, as in hv_fcopy.c, nothing
		 * moves the state to READY: such a daemon is never served. */
		if (r > 0 && transport_send(c, out, (size_t)r, ON_READ_REGISTER_DONE) < 0)
			return -EFAULT;
		c->registered_op = (int)version;
		c->stats.registrations++;
		return 0;
	}
	if (c->state != HVSIM_UTIL_USERSPACE_REQ)
		return -EINVAL;
	if (disarm_timeout(c)) {
		c->state = HVSIM_UTIL_USERSPACE_RECV;
		(void)hv_fcopy_kernel_reply_to_host(c->cur->data, c->cur->len, buf, len, NULL);
		reply_current(c);
		c->state = HVSIM_UTIL_READY;
	}
	return 0;
}

/* ---- public: file operations ---------------------------------------------- */

int hvsim_cdev_open(struct hvsim_cdev *c, uint64_t now_ms)
{
	if (c->open) {
		c->stats.busy_opens++;
		return -EBUSY;
	}
	enter(c, now_ms);
	c->open = true;
	c->stats.opens++;
	leave(c);
	return 0;
}

void hvsim_cdev_release(struct hvsim_cdev *c, uint64_t now_ms)
{
	if (!c->open)
		return;
	enter(c, now_ms);
	c->open = false;
	c->stats.releases++;
	transport_reset(c);
	/* on_reset: a host request waiting on the daemon fails now. */
	if (disarm_timeout(c)) {
		c->stats.reset_failures++;
		fail_current(c);
	}
	c->state = HVSIM_UTIL_DEVICE_INIT;
	c->registered_op = -1;
	leave(c);
}

bool hvsim_cdev_is_open(const struct hvsim_cdev *c)
{
	return c->open;
}

size_t hvsim_cdev_pending(const struct hvsim_cdev *c)
{
	return c->outmsg ? c->outmsg_len : 0;
}

ssize_t hvsim_cdev_read(struct hvsim_cdev *c, uint8_t *buf, size_t size, uint64_t now_ms)
{
	enum on_read on_read;
	ssize_t n;

	if (!c->open)
		return -EBADF;
	if (!c->outmsg)
		return -EAGAIN;
	if (size < c->outmsg_len) {
		c->stats.short_reads++;
		return -EINVAL;
	}
	enter(c, now_ms);
	memcpy(buf, c->outmsg, c->outmsg_len);
	n = (ssize_t)c->outmsg_len;
	on_read = c->on_read;
	transport_reset(c);
	c->stats.to_daemon++;
	if (on_read == ON_READ_REGISTER_DONE)
		/* The poll wrapper: READY, then the channel is read again. */
		c->state = HVSIM_UTIL_READY;
	leave(c);
	return n;
}

ssize_t hvsim_cdev_write(struct hvsim_cdev *c, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	ssize_t r = -EINVAL;

	if (!c->open)
		return -EBADF;
	enter(c, now_ms);
	switch (c->kind) {
	case HVSIM_CDEV_KVP:
		r = kvp_on_msg(c, buf, len);
		break;
	case HVSIM_CDEV_VSS:
		r = vss_on_msg(c, buf, len);
		break;
	case HVSIM_CDEV_FCOPY:
		r = fcopy_on_msg(c, buf, len);
		break;
	case _HVSIM_CDEV_MAX:
	case _HVSIM_CDEV_INVALID:
		break;
	}
	if (r < 0)
		c->stats.rejected_writes++;
	else
		c->stats.from_daemon++;
	leave(c);
	return r < 0 ? r : (ssize_t)len;
}

/* ---- public: channel --------------------------------------------------------- */

int hvsim_cdev_host_send(struct hvsim_cdev *c, const uint8_t *payload, size_t len, uint64_t cookie,
			 uint64_t now_ms)
{
	struct packet *p;

	if (len > HVSIM_CDEV_MAX_PACKET)
		return -EMSGSIZE;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->cookie = cookie;
	p->len = len;
	memcpy(p->data, payload, len);
	enter(c, now_ms);
	if (c->ring_tail)
		c->ring_tail->next = p;
	else
		c->ring = p;
	c->ring_tail = p;
	c->n_ring++;
	c->stats.host_packets++;
	leave(c);
	return 0;
}

bool hvsim_cdev_host_cancel(struct hvsim_cdev *c, uint64_t cookie)
{
	for (struct packet **pp = &c->ring; *pp; pp = &(*pp)->next) {
		struct packet *p = *pp;

		if (p->cookie != cookie)
			continue;
		*pp = p->next;
		if (c->ring_tail == p) {
			c->ring_tail = NULL;
			for (struct packet *q = c->ring; q; q = q->next)
				c->ring_tail = q;
		}
		c->n_ring--;
		free(p);
		return true;
	}
	return false;
}

size_t hvsim_cdev_host_queued(const struct hvsim_cdev *c)
{
	return c->n_ring;
}

/* ---- public: time ----------------------------------------------------------- */

uint64_t hvsim_cdev_next_deadline(const struct hvsim_cdev *c)
{
	return c->timeout_armed ? c->deadline : UINT64_MAX;
}

void hvsim_cdev_tick(struct hvsim_cdev *c, uint64_t now_ms)
{
	enter(c, now_ms);
	if (c->timeout_armed && c->now >= c->deadline) {
		/* The timeout work: HV_E_FAIL to the host, READY again.  An
		 * unread message stays pending, so the daemon may still read
		 * it and then get -EINVAL for its late answer. */
		c->timeout_armed = false;
		c->stats.timeouts++;
		fail_current(c);
		if (c->state > HVSIM_UTIL_READY)
			c->state = HVSIM_UTIL_READY;
	}
	leave(c);
}

/* ---- public: introspection ----------------------------------------------------- */

enum hvsim_util_state hvsim_cdev_state(const struct hvsim_cdev *c)
{
	return c->state;
}

int hvsim_cdev_registered_op(const struct hvsim_cdev *c)
{
	return c->registered_op;
}

bool hvsim_cdev_negotiated(const struct hvsim_cdev *c, struct hv_ic_version *fw, struct hv_ic_version *srv)
{
	if (c->negotiated) {
		if (fw)
			*fw = c->fw;
		if (srv)
			*srv = c->srv;
	}
	return c->negotiated;
}

const struct hvsim_cdev_stats *hvsim_cdev_stats(const struct hvsim_cdev *c)
{
	return &c->stats;
}

bool hvsim_cdev_busy(const struct hvsim_cdev *c)
{
	return c->timeout_armed;
}
