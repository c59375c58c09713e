/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File copy (Guest services, icmsgtype 7) codecs, PROTOCOL.md §7.1-§7.3,
 * §11.16-§11.20.
 *
 * Messages (all little-endian, offsets from the fcopy header):
 *   hv_fcopy_hdr    36 B: operation u32 @0, service_id0[16] @4, service_id1[16] @20
 *   hv_start_fcopy  1088 B: hdr, file_name u16[260] @36, path_name u16[260] @556,
 *                   copy_flags u32 @1076, file_size u64 @1080
 *   hv_do_fcopy     6196 B: hdr, pad u32 @36, offset u64 @40, size u32 @48, data[6144] @52
 *
 * Two encodings of START: on the host wire names are UTF-16LE; in the
 * char-device daemon ABI (kernels <= 6.9) the kernel has converted them to
 * UTF-8 in place of the u16 arrays (<= 259 bytes + NUL).  WRITE, COMPLETE
 * and CANCEL are the same bytes in both.  The uio daemon decodes the wire
 * form itself.  Every size is checked: `size` against 6144 and against
 * the bytes actually present.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/icmsg.h"

#define HV_FCOPY_HDR_SIZE 36
#define HV_FCOPY_START_SIZE 1088
#define HV_FCOPY_DO_SIZE 6196
#define HV_FCOPY_W_MAX_PATH 260 /* UTF-16 units per name field, incl. NUL */
#define HV_FCOPY_DATA_FRAGMENT 6144
/* Longest UTF-8 name the daemon ABI carries (kernel limit W_MAX_PATH - 1). */
#define HV_FCOPY_DAEMON_NAME_MAX (HV_FCOPY_W_MAX_PATH - 1)
/* Buffer for one wire name as UTF-8: 259 units, 3 bytes each at most, + NUL. */
#define HV_FCOPY_NAME_UTF8_SIZE (3 * (HV_FCOPY_W_MAX_PATH - 1) + 1)

#define HV_FCOPY_OFF_OPERATION 0
#define HV_FCOPY_OFF_SERVICE_ID0 4
#define HV_FCOPY_OFF_SERVICE_ID1 20
#define HV_FCOPY_OFF_FILE_NAME 36
#define HV_FCOPY_OFF_PATH_NAME 556
#define HV_FCOPY_OFF_COPY_FLAGS 1076
#define HV_FCOPY_OFF_FILE_SIZE 1080
#define HV_FCOPY_OFF_PAD 36
#define HV_FCOPY_OFF_OFFSET 40
#define HV_FCOPY_OFF_SIZE 48
#define HV_FCOPY_OFF_DATA 52

enum hv_fcopy_op {
	HV_FCOPY_OP_START_FILE_COPY = 0,
	HV_FCOPY_OP_WRITE_TO_FILE = 1,
	HV_FCOPY_OP_COMPLETE_FCOPY = 2,
	HV_FCOPY_OP_CANCEL_FCOPY = 3,
	_HV_FCOPY_OP_MAX,
	_HV_FCOPY_OP_INVALID = -EINVAL,
};

/* "start", "write", "complete", "cancel" */
const char *hv_fcopy_op_to_string(enum hv_fcopy_op op);
enum hv_fcopy_op hv_fcopy_op_from_string(const char *s);

/* copy_flags */
#define HV_FCOPY_OVER_WRITE 0x1u
#define HV_FCOPY_CREATE_PATH 0x2u

/* Char-device handshake (§7.2): the daemon writes a 4-byte int version. */
#define HV_FCOPY_VERSION_0 0
#define HV_FCOPY_VERSION_1 1
#define HV_FCOPY_CURRENT_VERSION HV_FCOPY_VERSION_1
#define HV_FCOPY_HANDSHAKE_SIZE 4
/* Daemon -> kernel reply: exactly one 4-byte int status. */
#define HV_FCOPY_REPLY_SIZE 4

/*
 * One decoded message.  op is the raw operation; for START the names are
 * UTF-8 (NUL-terminated), for WRITE data points INTO the decoded buffer
 * (valid as long as that buffer is) and size <= 6144 bytes are present.
 */
struct hv_fcopy_msg {
	uint32_t op;
	struct {
		uint32_t copy_flags;
		uint64_t file_size;
		char file_name[HV_FCOPY_NAME_UTF8_SIZE];
		char path_name[HV_FCOPY_NAME_UTF8_SIZE];
	} start;
	struct {
		uint64_t offset;
		uint32_t size;
		const uint8_t *data;
	} write;
};

/* --- host wire (whole IC payload: 28 header bytes + fcopy message) --- */

/*
 * Decode a host FCOPY payload (header included; the icmsg type is not
 * checked here).  Needs 28 + 36 bytes for any op; START needs the whole
 * 1088 bytes and names that are valid UTF-16 with a NUL inside their 260
 * units; WRITE needs 28 + 52 bytes, size <= 6144 and size bytes present.
 * COMPLETE, CANCEL and unknown ops decode to op only.
 * -EBADMSG for any violation, -EILSEQ for invalid UTF-16 in a name.
 */
int hv_fcopy_wire_decode(const uint8_t *buf, size_t len, struct hv_fcopy_msg *ret);

/*
 * Host side: build a request payload.  Header from *hdr (type forced to
 * FCOPY, sizes computed), then by m->op: START with names converted to
 * UTF-16 (at most 259 units each, -E2BIG beyond, -EILSEQ for bad UTF-8);
 * WRITE with offset, size (<= 6144, else -E2BIG) and data, always the full
 * 6196 bytes (pad and unused data zero); COMPLETE, CANCEL and any other
 * op the 36-byte header.  Returns the payload length or -ENOBUFS.
 */
int hv_fcopy_wire_encode_request(const struct hv_fcopy_msg *m, const struct hv_icmsg_hdr *hdr, uint8_t *buf,
				 size_t len);

/* Host side: the status of the guest's reply.  -EBADMSG if len < 28. */
int hv_fcopy_wire_decode_reply(const uint8_t *buf, size_t len, uint32_t *ret_status);

/* --- char-device daemon ABI (kernel <= 6.9) --- */

/*
 * Daemon side: decode what read() returned.  START: len >= 1088, names
 * UTF-8 with a NUL inside the first 260 bytes of their field, valid UTF-8.
 * WRITE: len >= 6196, size <= 6144.  Others: len >= 36.  -EBADMSG.
 */
int hv_fcopy_daemon_decode(const uint8_t *buf, size_t len, struct hv_fcopy_msg *ret);

/*
 * Encode the daemon-ABI form of m (what the kernel sends): START 1088
 * bytes with UTF-8 names (<= 259 bytes, -E2BIG), WRITE 6196 bytes,
 * others 36 bytes.  Returns the length or -ENOBUFS.
 */
int hv_fcopy_daemon_encode(const struct hv_fcopy_msg *m, uint8_t *buf, size_t len);

/* Daemon side: the 4-byte status reply / the 4-byte handshake version. */
int hv_fcopy_daemon_encode_reply(uint32_t status, uint8_t *buf, size_t len);
int hv_fcopy_daemon_encode_handshake(uint32_t version, uint8_t *buf, size_t len);

/* --- the kernel's conversions (hv_fcopy.c, §7.2) --- */

/*
 * Host payload -> what the kernel hands the daemon, written to out:
 *   START: a zeroed 1088-byte message with the operation, names converted
 *     like utf16s_to_utf8s() (260 units in, at most 259 bytes out, bad
 *     surrogates skipped), copy_flags and file_size (service ids zero);
 *   WRITE: the 6196 bytes from the fcopy header on (zero past len);
 *   others: len bytes from the fcopy header on: the kernel sends
 *     recv_len bytes starting 28 bytes into the packet, so the last 28
 *     come from past its end (zero here).
 * -EBADMSG if len < 28 + 36 (the kernel drops the packet), -ENOBUFS if
 * out_len is too small.  Returns the number of bytes for the daemon.
 */
int hv_fcopy_kernel_request_to_daemon(const uint8_t *buf, size_t len, uint8_t *out, size_t out_len);

/*
 * Daemon reply -> host reply in place: reply_len must be 4 (else -EINVAL,
 * what write() returns); status = the int verbatim; icflags =
 * TRANSACTION|RESPONSE.  -EBADMSG if len < 28.
 */
int hv_fcopy_kernel_reply_to_host(uint8_t *buf, size_t len, const uint8_t *reply, size_t reply_len,
				  uint32_t *ret_status);

/*
 * Kernel side of the handshake: write_len != 4 or a version other than
 * 0/1 -> -EINVAL.  Version 0: no answer, returns 0.  Version 1: 4-byte
 * u32 1 into out, returns 4.  *ret_version (may be NULL) gets the version.
 */
int hv_fcopy_kernel_handshake(const uint8_t *write_buf, size_t write_len, uint8_t *out, size_t out_len,
			      uint32_t *ret_version);
