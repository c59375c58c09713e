/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP codecs (PROTOCOL.md §5.1 layout, §5.2 kernel conversions, §5.4 pool
 * records, §11.1-§11.3 and §11.26 quirks).
 *
 * The layouts are reached only through the offset constants of kvp.h and
 * the accessors of wire.h.  Decoders copy strings into fixed arrays after
 * checking that the terminator lies inside both the declared size and the
 * field; nothing is allocated.  The hv_kvp_kernel_* functions work on a
 * zero-padded private copy of the host payload so that the kernel's habit
 * of reading past what the host sent (recv_len is never checked) becomes
 * "reads zeros" instead of an out-of-bounds read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/macros.h"
#include "base/string-table.h"
#include "base/utf16.h"
#include "proto/hv-status.h"
#include "proto/kvp.h"
#include "proto/wire.h"

static const char *const hv_kvp_op_table[_HV_KVP_OP_MAX] = {
	[HV_KVP_OP_GET] = "get",
	[HV_KVP_OP_SET] = "set",
	[HV_KVP_OP_DELETE] = "delete",
	[HV_KVP_OP_ENUMERATE] = "enumerate",
	[HV_KVP_OP_GET_IP_INFO] = "get-ip-info",
	[HV_KVP_OP_SET_IP_INFO] = "set-ip-info",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_kvp_op, enum hv_kvp_op);

static const char *const hv_kvp_pool_table[_HV_KVP_POOL_MAX] = {
	[HV_KVP_POOL_EXTERNAL] = "external",
	[HV_KVP_POOL_GUEST] = "guest",
	[HV_KVP_POOL_AUTO] = "auto",
	[HV_KVP_POOL_AUTO_EXTERNAL] = "auto-external",
	[HV_KVP_POOL_AUTO_INTERNAL] = "auto-internal",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_kvp_pool, enum hv_kvp_pool);

static const char *const hv_kvp_value_type_table[_HV_KVP_VALUE_TYPE_MAX] = {
	[HV_KVP_REG_SZ] = "REG_SZ",
	[HV_KVP_REG_U32] = "REG_U32",
	[HV_KVP_REG_U64] = "REG_U64",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_kvp_value_type, enum hv_kvp_value_type);

/* Whole IC payload the kernel conversions work on. */
#define KVP_PAYLOAD_SIZE (HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE)

/* IP fields: offset inside hv_kvp_ipaddr_value and size in UTF-16 units. */
static const struct {
	size_t off;
	size_t units;
	size_t info_off; /* offsetof in struct hv_kvp_ip_info */
	size_t reply_off; /* offsetof in struct hv_kvp_wire_ip_reply */
	size_t reply_size;
} ip_fields[] = {
#define IP_FIELD(name, off, units)                                                                   \
	{ (off), (units), offsetof(struct hv_kvp_ip_info, name), offsetof(struct hv_kvp_wire_ip_reply, name), \
	  sizeof(((struct hv_kvp_wire_ip_reply *)0)->name) }
	IP_FIELD(adapter_id, HV_KVP_IPVAL_OFF_ADAPTER_ID, HV_KVP_MAX_ADAPTER_ID_SIZE),
	IP_FIELD(ip_addr, HV_KVP_IPVAL_OFF_IP_ADDR, HV_KVP_MAX_IP_ADDR_SIZE),
	IP_FIELD(sub_net, HV_KVP_IPVAL_OFF_SUB_NET, HV_KVP_MAX_IP_ADDR_SIZE),
	IP_FIELD(gate_way, HV_KVP_IPVAL_OFF_GATE_WAY, HV_KVP_MAX_GATEWAY_SIZE),
	IP_FIELD(dns_addr, HV_KVP_IPVAL_OFF_DNS_ADDR, HV_KVP_MAX_IP_ADDR_SIZE),
#undef IP_FIELD
};

static bool pool_op(uint8_t op)
{
	return op == HV_KVP_OP_GET || op == HV_KVP_OP_SET || op == HV_KVP_OP_DELETE ||
	       op == HV_KVP_OP_ENUMERATE;
}

/*
 * Copy a UTF-8 string out of an ABI field: the NUL must lie inside the
 * first `limit` bytes (limit <= field size), the text must be valid UTF-8,
 * dst_size must exceed the text.
 */
static int take_string(const uint8_t *field, size_t limit, char *dst, size_t dst_size, size_t *ret_len)
{
	const uint8_t *nul = memchr(field, '\0', limit);
	size_t n;

	if (!nul)
		return -EBADMSG;
	n = (size_t)(nul - field);
	if (n >= dst_size)
		return -EBADMSG;
	if (!hv_utf8_is_valid((const char *)field, n))
		return -EBADMSG;
	memcpy(dst, field, n);
	dst[n] = '\0';
	if (ret_len)
		*ret_len = n;
	return 0;
}

/* A string with an ABI size word: size in 1..max and NUL inside it. */
static int take_sized_string(const uint8_t *field, uint32_t size, size_t max, char *dst, size_t dst_size)
{
	if (size == 0 || size > max)
		return -EBADMSG;
	return take_string(field, size, dst, dst_size, NULL);
}

/* Put a NUL-terminated string into a field; -E2BIG unless it fits with its NUL. */
static int put_string(uint8_t *field, size_t field_size, const char *s, uint32_t *ret_size)
{
	size_t n = strnlen(s, field_size);

	if (n >= field_size)
		return -E2BIG;
	memcpy(field, s, n + 1);
	if (ret_size)
		*ret_size = (uint32_t)(n + 1);
	return 0;
}

/* ---------------------------------------------------------------------
 * (a) daemon ABI
 * --------------------------------------------------------------------- */

static int decode_ip(const uint8_t *ipval, bool all, struct hv_kvp_ip_info *ip)
{
	ip->addr_family = ipval[HV_KVP_IPVAL_OFF_ADDR_FAMILY];
	for (size_t i = 0; i < ELEMENTSOF(ip_fields); i++) {
		char *dst = (char *)ip + ip_fields[i].info_off;
		int r;

		if (!all && ip_fields[i].off != HV_KVP_IPVAL_OFF_ADAPTER_ID)
			continue;
		r = take_string(ipval + ip_fields[i].off, 2 * ip_fields[i].units, dst, 2 * ip_fields[i].units, NULL);
		if (r < 0)
			return r;
	}
	if (all)
		ip->dhcp_enabled = ipval[HV_KVP_IPVAL_OFF_DHCP_ENABLED];
	return 0;
}

int hv_kvp_msg_decode(const uint8_t *buf, size_t len, struct hv_kvp_msg *ret)
{
	static const struct hv_kvp_msg zero;
	struct hv_kvp_msg m = zero;
	int r = 0;

	if (!buf || len < HV_KVP_MSG_SIZE)
		return -EBADMSG;

	m.op = buf[HV_KVP_OFF_OPERATION];
	m.pool = buf[HV_KVP_OFF_POOL];
	m.error = hv_get_le32(buf + HV_KVP_OFF_ERROR);
	if (pool_op(m.op) && m.pool >= HV_KVP_POOL_COUNT)
		return -EBADMSG;

	switch (m.op) {
	case HV_KVP_OP_GET:
	case HV_KVP_OP_SET:
		m.value_type = hv_get_le32(buf + HV_KVP_OFF_SET_VALUE_TYPE);
		m.key_size = hv_get_le32(buf + HV_KVP_OFF_SET_KEY_SIZE);
		m.value_size = hv_get_le32(buf + HV_KVP_OFF_SET_VALUE_SIZE);
		r = take_sized_string(buf + HV_KVP_OFF_SET_KEY, m.key_size, HV_KVP_EXCHANGE_MAX_KEY_SIZE, m.key,
				      sizeof(m.key));
		if (r < 0)
			return r;
		if (m.value_size > HV_KVP_EXCHANGE_MAX_VALUE_SIZE)
			return -EBADMSG;
		/* GET carries value_size 0 (§5.2); a SET with 0 is an empty value. */
		if (m.op == HV_KVP_OP_SET && m.value_size > 0)
			r = take_string(buf + HV_KVP_OFF_SET_VALUE, m.value_size, m.value, sizeof(m.value), NULL);
		break;
	case HV_KVP_OP_DELETE:
		m.key_size = hv_get_le32(buf + HV_KVP_OFF_DELETE_KEY_SIZE);
		r = take_sized_string(buf + HV_KVP_OFF_DELETE_KEY, m.key_size, HV_KVP_EXCHANGE_MAX_KEY_SIZE, m.key,
				      sizeof(m.key));
		break;
	case HV_KVP_OP_ENUMERATE:
		m.index = hv_get_le32(buf + HV_KVP_OFF_ENUM_INDEX);
		/* The reference daemon compares it as int (§11.2): refuse what
		 * it would have turned negative; no pool gets that big. */
		if (m.index > INT32_MAX)
			return -EBADMSG;
		break;
	case HV_KVP_OP_GET_IP_INFO:
		r = decode_ip(buf + HV_KVP_OFF_IP_VAL, false, &m.ip);
		break;
	case HV_KVP_OP_SET_IP_INFO:
		r = decode_ip(buf + HV_KVP_OFF_IP_VAL, true, &m.ip);
		break;
	default:
		/* Unknown op: forwarded by the kernel with no body. */
		break;
	}
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

static int encode_ip(uint8_t *ipval, const struct hv_kvp_ip_info *ip)
{
	ipval[HV_KVP_IPVAL_OFF_ADDR_FAMILY] = ip->addr_family;
	ipval[HV_KVP_IPVAL_OFF_DHCP_ENABLED] = ip->dhcp_enabled;
	for (size_t i = 0; i < ELEMENTSOF(ip_fields); i++) {
		const char *src = (const char *)ip + ip_fields[i].info_off;
		int r = put_string(ipval + ip_fields[i].off, 2 * ip_fields[i].units, src, NULL);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Key and value in the kvp_get/kvp_set layout. */
static int encode_set_body(uint8_t *buf, const struct hv_kvp_msg *m, bool with_value)
{
	uint32_t key_size, value_size = 0;
	int r;

	r = put_string(buf + HV_KVP_OFF_SET_KEY, HV_KVP_EXCHANGE_MAX_KEY_SIZE, m->key, &key_size);
	if (r < 0)
		return r;
	if (with_value) {
		r = put_string(buf + HV_KVP_OFF_SET_VALUE, HV_KVP_EXCHANGE_MAX_VALUE_SIZE, m->value, &value_size);
		if (r < 0)
			return r;
	}
	hv_put_le32(buf + HV_KVP_OFF_SET_VALUE_TYPE, m->value_type);
	hv_put_le32(buf + HV_KVP_OFF_SET_KEY_SIZE, key_size);
	hv_put_le32(buf + HV_KVP_OFF_SET_VALUE_SIZE, value_size);
	return 0;
}

static int encode_delete_body(uint8_t *buf, const struct hv_kvp_msg *m)
{
	uint32_t key_size;
	int r;

	r = put_string(buf + HV_KVP_OFF_DELETE_KEY, HV_KVP_EXCHANGE_MAX_KEY_SIZE, m->key, &key_size);
	if (r < 0)
		return r;
	hv_put_le32(buf + HV_KVP_OFF_DELETE_KEY_SIZE, key_size);
	return 0;
}

int hv_kvp_msg_encode_reply(const struct hv_kvp_msg *m, uint8_t *buf, size_t len)
{
	uint32_t key_size, value_size;
	int r = 0;

	if (!buf || len < HV_KVP_MSG_SIZE)
		return -ENOBUFS;
	memset(buf, 0, HV_KVP_MSG_SIZE);

	switch (m->op) {
	case HV_KVP_OP_ENUMERATE:
		hv_put_le32(buf + HV_KVP_OFF_ENUM_INDEX, m->index);
		r = put_string(buf + HV_KVP_OFF_ENUM_KEY, HV_KVP_EXCHANGE_MAX_KEY_SIZE, m->key, &key_size);
		if (r < 0)
			break;
		r = put_string(buf + HV_KVP_OFF_ENUM_VALUE, HV_KVP_EXCHANGE_MAX_VALUE_SIZE, m->value, &value_size);
		if (r < 0)
			break;
		hv_put_le32(buf + HV_KVP_OFF_ENUM_VALUE_TYPE, m->value_type);
		hv_put_le32(buf + HV_KVP_OFF_ENUM_KEY_SIZE, key_size);
		hv_put_le32(buf + HV_KVP_OFF_ENUM_VALUE_SIZE, value_size);
		break;
	case HV_KVP_OP_GET:
	case HV_KVP_OP_SET:
		/* kvp_get position (528) for GET: see the quirk in kvp.h. */
		r = encode_set_body(buf, m, true);
		break;
	case HV_KVP_OP_DELETE:
		r = encode_delete_body(buf, m);
		break;
	case HV_KVP_OP_GET_IP_INFO:
	case HV_KVP_OP_SET_IP_INFO:
		r = encode_ip(buf + HV_KVP_OFF_IP_VAL, &m->ip);
		break;
	default:
		break;
	}
	if (r < 0)
		return r;
	/* Last: the error overwrites op and pool, as in the reference daemon. */
	hv_put_le32(buf + HV_KVP_OFF_ERROR, m->error);
	return HV_KVP_MSG_SIZE;
}

int hv_kvp_msg_encode_request(const struct hv_kvp_msg *m, uint8_t *buf, size_t len)
{
	int r = 0;

	if (!buf || len < HV_KVP_MSG_SIZE)
		return -ENOBUFS;
	memset(buf, 0, HV_KVP_MSG_SIZE);
	buf[HV_KVP_OFF_OPERATION] = m->op;
	buf[HV_KVP_OFF_POOL] = m->pool;

	switch (m->op) {
	case HV_KVP_OP_GET:
		r = encode_set_body(buf, m, false);
		break;
	case HV_KVP_OP_SET:
		r = encode_set_body(buf, m, true);
		break;
	case HV_KVP_OP_DELETE:
		r = encode_delete_body(buf, m);
		break;
	case HV_KVP_OP_ENUMERATE:
		hv_put_le32(buf + HV_KVP_OFF_ENUM_INDEX, m->index);
		break;
	case HV_KVP_OP_GET_IP_INFO:
	case HV_KVP_OP_SET_IP_INFO:
		r = encode_ip(buf + HV_KVP_OFF_IP_VAL, &m->ip);
		break;
	case HV_KVP_OP_REGISTER1:
		r = put_string(buf + HV_KVP_OFF_REGISTER_VERSION, HV_KVP_REGISTER_VERSION_SIZE, m->version, NULL);
		break;
	default:
		break;
	}
	return r < 0 ? r : HV_KVP_MSG_SIZE;
}

int hv_kvp_msg_encode_register(uint8_t op, uint8_t *buf, size_t len)
{
	if (op != HV_KVP_OP_REGISTER && op != HV_KVP_OP_REGISTER1)
		return -EINVAL;
	if (!buf || len < HV_KVP_MSG_SIZE)
		return -ENOBUFS;
	memset(buf, 0, HV_KVP_MSG_SIZE);
	buf[HV_KVP_OFF_OPERATION] = op;
	return HV_KVP_MSG_SIZE;
}

int hv_kvp_msg_decode_register(const uint8_t *buf, size_t len, uint8_t *ret_op, char *ret_version,
			       size_t version_size)
{
	const uint8_t *v;
	const uint8_t *nul;
	size_t n;
	uint8_t op;

	if (!buf || len < HV_KVP_MSG_SIZE)
		return -EBADMSG;
	op = buf[HV_KVP_OFF_OPERATION];
	if (op != HV_KVP_OP_REGISTER && op != HV_KVP_OP_REGISTER1)
		return -EBADMSG;
	v = buf + HV_KVP_OFF_REGISTER_VERSION;
	nul = memchr(v, '\0', HV_KVP_REGISTER_VERSION_SIZE);
	if (!nul)
		return -EBADMSG;
	n = (size_t)(nul - v);
	if (!hv_utf8_is_valid((const char *)v, n))
		return -EBADMSG;
	if (!ret_version || n >= version_size)
		return -ENOBUFS;
	memcpy(ret_version, v, n + 1);
	if (ret_op)
		*ret_op = op;
	return 0;
}

/* ---------------------------------------------------------------------
 * (b) host wire
 * --------------------------------------------------------------------- */

/* Strict UTF-8 -> UTF-16LE into a field of `units` units (NUL included). */
static int put_utf16(uint8_t *field, size_t units, const char *s, uint32_t *ret_size)
{
	int n;

	if (!s)
		s = "";
	n = hv_utf8_to_utf16le(s, strlen(s), field, units);
	if (n == -ENOBUFS)
		return -E2BIG;
	if (n < 0)
		return n;
	if (ret_size)
		*ret_size = 2 * ((uint32_t)n + 1);
	return 0;
}

static bool ip_op(uint8_t op)
{
	return op == HV_KVP_OP_GET_IP_INFO || op == HV_KVP_OP_SET_IP_INFO;
}

int hv_kvp_wire_encode_request(const struct hv_kvp_wire_request *req, const struct hv_icmsg_hdr *hdr,
			       uint8_t *buf, size_t len)
{
	size_t msg_size = ip_op(req->op) ? HV_KVP_IP_MSG_SIZE : HV_KVP_MSG_SIZE;
	size_t total = HV_ICMSG_HDR_SIZE + msg_size;
	struct hv_icmsg_hdr h = *hdr;
	uint32_t key_size = 0, value_size = 0;
	uint8_t *p;
	int r = 0;

	if (!buf || len < total)
		return -ENOBUFS;
	memset(buf, 0, total);
	h.type = HV_ICMSG_TYPE_KVPEXCHANGE;
	h.icmsgsize = (uint16_t)msg_size;
	h.pipe_msgsize = (uint32_t)(HV_ICMSG_HDR_ONLY_SIZE + msg_size);
	(void)hv_icmsg_write(buf, len, &h);

	p = buf + HV_ICMSG_HDR_SIZE;
	p[HV_KVP_OFF_OPERATION] = req->op;
	p[HV_KVP_OFF_POOL] = req->pool;

	switch (req->op) {
	case HV_KVP_OP_GET:
		r = put_utf16(p + HV_KVP_OFF_SET_KEY, HV_KVP_EXCHANGE_MAX_KEY_SIZE / 2, req->key, &key_size);
		hv_put_le32(p + HV_KVP_OFF_SET_KEY_SIZE, key_size);
		break;
	case HV_KVP_OP_SET:
		r = put_utf16(p + HV_KVP_OFF_SET_KEY, HV_KVP_EXCHANGE_MAX_KEY_SIZE / 2, req->key, &key_size);
		if (r < 0)
			break;
		switch (req->value_type) {
		case HV_KVP_REG_SZ:
			r = put_utf16(p + HV_KVP_OFF_SET_VALUE, HV_KVP_EXCHANGE_MAX_VALUE_SIZE / 2, req->value,
				      &value_size);
			break;
		case HV_KVP_REG_U32:
			hv_put_le32(p + HV_KVP_OFF_SET_VALUE, (uint32_t)req->value_u64);
			value_size = sizeof(uint32_t);
			break;
		case HV_KVP_REG_U64:
			hv_put_le64(p + HV_KVP_OFF_SET_VALUE, req->value_u64);
			value_size = sizeof(uint64_t);
			break;
		default:
			r = -EINVAL;
			break;
		}
		hv_put_le32(p + HV_KVP_OFF_SET_VALUE_TYPE, req->value_type);
		hv_put_le32(p + HV_KVP_OFF_SET_KEY_SIZE, key_size);
		hv_put_le32(p + HV_KVP_OFF_SET_VALUE_SIZE, value_size);
		break;
	case HV_KVP_OP_DELETE:
		r = put_utf16(p + HV_KVP_OFF_DELETE_KEY, HV_KVP_EXCHANGE_MAX_KEY_SIZE / 2, req->key, &key_size);
		hv_put_le32(p + HV_KVP_OFF_DELETE_KEY_SIZE, key_size);
		break;
	case HV_KVP_OP_ENUMERATE:
		hv_put_le32(p + HV_KVP_OFF_ENUM_INDEX, req->index);
		break;
	case HV_KVP_OP_GET_IP_INFO:
	case HV_KVP_OP_SET_IP_INFO:
		if (!req->ip)
			break;
		p[HV_KVP_IP_MSG_OFF_IP_VAL + HV_KVP_IPVAL_OFF_ADDR_FAMILY] = req->ip->addr_family;
		p[HV_KVP_IP_MSG_OFF_IP_VAL + HV_KVP_IPVAL_OFF_DHCP_ENABLED] = req->ip->dhcp_enabled;
		for (size_t i = 0; i < ELEMENTSOF(ip_fields) && r >= 0; i++)
			r = put_utf16(p + HV_KVP_IP_MSG_OFF_IP_VAL + ip_fields[i].off, ip_fields[i].units,
				      (const char *)req->ip + ip_fields[i].info_off, NULL);
		break;
	default:
		break;
	}
	return r < 0 ? r : (int)total;
}

/* Strict UTF-16LE -> UTF-8 from a field: at most min(size/2, units) units,
 * stopping at NUL. */
static int take_utf16(const uint8_t *field, size_t units, char *dst, size_t dst_size)
{
	int n = hv_utf16le_to_utf8(field, units, dst, dst_size);

	if (n == -ENOBUFS)
		return -EBADMSG; /* cannot happen with the reply's buffer sizes */
	return n < 0 ? n : 0;
}

int hv_kvp_wire_decode_reply(const uint8_t *buf, size_t len, struct hv_kvp_wire_reply *ret)
{
	static const struct hv_kvp_wire_reply zero;
	struct hv_kvp_wire_reply m = zero;
	struct hv_icmsg_hdr h;
	const uint8_t *p;
	int r = 0;

	if (hv_icmsg_parse(buf, len, &h) < 0 || len < HV_ICMSG_HDR_SIZE + 2)
		return -EBADMSG;
	p = buf + HV_ICMSG_HDR_SIZE;
	m.status = h.status;
	m.op = p[HV_KVP_OFF_OPERATION];
	m.pool = p[HV_KVP_OFF_POOL];
	if (m.status != HV_S_OK)
		goto done;

	switch (m.op) {
	case HV_KVP_OP_ENUMERATE:
		if (len < KVP_PAYLOAD_SIZE)
			return -EBADMSG;
		m.value_type = hv_get_le32(p + HV_KVP_OFF_ENUM_VALUE_TYPE);
		m.key_size = hv_get_le32(p + HV_KVP_OFF_ENUM_KEY_SIZE);
		m.value_size = hv_get_le32(p + HV_KVP_OFF_ENUM_VALUE_SIZE);
		if (m.key_size > HV_KVP_EXCHANGE_MAX_KEY_SIZE || m.value_size > HV_KVP_EXCHANGE_MAX_VALUE_SIZE)
			return -EBADMSG;
		r = take_utf16(p + HV_KVP_OFF_ENUM_KEY, m.key_size / 2, m.key, sizeof(m.key));
		if (r >= 0)
			r = take_utf16(p + HV_KVP_OFF_ENUM_VALUE, m.value_size / 2, m.value, sizeof(m.value));
		break;
	case HV_KVP_OP_GET:
		if (len < KVP_PAYLOAD_SIZE)
			return -EBADMSG;
		m.value_type = hv_get_le32(p + HV_KVP_OFF_SET_VALUE_TYPE);
		m.key_size = hv_get_le32(p + HV_KVP_OFF_SET_KEY_SIZE);
		m.value_size = hv_get_le32(p + HV_KVP_OFF_SET_VALUE_SIZE);
		if (m.key_size > HV_KVP_EXCHANGE_MAX_KEY_SIZE || m.value_size > HV_KVP_EXCHANGE_MAX_VALUE_SIZE)
			return -EBADMSG;
		r = take_utf16(p + HV_KVP_OFF_SET_KEY, m.key_size / 2, m.key, sizeof(m.key));
		if (r >= 0)
			r = take_utf16(p + HV_KVP_OFF_SET_VALUE, m.value_size / 2, m.value, sizeof(m.value));
		break;
	case HV_KVP_OP_GET_IP_INFO: {
		const uint8_t *ipval = p + HV_KVP_IP_MSG_OFF_IP_VAL;

		if (len < HV_ICMSG_HDR_SIZE + HV_KVP_IP_MSG_SIZE)
			return -EBADMSG;
		m.ip.addr_family = ipval[HV_KVP_IPVAL_OFF_ADDR_FAMILY];
		m.ip.dhcp_enabled = ipval[HV_KVP_IPVAL_OFF_DHCP_ENABLED];
		for (size_t i = 0; i < ELEMENTSOF(ip_fields) && r >= 0; i++)
			r = take_utf16(ipval + ip_fields[i].off, ip_fields[i].units,
				       (char *)&m.ip + ip_fields[i].reply_off, ip_fields[i].reply_size);
		break;
	}
	default:
		break;
	}
	if (r < 0)
		return r;
done:
	*ret = m;
	return 0;
}

/* ---------------------------------------------------------------------
 * (c) the kernel's conversions
 * --------------------------------------------------------------------- */

/*
 * The kernel passes the host's size word (bytes) as the unit count of
 * the source (§5.2 quirk); the converter stops at NUL, and past the field
 * our zero-padded copy reads zeros.  Bound the count by what is there.
 */
static size_t src_units(size_t field_off, uint64_t count)
{
	size_t avail = (KVP_PAYLOAD_SIZE - HV_ICMSG_HDR_SIZE - field_off) / 2;

	return count < avail ? (size_t)count : avail;
}

/* Key conversion as kvp_send_key() does it: at most 511 bytes, size = n + 1. */
static void kernel_key(const uint8_t *in, size_t in_key_off, size_t in_size_off, uint8_t *out,
		       size_t out_key_off, size_t out_size_off)
{
	uint32_t host_size = hv_get_le32(in + in_size_off);
	size_t n = hv_wire_kernel_utf16_to_utf8(in + in_key_off, src_units(in_key_off, host_size),
						(char *)out + out_key_off, HV_KVP_EXCHANGE_MAX_KEY_SIZE - 1);

	hv_put_le32(out + out_size_off, (uint32_t)n + 1);
}

int hv_kvp_kernel_request_to_daemon(const uint8_t *buf, size_t len, uint8_t *out, size_t out_len)
{
	uint8_t padded[KVP_PAYLOAD_SIZE] = { 0 };
	const uint8_t *in = padded + HV_ICMSG_HDR_SIZE;
	uint8_t op;

	if (!buf || len < HV_ICMSG_HDR_SIZE)
		return -EBADMSG;
	if (!out || out_len < HV_KVP_MSG_SIZE)
		return -ENOBUFS;
	memcpy(padded, buf, HV_MIN(len, sizeof(padded)));
	memset(out, 0, HV_KVP_MSG_SIZE);

	op = in[HV_KVP_OFF_OPERATION];
	out[HV_KVP_OFF_OPERATION] = op;
	out[HV_KVP_OFF_POOL] = in[HV_KVP_OFF_POOL]; /* not validated (§11.1) */

	switch (op) {
	case HV_KVP_OP_SET_IP_INFO:
	case HV_KVP_OP_GET_IP_INFO: {
		const uint8_t *ipin = in + HV_KVP_IP_MSG_OFF_IP_VAL;
		uint8_t *ipout = out + HV_KVP_OFF_IP_VAL;

		/* GET passes only adapter_id and addr_family; output limits
		 * are the unit counts taken as byte counts, as in the kernel. */
		for (size_t i = 0; i < ELEMENTSOF(ip_fields); i++) {
			if (op == HV_KVP_OP_GET_IP_INFO && ip_fields[i].off != HV_KVP_IPVAL_OFF_ADAPTER_ID)
				continue;
			(void)hv_wire_kernel_utf16_to_utf8(ipin + ip_fields[i].off, ip_fields[i].units,
							   (char *)ipout + ip_fields[i].off, ip_fields[i].units);
		}
		if (op == HV_KVP_OP_SET_IP_INFO)
			ipout[HV_KVP_IPVAL_OFF_DHCP_ENABLED] = ipin[HV_KVP_IPVAL_OFF_DHCP_ENABLED];
		ipout[HV_KVP_IPVAL_OFF_ADDR_FAMILY] = ipin[HV_KVP_IPVAL_OFF_ADDR_FAMILY];
		break;
	}
	case HV_KVP_OP_SET: {
		/* value_type itself is NOT passed on: the daemon sees 0. */
		uint32_t type = hv_get_le32(in + HV_KVP_OFF_SET_VALUE_TYPE);
		char *value = (char *)out + HV_KVP_OFF_SET_VALUE;
		size_t n = 0;
		bool have = true;
		int k;

		switch (type) {
		case HV_KVP_REG_SZ:
			n = hv_wire_kernel_utf16_to_utf8(
				in + HV_KVP_OFF_SET_VALUE,
				src_units(HV_KVP_OFF_SET_VALUE, hv_get_le32(in + HV_KVP_OFF_SET_VALUE_SIZE)), value,
				HV_KVP_EXCHANGE_MAX_VALUE_SIZE - 1);
			break;
		case HV_KVP_REG_U32:
			k = snprintf(value, HV_KVP_EXCHANGE_MAX_VALUE_SIZE, "%" PRIu32,
				     hv_get_le32(in + HV_KVP_OFF_SET_VALUE));
			n = k > 0 ? (size_t)k : 0;
			break;
		case HV_KVP_REG_U64:
			k = snprintf(value, HV_KVP_EXCHANGE_MAX_VALUE_SIZE, "%" PRIu64,
				     hv_get_le64(in + HV_KVP_OFF_SET_VALUE));
			n = k > 0 ? (size_t)k : 0;
			break;
		default:
			have = false; /* no case in the kernel: value_size stays 0 */
			break;
		}
		if (have)
			hv_put_le32(out + HV_KVP_OFF_SET_VALUE_SIZE, (uint32_t)n + 1);
		kernel_key(in, HV_KVP_OFF_SET_KEY, HV_KVP_OFF_SET_KEY_SIZE, out, HV_KVP_OFF_SET_KEY,
			   HV_KVP_OFF_SET_KEY_SIZE);
		break;
	}
	case HV_KVP_OP_GET:
		/* Key only: value_size stays 0, which is why GET answers ""
		 * with the reference daemon (§11.3). */
		kernel_key(in, HV_KVP_OFF_SET_KEY, HV_KVP_OFF_SET_KEY_SIZE, out, HV_KVP_OFF_SET_KEY,
			   HV_KVP_OFF_SET_KEY_SIZE);
		break;
	case HV_KVP_OP_DELETE:
		kernel_key(in, HV_KVP_OFF_DELETE_KEY, HV_KVP_OFF_DELETE_KEY_SIZE, out, HV_KVP_OFF_DELETE_KEY,
			   HV_KVP_OFF_DELETE_KEY_SIZE);
		break;
	case HV_KVP_OP_ENUMERATE:
		hv_put_le32(out + HV_KVP_OFF_ENUM_INDEX, hv_get_le32(in + HV_KVP_OFF_ENUM_INDEX));
		break;
	default:
		break;
	}
	return HV_KVP_MSG_SIZE;
}

/*
 * utf8s_to_utf16s() of a NUL-terminated daemon string (bounded by the end
 * of the daemon message) into the host's field; returns its int result
 * (-EINVAL, not -EILSEQ, on bad UTF-8, since that value reaches the host
 * through key_size/value_size).
 */
static int kernel_to_utf16(const uint8_t *reply, size_t off, uint8_t *dst, size_t maxout)
{
	int n = hv_wire_kernel_utf8_to_utf16((const char *)reply + off, HV_KVP_MSG_SIZE - off, dst, maxout);

	return n < 0 ? -EINVAL : n;
}

int hv_kvp_kernel_reply_to_host(uint8_t *buf, size_t len, const uint8_t *reply, size_t reply_len,
				uint8_t registered_op, uint32_t *ret_status)
{
	uint8_t padded[KVP_PAYLOAD_SIZE] = { 0 };
	uint8_t *host = padded + HV_ICMSG_HDR_SIZE;
	uint32_t status;
	int keylen = 0, valuelen;
	size_t value_off, value_size_off, type_off;

	if (!buf || len < HV_ICMSG_HDR_SIZE || !reply || reply_len < HV_KVP_MSG_SIZE)
		return -EBADMSG;
	if (registered_op != HV_KVP_OP_REGISTER && registered_op != HV_KVP_OP_REGISTER1)
		return -EINVAL;
	memcpy(padded, buf, HV_MIN(len, sizeof(padded)));

	if (registered_op == HV_KVP_OP_REGISTER1)
		status = hv_get_le32(reply + HV_KVP_OFF_ERROR);
	else /* legacy: an empty enum_data key means "no more" */
		status = reply[HV_KVP_OFF_ENUM_KEY] == '\0' ? HV_S_CONT : HV_S_OK;
	hv_put_le32(padded + HV_ICMSG_OFF_STATUS, status);
	if (status != HV_S_OK)
		goto done;

	switch (host[HV_KVP_OFF_OPERATION]) {
	case HV_KVP_OP_GET_IP_INFO: {
		uint8_t *ipout = host + HV_KVP_IP_MSG_OFF_IP_VAL;
		const uint8_t *ipin = reply + HV_KVP_OFF_IP_VAL;
		/* The kernel's order: adapter_id comes last. */
		static const size_t order[] = { 1, 2, 3, 4, 0 };

		for (size_t i = 0; i < ELEMENTSOF(order); i++) {
			size_t f = order[i];

			if (kernel_to_utf16(reply, HV_KVP_OFF_IP_VAL + ip_fields[f].off, ipout + ip_fields[f].off,
					    ip_fields[f].units) < 0) {
				status = HV_E_FAIL;
				break;
			}
		}
		if (status == HV_S_OK) {
			ipout[HV_KVP_IPVAL_OFF_DHCP_ENABLED] = ipin[HV_KVP_IPVAL_OFF_DHCP_ENABLED];
			ipout[HV_KVP_IPVAL_OFF_ADDR_FAMILY] = ipin[HV_KVP_IPVAL_OFF_ADDR_FAMILY];
		}
		goto set_status;
	}
	case HV_KVP_OP_SET_IP_INFO:
	case HV_KVP_OP_SET:
	case HV_KVP_OP_DELETE:
		goto done;
	case HV_KVP_OP_GET:
		/* Host side in the kvp_get layout, key left alone ... */
		value_off = HV_KVP_OFF_SET_VALUE;
		value_size_off = HV_KVP_OFF_SET_VALUE_SIZE;
		type_off = HV_KVP_OFF_SET_VALUE_TYPE;
		break;
	default:
		/* ENUMERATE, and any op the kernel does not know. */
		value_off = HV_KVP_OFF_ENUM_VALUE;
		value_size_off = HV_KVP_OFF_ENUM_VALUE_SIZE;
		type_off = HV_KVP_OFF_ENUM_VALUE_TYPE;
		keylen = kernel_to_utf16(reply, HV_KVP_OFF_ENUM_KEY, host + HV_KVP_OFF_ENUM_KEY,
					 HV_KVP_EXCHANGE_MAX_KEY_SIZE / 2 - 2);
		hv_put_le32(host + HV_KVP_OFF_ENUM_KEY_SIZE, 2 * ((uint32_t)keylen + 1));
		break;
	}

	/*
	 * ... but the value always comes from the daemon's kvp_enum_data
	 * position (offset 532), also for GET, whose daemon reply carries it
	 * at the kvp_get position 528.  This is the GET quirk of §5.2/§11.3,
	 * reproduced on purpose.
	 */
	valuelen = kernel_to_utf16(reply, HV_KVP_OFF_ENUM_VALUE, host + value_off,
				   HV_KVP_EXCHANGE_MAX_VALUE_SIZE / 2 - 2);
	hv_put_le32(host + value_size_off, 2 * ((uint32_t)valuelen + 1));
	if (keylen < 0 || valuelen < 0)
		status = HV_E_FAIL;
	hv_put_le32(host + type_off, HV_KVP_REG_SZ);

set_status:
	hv_put_le32(padded + HV_ICMSG_OFF_STATUS, status);
done:
	padded[HV_ICMSG_OFF_FLAGS] = HV_ICMSG_FLAGS_REPLY;
	memcpy(buf, padded, HV_MIN(len, sizeof(padded)));
	if (ret_status)
		*ret_status = status;
	return 0;
}

int hv_kvp_kernel_handshake(const uint8_t *write_buf, size_t write_len, uint8_t *out, size_t out_len,
			    uint8_t *ret_registered_op)
{
	uint8_t op;

	if (!write_buf || write_len < HV_KVP_MSG_SIZE)
		return -EINVAL;
	op = write_buf[HV_KVP_OFF_OPERATION];
	if (op != HV_KVP_OP_REGISTER && op != HV_KVP_OP_REGISTER1)
		return -EINVAL;
	if (!out || out_len < HV_KVP_MSG_SIZE)
		return -ENOBUFS;
	memset(out, 0, HV_KVP_MSG_SIZE);
	out[HV_KVP_OFF_OPERATION] = op;
	memcpy(out + HV_KVP_OFF_REGISTER_VERSION, HV_KVP_KERNEL_VERSION_STRING,
	       sizeof(HV_KVP_KERNEL_VERSION_STRING));
	if (ret_registered_op)
		*ret_registered_op = op;
	return HV_KVP_MSG_SIZE;
}

/* ---------------------------------------------------------------------
 * (d) pool records
 * --------------------------------------------------------------------- */

int hv_kvp_record_encode(uint8_t *rec, size_t rec_len, const char *key, size_t key_len, const char *value,
			 size_t value_len)
{
	if (!rec || rec_len < HV_KVP_RECORD_SIZE)
		return -ENOBUFS;
	if (key_len >= HV_KVP_RECORD_KEY_SIZE || value_len >= HV_KVP_RECORD_VALUE_SIZE)
		return -E2BIG;
	if ((key_len && memchr(key, '\0', key_len)) || (value_len && memchr(value, '\0', value_len)))
		return -EINVAL;
	if ((key_len && !hv_utf8_is_valid(key, key_len)) || (value_len && !hv_utf8_is_valid(value, value_len)))
		return -EILSEQ;
	memset(rec, 0, HV_KVP_RECORD_SIZE);
	if (key_len)
		memcpy(rec + HV_KVP_RECORD_OFF_KEY, key, key_len);
	if (value_len)
		memcpy(rec + HV_KVP_RECORD_OFF_VALUE, value, value_len);
	return HV_KVP_RECORD_SIZE;
}

static int record_decode(const uint8_t *rec, size_t rec_len, bool check_utf8, struct hv_kvp_record *ret)
{
	const uint8_t *k, *v, *kn, *vn;
	size_t kl, vl;

	if (!rec || rec_len < HV_KVP_RECORD_SIZE)
		return -EBADMSG;
	k = rec + HV_KVP_RECORD_OFF_KEY;
	v = rec + HV_KVP_RECORD_OFF_VALUE;
	kn = memchr(k, '\0', HV_KVP_RECORD_KEY_SIZE);
	vn = memchr(v, '\0', HV_KVP_RECORD_VALUE_SIZE);
	if (!kn || !vn)
		return -EBADMSG;
	kl = (size_t)(kn - k);
	vl = (size_t)(vn - v);
	if (check_utf8 && (!hv_utf8_is_valid((const char *)k, kl) || !hv_utf8_is_valid((const char *)v, vl)))
		return -EILSEQ;
	/* Copy only up to the NULs: the tails are stale bytes (§11.6). */
	memcpy(ret->key, k, kl);
	memset(ret->key + kl, 0, sizeof(ret->key) - kl);
	memcpy(ret->value, v, vl);
	memset(ret->value + vl, 0, sizeof(ret->value) - vl);
	ret->key_len = kl;
	ret->value_len = vl;
	return 0;
}

int hv_kvp_record_decode(const uint8_t *rec, size_t rec_len, struct hv_kvp_record *ret)
{
	return record_decode(rec, rec_len, true, ret);
}

int hv_kvp_record_decode_raw(const uint8_t *rec, size_t rec_len, struct hv_kvp_record *ret)
{
	return record_decode(rec, rec_len, false, ret);
}
