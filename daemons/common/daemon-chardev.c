/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Char-device descriptors from proto/ and the chardev <-> sd-event glue (see
 * daemon-chardev.h).  This is where transport/ and proto/ meet, one layer
 * above both.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "daemons/common/daemon-chardev.h"
#include "platform/sd.h"
#include "proto/fcopy.h"
#include "proto/kvp.h"
#include "proto/vss.h"
#include "proto/wire.h"

/* ---- descriptors ---- */

static int check_kvp_reply(const void *reply, size_t size, void *userdata)
{
	char version[HV_KVP_REGISTER_VERSION_SIZE];
	uint8_t op = 0;
	int r;

	r = hv_kvp_msg_decode_register(reply, size, &op, version, sizeof(version));
	if (r < 0 || op != HV_KVP_OP_REGISTER1)
		return -EPROTO;
	memcpy(userdata, version, sizeof(version));
	return 0;
}

int hv_daemon_chardev_new_kvp(const struct hv_path *p, char version[HV_KVP_REGISTER_VERSION_SIZE],
			      struct hv_chardev **ret)
{
	uint8_t request[HV_KVP_MSG_SIZE];
	struct hv_chardev_desc desc;
	int r;

	if (!version)
		return -EINVAL;
	r = hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, request, sizeof(request));
	if (r < 0)
		return r;
	desc = (struct hv_chardev_desc){
		.name = "kvp",
		.device = HV_DEVICE_KVP,
		.min_msg_size = HV_KVP_MSG_SIZE,
		.max_msg_size = HV_KVP_MSG_SIZE,
		.handshake = {
			.request = request,
			.request_size = HV_KVP_MSG_SIZE,
			.reply_size = HV_KVP_MSG_SIZE,
			.check_reply = check_kvp_reply,
			.userdata = version,
		},
	};
	return hv_chardev_new(&desc, p, ret);
}

/* VSS and fcopy answer with a bare 4-byte value (userdata: the value expected). */
static int check_u32_reply(const void *reply, size_t size, void *userdata)
{
	if (size != 4 || hv_get_le32(reply) != (uint32_t)(uintptr_t)userdata)
		return -EPROTO;
	return 0;
}

int hv_daemon_chardev_new_vss(const struct hv_path *p, struct hv_chardev **ret)
{
	uint8_t request[HV_VSS_MSG_SIZE];
	struct hv_chardev_desc desc;
	int r;

	r = hv_vss_msg_encode_request(HV_VSS_OP_REGISTER1, 0, request, sizeof(request));
	if (r < 0)
		return r;
	desc = (struct hv_chardev_desc){
		.name = "vss",
		.device = HV_DEVICE_VSS,
		.min_msg_size = HV_VSS_MSG_SIZE,
		.max_msg_size = HV_VSS_MSG_SIZE,
		.handshake = {
			.request = request,
			.request_size = HV_VSS_MSG_SIZE,
			.reply_size = HV_VSS_HANDSHAKE_REPLY_SIZE,
			.check_reply = check_u32_reply,
			.userdata = (void *)(uintptr_t)HV_VSS_OP_REGISTER1,
		},
	};
	return hv_chardev_new(&desc, p, ret);
}

int hv_daemon_chardev_new_fcopy(const struct hv_path *p, struct hv_chardev **ret)
{
	uint8_t request[HV_FCOPY_HANDSHAKE_SIZE];
	struct hv_chardev_desc desc;
	int r;

	r = hv_fcopy_daemon_encode_handshake(HV_FCOPY_CURRENT_VERSION, request, sizeof(request));
	if (r < 0)
		return r;
	desc = (struct hv_chardev_desc){
		.name = "fcopy",
		.device = HV_DEVICE_FCOPY,
		/* START 1088, WRITE 6196, COMPLETE/CANCEL as long as the host's packet. */
		.min_msg_size = 4,
		.max_msg_size = HV_FCOPY_DO_SIZE,
		.handshake = {
			.request = request,
			.request_size = HV_FCOPY_HANDSHAKE_SIZE,
			.reply_size = 4,
			.check_reply = check_u32_reply,
			.userdata = (void *)(uintptr_t)HV_FCOPY_CURRENT_VERSION,
		},
	};
	return hv_chardev_new(&desc, p, ret);
}

/* ---- on the loop ---- */

struct hv_daemon_chardev {
	struct hv_daemon *daemon;
	struct hv_chardev *chardev;
	struct hv_sd_io *io;
	sd_event_source *retry;
	uint64_t retry_usec;
	bool waiting_logged;
};

static int io_get_fd(void *object)
{
	return hv_chardev_get_fd(((struct hv_daemon_chardev *)object)->chardev);
}

static uint32_t io_get_events(void *object)
{
	return hv_chardev_get_events(((struct hv_daemon_chardev *)object)->chardev);
}

static uint64_t io_get_generation(void *object)
{
	return hv_chardev_get_generation(((struct hv_daemon_chardev *)object)->chardev);
}

static int arm_retry(struct hv_daemon_chardev *dc);

/* Open; 0 and attached when registered, 0 and waiting on ENOENT, < 0 fatal (logged). */
static int try_open(struct hv_daemon_chardev *dc)
{
	const char *device_error;
	int r;

	r = hv_chardev_open(dc->chardev);
	if (r == -ENOENT) {
		if (!dc->waiting_logged) {
			hv_log_notice("%s, waiting for it", hv_chardev_get_error(dc->chardev));
			dc->waiting_logged = true;
		}
		(void)hv_daemon_status(dc->daemon, "Waiting for the %s device",
				       hv_chardev_get_name(dc->chardev));
		return arm_retry(dc);
	}
	if (r < 0) {
		device_error = hv_chardev_get_error(dc->chardev);
		if (device_error)
			return hv_log_err_errno(r, "%s", device_error);
		return hv_log_err_errno(r, "Failed to open the %s device: %m", hv_chardev_get_name(dc->chardev));
	}
	dc->waiting_logged = false;
	if (dc->io) {
		r = hv_sd_io_refresh(dc->io);
		if (r < 0)
			return hv_log_err_errno(r, "Failed to watch the %s device: %m",
						hv_chardev_get_name(dc->chardev));
	}
	(void)hv_daemon_status(dc->daemon, "Registered with the kernel (%s)", hv_chardev_get_name(dc->chardev));
	return hv_daemon_ready(dc->daemon);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hv_daemon_chardev *dc = userdata;
	int r;

	dc->retry = sd_event_source_disable_unref(dc->retry);
	r = try_open(dc);
	if (r < 0)
		return hv_daemon_exit(dc->daemon, r);
	return 0;
}

static int arm_retry(struct hv_daemon_chardev *dc)
{
	sd_event *e = hv_daemon_get_event(dc->daemon);
	uint64_t now;
	int r;

	if (dc->retry)
		return 0;
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &dc->retry, CLOCK_MONOTONIC, now + dc->retry_usec, 0, on_retry, dc);
	if (r < 0)
		return hv_log_err_errno(r, "Failed to arm the retry timer: %m");
	return 0;
}

static int io_dispatch(void *object, uint32_t revents)
{
	struct hv_daemon_chardev *dc = object;
	int r;

	r = hv_chardev_dispatch(dc->chardev);
	if (r >= 0)
		return 0;
	if (hv_chardev_get_fd(dc->chardev) >= 0)
		return r; /* the service failed; it logged why */
	/* The device failed and could not be reopened. */
	if (r == -ENOENT) {
		hv_log_notice("Lost the %s device after a reset", hv_chardev_get_name(dc->chardev));
		r = try_open(dc);
		return r < 0 ? r : 0;
	}
	return hv_log_err_errno(r, "%s", hv_chardev_get_error(dc->chardev) ?: "Lost the device");
}

static const struct hv_sd_io_ops chardev_io_ops = {
	.get_fd = io_get_fd,
	.get_events = io_get_events,
	.get_generation = io_get_generation,
	.dispatch = io_dispatch,
};

struct hv_daemon_chardev *hv_daemon_chardev_free(struct hv_daemon_chardev *dc)
{
	if (!dc)
		return NULL;
	sd_event_source_disable_unref(dc->retry);
	hv_sd_io_free(dc->io);
	free(dc);
	return NULL;
}

int hv_daemon_chardev_start(struct hv_daemon *d, struct hv_chardev *c, uint64_t retry_usec,
			    struct hv_daemon_chardev **ret)
{
	struct hv_daemon_chardev *dc;
	int r;

	if (!d || !c || !ret)
		return -EINVAL;
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return -ENOMEM;
	dc->daemon = d;
	dc->chardev = c;
	dc->retry_usec = retry_usec > 0 ? retry_usec : 1000000;
	r = hv_sd_io_attach(hv_daemon_get_event(d), &chardev_io_ops, dc, &dc->io);
	if (r >= 0)
		r = try_open(dc);
	if (r < 0) {
		hv_daemon_chardev_free(dc);
		return r;
	}
	*ret = dc;
	return 0;
}
