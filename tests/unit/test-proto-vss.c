/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto/vss: 12-byte message, host wire and the kernel's routing
 * (PROTOCOL.md §6.1, §6.2, §11.13). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/vss.h"
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

#define P HV_ICMSG_HDR_SIZE

static int host_request(uint8_t op, size_t msg_size, uint8_t *b, size_t len)
{
	struct hv_icmsg_hdr h;

	hv_icmsg_hdr_init_request(&h, HV_ICMSG_TYPE_VSS, HV_IC_VERSION(3, 0), HV_IC_VERSION(5, 0), 0, 3);
	return hv_vss_wire_encode_request(&h, op, 0xdeadbeef, msg_size, b, len);
}

Test(vss, layout)
{
	cr_assert_eq(HV_VSS_MSG_SIZE, 12);
	cr_assert_eq(HV_VSS_OFF_FLAGS, 8);
	cr_assert_eq(HV_VSS_OP_REGISTER, 128);
	cr_assert_eq(HV_VSS_OP_REGISTER1, 129);
	cr_assert_eq(HV_VSS_HBU_NO_AUTO_RECOVERY, 5);
	cr_assert_eq(HV_VSS_OP_AUTO_RECOVER, 7);
	cr_assert_str_eq(hv_vss_op_to_string(HV_VSS_OP_FREEZE), "freeze");
	cr_assert_str_eq(hv_vss_op_to_string(HV_VSS_OP_GET_DM_INFO), "get-dm-info");
	cr_assert_null(hv_vss_op_to_string((enum hv_vss_op)8));
	cr_assert_eq(hv_vss_op_from_string("thaw"), HV_VSS_OP_THAW);
	cr_assert_eq(hv_vss_op_from_string("register"), -EINVAL);
}

Test(vss, encode_decode_and_error_overlap)
{
	uint8_t b[16];
	struct hv_vss_msg m = { .op = 99 };

	memset(b, 0xaa, sizeof(b));
	cr_assert_eq(hv_vss_msg_encode_request(HV_VSS_OP_FREEZE, 7, b, sizeof(b)), 12);
	cr_assert_eq(b[0], 5);
	for (size_t i = 1; i < 8; i++)
		cr_assert_eq(b[i], 0, "reserved byte %zu", i);
	cr_assert_eq(hv_get_le32(b + 8), 7);
	cr_assert_eq(b[12], 0xaa, "nothing written past 12");
	cr_assert_eq(hv_vss_msg_decode(b, 12, &m), 0);
	cr_assert_eq(m.op, HV_VSS_OP_FREEZE);
	cr_assert_eq(m.error, 5, "both views of bytes 0..3");
	cr_assert_eq(m.flags, 7);

	cr_assert_eq(hv_vss_msg_encode_reply(HV_E_FAIL, 0, b, sizeof(b)), 12);
	cr_assert_eq(hv_get_le32(b), HV_E_FAIL);
	cr_assert_eq(b[0], 0x05, "the error's low byte is where op was");
	cr_assert_eq(hv_vss_msg_decode(b, 11, &m), -EBADMSG);
	cr_assert_eq(hv_vss_msg_encode_reply(0, 0, b, 11), -ENOBUFS);
	cr_assert_eq(hv_vss_msg_encode_request(0, 0, b, 11), -ENOBUFS);
}

struct route_case {
	uint8_t op;
	int route;
	unsigned timeout;
};

static struct route_case route_cases[] = {
	{ HV_VSS_OP_CREATE, HV_VSS_ROUTE_KERNEL, 30 },
	{ HV_VSS_OP_DELETE, HV_VSS_ROUTE_KERNEL, 30 },
	{ HV_VSS_OP_HOT_BACKUP, HV_VSS_ROUTE_DAEMON, 30 },
	{ HV_VSS_OP_GET_DM_INFO, HV_VSS_ROUTE_KERNEL, 30 },
	{ HV_VSS_OP_BU_COMPLETE, HV_VSS_ROUTE_KERNEL, 30 },
	{ HV_VSS_OP_FREEZE, HV_VSS_ROUTE_DAEMON, 900 },
	{ HV_VSS_OP_THAW, HV_VSS_ROUTE_DAEMON, 30 },
	{ HV_VSS_OP_AUTO_RECOVER, HV_VSS_ROUTE_KERNEL, 30 },
	{ 8, HV_VSS_ROUTE_KERNEL, 30 },
	{ 200, HV_VSS_ROUTE_KERNEL, 30 },
};

ParameterizedTestParameters(vss, kernel_route)
{
	PARAM_INDICES(route_cases);
}

ParameterizedTest(size_t *ci, vss, kernel_route)
{
	const struct route_case *c = &route_cases[*ci];

	cr_assert_eq((int)hv_vss_kernel_route(c->op), c->route, "op %u", c->op);
	cr_assert_eq(hv_vss_kernel_timeout_sec(c->op), c->timeout, "op %u", c->op);
}

Test(vss, wire_request_and_kernel_forwarding)
{
	uint8_t b[64], d[12];
	struct hv_icmsg_hdr h;

	memset(b, 0xee, sizeof(b));
	cr_assert_eq(host_request(HV_VSS_OP_FREEZE, 24, b, sizeof(b)), 52, "FREEZE with appended data");
	cr_assert_eq(hv_icmsg_parse(b, sizeof(b), &h), 0);
	cr_assert_eq(h.type, HV_ICMSG_TYPE_VSS);
	cr_assert_eq(h.icmsgsize, 24);
	cr_assert_eq(b[P], HV_VSS_OP_FREEZE);
	cr_assert_eq(hv_get_le32(b + P + 8), 0xdeadbeef);
	cr_assert_eq(b[P + 20], 0, "padding zeroed");
	cr_assert_eq(b[52], 0xee);

	/* The daemon gets a fresh message: op only, flags 0. */
	cr_assert_eq(hv_vss_kernel_request_to_daemon(b, 52, d, sizeof(d)), 12);
	cr_assert_eq(d[0], HV_VSS_OP_FREEZE);
	cr_assert_eq(hv_get_le32(d + 8), 0);
	cr_assert_eq(hv_vss_kernel_request_to_daemon(b, 39, d, sizeof(d)), -EBADMSG, "recvlen < 28 + 12");
	cr_assert_eq(hv_vss_kernel_request_to_daemon(b, 40, d, 11), -ENOBUFS);

	cr_assert_eq(host_request(HV_VSS_OP_THAW, 11, b, sizeof(b)), -EINVAL);
	cr_assert_eq(host_request(HV_VSS_OP_THAW, 12, b, 39), -ENOBUFS);
}

Test(vss, kernel_answers_itself)
{
	uint8_t b[40];
	struct hv_vss_wire_reply r;

	cr_assert_eq(host_request(HV_VSS_OP_GET_DM_INFO, 12, b, sizeof(b)), 40);
	cr_assert_eq(hv_vss_kernel_answer_host(b, sizeof(b), HV_S_OK), 0);
	cr_assert_eq(hv_vss_wire_decode_reply(b, sizeof(b), &r), 0);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.flags, 0, "dm_info.flags cleared");
	cr_assert_eq(b[HV_ICMSG_OFF_FLAGS], 5);

	cr_assert_eq(host_request(HV_VSS_OP_BU_COMPLETE, 12, b, sizeof(b)), 40);
	cr_assert_eq(hv_vss_kernel_answer_host(b, sizeof(b), HV_S_OK), 0);
	cr_assert_eq(hv_vss_wire_decode_reply(b, sizeof(b), &r), 0);
	cr_assert_eq(r.flags, 0xdeadbeef, "only GET_DM_INFO clears flags");

	/* No daemon registered: HV_E_FAIL at once. */
	cr_assert_eq(host_request(HV_VSS_OP_FREEZE, 12, b, sizeof(b)), 40);
	cr_assert_eq(hv_vss_kernel_answer_host(b, sizeof(b), HV_E_FAIL), 0);
	cr_assert_eq(hv_vss_wire_decode_reply(b, sizeof(b), &r), 0);
	cr_assert_eq(r.status, HV_E_FAIL);
	cr_assert_eq(r.op, HV_VSS_OP_FREEZE);
	cr_assert_eq(hv_vss_kernel_answer_host(b, 39, 0), -EBADMSG);
	cr_assert_eq(hv_vss_wire_decode_reply(b, 39, &r), -EBADMSG);
}

Test(vss, kernel_reply_status_verbatim_and_dead_hot_backup_path)
{
	uint8_t b[40], d[12];
	struct hv_vss_wire_reply r;
	uint32_t status = 1;

	cr_assert_eq(host_request(HV_VSS_OP_HOT_BACKUP, 12, b, sizeof(b)), 40);
	hv_put_le32(b + P + 8, 0);
	/* The daemon answers HOT_BACKUP with error 0: byte 0 becomes 0, so
	 * the NO_AUTO_RECOVERY flag is never set (§11.13). */
	cr_assert_eq(hv_vss_msg_encode_reply(0, 0, d, sizeof(d)), 12);
	cr_assert_eq(hv_vss_kernel_reply_to_host(b, sizeof(b), d, sizeof(d), &status), 0);
	cr_assert_eq(status, 0);
	cr_assert_eq(hv_vss_wire_decode_reply(b, sizeof(b), &r), 0);
	cr_assert_eq(r.flags, 0, "dead path: flag not set");
	cr_assert_eq(b[HV_ICMSG_OFF_FLAGS], 5);

	/* Only a reply whose byte 0 is 2 (a daemon that echoed the op
	 * without clearing it) reaches the flag. */
	cr_assert_eq(hv_vss_msg_encode_request(HV_VSS_OP_HOT_BACKUP, 0, d, sizeof(d)), 12);
	cr_assert_eq(hv_vss_kernel_reply_to_host(b, sizeof(b), d, sizeof(d), &status), 0);
	cr_assert_eq(status, 2, "status is the error word verbatim");
	cr_assert_eq(hv_vss_wire_decode_reply(b, sizeof(b), &r), 0);
	cr_assert_eq(r.flags, HV_VSS_HBU_NO_AUTO_RECOVERY);

	cr_assert_eq(hv_vss_msg_encode_reply(HV_E_FAIL, 0, d, sizeof(d)), 12);
	cr_assert_eq(hv_vss_kernel_reply_to_host(b, sizeof(b), d, sizeof(d), &status), 0);
	cr_assert_eq(status, HV_E_FAIL);
	cr_assert_eq(hv_get_le32(b + HV_ICMSG_OFF_STATUS), HV_E_FAIL);
	cr_assert_eq(hv_vss_kernel_reply_to_host(b, sizeof(b), d, 11, &status), -EBADMSG);
	cr_assert_eq(hv_vss_kernel_reply_to_host(b, 39, d, 12, &status), -EBADMSG);
}

Test(vss, daemon_writes_and_handshake)
{
	uint8_t w[16] = { 0 }, out[8];

	w[0] = HV_VSS_OP_REGISTER1;
	cr_assert_eq(hv_vss_kernel_classify_daemon_write(w, 12), HV_VSS_WRITE_REGISTER);
	cr_assert_eq(hv_vss_kernel_classify_daemon_write(w, 11), -EINVAL);
	cr_assert_eq(hv_vss_kernel_classify_daemon_write(w, 13), -EINVAL, "exactly 12 bytes");
	w[0] = HV_VSS_OP_REGISTER;
	cr_assert_eq(hv_vss_kernel_classify_daemon_write(w, 12), HV_VSS_WRITE_REGISTER);
	hv_put_le32(w, 0);
	cr_assert_eq(hv_vss_kernel_classify_daemon_write(w, 12), HV_VSS_WRITE_REPLY);
	/* An error whose low byte is 129 is taken for a registration. */
	hv_put_le32(w, 0x80000081u);
	cr_assert_eq(hv_vss_kernel_classify_daemon_write(w, 12), HV_VSS_WRITE_REGISTER);

	memset(out, 0xaa, sizeof(out));
	cr_assert_eq(hv_vss_kernel_handshake(HV_VSS_OP_REGISTER1, out, sizeof(out)), 4);
	cr_assert_eq(hv_get_le32(out), 129, "a bare u32, not a 12-byte message");
	cr_assert_eq(out[4], 0xaa);
	cr_assert_eq(hv_vss_kernel_handshake(HV_VSS_OP_REGISTER, out, sizeof(out)), 0, "legacy: no answer");
	cr_assert_eq(hv_vss_kernel_handshake(5, out, sizeof(out)), -EINVAL);
	cr_assert_eq(hv_vss_kernel_handshake(HV_VSS_OP_REGISTER1, out, 3), -ENOBUFS);
}
