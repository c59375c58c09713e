/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim/chardev-model: the kernel side of /dev/vmbus/hv_kvp, hv_vss and
 * hv_fcopy without FUSE (PROTOCOL.md §4, §5.2, §5.3, §6.2, §6.3, §7.2,
 * §12 item 5).  Host packets are built with the proto codecs; the daemon
 * side is played by calls to the model's file operations.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"
#include "proto/fcopy.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/kvp.h"
#include "proto/vss.h"
#include "proto/wire.h"
#include "sim/chardev-model.h"

#define MAX_REPLIES 16

static struct {
	uint64_t cookie[MAX_REPLIES];
	uint8_t *payload[MAX_REPLIES];
	size_t len[MAX_REPLIES];
	size_t n;
	unsigned readable;
} seen;

static void on_reply(struct hvsim_cdev *c, uint64_t cookie, const uint8_t *payload, size_t len, void *userdata)
{
	cr_assert_lt(seen.n, MAX_REPLIES);
	seen.cookie[seen.n] = cookie;
	seen.payload[seen.n] = malloc(len);
	memcpy(seen.payload[seen.n], payload, len);
	seen.len[seen.n] = len;
	seen.n++;
}

static void on_readable(struct hvsim_cdev *c, void *userdata)
{
	seen.readable++;
}

static const struct hvsim_cdev_callbacks cb = { .host_reply = on_reply, .readable = on_readable };

static const struct hvsim_kernel_config cfg = {
	.kvp_timeout_ms = 30000,
	.vss_timeout_ms = 30000,
	.vss_freeze_timeout_ms = 900000,
	.fcopy_timeout_ms = 30000,
};

static uint32_t reply_status(size_t i)
{
	return hv_get_le32(seen.payload[i] + HV_ICMSG_OFF_STATUS);
}

static void send_negotiate(struct hvsim_cdev *c, uint64_t cookie, uint64_t now)
{
	static const struct hv_ic_version fw[] = { { 3, 0 }, { 1, 0 } };
	static const struct hv_ic_version srv[] = { { 5, 0 }, { 4, 0 }, { 3, 0 }, { 1, 1 }, { 1, 0 } };
	uint8_t buf[256];
	int n = hv_icmsg_negotiate_request(buf, sizeof(buf), 1, fw, 2, srv, 5);

	cr_assert_gt(n, 0);
	cr_assert_eq(hvsim_cdev_host_send(c, buf, (size_t)n, cookie, now), 0);
}

static void send_kvp(struct hvsim_cdev *c, const struct hv_kvp_wire_request *req, uint64_t cookie, uint64_t now)
{
	uint8_t buf[HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE];
	struct hv_icmsg_hdr hdr;
	int n;

	hv_icmsg_hdr_init_request(&hdr, HV_ICMSG_TYPE_KVPEXCHANGE, HV_IC_VERSION(3, 0), HV_IC_VERSION(4, 0), 0, 1);
	n = hv_kvp_wire_encode_request(req, &hdr, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(hvsim_cdev_host_send(c, buf, (size_t)n, cookie, now), 0);
}

static void send_vss(struct hvsim_cdev *c, uint8_t op, size_t size, uint64_t cookie, uint64_t now)
{
	uint8_t buf[8192];
	struct hv_icmsg_hdr hdr;
	int n;

	hv_icmsg_hdr_init_request(&hdr, HV_ICMSG_TYPE_VSS, HV_IC_VERSION(3, 0), HV_IC_VERSION(5, 0), 0, 1);
	n = hv_vss_wire_encode_request(&hdr, op, 0, size, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(hvsim_cdev_host_send(c, buf, (size_t)n, cookie, now), 0);
}

/* The daemon's registration: KVP op 100, and reading the kernel's answer. */
static void kvp_register(struct hvsim_cdev *c)
{
	uint8_t msg[HV_KVP_MSG_SIZE];
	char version[16];
	uint8_t op;

	cr_assert_eq(hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, msg, sizeof(msg)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 0), HV_KVP_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_DEVICE_INIT, "READY only once the answer is read");
	cr_assert_eq(hvsim_cdev_read(c, msg, sizeof(msg), 0), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_msg_decode_register(msg, sizeof(msg), &op, version, sizeof(version)), 0);
	cr_assert_eq(op, HV_KVP_OP_REGISTER1);
	cr_assert_str_eq(version, "3.1");
	/* READY, or already serving a request that waited in the ring. */
	cr_assert_geq(hvsim_cdev_state(c), HVSIM_UTIL_READY);
}

static void reset_seen(void)
{
	for (size_t i = 0; i < seen.n; i++)
		free(seen.payload[i]);
	memset(&seen, 0, sizeof(seen));
}

TestSuite(chardev, .fini = reset_seen);

/* ---- transport ------------------------------------------------------------ */

Test(chardev, single_opener_and_reset_on_release)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);

	cr_assert_eq(hvsim_cdev_open(c, 0), 0);
	cr_assert_eq(hvsim_cdev_open(c, 0), -EBUSY);
	cr_assert_eq(hvsim_cdev_stats(c)->busy_opens, 1);
	kvp_register(c);
	hvsim_cdev_release(c, 0);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_DEVICE_INIT);
	cr_assert_eq(hvsim_cdev_registered_op(c), -1);
	cr_assert_eq(hvsim_cdev_open(c, 0), 0, "open again after release");
	hvsim_cdev_free(c);
}

Test(chardev, reads_whole_messages_and_refuse_short_buffers)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);
	uint8_t msg[HV_KVP_MSG_SIZE + 100];

	hvsim_cdev_open(c, 0);
	cr_assert_eq(hvsim_cdev_read(c, msg, sizeof(msg), 0), -EAGAIN, "nothing pending: a reader blocks");
	hv_kvp_msg_encode_register(HV_KVP_OP_REGISTER1, msg, sizeof(msg));
	cr_assert_eq(hvsim_cdev_write(c, msg, HV_KVP_MSG_SIZE - 1, 0), -EINVAL, "KVP writes need 7432 bytes");
	cr_assert_eq(hvsim_cdev_write(c, msg, HV_KVP_MSG_SIZE + 100, 0), HV_KVP_MSG_SIZE + 100, "longer is fine");
	cr_assert_eq(seen.readable, 1);
	cr_assert_eq(hvsim_cdev_read(c, msg, 100, 0), -EINVAL);
	cr_assert_eq(hvsim_cdev_pending(c), HV_KVP_MSG_SIZE, "the message is kept");
	cr_assert_eq(hvsim_cdev_read(c, msg, sizeof(msg), 0), HV_KVP_MSG_SIZE, "whole message, not the buffer");
	cr_assert_eq(hvsim_cdev_pending(c), 0);
	cr_assert_eq(hvsim_cdev_stats(c)->short_reads, 1);
	hvsim_cdev_free(c);
}

/* ---- KVP ------------------------------------------------------------------------- */

Test(chardev, kvp_negotiation_waits_for_a_daemon)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);
	struct hv_ic_version fw, srv;

	send_negotiate(c, 7, 0);
	cr_assert_eq(seen.n, 0, "no daemon: the ring is not read (§5.2)");
	cr_assert_eq(hvsim_cdev_host_queued(c), 1);
	hvsim_cdev_open(c, 0);
	kvp_register(c);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(seen.cookie[0], 7);
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(seen.payload[0], seen.len[0], &fw, &srv), 0);
	cr_assert_eq(fw.major, 3);
	cr_assert_eq(srv.major, 4, "KVP picks 4.0 first");
	cr_assert_eq(seen.payload[0][HV_ICMSG_OFF_FLAGS], HV_ICMSG_FLAGS_REPLY);
	cr_assert(hvsim_cdev_negotiated(c, NULL, NULL));
	hvsim_cdev_free(c);
}

Test(chardev, kvp_set_reaches_the_daemon_in_utf8_and_the_answer_the_host)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_SET, .pool = 1, .value_type = HV_KVP_REG_SZ,
					   .key = "cl\xc3\xa9", .value = "v\xc3\xa4rde" };
	uint8_t msg[HV_KVP_MSG_SIZE];
	struct hv_kvp_msg m;

	hvsim_cdev_open(c, 0);
	kvp_register(c);
	send_kvp(c, &req, 11, 100);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_USERSPACE_REQ);
	cr_assert(hvsim_cdev_busy(c));
	cr_assert_eq(hvsim_cdev_read(c, msg, sizeof(msg), 100), HV_KVP_MSG_SIZE);
	cr_assert_eq(hv_kvp_msg_decode(msg, sizeof(msg), &m), 0);
	cr_assert_eq(m.op, HV_KVP_OP_SET);
	cr_assert_eq(m.pool, 1);
	cr_assert_str_eq(m.key, "cl\xc3\xa9");
	cr_assert_str_eq(m.value, "v\xc3\xa4rde");
	cr_assert_eq(m.key_size, 5);

	m.error = HV_S_OK;
	cr_assert_eq(hv_kvp_msg_encode_reply(&m, msg, sizeof(msg)), HV_KVP_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 200), HV_KVP_MSG_SIZE);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(seen.cookie[0], 11);
	cr_assert_eq(reply_status(0), HV_S_OK);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_READY);
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 300), -EINVAL, "nothing asked: spurious reply");
	hvsim_cdev_free(c);
}

Test(chardev, kvp_timeout_fails_the_host_and_a_late_answer)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_GET, .pool = 0, .key = "k" };
	uint8_t msg[HV_KVP_MSG_SIZE];

	hvsim_cdev_open(c, 0);
	kvp_register(c);
	send_kvp(c, &req, 1, 1000);
	cr_assert_eq(hvsim_cdev_next_deadline(c), 31000);
	hvsim_cdev_tick(c, 30999);
	cr_assert_eq(seen.n, 0);
	hvsim_cdev_tick(c, 31000);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_READY);
	cr_assert_eq(hvsim_cdev_stats(c)->timeouts, 1);

	/* The unread request is still pending: the next one cannot be sent
	 * and fails at once. */
	send_kvp(c, &req, 2, 32000);
	cr_assert_eq(seen.n, 2);
	cr_assert_eq(seen.cookie[1], 2);
	cr_assert_eq(reply_status(1), HV_E_FAIL);

	/* The daemon finally reads the stale request; its answer is refused. */
	cr_assert_eq(hvsim_cdev_read(c, msg, sizeof(msg), 33000), HV_KVP_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 33000), -EINVAL);
	hvsim_cdev_free(c);
}

Test(chardev, kvp_release_fails_the_pending_request)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);
	struct hv_kvp_wire_request req = { .op = HV_KVP_OP_DELETE, .pool = 3, .key = "k" };

	hvsim_cdev_open(c, 0);
	kvp_register(c);
	send_kvp(c, &req, 5, 0);
	cr_assert_eq(hvsim_cdev_pending(c), HV_KVP_MSG_SIZE);
	hvsim_cdev_release(c, 10);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_DEVICE_INIT);
	cr_assert_eq(hvsim_cdev_pending(c), 0, "the message is dropped");
	cr_assert_eq(hvsim_cdev_next_deadline(c), UINT64_MAX);

	/* Requests now wait in the ring for the next daemon. */
	send_kvp(c, &req, 6, 20);
	cr_assert_eq(seen.n, 1);
	hvsim_cdev_open(c, 30);
	kvp_register(c);
	cr_assert_eq(hvsim_cdev_pending(c), HV_KVP_MSG_SIZE, "delivered after re-registration");
	hvsim_cdev_free(c);
}

Test(chardev, kvp_refuses_unknown_registration_ops)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_KVP, &cfg, &cb, NULL);
	uint8_t msg[HV_KVP_MSG_SIZE] = { 99 };

	hvsim_cdev_open(c, 0);
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 0), -EINVAL);
	msg[0] = HV_KVP_OP_REGISTER;
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 0), HV_KVP_MSG_SIZE, "legacy op 4 is accepted");
	cr_assert_eq(hvsim_cdev_registered_op(c), HV_KVP_OP_REGISTER);
	hvsim_cdev_free(c);
}

/* ---- VSS ---------------------------------------------------------------------------- */

static void vss_register(struct hvsim_cdev *c)
{
	uint8_t msg[HV_VSS_MSG_SIZE];
	uint8_t ans[8];

	cr_assert_eq(hv_vss_msg_encode_request(HV_VSS_OP_REGISTER1, 0, msg, sizeof(msg)), HV_VSS_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 0), HV_VSS_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_read(c, ans, sizeof(ans), 0), 4, "the answer is a bare u32");
	cr_assert_eq(hv_get_le32(ans), HV_VSS_OP_REGISTER1);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_READY);
}

Test(chardev, vss_negotiates_without_a_daemon_and_fails_freeze)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_VSS, &cfg, &cb, NULL);
	struct hv_ic_version fw, srv;

	send_negotiate(c, 1, 0);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(seen.payload[0], seen.len[0], &fw, &srv), 0);
	cr_assert_eq(srv.major, 5);
	send_vss(c, HV_VSS_OP_FREEZE, 1200, 2, 0);
	cr_assert_eq(seen.n, 2);
	cr_assert_eq(reply_status(1), HV_E_FAIL);
	cr_assert_eq(seen.len[1], HV_ICMSG_HDR_SIZE + 1200, "same length back");
	cr_assert_eq(hvsim_cdev_stats(c)->no_daemon, 1);
	hvsim_cdev_free(c);
}

Test(chardev, vss_kernel_answers_get_dm_info_and_goes_ready)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_VSS, &cfg, &cb, NULL);
	struct hv_vss_wire_reply rep;

	send_vss(c, HV_VSS_OP_GET_DM_INFO, HV_VSS_MSG_SIZE, 1, 0);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(hv_vss_wire_decode_reply(seen.payload[0], seen.len[0], &rep), 0);
	cr_assert_eq(rep.status, HV_S_OK);
	cr_assert_eq(rep.flags, 0);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_READY, "the poll wrapper's quirk");
	hvsim_cdev_free(c);
}

Test(chardev, vss_freeze_uses_the_long_timeout)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_VSS, &cfg, &cb, NULL);
	uint8_t msg[16];

	hvsim_cdev_open(c, 0);
	vss_register(c);
	send_vss(c, HV_VSS_OP_FREEZE, 6232, 3, 0);
	cr_assert_eq(hvsim_cdev_read(c, msg, sizeof(msg), 0), HV_VSS_MSG_SIZE);
	cr_assert_eq(msg[0], HV_VSS_OP_FREEZE);
	cr_assert_eq(hvsim_cdev_next_deadline(c), 900000);
	hvsim_cdev_tick(c, 30000);
	cr_assert_eq(seen.n, 0);
	/* Wrong length, then a registration in the middle: both refused. */
	cr_assert_eq(hvsim_cdev_write(c, msg, 11, 1), -EINVAL);
	hv_vss_msg_encode_request(HV_VSS_OP_REGISTER1, 0, msg, sizeof(msg));
	cr_assert_eq(hvsim_cdev_write(c, msg, HV_VSS_MSG_SIZE, 1), -EINVAL);
	hv_vss_msg_encode_reply(HV_S_OK, 0, msg, sizeof(msg));
	cr_assert_eq(hvsim_cdev_write(c, msg, HV_VSS_MSG_SIZE, 2), HV_VSS_MSG_SIZE);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(reply_status(0), HV_S_OK);
	send_vss(c, HV_VSS_OP_THAW, HV_VSS_MSG_SIZE, 4, 40000);
	cr_assert_eq(hvsim_cdev_next_deadline(c), 70000, "THAW waits 30 s");
	hvsim_cdev_free(c);
}

Test(chardev, vss_legacy_register_never_gets_ready)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_VSS, &cfg, &cb, NULL);
	uint8_t msg[HV_VSS_MSG_SIZE];

	hvsim_cdev_open(c, 0);
	hv_vss_msg_encode_request(HV_VSS_OP_REGISTER, 0, msg, sizeof(msg));
	cr_assert_eq(hvsim_cdev_write(c, msg, sizeof(msg), 0), HV_VSS_MSG_SIZE);
	cr_assert_eq(hvsim_cdev_pending(c), 0, "no answer to op 128");
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_DEVICE_INIT, "§11.15");
	hvsim_cdev_free(c);
}

/* ---- fcopy --------------------------------------------------------------------------- */

static void send_fcopy(struct hvsim_cdev *c, const struct hv_fcopy_msg *m, uint64_t cookie)
{
	uint8_t buf[HV_ICMSG_HDR_SIZE + HV_FCOPY_DO_SIZE];
	struct hv_icmsg_hdr hdr;
	int n;

	hv_icmsg_hdr_init_request(&hdr, HV_ICMSG_TYPE_FCOPY, HV_IC_VERSION(3, 0), HV_IC_VERSION(1, 1), 0, 1);
	n = hv_fcopy_wire_encode_request(m, &hdr, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(hvsim_cdev_host_send(c, buf, (size_t)n, cookie, 0), 0);
}

Test(chardev, fcopy_version_0_is_never_served)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_FCOPY, &cfg, &cb, NULL);
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_COMPLETE_FCOPY };
	uint8_t v0[4] = { 0 };

	hvsim_cdev_open(c, 0);
	cr_assert_eq(hvsim_cdev_write(c, v0, 4, 0), 4);
	cr_assert_eq(hvsim_cdev_pending(c), 0, "no answer to version 0");
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_DEVICE_INIT);
	send_fcopy(c, &m, 1);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	hvsim_cdev_free(c);
}

Test(chardev, fcopy_start_in_utf8_and_status_replies)
{
	struct hvsim_cdev *c = hvsim_cdev_new(HVSIM_CDEV_FCOPY, &cfg, &cb, NULL);
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_START_FILE_COPY };
	uint8_t buf[HV_FCOPY_DO_SIZE];
	struct hv_fcopy_msg d;
	uint8_t v1[4] = { 1 }, st[5] = { 0 };

	hvsim_cdev_open(c, 0);
	cr_assert_eq(hvsim_cdev_write(c, v1, 3, 0), -EINVAL);
	cr_assert_eq(hvsim_cdev_write(c, v1, 4, 0), 4);
	cr_assert_eq(hvsim_cdev_read(c, buf, sizeof(buf), 0), 4);
	cr_assert_eq(hv_get_le32(buf), 1);
	cr_assert_eq(hvsim_cdev_state(c), HVSIM_UTIL_READY);

	m.start.copy_flags = HV_FCOPY_OVER_WRITE;
	m.start.file_size = 12;
	strcpy(m.start.file_name, "f\xc3\xbc.txt");
	strcpy(m.start.path_name, "/tmp/dir");
	send_fcopy(c, &m, 9);
	cr_assert_eq(hvsim_cdev_read(c, buf, sizeof(buf), 0), HV_FCOPY_START_SIZE);
	cr_assert_eq(hv_fcopy_daemon_decode(buf, HV_FCOPY_START_SIZE, &d), 0);
	cr_assert_str_eq(d.start.file_name, "f\xc3\xbc.txt");
	cr_assert_str_eq(d.start.path_name, "/tmp/dir");
	cr_assert_eq(d.start.file_size, 12);
	cr_assert_eq(hvsim_cdev_write(c, st, 5, 0), -EINVAL, "replies are exactly 4 bytes");
	hv_put_le32(st, HV_ERROR_ALREADY_EXISTS);
	cr_assert_eq(hvsim_cdev_write(c, st, 4, 0), 4);
	cr_assert_eq(seen.n, 1);
	cr_assert_eq(seen.cookie[0], 9);
	cr_assert_eq(reply_status(0), HV_ERROR_ALREADY_EXISTS, "status verbatim");
	hvsim_cdev_free(c);
}
