/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP pool store: one object per pool file /var/lib/hyperv/.kvp_pool_N.
 *
 * The file format is the reference daemon's (PROTOCOL.md §5.4): a bare
 * array of 2560-byte records, key[512] then value[2048], NUL-terminated
 * UTF-8.  Record order is part of the contract (readers match records by
 * position): new keys are appended, updates happen in place, a delete
 * closes the gap and keeps the order.
 *
 * Unlike the reference, which re-reads and rewrites the whole file on every
 * operation, the store keeps the records and a hash index in memory and
 * writes only the records that change.  Outside writers (cloud-init and
 * azure-init append to pool 1) are noticed cheaply: after taking the locks
 * the store compares inode, size, mtime and ctime with what it last saw and
 * re-reads the file only when they differ.
 *
 * Locks: every access takes flock(LOCK_EX) (what cloud-init and azure-init
 * use) and then an OFD fcntl write lock over the whole file (which
 * conflicts with the reference's and its readers' classic fcntl locks), so
 * neither kind of client can observe or cause a torn record.
 *
 * Crash safety: every change is first written to a small redo journal
 * (.hvutils-kvp-journal-N beside the pool) and then applied; the journal is
 * invalidated once the pool holds the change.  A process killed at any
 * point leaves either an invalid journal and an untouched pool, or a valid
 * journal that the next open re-applies.  Bytes after a string's NUL are
 * always zero (the reference leaks stale heap data there, §11.6).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/kvp.h"

#define HV_KVP_STORE_KEY_MAX HV_KVP_RECORD_KEY_SIZE     /* bytes including the NUL */
#define HV_KVP_STORE_VALUE_MAX HV_KVP_RECORD_VALUE_SIZE /* bytes including the NUL */
#define HV_KVP_STORE_RECORD_SIZE HV_KVP_RECORD_SIZE
#define HV_KVP_STORE_DEFAULT_MAX_RECORDS 100000u

struct hv_kvp_store;

struct hv_kvp_store_options {
	/* Cap on records; a SET of a new key past it fails with -ENOSPC.
	 * 0 means HV_KVP_STORE_DEFAULT_MAX_RECORDS. */
	uint32_t max_records;
	/* Open read-only: no journal, no writes, shared locks (hvctl list). */
	bool read_only;
};

/* What hv_kvp_store_get_stats() reports about the file as last loaded. */
struct hv_kvp_store_stats {
	uint32_t records;           /* records in memory (file order) */
	uint32_t duplicates;        /* records whose key appeared earlier */
	uint32_t bad_records;       /* key or value without NUL, or not UTF-8 */
	uint32_t trailing_bytes;    /* partial record at the end of the file */
	uint32_t reloads;           /* times an outside change made us re-read */
	bool journal_replayed;      /* the last open finished an interrupted change */
};

/* Opens (creating 0644 if needed) <dir>/.kvp_pool_<pool> and loads it.
 * Replays a valid journal first.  pool must be 0..4. */
int hv_kvp_store_open(const char *dir, unsigned pool, const struct hv_kvp_store_options *opts,
		     struct hv_kvp_store **ret);
struct hv_kvp_store *hv_kvp_store_free(struct hv_kvp_store *p);

unsigned hv_kvp_store_number(const struct hv_kvp_store *p);
const char *hv_kvp_store_path(const struct hv_kvp_store *p);

/*
 * key/value are UTF-8 strings of key_len/value_len bytes (no NUL inside;
 * key_len 1..511, value_len 0..2047).
 * set:    0 updated in place, 1 appended; -E2BIG too long, -EINVAL empty
 *         key or NUL inside, -ENOSPC record cap reached, -EROFS read-only.
 * get:    0 and *ret_value (valid until the next call on p); -ENOENT.
 * delete: 0; -ENOENT.
 * The first record with a key wins when a file holds duplicates, as in the
 * reference.
 */
int hv_kvp_store_set(struct hv_kvp_store *p, const char *key, size_t key_len, const char *value,
		    size_t value_len);
int hv_kvp_store_get(struct hv_kvp_store *p, const char *key, size_t key_len,
		    const char **ret_value);
int hv_kvp_store_delete(struct hv_kvp_store *p, const char *key, size_t key_len);

/* Record at index in file order; -ENOENT past the end.  Pointers valid
 * until the next call on p. */
int hv_kvp_store_enumerate(struct hv_kvp_store *p, uint32_t index, const char **ret_key,
			  const char **ret_value);
/* Number of records after checking for outside changes. */
int hv_kvp_store_count(struct hv_kvp_store *p);
/* Remove every record (truncate to 0) under the locks. */
int hv_kvp_store_clear(struct hv_kvp_store *p);
/* Re-check the file now (cheap when unchanged). */
int hv_kvp_store_refresh(struct hv_kvp_store *p);
void hv_kvp_store_get_stats(const struct hv_kvp_store *p, struct hv_kvp_store_stats *ret);

/* The store's lock protocol on an open pool file, for programs that read or
 * change a pool themselves (hvctl kvp fsck): flock (shared or exclusive),
 * then an OFD fcntl lock over the whole file, both waited for.  -errno. */
int hv_kvp_store_lock_fd(int fd, bool exclusive);
void hv_kvp_store_unlock_fd(int fd);

/*
 * The redo journal's header, for a program that changes a pool under the
 * store's locks itself (hvctl kvp fsck --repair): the change writes len
 * bytes of data at offset, then sets the size to new_size; pool_fd is the
 * pool, locked, not yet changed (its size and the bytes the change drops
 * are recorded so that a replay can tell whether another program wrote the
 * file since).  Write the header, then the data, to
 * <dir>/.hvutils-kvp-journal-<pool> at offset 0; invalidate it (zero the
 * first 4 bytes) once the pool holds the change.  -errno.
 */
#define HV_KVP_STORE_JOURNAL_HDR 48u
int hv_kvp_store_journal_header(uint8_t hdr[HV_KVP_STORE_JOURNAL_HDR], int pool_fd, uint64_t offset,
				const void *data, uint32_t len, uint64_t new_size);
