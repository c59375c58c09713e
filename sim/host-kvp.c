/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of KVP (PROTOCOL.md §5.1, §12 item 7): SET with REG_SZ,
 * REG_U32 or REG_U64 values, GET, DELETE, ENUMERATE of one index or of a
 * whole pool (indexes 0, 1, ... until the guest answers anything but
 * HV_S_OK, normally HV_S_CONT), GET_IP_INFO and SET_IP_INFO.  Pools and
 * indexes are sent as given, out-of-range ones included, so tests can
 * check a daemon's own checks.  Encoding and decoding are proto/kvp.c's.
 *
 * Op "bench" (bench/kvp) runs many requests back to back inside the
 * engine, one outstanding at a time as a real host does, and times each
 * from the moment it is put on the ring to the moment its answer is
 * handled, so the figures are the daemon's and the transport's, not those
 * of starting `hvsim host` once per request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static int bench_parse(struct hvsim_host_job *j, json_object *req, char **ret_error);

static int kvp_parse(struct hvsim_host_job *j, json_object *req, int *fd, char **ret_error)
{
	const char *op = hvsim_req_str(req, "op"), *s;
	int64_t v;

	if (!op)
		return hvsim_req_fail(ret_error, "kvp: missing op");
	if (!hvsim_req_int(req, "pool", &v) || v < 0 || v > 255)
		return hvsim_req_fail(ret_error, "kvp: pool must be 0-255");
	j->kvp.pool = (uint8_t)v;
	if (strcmp(op, "bench") == 0)
		return bench_parse(j, req, ret_error);
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

/* ---- bench ------------------------------------------------------------------------ */

/*
 * {"op": "bench", "bench": "set|update|get|enumerate|get-ip-info", "pool",
 *  "keys": K, "count": N, "duration_ms": D, "prepare": bool, "adapter_id",
 *  "addr_family"}
 *
 * The pool is taken to hold the K keys "bench-0" ... "bench-<K-1>" (values
 * "bench-value-<i>"): with "prepare" (the default) the engine first sets
 * them, untimed; without it the caller has put them there (bench/kvp
 * writes the pool file before the daemon starts).  Then N timed requests
 * (or as many as fit in D ms, whichever ends first):
 *
 *   set        a new key "bench-new-<n>", then an untimed DELETE of it, so
 *              every timed SET adds a key to a pool of exactly K keys
 *   update     a SET of an existing key (new value, same size class)
 *   get        a GET of an existing key
 *   enumerate  walks: ENUMERATE indexes 0..K, the last expected to end the
 *              walk (HV_S_CONT)
 *   get-ip-info  GET_IP_INFO for adapter_id
 *
 * Existing keys are visited in a stride over the pool (i * 2654435761 mod
 * K: the multiplier is a prime, so this is a permutation of the pool, in
 * large steps) so a short run does not only touch the first records.  Only answers
 * that mean success count as done work (HV_S_OK; HV_S_CONT at the end of
 * a walk); anything else is a failure, reported, and its latency left out.
 */
#define BENCH_MAX_OPS 10000000u
#define BENCH_MAX_KEYS 10000000u
#define BENCH_DEFAULT_COUNT 1000u
#define BENCH_STRIDE 2654435761u

enum bench_kind {
	BENCH_SET,
	BENCH_UPDATE,
	BENCH_GET,
	BENCH_ENUMERATE,
	BENCH_GET_IP_INFO,
};

static const char *const bench_names[] = {
	[BENCH_SET] = "set",
	[BENCH_UPDATE] = "update",
	[BENCH_GET] = "get",
	[BENCH_ENUMERATE] = "enumerate",
	[BENCH_GET_IP_INFO] = "get-ip-info",
};

enum bench_phase {
	BENCH_PREPARE, /* setting bench-0 ... bench-<K-1>, untimed */
	BENCH_TIMED,   /* the request being measured */
	BENCH_UNDO,    /* the DELETE after a timed "set", untimed */
};

struct hvsim_kvp_bench {
	enum bench_kind kind;
	enum bench_phase phase;
	uint32_t keys;
	uint64_t count;       /* timed requests to send at most */
	uint64_t duration_ns; /* 0: until the count */
	bool prepare;
	uint64_t op_timeout_ms; /* each request's, 0: none */

	uint32_t prepared;          /* prepare SETs sent and answered */
	uint64_t prepare_failures;
	uint64_t prepare_start_ns, prepare_ns;

	uint64_t sent;              /* timed requests answered */
	uint64_t ok;                /* of which successful */
	uint64_t failures;
	uint32_t first_failure;
	uint64_t undo_failures;     /* DELETEs after "set" that failed */
	uint64_t start_ns, sent_ns; /* timed phase start, current request */
	uint64_t busy_ns;           /* sum of the successful requests' latencies */
	uint64_t *lat;              /* latencies (ns) of the successful requests */
	size_t n_lat, lat_size;

	uint32_t index;        /* enumerate: next index of the walk */
	uint64_t records;      /* enumerate: items answered HV_S_OK below K */
	uint64_t walks;        /* enumerate: walks that ended at index K */
	uint64_t extra;        /* enumerate: HV_S_OK at index K (more than K records) */

	char key[64], value[64];
	uint8_t buf[HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE];
	struct hv_kvp_wire_reply rep;
	bool have_answer;
	struct hv_kvp_wire_ip_reply answer; /* get-ip-info: the last successful one */
};

void hvsim_host_kvp_bench_free(struct hvsim_kvp_bench *b)
{
	if (!b)
		return;
	free(b->lat);
	free(b);
}

static uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_parse(struct hvsim_host_job *j, json_object *req, char **ret_error)
{
	const char *kind = hvsim_req_str(req, "bench");
	struct hvsim_kvp_bench *b;
	json_object *v;
	int64_t x;
	size_t i;

	if (!kind)
		return hvsim_req_fail(ret_error, "kvp bench: missing bench (set, update, get, enumerate, get-ip-info)");
	for (i = 0; i < ELEMENTSOF(bench_names); i++)
		if (strcmp(kind, bench_names[i]) == 0)
			break;
	if (i == ELEMENTSOF(bench_names))
		return hvsim_req_fail(ret_error,
				      "kvp bench: unknown bench '%s' (set, update, get, enumerate, get-ip-info)", kind);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	j->kvp.bench = b;
	b->kind = (enum bench_kind)i;
	if (hvsim_req_int(req, "keys", &x)) {
		if (x < 0 || x > BENCH_MAX_KEYS)
			return hvsim_req_fail(ret_error, "kvp bench: keys must be 0-%u", BENCH_MAX_KEYS);
		b->keys = (uint32_t)x;
	}
	if ((b->kind == BENCH_UPDATE || b->kind == BENCH_GET) && b->keys == 0)
		return hvsim_req_fail(ret_error, "kvp bench %s: needs keys > 0 (the keys it works on)", kind);
	if (hvsim_req_int(req, "count", &x)) {
		if (x < 0 || x > BENCH_MAX_OPS)
			return hvsim_req_fail(ret_error, "kvp bench: count must be 0-%u", BENCH_MAX_OPS);
		b->count = (uint64_t)x;
	}
	if (hvsim_req_int(req, "duration_ms", &x)) {
		if (x < 0 || x > 24 * 3600 * 1000)
			return hvsim_req_fail(ret_error, "kvp bench: duration_ms must be 0-86400000");
		b->duration_ns = (uint64_t)x * 1000000u;
	}
	/* Without any bound the run would only end at BENCH_MAX_OPS. */
	if (b->count == 0 && b->duration_ns == 0)
		b->count = BENCH_DEFAULT_COUNT;
	if (b->count == 0 || b->count > BENCH_MAX_OPS)
		b->count = BENCH_MAX_OPS;
	b->prepare = !json_object_object_get_ex(req, "prepare", &v) || json_object_get_boolean(v);
	if (b->kind == BENCH_GET_IP_INFO) {
		j->kvp.op = HV_KVP_OP_GET_IP_INFO;
		return parse_ip(j, req, ret_error);
	}
	return 0;
}

/* Put one request on the ring; the latency clock starts here. */
static int bench_send(struct hvsim_host *h, struct hvsim_host_job *j, uint8_t op, uint32_t index, uint64_t now)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;
	struct hv_kvp_wire_request req = {
		.op = op,
		.pool = j->kvp.pool,
		.value_type = HV_KVP_REG_SZ,
		.key = b->key,
		.value = b->value,
		.index = index,
		.ip = j->kvp.ip,
	};
	struct hv_icmsg_hdr hdr;
	int n;

	j->kvp.op = op;
	hvsim_host_header(h, j, HV_ICMSG_TYPE_KVPEXCHANGE, &hdr);
	n = hv_kvp_wire_encode_request(&req, &hdr, b->buf, sizeof(b->buf));
	if (n < 0)
		return n;
	if (b->op_timeout_ms)
		j->deadline = now + b->op_timeout_ms;
	b->sent_ns = bench_now_ns();
	return hvsim_host_send(h, j, b->buf, (size_t)n, now);
}

static uint32_t bench_existing(const struct hvsim_kvp_bench *b)
{
	return (uint32_t)((b->sent * (uint64_t)BENCH_STRIDE) % b->keys);
}

/* The next timed request. */
static int bench_send_timed(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;

	b->phase = BENCH_TIMED;
	switch (b->kind) {
	case BENCH_SET:
		snprintf(b->key, sizeof(b->key), "bench-new-%" PRIu64, b->sent);
		snprintf(b->value, sizeof(b->value), "bench-value-new-%" PRIu64, b->sent);
		return bench_send(h, j, HV_KVP_OP_SET, 0, now);
	case BENCH_UPDATE: {
		uint32_t i = bench_existing(b);

		snprintf(b->key, sizeof(b->key), "bench-%" PRIu32, i);
		/* Same length as the prepared value give or take a digit: an
		 * update in place, as hosts do with their periodic keys. */
		snprintf(b->value, sizeof(b->value), "bench-update-%" PRIu64, b->sent);
		return bench_send(h, j, HV_KVP_OP_SET, 0, now);
	}
	case BENCH_GET:
		snprintf(b->key, sizeof(b->key), "bench-%" PRIu32, bench_existing(b));
		b->value[0] = '\0';
		return bench_send(h, j, HV_KVP_OP_GET, 0, now);
	case BENCH_ENUMERATE:
		b->key[0] = b->value[0] = '\0';
		return bench_send(h, j, HV_KVP_OP_ENUMERATE, b->index, now);
	case BENCH_GET_IP_INFO:
		return bench_send(h, j, HV_KVP_OP_GET_IP_INFO, 0, now);
	}
	return -EINVAL;
}

static int bench_send_prepare(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;

	snprintf(b->key, sizeof(b->key), "bench-%" PRIu32, b->prepared);
	snprintf(b->value, sizeof(b->value), "bench-value-%" PRIu32, b->prepared);
	return bench_send(h, j, HV_KVP_OP_SET, 0, now);
}

static int bench_start(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;

	/* The request's timeout applies to each request of the run. */
	b->op_timeout_ms = j->deadline == UINT64_MAX ? 0 : j->deadline - now;
	b->prepare_start_ns = bench_now_ns();
	if (b->prepare && b->keys > 0) {
		b->phase = BENCH_PREPARE;
		return bench_send_prepare(h, j, now);
	}
	b->start_ns = bench_now_ns();
	return bench_send_timed(h, j, now);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A number with a fixed count of decimals (json-c would print 17 digits). */
static void add_fixed(json_object *o, const char *k, double v, int decimals)
{
	char text[64];

	snprintf(text, sizeof(text), "%.*f", decimals, v);
	json_object_object_add(o, k, json_object_new_double_s(v, text));
}

/* Nearest-rank percentile of the sorted latencies, in microseconds. */
static double percentile_us(const uint64_t *sorted, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;

	return (double)sorted[rank > 0 ? rank - 1 : 0] / 1000.0;
}

static void bench_finish(struct hvsim_host *h, struct hvsim_host_job *j)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;
	double busy = (double)b->busy_ns / 1e9;
	json_object *o = hvsim_host_result_new(j);

	hvsim_json_add_str(o, "op", "bench");
	hvsim_json_add_str(o, "bench", bench_names[b->kind]);
	hvsim_json_add_int(o, "pool", j->kvp.pool);
	hvsim_json_add_int(o, "keys", b->keys);
	json_object_object_add(o, "prepared", json_object_new_boolean(b->prepare && b->keys > 0));
	if (b->prepare && b->keys > 0) {
		add_fixed(o, "prepare_s", (double)b->prepare_ns / 1e9, 6);
		hvsim_json_add_int(o, "prepare_failures", (int64_t)b->prepare_failures);
	}
	hvsim_json_add_int(o, "ops", (int64_t)b->sent);
	hvsim_json_add_int(o, "ok_ops", (int64_t)b->ok);
	hvsim_json_add_int(o, "failures", (int64_t)b->failures);
	if (b->failures > 0)
		hvsim_json_add_status(o, b->first_failure);
	else
		hvsim_json_add_status(o, HV_S_OK);
	if (b->kind == BENCH_SET)
		hvsim_json_add_int(o, "undo_failures", (int64_t)b->undo_failures);
	add_fixed(o, "elapsed_s", busy, 6);
	add_fixed(o, "wall_s", (double)(bench_now_ns() - b->start_ns) / 1e9, 6);
	add_fixed(o, "ops_per_s", busy > 0 ? (double)b->ok / busy : 0, 1);
	if (b->kind == BENCH_ENUMERATE) {
		hvsim_json_add_int(o, "records", (int64_t)b->records);
		hvsim_json_add_int(o, "walks", (int64_t)b->walks);
		hvsim_json_add_int(o, "extra_records", (int64_t)b->extra);
		add_fixed(o, "records_per_s", busy > 0 ? (double)b->records / busy : 0, 1);
		/* A walk is K + 1 requests (the last one ends it). */
		add_fixed(o, "walks_per_s", busy > 0 ? (double)b->ok / (b->keys + 1.0) / busy : 0, 3);
	}
	if (b->have_answer) {
		/* What the work was: a fast answer that says nothing is no answer. */
		json_object *a = json_object_new_object();

		hvsim_json_add_str(a, "adapter_id", b->answer.adapter_id);
		hvsim_json_add_int(a, "addr_family", b->answer.addr_family);
		hvsim_json_add_int(a, "dhcp_enabled", b->answer.dhcp_enabled);
		hvsim_json_add_str(a, "ip_addr", b->answer.ip_addr);
		hvsim_json_add_str(a, "sub_net", b->answer.sub_net);
		hvsim_json_add_str(a, "gate_way", b->answer.gate_way);
		hvsim_json_add_str(a, "dns_addr", b->answer.dns_addr);
		json_object_object_add(o, "answer", a);
	}
	if (b->n_lat > 0) {
		json_object *lat = json_object_new_object();

		qsort(b->lat, b->n_lat, sizeof(*b->lat), cmp_u64);
		add_fixed(lat, "p50", percentile_us(b->lat, b->n_lat, 50), 1);
		add_fixed(lat, "p90", percentile_us(b->lat, b->n_lat, 90), 1);
		add_fixed(lat, "p99", percentile_us(b->lat, b->n_lat, 99), 1);
		add_fixed(lat, "max", (double)b->lat[b->n_lat - 1] / 1000.0, 1);
		add_fixed(lat, "mean", (double)b->busy_ns / (double)b->n_lat / 1000.0, 1);
		json_object_object_add(o, "latency_us", lat);
	}
	hvsim_host_finish(h, j, o);
}

static bool bench_success(struct hvsim_kvp_bench *b, uint32_t status)
{
	if (b->kind != BENCH_ENUMERATE)
		return status == HV_S_OK;
	if (b->index < b->keys) {
		if (status != HV_S_OK) {
			b->index = 0; /* a short walk: start again */
			return false;
		}
		b->records++;
		b->index++;
		return true;
	}
	/* Index K ends the walk: HV_S_CONT from a daemon that holds K
	 * records; HV_S_OK means it holds more (or answers everything). */
	if (status == HV_S_OK)
		b->extra++;
	else if (status != HV_S_CONT)
		return false;
	b->walks++;
	b->index = 0;
	return true;
}

static int bench_note_latency(struct hvsim_kvp_bench *b, uint64_t ns)
{
	if (b->n_lat == b->lat_size) {
		size_t size = b->lat_size ? 2 * b->lat_size : 4096;
		uint64_t *p = realloc(b->lat, size * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->lat = p;
		b->lat_size = size;
	}
	b->lat[b->n_lat++] = ns;
	b->busy_ns += ns;
	return 0;
}

/* After a timed request (and its undo): finish (1) or send the next (0). */
static int bench_next(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;

	if (b->sent >= b->count || (b->duration_ns && bench_now_ns() - b->start_ns >= b->duration_ns)) {
		bench_finish(h, j);
		return 1;
	}
	return bench_send_timed(h, j, now);
}

static void bench_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now)
{
	struct hvsim_kvp_bench *b = j->kvp.bench;
	uint64_t t = bench_now_ns();
	int r;

	r = hv_kvp_wire_decode_reply(buf, len, &b->rep);
	if (r < 0) {
		hvsim_host_finish(h, j, hvsim_host_error_new("malformed reply from the guest: %s", hv_strerror(r)));
		return;
	}
	hvsim_host_note_status(h, j, b->rep.status);

	switch (b->phase) {
	case BENCH_PREPARE:
		if (b->rep.status != HV_S_OK)
			b->prepare_failures++;
		if (++b->prepared < b->keys) {
			r = bench_send_prepare(h, j, now);
			break;
		}
		b->prepare_ns = t - b->prepare_start_ns;
		b->start_ns = bench_now_ns();
		r = bench_send_timed(h, j, now);
		break;
	case BENCH_TIMED:
		if (bench_success(b, b->rep.status)) {
			b->ok++;
			if (b->kind == BENCH_GET_IP_INFO) {
				b->answer = b->rep.ip;
				b->have_answer = true;
			}
			r = bench_note_latency(b, t - b->sent_ns);
			if (r < 0)
				break;
		} else if (b->failures++ == 0) {
			b->first_failure = b->rep.status;
		}
		b->sent++;
		if (b->kind == BENCH_SET) {
			/* The pool goes back to K keys before the next SET. */
			b->phase = BENCH_UNDO;
			r = bench_send(h, j, HV_KVP_OP_DELETE, 0, now);
			break;
		}
		r = bench_next(h, j, now);
		break;
	case BENCH_UNDO:
		if (b->rep.status != HV_S_OK)
			b->undo_failures++;
		r = bench_next(h, j, now);
		break;
	}
	if (r < 0)
		hvsim_host_finish(h, j, hvsim_host_error_new("kvp bench: cannot send the request: %s", hv_strerror(r)));
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

	if (j->kvp.bench) {
		bench_reply(h, j, buf, len, now);
		return;
	}
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

static int kvp_start(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now)
{
	return j->kvp.bench ? bench_start(h, j, now) : kvp_send(h, j, now);
}

const struct hvsim_host_service hvsim_host_kvp_service = {
	.parse = kvp_parse,
	.start = kvp_start,
	.reply = kvp_reply,
};
