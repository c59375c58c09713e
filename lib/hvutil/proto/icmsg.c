/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IC framing and the one version negotiation (PROTOCOL.md §2.1, §2.2).
 *
 * hv_icmsg_negotiate_reply() is the guest algorithm of the kernel's
 * vmbus_prep_negotiate_resp(), also copied into the uio fcopy tool
 * (STYLE.md §4 item 14): written once here with named constants.  Its
 * observable quirks are kept because hosts and tests see them: icmsgsize
 * 0x10 even on failure, leftovers in entries 0 and 1 of a failure reply,
 * status left alone.
 */
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "base/string-table.h"
#include "proto/icmsg.h"
#include "proto/wire.h"

static const char *const hv_icmsg_type_table[_HV_ICMSG_TYPE_MAX] = {
	[HV_ICMSG_TYPE_NEGOTIATE] = "negotiate", [HV_ICMSG_TYPE_HEARTBEAT] = "heartbeat",
	[HV_ICMSG_TYPE_KVPEXCHANGE] = "kvp",     [HV_ICMSG_TYPE_SHUTDOWN] = "shutdown",
	[HV_ICMSG_TYPE_TIMESYNC] = "timesync",   [HV_ICMSG_TYPE_VSS] = "vss",
	[HV_ICMSG_TYPE_FCOPY] = "fcopy",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_icmsg_type, enum hv_icmsg_type);

int hv_icmsg_parse(const uint8_t *buf, size_t len, struct hv_icmsg_hdr *ret)
{
	struct hv_icmsg_hdr h;

	if (!buf || len < HV_ICMSG_HDR_SIZE)
		return -EBADMSG;
	h.pipe_flags = hv_get_le32(buf + HV_ICMSG_OFF_PIPE_FLAGS);
	h.pipe_msgsize = hv_get_le32(buf + HV_ICMSG_OFF_PIPE_MSGSIZE);
	h.frame_version.major = hv_get_le16(buf + HV_ICMSG_OFF_FRAME_MAJOR);
	h.frame_version.minor = hv_get_le16(buf + HV_ICMSG_OFF_FRAME_MINOR);
	h.type = hv_get_le16(buf + HV_ICMSG_OFF_TYPE);
	h.msg_version.major = hv_get_le16(buf + HV_ICMSG_OFF_MSG_MAJOR);
	h.msg_version.minor = hv_get_le16(buf + HV_ICMSG_OFF_MSG_MINOR);
	h.icmsgsize = hv_get_le16(buf + HV_ICMSG_OFF_SIZE);
	h.status = hv_get_le32(buf + HV_ICMSG_OFF_STATUS);
	h.trans_id = buf[HV_ICMSG_OFF_TRANS_ID];
	h.flags = buf[HV_ICMSG_OFF_FLAGS];
	h.reserved[0] = buf[HV_ICMSG_OFF_RESERVED];
	h.reserved[1] = buf[HV_ICMSG_OFF_RESERVED + 1];
	*ret = h;
	return 0;
}

int hv_icmsg_write(uint8_t *buf, size_t len, const struct hv_icmsg_hdr *hdr)
{
	if (!buf || len < HV_ICMSG_HDR_SIZE)
		return -ENOBUFS;
	hv_put_le32(buf + HV_ICMSG_OFF_PIPE_FLAGS, hdr->pipe_flags);
	hv_put_le32(buf + HV_ICMSG_OFF_PIPE_MSGSIZE, hdr->pipe_msgsize);
	hv_put_le16(buf + HV_ICMSG_OFF_FRAME_MAJOR, hdr->frame_version.major);
	hv_put_le16(buf + HV_ICMSG_OFF_FRAME_MINOR, hdr->frame_version.minor);
	hv_put_le16(buf + HV_ICMSG_OFF_TYPE, hdr->type);
	hv_put_le16(buf + HV_ICMSG_OFF_MSG_MAJOR, hdr->msg_version.major);
	hv_put_le16(buf + HV_ICMSG_OFF_MSG_MINOR, hdr->msg_version.minor);
	hv_put_le16(buf + HV_ICMSG_OFF_SIZE, hdr->icmsgsize);
	hv_put_le32(buf + HV_ICMSG_OFF_STATUS, hdr->status);
	buf[HV_ICMSG_OFF_TRANS_ID] = hdr->trans_id;
	buf[HV_ICMSG_OFF_FLAGS] = hdr->flags;
	buf[HV_ICMSG_OFF_RESERVED] = hdr->reserved[0];
	buf[HV_ICMSG_OFF_RESERVED + 1] = hdr->reserved[1];
	return HV_ICMSG_HDR_SIZE;
}

void hv_icmsg_hdr_init_request(struct hv_icmsg_hdr *hdr, enum hv_icmsg_type type,
			       struct hv_ic_version frame_version, struct hv_ic_version msg_version,
			       uint16_t icmsgsize, uint8_t trans_id)
{
	*hdr = (struct hv_icmsg_hdr){
		.pipe_flags = 0,
		.pipe_msgsize = HV_ICMSG_HDR_ONLY_SIZE + (uint32_t)icmsgsize,
		.frame_version = frame_version,
		.type = (uint16_t)type,
		.msg_version = msg_version,
		.icmsgsize = icmsgsize,
		.status = 0,
		.trans_id = trans_id,
		.flags = HV_ICMSG_FLAGS_REQUEST,
	};
}

int hv_icmsg_set_reply(uint8_t *buf, size_t len, uint32_t status)
{
	if (!buf || len < HV_ICMSG_HDR_SIZE)
		return -EBADMSG;
	hv_put_le32(buf + HV_ICMSG_OFF_STATUS, status);
	buf[HV_ICMSG_OFF_FLAGS] = HV_ICMSG_FLAGS_REPLY;
	return 0;
}

static bool version_at(const uint8_t *neg, size_t idx, struct hv_ic_version v)
{
	const uint8_t *e = neg + HV_ICMSG_NEGOTIATE_OFF_VERSIONS + idx * HV_IC_VERSION_SIZE;

	return hv_get_le16(e) == v.major && hv_get_le16(e + 2) == v.minor;
}

/* Write version entry idx only if it lies inside the received bytes. */
static void put_version(uint8_t *buf, size_t len, size_t idx, uint16_t major, uint16_t minor)
{
	size_t off = HV_ICMSG_HDR_SIZE + HV_ICMSG_NEGOTIATE_OFF_VERSIONS + idx * HV_IC_VERSION_SIZE;

	if (off + HV_IC_VERSION_SIZE > len)
		return;
	hv_put_le16(buf + off, major);
	hv_put_le16(buf + off + 2, minor);
}

int hv_icmsg_negotiate_reply(uint8_t *buf, size_t len, const struct hv_ic_version *fw, size_t nfw,
			     const struct hv_ic_version *srv, size_t nsrv, struct hv_ic_version *ret_fw,
			     struct hv_ic_version *ret_srv)
{
	uint8_t *neg;
	uint16_t fc, mc;
	/* The kernel's working variables start out as the host's counts;
	 * on failure whatever they hold lands in entries 0 and 1. */
	uint16_t fw_major, fw_minor = 0, srv_major, srv_minor = 0;
	bool found = false;
	int r;

	/* Room for the two counts at least, else nothing is touched. */
	if (!buf || len < HV_ICMSG_HDR_SIZE + HV_ICMSG_NEGOTIATE_OFF_RESERVED)
		return -EBADMSG;

	hv_put_le16(buf + HV_ICMSG_OFF_SIZE, HV_ICMSG_NEGOTIATE_REPLY_ICMSGSIZE);
	neg = buf + HV_ICMSG_HDR_SIZE;
	fc = hv_get_le16(neg + HV_ICMSG_NEGOTIATE_OFF_FW_COUNT);
	mc = hv_get_le16(neg + HV_ICMSG_NEGOTIATE_OFF_MSG_COUNT);
	fw_major = fc;
	srv_major = mc;

	if (fc > HV_IC_VERSION_NEGOTIATION_MAX_VER_COUNT || mc > HV_IC_VERSION_NEGOTIATION_MAX_VER_COUNT ||
	    HV_ICMSG_NEGOTIATE_PKT_SIZE(fc, mc) > len) {
		r = -EBADMSG;
		goto done;
	}

	/* Guest preference wins: first guest entry the host also offers. */
	for (size_t i = 0; i < nfw && !found; i++)
		for (size_t j = 0; j < fc; j++)
			if (version_at(neg, j, fw[i])) {
				fw_major = fw[i].major;
				fw_minor = fw[i].minor;
				found = true;
				break;
			}
	if (!found) {
		r = -EPROTO;
		goto done;
	}

	found = false;
	for (size_t i = 0; i < nsrv && !found; i++)
		for (size_t j = fc; j < (size_t)fc + mc; j++)
			if (version_at(neg, j, srv[i])) {
				srv_major = srv[i].major;
				srv_minor = srv[i].minor;
				found = true;
				break;
			}
	r = found ? 0 : -EPROTO;

done:
	hv_put_le16(neg + HV_ICMSG_NEGOTIATE_OFF_FW_COUNT, found ? 1 : 0);
	hv_put_le16(neg + HV_ICMSG_NEGOTIATE_OFF_MSG_COUNT, found ? 1 : 0);
	put_version(buf, len, 0, fw_major, fw_minor);
	put_version(buf, len, 1, srv_major, srv_minor);
	if (r == 0) {
		if (ret_fw)
			*ret_fw = HV_IC_VERSION(fw_major, fw_minor);
		if (ret_srv)
			*ret_srv = HV_IC_VERSION(srv_major, srv_minor);
	}
	return r;
}

int hv_icmsg_negotiate_request(uint8_t *buf, size_t len, uint8_t trans_id, const struct hv_ic_version *fw,
			       size_t nfw, const struct hv_ic_version *srv, size_t nsrv)
{
	struct hv_icmsg_hdr hdr;
	size_t total, icmsgsize;
	uint8_t *neg;

	if (nfw > UINT16_MAX || nsrv > UINT16_MAX)
		return -E2BIG;
	icmsgsize = HV_ICMSG_NEGOTIATE_HDR_SIZE + (nfw + nsrv) * HV_IC_VERSION_SIZE;
	if (icmsgsize > UINT16_MAX)
		return -E2BIG;
	total = HV_ICMSG_HDR_SIZE + icmsgsize;
	if (!buf || len < total)
		return -ENOBUFS;

	hv_icmsg_hdr_init_request(&hdr, HV_ICMSG_TYPE_NEGOTIATE, nfw ? fw[0] : HV_IC_VERSION(0, 0),
				  nsrv ? srv[0] : HV_IC_VERSION(0, 0), (uint16_t)icmsgsize, trans_id);
	memset(buf, 0, total);
	(void)hv_icmsg_write(buf, len, &hdr);
	neg = buf + HV_ICMSG_HDR_SIZE;
	hv_put_le16(neg + HV_ICMSG_NEGOTIATE_OFF_FW_COUNT, (uint16_t)nfw);
	hv_put_le16(neg + HV_ICMSG_NEGOTIATE_OFF_MSG_COUNT, (uint16_t)nsrv);
	for (size_t i = 0; i < nfw + nsrv; i++) {
		const struct hv_ic_version *v = i < nfw ? &fw[i] : &srv[i - nfw];
		uint8_t *e = neg + HV_ICMSG_NEGOTIATE_OFF_VERSIONS + i * HV_IC_VERSION_SIZE;

		hv_put_le16(e, v->major);
		hv_put_le16(e + 2, v->minor);
	}
	return (int)total;
}

int hv_icmsg_negotiate_parse_reply(const uint8_t *buf, size_t len, struct hv_ic_version *ret_fw,
				   struct hv_ic_version *ret_srv)
{
	const uint8_t *neg, *e;
	uint16_t fc, mc;

	if (!buf || len < HV_ICMSG_NEGOTIATE_PKT_SIZE(0, 0))
		return -EBADMSG;
	neg = buf + HV_ICMSG_HDR_SIZE;
	fc = hv_get_le16(neg + HV_ICMSG_NEGOTIATE_OFF_FW_COUNT);
	mc = hv_get_le16(neg + HV_ICMSG_NEGOTIATE_OFF_MSG_COUNT);
	if (fc == 0 && mc == 0)
		return -EPROTO;
	if (fc != 1 || mc != 1 || len < HV_ICMSG_NEGOTIATE_PKT_SIZE(1, 1))
		return -EBADMSG;
	e = neg + HV_ICMSG_NEGOTIATE_OFF_VERSIONS;
	if (ret_fw)
		*ret_fw = HV_IC_VERSION(hv_get_le16(e), hv_get_le16(e + 2));
	if (ret_srv)
		*ret_srv = HV_IC_VERSION(hv_get_le16(e + 4), hv_get_le16(e + 6));
	return 0;
}

int hv_icmsg_negotiate_parse_request(const uint8_t *buf, size_t len, struct hv_ic_version *ret_fw,
				     size_t max_fw, size_t *ret_nfw, struct hv_ic_version *ret_srv,
				     size_t max_srv, size_t *ret_nsrv)
{
	const uint8_t *neg;
	uint16_t fc, mc;

	if (!buf || len < HV_ICMSG_NEGOTIATE_PKT_SIZE(0, 0))
		return -EBADMSG;
	neg = buf + HV_ICMSG_HDR_SIZE;
	fc = hv_get_le16(neg + HV_ICMSG_NEGOTIATE_OFF_FW_COUNT);
	mc = hv_get_le16(neg + HV_ICMSG_NEGOTIATE_OFF_MSG_COUNT);
	if (fc > HV_IC_VERSION_NEGOTIATION_MAX_VER_COUNT || mc > HV_IC_VERSION_NEGOTIATION_MAX_VER_COUNT ||
	    HV_ICMSG_NEGOTIATE_PKT_SIZE(fc, mc) > len)
		return -EBADMSG;
	for (size_t i = 0; i < (size_t)fc + mc; i++) {
		const uint8_t *e = neg + HV_ICMSG_NEGOTIATE_OFF_VERSIONS + i * HV_IC_VERSION_SIZE;
		struct hv_ic_version v = HV_IC_VERSION(hv_get_le16(e), hv_get_le16(e + 2));

		if (i < fc && i < max_fw && ret_fw)
			ret_fw[i] = v;
		else if (i >= fc && i - fc < max_srv && ret_srv)
			ret_srv[i - fc] = v;
	}
	if (ret_nfw)
		*ret_nfw = fc;
	if (ret_nsrv)
		*ret_nsrv = mc;
	return 0;
}

/* --- guest version tables (§2.2) --- */

static const struct hv_ic_version fw_util[] = { { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version fw_v3[] = { { 3, 0 } };
static const struct hv_ic_version srv_shutdown[] = { { 3, 2 }, { 3, 1 }, { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version srv_timesync[] = { { 4, 0 }, { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version srv_heartbeat[] = { { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version srv_kvp[] = { { 4, 0 }, { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version srv_vss[] = { { 5, 0 } };
static const struct hv_ic_version srv_fcopy[] = { { 1, 1 } };

#define VERSIONS(t, n, f, s) \
	{ .type = (t), .name = (n), .fw = (f), .n_fw = ELEMENTSOF(f), .srv = (s), .n_srv = ELEMENTSOF(s) }

const struct hv_ic_versions hv_ic_versions_shutdown =
	VERSIONS(HV_ICMSG_TYPE_SHUTDOWN, "shutdown", fw_util, srv_shutdown);
const struct hv_ic_versions hv_ic_versions_timesync =
	VERSIONS(HV_ICMSG_TYPE_TIMESYNC, "timesync", fw_util, srv_timesync);
const struct hv_ic_versions hv_ic_versions_heartbeat =
	VERSIONS(HV_ICMSG_TYPE_HEARTBEAT, "heartbeat", fw_util, srv_heartbeat);
const struct hv_ic_versions hv_ic_versions_kvp = VERSIONS(HV_ICMSG_TYPE_KVPEXCHANGE, "kvp", fw_util, srv_kvp);
const struct hv_ic_versions hv_ic_versions_vss = VERSIONS(HV_ICMSG_TYPE_VSS, "vss", fw_v3, srv_vss);
const struct hv_ic_versions hv_ic_versions_fcopy = VERSIONS(HV_ICMSG_TYPE_FCOPY, "fcopy", fw_v3, srv_fcopy);

const struct hv_ic_versions *hv_ic_versions_for_type(enum hv_icmsg_type type)
{
	switch (type) {
	case HV_ICMSG_TYPE_HEARTBEAT:
		return &hv_ic_versions_heartbeat;
	case HV_ICMSG_TYPE_KVPEXCHANGE:
		return &hv_ic_versions_kvp;
	case HV_ICMSG_TYPE_SHUTDOWN:
		return &hv_ic_versions_shutdown;
	case HV_ICMSG_TYPE_TIMESYNC:
		return &hv_ic_versions_timesync;
	case HV_ICMSG_TYPE_VSS:
		return &hv_ic_versions_vss;
	case HV_ICMSG_TYPE_FCOPY:
		return &hv_ic_versions_fcopy;
	case HV_ICMSG_TYPE_NEGOTIATE:
	case _HV_ICMSG_TYPE_MAX:
	case _HV_ICMSG_TYPE_INVALID:
		break;
	}
	return NULL;
}
