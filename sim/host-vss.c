/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of VSS (PROTOCOL.md §6): one request, one answer.
 * FREEZE packets carry LUN data after the 12-byte message on real hosts,
 * so they are sent 6260 bytes long by default (the uapi's largest FREEZE).
 *
 * FREEZE is refused while the world's mount table has a file system a
 * VSS daemon would freeze (the daemon freezes every /dev/ mount that is
 * not a loop device, read-only or vfat, §6.3): in a world sharing the
 * machine's root, that is the machine's own disk.  --force overrides, for
 * worlds with a root of their own.
 */
#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>

#include "base/hvutil.h"
#include "host-internal.h"
#include "proto/vss.h"

#define VSS_FREEZE_PACKET 6260
#define VSS_MAX_PACKET 8192 /* the kernel's VSS receive buffer */

/* 1 and what it is when some mount would be frozen, 0 if none. */
static int freezable_mount(char *buf, size_t size)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	int found = 0;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strncmp(m->mnt_fsname, "/dev/", 5) != 0 || strncmp(m->mnt_fsname, "/dev/loop", 9) == 0)
			continue;
		if (hasmntopt(m, "ro") || strcmp(m->mnt_type, "vfat") == 0)
			continue;
		snprintf(buf, size, "%s on %s (%s)", m->mnt_fsname, m->mnt_dir, m->mnt_type);
		found = 1;
		break;
	}
	endmntent(f);
	return found;
}

static int vss_parse(struct hvsim_host_job *j, json_object *req, int *fd, char **ret_error)
{
	const char *op = hvsim_req_str(req, "op");
	int64_t v;

	if (!op)
		return hvsim_req_fail(ret_error, "vss: missing op");
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
	if (j->vss.op == HV_VSS_OP_FREEZE && !hvsim_req_bool(req, "force")) {
		char what[512];

		if (freezable_mount(what, sizeof(what)) > 0)
			return hvsim_req_fail(ret_error,
					      "vss freeze: refusing, a VSS daemon would freeze %s, a file system "
					      "of the machine; use --force only in a world with a root of its own",
					      what);
	}
	return 0;
}

static int vss_send(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	uint8_t buf[VSS_MAX_PACKET];
	struct hv_icmsg_hdr hdr;
	int n;

	hvsim_host_header(h, j, HV_ICMSG_TYPE_VSS, &hdr);
	n = hv_vss_wire_encode_request(&hdr, j->vss.op, 0, j->vss.size, buf, sizeof(buf));
	if (n < 0)
		return n;
	return hvsim_host_send(h, j, buf, (size_t)n, now);
}

static void vss_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now)
{
	struct hv_vss_wire_reply rep;
	const char *name;
	json_object *o;
	int r;

	r = hv_vss_wire_decode_reply(buf, len, &rep);
	if (r < 0) {
		hvsim_host_finish(h, j, hvsim_host_error_new("malformed reply from the guest: %s", hv_strerror(r)));
		return;
	}
	hvsim_host_note_status(h, j, rep.status);
	name = hv_vss_op_to_string((enum hv_vss_op)j->vss.op);
	o = hvsim_host_result_new(j);
	hvsim_json_add_str(o, "op", name ? name : "raw");
	hvsim_json_add_int(o, "code", j->vss.op);
	hvsim_json_add_status(o, rep.status);
	hvsim_json_add_int(o, "flags", rep.flags);
	hvsim_host_finish(h, j, o);
}

const struct hvsim_host_service hvsim_host_vss_service = {
	.parse = vss_parse,
	.start = vss_send,
	.reply = vss_reply,
};
