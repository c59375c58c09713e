/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv-fcopyd: the file-copy (Guest services, Copy-VMFile) daemon, for both
 * transports the kernel has had (PROTOCOL.md §7.2, §7.3):
 *
 *  - kernels <= 6.9: /dev/vmbus/hv_fcopy, the kernel's daemon ABI (version
 *    handshake FCOPY_VERSION_1, then one message per read, a 4-byte status
 *    per reply), through daemons/common/daemon-chardev.h, served by its
 *    reader thread, which waits in read() instead of polling before each of
 *    the 6 KiB messages (the loop keeps signals, reloads and the status file;
 *    `lock` is what the two share: the service);
 *  - kernels >= 6.10: the file-copy VMBus channel itself through
 *    uio_hv_generic (transport/uio.h): IC negotiation and the host's FCOPY
 *    messages on the ring, answered in place.
 *
 * transport=auto (the default) takes the char device when it exists, else
 * the uio channel of the file-copy device (instance eb765408-... first,
 * else any device of the class), else waits, looking again every second
 * (STATUS=Waiting for the file-copy device).  Everything the host asks is
 * done by services/fcopy-service.h; this file only moves bytes.
 *
 * Over uio, where the reference tool (hv_fcopy_uio_daemon) exits or
 * stalls, this daemon does not (§11.20-§11.23): every packet waiting is
 * drained per wake-up, a packet too short for an IC header is dropped
 * (there is nowhere to put a status, the kernel drops them too), any other
 * unexpected packet is answered HV_E_FAIL, a reply that finds the TX ring
 * full waits for the host's signal (and a 100 ms timer, in case the host
 * never asked for one), replies echo the request's trans_id, and a rescind
 * (EIO) or a corrupt ring cancels the open copy, closes the channel and
 * waits for the device to come back.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "daemons/common/daemon-chardev.h"
#include "daemons/common/daemon.h"
#include "proto/fcopy.h"
#include "proto/guid.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/vmbus-class.h"
#include "services/fcopy-service.h"
#include "transport/ring.h"
#include "transport/uio.h"

#define RETRY_USEC (1 * HV_USEC_PER_SEC)
#define TX_RETRY_USEC (100 * 1000)
/* Packets handled per wake-up before the loop gets a turn (then a defer
 * source carries on): a host that never stops sending cannot starve the
 * watchdog. */
#define DRAIN_BUDGET 256

enum waiting {
	WAITING_NONE,
	WAITING_NO_DEVICE,
	WAITING_NOT_BOUND,
};

struct fcopyd {
	struct hv_daemon *daemon;
	/* The service, shared with the char device's reader thread. */
	pthread_mutex_t lock;
	struct hv_fcopy_service *service;
	enum hv_fcopy_transport configured;
	enum hv_fcopy_transport active; /* AUTO: none yet */
	enum waiting waiting;
	sd_event_source *retry;

	/* char device */
	struct hv_chardev *chardev;
	struct hv_daemon_chardev *attached;

	/* uio */
	struct hv_uio_device dev;
	struct hv_uio_channel *uio;
	sd_event_source *uio_source;
	sd_event_source *tx_retry;
	sd_event_source *drain_later;
	uint8_t *pkt; /* one packet's payload: a whole ring's worth, so any packet fits */
	size_t pkt_size;
	bool reply_pending; /* pkt holds a reply the TX ring had no room for */
	size_t reply_len;
	uint64_t reply_trans_id;
	bool negotiated;
	struct hv_ic_version fw, srv;
	uint64_t dropped;    /* packets too short to answer, or not in-band */
	uint64_t other_type; /* IC messages of another service, answered HV_E_FAIL */
};

static struct fcopyd fcopyd = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const struct hv_fcopy_service_config *config_of(const struct hv_config *c)
{
	return hv_config_get(c, &hv_fcopy_service_config_sections[0]);
}

static int try_attach(struct fcopyd *f);

/* ---- waiting ---- */

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct fcopyd *f = userdata;
	int r;

	f->retry = sd_event_source_disable_unref(f->retry);
	r = try_attach(f);
	if (r < 0)
		return hv_daemon_exit(f->daemon, r);
	return 0;
}

static int wait_for_device(struct fcopyd *f, enum waiting why)
{
	int r;

	if (why != f->waiting) {
		if (why == WAITING_NOT_BOUND)
			hv_log_notice("The file-copy device %s is not bound to uio_hv_generic; "
				      "'hvctl ic bind fcopy' binds it (the udev rule does it when it appears), waiting",
				      f->dev.instance[0] ? f->dev.instance : "");
		else
			hv_log_notice("No file-copy device (neither %s nor a file-copy channel on uio_hv_generic), "
				      "waiting for one",
				      HV_DEVICE_FCOPY);
		f->waiting = why;
	}
	(void)hv_daemon_status(f->daemon, "Waiting for the file-copy device%s",
			       why == WAITING_NOT_BOUND ? " (not bound to uio_hv_generic)" : "");
	if (f->retry)
		return 0;
	r = sd_event_add_time_relative(hv_daemon_get_event(f->daemon), &f->retry, CLOCK_MONOTONIC, RETRY_USEC, 0,
				       on_retry, f);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to arm the retry timer: %m");
	return 0;
}

/* ---- char device (on the reader thread) ---- */

static int on_chardev_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	struct fcopyd *f = userdata;
	uint8_t reply[HV_FCOPY_REPLY_SIZE];
	uint32_t status;
	int r;

	/* The reply is written after the unlock: the loop waits for the
	 * service, never for the host. */
	pthread_mutex_lock(&f->lock);
	status = hv_fcopy_service_process_daemon(f->service, msg, size);
	pthread_mutex_unlock(&f->lock);
	r = hv_fcopy_daemon_encode_reply(status, reply, sizeof(reply));
	if (r < 0)
		return hv_log_err_errno(r, "Failed to build a file-copy reply: %m");
	r = hv_chardev_write(c, reply, sizeof(reply));
	if (r == -ECONNRESET) {
		hv_log_warning("The file-copy device was reset, a reply was lost");
		return 0;
	}
	return r;
}

static void on_chardev_reset(struct hv_chardev *c, void *userdata)
{
	struct fcopyd *f = userdata;

	pthread_mutex_lock(&f->lock);
	hv_fcopy_service_cancel(f->service, "the file-copy device was reset");
	pthread_mutex_unlock(&f->lock);
}

static const struct hv_chardev_callbacks chardev_callbacks = {
	.on_message = on_chardev_message,
	.on_reset = on_chardev_reset,
};

static int start_chardev(struct fcopyd *f)
{
	int r;

	r = hv_daemon_chardev_new_fcopy(hv_daemon_get_path(f->daemon), &f->chardev);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to set up the file-copy device: %m");
	hv_chardev_set_callbacks(f->chardev, &chardev_callbacks, f);
	f->active = HV_FCOPY_TRANSPORT_CHARDEV;
	f->waiting = WAITING_NONE;
	hv_log_info("Using %s", HV_DEVICE_FCOPY);
	/* Registers, sends READY=1, and waits by itself if the node goes away. */
	return hv_daemon_chardev_start_reader(f->daemon, f->chardev, RETRY_USEC, &f->attached);
}

/* ---- uio ---- */

static void uio_close(struct fcopyd *f)
{
	f->uio_source = sd_event_source_disable_unref(f->uio_source);
	f->tx_retry = sd_event_source_disable_unref(f->tx_retry);
	f->drain_later = sd_event_source_disable_unref(f->drain_later);
	f->uio = hv_uio_close(f->uio);
	free(f->pkt);
	f->pkt = NULL;
	f->pkt_size = 0;
	f->reply_pending = false;
	f->negotiated = false;
	if (f->active == HV_FCOPY_TRANSPORT_UIO)
		f->active = HV_FCOPY_TRANSPORT_AUTO;
}

/* The channel is gone (rescind, corrupt ring, I/O error): give up the open
 * copy, close, and wait for the device to be offered again. */
static int uio_lost(struct fcopyd *f, int error, const char *why)
{
	(void)hv_log_warning_errno(error, "Lost the file-copy channel: %s", why);
	hv_fcopy_service_cancel(f->service, "the file-copy channel was lost");
	uio_close(f);
	hv_daemon_touch_status(f->daemon);
	return wait_for_device(f, WAITING_NO_DEVICE);
}

static int drain(struct fcopyd *f);

static int on_tx_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct fcopyd *f = userdata;
	int r;

	f->tx_retry = sd_event_source_disable_unref(f->tx_retry);
	r = drain(f);
	return r < 0 ? hv_daemon_exit(f->daemon, r) : 0;
}

static int on_drain_later(sd_event_source *s, void *userdata)
{
	struct fcopyd *f = userdata;
	int r;

	f->drain_later = sd_event_source_disable_unref(f->drain_later);
	r = drain(f);
	return r < 0 ? hv_daemon_exit(f->daemon, r) : 0;
}

/* Send the reply in pkt: 0 sent, -EAGAIN TX full (kept for later), < 0 lost. */
static int send_reply(struct fcopyd *f)
{
	int r;

	r = hv_uio_send(f->uio, HV_VMBUS_PKT_DATA_INBAND, 0, f->reply_trans_id, f->pkt, f->reply_len);
	if (r == -EAGAIN) {
		if (!f->tx_retry) {
			r = sd_event_add_time_relative(hv_daemon_get_event(f->daemon), &f->tx_retry, CLOCK_MONOTONIC,
						       TX_RETRY_USEC, 0, on_tx_retry, f);
			if (r < 0)
				return hv_log_err_errno(r, "Failed to arm the TX retry timer: %m");
		}
		hv_log_debug("The TX ring is full, the reply waits");
		return -EAGAIN;
	}
	if (r < 0)
		return r;
	f->reply_pending = false;
	return 0;
}

static uint32_t handle_negotiate(struct fcopyd *f, size_t len)
{
	const struct hv_ic_versions *v = &hv_ic_versions_fcopy;
	struct hv_ic_version fw, srv;
	int r;

	r = hv_icmsg_negotiate_reply(f->pkt, len, v->fw, v->n_fw, v->srv, v->n_srv, &fw, &srv);
	if (r < 0) {
		(void)hv_log_warning_errno(r, "The host's version negotiation failed: %s",
					   r == -EPROTO ? "no common version" : "malformed message");
		return HV_E_FAIL;
	}
	if (!f->negotiated || fw.major != f->fw.major || fw.minor != f->fw.minor || srv.major != f->srv.major ||
	    srv.minor != f->srv.minor)
		hv_log_info("Negotiated framework %u.%u, file copy %u.%u", fw.major, fw.minor, srv.major, srv.minor);
	f->negotiated = true;
	f->fw = fw;
	f->srv = srv;
	(void)hv_daemon_status(f->daemon, "Connected to the host (uio, /dev/%s)", f->dev.uio);
	return HV_S_OK;
}

/* One packet in pkt: build the reply in place.  false: no reply. */
static bool handle_packet(struct fcopyd *f, const struct hv_ring_packet *pkt)
{
	struct hv_icmsg_hdr h;
	size_t len = pkt->payload_len;
	uint32_t status;

	if (pkt->type != HV_VMBUS_PKT_DATA_INBAND || len < HV_ICMSG_HDR_SIZE ||
	    hv_icmsg_parse(f->pkt, len, &h) < 0) {
		if (f->dropped++ == 0)
			hv_log_warning("Dropped a packet the file-copy channel cannot answer "
				       "(type %u, %zu bytes; logged once)",
				       pkt->type, len);
		return false;
	}
	switch (h.type) {
	case HV_ICMSG_TYPE_NEGOTIATE:
		status = handle_negotiate(f, len);
		break;
	case HV_ICMSG_TYPE_FCOPY:
		status = hv_fcopy_service_process_wire(f->service, f->pkt, len);
		hv_daemon_touch_status(f->daemon);
		break;
	default:
		if (f->other_type++ == 0)
			hv_log_warning("Message type %u on the file-copy channel, answered HV_E_FAIL (logged once)",
				       h.type);
		status = HV_E_FAIL;
		break;
	}
	(void)hv_icmsg_set_reply(f->pkt, len, status);
	f->reply_pending = true;
	f->reply_len = len;
	f->reply_trans_id = pkt->trans_id;
	return true;
}

/* Everything waiting on RX, answered in order.  < 0 only when fatal. */
static int drain(struct fcopyd *f)
{
	struct hv_ring_packet pkt;
	int r;

	for (unsigned n = 0; f->uio; n++) {
		if (f->reply_pending) {
			r = send_reply(f);
			if (r == -EAGAIN)
				return 0; /* the host's signal or the timer brings us back */
			if (r < 0)
				return uio_lost(f, r, "cannot send a reply");
		}
		if (n >= DRAIN_BUDGET) {
			r = sd_event_add_defer(hv_daemon_get_event(f->daemon), &f->drain_later, on_drain_later, f);
			return r < 0 ? hv_log_err_errno(r, "Failed to schedule draining: %m") : 0;
		}
		r = hv_uio_recv(f->uio, f->pkt, f->pkt_size, &pkt);
		if (r == -EAGAIN) {
			r = hv_uio_rearm(f->uio);
			if (r > 0)
				continue; /* arrived while masked */
			if (r < 0)
				return uio_lost(f, r, "cannot unmask the channel");
			return 0;
		}
		if (r == -EBADMSG || r == -ENOBUFS)
			return uio_lost(f, r, hv_ring_error(hv_uio_rx(f->uio))[0] ? hv_ring_error(hv_uio_rx(f->uio))
										 : "the receive ring is corrupt");
		if (r < 0)
			return uio_lost(f, r, "cannot receive");
		(void)handle_packet(f, &pkt);
	}
	return 0;
}

static int on_uio_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct fcopyd *f = userdata;
	int r;

	r = hv_uio_ack_event(f->uio);
	if (r == -EIO || r == -ENODEV)
		r = uio_lost(f, r, "the host rescinded the channel");
	else if (r < 0 && r != -EAGAIN)
		r = uio_lost(f, r, "cannot read the event counter");
	else
		r = drain(f);
	return r < 0 ? hv_daemon_exit(f->daemon, r) : 0;
}

static int start_uio(struct fcopyd *f)
{
	int r;

	r = hv_uio_open(hv_daemon_get_path(f->daemon), &f->dev, &f->uio);
	if (r == -ENOENT)
		return wait_for_device(f, WAITING_NO_DEVICE); /* the node or ring file is not there yet */
	if (r < 0)
		return hv_log_err_errno(r, "Failed to open the file-copy channel /dev/%s: %m", f->dev.uio);
	f->pkt_size = hv_uio_ring_size(f->uio);
	f->pkt = malloc(f->pkt_size);
	if (!f->pkt) {
		uio_close(f);
		return hv_log_err_errno(-ENOMEM, "Out of memory");
	}
	r = sd_event_add_io(hv_daemon_get_event(f->daemon), &f->uio_source, hv_uio_get_fd(f->uio), EPOLLIN,
			    on_uio_event, f);
	if (r < 0) {
		uio_close(f);
		return hv_log_err_errno(r, "Failed to watch /dev/%s: %m", f->dev.uio);
	}
	f->active = HV_FCOPY_TRANSPORT_UIO;
	f->waiting = WAITING_NONE;
	hv_log_info("Using the file-copy channel %s through /dev/%s (relid %" PRIu32 ", ring %zu bytes)",
		    f->dev.instance, f->dev.uio, f->dev.relid, f->pkt_size);
	(void)hv_daemon_status(f->daemon, "Channel open (uio, /dev/%s), waiting for the host", f->dev.uio);
	r = hv_daemon_ready(f->daemon);
	if (r < 0)
		return r;
	/* The host may have written before we looked. */
	return drain(f);
}

/* 0 found (f->dev), -ENOENT no device, -ENODEV not bound to uio. */
static int find_uio(struct fcopyd *f)
{
	const struct hv_vmbus_class *cls = hv_vmbus_class_by_name("HV_FCOPY");
	const struct hv_path *p = hv_daemon_get_path(f->daemon);
	struct hv_guid instance, class_guid;
	int r;

	if (!cls || hv_guid_from_string(HV_FCOPY_INSTANCE_GUID, &instance) < 0 ||
	    hv_guid_from_string(cls->guid, &class_guid) < 0)
		return -ENOTRECOVERABLE;
	r = hv_uio_find(p, &instance, NULL, &f->dev);
	if (r == -ENOENT)
		r = hv_uio_find(p, NULL, &class_guid, &f->dev);
	return r;
}

/* ---- choosing ---- */

static int try_attach(struct fcopyd *f)
{
	const struct hv_path *p = hv_daemon_get_path(f->daemon);
	int r;

	if (f->configured == HV_FCOPY_TRANSPORT_CHARDEV ||
	    (f->configured == HV_FCOPY_TRANSPORT_AUTO && hv_path_access(p, HV_DEVICE_FCOPY, F_OK) == 0))
		return start_chardev(f);

	memset(&f->dev, 0, sizeof(f->dev));
	r = find_uio(f);
	if (r == 0)
		return start_uio(f);
	if (r == -ENODEV)
		return wait_for_device(f, WAITING_NOT_BOUND);
	if (r == -ENOENT)
		return wait_for_device(f, WAITING_NO_DEVICE);
	return hv_log_err_errno(r, "Failed to look for the file-copy device: %m");
}

/* ---- the daemon ---- */

static int fcopyd_start(struct hv_daemon *d)
{
	const struct hv_fcopy_service_config *cfg = config_of(hv_daemon_get_config(d));
	struct hv_fcopy_service_options opts = {};
	int r;

	hv_daemon_set_userdata(d, &fcopyd);
	fcopyd.daemon = d;
	fcopyd.configured = cfg->transport;
	fcopyd.active = HV_FCOPY_TRANSPORT_AUTO;
	r = hv_fcopy_service_writer_options_from_config(cfg, hv_daemon_get_path(d), &opts.writer);
	if (r < 0)
		return r; /* logged */
	r = hv_fcopy_service_new(&opts, &fcopyd.service);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to set up the file-copy service: %m");
	for (size_t i = 0; cfg->roots && cfg->roots[i]; i++)
		hv_log_debug("Copies may land below %s", cfg->roots[i]);
	return try_attach(&fcopyd);
}

static void fcopyd_stop(struct hv_daemon *d)
{
	/* First the reader (it finishes the message in hand): then nothing
	 * else touches the service. */
	fcopyd.attached = hv_daemon_chardev_free(fcopyd.attached);
	if (fcopyd.service)
		hv_fcopy_service_cancel(fcopyd.service, "hv-fcopyd stops");
	fcopyd.retry = sd_event_source_disable_unref(fcopyd.retry);
	uio_close(&fcopyd);
	fcopyd.chardev = hv_chardev_free(fcopyd.chardev);
	fcopyd.service = hv_fcopy_service_free(fcopyd.service);
}

static int fcopyd_reload(struct hv_daemon *d, const struct hv_config *new_config)
{
	const struct hv_fcopy_service_config *cfg = config_of(new_config);
	struct hv_fcopy_writer_options o;
	int r;

	r = hv_fcopy_service_writer_options_from_config(cfg, hv_daemon_get_path(d), &o);
	if (r < 0)
		return r;
	/* The roots are opened and the strings copied here: nothing points
	 * into the configuration afterwards. */
	pthread_mutex_lock(&fcopyd.lock);
	r = hv_fcopy_service_reconfigure(fcopyd.service, &o);
	pthread_mutex_unlock(&fcopyd.lock);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to apply the [fcopy] roots: %m");
	if (cfg->transport != (int)fcopyd.configured)
		hv_log_notice("transport takes effect when hv-fcopyd restarts");
	return 0;
}

static json_object *copy_json(const struct hv_fcopy_copy_info *c, bool ended)
{
	json_object *o = json_object_new_object();
	const char *status = hv_status_to_string(c->status);

	if (!o)
		return NULL;
	if (json_object_object_add(o, "target", json_object_new_string(c->target)) < 0 ||
	    json_object_object_add(o, "file_size", json_object_new_int64((int64_t)c->file_size)) < 0 ||
	    json_object_object_add(o, "bytes", json_object_new_int64((int64_t)c->bytes)) < 0 ||
	    json_object_object_add(o, "fragments", json_object_new_int64((int64_t)c->fragments)) < 0 ||
	    json_object_object_add(o, "duration_ms", json_object_new_int64((int64_t)(c->duration_usec / 1000))) <
		    0 ||
	    (ended && json_object_object_add(o, "status", status ? json_object_new_string(status) : NULL) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* /run/hvutils/hv-fcopyd.json: transport, counters, the open and the last copy. */
static int fcopyd_status_extra(struct hv_daemon *d, json_object *extra)
{
	struct fcopyd *f = hv_daemon_get_userdata(d);
	struct hv_fcopy_service_stats st;
	struct hv_fcopy_copy_info c;
	json_object *current = NULL, *last = NULL;
	char version[32];
	char device[64] = "";

	int r = 0;

	if (!f || !f->service)
		return 0;
	pthread_mutex_lock(&f->lock);
	hv_fcopy_service_get_stats(f->service, &st);
	if (hv_fcopy_service_get_current(f->service, &c) == 0 && !(current = copy_json(&c, false)))
		r = -ENOMEM;
	if (r == 0 && hv_fcopy_service_get_last(f->service, &c) == 0 && !(last = copy_json(&c, true)))
		r = -ENOMEM;
	pthread_mutex_unlock(&f->lock);
	if (r < 0) {
		json_object_put(current);
		return r;
	}
	if (f->active == HV_FCOPY_TRANSPORT_CHARDEV)
		snprintf(device, sizeof(device), "%s", HV_DEVICE_FCOPY);
	else if (f->active == HV_FCOPY_TRANSPORT_UIO)
		snprintf(device, sizeof(device), "/dev/%s", f->dev.uio);
	snprintf(version, sizeof(version), "%u.%u/%u.%u", f->fw.major, f->fw.minor, f->srv.major, f->srv.minor);
	if (json_object_object_add(extra, "transport",
				   f->active != HV_FCOPY_TRANSPORT_AUTO
					   ? json_object_new_string(hv_fcopy_transport_to_string(f->active))
					   : NULL) < 0 ||
	    json_object_object_add(extra, "device", device[0] ? json_object_new_string(device) : NULL) < 0 ||
	    json_object_object_add(extra, "negotiated",
				   f->negotiated ? json_object_new_string(version) : NULL) < 0 ||
	    json_object_object_add(extra, "copies_ok", json_object_new_int64((int64_t)st.copies_ok)) < 0 ||
	    json_object_object_add(extra, "copies_failed", json_object_new_int64((int64_t)st.copies_failed)) < 0 ||
	    json_object_object_add(extra, "copies_cancelled", json_object_new_int64((int64_t)st.copies_cancelled)) <
		    0 ||
	    json_object_object_add(extra, "bytes", json_object_new_int64((int64_t)st.bytes)) < 0 ||
	    json_object_object_add(extra, "requests", json_object_new_int64((int64_t)st.requests)) < 0 ||
	    json_object_object_add(extra, "rejected", json_object_new_int64((int64_t)st.rejected)) < 0 ||
	    json_object_object_add(extra, "current", current) < 0) {
		json_object_put(current);
		json_object_put(last);
		return -ENOMEM;
	}
	if (json_object_object_add(extra, "last", last) < 0) {
		json_object_put(last);
		return -ENOMEM;
	}
	return 0;
}

static const struct hv_daemon_ops fcopyd_ops = {
	.name = "hv-fcopyd",
	.description = "Hyper-V file-copy (Guest services) daemon.",
	.sections = hv_fcopy_service_config_sections,
	.start = fcopyd_start,
	.stop = fcopyd_stop,
	.reload = fcopyd_reload,
	.status_file = true,
	.status_extra = fcopyd_status_extra,
};

int main(int argc, char **argv)
{
	return hv_daemon_main(argc, argv, &fcopyd_ops);
}
