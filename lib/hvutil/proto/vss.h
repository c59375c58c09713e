/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VSS (backup, icmsgtype 5) codecs, PROTOCOL.md §6.1-§6.3, §11.13.
 *
 * hv_vss_msg is 12 bytes: byte 0 = operation (bytes 1..7 reserved) in a
 * union with a 4-byte `error` at bytes 0..3; bytes 8..11 = flags
 * (vss_cf.flags / dm_info.flags).  The same 12 bytes travel on the host
 * wire (at IC offset 28; FREEZE packets are longer, the host appends LUN
 * data) and through /dev/vmbus/hv_vss.
 *
 * The kernel-side helpers reproduce hv_snapshot.c: which ops reach the
 * daemon and which the kernel answers itself, the registration handshake
 * and how a daemon reply becomes the host reply (status = error verbatim,
 * the dead HOT_BACKUP flag path).
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/icmsg.h"

#define HV_VSS_MSG_SIZE 12
#define HV_VSS_OFF_OPERATION 0
#define HV_VSS_OFF_ERROR 0
#define HV_VSS_OFF_FLAGS 8
#define HV_VSS_HBU_NO_AUTO_RECOVERY 5
/* Kernel reply to REGISTER1: a bare u32 = 129, not a 12-byte message. */
#define HV_VSS_HANDSHAKE_REPLY_SIZE 4
/* Daemon timeouts in the kernel (§6.2). */
#define HV_VSS_FREEZE_TIMEOUT_SEC 900
#define HV_VSS_TIMEOUT_SEC 30

enum hv_vss_op {
	HV_VSS_OP_CREATE = 0,
	HV_VSS_OP_DELETE = 1,
	HV_VSS_OP_HOT_BACKUP = 2,
	HV_VSS_OP_GET_DM_INFO = 3,
	HV_VSS_OP_BU_COMPLETE = 4,
	HV_VSS_OP_FREEZE = 5,
	HV_VSS_OP_THAW = 6,
	HV_VSS_OP_AUTO_RECOVER = 7,
	_HV_VSS_OP_MAX,
	_HV_VSS_OP_INVALID = -EINVAL,
};
#define HV_VSS_OP_REGISTER 128
#define HV_VSS_OP_REGISTER1 129

/* "create", "delete", "hot-backup", "get-dm-info", "bu-complete", "freeze",
 * "thaw", "auto-recover" */
const char *hv_vss_op_to_string(enum hv_vss_op op);
enum hv_vss_op hv_vss_op_from_string(const char *s);

struct hv_vss_msg {
	uint8_t op;     /* byte 0 */
	uint32_t error; /* bytes 0..3 (little-endian) */
	uint32_t flags; /* bytes 8..11 */
};

/* Decode 12 bytes (len >= 12; both views of bytes 0..3 are filled).
 * -EBADMSG for a short buffer.  The op is not validated: callers switch
 * on it and treat unknown ops as the reference daemon does. */
int hv_vss_msg_decode(const uint8_t *buf, size_t len, struct hv_vss_msg *ret);
/* Kernel->daemon request or daemon registration: op at byte 0, bytes
 * 1..7 zero, flags.  Returns 12 or -ENOBUFS. */
int hv_vss_msg_encode_request(uint8_t op, uint32_t flags, uint8_t *buf, size_t len);
/* Daemon->kernel reply: error at bytes 0..3 (clobbering op), bytes 4..7
 * zero, flags.  Returns 12 or -ENOBUFS. */
int hv_vss_msg_encode_reply(uint32_t error, uint32_t flags, uint8_t *buf, size_t len);

/* --- host wire --- */

/*
 * Host side: icmsg header from *hdr (type forced to VSS, icmsgsize and
 * pipe msgsize computed), then op and flags, zero-padded up to msg_size
 * bytes of service data (>= 12; FREEZE requests are larger on real hosts).
 * Returns 28 + msg_size, -ENOBUFS, -EINVAL if msg_size < 12 or > 65535 - 20.
 */
int hv_vss_wire_encode_request(const struct hv_icmsg_hdr *hdr, uint8_t op, uint32_t flags, size_t msg_size,
			       uint8_t *buf, size_t len);

struct hv_vss_wire_reply {
	uint32_t status; /* icmsg status */
	uint8_t op;      /* echoed operation byte */
	uint32_t flags;
};

/* Host side: read the guest's reply.  -EBADMSG if len < 40. */
int hv_vss_wire_decode_reply(const uint8_t *buf, size_t len, struct hv_vss_wire_reply *ret);

/* --- the kernel's routing and conversions (hv_snapshot.c, §6.2) --- */

enum hv_vss_route {
	HV_VSS_ROUTE_DAEMON, /* FREEZE, THAW, HOT_BACKUP: forwarded (HV_E_FAIL at once without a daemon) */
	HV_VSS_ROUTE_KERNEL, /* everything else: the kernel answers status 0 itself */
};

/* Where the kernel sends a host op (raw byte; unknown ops -> KERNEL). */
enum hv_vss_route hv_vss_kernel_route(uint8_t op);
/* Seconds the kernel waits for the daemon: 900 for FREEZE, else 30. */
unsigned hv_vss_kernel_timeout_sec(uint8_t op);

/*
 * Host payload -> the 12-byte daemon message the kernel sends: zeroed,
 * operation copied, flags 0.  -EBADMSG if len < 28 + 12 (the kernel
 * drops such packets).  Returns 12.
 */
int hv_vss_kernel_request_to_daemon(const uint8_t *buf, size_t len, uint8_t *out, size_t out_len);

/*
 * The kernel answering a host request itself (ROUTE_KERNEL ops, or no
 * daemon, or a timeout): GET_DM_INFO gets dm_info.flags = 0; status as
 * given (0 for kernel-handled ops, HV_E_FAIL for no daemon / timeout);
 * icflags = TRANSACTION|RESPONSE.  -EBADMSG if len < 40.
 */
int hv_vss_kernel_answer_host(uint8_t *buf, size_t len, uint32_t status);

/*
 * Daemon reply (12 bytes) -> host reply in place: status = the daemon's
 * error verbatim; if the reply's byte 0 equals HOT_BACKUP the host's
 * vss_cf.flags is set to VSS_HBU_NO_AUTO_RECOVERY (5), which a daemon
 * replying error = 0 never triggers (§6.2, §11.13: the dead path).
 * icflags = TRANSACTION|RESPONSE.  *ret_status may be NULL.
 * -EBADMSG if len < 40 or reply_len != 12.
 */
int hv_vss_kernel_reply_to_host(uint8_t *buf, size_t len, const uint8_t *reply, size_t reply_len,
				uint32_t *ret_status);

enum hv_vss_daemon_write {
	HV_VSS_WRITE_REGISTER, /* byte 0 is 128 or 129: a registration */
	HV_VSS_WRITE_REPLY,    /* anything else: the answer to the pending request */
};

/*
 * How the kernel reads a daemon write: length != 12 -> -EINVAL; byte 0 =
 * 128/129 -> REGISTER (checked before the reply path, so a reply whose
 * error's low byte is 128/129 is taken for a registration); else REPLY.
 */
int hv_vss_kernel_classify_daemon_write(const uint8_t *buf, size_t len);

/*
 * The kernel's answer to a registration: REGISTER1 -> 4-byte u32 129 in
 * out, returns 4; REGISTER (legacy) -> no answer, returns 0; anything else
 * -> -EINVAL.  -ENOBUFS if out_len < 4 for REGISTER1.
 */
int hv_vss_kernel_handshake(uint8_t op, uint8_t *out, size_t out_len);
