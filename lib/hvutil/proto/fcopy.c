/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File copy codecs (PROTOCOL.md §7.1-§7.3, §11.16-§11.20).
 *
 * The reference uio daemon trusted `size` (§11.16) and mangled UTF-16
 * names (§11.19); here `size` is checked against DATA_FRAGMENT and the
 * bytes present, and names are converted strictly (an unpaired surrogate
 * is an error, not an 'X').  The hv_fcopy_kernel_* helpers reproduce the
 * char-device kernel driver (hv_fcopy.c, <= 6.9) for hvsim, including its
 * lenient utf16s_to_utf8s() conversion.
 */
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "base/string-table.h"
#include "base/utf16.h"
#include "proto/fcopy.h"
#include "proto/wire.h"

static const char *const hv_fcopy_op_table[_HV_FCOPY_OP_MAX] = {
	[HV_FCOPY_OP_START_FILE_COPY] = "start",
	[HV_FCOPY_OP_WRITE_TO_FILE] = "write",
	[HV_FCOPY_OP_COMPLETE_FCOPY] = "complete",
	[HV_FCOPY_OP_CANCEL_FCOPY] = "cancel",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_fcopy_op, enum hv_fcopy_op);

#define NAME_FIELD_SIZE (2 * HV_FCOPY_W_MAX_PATH)

static size_t message_size(uint32_t op)
{
	switch (op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		return HV_FCOPY_START_SIZE;
	case HV_FCOPY_OP_WRITE_TO_FILE:
		return HV_FCOPY_DO_SIZE;
	default:
		return HV_FCOPY_HDR_SIZE;
	}
}

/* WRITE fields of a message at m (>= 52 bytes present, avail in total). */
static int decode_write(const uint8_t *m, size_t avail, struct hv_fcopy_msg *msg)
{
	uint32_t size = hv_get_le32(m + HV_FCOPY_OFF_SIZE);

	if (size > HV_FCOPY_DATA_FRAGMENT || size > avail - HV_FCOPY_OFF_DATA)
		return -EBADMSG;
	msg->write.offset = hv_get_le64(m + HV_FCOPY_OFF_OFFSET);
	msg->write.size = size;
	msg->write.data = m + HV_FCOPY_OFF_DATA;
	return 0;
}

/* --- host wire --- */

static int wire_name(const uint8_t *field, char *dst, size_t dst_size)
{
	bool terminated = false;
	int n;

	for (size_t i = 0; i < HV_FCOPY_W_MAX_PATH; i++)
		if (hv_get_le16(field + 2 * i) == 0) {
			terminated = true;
			break;
		}
	if (!terminated)
		return -EBADMSG;
	n = hv_utf16le_to_utf8(field, HV_FCOPY_W_MAX_PATH, dst, dst_size);
	return n < 0 ? (n == -EILSEQ ? -EILSEQ : -EBADMSG) : 0;
}

int hv_fcopy_wire_decode(const uint8_t *buf, size_t len, struct hv_fcopy_msg *ret)
{
	static const struct hv_fcopy_msg zero;
	struct hv_fcopy_msg m = zero;
	const uint8_t *p;
	size_t avail;
	int r = 0;

	if (!buf || len < HV_ICMSG_HDR_SIZE + HV_FCOPY_HDR_SIZE)
		return -EBADMSG;
	p = buf + HV_ICMSG_HDR_SIZE;
	avail = len - HV_ICMSG_HDR_SIZE;
	m.op = hv_get_le32(p + HV_FCOPY_OFF_OPERATION);

	switch (m.op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		if (avail < HV_FCOPY_START_SIZE)
			return -EBADMSG;
		r = wire_name(p + HV_FCOPY_OFF_FILE_NAME, m.start.file_name, sizeof(m.start.file_name));
		if (r < 0)
			return r;
		r = wire_name(p + HV_FCOPY_OFF_PATH_NAME, m.start.path_name, sizeof(m.start.path_name));
		if (r < 0)
			return r;
		m.start.copy_flags = hv_get_le32(p + HV_FCOPY_OFF_COPY_FLAGS);
		m.start.file_size = hv_get_le64(p + HV_FCOPY_OFF_FILE_SIZE);
		break;
	case HV_FCOPY_OP_WRITE_TO_FILE:
		if (avail < HV_FCOPY_OFF_DATA)
			return -EBADMSG;
		r = decode_write(p, avail, &m);
		break;
	default:
		break;
	}
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

static int put_wire_name(uint8_t *field, const char *s)
{
	int n = hv_utf8_to_utf16le(s, strlen(s), field, HV_FCOPY_W_MAX_PATH);

	if (n == -ENOBUFS)
		return -E2BIG;
	return n < 0 ? n : 0;
}

static int encode_write(const struct hv_fcopy_msg *m, uint8_t *p)
{
	if (m->write.size > HV_FCOPY_DATA_FRAGMENT)
		return -E2BIG;
	if (m->write.size && !m->write.data)
		return -EINVAL;
	hv_put_le64(p + HV_FCOPY_OFF_OFFSET, m->write.offset);
	hv_put_le32(p + HV_FCOPY_OFF_SIZE, m->write.size);
	if (m->write.size)
		memcpy(p + HV_FCOPY_OFF_DATA, m->write.data, m->write.size);
	return 0;
}

int hv_fcopy_wire_encode_request(const struct hv_fcopy_msg *m, const struct hv_icmsg_hdr *hdr, uint8_t *buf,
				 size_t len)
{
	size_t msg_size = message_size(m->op);
	size_t total = HV_ICMSG_HDR_SIZE + msg_size;
	struct hv_icmsg_hdr h = *hdr;
	uint8_t *p;
	int r = 0;

	if (!buf || len < total)
		return -ENOBUFS;
	memset(buf, 0, total);
	h.type = HV_ICMSG_TYPE_FCOPY;
	h.icmsgsize = (uint16_t)msg_size;
	h.pipe_msgsize = (uint32_t)(HV_ICMSG_HDR_ONLY_SIZE + msg_size);
	(void)hv_icmsg_write(buf, len, &h);
	p = buf + HV_ICMSG_HDR_SIZE;
	hv_put_le32(p + HV_FCOPY_OFF_OPERATION, m->op);

	switch (m->op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		r = put_wire_name(p + HV_FCOPY_OFF_FILE_NAME, m->start.file_name);
		if (r < 0)
			break;
		r = put_wire_name(p + HV_FCOPY_OFF_PATH_NAME, m->start.path_name);
		hv_put_le32(p + HV_FCOPY_OFF_COPY_FLAGS, m->start.copy_flags);
		hv_put_le64(p + HV_FCOPY_OFF_FILE_SIZE, m->start.file_size);
		break;
	case HV_FCOPY_OP_WRITE_TO_FILE:
		r = encode_write(m, p);
		break;
	default:
		break;
	}
	return r < 0 ? r : (int)total;
}

int hv_fcopy_wire_decode_reply(const uint8_t *buf, size_t len, uint32_t *ret_status)
{
	struct hv_icmsg_hdr h;

	if (hv_icmsg_parse(buf, len, &h) < 0)
		return -EBADMSG;
	*ret_status = h.status;
	return 0;
}

/* --- char-device daemon ABI --- */

static int daemon_name(const uint8_t *field, char *dst, size_t dst_size)
{
	const uint8_t *nul = memchr(field, '\0', HV_FCOPY_W_MAX_PATH);
	size_t n;

	if (!nul)
		return -EBADMSG;
	n = (size_t)(nul - field);
	if (n >= dst_size || !hv_utf8_is_valid((const char *)field, n))
		return -EBADMSG;
	memcpy(dst, field, n + 1);
	return 0;
}

int hv_fcopy_daemon_decode(const uint8_t *buf, size_t len, struct hv_fcopy_msg *ret)
{
	static const struct hv_fcopy_msg zero;
	struct hv_fcopy_msg m = zero;
	int r = 0;

	if (!buf || len < HV_FCOPY_HDR_SIZE)
		return -EBADMSG;
	m.op = hv_get_le32(buf + HV_FCOPY_OFF_OPERATION);
	if (len < message_size(m.op))
		return -EBADMSG;

	switch (m.op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		r = daemon_name(buf + HV_FCOPY_OFF_FILE_NAME, m.start.file_name, sizeof(m.start.file_name));
		if (r < 0)
			return r;
		r = daemon_name(buf + HV_FCOPY_OFF_PATH_NAME, m.start.path_name, sizeof(m.start.path_name));
		m.start.copy_flags = hv_get_le32(buf + HV_FCOPY_OFF_COPY_FLAGS);
		m.start.file_size = hv_get_le64(buf + HV_FCOPY_OFF_FILE_SIZE);
		break;
	case HV_FCOPY_OP_WRITE_TO_FILE:
		r = decode_write(buf, len, &m);
		break;
	default:
		break;
	}
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

static int put_daemon_name(uint8_t *field, const char *s)
{
	size_t n = strnlen(s, HV_FCOPY_DAEMON_NAME_MAX + 1);

	if (n > HV_FCOPY_DAEMON_NAME_MAX)
		return -E2BIG;
	memcpy(field, s, n + 1);
	return 0;
}

int hv_fcopy_daemon_encode(const struct hv_fcopy_msg *m, uint8_t *buf, size_t len)
{
	size_t size = message_size(m->op);
	int r = 0;

	if (!buf || len < size)
		return -ENOBUFS;
	memset(buf, 0, size);
	hv_put_le32(buf + HV_FCOPY_OFF_OPERATION, m->op);

	switch (m->op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		r = put_daemon_name(buf + HV_FCOPY_OFF_FILE_NAME, m->start.file_name);
		if (r < 0)
			break;
		r = put_daemon_name(buf + HV_FCOPY_OFF_PATH_NAME, m->start.path_name);
		hv_put_le32(buf + HV_FCOPY_OFF_COPY_FLAGS, m->start.copy_flags);
		hv_put_le64(buf + HV_FCOPY_OFF_FILE_SIZE, m->start.file_size);
		break;
	case HV_FCOPY_OP_WRITE_TO_FILE:
		r = encode_write(m, buf);
		break;
	default:
		break;
	}
	return r < 0 ? r : (int)size;
}

int hv_fcopy_daemon_encode_reply(uint32_t status, uint8_t *buf, size_t len)
{
	if (!buf || len < HV_FCOPY_REPLY_SIZE)
		return -ENOBUFS;
	hv_put_le32(buf, status);
	return HV_FCOPY_REPLY_SIZE;
}

int hv_fcopy_daemon_encode_handshake(uint32_t version, uint8_t *buf, size_t len)
{
	if (!buf || len < HV_FCOPY_HANDSHAKE_SIZE)
		return -ENOBUFS;
	hv_put_le32(buf, version);
	return HV_FCOPY_HANDSHAKE_SIZE;
}

/* --- the kernel's conversions --- */

int hv_fcopy_kernel_request_to_daemon(const uint8_t *buf, size_t len, uint8_t *out, size_t out_len)
{
	uint8_t padded[HV_FCOPY_DO_SIZE] = { 0 };
	size_t avail, n;
	uint32_t op;

	if (!buf || len < HV_ICMSG_HDR_SIZE + HV_FCOPY_HDR_SIZE)
		return -EBADMSG;
	avail = len - HV_ICMSG_HDR_SIZE;
	memcpy(padded, buf + HV_ICMSG_HDR_SIZE, HV_MIN(avail, sizeof(padded)));
	op = hv_get_le32(padded + HV_FCOPY_OFF_OPERATION);

	switch (op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		if (!out || out_len < HV_FCOPY_START_SIZE)
			return -ENOBUFS;
		/* A fresh zeroed message: operation, names, flags, size. */
		memset(out, 0, HV_FCOPY_START_SIZE);
		hv_put_le32(out + HV_FCOPY_OFF_OPERATION, op);
		(void)hv_wire_kernel_utf16_to_utf8(padded + HV_FCOPY_OFF_FILE_NAME, HV_FCOPY_W_MAX_PATH,
						   (char *)out + HV_FCOPY_OFF_FILE_NAME, HV_FCOPY_W_MAX_PATH - 1);
		(void)hv_wire_kernel_utf16_to_utf8(padded + HV_FCOPY_OFF_PATH_NAME, HV_FCOPY_W_MAX_PATH,
						   (char *)out + HV_FCOPY_OFF_PATH_NAME, HV_FCOPY_W_MAX_PATH - 1);
		memcpy(out + HV_FCOPY_OFF_COPY_FLAGS, padded + HV_FCOPY_OFF_COPY_FLAGS, 4);
		memcpy(out + HV_FCOPY_OFF_FILE_SIZE, padded + HV_FCOPY_OFF_FILE_SIZE, 8);
		return HV_FCOPY_START_SIZE;
	case HV_FCOPY_OP_WRITE_TO_FILE:
		/* The whole hv_do_fcopy, whatever the packet length. */
		if (!out || out_len < HV_FCOPY_DO_SIZE)
			return -ENOBUFS;
		memcpy(out, padded, HV_FCOPY_DO_SIZE);
		return HV_FCOPY_DO_SIZE;
	default:
		/* recv_len bytes from the fcopy header: 28 past the packet. */
		if (!out || out_len < len)
			return -ENOBUFS;
		n = HV_MIN(avail, len);
		memcpy(out, buf + HV_ICMSG_HDR_SIZE, n);
		memset(out + n, 0, len - n);
		return len > INT32_MAX ? -E2BIG : (int)len;
	}
}

int hv_fcopy_kernel_reply_to_host(uint8_t *buf, size_t len, const uint8_t *reply, size_t reply_len,
				  uint32_t *ret_status)
{
	uint32_t status;

	if (!reply || reply_len != HV_FCOPY_REPLY_SIZE)
		return -EINVAL;
	if (!buf || len < HV_ICMSG_HDR_SIZE)
		return -EBADMSG;
	status = hv_get_le32(reply);
	(void)hv_icmsg_set_reply(buf, len, status);
	if (ret_status)
		*ret_status = status;
	return 0;
}

int hv_fcopy_kernel_handshake(const uint8_t *write_buf, size_t write_len, uint8_t *out, size_t out_len,
			      uint32_t *ret_version)
{
	uint32_t version;

	if (!write_buf || write_len != HV_FCOPY_HANDSHAKE_SIZE)
		return -EINVAL;
	version = hv_get_le32(write_buf);
	switch (version) {
	case HV_FCOPY_VERSION_0:
		break;
	case HV_FCOPY_VERSION_1:
		if (!out || out_len < HV_FCOPY_HANDSHAKE_SIZE)
			return -ENOBUFS;
		hv_put_le32(out, HV_FCOPY_VERSION_1);
		break;
	default:
		return -EINVAL;
	}
	if (ret_version)
		*ret_version = version;
	return version == HV_FCOPY_VERSION_1 ? HV_FCOPY_HANDSHAKE_SIZE : 0;
}
