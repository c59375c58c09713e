/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of file copy (PROTOCOL.md §7.1): a whole copy as
 * Copy-VMFile makes it (START with the copy flags and the file size,
 * WRITE fragments of at most 6144 bytes at their absolute offsets,
 * COMPLETE; the first failure ends it), or single requests for tests
 * (start, write, complete, cancel).  The source file is passed by the
 * client with the request, so hvsim never opens paths for it.
 *
 * A whole copy reports every answer (runs of equal {op, status}), the
 * bytes the guest acknowledged, and the time from START to the last
 * answer; "cancel_after": N sends CANCEL instead of WRITE fragment N + 1.
 * The engine does not know whether the channel is hv_utils' char device
 * or a uio ring (host.c's links).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "host-internal.h"
#include "proto/fcopy.h"
#include "proto/hv-status.h"

static int fcopy_parse(struct hvsim_host_job *j, json_object *req, int *fd, char **ret_error)
{
	const char *op = hvsim_req_str(req, "op"), *s;
	int64_t v;

	j->fcopy.cancel_after = -1;
	if (!op)
		return hvsim_req_fail(ret_error, "fcopy: missing op");
	if (hvsim_req_int(req, "cancel_after", &v)) {
		if (v < 0 || strcmp(op, "copy") != 0)
			return hvsim_req_fail(ret_error, "fcopy: cancel_after needs op copy and a count >= 0");
		j->fcopy.cancel_after = v;
	}
	if (hvsim_req_int(req, "flags", &v))
		j->fcopy.flags = (uint32_t)v;
	if (hvsim_req_int(req, "size", &v) && v >= 0)
		j->fcopy.size = (uint64_t)v;
	if (strcmp(op, "copy") == 0 || strcmp(op, "start") == 0) {
		s = hvsim_req_str(req, "dir");
		if (!s)
			return hvsim_req_fail(ret_error, "fcopy %s: missing dir", op);
		j->fcopy.dir = strdup(s);
		s = hvsim_req_str(req, "name");
		if (!s)
			return hvsim_req_fail(ret_error, "fcopy %s: missing name", op);
		j->fcopy.name = strdup(s);
		if (!j->fcopy.dir || !j->fcopy.name)
			return -ENOMEM;
	}
	if (strcmp(op, "copy") == 0) {
		struct stat st;

		if (*fd < 0)
			return hvsim_req_fail(ret_error, "fcopy copy: no source file was passed");
		if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode))
			return hvsim_req_fail(ret_error, "fcopy copy: the source is not a regular file");
		j->fcopy.copy = true;
		/* "size" announces another size than the file's (tests). */
		if (!hvsim_req_int(req, "size", &v) || v < 0)
			j->fcopy.size = (uint64_t)st.st_size;
		j->fcopy.fd = TAKE_FD(*fd);
		j->fcopy.stage = HVSIM_COPY_START;
		return 0;
	}
	if (strcmp(op, "start") == 0) {
		j->fcopy.op = HV_FCOPY_OP_START_FILE_COPY;
	} else if (strcmp(op, "write") == 0) {
		j->fcopy.op = HV_FCOPY_OP_WRITE_TO_FILE;
		if (!hvsim_req_int(req, "offset", &v) || v < 0)
			return hvsim_req_fail(ret_error, "fcopy write: missing offset");
		j->fcopy.offset = (uint64_t)v;
		s = hvsim_req_str(req, "data");
		j->fcopy.data = strdup(s ? s : "");
		if (!j->fcopy.data)
			return -ENOMEM;
		if (strlen(j->fcopy.data) > HV_FCOPY_DATA_FRAGMENT)
			return hvsim_req_fail(ret_error, "fcopy write: more than %d bytes", HV_FCOPY_DATA_FRAGMENT);
	} else if (strcmp(op, "complete") == 0) {
		j->fcopy.op = HV_FCOPY_OP_COMPLETE_FCOPY;
	} else if (strcmp(op, "cancel") == 0) {
		j->fcopy.op = HV_FCOPY_OP_CANCEL_FCOPY;
	} else {
		return hvsim_req_fail(ret_error, "fcopy: unknown op '%s'", op);
	}
	return 0;
}

static int send_msg(struct hvsim_host *h, struct hvsim_host_job *j, const struct hv_fcopy_msg *m, uint64_t now)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size = HV_ICMSG_HDR_SIZE + HV_FCOPY_DO_SIZE;
	struct hv_icmsg_hdr hdr;
	int n;

	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	hvsim_host_header(h, j, HV_ICMSG_TYPE_FCOPY, &hdr);
	n = hv_fcopy_wire_encode_request(m, &hdr, buf, size);
	if (n < 0)
		return n;
	return hvsim_host_send(h, j, buf, (size_t)n, now);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *const stage_names[] = {
	[HVSIM_COPY_START] = "start",
	[HVSIM_COPY_WRITE] = "write",
	[HVSIM_COPY_COMPLETE] = "complete",
	[HVSIM_COPY_CANCEL] = "cancel",
};

/* One more answer of a whole copy: a new run unless it repeats the last
 * run's op and status. */
static void note_reply(struct hvsim_host_job *j, uint32_t status)
{
	const char *op = stage_names[j->fcopy.stage];
	size_t n;
	json_object *last, *run;

	if (!j->fcopy.replies)
		j->fcopy.replies = json_object_new_array();
	n = json_object_array_length(j->fcopy.replies);
	last = n ? json_object_array_get_idx(j->fcopy.replies, n - 1) : NULL;
	if (last && strcmp(hvsim_req_str(last, "op"), op) == 0) {
		int64_t code = -1, count = 0;

		if (hvsim_req_int(last, "status_code", &code) && (uint32_t)code == status &&
		    hvsim_req_int(last, "count", &count)) {
			json_object_object_add(last, "count", json_object_new_int64(count + 1));
			return;
		}
	}
	run = json_object_new_object();
	hvsim_json_add_str(run, "op", op);
	hvsim_json_add_status(run, status);
	hvsim_json_add_int(run, "count", 1);
	json_object_array_add(j->fcopy.replies, run);
}

static void add_fixed(json_object *o, const char *k, double v, int decimals)
{
	char text[64];

	snprintf(text, sizeof(text), "%.*f", decimals, v);
	json_object_object_add(o, k, json_object_new_double_s(v, text));
}

/* What a whole copy did so far: stage, bytes, answers, time, rate. */
static void add_progress(struct hvsim_host_job *j, json_object *o)
{
	uint64_t bytes = j->fcopy.stage == HVSIM_COPY_COMPLETE ? j->fcopy.offset : j->fcopy.acked;
	double secs = j->fcopy.start_ns ? (double)(now_ns() - j->fcopy.start_ns) / 1e9 : 0;

	hvsim_json_add_str(o, "op", "copy");
	hvsim_json_add_str(o, "stage", stage_names[j->fcopy.stage]);
	hvsim_json_add_int(o, "bytes", (int64_t)bytes);
	hvsim_json_add_int(o, "size", (int64_t)j->fcopy.size);
	hvsim_json_add_int(o, "writes", (int64_t)j->fcopy.writes);
	json_object_object_add(o, "cancelled", json_object_new_boolean(j->fcopy.stage == HVSIM_COPY_CANCEL));
	json_object_object_add(o, "replies", j->fcopy.replies ? json_object_get(j->fcopy.replies)
							     : json_object_new_array());
	add_fixed(o, "elapsed_s", secs, 6);
	add_fixed(o, "mib_per_s", secs > 0 ? (double)bytes / secs / (1024.0 * 1024.0) : 0, 3);
}

static void fill_start(const struct hvsim_host_job *j, struct hv_fcopy_msg *m)
{
	m->op = HV_FCOPY_OP_START_FILE_COPY;
	m->start.copy_flags = j->fcopy.flags;
	m->start.file_size = j->fcopy.size;
	snprintf(m->start.file_name, sizeof(m->start.file_name), "%s", j->fcopy.name);
	snprintf(m->start.path_name, sizeof(m->start.path_name), "%s", j->fcopy.dir);
}

/* The next packet of a whole copy. */
static int copy_step(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	_cleanup_free_ uint8_t *chunk = NULL;
	struct hv_fcopy_msg m = {};
	ssize_t n;

	switch (j->fcopy.stage) {
	case HVSIM_COPY_START:
		fill_start(j, &m);
		j->fcopy.start_ns = now_ns();
		return send_msg(h, j, &m, now);
	case HVSIM_COPY_WRITE:
		if (j->fcopy.cancel_after >= 0 && j->fcopy.writes >= (uint64_t)j->fcopy.cancel_after) {
			j->fcopy.stage = HVSIM_COPY_CANCEL;
			return copy_step(h, j, now);
		}
		chunk = malloc(HV_FCOPY_DATA_FRAGMENT);
		if (!chunk)
			return -ENOMEM;
		n = pread(j->fcopy.fd, chunk, HV_FCOPY_DATA_FRAGMENT, (off_t)j->fcopy.offset);
		if (n < 0)
			return -errno;
		if (n == 0) {
			j->fcopy.stage = HVSIM_COPY_COMPLETE;
			return copy_step(h, j, now);
		}
		m.op = HV_FCOPY_OP_WRITE_TO_FILE;
		m.write.offset = j->fcopy.offset;
		m.write.size = (uint32_t)n;
		m.write.data = chunk;
		j->fcopy.offset += (uint64_t)n;
		return send_msg(h, j, &m, now);
	case HVSIM_COPY_COMPLETE:
		m.op = HV_FCOPY_OP_COMPLETE_FCOPY;
		return send_msg(h, j, &m, now);
	case HVSIM_COPY_CANCEL:
		m.op = HV_FCOPY_OP_CANCEL_FCOPY;
		return send_msg(h, j, &m, now);
	}
	return -EINVAL;
}

static int fcopy_start(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	struct hv_fcopy_msg m = { .op = j->fcopy.op };

	if (j->fcopy.copy)
		return copy_step(h, j, now);
	if (j->fcopy.op == HV_FCOPY_OP_START_FILE_COPY) {
		fill_start(j, &m);
	} else if (j->fcopy.op == HV_FCOPY_OP_WRITE_TO_FILE) {
		m.write.offset = j->fcopy.offset;
		m.write.size = (uint32_t)strlen(j->fcopy.data);
		m.write.data = (const uint8_t *)j->fcopy.data;
	}
	return send_msg(h, j, &m, now);
}

static void fcopy_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len,
			uint64_t now)
{
	enum hvsim_copy_stage stage = j->fcopy.stage;
	uint32_t status;
	json_object *o;
	int r;

	r = hv_fcopy_wire_decode_reply(buf, len, &status);
	if (r < 0) {
		hvsim_host_finish(h, j, hvsim_host_error_new("malformed reply from the guest: %s", hv_strerror(r)));
		return;
	}
	hvsim_host_note_status(h, j, status);
	if (j->fcopy.copy)
		note_reply(j, status);
	if (j->fcopy.copy && status == HV_S_OK && (stage == HVSIM_COPY_START || stage == HVSIM_COPY_WRITE)) {
		/* Bytes the guest acknowledged so far: up to the last WRITE. */
		if (stage == HVSIM_COPY_WRITE) {
			j->fcopy.acked = j->fcopy.offset;
			j->fcopy.writes++;
		}
		j->fcopy.stage = HVSIM_COPY_WRITE;
		r = copy_step(h, j, now);
		if (r < 0)
			hvsim_host_finish(h, j, hvsim_host_error_new("cannot send the request: %s", hv_strerror(r)));
		return;
	}
	o = hvsim_host_result_new(j);
	if (j->fcopy.copy) {
		add_progress(j, o);
	} else {
		hvsim_json_add_str(o, "op", hv_fcopy_op_to_string((enum hv_fcopy_op)j->fcopy.op));
	}
	hvsim_json_add_status(o, status);
	hvsim_host_finish(h, j, o);
}

/* A failed packet (timeout, closed or rescinded channel, malformed
 * answer): a whole copy still says how far it got. */
static void fcopy_failed(struct hvsim_host *h, struct hvsim_host_job *j, const char *error)
{
	json_object *o = hvsim_host_error_new("%s", error);

	if (j->fcopy.copy) {
		hvsim_json_add_str(o, "device", hvsim_cdev_kind_to_string(j->kind));
		add_progress(j, o);
	}
	hvsim_host_finish(h, j, o);
}

const struct hvsim_host_service hvsim_host_fcopy_service = {
	.parse = fcopy_parse,
	.start = fcopy_start,
	.reply = fcopy_reply,
	.failed = fcopy_failed,
};
