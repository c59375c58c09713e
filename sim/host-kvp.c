/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of KVP (PROTOCOL.md §5.1, §12 item 7): SET with REG_SZ,
 * REG_U32 or REG_U64 values, GET, DELETE, ENUMERATE of one index or of a
 * whole pool (indexes 0, 1, ... until the guest answers anything but
 * HV_S_OK, normally HV_S_CONT), GET_IP_INFO and SET_IP_INFO.  Pools and
 * indexes are sent as given, out-of-range ones included, so tests can
 * check a daemon's own checks.  Encoding and decoding are proto/kvp.c's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hvutil.h"
#include "host-internal.h"
#include "proto/hv-status.h"
#include "proto/kvp.h"

/* An enumeration stops here even if the guest never says HV_S_CONT. */
#define KVP_ENUMERATE_MAX 1000000

/* IP fields of a GET_IP_INFO/SET_IP_INFO request; lists are ";"-separated
 * text, passed as they are. */
static int parse_ip(struct hvsim_host_job *j, json_object *req, char **ret_error)
{
	static const struct {
		const char *key;
		size_t offset, units;
	} fields[] = {
		{ "adapter_id", offsetof(struct hv_kvp_ip_info, adapter_id), HV_KVP_MAX_ADAPTER_ID_SIZE },
		{ "ip_addr", offsetof(struct hv_kvp_ip_info, ip_addr), HV_KVP_MAX_IP_ADDR_SIZE },
		{ "sub_net", offsetof(struct hv_kvp_ip_info, sub_net), HV_KVP_MAX_IP_ADDR_SIZE },
		{ "gate_way", offsetof(struct hv_kvp_ip_info, gate_way), HV_KVP_MAX_GATEWAY_SIZE },
		{ "dns_addr", offsetof(struct hv_kvp_ip_info, dns_addr), HV_KVP_MAX_IP_ADDR_SIZE },
	};
	int64_t v;

	j->kvp.ip = calloc(1, sizeof(*j->kvp.ip));
	if (!j->kvp.ip)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		const char *s = hvsim_req_str(req, fields[i].key);

		if (!s)
			continue;
		/* The wire field holds that many UTF-16 units, one of them the
		 * terminator; the struct field has two bytes per unit. */
		if (strlen(s) >= fields[i].units)
			return hvsim_req_fail(ret_error, "kvp: %s longer than %zu characters", fields[i].key,
					      fields[i].units - 1);
		memcpy((char *)j->kvp.ip + fields[i].offset, s, strlen(s) + 1);
	}
	if (hvsim_req_int(req, "addr_family", &v)) {
		if (v < 0 || v > 255)
			return hvsim_req_fail(ret_error, "kvp: addr_family must be 0-255");
		j->kvp.ip->addr_family = (uint8_t)v;
	}
	j->kvp.ip->dhcp_enabled = hvsim_req_bool(req, "dhcp_enabled");
	if (!j->kvp.ip->adapter_id[0])
		return hvsim_req_fail(ret_error, "kvp: missing adapter_id");
	return 0;
}

static int parse_value(struct hvsim_host_job *j, json_object *req, char **ret_error)
{
	const char *s = hvsim_req_str(req, "type");

	if (!s || strcasecmp(s, "sz") == 0 || strcasecmp(s, "REG_SZ") == 0 || strcasecmp(s, "string") == 0)
		j->kvp.value_type = HV_KVP_REG_SZ;
	else if (strcasecmp(s, "u32") == 0 || strcasecmp(s, "REG_U32") == 0)
		j->kvp.value_type = HV_KVP_REG_U32;
	else if (strcasecmp(s, "u64") == 0 || strcasecmp(s, "REG_U64") == 0)
		j->kvp.value_type = HV_KVP_REG_U64;
	else
		return hvsim_req_fail(ret_error, "kvp set: unknown value type '%s' (sz, u32, u64)", s);
	s = hvsim_req_str(req, "value");
	if (!s)
		return hvsim_req_fail(ret_error, "kvp set: missing value");
	if (j->kvp.value_type != HV_KVP_REG_SZ) {
		unsigned long long x;
		char *end;

		errno = 0;
		x = strtoull(s, &end, 0);
		if (errno || end == s || *end || s[0] == '-' ||
		    (j->kvp.value_type == HV_KVP_REG_U32 && x > UINT32_MAX))
			return hvsim_req_fail(ret_error, "kvp set: '%s' is not a %s", s,
					      j->kvp.value_type == HV_KVP_REG_U32 ? "32-bit number"
										  : "64-bit number");
		j->kvp.value_u64 = x;
	}
	j->kvp.value = strdup(s);
	return j->kvp.value ? 0 : -ENOMEM;
}

static int kvp_parse(struct hvsim_host_job *j, json_object *req, int *fd, char **ret_error)
{
	const char *op = hvsim_req_str(req, "op"), *s;
	int64_t v;

	if (!op)
		return hvsim_req_fail(ret_error, "kvp: missing op");
	if (!hvsim_req_int(req, "pool", &v) || v < 0 || v > 255)
		return hvsim_req_fail(ret_error, "kvp: pool must be 0-255");
	j->kvp.pool = (uint8_t)v;
	if (strcmp(op, "get-ip-info") == 0 || strcmp(op, "set-ip-info") == 0) {
		j->kvp.op = op[0] == 'g' ? HV_KVP_OP_GET_IP_INFO : HV_KVP_OP_SET_IP_INFO;
		return parse_ip(j, req, ret_error);
	}
	if (strcmp(op, "enumerate") == 0) {
		j->kvp.op = HV_KVP_OP_ENUMERATE;
		if (hvsim_req_int(req, "index", &v)) {
			if (v < 0 || v > UINT32_MAX)
				return hvsim_req_fail(ret_error, "kvp: index must be 0-4294967295");
			j->kvp.index = (uint32_t)v;
		} else {
			j->kvp.all = true;
			j->kvp.items = json_object_new_array();
		}
		return 0;
	}
	if (strcmp(op, "get") == 0)
		j->kvp.op = HV_KVP_OP_GET;
	else if (strcmp(op, "delete") == 0)
		j->kvp.op = HV_KVP_OP_DELETE;
	else if (strcmp(op, "set") == 0)
		j->kvp.op = HV_KVP_OP_SET;
	else
		return hvsim_req_fail(ret_error, "kvp: unknown op '%s'", op);
	s = hvsim_req_str(req, "key");
	if (!s)
		return hvsim_req_fail(ret_error, "kvp %s: missing key", op);
	j->kvp.key = strdup(s);
	if (!j->kvp.key)
		return -ENOMEM;
	return j->kvp.op == HV_KVP_OP_SET ? parse_value(j, req, ret_error) : 0;
}

static int kvp_send(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct hv_kvp_wire_request req = {
		.op = j->kvp.op,
		.pool = j->kvp.pool,
		.value_type = j->kvp.value_type,
		.key = j->kvp.key,
		.value = j->kvp.value,
		.value_u64 = j->kvp.value_u64,
		.index = j->kvp.index,
		.ip = j->kvp.ip,
	};
	size_t size = HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE;
	struct hv_icmsg_hdr hdr;
	int n;

	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	hvsim_host_header(h, j, HV_ICMSG_TYPE_KVPEXCHANGE, &hdr);
	n = hv_kvp_wire_encode_request(&req, &hdr, buf, size);
	if (n < 0)
		return n;
	return hvsim_host_send(h, j, buf, (size_t)n, now);
}

static void enumerate_reply(struct hvsim_host *h, struct hvsim_host_job *j, const struct hv_kvp_wire_reply *rep,
			    uint64_t now)
{
	json_object *o;
	int r;

	if (rep->status == HV_S_OK && j->kvp.index < KVP_ENUMERATE_MAX) {
		json_object *item = json_object_new_object();

		hvsim_json_add_int(item, "index", j->kvp.index);
		hvsim_json_add_str(item, "key", rep->key);
		hvsim_json_add_str(item, "value", rep->value);
		json_object_array_add(j->kvp.items, item);
		j->kvp.index++;
		r = kvp_send(h, j, now);
		if (r < 0)
			hvsim_host_finish(h, j, hvsim_host_error_new("cannot send the request: %s", hv_strerror(r)));
		return;
	}
	o = hvsim_host_result_new(j);
	hvsim_json_add_str(o, "op", "enumerate");
	hvsim_json_add_int(o, "pool", j->kvp.pool);
	hvsim_json_add_status(o, rep->status);
	hvsim_json_add_int(o, "end_index", j->kvp.index);
	json_object_object_add(o, "items", j->kvp.items);
	j->kvp.items = NULL;
	hvsim_host_finish(h, j, o);
}

static void kvp_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now)
{
	_cleanup_free_ struct hv_kvp_wire_reply *rep = NULL;
	json_object *o;
	int r;

	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		hvsim_host_finish(h, j, hvsim_host_error_new("out of memory"));
		return;
	}
	r = hv_kvp_wire_decode_reply(buf, len, rep);
	if (r < 0) {
		hvsim_host_finish(h, j, hvsim_host_error_new("malformed reply from the guest: %s", hv_strerror(r)));
		return;
	}
	hvsim_host_note_status(h, j, rep->status);
	if (j->kvp.all) {
		enumerate_reply(h, j, rep, now);
		return;
	}

	o = hvsim_host_result_new(j);
	hvsim_json_add_str(o, "op", hv_kvp_op_to_string((enum hv_kvp_op)j->kvp.op));
	hvsim_json_add_int(o, "pool", j->kvp.pool);
	hvsim_json_add_status(o, rep->status);
	if (j->kvp.key)
		hvsim_json_add_str(o, "key", j->kvp.key);
	if (j->kvp.op == HV_KVP_OP_ENUMERATE)
		hvsim_json_add_int(o, "index", j->kvp.index);
	if (rep->status == HV_S_OK) {
		switch (j->kvp.op) {
		case HV_KVP_OP_GET:
			hvsim_json_add_str(o, "value", rep->value);
			hvsim_json_add_int(o, "value_size", rep->value_size);
			break;
		case HV_KVP_OP_ENUMERATE:
			hvsim_json_add_str(o, "key", rep->key);
			hvsim_json_add_str(o, "value", rep->value);
			break;
		case HV_KVP_OP_GET_IP_INFO:
			hvsim_json_add_str(o, "adapter_id", rep->ip.adapter_id);
			hvsim_json_add_int(o, "addr_family", rep->ip.addr_family);
			hvsim_json_add_int(o, "dhcp_enabled", rep->ip.dhcp_enabled);
			hvsim_json_add_str(o, "ip_addr", rep->ip.ip_addr);
			hvsim_json_add_str(o, "sub_net", rep->ip.sub_net);
			hvsim_json_add_str(o, "gate_way", rep->ip.gate_way);
			hvsim_json_add_str(o, "dns_addr", rep->ip.dns_addr);
			break;
		default:
			break;
		}
	}
	hvsim_host_finish(h, j, o);
}

const struct hvsim_host_service hvsim_host_kvp_service = {
	.parse = kvp_parse,
	.start = kvp_send,
	.reply = kvp_reply,
};
