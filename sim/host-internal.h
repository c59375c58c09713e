/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the host engine core (host.c: jobs, channels, the inbox,
 * timeouts, negotiation) and the per-service engines (host-kvp.c,
 * host-vss.c, host-fcopy.c: what a request means, which packets it takes,
 * how the answers read).  A service engine sees jobs and the core's
 * helpers, never the core's lists.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macros.h"
#include "host.h"
#include "proto/icmsg.h"
#include "proto/kvp.h"

struct hvsim_kvp_bench;
struct hvsim_vss_backup;

enum hvsim_copy_stage {
	HVSIM_COPY_START,
	HVSIM_COPY_WRITE,
	HVSIM_COPY_COMPLETE,
	HVSIM_COPY_CANCEL, /* --cancel-after: CANCEL instead of the next WRITE */
};

/* One host operation: one or more packets on one channel. */
struct hvsim_host_job {
	struct hvsim_host_job *next;
	enum hvsim_cdev_kind kind;
	bool negotiate;     /* the core's own NEGOTIATE, no owner */
	uint8_t *raw;       /* a raw payload (op "raw"), answered in hex */
	size_t raw_len;
	uint64_t cookie;    /* the packet in flight, 0 when none */
	uint64_t deadline;
	bool abandoned;     /* answered already (timeout) or owner gone */
	bool must_finish;   /* runs on when its owner is gone (a backup's THAW) */
	uint64_t wake;      /* the service's wake() is due then (0: not) */
	hvsim_host_done_fn done;
	void *userdata;

	struct {
		uint8_t op, pool;
		uint32_t value_type;
		char *key, *value;
		uint64_t value_u64;
		uint32_t index;
		bool all;           /* enumerate the whole pool */
		json_object *items; /* what the enumeration found so far */
		struct hv_kvp_ip_info *ip;
		struct hvsim_kvp_bench *bench; /* op "bench" (host-kvp.c) */
	} kvp;
	struct {
		uint8_t op;
		size_t size;     /* service data bytes */
		uint64_t sent_ns; /* the packet in flight went out (CLOCK_MONOTONIC) */
		struct hvsim_vss_backup *backup; /* op "backup" (host-vss.c) */
	} vss;
	struct {
		bool copy; /* a whole file, else the single op below */
		uint32_t op;
		int fd;
		char *dir, *name, *data;
		uint32_t flags;
		uint64_t size, offset, acked;
		enum hvsim_copy_stage stage;
		int64_t cancel_after; /* WRITE fragments before a CANCEL, -1: none */
		uint64_t writes;      /* WRITE fragments the guest acknowledged */
		uint64_t start_ns;    /* when START went out (CLOCK_MONOTONIC) */
		json_object *replies; /* runs of {op, status, count}, in order */
	} fcopy;
};

struct hvsim_host_service {
	/* Fill the job from the request: 0, or -EINVAL with *ret_error set,
	 * or -ENOMEM.  May take *fd (then sets it to -EBADF). */
	int (*parse)(struct hvsim_host_job *j, json_object *req, int *fd, char **ret_error);
	/* Send the first packet. */
	int (*start)(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now);
	/* The guest answered the packet in flight: send the next one or
	 * finish the job. */
	void (*reply)(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now);
	/* Optional: the packet in flight failed (error), finish the job with
	 * what it has done so far.  Without it the result is just the error. */
	void (*failed)(struct hvsim_host *h, struct hvsim_host_job *j, const char *error);
	/* Optional: the job's wake time came (a job waiting between packets). */
	void (*wake)(struct hvsim_host *h, struct hvsim_host_job *j, uint64_t now);
};

extern const struct hvsim_host_service hvsim_host_kvp_service;
/* Frees a KVP job's benchmark state (NULL is fine). */
void hvsim_host_kvp_bench_free(struct hvsim_kvp_bench *b);
/* Frees a VSS job's backup state (NULL is fine). */
void hvsim_host_vss_backup_free(struct hvsim_vss_backup *b);
extern const struct hvsim_host_service hvsim_host_vss_service;
extern const struct hvsim_host_service hvsim_host_fcopy_service;

/* --- the core's helpers --- */

/* The request header for the job's next packet (versions as negotiated). */
void hvsim_host_header(const struct hvsim_host *h, const struct hvsim_host_job *j, enum hv_icmsg_type type,
		       struct hv_icmsg_hdr *hdr);
/* Put a payload on the job's channel; it becomes the packet in flight. */
int hvsim_host_send(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now);
/* Deliver the result (unless abandoned) and free the job. */
void hvsim_host_finish(struct hvsim_host *h, struct hvsim_host_job *j, json_object *result);
/* Finish the job as failed (the service's failed hook, else the error). */
void hvsim_host_fail(struct hvsim_host *h, struct hvsim_host_job *j, const char *error);
/* Remember the last status the guest answered on the job's channel. */
void hvsim_host_note_status(struct hvsim_host *h, const struct hvsim_host_job *j, uint32_t status);

/* Result objects: {"ok": true, "device": ...} and {"ok": false, "error": ...}. */
json_object *hvsim_host_result_new(const struct hvsim_host_job *j);
json_object *hvsim_host_error_new(const char *fmt, ...) _printf_(1, 2);
void hvsim_json_add_str(json_object *o, const char *k, const char *v);
void hvsim_json_add_int(json_object *o, const char *k, int64_t v);
/* "status": name or "0x%08x", "status_code": number. */
void hvsim_json_add_status(json_object *o, uint32_t status);

/* Request fields: NULL / false when absent or of another type. */
const char *hvsim_req_str(json_object *req, const char *key);
bool hvsim_req_int(json_object *req, const char *key, int64_t *ret);
bool hvsim_req_bool(json_object *req, const char *key);
/* Sets *ret_error (malloc'd) and returns -EINVAL. */
int hvsim_req_fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
