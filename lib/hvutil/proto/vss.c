/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VSS codecs and the kernel's hv_snapshot.c decisions (PROTOCOL.md §6.1,
 * §6.2, §11.13, §11.15).  The message is 12 bytes; the kernel helpers
 * take whole IC payloads so hvsim can answer the host from them.
 */
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "base/string-table.h"
#include "proto/hv-status.h"
#include "proto/vss.h"
#include "proto/wire.h"

static const char *const hv_vss_op_table[_HV_VSS_OP_MAX] = {
	[HV_VSS_OP_CREATE] = "create",
	[HV_VSS_OP_DELETE] = "delete",
	[HV_VSS_OP_HOT_BACKUP] = "hot-backup",
	[HV_VSS_OP_GET_DM_INFO] = "get-dm-info",
	[HV_VSS_OP_BU_COMPLETE] = "bu-complete",
	[HV_VSS_OP_FREEZE] = "freeze",
	[HV_VSS_OP_THAW] = "thaw",
	[HV_VSS_OP_AUTO_RECOVER] = "auto-recover",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_vss_op, enum hv_vss_op);

#define VSS_PAYLOAD_MIN (HV_ICMSG_HDR_SIZE + HV_VSS_MSG_SIZE)

int hv_vss_msg_decode(const uint8_t *buf, size_t len, struct hv_vss_msg *ret)
{
	if (!buf || len < HV_VSS_MSG_SIZE)
		return -EBADMSG;
	*ret = (struct hv_vss_msg){
		.op = buf[HV_VSS_OFF_OPERATION],
		.error = hv_get_le32(buf + HV_VSS_OFF_ERROR),
		.flags = hv_get_le32(buf + HV_VSS_OFF_FLAGS),
	};
	return 0;
}

int hv_vss_msg_encode_request(uint8_t op, uint32_t flags, uint8_t *buf, size_t len)
{
	if (!buf || len < HV_VSS_MSG_SIZE)
		return -ENOBUFS;
	memset(buf, 0, HV_VSS_MSG_SIZE);
	buf[HV_VSS_OFF_OPERATION] = op;
	hv_put_le32(buf + HV_VSS_OFF_FLAGS, flags);
	return HV_VSS_MSG_SIZE;
}

int hv_vss_msg_encode_reply(uint32_t error, uint32_t flags, uint8_t *buf, size_t len)
{
	if (!buf || len < HV_VSS_MSG_SIZE)
		return -ENOBUFS;
	memset(buf, 0, HV_VSS_MSG_SIZE);
	hv_put_le32(buf + HV_VSS_OFF_ERROR, error);
	hv_put_le32(buf + HV_VSS_OFF_FLAGS, flags);
	return HV_VSS_MSG_SIZE;
}

int hv_vss_wire_encode_request(const struct hv_icmsg_hdr *hdr, uint8_t op, uint32_t flags, size_t msg_size,
			       uint8_t *buf, size_t len)
{
	struct hv_icmsg_hdr h = *hdr;
	size_t total;

	if (msg_size < HV_VSS_MSG_SIZE || msg_size > UINT16_MAX - HV_ICMSG_HDR_ONLY_SIZE)
		return -EINVAL;
	total = HV_ICMSG_HDR_SIZE + msg_size;
	if (!buf || len < total)
		return -ENOBUFS;
	memset(buf, 0, total);
	h.type = HV_ICMSG_TYPE_VSS;
	h.icmsgsize = (uint16_t)msg_size;
	h.pipe_msgsize = (uint32_t)(HV_ICMSG_HDR_ONLY_SIZE + msg_size);
	(void)hv_icmsg_write(buf, len, &h);
	(void)hv_vss_msg_encode_request(op, flags, buf + HV_ICMSG_HDR_SIZE, HV_VSS_MSG_SIZE);
	return (int)total;
}

int hv_vss_wire_decode_reply(const uint8_t *buf, size_t len, struct hv_vss_wire_reply *ret)
{
	struct hv_icmsg_hdr h;

	if (hv_icmsg_parse(buf, len, &h) < 0 || len < VSS_PAYLOAD_MIN)
		return -EBADMSG;
	*ret = (struct hv_vss_wire_reply){
		.status = h.status,
		.op = buf[HV_ICMSG_HDR_SIZE + HV_VSS_OFF_OPERATION],
		.flags = hv_get_le32(buf + HV_ICMSG_HDR_SIZE + HV_VSS_OFF_FLAGS),
	};
	return 0;
}

enum hv_vss_route hv_vss_kernel_route(uint8_t op)
{
	switch (op) {
	case HV_VSS_OP_FREEZE:
	case HV_VSS_OP_THAW:
	case HV_VSS_OP_HOT_BACKUP:
		return HV_VSS_ROUTE_DAEMON;
	default:
		return HV_VSS_ROUTE_KERNEL;
	}
}

unsigned hv_vss_kernel_timeout_sec(uint8_t op)
{
	return op == HV_VSS_OP_FREEZE ? HV_VSS_FREEZE_TIMEOUT_SEC : HV_VSS_TIMEOUT_SEC;
}

int hv_vss_kernel_request_to_daemon(const uint8_t *buf, size_t len, uint8_t *out, size_t out_len)
{
	if (!buf || len < VSS_PAYLOAD_MIN)
		return -EBADMSG;
	/* A fresh zeroed message: only the operation travels, flags 0. */
	return hv_vss_msg_encode_request(buf[HV_ICMSG_HDR_SIZE + HV_VSS_OFF_OPERATION], 0, out, out_len);
}

int hv_vss_kernel_answer_host(uint8_t *buf, size_t len, uint32_t status)
{
	if (!buf || len < VSS_PAYLOAD_MIN)
		return -EBADMSG;
	if (buf[HV_ICMSG_HDR_SIZE + HV_VSS_OFF_OPERATION] == HV_VSS_OP_GET_DM_INFO)
		hv_put_le32(buf + HV_ICMSG_HDR_SIZE + HV_VSS_OFF_FLAGS, 0);
	return hv_icmsg_set_reply(buf, len, status);
}

int hv_vss_kernel_reply_to_host(uint8_t *buf, size_t len, const uint8_t *reply, size_t reply_len,
				uint32_t *ret_status)
{
	uint32_t status;

	if (!buf || len < VSS_PAYLOAD_MIN || !reply || reply_len != HV_VSS_MSG_SIZE)
		return -EBADMSG;
	/*
	 * The kernel tests the reply's operation byte for HOT_BACKUP, but
	 * that byte is the low byte of `error` (§11.13): only a daemon that
	 * answers with an error whose low byte is 2 ever sets the flag.
	 */
	if (reply[HV_VSS_OFF_OPERATION] == HV_VSS_OP_HOT_BACKUP)
		hv_put_le32(buf + HV_ICMSG_HDR_SIZE + HV_VSS_OFF_FLAGS, HV_VSS_HBU_NO_AUTO_RECOVERY);
	status = hv_get_le32(reply + HV_VSS_OFF_ERROR);
	(void)hv_icmsg_set_reply(buf, len, status);
	if (ret_status)
		*ret_status = status;
	return 0;
}

int hv_vss_kernel_classify_daemon_write(const uint8_t *buf, size_t len)
{
	if (!buf || len != HV_VSS_MSG_SIZE)
		return -EINVAL;
	if (buf[HV_VSS_OFF_OPERATION] == HV_VSS_OP_REGISTER || buf[HV_VSS_OFF_OPERATION] == HV_VSS_OP_REGISTER1)
		return HV_VSS_WRITE_REGISTER;
	return HV_VSS_WRITE_REPLY;
}

int hv_vss_kernel_handshake(uint8_t op, uint8_t *out, size_t out_len)
{
	switch (op) {
	case HV_VSS_OP_REGISTER:
		return 0; /* the legacy daemon expects no answer */
	case HV_VSS_OP_REGISTER1:
		if (!out || out_len < HV_VSS_HANDSHAKE_REPLY_SIZE)
			return -ENOBUFS;
		hv_put_le32(out, HV_VSS_OP_REGISTER1);
		return HV_VSS_HANDSHAKE_REPLY_SIZE;
	default:
		return -EINVAL;
	}
}
