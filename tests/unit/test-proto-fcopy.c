/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto/fcopy: host wire, char-device daemon ABI and the kernel's
 * conversions (PROTOCOL.md §7.1, §7.2, §11.16, §11.19). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"
#include "proto/fcopy.h"
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

#define P HV_ICMSG_HDR_SIZE
#define WIRE_MAX (P + HV_FCOPY_DO_SIZE)

static struct hv_icmsg_hdr request_hdr(void)
{
	struct hv_icmsg_hdr h;

	hv_icmsg_hdr_init_request(&h, HV_ICMSG_TYPE_FCOPY, HV_IC_VERSION(3, 0), HV_IC_VERSION(1, 1), 0, 0);
	return h;
}

static int build_start(uint8_t *b, size_t len, const char *file, const char *path, uint32_t flags, uint64_t size)
{
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_START_FILE_COPY };
	struct hv_icmsg_hdr h = request_hdr();

	strcpy(m.start.file_name, file);
	strcpy(m.start.path_name, path);
	m.start.copy_flags = flags;
	m.start.file_size = size;
	return hv_fcopy_wire_encode_request(&m, &h, b, len);
}

Test(fcopy, layout)
{
	cr_assert_eq(HV_FCOPY_HDR_SIZE, 36);
	cr_assert_eq(HV_FCOPY_START_SIZE, 1088);
	cr_assert_eq(HV_FCOPY_DO_SIZE, 6196);
	cr_assert_eq(HV_FCOPY_OFF_PATH_NAME, 36 + 520);
	cr_assert_eq(HV_FCOPY_OFF_COPY_FLAGS, 556 + 520);
	cr_assert_eq(HV_FCOPY_OFF_FILE_SIZE, 1080);
	cr_assert_eq(HV_FCOPY_OFF_FILE_SIZE + 8, HV_FCOPY_START_SIZE);
	cr_assert_eq(HV_FCOPY_OFF_OFFSET, 40, "after the 4-byte pad");
	cr_assert_eq(HV_FCOPY_OFF_SIZE, 48);
	cr_assert_eq(HV_FCOPY_OFF_DATA, 52);
	cr_assert_eq(HV_FCOPY_OFF_DATA + HV_FCOPY_DATA_FRAGMENT, HV_FCOPY_DO_SIZE);
	cr_assert_eq(HV_FCOPY_W_MAX_PATH, 260);
	cr_assert_eq(HV_FCOPY_VERSION_0, 0);
	cr_assert_eq(HV_FCOPY_VERSION_1, 1);
	cr_assert_eq(HV_FCOPY_OVER_WRITE, 1);
	cr_assert_eq(HV_FCOPY_CREATE_PATH, 2);
	cr_assert_str_eq(hv_fcopy_op_to_string(HV_FCOPY_OP_CANCEL_FCOPY), "cancel");
	cr_assert_eq(hv_fcopy_op_from_string("write"), HV_FCOPY_OP_WRITE_TO_FILE);
	cr_assert_null(hv_fcopy_op_to_string((enum hv_fcopy_op)4));
}

Test(fcopy, wire_start_round_trip)
{
	uint8_t b[WIRE_MAX];
	struct hv_fcopy_msg m;
	struct hv_icmsg_hdr h;

	cr_assert_eq(build_start(b, sizeof(b), "naïve.txt", "/tmp/dir", 3, 123456789012ull), P + 1088);
	cr_assert_eq(hv_icmsg_parse(b, sizeof(b), &h), 0);
	cr_assert_eq(h.type, HV_ICMSG_TYPE_FCOPY);
	cr_assert_eq(h.icmsgsize, 1088);
	cr_assert_eq(hv_get_le32(b + P), 0);
	cr_assert_eq(hv_get_le16(b + P + 36), 'n');
	cr_assert_eq(hv_get_le16(b + P + 36 + 4), 0xef, "UTF-16 on the wire");
	cr_assert_eq(hv_get_le16(b + P + 556), '/');
	cr_assert_eq(hv_get_le32(b + P + 1076), 3);
	cr_assert_eq(hv_get_le64(b + P + 1080), 123456789012ull);
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1088, &m), 0);
	cr_assert_eq(m.op, HV_FCOPY_OP_START_FILE_COPY);
	cr_assert_str_eq(m.start.file_name, "naïve.txt");
	cr_assert_str_eq(m.start.path_name, "/tmp/dir");
	cr_assert_eq(m.start.copy_flags, 3);
	cr_assert_eq(m.start.file_size, 123456789012ull);
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1087, &m), -EBADMSG, "START cut short");
}

Test(fcopy, wire_name_limits)
{
	uint8_t b[WIRE_MAX];
	char name[300];
	struct hv_fcopy_msg m;

	memset(name, 'n', 259);
	name[259] = '\0';
	cr_assert_eq(build_start(b, sizeof(b), name, "/", 0, 0), P + 1088, "259 units + NUL fit");
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1088, &m), 0);
	cr_assert_eq(strlen(m.start.file_name), 259);
	name[259] = 'n';
	name[260] = '\0';
	cr_assert_eq(build_start(b, sizeof(b), name, "/", 0, 0), -E2BIG);
	cr_assert_eq(build_start(b, sizeof(b), "bad\xff", "/", 0, 0), -EILSEQ);

	/* 260 units without NUL on the wire. */
	cr_assert_eq(build_start(b, sizeof(b), "f", "/", 0, 0), P + 1088);
	for (size_t i = 0; i < 260; i++)
		hv_put_le16(b + P + 36 + 2 * i, 'x');
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1088, &m), -EBADMSG);
}

Test(fcopy, wire_rejects_unpaired_surrogates)
{
	uint8_t b[WIRE_MAX];
	struct hv_fcopy_msg m = { .op = 77 };

	cr_assert_eq(build_start(b, sizeof(b), "ab", "/pq", 0, 0), P + 1088);
	hv_put_le16(b + P + 36 + 2, 0xd800); /* "a" + lone high surrogate */
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1088, &m), -EILSEQ);
	hv_put_le16(b + P + 36 + 2, 0xdc00); /* lone low surrogate */
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1088, &m), -EILSEQ);
	hv_put_le16(b + P + 556, 0xd83d);
	hv_put_le16(b + P + 556 + 2, 0xde00); /* a proper pair in path is fine */
	hv_put_le16(b + P + 36 + 2, 'b');
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 1088, &m), 0);
	cr_assert_str_eq(m.start.path_name, "\xf0\x9f\x98\x80q");
}

struct write_case {
	const char *what;
	uint32_t size;    /* size field */
	size_t data_sent; /* bytes of data present in the packet */
	int want;
};

static struct write_case write_cases[] = {
	{ "empty", 0, 0, 0 },
	{ "one byte", 1, 1, 0 },
	{ "full fragment", 6144, 6144, 0 },
	{ "size 6145", 6145, 6144, -EBADMSG },
	{ "size 6145 with 6145 bytes present", 6145, 6145, -EBADMSG },
	{ "size 8192 with 8192 bytes present", 8192, 8192, -EBADMSG },
	{ "size 2^32-1", 0xffffffffu, 6144, -EBADMSG },
	{ "size beyond packet", 100, 99, -EBADMSG },
	{ "short packet, honest size", 10, 10, 0 },
};

ParameterizedTestParameters(fcopy, wire_write_size_checks)
{
	PARAM_INDICES(write_cases);
}

ParameterizedTest(size_t *ci, fcopy, wire_write_size_checks)
{
	const struct write_case *c = &write_cases[*ci];
	size_t len = P + HV_FCOPY_OFF_DATA + c->data_sent;
	uint8_t *b = calloc(1, len);
	struct hv_fcopy_msg m = { .op = 99 };

	cr_assert_not_null(b);
	hv_put_le32(b + P, HV_FCOPY_OP_WRITE_TO_FILE);
	hv_put_le64(b + P + 40, 4096);
	hv_put_le32(b + P + 48, c->size);
	memset(b + P + 52, 'd', c->data_sent);
	cr_assert_eq(hv_fcopy_wire_decode(b, len, &m), c->want, "%s", c->what);
	if (c->want == 0) {
		cr_assert_eq(m.write.offset, 4096);
		cr_assert_eq(m.write.size, c->size);
		cr_assert_eq(m.write.data, b + P + 52, "points into the buffer");
	} else {
		cr_assert_eq(m.op, 99, "%s: ret written on failure", c->what);
	}
	free(b);
}

Test(fcopy, wire_short_packets)
{
	uint8_t b[WIRE_MAX] = { 0 };
	struct hv_fcopy_msg m;

	hv_put_le32(b + P, HV_FCOPY_OP_COMPLETE_FCOPY);
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 36, &m), 0);
	cr_assert_eq(m.op, HV_FCOPY_OP_COMPLETE_FCOPY);
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 35, &m), -EBADMSG, "< 28 + 36 (§11.20)");
	hv_put_le32(b + P, HV_FCOPY_OP_WRITE_TO_FILE);
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 51, &m), -EBADMSG);
}

Test(fcopy, wire_write_encode)
{
	static uint8_t data[6145];
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_WRITE_TO_FILE,
				  .write = { .offset = 1ull << 40, .size = 5, .data = (const uint8_t *)"hello" } };
	struct hv_icmsg_hdr h = request_hdr();
	uint8_t b[WIRE_MAX];
	struct hv_fcopy_msg d;

	memset(b, 0xee, sizeof(b));
	cr_assert_eq(hv_fcopy_wire_encode_request(&m, &h, b, sizeof(b)), P + 6196);
	cr_assert_eq(hv_get_le32(b + P + 36), 0, "pad");
	cr_assert_eq(hv_get_le64(b + P + 40), 1ull << 40);
	cr_assert_eq(hv_get_le32(b + P + 48), 5);
	cr_assert_eq(memcmp(b + P + 52, "hello", 5), 0);
	cr_assert_eq(b[P + 57], 0, "unused data zeroed");
	cr_assert_eq(hv_fcopy_wire_decode(b, P + 6196, &d), 0);
	cr_assert_eq(d.write.size, 5);
	m.write.size = 6145;
	m.write.data = data;
	cr_assert_eq(hv_fcopy_wire_encode_request(&m, &h, b, sizeof(b)), -E2BIG);
	m.write.size = 5;
	m.write.data = NULL;
	cr_assert_eq(hv_fcopy_wire_encode_request(&m, &h, b, sizeof(b)), -EINVAL);
	m.op = HV_FCOPY_OP_CANCEL_FCOPY;
	cr_assert_eq(hv_fcopy_wire_encode_request(&m, &h, b, sizeof(b)), P + 36);
	cr_assert_eq(hv_fcopy_wire_encode_request(&m, &h, b, P + 35), -ENOBUFS);
}

Test(fcopy, kernel_start_converts_names_in_place)
{
	uint8_t b[WIRE_MAX], out[HV_FCOPY_DO_SIZE];
	struct hv_fcopy_msg m;

	cr_assert_eq(build_start(b, sizeof(b), "file.bin", "/var/tmp", HV_FCOPY_OVER_WRITE, 42), P + 1088);
	memset(b + P + 4, 0x77, 32); /* service ids: not passed on */
	memset(out, 0xaa, sizeof(out));
	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 1088, out, sizeof(out)), 1088);
	cr_assert_eq(hv_get_le32(out), 0);
	cr_assert_eq(out[4], 0, "service ids zero");
	cr_assert_str_eq((char *)out + 36, "file.bin", "UTF-8 where the u16 array was");
	cr_assert_str_eq((char *)out + 556, "/var/tmp");
	cr_assert_eq(hv_get_le32(out + 1076), 1);
	cr_assert_eq(hv_get_le64(out + 1080), 42);
	cr_assert_eq(hv_fcopy_daemon_decode(out, 1088, &m), 0);
	cr_assert_str_eq(m.start.file_name, "file.bin");
	cr_assert_str_eq(m.start.path_name, "/var/tmp");
	cr_assert_eq(m.start.file_size, 42);
}

Test(fcopy, kernel_start_limits_and_lenient_conversion)
{
	uint8_t b[WIRE_MAX] = { 0 }, out[HV_FCOPY_DO_SIZE];
	struct hv_fcopy_msg m;

	hv_put_le32(b + P, HV_FCOPY_OP_START_FILE_COPY);
	/* 260 units, no NUL: the kernel stops at 259 bytes. */
	for (size_t i = 0; i < 260; i++)
		hv_put_le16(b + P + 36 + 2 * i, 'f');
	/* An unpaired surrogate is skipped, not an error. */
	hv_put_le16(b + P + 556, 'p');
	hv_put_le16(b + P + 558, 0xdc00);
	hv_put_le16(b + P + 560, 'q');
	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 1088, out, sizeof(out)), 1088);
	cr_assert_eq(strlen((char *)out + 36), 259);
	cr_assert_str_eq((char *)out + 556, "pq");
	cr_assert_eq(hv_fcopy_daemon_decode(out, 1088, &m), 0);
}

Test(fcopy, kernel_write_and_other_ops)
{
	uint8_t b[WIRE_MAX] = { 0 }, out[WIRE_MAX + 64];
	struct hv_fcopy_msg m;

	hv_put_le32(b + P, HV_FCOPY_OP_WRITE_TO_FILE);
	hv_put_le64(b + P + 40, 8);
	hv_put_le32(b + P + 48, 3);
	memcpy(b + P + 52, "abc", 3);
	memset(out, 0xaa, sizeof(out));
	/* A short WRITE packet still becomes a full 6196-byte message. */
	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 55, out, sizeof(out)), 6196);
	cr_assert_eq(memcmp(out + 52, "abc", 3), 0);
	cr_assert_eq(out[6195], 0, "zero past the packet");
	cr_assert_eq(hv_fcopy_daemon_decode(out, 6196, &m), 0);
	cr_assert_eq(m.write.offset, 8);
	cr_assert_eq(m.write.size, 3);

	/* COMPLETE: recv_len bytes from the fcopy header, the last 28 from
	 * past the packet. */
	hv_put_le32(b + P, HV_FCOPY_OP_COMPLETE_FCOPY);
	memset(b + P + 4, 0x33, 60);
	memset(out, 0xaa, sizeof(out));
	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 64, out, sizeof(out)), P + 64);
	cr_assert_eq(hv_get_le32(out), HV_FCOPY_OP_COMPLETE_FCOPY);
	cr_assert_eq(out[63], 0x33);
	cr_assert_eq(out[64], 0, "overrun bytes read as zero");
	cr_assert_eq(out[P + 63], 0);
	cr_assert_eq(out[P + 64], 0xaa, "nothing written past recv_len");

	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 35, out, sizeof(out)), -EBADMSG);
	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 64, out, P + 63), -ENOBUFS);
	hv_put_le32(b + P, HV_FCOPY_OP_WRITE_TO_FILE);
	cr_assert_eq(hv_fcopy_kernel_request_to_daemon(b, P + 64, out, 6195), -ENOBUFS);
}

Test(fcopy, daemon_abi_round_trip_and_rejects)
{
	struct hv_fcopy_msg m = { .op = HV_FCOPY_OP_START_FILE_COPY }, d = { .op = 99 };
	uint8_t b[HV_FCOPY_DO_SIZE];
	char name[300];

	strcpy(m.start.file_name, "a");
	strcpy(m.start.path_name, "/b");
	cr_assert_eq(hv_fcopy_daemon_encode(&m, b, sizeof(b)), 1088);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 1087, &d), -EBADMSG);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 1088, &d), 0);
	cr_assert_str_eq(d.start.path_name, "/b");
	memset(name, 'x', 260);
	name[260] = '\0';
	strcpy(m.start.file_name, name);
	cr_assert_eq(hv_fcopy_daemon_encode(&m, b, sizeof(b)), -E2BIG, "260 bytes > 259");
	name[259] = '\0';
	strcpy(m.start.file_name, name);
	cr_assert_eq(hv_fcopy_daemon_encode(&m, b, sizeof(b)), 1088);
	memset(b + 36, 'x', 300); /* no NUL within 260 bytes */
	d.op = 99;
	cr_assert_eq(hv_fcopy_daemon_decode(b, 1088, &d), -EBADMSG);
	cr_assert_eq(d.op, 99);
	strcpy((char *)b + 36, "\xc3");
	cr_assert_eq(hv_fcopy_daemon_decode(b, 1088, &d), -EBADMSG, "invalid UTF-8");

	m = (struct hv_fcopy_msg){ .op = HV_FCOPY_OP_WRITE_TO_FILE, .write = { .size = 6144 } };
	static uint8_t data[6144];
	m.write.data = data;
	cr_assert_eq(hv_fcopy_daemon_encode(&m, b, sizeof(b)), 6196);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 6196, &d), 0);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 6195, &d), -EBADMSG);
	hv_put_le32(b + 48, 6145);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 6196, &d), -EBADMSG, "size > 6144");
	{
		/* A longer read still may not carry more than 6144 bytes. */
		uint8_t *big = calloc(1, 8000);

		cr_assert_not_null(big);
		memcpy(big, b, 6196);
		cr_assert_eq(hv_fcopy_daemon_decode(big, 8000, &d), -EBADMSG, "size 6145 in a long buffer");
		hv_put_le32(big + 48, 6144);
		cr_assert_eq(hv_fcopy_daemon_decode(big, 8000, &d), 0);
		free(big);
	}

	m.op = HV_FCOPY_OP_CANCEL_FCOPY;
	cr_assert_eq(hv_fcopy_daemon_encode(&m, b, sizeof(b)), 36);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 36, &d), 0);
	cr_assert_eq(d.op, HV_FCOPY_OP_CANCEL_FCOPY);
	cr_assert_eq(hv_fcopy_daemon_decode(b, 35, &d), -EBADMSG);
}

Test(fcopy, replies_and_handshake)
{
	uint8_t b[WIRE_MAX], r[8], out[8];
	uint32_t status = 0, version = 9;

	cr_assert_eq(build_start(b, sizeof(b), "f", "/", 0, 0), P + 1088);
	cr_assert_eq(hv_fcopy_daemon_encode_reply(HV_ERROR_DISK_FULL, r, sizeof(r)), 4);
	cr_assert_eq(hv_fcopy_kernel_reply_to_host(b, P + 1088, r, 4, &status), 0);
	cr_assert_eq(status, HV_ERROR_DISK_FULL);
	cr_assert_eq(b[HV_ICMSG_OFF_FLAGS], 5);
	cr_assert_eq(hv_fcopy_wire_decode_reply(b, P + 1088, &status), 0);
	cr_assert_eq(status, 0x80070070u);
	cr_assert_eq(hv_fcopy_kernel_reply_to_host(b, P + 1088, r, 5, &status), -EINVAL, "exactly 4 bytes");
	cr_assert_eq(hv_fcopy_kernel_reply_to_host(b, P + 1088, r, 3, &status), -EINVAL);
	cr_assert_eq(hv_fcopy_kernel_reply_to_host(b, 27, r, 4, &status), -EBADMSG);
	cr_assert_eq(hv_fcopy_wire_decode_reply(b, 27, &status), -EBADMSG);

	cr_assert_eq(hv_fcopy_daemon_encode_handshake(HV_FCOPY_VERSION_1, r, sizeof(r)), 4);
	memset(out, 0xaa, sizeof(out));
	cr_assert_eq(hv_fcopy_kernel_handshake(r, 4, out, sizeof(out), &version), 4);
	cr_assert_eq(version, 1);
	cr_assert_eq(hv_get_le32(out), 1);
	cr_assert_eq(hv_fcopy_daemon_encode_handshake(HV_FCOPY_VERSION_0, r, sizeof(r)), 4);
	cr_assert_eq(hv_fcopy_kernel_handshake(r, 4, out, sizeof(out), &version), 0, "version 0: no answer");
	cr_assert_eq(version, 0);
	hv_put_le32(r, 2);
	cr_assert_eq(hv_fcopy_kernel_handshake(r, 4, out, sizeof(out), &version), -EINVAL);
	hv_put_le32(r, 1);
	cr_assert_eq(hv_fcopy_kernel_handshake(r, 8, out, sizeof(out), &version), -EINVAL);
	cr_assert_eq(hv_fcopy_kernel_handshake(r, 4, out, 3, &version), -ENOBUFS);
	cr_assert_eq(hv_fcopy_daemon_encode_reply(0, r, 3), -ENOBUFS);
}
