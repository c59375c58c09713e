/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv-vssd: the VSS (backup freeze) daemon.  Thin on purpose (STYLE.md rule
 * 2): the skeleton (daemons/common/daemon.h) runs options, config, the loop
 * and signals; daemon-chardev.h opens /dev/vmbus/hv_vss, registers
 * (REGISTER1, PROTOCOL.md §6.3) and sends READY=1 once registered; every
 * message goes to the freezer (lib/hvutil/services/vss-freezer.h), whose
 * answers come back through a callback and are written whole.
 *
 * Before the device is opened, a thaw pass over the freeze plan repairs
 * what a run that died before its guardian existed may have left frozen.
 * SIGTERM while frozen: the loop ends, ops->stop thaws (and runs the thaw
 * hooks) before the device is closed.
 *
 * Nothing here writes while frozen: the freezer buffers the log, and the
 * status file goes to /run/hvutils (tmpfs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/macros.h"
#include "daemons/common/daemon-chardev.h"
#include "daemons/common/daemon.h"
#include "services/vss-freezer.h"

struct vssd {
	struct hv_daemon *daemon;
	struct hv_vss_freezer *freezer;
	struct hv_chardev *chardev;
	struct hv_daemon_chardev *attached;
	sd_event_source *status_source; /* a status file write due */
};

static struct vssd vssd;

static const struct hv_vss_freezer_config *config_of(const struct hv_config *c)
{
	return hv_config_get(c, &hv_vss_freezer_config_sections[0]);
}

static void on_reply(struct hv_vss_freezer *f, const uint8_t *msg, size_t size, void *userdata)
{
	struct vssd *v = userdata;
	int r;

	(void)f;
	if (!v->chardev || hv_chardev_get_fd(v->chardev) < 0)
		return;
	r = hv_chardev_write(v->chardev, msg, size);
	if (r == -ECONNRESET)
		/* Reopened and registered again; the kernel failed the request
		 * and on_reset() told the freezer. */
		hv_log_warning("The VSS device was reset, an answer was lost");
	else if (r < 0) {
		hv_log_err_errno(r, "Failed to answer the kernel: %m");
		(void)hv_daemon_exit(v->daemon, r);
	}
}

static int vssd_status_extra(struct hv_daemon *d, json_object *extra);

/* hvctl vss status and last must see a freeze or thaw at once, not after
 * the skeleton's batching second; the file is in /run (tmpfs, never
 * frozen), so writing it while frozen is safe. */
static void write_status_now(struct hv_daemon *d)
{
	json_object *extra = json_object_new_object();

	vssd.status_source = sd_event_source_disable_unref(vssd.status_source);
	if (extra && vssd_status_extra(d, extra) == 0)
		(void)hv_daemon_write_status_file(d, extra);
	json_object_put(extra);
}

static int on_status_due(sd_event_source *s, void *userdata)
{
	struct vssd *v = userdata;

	(void)s;
	write_status_now(v->daemon);
	return 0;
}

/* "At once" is right after the answer: the write (the whole timeline
 * serialised, fsync, rename) goes from an idle-priority defer source, which
 * the loop dispatches after the answer's, and changes in one pass make one
 * write. */
static void write_status_soon(struct vssd *v)
{
	sd_event *e = hv_daemon_get_event(v->daemon);
	int r;

	if (v->status_source)
		return;
	r = e ? sd_event_add_defer(e, &v->status_source, on_status_due, v) : -ESTALE;
	if (r >= 0)
		r = sd_event_source_set_priority(v->status_source, SD_EVENT_PRIORITY_IDLE);
	if (r < 0)
		write_status_now(v->daemon);
}

static void on_changed(struct hv_vss_freezer *f, void *userdata)
{
	struct vssd *v = userdata;
	enum hv_vss_freezer_state s = hv_vss_freezer_get_state(f);

	if (!hv_daemon_is_ready(v->daemon))
		return;
	if (s == HV_VSS_FREEZER_FROZEN)
		(void)hv_daemon_status(v->daemon, "Frozen (%zu file systems)", hv_vss_freezer_get_n_frozen(f));
	else
		(void)hv_daemon_status(v->daemon, "%s", s == HV_VSS_FREEZER_IDLE ? "Idle" :
						       s == HV_VSS_FREEZER_FREEZING ? "Freezing" : "Thawing");
	write_status_soon(v);
}

static int on_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	struct vssd *v = userdata;

	(void)c;
	/* A malformed message is answered (failure) and logged by the freezer. */
	(void)hv_vss_freezer_process(v->freezer, msg, size);
	return 0;
}

static void on_reset(struct hv_chardev *c, void *userdata)
{
	struct vssd *v = userdata;

	(void)c;
	hv_vss_freezer_reset(v->freezer);
}

static const struct hv_chardev_callbacks callbacks = {
	.on_message = on_message,
	.on_reset = on_reset,
};

static int vssd_start(struct hv_daemon *d)
{
	struct hv_vss_freezer_options opts = {
		.event = hv_daemon_get_event(d),
		.path = hv_daemon_get_path(d),
		.config = config_of(hv_daemon_get_config(d)),
		.reply = on_reply,
		.changed = on_changed,
		.userdata = &vssd,
	};
	int r;

	hv_daemon_set_userdata(d, &vssd);
	vssd.daemon = d;
	r = hv_vss_freezer_new(&opts, &vssd.freezer);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to set up the freezer: %m");
	/* Whatever an earlier run left frozen, before anything else. */
	(void)hv_vss_freezer_thaw_leftovers(vssd.freezer);

	r = hv_daemon_chardev_new_vss(hv_daemon_get_path(d), &vssd.chardev);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to set up the VSS device: %m");
	hv_chardev_set_callbacks(vssd.chardev, &callbacks, &vssd);
	/* READY=1 is sent by the helper once registered with the kernel. */
	return hv_daemon_chardev_start(d, vssd.chardev, 0, &vssd.attached);
}

static void vssd_stop(struct hv_daemon *d)
{
	/* Thaw (and run the thaw hooks) while the device is still ours. */
	if (vssd.freezer) {
		hv_vss_freezer_shutdown(vssd.freezer);
		/* The skeleton wrote its last status before this: say idle. */
		write_status_now(d);
	}
	vssd.status_source = sd_event_source_disable_unref(vssd.status_source);
	vssd.attached = hv_daemon_chardev_free(vssd.attached);
	vssd.chardev = hv_chardev_free(vssd.chardev);
	vssd.freezer = hv_vss_freezer_free(vssd.freezer);
}

static int vssd_reload(struct hv_daemon *d, const struct hv_config *new_config)
{
	(void)d;
	/* Applies from the next request on; a freeze in place keeps its timer. */
	return hv_vss_freezer_set_config(vssd.freezer, config_of(new_config));
}

/* /run/hvutils/hv-vssd.json: {"vss": {state, since, request, frozen, last}}. */
static int vssd_status_extra(struct hv_daemon *d, json_object *extra)
{
	struct vssd *v = hv_daemon_get_userdata(d);
	json_object *o = NULL;
	int r;

	if (!v || !v->freezer)
		return 0;
	r = hv_vss_freezer_to_json(v->freezer, &o);
	if (r < 0)
		return r;
	if (json_object_object_add(extra, "vss", o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

static const struct hv_daemon_ops vssd_ops = {
	.name = "hv-vssd",
	.description = "Hyper-V VSS (backup freeze) daemon.",
	.sections = hv_vss_freezer_config_sections,
	.start = vssd_start,
	.stop = vssd_stop,
	.reload = vssd_reload,
	.status_file = true,
	.status_extra = vssd_status_extra,
};

int main(int argc, char **argv)
{
	return hv_daemon_main(argc, argv, &vssd_ops);
}
