/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The world's uio devices.  See uio-world.h.
 *
 * Each device keeps a list of FUSE sessions: the one mounted on its node
 * now (first) and those of rescinded incarnations that still serve files
 * left open (they only answer EIO) until their connection ends.
 *
 * The models' callbacks are routed here: channel open, close and the
 * guest's signal to the device's ring link, wakeups to every session of
 * the device.  While the world is torn down they are ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "fuse-uio.h"
#include "host-internal.h"
#include "host-ring.h"
#include "sysfs.h"
#include "uio-model.h"
#include "uio-world.h"
#include "util.h"

struct session {
	struct session *next;
	struct hvsim_fuse_uio *fuse;
};

struct uio_dev {
	struct hvsim_uio_world *uw;
	const struct hvsim_device *d;
	enum hvsim_cdev_kind kind; /* the service class, _HVSIM_CDEV_INVALID if none */
	unsigned minor;
	char name[16];             /* "uio0" */
	char node[PATH_MAX];       /* <root>/dev/uio0 */
	char ring_path[PATH_MAX];
	struct hvsim_uio *uio;
	struct hvsim_ring_link *link; /* NULL: no host engine for this device */
	struct session *sessions;
};

struct waiter {
	struct waiter *next;
	struct hvsim_control_conn *conn;
	enum hvsim_cdev_kind kind;
	uint64_t deadline;
};

struct hvsim_uio_world {
	const struct hvsim_world *w;
	struct hvsim_host *host;
	char *root; /* "" for the machine's, else the world's own root */
	int sysfd;
	struct uio_dev *devs;
	size_t n_devs;
	struct waiter *waiters;
	bool tearing_down;
};

/* ---- model callbacks ------------------------------------------------------------ */

static void on_channel_open(struct hvsim_uio *u, void *userdata)
{
	struct uio_dev *d = userdata;

	if (!d->uw->tearing_down && d->link)
		hvsim_ring_link_opened(d->link, hvsim_now_ms());
}

static void on_channel_close(struct hvsim_uio *u, bool rescinded, void *userdata)
{
	struct uio_dev *d = userdata;

	if (!d->uw->tearing_down && d->link)
		hvsim_ring_link_closed(d->link, rescinded, hvsim_now_ms());
}

static void on_host_signal(struct hvsim_uio *u, void *userdata)
{
	struct uio_dev *d = userdata;

	if (!d->uw->tearing_down && d->link)
		hvsim_ring_link_signal(d->link, hvsim_now_ms());
}

static void on_wakeup(struct hvsim_uio *u, void *userdata)
{
	struct uio_dev *d = userdata;

	if (d->uw->tearing_down)
		return;
	for (struct session *s = d->sessions; s; s = s->next)
		hvsim_fuse_uio_wakeup(s->fuse);
}

static const struct hvsim_uio_callbacks model_cb = {
	.channel_open = on_channel_open,
	.channel_close = on_channel_close,
	.host_signal = on_host_signal,
	.wakeup = on_wakeup,
};

/* ---- nodes ---------------------------------------------------------------------------- */

/* Create /dev/uioN and mount a new session on it. */
static int node_add(struct uio_dev *d)
{
	_cleanup_close_ int fd = -EBADF;
	struct session *s;
	int r;

	fd = open(d->node, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hv_log_err_errno(-errno, "creating %s: %m", d->node);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = hvsim_fuse_uio_new(d->node, d->uio, &s->fuse);
	if (r < 0) {
		free(s);
		(void)unlink(d->node);
		return hv_log_err_errno(r, "serving %s through FUSE failed", d->node);
	}
	s->next = d->sessions;
	d->sessions = s;
	return 0;
}

static void sessions_free(struct uio_dev *d)
{
	while (d->sessions) {
		struct session *s = d->sessions;

		d->sessions = s->next;
		hvsim_fuse_uio_free(s->fuse);
		free(s);
	}
}

static int dev_setup(struct hvsim_uio_world *uw, struct uio_dev *d, const struct hvsim_device *dev)
{
	struct hvsim_uio_config cfg = {};
	char rel[PATH_MAX - 8];
	int r;

	d->uw = uw;
	d->d = dev;
	d->kind = dev->cls ? dev->cls->cdev : _HVSIM_CDEV_INVALID;
	r = hvsim_sysfs_uio_minor(uw->w, dev);
	if (r < 0)
		return r;
	d->minor = (unsigned)r;
	snprintf(d->name, sizeof(d->name), "uio%u", d->minor);
	if (snprintf(d->node, sizeof(d->node), "%s/dev/%s", uw->root, d->name) >= (int)sizeof(d->node))
		return -ENAMETOOLONG;
	r = hvsim_sysfs_ring_path(dev, rel, sizeof(rel));
	if (r < 0)
		return r;
	if (snprintf(d->ring_path, sizeof(d->ring_path), "%s/sys/%s", uw->root, rel) >= (int)sizeof(d->ring_path))
		return -ENAMETOOLONG;
	cfg.name = dev->name;
	cfg.minor = d->minor;
	cfg.ring_path = d->ring_path;
	cfg.ring_size = hvsim_sysfs_uio_ring_size(dev);
	cfg.mask_on_interrupt = uw->w->kernel.uio_mask_on_interrupt;
	d->uio = hvsim_uio_new(&cfg, &model_cb, d);
	if (!d->uio)
		return -ENOMEM;
	/* One transport per service: a second device of the class (or one
	 * also bound to hv_utils) gets no host engine. */
	if (d->kind != _HVSIM_CDEV_INVALID && !hvsim_host_has_channel(uw->host, d->kind)) {
		d->link = hvsim_ring_link_new(uw->host, d->kind, d->uio, &uw->w->kernel);
		if (!d->link)
			return -ENOMEM;
	}
	return node_add(d);
}

int hvsim_uio_world_new(const struct hvsim_world *w, struct hvsim_host *host, const char *vmbus_dir,
			struct hvsim_uio_world **ret)
{
	struct hvsim_uio_world *uw;
	size_t n = 0, len;
	char sys[PATH_MAX];
	int r;

	/* The world's root is where /dev/vmbus is served, minus that. */
	len = strlen(vmbus_dir);
	if (len < strlen("/dev/vmbus") || strcmp(vmbus_dir + len - strlen("/dev/vmbus"), "/dev/vmbus") != 0)
		return hv_log_err_errno(-EINVAL, "%s does not end in /dev/vmbus", vmbus_dir);
	uw = calloc(1, sizeof(*uw));
	if (!uw)
		return -ENOMEM;
	uw->w = w;
	uw->host = host;
	uw->sysfd = -EBADF;
	uw->root = strndup(vmbus_dir, len - strlen("/dev/vmbus"));
	if (!uw->root) {
		free(uw);
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->n_devices; i++)
		if (hvsim_sysfs_uio_minor(w, w->devices[i]) >= 0)
			n++;
	if (n > 0) {
		snprintf(sys, sizeof(sys), "%s/sys", uw->root);
		uw->devs = calloc(n, sizeof(*uw->devs));
		uw->sysfd = open(sys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (!uw->devs || uw->sysfd < 0) {
			r = uw->devs ? -errno : -ENOMEM;
			hvsim_uio_world_free(uw);
			return r;
		}
	}
	for (size_t i = 0; i < w->n_devices; i++) {
		if (hvsim_sysfs_uio_minor(w, w->devices[i]) < 0)
			continue;
		r = dev_setup(uw, &uw->devs[uw->n_devs++], w->devices[i]);
		if (r < 0) {
			hvsim_uio_world_free(uw);
			return r;
		}
	}
	*ret = uw;
	return 0;
}

struct hvsim_uio_world *hvsim_uio_world_free(struct hvsim_uio_world *uw)
{
	if (!uw)
		return NULL;
	uw->tearing_down = true;
	while (uw->waiters) {
		struct waiter *wt = uw->waiters;

		uw->waiters = wt->next;
		hvsim_control_reply_error(wt->conn, "the world ended before the guest opened the channel");
		free(wt);
	}
	for (size_t i = 0; i < uw->n_devs; i++) {
		struct uio_dev *d = &uw->devs[i];

		sessions_free(d);
		hvsim_ring_link_free(d->link);
		hvsim_uio_free(d->uio);
	}
	free(uw->devs);
	hv_safe_close(uw->sysfd);
	free(uw->root);
	free(uw);
	return NULL;
}

/* ---- loop integration ------------------------------------------------------------------ */

size_t hvsim_uio_world_pollfds(struct hvsim_uio_world *uw, struct pollfd *pfds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; uw && i < uw->n_devs; i++)
		for (struct session *s = uw->devs[i].sessions; s && n < max; s = s->next)
			pfds[n++] = (struct pollfd){ .fd = hvsim_fuse_uio_fd(s->fuse), .events = POLLIN };
	return n;
}

void hvsim_uio_world_dispatch(struct hvsim_uio_world *uw, const struct pollfd *pfds, size_t n)
{
	for (size_t p = 0; uw && p < n; p++) {
		if (!(pfds[p].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		for (size_t i = 0; i < uw->n_devs; i++) {
			struct uio_dev *d = &uw->devs[i];

			for (struct session **pp = &d->sessions; *pp; pp = &(*pp)->next) {
				struct session *s = *pp;

				if (hvsim_fuse_uio_fd(s->fuse) != pfds[p].fd)
					continue;
				if (hvsim_fuse_uio_dispatch(s->fuse) == -ENODEV) {
					/* A rescinded incarnation's last file closed,
					 * or someone unmounted the node. */
					if (s == d->sessions && hvsim_uio_present(d->uio))
						hv_log_warning("%s was unmounted; the device is gone", d->node);
					*pp = s->next;
					hvsim_fuse_uio_free(s->fuse);
					free(s);
				}
				goto next;
			}
		}
next:;
	}
}

static bool registered(const struct hvsim_uio_world *uw, enum hvsim_cdev_kind k)
{
	return hvsim_host_negotiated(uw->host, k);
}

static void reply_wait(struct hvsim_control_conn *conn, enum hvsim_cdev_kind k, bool ok)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	hvsim_json_add_str(o, "device", hvsim_cdev_kind_to_string(k));
	if (!ok)
		hvsim_json_add_str(o, "error", "timeout: no daemon opened the channel and negotiated");
	hvsim_control_reply(conn, o);
}

void hvsim_uio_world_tick(struct hvsim_uio_world *uw, uint64_t now)
{
	if (!uw)
		return;
	for (size_t i = 0; i < uw->n_devs; i++)
		if (uw->devs[i].link)
			hvsim_ring_link_tick(uw->devs[i].link, now);
	for (struct waiter **pp = &uw->waiters; *pp;) {
		struct waiter *wt = *pp;
		bool ok = registered(uw, wt->kind);

		if (ok || now >= wt->deadline) {
			*pp = wt->next;
			reply_wait(wt->conn, wt->kind, ok);
			free(wt);
		} else {
			pp = &wt->next;
		}
	}
}

uint64_t hvsim_uio_world_next_deadline(const struct hvsim_uio_world *uw)
{
	uint64_t d = UINT64_MAX;

	if (!uw)
		return d;
	for (size_t i = 0; i < uw->n_devs; i++)
		if (uw->devs[i].link && hvsim_ring_link_next_deadline(uw->devs[i].link) < d)
			d = hvsim_ring_link_next_deadline(uw->devs[i].link);
	/* Waiters are also checked on every turn of the loop (after the
	 * host handled the answers). */
	for (const struct waiter *wt = uw->waiters; wt; wt = wt->next)
		if (wt->deadline < d)
			d = wt->deadline;
	return d;
}

/* ---- control requests ------------------------------------------------------------------- */

/* The node as the guest sees it. */
static void add_node(json_object *o, const struct uio_dev *d)
{
	char node[32];

	snprintf(node, sizeof(node), "/dev/%s", d->name);
	hvsim_json_add_str(o, "node", node);
}

/* A device by world name, service name ("fcopy") or node name ("uio0"). */
static struct uio_dev *find_dev(struct hvsim_uio_world *uw, const char *name)
{
	for (size_t i = 0; i < uw->n_devs; i++)
		if (strcmp(uw->devs[i].d->name, name) == 0)
			return &uw->devs[i];
	for (size_t i = 0; i < uw->n_devs; i++) {
		struct uio_dev *d = &uw->devs[i];

		if ((d->kind != _HVSIM_CDEV_INVALID && strcmp(hvsim_cdev_kind_to_string(d->kind), name) == 0) ||
		    strcmp(d->name, name) == 0)
			return d;
	}
	return NULL;
}

static int do_rescind(struct uio_dev *d)
{
	int r;

	r = hvsim_uio_rescind(d->uio);
	if (r < 0)
		return r;
	if (d->sessions) {
		r = hvsim_fuse_uio_detach(d->sessions->fuse);
		if (r < 0)
			hv_log_warning("removing %s: %s", d->node, hv_strerror(r));
	}
	r = hvsim_sysfs_remove_device(d->uw->sysfd, d->uw->w, d->d);
	if (r < 0)
		hv_log_warning("removing the sysfs directory of %s: %s", d->d->name, hv_strerror(r));
	return 0;
}

static int do_offer(struct uio_dev *d)
{
	int r;

	if (hvsim_uio_present(d->uio))
		return -EALREADY;
	r = hvsim_sysfs_add_device(d->uw->sysfd, d->uw->w, d->d);
	if (r < 0)
		return hv_log_err_errno(r, "rebuilding the sysfs directory of %s: %m", d->d->name);
	r = hvsim_uio_offer(d->uio);
	if (r < 0)
		return r;
	return node_add(d);
}

bool hvsim_uio_world_request(struct hvsim_uio_world *uw, struct hvsim_control_conn *conn, const char *cmd,
			     json_object *req)
{
	bool rescind = strcmp(cmd, "rescind") == 0;
	const char *name;
	struct uio_dev *d;
	json_object *o;
	int r;

	if (!uw || (!rescind && strcmp(cmd, "offer") != 0))
		return false;
	name = hvsim_req_str(req, "device");
	if (!name) {
		hvsim_control_reply_error(conn, "%s: missing device", cmd);
		return true;
	}
	d = find_dev(uw, name);
	if (!d) {
		hvsim_control_reply_error(conn, "%s: '%s' is no device of this world bound to uio_hv_generic", cmd,
					  name);
		return true;
	}
	r = rescind ? do_rescind(d) : do_offer(d);
	if (r == -EALREADY) {
		hvsim_control_reply_error(conn, "%s: device '%s' is %s already", cmd, d->d->name,
					  rescind ? "rescinded" : "offered");
		return true;
	}
	if (r < 0) {
		hvsim_control_reply_error(conn, "%s of '%s' failed: %s", cmd, d->d->name, hv_strerror(r));
		return true;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	hvsim_json_add_str(o, "device", d->d->name);
	add_node(o, d);
	json_object_object_add(o, "present", json_object_new_boolean(hvsim_uio_present(d->uio)));
	hvsim_control_reply(conn, o);
	return true;
}

bool hvsim_uio_world_wait(struct hvsim_uio_world *uw, struct hvsim_control_conn *conn, enum hvsim_cdev_kind k,
			  int64_t timeout_ms)
{
	struct waiter *wt;
	bool served = false;

	for (size_t i = 0; uw && i < uw->n_devs; i++)
		if (uw->devs[i].link && uw->devs[i].kind == k)
			served = true;
	if (!served)
		return false;
	if (registered(uw, k)) {
		reply_wait(conn, k, true);
		return true;
	}
	wt = calloc(1, sizeof(*wt));
	if (!wt) {
		hvsim_control_reply_error(conn, "out of memory");
		return true;
	}
	wt->conn = conn;
	wt->kind = k;
	wt->deadline = timeout_ms > 0 ? hvsim_now_ms() + (uint64_t)timeout_ms : UINT64_MAX;
	wt->next = uw->waiters;
	uw->waiters = wt;
	return true;
}

void hvsim_uio_world_forget(struct hvsim_uio_world *uw, struct hvsim_control_conn *conn)
{
	if (!uw)
		return;
	for (struct waiter **pp = &uw->waiters; *pp;) {
		struct waiter *wt = *pp;

		if (wt->conn == conn) {
			*pp = wt->next;
			free(wt);
		} else {
			pp = &wt->next;
		}
	}
}

/* ---- status ------------------------------------------------------------------------------------ */

static json_object *dev_status(struct hvsim_uio_world *uw, struct uio_dev *d)
{
	const struct hvsim_uio_stats *st = hvsim_uio_stats(d->uio);
	json_object *o = json_object_new_object();
	unsigned waiting = 0;

	hvsim_json_add_str(o, "device", d->d->name);
	if (d->kind != _HVSIM_CDEV_INVALID)
		hvsim_json_add_str(o, "service", hvsim_cdev_kind_to_string(d->kind));
	add_node(o, d);
	hvsim_json_add_int(o, "relid", d->d->channels[0].relid);
	hvsim_json_add_int(o, "ring_size", (int64_t)hvsim_uio_ring_size(d->uio));
	json_object_object_add(o, "present", json_object_new_boolean(hvsim_uio_present(d->uio)));
	json_object_object_add(o, "open", json_object_new_boolean(hvsim_uio_channel_open(d->uio)));
	hvsim_json_add_int(o, "open_files", hvsim_uio_open_count(d->uio));
	hvsim_json_add_int(o, "event_count", hvsim_uio_event_count(d->uio));
	hvsim_json_add_int(o, "rx_interrupt_mask", hvsim_uio_rx_mask(d->uio));
	for (struct session *s = d->sessions; s; s = s->next)
		waiting += hvsim_fuse_uio_waiting_readers(s->fuse);
	hvsim_json_add_int(o, "blocked_reads", waiting);
	hvsim_json_add_int(o, "opens", (int64_t)st->opens);
	hvsim_json_add_int(o, "releases", (int64_t)st->releases);
	hvsim_json_add_int(o, "channel_opens", (int64_t)st->channel_opens);
	hvsim_json_add_int(o, "channel_closes", (int64_t)st->channel_closes);
	hvsim_json_add_int(o, "event_reads", (int64_t)st->event_reads);
	hvsim_json_add_int(o, "bad_reads", (int64_t)st->bad_reads);
	hvsim_json_add_int(o, "unmasks", (int64_t)st->unmasks);
	hvsim_json_add_int(o, "masks", (int64_t)st->masks);
	hvsim_json_add_int(o, "bad_writes", (int64_t)st->bad_writes);
	hvsim_json_add_int(o, "interrupts", (int64_t)st->interrupts);
	hvsim_json_add_int(o, "eio", (int64_t)st->eio);
	hvsim_json_add_int(o, "rescinds", (int64_t)st->rescinds);
	hvsim_json_add_int(o, "offers", (int64_t)st->offers);
	if (d->link) {
		hvsim_ring_link_describe(d->link, o);
		hvsim_host_describe(uw->host, d->kind, o);
	}
	return o;
}

json_object *hvsim_uio_world_status(struct hvsim_uio_world *uw)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; uw && i < uw->n_devs; i++)
		json_object_array_add(a, dev_status(uw, &uw->devs[i]));
	return a;
}
