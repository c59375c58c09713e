/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/kvp: daemon ABI (PROTOCOL.md §5.1), host wire, the kernel's
 * conversions (§5.2) with their quirks (§11.1-§11.3, §11.26), and pool
 * records (§5.4).  Buffers are built byte by byte at the documented
 * offsets, so a wrong offset in the codec cannot hide behind a matching
 * wrong offset in the test.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/kvp.h"
#include "proto/wire.h"

/*
 * Criterion hands parameters to a re-executed test process, where pointers
 * taken in the parent are not valid: tests get an index into a static table.
 */
#define PARAM_INDICES(table)                                                 \
	do {                                                                 \
		static size_t idx_[ELEMENTSOF(table)];                       \
		for (size_t i_ = 0; i_ < ELEMENTSOF(table); i_++)            \
			idx_[i_] = i_;                                       \
		return cr_make_param_array(size_t, idx_, ELEMENTSOF(idx_));  \
	} while (0)

#define P HV_ICMSG_HDR_SIZE /* KVP data starts here in a host payload */
#define PAYLOAD (HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE)

/* ASCII/Latin-1 text as UTF-16LE units, NUL included. */
static void put_u16s(uint8_t *p, const char *s)
{
	size_t i = 0;

	for (; s[i]; i++)
		hv_put_le16(p + 2 * i, (uint8_t)s[i]);
	hv_put_le16(p + 2 * i, 0);
}

/* UTF-16LE units (ASCII only) back to text, up to NUL or max units. */
static char *get_u16s(const uint8_t *p, size_t max, char *out)
{
	size_t i = 0;

	for (; i < max; i++) {
		uint16_t u = hv_get_le16(p + 2 * i);

		if (!u)
			break;
		out[i] = u < 0x80 ? (char)u : '?';
	}
	out[i] = '\0';
	return out;
}

static struct hv_icmsg_hdr request_hdr(void)
{
	struct hv_icmsg_hdr h;

	hv_icmsg_hdr_init_request(&h, HV_ICMSG_TYPE_KVPEXCHANGE, HV_IC_VERSION(3, 0), HV_IC_VERSION(4, 0), 0, 1);
	return h;
}

/* ------------------------------------------------------------------ */
/* layout */

struct offset_case {
	const char *name;
	size_t value;
	size_t want;
};

static struct offset_case offset_cases[] = {
	{ "HV_KVP_MSG_SIZE", HV_KVP_MSG_SIZE, 7432 },
	{ "HV_KVP_MSG_BODY_SIZE", HV_KVP_MSG_BODY_SIZE, 7428 },
	{ "HV_KVP_IP_MSG_SIZE", HV_KVP_IP_MSG_SIZE, 7428 },
	{ "HV_KVP_IPADDR_VALUE_SIZE", HV_KVP_IPADDR_VALUE_SIZE, 7426 },
	{ "HV_KVP_EXCHG_MSG_VALUE_SIZE", HV_KVP_EXCHG_MSG_VALUE_SIZE, 2572 },
	{ "HV_KVP_RECORD_SIZE", HV_KVP_RECORD_SIZE, 2560 },
	{ "HV_KVP_RECORD_OFF_VALUE", HV_KVP_RECORD_OFF_VALUE, 512 },
	{ "HV_KVP_OFF_BODY", HV_KVP_OFF_BODY, 4 },
	{ "set value_type", HV_KVP_OFF_SET_VALUE_TYPE, 4 },
	{ "set key_size", HV_KVP_OFF_SET_KEY_SIZE, 8 },
	{ "set value_size", HV_KVP_OFF_SET_VALUE_SIZE, 12 },
	{ "set key", HV_KVP_OFF_SET_KEY, 16 },
	{ "set value", HV_KVP_OFF_SET_VALUE, 528 },
	{ "enum index", HV_KVP_OFF_ENUM_INDEX, 4 },
	{ "enum value_type", HV_KVP_OFF_ENUM_VALUE_TYPE, 8 },
	{ "enum key_size", HV_KVP_OFF_ENUM_KEY_SIZE, 12 },
	{ "enum value_size", HV_KVP_OFF_ENUM_VALUE_SIZE, 16 },
	{ "enum key", HV_KVP_OFF_ENUM_KEY, 20 },
	{ "enum value", HV_KVP_OFF_ENUM_VALUE, 532 },
	{ "delete key_size", HV_KVP_OFF_DELETE_KEY_SIZE, 4 },
	{ "delete key", HV_KVP_OFF_DELETE_KEY, 8 },
	{ "register version", HV_KVP_OFF_REGISTER_VERSION, 4 },
	{ "msg adapter_id", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_ADAPTER_ID, 4 },
	{ "msg addr_family", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_ADDR_FAMILY, 260 },
	{ "msg dhcp_enabled", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_DHCP_ENABLED, 261 },
	{ "msg ip_addr", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_IP_ADDR, 262 },
	{ "msg sub_net", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_SUB_NET, 2310 },
	{ "msg gate_way", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_GATE_WAY, 4358 },
	{ "msg dns_addr", HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_DNS_ADDR, 5382 },
	{ "ipval dns end", HV_KVP_IPVAL_OFF_DNS_ADDR + 2 * HV_KVP_MAX_IP_ADDR_SIZE, 7426 },
	{ "ip_msg adapter_id", HV_KVP_IP_MSG_OFF_IP_VAL + HV_KVP_IPVAL_OFF_ADAPTER_ID, 2 },
	{ "ip_msg ip_addr", HV_KVP_IP_MSG_OFF_IP_VAL + HV_KVP_IPVAL_OFF_IP_ADDR, 260 },
	{ "ip_msg end", HV_KVP_IP_MSG_OFF_IP_VAL + HV_KVP_IPADDR_VALUE_SIZE, 7428 },
	{ "set value end inside body", HV_KVP_OFF_SET_VALUE + HV_KVP_EXCHANGE_MAX_VALUE_SIZE, 2576 },
	{ "enum value end", HV_KVP_OFF_ENUM_VALUE + HV_KVP_EXCHANGE_MAX_VALUE_SIZE, 2580 },
};

ParameterizedTestParameters(kvp, layout)
{
	PARAM_INDICES(offset_cases);
}

ParameterizedTest(size_t *ci, kvp, layout)
{
	const struct offset_case *c = &offset_cases[*ci];

	cr_assert_eq(c->value, c->want, "%s is %zu, want %zu", c->name, c->value, c->want);
}

Test(kvp, enum_strings)
{
	cr_assert_str_eq(hv_kvp_pool_to_string(HV_KVP_POOL_EXTERNAL), "external");
	cr_assert_str_eq(hv_kvp_pool_to_string(HV_KVP_POOL_GUEST), "guest");
	cr_assert_str_eq(hv_kvp_pool_to_string(HV_KVP_POOL_AUTO), "auto");
	cr_assert_str_eq(hv_kvp_pool_to_string(HV_KVP_POOL_AUTO_EXTERNAL), "auto-external");
	cr_assert_str_eq(hv_kvp_pool_to_string(HV_KVP_POOL_AUTO_INTERNAL), "auto-internal");
	cr_assert_null(hv_kvp_pool_to_string((enum hv_kvp_pool)5));
	cr_assert_eq(hv_kvp_pool_from_string("auto-external"), HV_KVP_POOL_AUTO_EXTERNAL);
	cr_assert_eq(hv_kvp_pool_from_string("3"), -EINVAL);
	cr_assert_str_eq(hv_kvp_op_to_string(HV_KVP_OP_SET_IP_INFO), "set-ip-info");
	cr_assert_eq(hv_kvp_op_from_string("enumerate"), HV_KVP_OP_ENUMERATE);
	cr_assert_null(hv_kvp_op_to_string((enum hv_kvp_op)6));
	cr_assert_str_eq(hv_kvp_value_type_to_string(HV_KVP_REG_U64), "REG_U64");
	cr_assert_null(hv_kvp_value_type_to_string((enum hv_kvp_value_type)2));
	cr_assert_eq(hv_kvp_value_type_from_string("REG_U32"), HV_KVP_REG_U32);
	cr_assert_eq(HV_KVP_OP_REGISTER, 4);
	cr_assert_eq(HV_KVP_OP_REGISTER1, 100);
}

/* ------------------------------------------------------------------ */
/* (a) daemon ABI */

static uint8_t *daemon_msg(uint8_t op, uint8_t pool)
{
	uint8_t *b = calloc(1, HV_KVP_MSG_SIZE + 16);

	cr_assert_not_null(b);
	b[0] = op;
	b[1] = pool;
	return b;
}

Test(kvp, decode_set)
{
	uint8_t *b = daemon_msg(HV_KVP_OP_SET, HV_KVP_POOL_GUEST);
	struct hv_kvp_msg m;

	hv_put_le32(b + 8, 4);
	memcpy(b + 16, "foo", 4);
	hv_put_le32(b + 12, 4);
	memcpy(b + 528, "bär", 5);
	hv_put_le32(b + 12, 5);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_eq(m.op, HV_KVP_OP_SET);
	cr_assert_eq(m.pool, HV_KVP_POOL_GUEST);
	cr_assert_str_eq(m.key, "foo");
	cr_assert_str_eq(m.value, "bär");
	cr_assert_eq(m.key_size, 4);
	cr_assert_eq(m.value_size, 5);
	free(b);
}

Test(kvp, decode_get_accepts_value_size_zero)
{
	uint8_t *b = daemon_msg(HV_KVP_OP_GET, HV_KVP_POOL_EXTERNAL);
	struct hv_kvp_msg m;

	hv_put_le32(b + 8, 2);
	memcpy(b + 16, "k", 2);
	memcpy(b + 528, "ignored", 8);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_str_eq(m.key, "k");
	cr_assert_eq(m.value_size, 0);
	cr_assert_str_eq(m.value, "", "a GET request carries no value");
	free(b);
}

Test(kvp, decode_delete_uses_delete_offsets)
{
	uint8_t *b = daemon_msg(HV_KVP_OP_DELETE, HV_KVP_POOL_AUTO_INTERNAL);
	struct hv_kvp_msg m;

	hv_put_le32(b + 4, 6);
	memcpy(b + 8, "gone!", 6);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_str_eq(m.key, "gone!");
	cr_assert_eq(m.pool, 4);
	free(b);
}

Test(kvp, decode_enumerate_index_limits)
{
	uint8_t *b = daemon_msg(HV_KVP_OP_ENUMERATE, HV_KVP_POOL_AUTO);
	struct hv_kvp_msg m = { .index = 1 };

	hv_put_le32(b + 4, 0x7fffffff);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_eq(m.index, 0x7fffffffu);
	hv_put_le32(b + 4, 0x80000000u);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), -EBADMSG, "index >= 2^31 (§11.2)");
	hv_put_le32(b + 4, 0xffffffffu);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), -EBADMSG);
	cr_assert_eq(m.index, 0x7fffffffu, "ret untouched on failure");
	free(b);
}

Test(kvp, decode_ip_info)
{
	uint8_t *b = daemon_msg(HV_KVP_OP_SET_IP_INFO, 0);
	struct hv_kvp_msg m;
	uint8_t *ip = b + HV_KVP_OFF_IP_VAL;

	strcpy((char *)ip + HV_KVP_IPVAL_OFF_ADAPTER_ID, "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");
	ip[HV_KVP_IPVAL_OFF_ADDR_FAMILY] = HV_KVP_ADDR_FAMILY_IPV4;
	ip[HV_KVP_IPVAL_OFF_DHCP_ENABLED] = 1;
	strcpy((char *)ip + HV_KVP_IPVAL_OFF_IP_ADDR, "10.0.0.5;10.0.0.6");
	strcpy((char *)ip + HV_KVP_IPVAL_OFF_SUB_NET, "255.255.255.0;255.255.255.0");
	strcpy((char *)ip + HV_KVP_IPVAL_OFF_GATE_WAY, "10.0.0.1");
	strcpy((char *)ip + HV_KVP_IPVAL_OFF_DNS_ADDR, "10.0.0.2");
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_str_eq(m.ip.adapter_id, "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");
	cr_assert_str_eq(m.ip.ip_addr, "10.0.0.5;10.0.0.6");
	cr_assert_str_eq(m.ip.sub_net, "255.255.255.0;255.255.255.0");
	cr_assert_str_eq(m.ip.gate_way, "10.0.0.1");
	cr_assert_str_eq(m.ip.dns_addr, "10.0.0.2");
	cr_assert_eq(m.ip.addr_family, 1);
	cr_assert_eq(m.ip.dhcp_enabled, 1);

	/* GET_IP_INFO: only adapter_id and addr_family are read; the pool
	 * byte does not matter for IP ops. */
	b[0] = HV_KVP_OP_GET_IP_INFO;
	b[1] = 200;
	memset(ip + HV_KVP_IPVAL_OFF_IP_ADDR, 'x', 2048); /* no NUL: ignored for GET */
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_str_eq(m.ip.ip_addr, "");
	cr_assert_str_eq(m.ip.adapter_id, "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");
	b[0] = HV_KVP_OP_SET_IP_INFO;
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), -EBADMSG, "ip_addr without NUL");
	free(b);
}

Test(kvp, decode_unknown_op_is_header_only)
{
	uint8_t *b = daemon_msg(9, 77);
	struct hv_kvp_msg m;

	memset(b + 4, 0xff, 100);
	cr_assert_eq(hv_kvp_msg_decode(b, HV_KVP_MSG_SIZE, &m), 0);
	cr_assert_eq(m.op, 9);
	cr_assert_eq(m.pool, 77);
	cr_assert_str_eq(m.key, "");
	free(b);
}

enum bad_field { BAD_NONE, BAD_KEY_SIZE, BAD_VALUE_SIZE, BAD_KEY_FILL, BAD_VALUE_FILL, BAD_KEY_BYTES };

struct bad_decode_case {
	const char *what;
	uint8_t op, pool;
	size_t len;
	enum bad_field field;
	uint32_t size;
	const char *bytes;
};

static struct bad_decode_case bad_decode_cases[] = {
	{ "short buffer", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE - 1, BAD_NONE, 0, NULL },
	{ "pool 5 on SET", HV_KVP_OP_SET, 5, HV_KVP_MSG_SIZE, BAD_NONE, 0, NULL },
	{ "pool 5 on GET", HV_KVP_OP_GET, 5, HV_KVP_MSG_SIZE, BAD_NONE, 0, NULL },
	{ "pool 5 on DELETE", HV_KVP_OP_DELETE, 5, HV_KVP_MSG_SIZE, BAD_NONE, 0, NULL },
	{ "pool 255 on ENUMERATE", HV_KVP_OP_ENUMERATE, 255, HV_KVP_MSG_SIZE, BAD_NONE, 0, NULL },
	{ "key_size 0", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_KEY_SIZE, 0, NULL },
	{ "key_size 513", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_KEY_SIZE, 513, NULL },
	{ "key_size 2^32-1", HV_KVP_OP_GET, 0, HV_KVP_MSG_SIZE, BAD_KEY_SIZE, 0xffffffffu, NULL },
	{ "no NUL inside key_size", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_KEY_SIZE, 2, NULL },
	{ "key fills 512 bytes", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_KEY_FILL, 512, NULL },
	{ "value_size 2049", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_VALUE_SIZE, 2049, NULL },
	{ "value_size 2049 on GET", HV_KVP_OP_GET, 0, HV_KVP_MSG_SIZE, BAD_VALUE_SIZE, 2049, NULL },
	{ "no NUL inside value_size", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_VALUE_SIZE, 3, NULL },
	{ "value fills 2048 bytes", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_VALUE_FILL, 2048, NULL },
	{ "invalid UTF-8 key", HV_KVP_OP_SET, 0, HV_KVP_MSG_SIZE, BAD_KEY_BYTES, 0, "a\xff" },
	{ "overlong UTF-8 key", HV_KVP_OP_GET, 0, HV_KVP_MSG_SIZE, BAD_KEY_BYTES, 0, "\xc0\xaf" },
	{ "surrogate in UTF-8 key", HV_KVP_OP_DELETE, 0, HV_KVP_MSG_SIZE, BAD_KEY_BYTES, 0, "\xed\xa0\x80" },
};

ParameterizedTestParameters(kvp, decode_rejects)
{
	PARAM_INDICES(bad_decode_cases);
}

ParameterizedTest(size_t *ci, kvp, decode_rejects)
{
	const struct bad_decode_case *c = &bad_decode_cases[*ci];
	uint8_t *b = daemon_msg(c->op, c->pool);
	bool del = c->op == HV_KVP_OP_DELETE;
	size_t ks = del ? 4 : 8, k = del ? 8 : 16;
	struct hv_kvp_msg m = { .op = 123 };

	/* A valid message first ... */
	hv_put_le32(b + ks, 4);
	memcpy(b + k, "abc", 4);
	if (!del) {
		hv_put_le32(b + 12, 4);
		memcpy(b + 528, "xyz", 4);
	}
	if (c->op == HV_KVP_OP_ENUMERATE)
		memset(b + 4, 0, 16);
	/* ... then the one defect. */
	switch (c->field) {
	case BAD_NONE:
		break;
	case BAD_KEY_SIZE:
		hv_put_le32(b + ks, c->size);
		break;
	case BAD_VALUE_SIZE:
		hv_put_le32(b + 12, c->size);
		break;
	case BAD_KEY_FILL:
		memset(b + k, 'k', 512);
		hv_put_le32(b + ks, c->size);
		break;
	case BAD_VALUE_FILL:
		memset(b + 528, 'v', 2048);
		hv_put_le32(b + 12, c->size);
		break;
	case BAD_KEY_BYTES:
		memset(b + k, 0, 16);
		memcpy(b + k, c->bytes, strlen(c->bytes));
		hv_put_le32(b + ks, (uint32_t)strlen(c->bytes) + 1);
		break;
	}
	cr_assert_eq(hv_kvp_msg_decode(b, c->len, &m), -EBADMSG, "%s", c->what);
	cr_assert_eq(m.op, 123, "%s: ret written on failure", c->what);
	free(b);
}

Test(kvp, encode_reply_enumerate_offsets_and_error_overlap)
{
	struct hv_kvp_msg m = { .op = HV_KVP_OP_ENUMERATE, .pool = 3, .index = 9, .error = HV_S_CONT,
				.value_type = HV_KVP_REG_SZ };
	uint8_t b[HV_KVP_MSG_SIZE];

	strcpy(m.key, "HostName");
	strcpy(m.value, "host-1");
	memset(b, 0xaa, sizeof(b));
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, sizeof(b)), HV_KVP_MSG_SIZE);
	/* error 0x80070103 little-endian clobbers op and pool */
	cr_assert_eq(b[0], 0x03);
	cr_assert_eq(b[1], 0x01);
	cr_assert_eq(b[2], 0x07);
	cr_assert_eq(b[3], 0x80);
	cr_assert_eq(hv_get_le32(b + 4), 9);
	cr_assert_eq(hv_get_le32(b + 8), HV_KVP_REG_SZ);
	cr_assert_eq(hv_get_le32(b + 12), 9, "key_size = strlen + 1");
	cr_assert_eq(hv_get_le32(b + 16), 7);
	cr_assert_str_eq((char *)b + 20, "HostName");
	cr_assert_str_eq((char *)b + 532, "host-1");
	cr_assert_eq(b[HV_KVP_MSG_SIZE - 1], 0, "zero-filled");

	m.error = 0;
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, sizeof(b)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(b), 0, "error 0 leaves op and pool 0");
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, HV_KVP_MSG_SIZE - 1), -ENOBUFS);
}

Test(kvp, encode_reply_get_writes_value_at_kvp_get_offset)
{
	struct hv_kvp_msg m = { .op = HV_KVP_OP_GET, .value_type = HV_KVP_REG_SZ };
	uint8_t b[HV_KVP_MSG_SIZE];

	strcpy(m.key, "k");
	strcpy(m.value, "hello world");
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, sizeof(b)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)b + 528, "hello world");
	cr_assert_eq(hv_get_le32(b + 12), 12);
	cr_assert_str_eq((char *)b + 16, "k");
}

Test(kvp, encode_reply_too_long)
{
	struct hv_kvp_msg m = { .op = HV_KVP_OP_ENUMERATE };
	uint8_t b[HV_KVP_MSG_SIZE];

	memset(m.key, 'k', 511);
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, sizeof(b)), HV_KVP_MSG_SIZE, "511 bytes + NUL fit");
	memset(m.key, 'k', 512);
	m.key[511] = 'k'; /* no NUL inside the 512-byte array */
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, sizeof(b)), -E2BIG);
	m.key[0] = '\0';
	memset(m.value, 'v', sizeof(m.value));
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, b, sizeof(b)), -E2BIG);
}

Test(kvp, request_round_trip_every_op)
{
	static const uint8_t ops[] = { HV_KVP_OP_GET, HV_KVP_OP_SET, HV_KVP_OP_DELETE, HV_KVP_OP_ENUMERATE,
				       HV_KVP_OP_GET_IP_INFO, HV_KVP_OP_SET_IP_INFO };
	uint8_t b[HV_KVP_MSG_SIZE];

	for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
		struct hv_kvp_msg in = { .op = ops[i], .pool = 2, .index = 5 }, out;

		strcpy(in.key, "Key");
		strcpy(in.value, "Value");
		strcpy(in.ip.adapter_id, "00:15:5D:01:02:03");
		strcpy(in.ip.ip_addr, "192.0.2.1");
		in.ip.addr_family = 3;
		cr_assert_eq(hv_kvp_msg_encode_request(&in, b, sizeof(b)), HV_KVP_MSG_SIZE);
		cr_assert_eq(b[0], ops[i]);
		cr_assert_eq(b[1], 2);
		cr_assert_eq(hv_kvp_msg_decode(b, sizeof(b), &out), 0, "op %u", ops[i]);
		cr_assert_eq(out.op, ops[i]);
		switch (ops[i]) {
		case HV_KVP_OP_GET:
			cr_assert_str_eq(out.key, "Key");
			cr_assert_eq(out.value_size, 0, "GET requests carry no value");
			break;
		case HV_KVP_OP_SET:
			cr_assert_str_eq(out.value, "Value");
			cr_assert_eq(out.value_size, 6);
			/* fall through */
		case HV_KVP_OP_DELETE:
			cr_assert_str_eq(out.key, "Key");
			cr_assert_eq(out.key_size, 4);
			break;
		case HV_KVP_OP_ENUMERATE:
			cr_assert_eq(out.index, 5);
			break;
		case HV_KVP_OP_SET_IP_INFO:
			cr_assert_str_eq(out.ip.ip_addr, "192.0.2.1");
			/* fall through */
		case HV_KVP_OP_GET_IP_INFO:
			cr_assert_str_eq(out.ip.adapter_id, "00:15:5D:01:02:03");
			cr_assert_eq(out.ip.addr_family, 3);
			break;
		}
	}
}

Test(kvp, register_messages)
{
	uint8_t w[HV_KVP_MSG_SIZE], k[HV_KVP_MSG_SIZE];
	char version[16];
	uint8_t op = 0, reg = 0;

	cr_assert_eq(hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, w, sizeof(w)), HV_KVP_MSG_SIZE);
	cr_assert_eq(w[0], 100);
	for (size_t i = 1; i < sizeof(w); i++)
		cr_assert_eq(w[i], 0);
	cr_assert_eq(hv_kvp_msg_encode_register(HV_KVP_OP_GET, w, sizeof(w)), -EINVAL);
	cr_assert_eq(hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, w, 100), -ENOBUFS);

	/* The kernel's side answers with op echoed and "3.1". */
	cr_assert_eq(hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, w, sizeof(w)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_kernel_handshake(w, sizeof(w), k, sizeof(k), &reg), HV_KVP_MSG_SIZE);
	cr_assert_eq(reg, 100);
	cr_assert_eq(k[0], 100);
	cr_assert_str_eq((char *)k + 4, "3.1");
	cr_assert_eq(hv_kvp_msg_decode_register(k, sizeof(k), &op, version, sizeof(version)), 0);
	cr_assert_eq(op, 100);
	cr_assert_str_eq(version, "3.1");
	cr_assert_eq(hv_kvp_msg_decode_register(k, sizeof(k), &op, version, 3), -ENOBUFS);

	/* Legacy REGISTER is answered too. */
	w[0] = HV_KVP_OP_REGISTER;
	cr_assert_eq(hv_kvp_kernel_handshake(w, sizeof(w), k, sizeof(k), &reg), HV_KVP_MSG_SIZE);
	cr_assert_eq(reg, 4);
	cr_assert_eq(k[0], 4);

	/* What write() refuses. */
	w[0] = 5;
	cr_assert_eq(hv_kvp_kernel_handshake(w, sizeof(w), k, sizeof(k), &reg), -EINVAL);
	w[0] = 100;
	cr_assert_eq(hv_kvp_kernel_handshake(w, sizeof(w) - 1, k, sizeof(k), &reg), -EINVAL);

	/* A registration answer without NUL in its version, or with another op. */
	memset(k + 4, 'v', 512);
	cr_assert_eq(hv_kvp_msg_decode_register(k, sizeof(k), &op, version, sizeof(version)), -EBADMSG);
	k[4] = 0;
	k[0] = 1;
	cr_assert_eq(hv_kvp_msg_decode_register(k, sizeof(k), &op, version, sizeof(version)), -EBADMSG);
}

/* ------------------------------------------------------------------ */
/* (b) host wire */

Test(kvp, wire_set_sz_layout)
{
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_SET, .pool = 0, .value_type = HV_KVP_REG_SZ,
					   .key = "Key", .value = "Vé" };
	struct hv_icmsg_hdr h = request_hdr(), got;
	uint8_t b[PAYLOAD];
	char s[32];

	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_icmsg_parse(b, sizeof(b), &got), 0);
	cr_assert_eq(got.type, HV_ICMSG_TYPE_KVPEXCHANGE);
	cr_assert_eq(got.icmsgsize, HV_KVP_MSG_SIZE);
	cr_assert_eq(got.pipe_msgsize, 20 + HV_KVP_MSG_SIZE);
	cr_assert_eq(got.flags, 3);
	cr_assert_eq(got.msg_version.major, 4);
	cr_assert_eq(b[P + 0], HV_KVP_OP_SET);
	cr_assert_eq(hv_get_le32(b + P + 4), HV_KVP_REG_SZ);
	cr_assert_eq(hv_get_le32(b + P + 8), 8, "key_size = 2 * (3 + 1)");
	cr_assert_eq(hv_get_le32(b + P + 12), 6, "value_size = 2 * (2 + 1)");
	cr_assert_str_eq(get_u16s(b + P + 16, 256, s), "Key");
	cr_assert_eq(hv_get_le16(b + P + 528), 'V');
	cr_assert_eq(hv_get_le16(b + P + 530), 0xe9);
	cr_assert_eq(hv_get_le16(b + P + 532), 0);
}

Test(kvp, wire_set_integers)
{
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_SET, .value_type = HV_KVP_REG_U32, .key = "n",
					   .value_u64 = 0x1ffffffffull };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t b[PAYLOAD];

	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_get_le32(b + P + 528), 0xffffffffu, "low 32 bits");
	cr_assert_eq(hv_get_le32(b + P + 532), 0);
	cr_assert_eq(hv_get_le32(b + P + 12), 4);
	req.value_type = HV_KVP_REG_U64;
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_get_le64(b + P + 528), 0x1ffffffffull);
	cr_assert_eq(hv_get_le32(b + P + 12), 8);
	req.value_type = 2;
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), -EINVAL);
}

Test(kvp, wire_other_ops_layout)
{
	struct hv_kvp_ip_info ip = { .addr_family = 1 };
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_DELETE, .pool = 1, .key = "abc" };
	struct hv_icmsg_hdr h = request_hdr(), got;
	uint8_t b[PAYLOAD];
	char s[64];

	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_get_le32(b + P + 4), 8);
	cr_assert_str_eq(get_u16s(b + P + 8, 256, s), "abc");

	req = (struct hv_kvp_wire_request){ .op = HV_KVP_OP_ENUMERATE, .pool = 3, .index = 0x80000000u };
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_get_le32(b + P + 4), 0x80000000u, "out-of-range index allowed on purpose");

	strcpy(ip.adapter_id, "00:15:5D:01:02:03");
	req = (struct hv_kvp_wire_request){ .op = HV_KVP_OP_GET_IP_INFO, .ip = &ip };
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), P + HV_KVP_IP_MSG_SIZE);
	cr_assert_eq(hv_icmsg_parse(b, sizeof(b), &got), 0);
	cr_assert_eq(got.icmsgsize, HV_KVP_IP_MSG_SIZE);
	cr_assert_str_eq(get_u16s(b + P + 2, 128, s), "00:15:5D:01:02:03", "2-byte header layout");
	cr_assert_eq(b[P + 2 + 256], 1);
}

Test(kvp, wire_encode_rejects)
{
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_GET };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t b[PAYLOAD];
	char key[300];

	memset(key, 'k', 255);
	key[255] = '\0';
	req.key = key;
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD, "255 units + NUL fit");
	cr_assert_eq(hv_get_le32(b + P + 8), 512);
	key[255] = 'k';
	key[256] = '\0';
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), -E2BIG);
	req.key = "bad\xff";
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), -EILSEQ);
	req.key = "k";
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, PAYLOAD - 1), -ENOBUFS);
}

Test(kvp, wire_decode_reply_status_only_on_error)
{
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_ENUMERATE, .pool = 1 };
	struct hv_icmsg_hdr h = request_hdr();
	struct hv_kvp_wire_reply r;
	uint8_t b[PAYLOAD];

	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	hv_put_le32(b + HV_ICMSG_OFF_STATUS, HV_S_CONT);
	hv_put_le32(b + P + 12, 0xffffffffu); /* garbage that must not be looked at */
	cr_assert_eq(hv_kvp_wire_decode_reply(b, sizeof(b), &r), 0);
	cr_assert_eq(r.status, HV_S_CONT);
	cr_assert_eq(r.op, HV_KVP_OP_ENUMERATE);
	cr_assert_eq(r.pool, 1);

	hv_put_le32(b + HV_ICMSG_OFF_STATUS, 0);
	cr_assert_eq(hv_kvp_wire_decode_reply(b, sizeof(b), &r), -EBADMSG, "key_size > 512");
	hv_put_le32(b + P + 12, 4);
	hv_put_le32(b + P + 16, 2050);
	cr_assert_eq(hv_kvp_wire_decode_reply(b, sizeof(b), &r), -EBADMSG, "value_size > 2048");
	hv_put_le32(b + P + 16, 2);
	hv_put_le16(b + P + 20, 0xdc00);
	cr_assert_eq(hv_kvp_wire_decode_reply(b, sizeof(b), &r), -EILSEQ, "unpaired surrogate");
	cr_assert_eq(hv_kvp_wire_decode_reply(b, PAYLOAD - 1, &r), -EBADMSG, "short");
	cr_assert_eq(hv_kvp_wire_decode_reply(b, 29, &r), -EBADMSG);
}

/* ------------------------------------------------------------------ */
/* (c) the kernel: host -> daemon */

static uint8_t *host_set(const char *key, uint32_t type, const char *value)
{
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_SET, .pool = 1, .value_type = type, .key = key,
					   .value = value };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t *b = calloc(1, PAYLOAD);

	cr_assert_not_null(b);
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, PAYLOAD), PAYLOAD);
	return b;
}

Test(kvp, kernel_set_sz)
{
	uint8_t *b = host_set("Key1", HV_KVP_REG_SZ, "Value");
	uint8_t out[HV_KVP_MSG_SIZE];
	struct hv_kvp_msg m;

	memset(out, 0xaa, sizeof(out));
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, PAYLOAD, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(out[0], HV_KVP_OP_SET);
	cr_assert_eq(out[1], 1);
	cr_assert_eq(out[2], 0);
	cr_assert_eq(hv_get_le32(out + 4), 0, "value_type is not passed to the daemon");
	cr_assert_eq(hv_get_le32(out + 8), 5);
	cr_assert_eq(hv_get_le32(out + 12), 6);
	cr_assert_str_eq((char *)out + 16, "Key1");
	cr_assert_str_eq((char *)out + 528, "Value");
	cr_assert_eq(out[HV_KVP_MSG_SIZE - 1], 0, "zeroed message");
	cr_assert_eq(hv_kvp_msg_decode(out, sizeof(out), &m), 0, "what the kernel sends decodes");
	free(b);
}

struct int_case {
	uint32_t type;
	uint64_t value;
	const char *want;
};

static struct int_case kernel_set_integer_cases[] = {
	{ HV_KVP_REG_U32, 0, "0" },
	{ HV_KVP_REG_U32, 0xffffffffu, "4294967295" }, /* %u, not %d */
	{ HV_KVP_REG_U32, 0x80000000u, "2147483648" },
	{ HV_KVP_REG_U64, 0xffffffffffffffffull, "18446744073709551615" },
	{ HV_KVP_REG_U64, 1234567890123ull, "1234567890123" },
};

ParameterizedTestParameters(kvp, kernel_set_integer)
{
	PARAM_INDICES(kernel_set_integer_cases);
}

ParameterizedTest(size_t *ci, kvp, kernel_set_integer)
{
	const struct int_case *c = &kernel_set_integer_cases[*ci];
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_SET, .value_type = c->type, .key = "n",
					   .value_u64 = c->value };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t b[PAYLOAD], out[HV_KVP_MSG_SIZE];

	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)out + 528, c->want);
	cr_assert_eq(hv_get_le32(out + 12), strlen(c->want) + 1);
}

Test(kvp, kernel_set_unknown_value_type_sends_no_value)
{
	uint8_t *b = host_set("k", HV_KVP_REG_SZ, "v");
	uint8_t out[HV_KVP_MSG_SIZE];

	hv_put_le32(b + P + 4, 7);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, PAYLOAD, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out + 12), 0);
	cr_assert_eq(out[528], 0);
	cr_assert_str_eq((char *)out + 16, "k", "the key is still converted");
	free(b);
}

Test(kvp, kernel_get_delete_enumerate)
{
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_GET, .pool = 0, .key = "Name" };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t b[PAYLOAD], out[HV_KVP_MSG_SIZE];

	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	put_u16s(b + P + 528, "host value ignored");
	hv_put_le32(b + P + 12, 38);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)out + 16, "Name");
	cr_assert_eq(hv_get_le32(out + 8), 5);
	cr_assert_eq(hv_get_le32(out + 12), 0, "GET sends value_size 0 (§5.2)");
	cr_assert_eq(out[528], 0);

	req.op = HV_KVP_OP_DELETE;
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out + 4), 5);
	cr_assert_str_eq((char *)out + 8, "Name");

	req = (struct hv_kvp_wire_request){ .op = HV_KVP_OP_ENUMERATE, .pool = 9, .index = 0x80000001u };
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), PAYLOAD);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out + 4), 0x80000001u, "index copied as is");
	cr_assert_eq(out[1], 9, "pool copied unvalidated (§11.1)");
}

Test(kvp, kernel_unknown_op_header_only)
{
	uint8_t *b = host_set("k", HV_KVP_REG_SZ, "v");
	uint8_t out[HV_KVP_MSG_SIZE];

	b[P] = 42;
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, PAYLOAD, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(out[0], 42);
	cr_assert_eq(out[1], 1);
	for (size_t i = 2; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0, "byte %zu", i);
	free(b);
}

Test(kvp, kernel_key_limit_511_bytes)
{
	uint8_t b[PAYLOAD] = { 0 }, out[HV_KVP_MSG_SIZE];
	size_t i;

	/* 255 x U+20AC (3 UTF-8 bytes each = 765) in a SET key. */
	b[P] = HV_KVP_OP_SET;
	for (i = 0; i < 255; i++)
		hv_put_le16(b + P + 16 + 2 * i, 0x20ac);
	hv_put_le32(b + P + 8, 512);
	hv_put_le32(b + P + 4, HV_KVP_REG_SZ);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out + 8), 511, "170 characters = 510 bytes, +1");
	cr_assert_eq(strlen((char *)out + 16), 510);
	cr_assert_eq(out[16 + 510], 0);

	/* The 1 byte left still takes a later ASCII character. */
	hv_put_le16(b + P + 16 + 2 * 200, 'Z');
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out + 8), 512);
	cr_assert_eq(out[16 + 510], 'Z');

	/* Value limit 2047 bytes. */
	memset(b + P + 528, 0, 2048);
	for (i = 0; i < 1023; i++)
		hv_put_le16(b + P + 528 + 2 * i, 0xe9); /* 2 bytes each = 2046 */
	hv_put_le32(b + P + 12, 2048);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_get_le32(out + 12), 2047);
}

Test(kvp, kernel_size_in_bytes_used_as_units)
{
	uint8_t b[PAYLOAD] = { 0 }, out[HV_KVP_MSG_SIZE];
	char want[300];

	/* key_size 3 (bytes) is read as 3 UNITS: "abc", not one and a half. */
	b[P] = HV_KVP_OP_GET;
	put_u16s(b + P + 16, "abcdef");
	hv_put_le32(b + P + 8, 3);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)out + 16, "abc");

	/* A key filling its 256 units without NUL, with key_size 600, runs
	 * on into the value field, as the kernel's converter does. */
	b[P] = HV_KVP_OP_SET;
	hv_put_le32(b + P + 4, HV_KVP_REG_SZ);
	for (size_t i = 0; i < 256; i++)
		hv_put_le16(b + P + 16 + 2 * i, 'a');
	put_u16s(b + P + 528, "xyz");
	hv_put_le32(b + P + 8, 600);
	hv_put_le32(b + P + 12, 8);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	memset(want, 'a', 256);
	strcpy(want + 256, "xyz");
	cr_assert_str_eq((char *)out + 16, want);
	cr_assert_eq(hv_get_le32(out + 8), 260);
	cr_assert_str_eq((char *)out + 528, "xyz");
}

Test(kvp, kernel_skips_unpaired_surrogates)
{
	uint8_t b[PAYLOAD] = { 0 }, out[HV_KVP_MSG_SIZE];
	uint16_t units[] = { 'a', 0xdc00, 'b', 0xd800, 'c', 0xd83d, 0xde00, 0 };

	b[P] = HV_KVP_OP_DELETE;
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		hv_put_le16(b + P + 8 + 2 * i, units[i]);
	hv_put_le32(b + P + 4, 16);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, sizeof(b), out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)out + 8, "abc\xf0\x9f\x98\x80");
	cr_assert_eq(hv_get_le32(out + 4), 8);
}

Test(kvp, kernel_ip_info_requests)
{
	struct hv_kvp_ip_info ip = { .addr_family = 3, .dhcp_enabled = 1 };
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_GET_IP_INFO, .ip = &ip };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t b[PAYLOAD], out[HV_KVP_MSG_SIZE];
	const uint8_t *o = out + HV_KVP_OFF_IP_VAL;

	strcpy(ip.adapter_id, "00:15:5D:01:02:03");
	strcpy(ip.ip_addr, "192.0.2.5");
	strcpy(ip.sub_net, "255.255.255.0");
	strcpy(ip.gate_way, "192.0.2.1");
	strcpy(ip.dns_addr, "192.0.2.53");
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), P + HV_KVP_IP_MSG_SIZE);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, P + HV_KVP_IP_MSG_SIZE, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)o + HV_KVP_IPVAL_OFF_ADAPTER_ID, "00:15:5D:01:02:03");
	cr_assert_eq(o[HV_KVP_IPVAL_OFF_ADDR_FAMILY], 3);
	cr_assert_eq(o[HV_KVP_IPVAL_OFF_DHCP_ENABLED], 0, "GET passes only adapter_id and family");
	cr_assert_eq(o[HV_KVP_IPVAL_OFF_IP_ADDR], 0);

	req.op = HV_KVP_OP_SET_IP_INFO;
	strcpy(ip.adapter_id, "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, b, sizeof(b)), P + HV_KVP_IP_MSG_SIZE);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, P + HV_KVP_IP_MSG_SIZE, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)o + HV_KVP_IPVAL_OFF_ADAPTER_ID, "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");
	cr_assert_str_eq((char *)o + HV_KVP_IPVAL_OFF_IP_ADDR, "192.0.2.5");
	cr_assert_str_eq((char *)o + HV_KVP_IPVAL_OFF_SUB_NET, "255.255.255.0");
	cr_assert_str_eq((char *)o + HV_KVP_IPVAL_OFF_GATE_WAY, "192.0.2.1");
	cr_assert_str_eq((char *)o + HV_KVP_IPVAL_OFF_DNS_ADDR, "192.0.2.53");
	cr_assert_eq(o[HV_KVP_IPVAL_OFF_DHCP_ENABLED], 1);
	cr_assert_eq(o[HV_KVP_IPVAL_OFF_ADDR_FAMILY], 3);
}

Test(kvp, kernel_request_bad_lengths)
{
	uint8_t b[PAYLOAD] = { 0 }, out[HV_KVP_MSG_SIZE];

	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, 27, out, sizeof(out)), -EBADMSG);
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, PAYLOAD, out, sizeof(out) - 1), -ENOBUFS);
	/* A packet that ends early reads as zeros past its end. */
	b[P] = HV_KVP_OP_SET;
	b[P + 1] = 2;
	hv_put_le32(b + P + 4, HV_KVP_REG_SZ);
	put_u16s(b + P + 16, "key");
	hv_put_le32(b + P + 8, 8);
	memset(out, 0xaa, sizeof(out));
	cr_assert_eq(hv_kvp_kernel_request_to_daemon(b, P + 18, out, sizeof(out)), HV_KVP_MSG_SIZE);
	cr_assert_str_eq((char *)out + 16, "k", "only the first unit was sent");
	cr_assert_eq(hv_get_le32(out + 12), 1, "empty REG_SZ value");
}

/* ------------------------------------------------------------------ */
/* (c) the kernel: daemon reply -> host */

static void daemon_reply(uint8_t op, uint32_t error, const char *key, const char *value, uint8_t *out)
{
	struct hv_kvp_msg m = { .op = op, .error = error, .value_type = HV_KVP_REG_SZ };

	strcpy(m.key, key);
	strcpy(m.value, value);
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, out, HV_KVP_MSG_SIZE), HV_KVP_MSG_SIZE);
}

static void host_request(uint8_t op, uint8_t *b)
{
	struct hv_kvp_wire_request req = { .op = op, .pool = 1, .key = "QueryKey", .value_type = HV_KVP_REG_SZ };
	struct hv_icmsg_hdr h = request_hdr();

	memset(b, 0, PAYLOAD);
	cr_assert_gt(hv_kvp_wire_encode_request(&req, &h, b, PAYLOAD), 0);
}

Test(kvp, kernel_reply_enumerate_end_to_end)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	struct hv_kvp_wire_reply r;
	uint32_t status = 1;

	host_request(HV_KVP_OP_ENUMERATE, host);
	daemon_reply(HV_KVP_OP_ENUMERATE, 0, "OSName", "Débian", reply);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1,
						 &status),
		     0);
	cr_assert_eq(status, HV_S_OK);
	cr_assert_eq(host[HV_ICMSG_OFF_FLAGS], 5);
	cr_assert_eq(hv_get_le32(host + P + 8), HV_KVP_REG_SZ);
	cr_assert_eq(hv_get_le32(host + P + 12), 14, "key_size = 2 * (6 + 1)");
	cr_assert_eq(hv_get_le32(host + P + 16), 14);
	cr_assert_eq(hv_get_le16(host + P + 532 + 2), 0xe9);
	cr_assert_eq(hv_kvp_wire_decode_reply(host, sizeof(host), &r), 0);
	cr_assert_str_eq(r.key, "OSName");
	cr_assert_str_eq(r.value, "Débian");
}

Test(kvp, kernel_reply_error_is_status_verbatim)
{
	uint8_t host[PAYLOAD], before[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	uint32_t status = 0;

	host_request(HV_KVP_OP_ENUMERATE, host);
	memcpy(before, host, sizeof(host));
	daemon_reply(HV_KVP_OP_ENUMERATE, HV_S_CONT, "ignored", "ignored", reply);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1,
						 &status),
		     0);
	cr_assert_eq(status, HV_S_CONT);
	cr_assert_eq(hv_get_le32(host + HV_ICMSG_OFF_STATUS), HV_S_CONT);
	cr_assert_eq(memcmp(host + P, before + P, HV_KVP_MSG_SIZE), 0, "body untouched on error");

	hv_put_le32(reply, 0x1234abcd);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1,
						 &status),
		     0);
	cr_assert_eq(status, 0x1234abcd, "any error value is passed through");
}

Test(kvp, kernel_reply_get_value_read_at_enum_offset_quirk)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	struct hv_kvp_wire_reply r;
	char s[64];

	/*
	 * §5.2 / §11.3: the daemon writes a GET value at the kvp_get offset
	 * (528) but the kernel reads it at the kvp_enum_data offset (532).
	 * A daemon that fills in the value gets it to the host minus four
	 * bytes ...
	 */
	host_request(HV_KVP_OP_GET, host);
	daemon_reply(HV_KVP_OP_GET, 0, "QueryKey", "hello world", reply);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1, NULL),
		     0);
	cr_assert_str_eq(get_u16s(host + P + 528, 1024, s), "o world");
	cr_assert_eq(hv_get_le32(host + P + 12), 2 * (7 + 1));
	cr_assert_eq(hv_get_le32(host + P + 4), HV_KVP_REG_SZ);
	cr_assert_str_eq(get_u16s(host + P + 16, 256, s), "QueryKey", "host key left alone");
	cr_assert_eq(hv_kvp_wire_decode_reply(host, sizeof(host), &r), 0);
	cr_assert_str_eq(r.value, "o world");

	/* ... and the reference daemon, which copies value_size = 0 bytes,
	 * gets "" to the host. */
	host_request(HV_KVP_OP_GET, host);
	daemon_reply(HV_KVP_OP_GET, 0, "QueryKey", "", reply);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1, NULL),
		     0);
	cr_assert_eq(hv_get_le32(host + P + 12), 2);
	cr_assert_eq(hv_kvp_wire_decode_reply(host, sizeof(host), &r), 0);
	cr_assert_str_eq(r.value, "");
}

Test(kvp, kernel_reply_unit_limits_and_no_terminator)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	struct hv_kvp_msg m = { .op = HV_KVP_OP_ENUMERATE };

	memset(m.key, 'k', 300);
	memset(m.value, 'v', 2000);
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, reply, sizeof(reply)), HV_KVP_MSG_SIZE);
	host_request(HV_KVP_OP_ENUMERATE, host);
	/* Junk in the host's fields shows that no terminator is written (§11.26). */
	memset(host + P + 20, 0xff, 512);
	memset(host + P + 532, 0xff, 2048);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1, NULL),
		     0);
	cr_assert_eq(hv_get_le32(host + P + 12), 2 * (254 + 1), "key limited to 254 units");
	cr_assert_eq(hv_get_le16(host + P + 20 + 2 * 253), 'k');
	cr_assert_eq(hv_get_le16(host + P + 20 + 2 * 254), 0xffff, "no terminator");
	cr_assert_eq(hv_get_le32(host + P + 16), 2 * (1022 + 1), "value limited to 1022 units");
	cr_assert_eq(hv_get_le16(host + P + 532 + 2 * 1021), 'v');
	cr_assert_eq(hv_get_le16(host + P + 532 + 2 * 1022), 0xffff, "no terminator");
}

Test(kvp, kernel_reply_invalid_utf8_fails)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	uint32_t status = 0;

	host_request(HV_KVP_OP_ENUMERATE, host);
	daemon_reply(HV_KVP_OP_ENUMERATE, 0, "ok", "v", reply);
	reply[20] = (uint8_t)0xff; /* first key byte */
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1,
						 &status),
		     0);
	cr_assert_eq(status, HV_E_FAIL);
	cr_assert_eq(hv_get_le32(host + HV_ICMSG_OFF_STATUS), HV_E_FAIL);
	cr_assert_eq(hv_get_le32(host + P + 12), 0xffffffd6u, "2 * (-EINVAL + 1), as the kernel computes it");
	cr_assert_eq(hv_get_le32(host + P + 16), 4, "the value is still converted");
}

Test(kvp, kernel_reply_ip_info)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	struct hv_kvp_ip_info ip = { 0 };
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_GET_IP_INFO, .ip = &ip };
	struct hv_icmsg_hdr h = request_hdr();
	struct hv_kvp_msg m = { .op = HV_KVP_OP_GET_IP_INFO };
	struct hv_kvp_wire_reply r;
	uint32_t status = 1;

	strcpy(ip.adapter_id, "00:15:5D:01:02:03");
	memset(host, 0, sizeof(host));
	cr_assert_eq(hv_kvp_wire_encode_request(&req, &h, host, sizeof(host)), P + HV_KVP_IP_MSG_SIZE);
	strcpy(m.ip.adapter_id, "00:15:5D:01:02:03");
	strcpy(m.ip.ip_addr, "192.0.2.5;2001:db8::5");
	strcpy(m.ip.sub_net, "255.255.255.0;/64");
	strcpy(m.ip.gate_way, "192.0.2.1;");
	strcpy(m.ip.dns_addr, "192.0.2.53;");
	m.ip.addr_family = 3;
	m.ip.dhcp_enabled = 1;
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, reply, sizeof(reply)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, P + HV_KVP_IP_MSG_SIZE, reply, sizeof(reply),
						 HV_KVP_OP_REGISTER1, &status),
		     0);
	cr_assert_eq(status, 0);
	cr_assert_eq(hv_kvp_wire_decode_reply(host, P + HV_KVP_IP_MSG_SIZE, &r), 0);
	cr_assert_str_eq(r.ip.ip_addr, "192.0.2.5;2001:db8::5");
	cr_assert_str_eq(r.ip.sub_net, "255.255.255.0;/64");
	cr_assert_str_eq(r.ip.gate_way, "192.0.2.1;");
	cr_assert_str_eq(r.ip.dns_addr, "192.0.2.53;");
	cr_assert_str_eq(r.ip.adapter_id, "00:15:5D:01:02:03");
	cr_assert_eq(r.ip.addr_family, 3);
	cr_assert_eq(r.ip.dhcp_enabled, 1);
	/* In the 2-byte-header layout, not at the hv_kvp_msg offsets. */
	cr_assert_eq(hv_get_le16(host + P + 2 + HV_KVP_IPVAL_OFF_IP_ADDR), '1');

	/* Invalid UTF-8 in any field: HV_E_FAIL. */
	reply[HV_KVP_OFF_IP_VAL + HV_KVP_IPVAL_OFF_SUB_NET] = (uint8_t)0xc0;
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, P + HV_KVP_IP_MSG_SIZE, reply, sizeof(reply),
						 HV_KVP_OP_REGISTER1, &status),
		     0);
	cr_assert_eq(status, HV_E_FAIL);
}

Test(kvp, kernel_reply_status_only_ops)
{
	static const uint8_t ops[] = { HV_KVP_OP_SET, HV_KVP_OP_DELETE, HV_KVP_OP_SET_IP_INFO };
	uint8_t host[PAYLOAD], before[PAYLOAD], reply[HV_KVP_MSG_SIZE];

	for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
		host_request(ops[i], host);
		memcpy(before, host, sizeof(host));
		daemon_reply(ops[i], 0, "x", "y", reply);
		cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply),
							 HV_KVP_OP_REGISTER1, NULL),
			     0);
		cr_assert_eq(memcmp(host + P, before + P, HV_KVP_MSG_SIZE), 0, "op %u: body untouched", ops[i]);
		cr_assert_eq(host[HV_ICMSG_OFF_FLAGS], 5);
	}
}

Test(kvp, kernel_reply_legacy_daemon)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE] = { 0 };
	uint32_t status = 0;

	host_request(HV_KVP_OP_ENUMERATE, host);
	hv_put_le32(reply, HV_E_FAIL); /* ignored for legacy daemons */
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER,
						 &status),
		     0);
	cr_assert_eq(status, HV_S_CONT, "empty enum key = no more");
	host_request(HV_KVP_OP_ENUMERATE, host);
	memcpy(reply + 20, "k", 2);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER,
						 &status),
		     0);
	cr_assert_eq(status, HV_S_OK);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), 5, &status), -EINVAL);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply) - 1, 100, &status),
		     -EBADMSG);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, 27, reply, sizeof(reply), 100, &status), -EBADMSG);
}

Test(kvp, kernel_reply_never_writes_past_len)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	size_t len = P + 30;

	host_request(HV_KVP_OP_ENUMERATE, host);
	memset(host + len, 0xcc, sizeof(host) - len);
	daemon_reply(HV_KVP_OP_ENUMERATE, 0, "a-long-enough-key", "value", reply);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, len, reply, sizeof(reply), HV_KVP_OP_REGISTER1, NULL), 0);
	for (size_t i = len; i < sizeof(host); i++)
		cr_assert_eq(host[i], 0xcc, "byte %zu written", i);
	cr_assert_eq(hv_get_le16(host + P + 20), 'a', "inside len it is written");
}

Test(kvp, kernel_reply_unknown_op_takes_enumerate_path)
{
	uint8_t host[PAYLOAD], reply[HV_KVP_MSG_SIZE];
	char s[16];

	host_request(HV_KVP_OP_ENUMERATE, host);
	host[P] = 77;
	daemon_reply(HV_KVP_OP_ENUMERATE, 0, "k", "v", reply);
	cr_assert_eq(hv_kvp_kernel_reply_to_host(host, sizeof(host), reply, sizeof(reply), HV_KVP_OP_REGISTER1, NULL),
		     0);
	cr_assert_str_eq(get_u16s(host + P + 20, 256, s), "k");
}

/* ------------------------------------------------------------------ */
/* (d) pool records */

Test(kvp, record_round_trip_and_layout)
{
	uint8_t rec[HV_KVP_RECORD_SIZE];
	struct hv_kvp_record r;

	memset(rec, 0xaa, sizeof(rec));
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), "Key", 3, "Välue", 6), HV_KVP_RECORD_SIZE);
	cr_assert_str_eq((char *)rec, "Key");
	cr_assert_str_eq((char *)rec + 512, "Välue");
	for (size_t i = 3; i < 512; i++)
		cr_assert_eq(rec[i], 0, "key tail byte %zu not zeroed", i);
	for (size_t i = 512 + 6; i < sizeof(rec); i++)
		cr_assert_eq(rec[i], 0, "value tail byte %zu not zeroed", i);
	cr_assert_eq(hv_kvp_record_decode(rec, sizeof(rec), &r), 0);
	cr_assert_str_eq(r.key, "Key");
	cr_assert_str_eq(r.value, "Välue");
	cr_assert_eq(r.key_len, 3);
	cr_assert_eq(r.value_len, 6);
}

Test(kvp, record_decode_stops_at_nul)
{
	uint8_t rec[HV_KVP_RECORD_SIZE];
	struct hv_kvp_record r;

	memset(rec, 'x', sizeof(rec)); /* stale bytes everywhere (§11.6) */
	memcpy(rec, "k\0\xff\xfe", 4);
	memcpy(rec + 512, "v\0\xc0", 3);
	cr_assert_eq(hv_kvp_record_decode(rec, sizeof(rec), &r), 0);
	cr_assert_str_eq(r.key, "k");
	cr_assert_str_eq(r.value, "v");
	cr_assert_eq(r.key[2], 0, "nothing past the NUL is copied");
}

Test(kvp, record_limits)
{
	uint8_t rec[HV_KVP_RECORD_SIZE];
	char big[2100];
	struct hv_kvp_record r;

	memset(big, 'a', sizeof(big));
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), big, 511, big, 2047), HV_KVP_RECORD_SIZE);
	cr_assert_eq(hv_kvp_record_decode(rec, sizeof(rec), &r), 0);
	cr_assert_eq(r.key_len, 511);
	cr_assert_eq(r.value_len, 2047);
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), big, 512, "v", 1), -E2BIG);
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), "k", 1, big, 2048), -E2BIG);
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), "a\0b", 3, "v", 1), -EINVAL);
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), "k", 1, "\xff", 1), -EILSEQ);
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec) - 1, "k", 1, "v", 1), -ENOBUFS);
	cr_assert_eq(hv_kvp_record_encode(rec, sizeof(rec), "", 0, "", 0), HV_KVP_RECORD_SIZE, "empty is fine");
}

struct bad_record_case {
	const char *what;
	size_t key_fill; /* bytes of 'k' written from offset 0 (512 = no NUL) */
	size_t value_fill;
	const char *key_bytes;
	int want;
	int want_raw;
};

static struct bad_record_case bad_record_cases[] = {
	{ "key without NUL", 512, 1, NULL, -EBADMSG, -EBADMSG },
	{ "value without NUL", 1, 2048, NULL, -EBADMSG, -EBADMSG },
	{ "invalid UTF-8 key", 0, 1, "\xff\xfe", -EILSEQ, 0 },
	{ "truncated UTF-8 key", 0, 1, "ab\xe2\x82", -EILSEQ, 0 },
	{ "UTF-8 surrogate key", 0, 1, "\xed\xb0\x80", -EILSEQ, 0 },
};

ParameterizedTestParameters(kvp, record_decode_rejects)
{
	PARAM_INDICES(bad_record_cases);
}

ParameterizedTest(size_t *ci, kvp, record_decode_rejects)
{
	const struct bad_record_case *c = &bad_record_cases[*ci];
	uint8_t rec[HV_KVP_RECORD_SIZE] = { 0 };
	struct hv_kvp_record r = { .key_len = 999 };

	memset(rec, 'k', c->key_fill);
	memset(rec + 512, 'v', c->value_fill);
	if (c->key_bytes)
		memcpy(rec, c->key_bytes, strlen(c->key_bytes));
	cr_assert_eq(hv_kvp_record_decode(rec, sizeof(rec), &r), c->want, "%s", c->what);
	cr_assert_eq(r.key_len, 999, "%s: ret written on failure", c->what);
	cr_assert_eq(hv_kvp_record_decode_raw(rec, sizeof(rec), &r), c->want_raw, "%s (raw)", c->what);
	cr_assert_eq(hv_kvp_record_decode(rec, sizeof(rec) - 1, &r), -EBADMSG, "%s: short", c->what);
}
