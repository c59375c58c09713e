/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto/icmsg: IC headers and version negotiation (PROTOCOL.md §2.1, §2.2). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
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


#define V(a, b) { (a), (b) }

Test(icmsg, layout_constants)
{
	cr_assert_eq(HV_VMBUSPIPE_HDR_SIZE, 8);
	cr_assert_eq(HV_ICMSG_HDR_ONLY_SIZE, 20);
	cr_assert_eq(HV_ICMSG_HDR_SIZE, 28);
	cr_assert_eq(HV_ICMSG_OFF_TYPE, 8 + 4);
	cr_assert_eq(HV_ICMSG_OFF_SIZE, 8 + 10);
	cr_assert_eq(HV_ICMSG_OFF_STATUS, 8 + 12);
	cr_assert_eq(HV_ICMSG_OFF_TRANS_ID, 8 + 16);
	cr_assert_eq(HV_ICMSG_OFF_FLAGS, 8 + 17);
	cr_assert_eq(HV_ICMSG_NEGOTIATE_PKT_SIZE(2, 3), 28 + 8 + 20);
	cr_assert_eq(HV_ICMSG_FLAGS_REPLY, 5);
	cr_assert_eq(HV_ICMSG_FLAGS_REQUEST, 3);
	cr_assert_eq(HV_ICMSG_TYPE_FCOPY, 7);
}

Test(icmsg, parse_reads_every_field_at_its_offset)
{
	uint8_t b[28];
	struct hv_icmsg_hdr h;

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i + 1);
	cr_assert_eq(hv_icmsg_parse(b, sizeof(b), &h), 0);
	cr_assert_eq(h.pipe_flags, 0x04030201u);
	cr_assert_eq(h.pipe_msgsize, 0x08070605u);
	cr_assert_eq(h.frame_version.major, 0x0a09);
	cr_assert_eq(h.frame_version.minor, 0x0c0b);
	cr_assert_eq(h.type, 0x0e0d);
	cr_assert_eq(h.msg_version.major, 0x100f);
	cr_assert_eq(h.msg_version.minor, 0x1211);
	cr_assert_eq(h.icmsgsize, 0x1413);
	cr_assert_eq(h.status, 0x18171615u);
	cr_assert_eq(h.trans_id, 0x19);
	cr_assert_eq(h.flags, 0x1a);
	cr_assert_eq(h.reserved[0], 0x1b);
	cr_assert_eq(h.reserved[1], 0x1c);

	uint8_t out[28] = { 0 };

	cr_assert_eq(hv_icmsg_write(out, sizeof(out), &h), 28);
	cr_assert_arr_eq(out, b, 28, "write(parse(x)) == x");
}

Test(icmsg, short_buffers)
{
	uint8_t b[28] = { 0 };
	struct hv_icmsg_hdr h = { .status = 77 };

	cr_assert_eq(hv_icmsg_parse(b, 27, &h), -EBADMSG);
	cr_assert_eq(h.status, 77);
	cr_assert_eq(hv_icmsg_parse(NULL, 28, &h), -EBADMSG);
	cr_assert_eq(hv_icmsg_write(b, 27, &h), -ENOBUFS);
	cr_assert_eq(hv_icmsg_set_reply(b, 27, 0), -EBADMSG);
}

Test(icmsg, set_reply_touches_only_status_and_flags)
{
	uint8_t b[40], before[40];

	memset(b, 0x5a, sizeof(b));
	memcpy(before, b, sizeof(b));
	cr_assert_eq(hv_icmsg_set_reply(b, sizeof(b), HV_E_FAIL), 0);
	cr_assert_eq(hv_get_le32(b + HV_ICMSG_OFF_STATUS), HV_E_FAIL);
	cr_assert_eq(b[HV_ICMSG_OFF_FLAGS], 5);
	for (size_t i = 0; i < sizeof(b); i++)
		if (i < HV_ICMSG_OFF_STATUS || i >= HV_ICMSG_OFF_STATUS + 4)
			if (i != HV_ICMSG_OFF_FLAGS)
				cr_assert_eq(b[i], before[i], "byte %zu changed", i);
}

Test(icmsg, request_header_init)
{
	struct hv_icmsg_hdr h;

	hv_icmsg_hdr_init_request(&h, HV_ICMSG_TYPE_VSS, HV_IC_VERSION(3, 0), HV_IC_VERSION(5, 0), 12, 9);
	cr_assert_eq(h.type, HV_ICMSG_TYPE_VSS);
	cr_assert_eq(h.flags, 3);
	cr_assert_eq(h.icmsgsize, 12);
	cr_assert_eq(h.pipe_msgsize, 32);
	cr_assert_eq(h.trans_id, 9);
	cr_assert_eq(h.msg_version.major, 5);
}

/* --- negotiation --- */

struct nego_case {
	const char *what;
	const struct hv_ic_versions *guest;
	struct hv_ic_version host_fw[4];
	size_t n_host_fw;
	struct hv_ic_version host_srv[4];
	size_t n_host_srv;
	int want;
	struct hv_ic_version want_e0, want_e1; /* entries 0 and 1 after the rewrite */
};

static struct nego_case negotiate_cases[] = {
	{ "kvp, host offers everything", &hv_ic_versions_kvp, { V(3, 0), V(1, 0) }, 2,
	  { V(4, 0), V(3, 0), V(1, 0) }, 3, 0, V(3, 0), V(4, 0) },
	{ "kvp, old host", &hv_ic_versions_kvp, { V(1, 0) }, 1, { V(1, 0) }, 1, 0, V(1, 0), V(1, 0) },
	{ "guest preference wins over host order", &hv_ic_versions_kvp, { V(1, 0), V(3, 0) }, 2,
	  { V(1, 0), V(3, 0), V(4, 0) }, 3, 0, V(3, 0), V(4, 0) },
	{ "shutdown 3.2", &hv_ic_versions_shutdown, { V(3, 0) }, 1, { V(3, 0), V(3, 2) }, 2, 0, V(3, 0),
	  V(3, 2) },
	{ "timesync 4.0", &hv_ic_versions_timesync, { V(3, 0) }, 1, { V(4, 0) }, 1, 0, V(3, 0), V(4, 0) },
	{ "heartbeat", &hv_ic_versions_heartbeat, { V(3, 0) }, 1, { V(3, 0) }, 1, 0, V(3, 0), V(3, 0) },
	{ "vss 5.0", &hv_ic_versions_vss, { V(3, 0), V(1, 0) }, 2, { V(5, 0) }, 1, 0, V(3, 0), V(5, 0) },
	{ "fcopy 1.1", &hv_ic_versions_fcopy, { V(3, 0) }, 1, { V(1, 1) }, 1, 0, V(3, 0), V(1, 1) },
	{ "vss refuses framework 1.0", &hv_ic_versions_vss, { V(1, 0) }, 1, { V(5, 0) }, 1, -EPROTO,
	  V(1, 0) /* {host fw count, 0} */, V(1, 0) /* {host msg count, 0} */ },
	{ "no framework: leftovers are the host counts", &hv_ic_versions_kvp, { V(2, 0), V(9, 9) }, 2,
	  { V(4, 0), V(3, 0), V(1, 0) }, 3, -EPROTO, V(2, 0), V(3, 0) },
	{ "framework found, no service: chosen fw then host msg count", &hv_ic_versions_kvp,
	  { V(3, 0) }, 1, { V(9, 9), V(8, 8) }, 2, -EPROTO, V(3, 0), V(2, 0) },
	{ "minor must match exactly", &hv_ic_versions_fcopy, { V(3, 0) }, 1, { V(1, 0) }, 1, -EPROTO,
	  V(3, 0), V(1, 0) },
	{ "empty host lists", &hv_ic_versions_kvp, { V(0, 0) }, 0, { V(0, 0) }, 0, -EPROTO, V(0, 0),
	  V(0, 0) },
};

ParameterizedTestParameters(icmsg, negotiate)
{
	PARAM_INDICES(negotiate_cases);
}

ParameterizedTest(size_t *ci, icmsg, negotiate)
{
	const struct nego_case *c = &negotiate_cases[*ci];
	uint8_t b[256];
	struct hv_ic_version fw = V(0xffff, 0xffff), srv = V(0xffff, 0xffff);
	int len, r;

	memset(b, 0xee, sizeof(b));
	len = hv_icmsg_negotiate_request(b, sizeof(b), 7, c->host_fw, c->n_host_fw, c->host_srv, c->n_host_srv);
	cr_assert_eq(len, (int)HV_ICMSG_NEGOTIATE_PKT_SIZE(c->n_host_fw, c->n_host_srv));
	/* The rewrite writes entries 0 and 1 even when the host sent fewer;
	 * give them room as the kernel's receive buffer does. */
	if (len < (int)HV_ICMSG_NEGOTIATE_PKT_SIZE(1, 1))
		len = (int)HV_ICMSG_NEGOTIATE_PKT_SIZE(1, 1);
	hv_put_le32(b + HV_ICMSG_OFF_STATUS, 0x12345678);
	b[HV_ICMSG_OFF_FLAGS] = 3;

	r = hv_icmsg_negotiate_reply(b, (size_t)len, c->guest->fw, c->guest->n_fw, c->guest->srv,
				     c->guest->n_srv, &fw, &srv);
	cr_assert_eq(r, c->want, "%s: got %d want %d", c->what, r, c->want);
	cr_assert_eq(hv_get_le16(b + HV_ICMSG_OFF_SIZE), 0x10, "%s: icmsgsize", c->what);
	cr_assert_eq(hv_get_le16(b + 28), r == 0 ? 1 : 0, "%s: fw count", c->what);
	cr_assert_eq(hv_get_le16(b + 30), r == 0 ? 1 : 0, "%s: msg count", c->what);
	cr_assert_eq(hv_get_le16(b + 36), c->want_e0.major, "%s: entry 0 major", c->what);
	cr_assert_eq(hv_get_le16(b + 38), c->want_e0.minor, "%s: entry 0 minor", c->what);
	cr_assert_eq(hv_get_le16(b + 40), c->want_e1.major, "%s: entry 1 major", c->what);
	cr_assert_eq(hv_get_le16(b + 42), c->want_e1.minor, "%s: entry 1 minor", c->what);
	cr_assert_eq(hv_get_le32(b + HV_ICMSG_OFF_STATUS), 0x12345678, "%s: status untouched", c->what);
	cr_assert_eq(b[HV_ICMSG_OFF_FLAGS], 3, "%s: icflags untouched", c->what);
	if (r == 0) {
		cr_assert_eq(fw.major, c->want_e0.major);
		cr_assert_eq(fw.minor, c->want_e0.minor);
		cr_assert_eq(srv.major, c->want_e1.major);
		cr_assert_eq(srv.minor, c->want_e1.minor);
		/* And the host reads back the same choice. */
		struct hv_ic_version hfw, hsrv;

		cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, (size_t)len, &hfw, &hsrv), 0);
		cr_assert_eq(hv_ic_version_to_u32(hfw), hv_ic_version_to_u32(fw));
		cr_assert_eq(hv_ic_version_to_u32(hsrv), hv_ic_version_to_u32(srv));
	} else {
		cr_assert_eq(fw.major, 0xffff, "%s: ret_fw written on failure", c->what);
		cr_assert_eq(srv.major, 0xffff, "%s: ret_srv written on failure", c->what);
		cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, (size_t)len, NULL, NULL), -EPROTO);
	}
}

Test(icmsg, negotiate_short_buffer_is_left_alone)
{
	uint8_t b[64], before[64];

	memset(b, 0x11, sizeof(b));
	memcpy(before, b, sizeof(b));
	for (size_t len = 0; len < 32; len++) {
		cr_assert_eq(hv_icmsg_negotiate_reply(b, len, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv, 3,
						      NULL, NULL),
			     -EBADMSG, "len %zu", len);
		cr_assert_arr_eq(b, before, sizeof(b), "len %zu modified the buffer", len);
	}
	cr_assert_eq(hv_icmsg_negotiate_reply(NULL, 100, NULL, 0, NULL, 0, NULL, NULL), -EBADMSG);
}

Test(icmsg, negotiate_counts_over_100)
{
	static const struct hv_ic_version many[101] = { V(3, 0) };
	uint8_t b[HV_ICMSG_NEGOTIATE_PKT_SIZE(101, 1) + 8];
	struct hv_ic_version one = V(4, 0);
	int len;

	len = hv_icmsg_negotiate_request(b, sizeof(b), 1, many, 101, &one, 1);
	cr_assert_eq(len, (int)HV_ICMSG_NEGOTIATE_PKT_SIZE(101, 1));
	cr_assert_eq(hv_icmsg_negotiate_reply(b, (size_t)len, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv, 3,
					      NULL, NULL),
		     -EBADMSG, "101 framework versions must be refused even though 3.0 is among them");
	cr_assert_eq(hv_get_le16(b + HV_ICMSG_OFF_SIZE), 0x10);
	cr_assert_eq(hv_get_le16(b + 28), 0);
	cr_assert_eq(hv_get_le16(b + 30), 0);
	cr_assert_eq(hv_get_le16(b + 36), 101, "leftover: the host's framework count");
	cr_assert_eq(hv_get_le16(b + 40), 1, "leftover: the host's message count");

	/* Exactly 100 is allowed. */
	len = hv_icmsg_negotiate_request(b, sizeof(b), 1, many, 100, &one, 1);
	cr_assert_eq(hv_icmsg_negotiate_reply(b, (size_t)len, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv, 3,
					      NULL, NULL),
		     0);

	/* Service count over 100. */
	len = hv_icmsg_negotiate_request(b, sizeof(b), 1, &one, 1, many, 101);
	cr_assert_eq(hv_icmsg_negotiate_reply(b, (size_t)len, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv, 3,
					      NULL, NULL),
		     -EBADMSG);
}

Test(icmsg, negotiate_counts_past_the_packet)
{
	uint8_t b[128];
	struct hv_ic_version fw[] = { V(3, 0) }, srv[] = { V(4, 0) };
	int len = hv_icmsg_negotiate_request(b, sizeof(b), 1, fw, 1, srv, 1);

	cr_assert_eq(len, 44);
	/* Claim 2 + 2 entries in a packet holding 2. */
	hv_put_le16(b + 28, 2);
	hv_put_le16(b + 30, 2);
	cr_assert_eq(hv_icmsg_negotiate_reply(b, 44, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv, 3, NULL, NULL),
		     -EBADMSG);
	cr_assert_eq(hv_get_le16(b + 28), 0);
	/* Honest counts, but the packet one byte short of its last entry. */
	len = hv_icmsg_negotiate_request(b, sizeof(b), 1, fw, 1, srv, 1);
	cr_assert_eq(hv_icmsg_negotiate_reply(b, (size_t)len - 1, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv,
					      3, NULL, NULL),
		     -EBADMSG, "one byte short");
}

Test(icmsg, negotiate_never_writes_past_len)
{
	uint8_t b[64];

	memset(b, 0, sizeof(b));
	memset(b + 32, 0xcc, sizeof(b) - 32);
	/* 32 bytes: counts 0/0 need 36, so this is the failure path; the
	 * entries (36..43) lie outside and must not be written. */
	cr_assert_eq(hv_icmsg_negotiate_reply(b, 32, hv_ic_versions_kvp.fw, 2, hv_ic_versions_kvp.srv, 3, NULL, NULL),
		     -EBADMSG);
	for (size_t i = 32; i < sizeof(b); i++)
		cr_assert_eq(b[i], 0xcc, "byte %zu written", i);
}

Test(icmsg, negotiate_request_layout_and_parse)
{
	struct hv_ic_version fw[] = { V(3, 0), V(1, 0) }, srv[] = { V(4, 0), V(3, 0), V(1, 0) };
	struct hv_ic_version rfw[4], rsrv[2];
	size_t nfw = 0, nsrv = 0;
	struct hv_icmsg_hdr h;
	uint8_t b[128];
	int len = hv_icmsg_negotiate_request(b, sizeof(b), 42, fw, 2, srv, 3);

	cr_assert_eq(len, 28 + 8 + 5 * 4);
	cr_assert_eq(hv_icmsg_parse(b, (size_t)len, &h), 0);
	cr_assert_eq(h.type, HV_ICMSG_TYPE_NEGOTIATE);
	cr_assert_eq(h.icmsgsize, 8 + 20);
	cr_assert_eq(h.flags, HV_ICMSG_FLAGS_REQUEST);
	cr_assert_eq(h.trans_id, 42);
	cr_assert_eq(hv_get_le16(b + 28), 2);
	cr_assert_eq(hv_get_le16(b + 30), 3);
	cr_assert_eq(hv_get_le16(b + 36 + 8), 4, "first service entry after the frameworks");

	cr_assert_eq(hv_icmsg_negotiate_parse_request(b, (size_t)len, rfw, 4, &nfw, rsrv, 2, &nsrv), 0);
	cr_assert_eq(nfw, 2);
	cr_assert_eq(nsrv, 3, "count reported even when max is smaller");
	cr_assert_eq(rfw[1].major, 1);
	cr_assert_eq(rsrv[1].major, 3);
	cr_assert_eq(hv_icmsg_negotiate_parse_request(b, (size_t)len - 1, rfw, 4, &nfw, rsrv, 2, &nsrv), -EBADMSG);

	cr_assert_eq(hv_icmsg_negotiate_request(b, 40, 1, fw, 2, srv, 3), -ENOBUFS);
}

Test(icmsg, parse_reply_rejects_malformed)
{
	uint8_t b[64] = { 0 };

	cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, 35, NULL, NULL), -EBADMSG);
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, 36, NULL, NULL), -EPROTO, "counts 0/0");
	hv_put_le16(b + 28, 1);
	hv_put_le16(b + 30, 1);
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, 43, NULL, NULL), -EBADMSG, "entries cut");
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, 44, NULL, NULL), 0);
	hv_put_le16(b + 30, 2);
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, 64, NULL, NULL), -EBADMSG, "counts 1/2");
	hv_put_le16(b + 28, 0);
	hv_put_le16(b + 30, 1);
	cr_assert_eq(hv_icmsg_negotiate_parse_reply(b, 64, NULL, NULL), -EBADMSG, "counts 0/1");
}

Test(icmsg, version_tables)
{
	cr_assert_eq(hv_ic_versions_shutdown.n_fw, 2);
	cr_assert_eq(hv_ic_versions_shutdown.n_srv, 4);
	cr_assert_eq(hv_ic_versions_shutdown.srv[0].minor, 2);
	cr_assert_eq(hv_ic_versions_timesync.n_srv, 3);
	cr_assert_eq(hv_ic_versions_timesync.srv[0].major, 4);
	cr_assert_eq(hv_ic_versions_heartbeat.n_srv, 2);
	cr_assert_eq(hv_ic_versions_kvp.n_srv, 3);
	cr_assert_eq(hv_ic_version_to_u32(hv_ic_versions_kvp.srv[0]), 0x00040000u);
	cr_assert_eq(hv_ic_versions_vss.n_fw, 1);
	cr_assert_eq(hv_ic_version_to_u32(hv_ic_versions_vss.srv[0]), 0x00050000u);
	cr_assert_eq(hv_ic_versions_fcopy.n_fw, 1);
	cr_assert_eq(hv_ic_version_to_u32(hv_ic_versions_fcopy.srv[0]), 0x00010001u);
	cr_assert_eq(hv_ic_version_to_u32(HV_UTIL_FW_VERSION), 0x00030000u);
	cr_assert_eq(hv_ic_version_to_u32(HV_UTIL_WS2K8_FW_VERSION), 0x00010000u);
	cr_assert_eq(hv_ic_versions_for_type(HV_ICMSG_TYPE_KVPEXCHANGE), &hv_ic_versions_kvp);
	cr_assert_eq(hv_ic_versions_for_type(HV_ICMSG_TYPE_FCOPY), &hv_ic_versions_fcopy);
	cr_assert_eq(hv_ic_versions_for_type(HV_ICMSG_TYPE_HEARTBEAT), &hv_ic_versions_heartbeat);
	cr_assert_null(hv_ic_versions_for_type(HV_ICMSG_TYPE_NEGOTIATE));
	cr_assert_null(hv_ic_versions_for_type((enum hv_icmsg_type)6));
}

Test(icmsg, type_strings)
{
	cr_assert_str_eq(hv_icmsg_type_to_string(HV_ICMSG_TYPE_KVPEXCHANGE), "kvp");
	cr_assert_str_eq(hv_icmsg_type_to_string(HV_ICMSG_TYPE_FCOPY), "fcopy");
	cr_assert_null(hv_icmsg_type_to_string((enum hv_icmsg_type)6));
	cr_assert_null(hv_icmsg_type_to_string((enum hv_icmsg_type)8));
	cr_assert_eq(hv_icmsg_type_from_string("timesync"), HV_ICMSG_TYPE_TIMESYNC);
	cr_assert_eq(hv_icmsg_type_from_string("bogus"), -EINVAL);
}
