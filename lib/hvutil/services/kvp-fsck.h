/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP pool checker: what is wrong with a pool file (PROTOCOL.md §5.4) and
 * how to make it right, for `hvctl kvp fsck`.
 *
 * Two layers.  The pure one works on a byte buffer holding a whole pool
 * file: hv_kvp_fsck_analyze() describes every defect in a report, and
 * hv_kvp_fsck_repair() builds the repaired bytes.  No I/O, no logging, no
 * globals, fuzzed (tests/fuzz/fuzz-kvp-fsck.c).  The file layer,
 * hv_kvp_fsck_file(), reads a pool under the same locks as the store
 * (services/kvp-store.h: flock, then an OFD fcntl lock over the whole file)
 * and, when asked, writes the repair back in place, crash-safely through
 * the store's redo journal (see kvp-fsck.c for why in place).
 *
 * Defects (errors: the repair removes them; the exit status of a check
 * says so):
 *  - a partial record at the end (the file size is not a multiple of 2560:
 *    an interrupted append or truncation);
 *  - a key or value without a NUL in its field;
 *  - a key or value that is not valid UTF-8 (the kernel fails the host's
 *    ENUMERATE of such a record);
 *  - an empty key;
 *  - a key that an earlier valid record already has.  The first record
 *    wins, as in the reference daemon and the store: a GET finds it, so a
 *    later one is dead weight that the host still enumerates.
 * Warnings (reported, never a failed check):
 *  - non-zero bytes after a string's NUL (the reference daemon writes
 *    stale heap memory there, §11.6); the repair zeroes them;
 *  - a key longer than 254 or a value longer than 1022 UTF-16 code units:
 *    the kernel cannot hand it to the host (§5.2), which then fails the
 *    enumeration.  Kept as is: only the writer can shorten it.
 *
 * The repair keeps the order of the records that stay (readers such as
 * Chef Ohai depend on adjacency, ECOSYSTEM.md §2.6), drops the partial
 * tail, the undecodable records and the later duplicates, and zeroes the
 * bytes after each NUL.  A repaired buffer analyses clean, and repairing
 * it again changes nothing.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Biggest file the checker reads (a bound on what it allocates): a pool
 * at the store's default cap holds 256 MB. */
#define HV_KVP_FSCK_MAX_SIZE (UINT64_C(1) << 30)
/* What the kernel converts for the host (UTF-16 code units, §5.2). */
#define HV_KVP_FSCK_HOST_KEY_UNITS 254
#define HV_KVP_FSCK_HOST_VALUE_UNITS 1022

enum hv_kvp_fsck_kind {
	HV_KVP_FSCK_PARTIAL_RECORD,      /* error: trailing bytes */
	HV_KVP_FSCK_KEY_UNTERMINATED,    /* error */
	HV_KVP_FSCK_VALUE_UNTERMINATED,  /* error */
	HV_KVP_FSCK_KEY_BAD_UTF8,        /* error */
	HV_KVP_FSCK_VALUE_BAD_UTF8,      /* error */
	HV_KVP_FSCK_EMPTY_KEY,           /* error */
	HV_KVP_FSCK_DUPLICATE_KEY,       /* error; first_record says where it was */
	HV_KVP_FSCK_STALE_BYTES,         /* warning */
	HV_KVP_FSCK_HOST_UNREADABLE,     /* warning */
	_HV_KVP_FSCK_KIND_MAX,
	_HV_KVP_FSCK_KIND_INVALID = -EINVAL,
};

/* "partial-record", "key-unterminated", ..., "host-unreadable" */
const char *hv_kvp_fsck_kind_to_string(enum hv_kvp_fsck_kind k);
enum hv_kvp_fsck_kind hv_kvp_fsck_kind_from_string(const char *s);
/* True for the kinds that are errors (a check fails), false for warnings. */
bool hv_kvp_fsck_kind_is_error(enum hv_kvp_fsck_kind k);

struct hv_kvp_fsck_issue {
	enum hv_kvp_fsck_kind kind;
	uint32_t record;       /* record index; for PARTIAL_RECORD the index it would have */
	uint32_t first_record; /* DUPLICATE_KEY: the record that wins; else == record */
	uint32_t bytes;        /* PARTIAL_RECORD: how many bytes */
	/* The record's key up to its NUL (bytes as in the file, maybe not
	 * UTF-8), or NULL: unterminated key, PARTIAL_RECORD. */
	char *key;
};

struct hv_kvp_fsck_report {
	uint64_t size;            /* bytes analysed */
	uint32_t records;         /* whole records */
	uint32_t trailing_bytes;  /* size % 2560 */
	uint32_t errors, warnings;
	uint32_t counts[_HV_KVP_FSCK_KIND_MAX];
	/* Records a repair keeps, and the repaired size. */
	uint32_t records_after;
	uint64_t size_after;
	/* True when a repair would change a byte (errors or stale bytes). */
	bool needs_repair;
	/* In file order; a record may have several. */
	struct hv_kvp_fsck_issue *issues;
	size_t n_issues;

	/* Set by hv_kvp_fsck_file(). */
	bool exists;   /* false: no pool file (nothing analysed) */
	bool repaired; /* the file now holds the repaired bytes */
};

struct hv_kvp_fsck_report *hv_kvp_fsck_report_free(struct hv_kvp_fsck_report *r);

/* Analyse len bytes of a pool file.  -ENOMEM, -EFBIG above
 * HV_KVP_FSCK_MAX_SIZE. */
int hv_kvp_fsck_analyze(const uint8_t *buf, size_t len, struct hv_kvp_fsck_report **ret);

/* The repaired image of buf (malloc'd, *ret_len bytes, a multiple of 2560;
 * *ret_buf may be NULL when *ret_len is 0).  -ENOMEM, -EFBIG. */
int hv_kvp_fsck_repair(const uint8_t *buf, size_t len, uint8_t **ret_buf, size_t *ret_len);

struct hv_kvp_fsck_options {
	bool repair;
	/* Tests only: write the journal of the repair and stop there, as if
	 * the process had died before touching the pool. */
	bool stop_after_journal;
};

/*
 * Check <dir>/.kvp_pool_<pool> (pool 0..4) under the store's locks: shared
 * for a check (the file is opened read-only), exclusive for a repair.  A
 * missing file gives a report with exists == false.  With repair, an
 * interrupted store change (a valid journal) is finished first, and the
 * file is rewritten only when the report says it needs it.
 * -ENOENT when dir does not exist, -EACCES, -EIO, ... as from the system.
 */
int hv_kvp_fsck_file(const char *dir, unsigned pool, const struct hv_kvp_fsck_options *opts,
		     struct hv_kvp_fsck_report **ret);
