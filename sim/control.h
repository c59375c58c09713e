/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: how `hvsim host ...` (or any test) drives a running
 * world from outside.  AF_UNIX SOCK_STREAM, one JSON object per line in
 * both directions, one reply line per request line.  Replies are not
 * ordered (a kvp request may wait for the daemon while a later status
 * request is answered at once): clients send one request and wait for its
 * answer.
 *
 * Protocol version 1.  Every request carries "v": 1 and "cmd"; every reply
 * carries "v": 1 and "ok" (false with "error" text when the request could
 * not be carried out).  Commands:
 *
 *   {"cmd": "status"}
 *       -> "world", "devices": [{"device": "kvp", "node": "/dev/vmbus/hv_kvp",
 *          "present", "open", "opener_pid", "registered", "registered_op",
 *          "state", counters..., the host's negotiation}]
 *   {"cmd": "wait-registered", "device": "kvp", "timeout_ms": N}
 *       -> answered when the device's service state is READY or later
 *          (a daemon finished the handshake), "ok": false on timeout
 *   {"cmd": "kvp", "op": "set|get|delete|enumerate|get-ip-info|set-ip-info",
 *    "pool": 0-255, "key", "value", "type": "sz|u32|u64", "index",
 *    "adapter_id", "addr_family", "dhcp_enabled", "ip_addr", "sub_net",
 *    "gate_way", "dns_addr", "timeout_ms"}
 *   {"cmd": "kvp", "op": "bench", "bench": "set|update|get|enumerate|get-ip-info",
 *    "pool", "keys": K, "count": N, "duration_ms": D, "prepare": bool,
 *    "adapter_id", "addr_family", "timeout_ms" (per request)}
 *       many requests back to back, timed inside hvsim (host-kvp.c) ->
 *       "bench", "keys", "ops", "ok_ops", "failures", "status" (the
 *       first failure's, else HV_S_OK), "elapsed_s" (sum of the successful
 *       requests' latencies), "wall_s", "ops_per_s", "latency_us": {"p50",
 *       "p90", "p99", "max", "mean"}; "prepare_s", "prepare_failures" when
 *       it set the keys first; "undo_failures" (set); "records", "walks",
 *       "extra_records", "records_per_s", "walks_per_s" (enumerate);
 *       "answer" (get-ip-info: the last successful answer's fields)
 *   {"cmd": "vss", "op": "freeze|thaw|hot-backup|get-dm-info|...|raw",
 *    "code", "size", "force", "timeout_ms"}
 *   {"cmd": "fcopy", "op": "copy|start|write|complete|cancel", "dir",
 *    "name", "flags", "size", "offset", "data", "timeout_ms"}
 *       copy: the source file travels with the request as SCM_RIGHTS
 *   {"cmd": "kvp|vss|fcopy", "op": "raw", "hex": "...", "timeout_ms"}
 *       any IC payload on that channel; the answer in "hex"
 *   {"cmd": "ping"} -> {"ok": true}
 *
 * Host operation replies: "ok": true means the guest answered; "status"
 * (name or 0x%08x) and "status_code" are its HRESULT, plus op-specific
 * fields (key, value, items, flags, stage, bytes).
 */
#pragma once

#include <json-c/json.h>
#include <poll.h>
#include <stdint.h>

#define HVSIM_CONTROL_VERSION 1
/* Longest request line accepted. */
#define HVSIM_CONTROL_MAX_LINE (1024 * 1024)

struct hvsim_control;
struct hvsim_control_conn;

struct hvsim_control_ops {
	/* A request arrived; fd is a descriptor passed with it (or -1) and
	 * belongs to the callee.  Answer now or later with
	 * hvsim_control_reply(). */
	void (*request)(struct hvsim_control_conn *conn, json_object *req, int fd, void *userdata);
	/* The connection is about to be freed: forget it. */
	void (*closed)(struct hvsim_control_conn *conn, void *userdata);
};

/* Create, bind (mode 0600) and listen.  An existing socket file at path is
 * replaced only if nobody answers on it. */
int hvsim_control_new(const char *path, const struct hvsim_control_ops *ops, void *userdata,
		      struct hvsim_control **ret);
/* Closes everything and unlinks the socket. */
struct hvsim_control *hvsim_control_free(struct hvsim_control *c);

/* Poll integration: fill up to max entries, then dispatch with the same
 * array after poll(). */
size_t hvsim_control_pollfds(struct hvsim_control *c, struct pollfd *pfds, size_t max);
void hvsim_control_dispatch(struct hvsim_control *c, const struct pollfd *pfds, size_t n);

/* Send a reply line (takes the reference; adds "v").  A reply to a closed
 * connection cannot happen: closed() told the owner to forget it. */
void hvsim_control_reply(struct hvsim_control_conn *conn, json_object *reply);
/* Convenience: {"ok": false, "error": msg}. */
void hvsim_control_reply_error(struct hvsim_control_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
