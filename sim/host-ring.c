/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's end of a uio channel.  See host-ring.h.
 *
 * The link keeps its own hv_ring views of the shared memory the uio model
 * mapped: the corrupt state of the TX view is the host's judgement of the
 * guest, independent of anything the model does with the headers.
 *
 * Everything the guest answers is handed to the core through its inbox
 * (hvsim_host_on_reply / hvsim_host_on_failure), so nothing here re-enters
 * a job that is sending.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hvutil.h"
#include "host-internal.h"
#include "host-ring.h"
#include "proto/icmsg.h"
#include "proto/vss.h"
#include "proto/wire.h"
#include "transport/ring.h"

#define LATE_IDS 16
#define TRANS_ID_ANY UINT64_MAX /* what hv_fcopy_uio_daemon answers with */

struct pkt {
	struct pkt *next;
	uint64_t cookie;
	uint16_t icmsg_type;
	uint64_t timeout_ms;
	size_t len;
	uint8_t data[];
};

struct link_stats {
	uint64_t sent, replies, malformed, late, unexpected, timeouts, guest_signals, interrupts, rx_full;
};

struct hvsim_ring_link {
	struct hvsim_host *host;
	enum hvsim_cdev_kind kind;
	struct hvsim_uio *uio;
	struct hvsim_kernel_config cfg;
	char hint[64];

	bool open;
	struct hv_ring tx, rx; /* the host's views: TX is read, RX written */
	char broken[192];      /* why the channel cannot be used, "" if it can */
	struct pkt *queue, *queue_tail; /* waiting for the RX ring */
	struct pkt *inflight;           /* on the ring, waiting for the answer */
	uint64_t deadline;              /* of the in-flight packet, or of the head waiting for room */
	uint64_t late[LATE_IDS];        /* trans_ids of packets that timed out */
	size_t n_late;
	uint8_t *buf;
	size_t buf_size;
	struct link_stats st;
};

static int link_send(void *link, const uint8_t *payload, size_t len, uint64_t cookie, uint64_t now);
static bool link_cancel(void *link, uint64_t cookie);

static const struct hvsim_host_link_ops ring_link_ops = {
	.send = link_send,
	.cancel = link_cancel,
};

struct hvsim_ring_link *hvsim_ring_link_new(struct hvsim_host *h, enum hvsim_cdev_kind k, struct hvsim_uio *u,
					    const struct hvsim_kernel_config *cfg)
{
	struct hvsim_ring_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->host = h;
	l->kind = k;
	l->uio = u;
	l->cfg = *cfg;
	snprintf(l->hint, sizeof(l->hint), "no process has /dev/uio%u open", hvsim_uio_minor(u));
	hvsim_host_set_link(h, k, &ring_link_ops, l, "uio", l->hint);
	return l;
}

static void drop_packets(struct hvsim_ring_link *l)
{
	free(l->inflight);
	l->inflight = NULL;
	while (l->queue) {
		struct pkt *p = l->queue;

		l->queue = p->next;
		free(p);
	}
	l->queue_tail = NULL;
	l->deadline = UINT64_MAX;
}

struct hvsim_ring_link *hvsim_ring_link_free(struct hvsim_ring_link *l)
{
	if (!l)
		return NULL;
	drop_packets(l);
	free(l->buf);
	free(l);
	return NULL;
}

/* The kernel's timeout of the service the packet belongs to. */
static uint64_t packet_timeout(const struct hvsim_ring_link *l, const uint8_t *payload, size_t len)
{
	switch (l->kind) {
	case HVSIM_CDEV_KVP:
		return l->cfg.kvp_timeout_ms;
	case HVSIM_CDEV_VSS:
		if (len > HV_ICMSG_HDR_SIZE + HV_VSS_OFF_OPERATION &&
		    hv_get_le16(payload + HV_ICMSG_OFF_TYPE) == HV_ICMSG_TYPE_VSS &&
		    payload[HV_ICMSG_HDR_SIZE + HV_VSS_OFF_OPERATION] == HV_VSS_OP_FREEZE)
			return l->cfg.vss_freeze_timeout_ms;
		return l->cfg.vss_timeout_ms;
	case HVSIM_CDEV_FCOPY:
		return l->cfg.fcopy_timeout_ms;
	case _HVSIM_CDEV_MAX:
	case _HVSIM_CDEV_INVALID:
		break;
	}
	return 30 * 1000;
}

static void fail_packet(struct hvsim_ring_link *l, struct pkt *p, const char *error, uint64_t now)
{
	hvsim_host_on_failure(l->host, l->kind, p->cookie, error, now);
	free(p);
}

/* Everything queued or in flight fails: the channel is unusable. */
static void break_channel(struct hvsim_ring_link *l, uint64_t now, const char *fmt, ...) _printf_(3, 4);

static void break_channel(struct hvsim_ring_link *l, uint64_t now, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->broken, sizeof(l->broken), fmt, ap);
	va_end(ap);
	if (l->inflight) {
		fail_packet(l, l->inflight, l->broken, now);
		l->inflight = NULL;
	}
	while (l->queue) {
		struct pkt *p = l->queue;

		l->queue = p->next;
		fail_packet(l, p, l->broken, now);
	}
	l->queue_tail = NULL;
	l->deadline = UINT64_MAX;
}

/* Put queued packets on RX while nothing is in flight. */
static void pump(struct hvsim_ring_link *l, uint64_t now)
{
	while (l->open && !l->inflight && l->queue) {
		struct pkt *p = l->queue;
		bool signal = false;
		char msg[160];
		int r;

		if (l->broken[0]) {
			l->queue = p->next;
			fail_packet(l, p, l->broken, now);
			continue;
		}
		r = hv_ring_send(&l->rx, HV_VMBUS_PKT_DATA_INBAND, 0, p->cookie, p->data, p->len, &signal);
		if (r == -EAGAIN) {
			/* RX full: the guest signals when it made room (its
			 * pending_send_sz rule); give up at the timeout. */
			if (l->deadline == UINT64_MAX) {
				l->st.rx_full++;
				l->deadline = now + p->timeout_ms;
			}
			return;
		}
		l->queue = p->next;
		if (!l->queue)
			l->queue_tail = NULL;
		if (r == -EMSGSIZE) {
			snprintf(msg, sizeof(msg), "a %zu-byte packet can never fit in the %zu-byte ring",
				 HV_RING_PACKET_SPACE(p->len), (size_t)l->rx.data_size);
			fail_packet(l, p, msg, now);
			l->deadline = UINT64_MAX;
			continue;
		}
		if (r < 0) {
			l->queue = p; /* failed with the rest */
			if (!l->queue_tail)
				l->queue_tail = p;
			break_channel(l, now, "the guest corrupted its RX ring: %s",
				      r == -EBADMSG ? hv_ring_error(&l->rx) : hv_strerror(r));
			return;
		}
		p->next = NULL;
		l->inflight = p;
		l->deadline = now + p->timeout_ms;
		l->st.sent++;
		if (signal) {
			l->st.interrupts++;
			hvsim_uio_interrupt(l->uio);
		}
	}
}

static int link_send(void *link, const uint8_t *payload, size_t len, uint64_t cookie, uint64_t now)
{
	struct hvsim_ring_link *l = link;
	struct pkt *p;

	if (!l->open)
		return -ENOTCONN;
	if (len < HV_ICMSG_HDR_SIZE)
		return -EINVAL;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->cookie = cookie;
	p->icmsg_type = hv_get_le16(payload + HV_ICMSG_OFF_TYPE);
	p->timeout_ms = packet_timeout(l, payload, len);
	p->len = len;
	memcpy(p->data, payload, len);
	if (l->queue_tail)
		l->queue_tail->next = p;
	else
		l->queue = p;
	l->queue_tail = p;
	pump(l, now);
	return 0;
}

static bool link_cancel(void *link, uint64_t cookie)
{
	struct hvsim_ring_link *l = link;

	for (struct pkt **pp = &l->queue; *pp; pp = &(*pp)->next) {
		struct pkt *p = *pp;

		if (p->cookie != cookie)
			continue;
		if (p == l->queue)
			l->deadline = UINT64_MAX; /* the head waited for room */
		*pp = p->next;
		l->queue_tail = NULL;
		for (struct pkt *q = l->queue; q; q = q->next)
			l->queue_tail = q;
		free(p);
		return true;
	}
	return false;
}

/* ---- the channel's life --------------------------------------------------------- */

void hvsim_ring_link_opened(struct hvsim_ring_link *l, uint64_t now)
{
	uint8_t *mem = hvsim_uio_ring_memory(l->uio);
	size_t size = hvsim_uio_ring_size(l->uio);

	drop_packets(l);
	l->n_late = 0;
	l->broken[0] = '\0';
	if (!mem || hv_ring_attach(&l->tx, mem, size) < 0 || hv_ring_attach(&l->rx, mem + size, size) < 0) {
		snprintf(l->broken, sizeof(l->broken), "the ring cannot be attached");
	} else if (l->buf_size < l->tx.data_size) {
		free(l->buf);
		l->buf = malloc(l->tx.data_size);
		l->buf_size = l->buf ? l->tx.data_size : 0;
		if (!l->buf)
			snprintf(l->broken, sizeof(l->broken), "out of memory");
	}
	l->open = true;
	hvsim_host_channel_open(l->host, l->kind, now);
}

void hvsim_ring_link_closed(struct hvsim_ring_link *l, bool rescinded, uint64_t now)
{
	char reason[128];

	if (!l->open)
		return;
	l->open = false;
	/* The core fails the jobs; the packets just go. */
	drop_packets(l);
	l->n_late = 0;
	if (rescinded)
		snprintf(reason, sizeof(reason), "the host rescinded the channel");
	else
		snprintf(reason, sizeof(reason), "the guest closed the channel (last close of /dev/uio%u)",
			 hvsim_uio_minor(l->uio));
	hvsim_host_channel_closed(l->host, l->kind, reason, now);
}

/* ---- the guest's answers ------------------------------------------------------------ */

static bool take_late(struct hvsim_ring_link *l, uint64_t trans_id)
{
	for (size_t i = 0; i < l->n_late; i++)
		if (l->late[i] == trans_id) {
			memmove(&l->late[i], &l->late[i + 1], (l->n_late - i - 1) * sizeof(l->late[0]));
			l->n_late--;
			return true;
		}
	return false;
}

/* What is wrong with a reply to p, "" if nothing. */
static void check_reply(const struct pkt *p, const struct hv_ring_packet *rp, const uint8_t *buf, char *why,
			size_t size)
{
	size_t want = (p->len + 7) & ~(size_t)7;
	struct hv_icmsg_hdr hdr;

	why[0] = '\0';
	if (rp->type != HV_VMBUS_PKT_DATA_INBAND)
		snprintf(why, size, "packet type %u, not %u (data in band)", rp->type, HV_VMBUS_PKT_DATA_INBAND);
	else if (rp->payload_len != want)
		snprintf(why, size, "%zu bytes of payload, the request had %zu", rp->payload_len, want);
	else if (rp->trans_id != p->cookie && rp->trans_id != TRANS_ID_ANY)
		snprintf(why, size, "trans_id 0x%" PRIx64 " is neither the request's (0x%" PRIx64 ") nor all-ones",
			 rp->trans_id, p->cookie);
	else if (hv_icmsg_parse(buf, rp->payload_len, &hdr) < 0)
		snprintf(why, size, "no IC header");
	else if (hdr.type != p->icmsg_type)
		snprintf(why, size, "icmsgtype %u, the request's was %u", hdr.type, p->icmsg_type);
	else if (hdr.flags != HV_ICMSG_FLAGS_REPLY)
		snprintf(why, size, "icflags 0x%x, not TRANSACTION|RESPONSE (0x%x)", hdr.flags, HV_ICMSG_FLAGS_REPLY);
}

static void handle_reply(struct hvsim_ring_link *l, const struct hv_ring_packet *rp, uint64_t now)
{
	struct pkt *p = l->inflight;
	char why[160], msg[224];

	if (take_late(l, rp->trans_id)) {
		l->st.late++;
		return;
	}
	if (!p) {
		l->st.unexpected++;
		return;
	}
	l->inflight = NULL;
	l->deadline = UINT64_MAX;
	check_reply(p, rp, l->buf, why, sizeof(why));
	if (why[0]) {
		l->st.malformed++;
		snprintf(msg, sizeof(msg), "malformed reply from the guest: %s", why);
		fail_packet(l, p, msg, now);
		return;
	}
	l->st.replies++;
	/* The padding is the ring's, not the message's. */
	hvsim_host_on_reply(l->host, l->kind, p->cookie, l->buf, p->len, now);
	free(p);
}

void hvsim_ring_link_signal(struct hvsim_ring_link *l, uint64_t now)
{
	l->st.guest_signals++;
	if (!l->open)
		return;
	while (!l->broken[0]) {
		struct hv_ring_packet rp;
		bool signal = false;
		int r;

		r = hv_ring_recv(&l->tx, l->buf, l->buf_size, &rp, &signal);
		if (r == -EAGAIN)
			break;
		if (r == -EBADMSG) {
			break_channel(l, now, "the guest's TX ring is corrupt: %s", hv_ring_error(&l->tx));
			break;
		}
		if (r < 0) {
			/* -ENOBUFS cannot happen with a buffer of the data
			 * area's size; anything else is just as fatal. */
			break_channel(l, now, "cannot read the guest's TX ring: %s", hv_strerror(r));
			break;
		}
		if (signal) {
			/* The guest waits for room (pending_send_sz). */
			l->st.interrupts++;
			hvsim_uio_interrupt(l->uio);
		}
		handle_reply(l, &rp, now);
	}
	pump(l, now);
}

void hvsim_ring_link_tick(struct hvsim_ring_link *l, uint64_t now)
{
	char msg[160];

	if (!l->open || now < l->deadline)
		return;
	l->st.timeouts++;
	if (l->inflight) {
		struct pkt *p = l->inflight;

		l->inflight = NULL;
		if (l->n_late == LATE_IDS) {
			memmove(l->late, l->late + 1, (LATE_IDS - 1) * sizeof(l->late[0]));
			l->n_late--;
		}
		l->late[l->n_late++] = p->cookie;
		snprintf(msg, sizeof(msg), "timeout: the guest did not answer within %.3g s", (double)p->timeout_ms / 1000);
		fail_packet(l, p, msg, now);
	} else if (l->queue) {
		struct pkt *p = l->queue;

		l->queue = p->next;
		if (!l->queue)
			l->queue_tail = NULL;
		snprintf(msg, sizeof(msg), "timeout: the guest's RX ring stayed full for %.3g s",
			 (double)p->timeout_ms / 1000);
		fail_packet(l, p, msg, now);
	}
	l->deadline = UINT64_MAX;
	pump(l, now);
}

uint64_t hvsim_ring_link_next_deadline(const struct hvsim_ring_link *l)
{
	return l->open ? l->deadline : UINT64_MAX;
}

/* ---- status ---------------------------------------------------------------------------- */

static json_object *ring_state(struct hv_ring *r)
{
	json_object *o = json_object_new_object();
	struct hv_ring_state st;

	hv_ring_get_state(r, &st);
	hvsim_json_add_int(o, "write_index", st.write_index);
	hvsim_json_add_int(o, "read_index", st.read_index);
	hvsim_json_add_int(o, "interrupt_mask", st.interrupt_mask);
	hvsim_json_add_int(o, "pending_send_sz", st.pending_send_sz);
	hvsim_json_add_int(o, "feature_bits", st.feature_bits);
	hvsim_json_add_int(o, "bytes_to_read", (int64_t)hv_ring_bytes_to_read(r));
	return o;
}

void hvsim_ring_link_describe(struct hvsim_ring_link *l, json_object *out)
{
	size_t queued = 0;

	if (l->open) {
		json_object_object_add(out, "tx", ring_state(&l->tx));
		json_object_object_add(out, "rx", ring_state(&l->rx));
	}
	if (l->broken[0])
		hvsim_json_add_str(out, "ring_error", l->broken);
	for (const struct pkt *p = l->queue; p; p = p->next)
		queued++;
	hvsim_json_add_int(out, "ring_in_flight", l->inflight ? 1 : 0);
	hvsim_json_add_int(out, "ring_queued", (int64_t)queued);
	hvsim_json_add_int(out, "ring_packets_sent", (int64_t)l->st.sent);
	hvsim_json_add_int(out, "ring_replies", (int64_t)l->st.replies);
	hvsim_json_add_int(out, "ring_malformed_replies", (int64_t)l->st.malformed);
	hvsim_json_add_int(out, "ring_late_replies", (int64_t)l->st.late);
	hvsim_json_add_int(out, "ring_unexpected_replies", (int64_t)l->st.unexpected);
	hvsim_json_add_int(out, "ring_timeouts", (int64_t)l->st.timeouts);
	hvsim_json_add_int(out, "ring_rx_full", (int64_t)l->st.rx_full);
	hvsim_json_add_int(out, "guest_signals", (int64_t)l->st.guest_signals);
	hvsim_json_add_int(out, "host_interrupts", (int64_t)l->st.interrupts);
}
