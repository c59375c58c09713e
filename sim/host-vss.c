/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of VSS (PROTOCOL.md §6).  FREEZE packets carry LUN data
 * after the 12-byte message on real hosts, so they are sent 6260 bytes
 * long by default (the uapi's largest FREEZE).
 *
 * Single operations are one request, one answer, reported with the time
 * from sending the packet to handling the answer ("elapsed_us").
 *
 * "backup" plays a whole backup as Hyper-V does: HOT_BACKUP (is the guest
 * able to?), FREEZE, a hold while the host takes its snapshot (hold_ms,
 * or until hold_until_file exists, bounded by hold_ms), THAW and
 * BU_COMPLETE.  It stops at the first failure, but once a FREEZE went out
 * a THAW always follows, whatever the FREEZE's answer, and even when the
 * client that asked for the backup has gone away (must_finish).
 *
 * Whether a FREEZE may be sent at all is decided before the request gets
 * here (run.c asks vss-world.c): only into a world with a root of its own
 * whose mount table holds no file system of the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "host-internal.h"
#include "proto/hv-status.h"
#include "proto/vss.h"
#include "util.h"

#define VSS_FREEZE_PACKET 6260
#define VSS_MAX_PACKET 8192 /* the kernel's VSS receive buffer */
#define HOLD_FILE_DEFAULT_MS 30000
#define HOLD_MAX_MS (3600 * 1000)
#define HOLD_POLL_MS 10

enum backup_step {
	STEP_HOT_BACKUP,
	STEP_FREEZE,
	STEP_HOLD,
	STEP_THAW,
	STEP_BU_COMPLETE,
};

struct hvsim_vss_backup {
	enum backup_step step;
	uint64_t hold_ms;
	char *hold_file;
	uint64_t start_ns, freeze_sent_ns, hold_start_ns, hold_until;
	bool freeze_sent, failed;
	uint32_t status; /* the first failure's, else HV_S_OK */
	int64_t frozen_us; /* FREEZE sent to THAW answered, -1 until then */
	json_object *steps;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hvsim_host_vss_backup_free(struct hvsim_vss_backup *b)
{
	if (!b)
		return;
	free(b->hold_file);
	if (b->steps)
		json_object_put(b->steps);
	free(b);
}

static int backup_parse(struct hvsim_host_job *j, json_object *req, char **ret_error)
{
	struct hvsim_vss_backup *b;
	const char *file = hvsim_req_str(req, "hold_until_file");
	int64_t v = -1;

	if (hvsim_req_int(req, "hold_ms", &v) && (v < 0 || v > HOLD_MAX_MS))
		return hvsim_req_fail(ret_error, "vss backup: hold_ms must be 0-%d", HOLD_MAX_MS);
	if (file && file[0] != '/')
		return hvsim_req_fail(ret_error, "vss backup: hold_until_file must be an absolute path");
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	j->vss.backup = b;
	b->hold_ms = v >= 0 ? (uint64_t)v : file ? HOLD_FILE_DEFAULT_MS : 0;
	if (file) {
		b->hold_file = strdup(file);
		if (!b->hold_file)
			return -ENOMEM;
	}
	b->steps = json_object_new_array();
	b->frozen_us = -1;
	b->status = HV_S_OK;
	/* No deadline for the whole: each step is bounded by the kernel's
	 * own timeouts (FREEZE 900 s, others 30 s), and the THAW must go out. */
	j->deadline = UINT64_MAX;
	j->must_finish = true;
	j->vss.op = HV_VSS_OP_HOT_BACKUP;
	return 0;
}

static int vss_parse(struct hvsim_host_job *j, json_object *req, int *fd, char **ret_error)
{
	const char *op = hvsim_req_str(req, "op");
	int64_t v;

	if (!op)
		return hvsim_req_fail(ret_error, "vss: missing op");
	if (strcmp(op, "backup") == 0)
		return backup_parse(j, req, ret_error);
	if (hv_vss_op_from_string(op) >= 0)
		j->vss.op = (uint8_t)hv_vss_op_from_string(op);
	else if (strcmp(op, "raw") == 0 && hvsim_req_int(req, "code", &v) && v >= 0 && v <= 255)
		j->vss.op = (uint8_t)v;
	else
		return hvsim_req_fail(ret_error, "vss: unknown op '%s'", op);
	j->vss.size = j->vss.op == HV_VSS_OP_FREEZE ? VSS_FREEZE_PACKET - HV_ICMSG_HDR_SIZE : HV_VSS_MSG_SIZE;
	if (hvsim_req_int(req, "size", &v)) {
		if (v < HV_VSS_MSG_SIZE || v > VSS_MAX_PACKET - HV_ICMSG_HDR_SIZE)
			return hvsim_req_fail(ret_error, "vss: size must be %d-%d", HV_VSS_MSG_SIZE,
					      VSS_MAX_PACKET - HV_ICMSG_HDR_SIZE);
		j->vss.size = (size_t)v;
	}
	return 0;
}

static int send_op(struct hvsim_host *h, struct hvsim_host_job *j, uint8_t op, size_t size, uint64_t now)
{
	uint8_t buf[VSS_MAX_PACKET];
	struct hv_icmsg_hdr hdr;
	int n;

	j->vss.op = op;
	hvsim_host_header(h, j, HV_ICMSG_TYPE_VSS, &hdr);
	n = hv_vss_wire_encode_request(&hdr, op, 0, size, buf, sizeof(buf));
	if (n < 0)
		return n;
	j->vss.sent_ns = now_ns();
	return hvsim_host_send(h, j, buf, (size_t)n, now);
}

static size_t default_size(uint8_t op)
{
	return op == HV_VSS_OP_FREEZE ? VSS_FREEZE_PACKET - HV_ICMSG_HDR_SIZE : HV_VSS_MSG_SIZE;
}

/* {op, code, status, status_code, flags, elapsed_us} of an answer. */
static json_object *answer_new(const struct hvsim_host_job *j, const struct hv_vss_wire_reply *rep, uint64_t elapsed_ns)
{
	const char *name = hv_vss_op_to_string((enum hv_vss_op)j->vss.op);
	json_object *o = json_object_new_object();

	hvsim_json_add_str(o, "op", name ? name : "raw");
	hvsim_json_add_int(o, "code", j->vss.op);
	hvsim_json_add_status(o, rep->status);
	hvsim_json_add_int(o, "flags", rep->flags);
	hvsim_json_add_int(o, "elapsed_us", (int64_t)(elapsed_ns / 1000));
	return o;
}

/* ---- a whole backup ----------------------------------------------------------------- */

static void backup_finish(struct hvsim_host *h, struct hvsim_host_job *j)
{
	struct hvsim_vss_backup *b = j->vss.backup;
	json_object *o = hvsim_host_result_new(j);

	hvsim_json_add_str(o, "op", "backup");
	hvsim_json_add_status(o, b->status);
	hvsim_json_add_int(o, "elapsed_us", (int64_t)((now_ns() - b->start_ns) / 1000));
	if (b->frozen_us >= 0)
		hvsim_json_add_int(o, "frozen_us", b->frozen_us);
	json_object_object_add(o, "steps", b->steps);
	b->steps = NULL;
	hvsim_host_finish(h, j, o);
}

static void backup_note_failure(struct hvsim_vss_backup *b, uint32_t status)
{
	if (!b->failed) {
		b->failed = true;
		b->status = status;
	}
}

/* Send the step's packet; a packet that cannot go out fails the step. */
static void backup_send(struct hvsim_host *h, struct hvsim_host_job *j, enum backup_step step, uint64_t now);

static void backup_step_failed(struct hvsim_host *h, struct hvsim_host_job *j, const char *error, uint64_t now)
{
	struct hvsim_vss_backup *b = j->vss.backup;
	const char *name = hv_vss_op_to_string((enum hv_vss_op)j->vss.op);
	json_object *o = json_object_new_object();

	hvsim_json_add_str(o, "op", name ? name : "raw");
	hvsim_json_add_int(o, "code", j->vss.op);
	hvsim_json_add_str(o, "error", error);
	json_object_array_add(b->steps, o);
	backup_note_failure(b, HV_E_FAIL);
	if (b->step == STEP_FREEZE && b->freeze_sent)
		backup_send(h, j, STEP_THAW, now);
	else
		backup_finish(h, j);
}

static void backup_send(struct hvsim_host *h, struct hvsim_host_job *j, enum backup_step step, uint64_t now)
{
	static const uint8_t ops[] = {
		[STEP_HOT_BACKUP] = HV_VSS_OP_HOT_BACKUP,
		[STEP_FREEZE] = HV_VSS_OP_FREEZE,
		[STEP_HOLD] = 0,
		[STEP_THAW] = HV_VSS_OP_THAW,
		[STEP_BU_COMPLETE] = HV_VSS_OP_BU_COMPLETE,
	};
	struct hvsim_vss_backup *b = j->vss.backup;
	int r;

	b->step = step;
	r = send_op(h, j, ops[step], default_size(ops[step]), now);
	if (step == STEP_FREEZE) {
		b->freeze_sent = r >= 0;
		b->freeze_sent_ns = j->vss.sent_ns;
	}
	if (r < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "cannot send the request: %s", hv_strerror(r));
		/* A THAW that cannot go out ends it; anything else fails
		 * (and a failed FREEZE send means nothing was frozen). */
		b->freeze_sent = false;
		backup_step_failed(h, j, msg, now);
	}
}

static void backup_end_hold(struct hvsim_host *h, struct hvsim_host_job *j, bool file_seen, uint64_t now)
{
	struct hvsim_vss_backup *b = j->vss.backup;
	json_object *o = json_object_new_object();

	hvsim_json_add_str(o, "op", "hold");
	hvsim_json_add_int(o, "elapsed_us", (int64_t)((now_ns() - b->hold_start_ns) / 1000));
	if (b->hold_file) {
		hvsim_json_add_str(o, "until_file", b->hold_file);
		json_object_object_add(o, "file_seen", json_object_new_boolean(file_seen));
	}
	json_object_array_add(b->steps, o);
	backup_send(h, j, STEP_THAW, now);
}

static void backup_wake(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	struct hvsim_vss_backup *b = j->vss.backup;

	if (!b || b->step != STEP_HOLD)
		return;
	if (b->hold_file && access(b->hold_file, F_OK) == 0) {
		backup_end_hold(h, j, true, now);
		return;
	}
	if (now >= b->hold_until) {
		backup_end_hold(h, j, false, now);
		return;
	}
	j->wake = b->hold_file ? HV_MIN(now + HOLD_POLL_MS, b->hold_until) : b->hold_until;
}

static void backup_reply(struct hvsim_host *h, struct hvsim_host_job *j, const struct hv_vss_wire_reply *rep,
			 uint64_t elapsed_ns, uint64_t now)
{
	struct hvsim_vss_backup *b = j->vss.backup;
	/* The host takes any success HRESULT (severity bit clear) as success,
	 * as SUCCEEDED() does: a guest that keeps the HOT_BACKUP op byte in
	 * its reply (PROTOCOL.md §6.2, §11 item 13) answers 0x00000002 with
	 * the NO_AUTO_RECOVERY flag, and the backup goes on. */
	bool ok = (rep->status & UINT32_C(0x80000000)) == 0;

	json_object_array_add(b->steps, answer_new(j, rep, elapsed_ns));
	if (!ok)
		backup_note_failure(b, rep->status);
	switch (b->step) {
	case STEP_HOT_BACKUP:
		if (ok)
			backup_send(h, j, STEP_FREEZE, now);
		else
			backup_finish(h, j);
		return;
	case STEP_FREEZE:
		if (!ok) {
			/* A host thaws after any FREEZE it sent. */
			backup_send(h, j, STEP_THAW, now);
			return;
		}
		b->step = STEP_HOLD;
		b->hold_start_ns = now_ns();
		b->hold_until = now + b->hold_ms;
		backup_wake(h, j, now);
		return;
	case STEP_THAW:
		b->frozen_us = (int64_t)((now_ns() - b->freeze_sent_ns) / 1000);
		if (ok && !b->failed)
			backup_send(h, j, STEP_BU_COMPLETE, now);
		else
			backup_finish(h, j);
		return;
	case STEP_BU_COMPLETE:
		backup_finish(h, j);
		return;
	case STEP_HOLD:
		break;
	}
	backup_finish(h, j);
}

/* ---- the service ---------------------------------------------------------------------- */

static int vss_start(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	if (j->vss.backup) {
		j->vss.backup->start_ns = now_ns();
		backup_send(h, j, STEP_HOT_BACKUP, now);
		return 0;
	}
	return send_op(h, j, j->vss.op, j->vss.size, now);
}

static void vss_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now)
{
	uint64_t elapsed = now_ns() - j->vss.sent_ns;
	struct hv_vss_wire_reply rep;
	json_object *o, *a;
	int r;

	r = hv_vss_wire_decode_reply(buf, len, &rep);
	if (r < 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "malformed reply from the guest: %s", hv_strerror(r));
		if (j->vss.backup)
			backup_step_failed(h, j, msg, now);
		else
			hvsim_host_finish(h, j, hvsim_host_error_new("%s", msg));
		return;
	}
	hvsim_host_note_status(h, j, rep.status);
	if (j->vss.backup) {
		backup_reply(h, j, &rep, elapsed, now);
		return;
	}
	o = hvsim_host_result_new(j);
	a = answer_new(j, &rep, elapsed);
	json_object_object_foreach(a, key, val)
		json_object_object_add(o, key, json_object_get(val));
	json_object_put(a);
	hvsim_host_finish(h, j, o);
}

static void vss_failed(struct hvsim_host *h, struct hvsim_host_job *j, const char *error)
{
	if (j->vss.backup) {
		backup_step_failed(h, j, error, hvsim_now_ms());
		return;
	}
	hvsim_host_finish(h, j, hvsim_host_error_new("%s", error));
}

const struct hvsim_host_service hvsim_host_vss_service = {
	.parse = vss_parse,
	.start = vss_start,
	.reply = vss_reply,
	.failed = vss_failed,
	.wake = backup_wake,
};
