/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP (Data Exchange, icmsgtype 2) codecs, PROTOCOL.md §5.1, §5.2, §5.4, §11.
 *
 * Four layers of the same data, each with its own functions:
 *
 *  (a) daemon ABI: struct hv_kvp_msg, the 7432-byte unit read from and
 *      written to /dev/vmbus/hv_kvp (hv_kvp_msg_*).  Strings are UTF-8.
 *      Byte 0 is the operation in kernel->daemon messages and the low byte
 *      of the little-endian `error` in daemon->kernel replies (the union).
 *  (b) host wire: the IC payload at offset 28.  GET/SET/DELETE/ENUMERATE
 *      use the hv_kvp_msg layout with UTF-16LE strings, GET_IP_INFO and
 *      SET_IP_INFO the 2-byte-header hv_kvp_ip_msg layout (7428 bytes).
 *      Encoders for the host's requests, decoders for the guest's replies
 *      (hv_kvp_wire_*), used by hvsim's host engine.
 *  (c) the kernel's hv_kvp.c conversions between (b) and (a), as pure
 *      functions over buffers, with the kernel's limits and quirks
 *      (hv_kvp_kernel_*), used by hvsim's kernel side.
 *  (d) pool file records: 2560 bytes, key[512] value[2048] (hv_kvp_record_*).
 *
 * Nothing here trusts a size: every key_size, value_size, pool, index and
 * string is checked against the buffer and the ABI limits before use.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/icmsg.h"

/* --- sizes and limits (§0, §5.1) --- */
#define HV_KVP_MSG_SIZE 7432      /* sizeof(struct hv_kvp_msg) in the uapi */
#define HV_KVP_MSG_BODY_SIZE 7428 /* the padded body union */
#define HV_KVP_IP_MSG_SIZE 7428   /* sizeof(struct hv_kvp_ip_msg), host IP ops */
#define HV_KVP_IPADDR_VALUE_SIZE 7426
#define HV_KVP_EXCHG_MSG_VALUE_SIZE 2572
#define HV_KVP_EXCHANGE_MAX_KEY_SIZE 512    /* bytes incl. terminator */
#define HV_KVP_EXCHANGE_MAX_VALUE_SIZE 2048 /* bytes incl. terminator */
#define HV_KVP_POOL_COUNT 5
#define HV_KVP_REGISTER_VERSION_SIZE 512
/* What the kernel answers a registration with (HV_DRV_VERSION). */
#define HV_KVP_KERNEL_VERSION_STRING "3.1"
/* IP field sizes in UTF-16 units (host wire); the daemon ABI uses the same
 * storage (2 bytes per unit) but fills it with UTF-8. */
#define HV_KVP_MAX_ADAPTER_ID_SIZE 128
#define HV_KVP_MAX_IP_ADDR_SIZE 1024
#define HV_KVP_MAX_GATEWAY_SIZE 512

/* --- hv_kvp_msg offsets (daemon ABI, and host wire for non-IP ops) --- */
#define HV_KVP_OFF_OPERATION 0
#define HV_KVP_OFF_POOL 1
#define HV_KVP_OFF_ERROR 0 /* int, bytes 0..3, overlaps operation and pool */
#define HV_KVP_OFF_BODY 4
/* kvp_get / kvp_set */
#define HV_KVP_OFF_SET_VALUE_TYPE 4
#define HV_KVP_OFF_SET_KEY_SIZE 8
#define HV_KVP_OFF_SET_VALUE_SIZE 12
#define HV_KVP_OFF_SET_KEY 16
#define HV_KVP_OFF_SET_VALUE 528
/* kvp_enum_data */
#define HV_KVP_OFF_ENUM_INDEX 4
#define HV_KVP_OFF_ENUM_VALUE_TYPE 8
#define HV_KVP_OFF_ENUM_KEY_SIZE 12
#define HV_KVP_OFF_ENUM_VALUE_SIZE 16
#define HV_KVP_OFF_ENUM_KEY 20
#define HV_KVP_OFF_ENUM_VALUE 532
/* kvp_delete */
#define HV_KVP_OFF_DELETE_KEY_SIZE 4
#define HV_KVP_OFF_DELETE_KEY 8
/* kvp_register */
#define HV_KVP_OFF_REGISTER_VERSION 4
/* kvp_ip_val inside hv_kvp_msg (daemon ABI) */
#define HV_KVP_OFF_IP_VAL 4
/* hv_kvp_ipaddr_value internal offsets */
#define HV_KVP_IPVAL_OFF_ADAPTER_ID 0
#define HV_KVP_IPVAL_OFF_ADDR_FAMILY 256
#define HV_KVP_IPVAL_OFF_DHCP_ENABLED 257
#define HV_KVP_IPVAL_OFF_IP_ADDR 258
#define HV_KVP_IPVAL_OFF_SUB_NET 2306
#define HV_KVP_IPVAL_OFF_GATE_WAY 4354
#define HV_KVP_IPVAL_OFF_DNS_ADDR 5378
/* hv_kvp_ip_msg (host wire for IP ops) */
#define HV_KVP_IP_MSG_OFF_OPERATION 0
#define HV_KVP_IP_MSG_OFF_POOL 1
#define HV_KVP_IP_MSG_OFF_IP_VAL 2

/* --- enums --- */
enum hv_kvp_op {
	HV_KVP_OP_GET = 0,
	HV_KVP_OP_SET = 1,
	HV_KVP_OP_DELETE = 2,
	HV_KVP_OP_ENUMERATE = 3,
	HV_KVP_OP_GET_IP_INFO = 4,
	HV_KVP_OP_SET_IP_INFO = 5,
	_HV_KVP_OP_MAX,
	_HV_KVP_OP_INVALID = -EINVAL,
};
/* Registration ops, daemon -> kernel.  REGISTER shares its value with
 * GET_IP_INFO; the handshake state decides which one a 4 is. */
#define HV_KVP_OP_REGISTER 4
#define HV_KVP_OP_REGISTER1 100

/* "get", "set", "delete", "enumerate", "get-ip-info", "set-ip-info" */
const char *hv_kvp_op_to_string(enum hv_kvp_op op);
enum hv_kvp_op hv_kvp_op_from_string(const char *s);

enum hv_kvp_pool {
	HV_KVP_POOL_EXTERNAL = 0,
	HV_KVP_POOL_GUEST = 1,
	HV_KVP_POOL_AUTO = 2,
	HV_KVP_POOL_AUTO_EXTERNAL = 3,
	HV_KVP_POOL_AUTO_INTERNAL = 4,
	_HV_KVP_POOL_MAX,
	_HV_KVP_POOL_INVALID = -EINVAL,
};

/* "external", "guest", "auto", "auto-external", "auto-internal" */
const char *hv_kvp_pool_to_string(enum hv_kvp_pool pool);
enum hv_kvp_pool hv_kvp_pool_from_string(const char *s);

enum hv_kvp_value_type {
	HV_KVP_REG_SZ = 1,
	HV_KVP_REG_U32 = 4,
	HV_KVP_REG_U64 = 8,
	_HV_KVP_VALUE_TYPE_MAX,
	_HV_KVP_VALUE_TYPE_INVALID = -EINVAL,
};

/* "REG_SZ", "REG_U32", "REG_U64"; NULL for other values */
const char *hv_kvp_value_type_to_string(enum hv_kvp_value_type t);
enum hv_kvp_value_type hv_kvp_value_type_from_string(const char *s);

/* addr_family bits (OR'ed in GET_IP_INFO replies). */
#define HV_KVP_ADDR_FAMILY_NONE 0
#define HV_KVP_ADDR_FAMILY_IPV4 1
#define HV_KVP_ADDR_FAMILY_IPV6 2

/* ---------------------------------------------------------------------
 * (a) daemon ABI
 * --------------------------------------------------------------------- */

/*
 * IP configuration, UTF-8, NUL-terminated.  Buffer sizes are the byte
 * sizes of the ABI fields; the text limits are those of the host wire
 * (units), which the kernel applies when converting.
 */
struct hv_kvp_ip_info {
	uint8_t addr_family;
	uint8_t dhcp_enabled;
	char adapter_id[2 * HV_KVP_MAX_ADAPTER_ID_SIZE];
	char ip_addr[2 * HV_KVP_MAX_IP_ADDR_SIZE];
	char sub_net[2 * HV_KVP_MAX_IP_ADDR_SIZE];
	char gate_way[2 * HV_KVP_MAX_GATEWAY_SIZE];
	char dns_addr[2 * HV_KVP_MAX_IP_ADDR_SIZE];
};

/*
 * One daemon ABI message, decoded.  Which fields mean something depends on
 * op (unused ones are zero after decoding):
 *   GET, DELETE      key
 *   SET              key, value, value_type
 *   ENUMERATE        index (request); key, value (reply)
 *   GET_IP_INFO      ip.adapter_id, ip.addr_family (request); all ip (reply)
 *   SET_IP_INFO      ip
 *   REGISTER/1       version (kernel's handshake reply)
 * key_size/value_size are byte counts including the NUL, as in the ABI;
 * decoders set them from the message, encoders recompute them from the
 * strings (strlen + 1), except that a GET request carries value_size 0.
 */
struct hv_kvp_msg {
	uint8_t op;   /* raw operation byte */
	uint8_t pool; /* raw pool byte */
	uint32_t error; /* bytes 0..3 as u32 (meaningful in replies) */
	uint32_t value_type;
	uint32_t index;
	uint32_t key_size;
	uint32_t value_size;
	char key[HV_KVP_EXCHANGE_MAX_KEY_SIZE];
	char value[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];
	char version[HV_KVP_REGISTER_VERSION_SIZE];
	struct hv_kvp_ip_info ip;
};

/*
 * Daemon side: decode a kernel->daemon request (len must be >= 7432; only
 * the first 7432 bytes are read).  Checks: pool < 5 for GET, SET, DELETE
 * and ENUMERATE; key_size in 1..512 and a NUL inside key[0..key_size);
 * value_size in 1..2048 with a NUL inside for SET (GET may carry 0, the
 * kernel always sends 0 there, §5.2); index <= INT32_MAX for ENUMERATE
 * (the reference daemon's signed compare, §11.2); a NUL inside every IP
 * field; all strings valid UTF-8.  Strings are taken up to their first NUL.
 * An op outside 0..5 decodes to op and pool only (the reference daemon
 * answers such ops with success).  -EBADMSG on any violation.
 */
int hv_kvp_msg_decode(const uint8_t *buf, size_t len, struct hv_kvp_msg *ret);

/*
 * Daemon side: encode the reply to a request of op m->op: bytes 0..3 =
 * error (little-endian, clobbering op and pool exactly as the reference
 * daemon does), then the op's body:
 *   ENUMERATE    key/value at the kvp_enum_data positions (offsets 20/532)
 *   GET          value at the kvp_get position (528), value_size set.  The
 *                kernel reads a GET reply's value at 532 instead (§5.2,
 *                §11.3): a non-empty value reaches the host minus its first
 *                four bytes, an empty one as "".  The reference daemon
 *                leaves the value empty.
 *   GET_IP_INFO  every ip field
 *   others       no body.
 * Writes all HV_KVP_MSG_SIZE bytes (zero-filled).  Returns HV_KVP_MSG_SIZE,
 * -ENOBUFS for a short buffer, -E2BIG if a string does not fit its field.
 */
int hv_kvp_msg_encode_reply(const struct hv_kvp_msg *m, uint8_t *buf, size_t len);

/*
 * Encode a kernel->daemon request from m (op, pool and the op's request
 * fields, the kernel's layout; for HV_KVP_OP_REGISTER1 the version string).
 * Used by tests and by anything that plays the kernel without starting
 * from a host buffer.  Same returns as above.
 */
int hv_kvp_msg_encode_request(const struct hv_kvp_msg *m, uint8_t *buf, size_t len);

/* Daemon side: the registration write, op HV_KVP_OP_REGISTER or REGISTER1,
 * rest zero.  Returns HV_KVP_MSG_SIZE, -ENOBUFS, -EINVAL for another op. */
int hv_kvp_msg_encode_register(uint8_t op, uint8_t *buf, size_t len);

/* Daemon side: the kernel's registration answer.  *ret_op = its op byte
 * (must be 4 or 100), version copied (NUL inside 512 bytes, valid UTF-8)
 * into ret_version (version_size bytes).  -EBADMSG otherwise, -ENOBUFS
 * when ret_version is too small. */
int hv_kvp_msg_decode_register(const uint8_t *buf, size_t len, uint8_t *ret_op, char *ret_version,
			       size_t version_size);

/* ---------------------------------------------------------------------
 * (b) host wire (whole IC payload: 28 header bytes + KVP message)
 * --------------------------------------------------------------------- */

/* A request as the host builds it; strings are UTF-8 and converted to
 * UTF-16LE by the encoder. */
struct hv_kvp_wire_request {
	uint8_t op;   /* raw: out-of-range ops and pools are allowed on purpose */
	uint8_t pool;
	uint32_t value_type; /* SET: HV_KVP_REG_SZ, REG_U32 or REG_U64 */
	const char *key;     /* GET, SET, DELETE; NULL = "" */
	const char *value;   /* SET REG_SZ; NULL = "" */
	uint64_t value_u64;  /* SET REG_U32 (low 32 bits) / REG_U64 */
	uint32_t index;      /* ENUMERATE */
	/* GET_IP_INFO: ip.adapter_id (upper-case MAC), ip.addr_family.
	 * SET_IP_INFO: everything; adapter_id is "{lower-case-guid}". */
	const struct hv_kvp_ip_info *ip;
};

/*
 * Host side: write the whole request payload into buf: the icmsg header
 * from *hdr (frame/msg versions, trans_id, pipe flags, status and flags as
 * given; type forced to KVPEXCHANGE, icmsgsize and pipe msgsize computed),
 * then the KVP message with zeroed unused fields, key_size/value_size in
 * bytes including the UTF-16 terminator (2 * (units + 1)), REG_U32 and
 * REG_U64 values as little-endian integers with value_size 4 / 8.
 * Returns the payload length (28 + 7432, or 28 + 7428 for the IP ops),
 * -ENOBUFS for a short buffer, -E2BIG for a string longer than its field
 * (keys 255 units, values 1023, IP fields their unit size minus one),
 * -EILSEQ for invalid UTF-8, -EINVAL for a SET with an unknown value_type.
 */
int hv_kvp_wire_encode_request(const struct hv_kvp_wire_request *req, const struct hv_icmsg_hdr *hdr,
			       uint8_t *buf, size_t len);

/* The guest's answer as the host reads it; strings converted to UTF-8. */
struct hv_kvp_wire_reply {
	uint32_t status; /* icmsg status */
	uint8_t op;      /* echoed operation byte */
	uint8_t pool;
	uint32_t value_type;
	uint32_t key_size;   /* as in the reply (bytes) */
	uint32_t value_size;
	char key[3 * (HV_KVP_EXCHANGE_MAX_KEY_SIZE / 2) + 1];     /* the 256-unit field as UTF-8 */
	char value[3 * (HV_KVP_EXCHANGE_MAX_VALUE_SIZE / 2) + 1]; /* the 1024-unit field as UTF-8 */
	struct hv_kvp_wire_ip_reply {
		uint8_t addr_family;
		uint8_t dhcp_enabled;
		char adapter_id[3 * HV_KVP_MAX_ADAPTER_ID_SIZE + 1];
		char ip_addr[3 * HV_KVP_MAX_IP_ADDR_SIZE + 1];
		char sub_net[3 * HV_KVP_MAX_IP_ADDR_SIZE + 1];
		char gate_way[3 * HV_KVP_MAX_GATEWAY_SIZE + 1];
		char dns_addr[3 * HV_KVP_MAX_IP_ADDR_SIZE + 1];
	} ip;
};

/*
 * Host side: decode the guest's reply payload (header + message).  The op
 * is read from the echoed operation byte.  When status != HV_S_OK only
 * status/op/pool are filled.  On success: ENUMERATE key and value, GET
 * value (strings read up to their NUL or the end of the field, sizes must
 * not exceed the field), GET_IP_INFO every ip field (hv_kvp_ip_msg
 * layout); other ops nothing more.  -EBADMSG for a short buffer or an
 * oversized key_size/value_size, -EILSEQ for invalid UTF-16.
 */
int hv_kvp_wire_decode_reply(const uint8_t *buf, size_t len, struct hv_kvp_wire_reply *ret);

/* ---------------------------------------------------------------------
 * (c) the kernel's conversions (hv_kvp.c, §5.2)
 * --------------------------------------------------------------------- */

/*
 * Host request payload (buf, len: header + message as received) -> the
 * zeroed 7432-byte daemon message the kernel sends to the daemon, written
 * to out (out_len >= 7432).  Bytes past len read as zero.  Faithful to the
 * kernel:
 *   - op and pool copied unvalidated (an op outside 0..5 gets no body);
 *   - SET: key converted with at most 511 bytes of output, key_size =
 *     bytes + 1; REG_SZ value at most 2047 bytes, REG_U32 printed "%u",
 *     REG_U64 "%llu", value_size = strlen + 1; an unknown value_type gives
 *     value_size 0; the host's key_size/value_size BYTE counts are used as
 *     UNIT counts for the source (the converter stops at NUL);
 *   - GET, DELETE: key only (GET's value_size stays 0);
 *   - ENUMERATE: index only;
 *   - GET_IP_INFO: adapter_id (128 bytes max) and addr_family from the
 *     hv_kvp_ip_msg layout; SET_IP_INFO also ip_addr, sub_net (1024 bytes
 *     max each), gate_way (512), dns_addr (1024) and dhcp_enabled;
 *   - UTF-16 is converted like utf16s_to_utf8s(): unpaired surrogates are
 *     skipped and characters that do not fit are dropped, never an error.
 * Returns HV_KVP_MSG_SIZE, -EBADMSG if len < 28, -ENOBUFS if out_len < 7432.
 */
int hv_kvp_kernel_request_to_daemon(const uint8_t *buf, size_t len, uint8_t *out, size_t out_len);

/*
 * Daemon reply (7432 bytes) -> the host reply, written in place into the
 * host's payload buf (len as received; nothing is written past len).  op
 * is the host's operation byte (the kernel keeps its own copy; the
 * daemon's is clobbered by error).  registered_op is the op the daemon
 * registered with:
 *   REGISTER1: status = daemon error verbatim;
 *   REGISTER (legacy): status = HV_S_CONT if the kvp_enum_data key (offset
 *     20) starts with NUL, else 0.
 * Non-zero status: nothing else changes.  Otherwise by op:
 *   SET, DELETE, SET_IP_INFO: status only;
 *   GET: value taken from the daemon reply at the kvp_enum_data value
 *     offset 532, NOT at the kvp_get offset 528 where the daemon wrote it
 *     (the §5.2/§11.3 quirk, kept on purpose), converted to UTF-16 into the
 *     host's kvp_get value, max 1022 units, value_size = 2 * (units + 1),
 *     value_type = REG_SZ;
 *   ENUMERATE and any other op: key (max 254 units) and value (max 1022)
 *     from the daemon's enum_data into the host's enum_data, key_size and
 *     value_size = 2 * (units + 1), value_type = REG_SZ; no terminator is
 *     written (§11.26, the host's fields are zero); invalid UTF-8 -> status
 *     HV_E_FAIL (sizes then hold 2 * (-EINVAL + 1) as u32, as in the kernel);
 *   GET_IP_INFO: ip_addr, sub_net (1024 units), gate_way (512), dns_addr
 *     (1024), adapter_id (128) into the hv_kvp_ip_msg layout plus
 *     dhcp_enabled and addr_family; invalid UTF-8 -> HV_E_FAIL.
 * icflags is set to TRANSACTION|RESPONSE.  *ret_status (may be NULL) gets
 * the final status.  Returns 0, -EBADMSG if len < 28 or reply_len < 7432.
 */
int hv_kvp_kernel_reply_to_host(uint8_t *buf, size_t len, const uint8_t *reply, size_t reply_len,
				uint8_t registered_op, uint32_t *ret_status);

/*
 * Kernel side of the registration (§5.3): the daemon's first write.
 * write_len < 7432 or an op other than 4/100 -> -EINVAL (what write()
 * returns).  Otherwise the kernel's answer is written to out (7432 bytes:
 * op echoed, version "3.1"), *ret_registered_op = 4 or 100, and
 * HV_KVP_MSG_SIZE is returned.
 */
int hv_kvp_kernel_handshake(const uint8_t *write_buf, size_t write_len, uint8_t *out, size_t out_len,
			    uint8_t *ret_registered_op);

/* ---------------------------------------------------------------------
 * (d) pool file records (§5.4)
 * --------------------------------------------------------------------- */
#define HV_KVP_RECORD_SIZE 2560
#define HV_KVP_RECORD_KEY_SIZE 512
#define HV_KVP_RECORD_VALUE_SIZE 2048
#define HV_KVP_RECORD_OFF_KEY 0
#define HV_KVP_RECORD_OFF_VALUE 512

struct hv_kvp_record {
	char key[HV_KVP_RECORD_KEY_SIZE];
	char value[HV_KVP_RECORD_VALUE_SIZE];
	size_t key_len;   /* strlen(key) */
	size_t value_len; /* strlen(value) */
};

/*
 * Encode one record: key and value (key_len <= 511, value_len <= 2047
 * bytes, no NUL inside, valid UTF-8), zero-filled after each terminator
 * (no stale bytes, unlike the reference, §11.6).  rec must hold
 * HV_KVP_RECORD_SIZE bytes.  -E2BIG, -EINVAL (embedded NUL), -EILSEQ.
 */
int hv_kvp_record_encode(uint8_t *rec, size_t rec_len, const char *key, size_t key_len, const char *value,
			 size_t value_len);

/*
 * Decode one record, stopping at the first NUL of each field (bytes after
 * it are ignored).  -EBADMSG if rec_len < 2560 or the key or value has no
 * NUL inside its field; -EILSEQ if either is not valid UTF-8.
 */
int hv_kvp_record_decode(const uint8_t *rec, size_t rec_len, struct hv_kvp_record *ret);

/* Like hv_kvp_record_decode() without the UTF-8 check, for tools that must
 * carry foreign records through unchanged (fsck, store reload). */
int hv_kvp_record_decode_raw(const uint8_t *rec, size_t rec_len, struct hv_kvp_record *ret);
