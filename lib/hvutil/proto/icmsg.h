/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration-component framing and version negotiation (PROTOCOL.md §2.1,
 * §2.2).
 *
 * Every IC packet payload starts with an 8-byte vmbuspipe header (guests
 * echo it untouched) and a 20-byte icmsg header; service data starts at
 * offset HV_ICMSG_HDR_SIZE (28).  The guest answers in place: same buffer,
 * same length, icflags = TRANSACTION|RESPONSE, status = HRESULT.
 *
 * Negotiation is written once, here, for both sides: the guest rewrite of
 * a NEGOTIATE message exactly as the kernel's vmbus_prep_negotiate_resp()
 * does it (including its quirks, which the tests name), and the host's
 * request builder and reply reader used by hvsim.
 *
 * All functions are pure: (buf, len) in, struct or rewritten buffer out.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- layout (§2.1) --- */
#define HV_VMBUSPIPE_HDR_SIZE 8
#define HV_ICMSG_HDR_ONLY_SIZE 20
#define HV_ICMSG_HDR_SIZE 28 /* pipe header + icmsg header: service data starts here */

/* Offsets from the start of the IC payload. */
#define HV_ICMSG_OFF_PIPE_FLAGS 0
#define HV_ICMSG_OFF_PIPE_MSGSIZE 4
#define HV_ICMSG_OFF_FRAME_MAJOR 8
#define HV_ICMSG_OFF_FRAME_MINOR 10
#define HV_ICMSG_OFF_TYPE 12
#define HV_ICMSG_OFF_MSG_MAJOR 14
#define HV_ICMSG_OFF_MSG_MINOR 16
#define HV_ICMSG_OFF_SIZE 18
#define HV_ICMSG_OFF_STATUS 20
#define HV_ICMSG_OFF_TRANS_ID 24
#define HV_ICMSG_OFF_FLAGS 25
#define HV_ICMSG_OFF_RESERVED 26

/* icmsg_negotiate, relative to HV_ICMSG_HDR_SIZE (§2.2). */
#define HV_ICMSG_NEGOTIATE_HDR_SIZE 8 /* framework count u16, message count u16, reserved u32 */
#define HV_ICMSG_NEGOTIATE_OFF_FW_COUNT 0
#define HV_ICMSG_NEGOTIATE_OFF_MSG_COUNT 2
#define HV_ICMSG_NEGOTIATE_OFF_RESERVED 4
#define HV_ICMSG_NEGOTIATE_OFF_VERSIONS 8
#define HV_IC_VERSION_SIZE 4 /* {major u16, minor u16} */
#define HV_IC_VERSION_NEGOTIATION_MAX_VER_COUNT 100
/* icmsgsize the guest writes into every negotiate reply: 8 + 2 * 4. */
#define HV_ICMSG_NEGOTIATE_REPLY_ICMSGSIZE 0x10
/* Whole payload needed for given counts (ICMSG_NEGOTIATE_PKT_SIZE). */
#define HV_ICMSG_NEGOTIATE_PKT_SIZE(fc, mc) \
	(HV_ICMSG_HDR_SIZE + HV_ICMSG_NEGOTIATE_HDR_SIZE + ((size_t)(fc) + (size_t)(mc)) * HV_IC_VERSION_SIZE)

enum hv_icmsg_type {
	HV_ICMSG_TYPE_NEGOTIATE = 0,
	HV_ICMSG_TYPE_HEARTBEAT = 1,
	HV_ICMSG_TYPE_KVPEXCHANGE = 2,
	HV_ICMSG_TYPE_SHUTDOWN = 3,
	HV_ICMSG_TYPE_TIMESYNC = 4,
	HV_ICMSG_TYPE_VSS = 5,
	/* 6 is unused */
	HV_ICMSG_TYPE_FCOPY = 7,
	_HV_ICMSG_TYPE_MAX,
	_HV_ICMSG_TYPE_INVALID = -EINVAL,
};

/* "negotiate", "heartbeat", "kvp", "shutdown", "timesync", "vss", "fcopy"; NULL for 6. */
const char *hv_icmsg_type_to_string(enum hv_icmsg_type t);
enum hv_icmsg_type hv_icmsg_type_from_string(const char *s);

/* icflags bits. */
#define HV_ICMSG_FLAG_TRANSACTION 0x01u
#define HV_ICMSG_FLAG_REQUEST 0x02u
#define HV_ICMSG_FLAG_RESPONSE 0x04u
/* What every guest reply carries (overwrites whatever the host sent). */
#define HV_ICMSG_FLAGS_REPLY (HV_ICMSG_FLAG_TRANSACTION | HV_ICMSG_FLAG_RESPONSE)
/* What hvsim's host engines send (UNCONFIRMED for real hosts; guests never check). */
#define HV_ICMSG_FLAGS_REQUEST (HV_ICMSG_FLAG_TRANSACTION | HV_ICMSG_FLAG_REQUEST)

struct hv_ic_version {
	uint16_t major;
	uint16_t minor;
};

#define HV_IC_VERSION(maj, min) ((struct hv_ic_version){ .major = (maj), .minor = (min) })
/* The kernel's int encoding: major << 16 | minor. */
static inline uint32_t hv_ic_version_to_u32(struct hv_ic_version v)
{
	return ((uint32_t)v.major << 16) | v.minor;
}

/* Both headers in host byte order. */
struct hv_icmsg_hdr {
	uint32_t pipe_flags;
	uint32_t pipe_msgsize;
	struct hv_ic_version frame_version; /* icverframe */
	uint16_t type;                      /* enum hv_icmsg_type, raw as received */
	struct hv_ic_version msg_version;   /* icvermsg */
	uint16_t icmsgsize;
	uint32_t status; /* HRESULT, see proto/hv-status.h */
	uint8_t trans_id;
	uint8_t flags;
	uint8_t reserved[2];
};

/* Decode the 28 header bytes. -EBADMSG if len < 28. */
int hv_icmsg_parse(const uint8_t *buf, size_t len, struct hv_icmsg_hdr *ret);
/* Encode the 28 header bytes. -ENOBUFS if len < 28. */
int hv_icmsg_write(uint8_t *buf, size_t len, const struct hv_icmsg_hdr *hdr);

/*
 * A request header as hvsim's host sends it: flags TRANSACTION|REQUEST,
 * the given type, versions and icmsgsize (bytes after the 28-byte header),
 * pipe msgsize = 20 + icmsgsize, pipe flags 0 (UNCONFIRMED; guests echo
 * the pipe header without looking at it), status 0.
 */
void hv_icmsg_hdr_init_request(struct hv_icmsg_hdr *hdr, enum hv_icmsg_type type,
			       struct hv_ic_version frame_version, struct hv_ic_version msg_version,
			       uint16_t icmsgsize, uint8_t trans_id);

/*
 * Turn a received message into the guest's reply in place: status written,
 * icflags = TRANSACTION|RESPONSE; everything else is echoed.  -EBADMSG if
 * len < 28 (the kernel drops such packets without a reply).
 */
int hv_icmsg_set_reply(uint8_t *buf, size_t len, uint32_t status);

/*
 * Guest side of §2.2, the kernel's vmbus_prep_negotiate_resp() exactly,
 * applied in place to a whole IC payload (buf, len = received length):
 *
 *   len < 32                 -> -EBADMSG, buffer untouched.
 *   otherwise icmsgsize is set to 0x10, then
 *   a count > 100, or 28 + 8 + 4 * (fc + mc) > len
 *                            -> -EBADMSG, failure reply written;
 *   no common framework or no common service version
 *                            -> -EPROTO, failure reply written;
 *   success                  -> 0, counts 1/1, entry 0 = framework,
 *                               entry 1 = service version, *ret_fw and
 *                               *ret_srv set (either may be NULL).
 *
 * The guest's preference order wins (first fw[] entry with an exact match
 * anywhere in the host's list).  A failure reply has both counts 0 and,
 * as the kernel does, entries 0 and 1 overwritten with leftovers: {host's
 * framework count, 0} or the chosen framework, then {host's message count,
 * 0}.  Entries are only written where they fit inside len (the kernel
 * writes past short packets into its larger receive buffer).  Status and
 * icflags are NOT touched: hv_icmsg_set_reply() does that.
 */
int hv_icmsg_negotiate_reply(uint8_t *buf, size_t len, const struct hv_ic_version *fw, size_t nfw,
			     const struct hv_ic_version *srv, size_t nsrv, struct hv_ic_version *ret_fw,
			     struct hv_ic_version *ret_srv);

/*
 * Host side: build a whole NEGOTIATE request payload (headers included)
 * offering nfw framework and nsrv service versions in the given order.
 * The icmsg header comes from hv_icmsg_hdr_init_request() with type
 * NEGOTIATE, frame/msg versions = first entries of the lists (0.0 if a
 * list is empty) and icmsgsize = 8 + 4 * (nfw + nsrv).
 * Returns the number of bytes written, -ENOBUFS if len is too small,
 * -E2BIG if a count exceeds UINT16_MAX.  Counts above 100 are allowed on
 * purpose (malformed-input tests).
 */
int hv_icmsg_negotiate_request(uint8_t *buf, size_t len, uint8_t trans_id, const struct hv_ic_version *fw,
			       size_t nfw, const struct hv_ic_version *srv, size_t nsrv);

/*
 * Host side: read the guest's NEGOTIATE reply.  0 and the chosen versions
 * when counts are 1/1; -EPROTO when counts are 0/0 (guest found no common
 * version); -EBADMSG for a short buffer or any other counts.
 */
int hv_icmsg_negotiate_parse_reply(const uint8_t *buf, size_t len, struct hv_ic_version *ret_fw,
				   struct hv_ic_version *ret_srv);

/*
 * Read the version lists of a NEGOTIATE request (the host's offer), e.g.
 * for hvsim's logging or tests.  Up to max_fw / max_srv entries are copied;
 * *ret_nfw / *ret_nsrv get the counts in the message.  -EBADMSG if the
 * counts exceed 100 or do not fit in len.
 */
int hv_icmsg_negotiate_parse_request(const uint8_t *buf, size_t len, struct hv_ic_version *ret_fw,
				     size_t max_fw, size_t *ret_nfw, struct hv_ic_version *ret_srv,
				     size_t max_srv, size_t *ret_nsrv);

/* --- guest version tables (§2.2), in preference order --- */
#define HV_UTIL_FW_VERSION HV_IC_VERSION(3, 0)
#define HV_UTIL_WS2K8_FW_VERSION HV_IC_VERSION(1, 0)

struct hv_ic_versions {
	enum hv_icmsg_type type;
	const char *name; /* "shutdown", "timesync", "heartbeat", "kvp", "vss", "fcopy" */
	const struct hv_ic_version *fw;
	size_t n_fw;
	const struct hv_ic_version *srv;
	size_t n_srv;
};

extern const struct hv_ic_versions hv_ic_versions_shutdown;  /* fw 3.0 1.0; srv 3.2 3.1 3.0 1.0 */
extern const struct hv_ic_versions hv_ic_versions_timesync;  /* fw 3.0 1.0; srv 4.0 3.0 1.0 */
extern const struct hv_ic_versions hv_ic_versions_heartbeat; /* fw 3.0 1.0; srv 3.0 1.0 */
extern const struct hv_ic_versions hv_ic_versions_kvp;       /* fw 3.0 1.0; srv 4.0 3.0 1.0 */
extern const struct hv_ic_versions hv_ic_versions_vss;       /* fw 3.0; srv 5.0 */
extern const struct hv_ic_versions hv_ic_versions_fcopy;     /* fw 3.0; srv 1.1 */

/* By service message type; NULL for NEGOTIATE, 6 and unknown types. */
const struct hv_ic_versions *hv_ic_versions_for_type(enum hv_icmsg_type type);
