/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP pool checker; the design is in kvp-fsck.h.  Layout: the pure
 * analysis and repair over a buffer, then the file layer (locks, the
 * journal, the in-place write).
 *
 * Why the repair is written in place and not as a new file renamed over
 * the pool: the pool's writers keep the file open across their lock.
 * cloud-init opens with "ab" and then waits for flock(); hv_kvp_daemon
 * keeps its fcntl lock on a descriptor opened once at start.  After a
 * rename those descriptors point at the old, unlinked inode: the appender
 * would write into a file nobody reads, and the reference's lock would no
 * longer exclude anyone.  In place, under flock and the OFD lock together
 * (the store's order: flock first), every lock-respecting writer is either
 * done before we read (its records are in what we repair) or starts after
 * we unlock (it appends to the repaired file); O_APPEND writers land at
 * the new end of file.
 *
 * Crash safety comes from the store's redo journal (kvp-store.c): the
 * whole repaired image is written to .hvutils-kvp-journal-N as one change
 * (offset 0, the image, the new size) before the pool is touched, and
 * invalidated after.  A repair killed half-way is finished by the next
 * store that takes the pool's exclusive lock (hv-kvpd's next write, or any
 * hvctl kvp set/delete/clear/fsck --repair).  The header comes from the
 * store (hv_kvp_store_journal_header()), so the format has one owner; a
 * unit test checks that the store replays what this file writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/string-table.h"
#include "base/utf16.h"
#include "proto/kvp.h"
#include "proto/wire.h"
#include "services/kvp-fsck.h"
#include "services/kvp-store.h"

#define REC HV_KVP_RECORD_SIZE
#define KEYSZ HV_KVP_RECORD_KEY_SIZE
#define VALSZ HV_KVP_RECORD_VALUE_SIZE

static const char *const hv_kvp_fsck_kind_table[_HV_KVP_FSCK_KIND_MAX] = {
	[HV_KVP_FSCK_PARTIAL_RECORD] = "partial-record",
	[HV_KVP_FSCK_KEY_UNTERMINATED] = "key-unterminated",
	[HV_KVP_FSCK_VALUE_UNTERMINATED] = "value-unterminated",
	[HV_KVP_FSCK_KEY_BAD_UTF8] = "key-bad-utf8",
	[HV_KVP_FSCK_VALUE_BAD_UTF8] = "value-bad-utf8",
	[HV_KVP_FSCK_EMPTY_KEY] = "empty-key",
	[HV_KVP_FSCK_DUPLICATE_KEY] = "duplicate-key",
	[HV_KVP_FSCK_STALE_BYTES] = "stale-bytes",
	[HV_KVP_FSCK_HOST_UNREADABLE] = "host-unreadable",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_kvp_fsck_kind, enum hv_kvp_fsck_kind);

bool hv_kvp_fsck_kind_is_error(enum hv_kvp_fsck_kind k)
{
	switch (k) {
	case HV_KVP_FSCK_PARTIAL_RECORD:
	case HV_KVP_FSCK_KEY_UNTERMINATED:
	case HV_KVP_FSCK_VALUE_UNTERMINATED:
	case HV_KVP_FSCK_KEY_BAD_UTF8:
	case HV_KVP_FSCK_VALUE_BAD_UTF8:
	case HV_KVP_FSCK_EMPTY_KEY:
	case HV_KVP_FSCK_DUPLICATE_KEY:
		return true;
	case HV_KVP_FSCK_STALE_BYTES:
	case HV_KVP_FSCK_HOST_UNREADABLE:
	case _HV_KVP_FSCK_KIND_MAX:
	case _HV_KVP_FSCK_KIND_INVALID:
		return false;
	}
	return false;
}

struct hv_kvp_fsck_report *hv_kvp_fsck_report_free(struct hv_kvp_fsck_report *r)
{
	if (r) {
		for (size_t i = 0; i < r->n_issues; i++)
			free(r->issues[i].key);
		free(r->issues);
		free(r);
	}
	return NULL;
}

/* ---- analysis ---------------------------------------------------------- */

/* The keys of the records kept so far: open addressing over record
 * indices + 1 (0 = empty), sized for every record of the buffer. */
struct key_set {
	const uint8_t *buf;
	uint32_t *slots;
	uint32_t mask;
};

static uint32_t hash_key(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static int key_set_init(struct key_set *ks, const uint8_t *buf, uint32_t n)
{
	uint32_t want = 16;

	while (want < 2 * (uint64_t)n + 2)
		want <<= 1;
	ks->buf = buf;
	ks->slots = calloc(want, sizeof(*ks->slots));
	if (!ks->slots)
		return -ENOMEM;
	ks->mask = want - 1;
	return 0;
}

/* Returns the index of the record that has key, or inserts i and returns i. */
static uint32_t key_set_find_or_add(struct key_set *ks, const char *key, uint32_t i)
{
	uint32_t slot = hash_key(key) & ks->mask;

	for (;;) {
		uint32_t e = ks->slots[slot];

		if (e == 0) {
			ks->slots[slot] = i + 1;
			return i;
		}
		if (strcmp((const char *)ks->buf + (size_t)(e - 1) * REC, key) == 0)
			return e - 1;
		slot = (slot + 1) & ks->mask;
	}
}

static bool has_nonzero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return true;
	return false;
}

struct issue_list {
	struct hv_kvp_fsck_issue *v;
	size_t n, cap;
};

static void issue_list_free(struct issue_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
}

static int issue_add(struct issue_list *l, struct hv_kvp_fsck_report *r, enum hv_kvp_fsck_kind kind,
		     uint32_t record, uint32_t first, uint32_t bytes, const char *key)
{
	char *k = NULL;

	if (r) {
		r->counts[kind]++;
		if (hv_kvp_fsck_kind_is_error(kind))
			r->errors++;
		else
			r->warnings++;
	}
	if (!l)
		return 0;
	if (key) {
		k = strdup(key);
		if (!k)
			return -ENOMEM;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 16;
		struct hv_kvp_fsck_issue *nv = reallocarray(l->v, ncap, sizeof(*nv));

		if (!nv) {
			free(k);
			return -ENOMEM;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = (struct hv_kvp_fsck_issue){
		.kind = kind, .record = record, .first_record = first, .bytes = bytes, .key = k
	};
	return 0;
}

/*
 * One pass over the records: what is wrong with each (into r and l when
 * not NULL) and which ones a repair keeps (keep[i], when not NULL).
 * Returns the number of records kept, or -errno.
 */
static int64_t classify(const uint8_t *buf, size_t len, struct hv_kvp_fsck_report *r,
			struct issue_list *l, bool *keep)
{
	_cleanup_free_ uint32_t *slots = NULL;
	struct key_set ks;
	uint32_t n, kept = 0;
	int e;

	if ((uint64_t)len > HV_KVP_FSCK_MAX_SIZE)
		return -EFBIG;
	n = (uint32_t)(len / REC);
	e = key_set_init(&ks, buf, n);
	if (e < 0)
		return e;
	slots = ks.slots;

#define ADD(kind, first, bytes)                                    \
	do {                                                       \
		e = issue_add(l, r, (kind), i, (first), (bytes), key); \
		if (e < 0)                                         \
			return e;                                  \
	} while (0)

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k = buf + (size_t)i * REC, *v = k + KEYSZ;
		const uint8_t *kend = memchr(k, '\0', KEYSZ), *vend = memchr(v, '\0', VALSZ);
		size_t klen = kend ? (size_t)(kend - k) : KEYSZ, vlen = vend ? (size_t)(vend - v) : VALSZ;
		const char *key = kend ? (const char *)k : NULL;
		bool bad = false;
		uint32_t first;
		int units;

		if (!kend) {
			ADD(HV_KVP_FSCK_KEY_UNTERMINATED, i, 0);
			bad = true;
		} else if (klen == 0) {
			ADD(HV_KVP_FSCK_EMPTY_KEY, i, 0);
			bad = true;
		} else if (!hv_utf8_is_valid((const char *)k, klen)) {
			ADD(HV_KVP_FSCK_KEY_BAD_UTF8, i, 0);
			bad = true;
		}
		if (!vend) {
			ADD(HV_KVP_FSCK_VALUE_UNTERMINATED, i, 0);
			bad = true;
		} else if (!hv_utf8_is_valid((const char *)v, vlen)) {
			ADD(HV_KVP_FSCK_VALUE_BAD_UTF8, i, 0);
			bad = true;
		}
		if (keep)
			keep[i] = false;
		if (bad)
			continue;

		/* Only records that stay take part: the first decodable
		 * record with a key is the one a repair keeps. */
		first = key_set_find_or_add(&ks, (const char *)k, i);
		if (first != i) {
			ADD(HV_KVP_FSCK_DUPLICATE_KEY, first, 0);
			continue;
		}
		if (has_nonzero(k + klen + 1, KEYSZ - klen - 1) || has_nonzero(v + vlen + 1, VALSZ - vlen - 1))
			ADD(HV_KVP_FSCK_STALE_BYTES, i, 0);
		units = hv_utf8_utf16_units((const char *)k, klen);
		if (units > HV_KVP_FSCK_HOST_KEY_UNITS ||
		    hv_utf8_utf16_units((const char *)v, vlen) > HV_KVP_FSCK_HOST_VALUE_UNITS)
			ADD(HV_KVP_FSCK_HOST_UNREADABLE, i, 0);
		if (keep)
			keep[i] = true;
		kept++;
	}
	if (len % REC) {
		uint32_t i = n;
		const char *key = NULL;

		ADD(HV_KVP_FSCK_PARTIAL_RECORD, n, (uint32_t)(len % REC));
	}
#undef ADD
	return kept;
}

int hv_kvp_fsck_analyze(const uint8_t *buf, size_t len, struct hv_kvp_fsck_report **ret)
{
	struct hv_kvp_fsck_report *r;
	struct issue_list l = {};
	int64_t kept;

	if (!ret || (!buf && len))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	kept = classify(buf, len, r, &l, NULL);
	if (kept < 0) {
		issue_list_free(&l);
		hv_kvp_fsck_report_free(r);
		return (int)kept;
	}
	r->size = len;
	r->records = (uint32_t)(len / REC);
	r->trailing_bytes = (uint32_t)(len % REC);
	r->records_after = (uint32_t)kept;
	r->size_after = (uint64_t)kept * REC;
	r->needs_repair = r->errors > 0 || r->counts[HV_KVP_FSCK_STALE_BYTES] > 0;
	r->issues = l.v;
	r->n_issues = l.n;
	r->exists = true;
	*ret = r;
	return 0;
}

int hv_kvp_fsck_repair(const uint8_t *buf, size_t len, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_free_ bool *keep = NULL;
	uint8_t *out = NULL;
	size_t n = len / REC, o = 0;
	int64_t kept;

	if (!ret_buf || !ret_len || (!buf && len))
		return -EINVAL;
	if ((uint64_t)len > HV_KVP_FSCK_MAX_SIZE)
		return -EFBIG;
	keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	kept = classify(buf, len, NULL, NULL, keep);
	if (kept < 0)
		return (int)kept;
	if (kept > 0) {
		out = calloc((size_t)kept, REC);
		if (!out)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *k = (const char *)buf + i * REC;

		if (!keep[i])
			continue;
		/* Kept records are terminated: copy up to the NULs, the
		 * rest stays zero. */
		memcpy(out + o, k, strlen(k));
		memcpy(out + o + KEYSZ, k + KEYSZ, strlen(k + KEYSZ));
		o += REC;
	}
	*ret_buf = out;
	*ret_len = o;
	return 0;
}

/* ---- the file: locks, journal, write ------------------------------------ */

static int read_all(int fd, uint8_t *buf, size_t len, size_t *ret_got)
{
	size_t got = 0;

	while (got < len) {
		ssize_t k = pread(fd, buf + got, len - got, (off_t)got);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return hv_negative_errno();
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	*ret_got = got;
	return 0;
}

/* One journal record: the whole new image at offset 0, in the store's
 * format (hv_kvp_store_journal_header()). */
static int journal_write(int jfd, int pool_fd, const uint8_t *image, size_t len)
{
	uint8_t hdr[HV_KVP_STORE_JOURNAL_HDR];
	struct iovec iov[2];
	ssize_t k;
	int r;

	if (len > UINT32_MAX)
		return -EFBIG;
	r = hv_kvp_store_journal_header(hdr, pool_fd, 0, image, (uint32_t)len, len);
	if (r < 0)
		return r;
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(hdr) };
	iov[1] = (struct iovec){ .iov_base = (void *)image, .iov_len = len };
	k = pwritev(jfd, iov, len ? 2 : 1, 0);
	if (k < 0)
		return hv_negative_errno();
	if ((size_t)k != sizeof(hdr) + len)
		return -EIO;
	if (fdatasync(jfd) < 0)
		return hv_negative_errno();
	return 0;
}

static int journal_invalidate(int jfd)
{
	static const uint8_t zero[4];

	return hv_pwrite_all(jfd, zero, sizeof(zero), 0);
}

/* Opens and locks path, following it if it was replaced between the open
 * and the lock (as the store does).  -ENOENT when there is no file. */
static int open_locked(const char *path, bool repair, int *ret_fd)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		_cleanup_close_ int fd = -EBADF;
		struct stat st, pst;
		int r;

		fd = open(path, (repair ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return hv_negative_errno();
		r = hv_kvp_store_lock_fd(fd, repair);
		if (r < 0)
			return r;
		if (fstat(fd, &st) < 0) {
			r = hv_negative_errno();
			hv_kvp_store_unlock_fd(fd);
			return r;
		}
		if (stat(path, &pst) == 0 && pst.st_dev == st.st_dev && pst.st_ino == st.st_ino) {
			*ret_fd = TAKE_FD(fd);
			return 0;
		}
		hv_kvp_store_unlock_fd(fd);
	}
	return -ESTALE;
}

static int fsck_locked(int fd, const char *jpath, const struct hv_kvp_fsck_options *opts,
		       struct hv_kvp_fsck_report **ret)
{
	_cleanup_free_ uint8_t *buf = NULL, *image = NULL;
	_cleanup_close_ int jfd = -EBADF;
	struct hv_kvp_fsck_report *rep = NULL;
	struct stat st;
	size_t got, image_len;
	int r;

	if (fstat(fd, &st) < 0)
		return hv_negative_errno();
	if (st.st_size < 0 || (uint64_t)st.st_size > HV_KVP_FSCK_MAX_SIZE)
		return -EFBIG;
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		return -ENOMEM;
	r = read_all(fd, buf, (size_t)st.st_size, &got);
	if (r < 0)
		return r;
	r = hv_kvp_fsck_analyze(buf, got, &rep);
	if (r < 0)
		return r;
	if (!opts->repair || !rep->needs_repair) {
		*ret = rep;
		return 0;
	}

	r = hv_kvp_fsck_repair(buf, got, &image, &image_len);
	if (r < 0)
		goto fail;
	jfd = open(jpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (jfd < 0) {
		r = hv_negative_errno();
		goto fail;
	}
	r = journal_write(jfd, fd, image, image_len);
	if (r < 0) {
		(void)journal_invalidate(jfd);
		goto fail;
	}
	if (opts->stop_after_journal) {
		*ret = rep;
		return 0;
	}
	/* From here a failure leaves a valid journal: the next exclusive
	 * lock of a store finishes the repair. */
	r = hv_pwrite_all(fd, image, image_len, 0);
	if (r < 0)
		goto fail;
	if (ftruncate(fd, (off_t)image_len) < 0 || fdatasync(fd) < 0) {
		r = hv_negative_errno();
		goto fail;
	}
	r = journal_invalidate(jfd);
	if (r < 0)
		goto fail;
	rep->repaired = true;
	*ret = rep;
	return 0;
fail:
	hv_kvp_fsck_report_free(rep);
	return r;
}

int hv_kvp_fsck_file(const char *dir, unsigned pool, const struct hv_kvp_fsck_options *opts,
		     struct hv_kvp_fsck_report **ret)
{
	static const struct hv_kvp_fsck_options defaults = {};
	_cleanup_free_ char *path = NULL, *jpath = NULL;
	struct hv_kvp_fsck_report *rep = NULL;
	struct stat st;
	int fd = -EBADF, r;

	if (!dir || pool >= HV_KVP_POOL_COUNT || !ret)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	if (stat(dir, &st) < 0)
		return hv_negative_errno();
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (asprintf(&path, "%s/.kvp_pool_%u", dir, pool) < 0 ||
	    asprintf(&jpath, "%s/.hvutils-kvp-journal-%u", dir, pool) < 0) {
		path = jpath = NULL;
		return -ENOMEM;
	}

	if (opts->repair && access(path, F_OK) == 0) {
		struct hv_kvp_store *s = NULL;

		/* A change the store did not finish comes first: opening a
		 * writable store replays a valid journal under its locks. */
		r = hv_kvp_store_open(dir, pool, NULL, &s);
		if (r < 0)
			return r;
		hv_kvp_store_free(s);
	}

	r = open_locked(path, opts->repair, &fd);
	if (r == -ENOENT) {
		rep = calloc(1, sizeof(*rep));
		if (!rep)
			return -ENOMEM;
		*ret = rep; /* exists == false */
		return 0;
	}
	if (r < 0)
		return r;
	r = fsck_locked(fd, jpath, opts, &rep);
	hv_kvp_store_unlock_fd(fd);
	hv_safe_close(fd);
	if (r < 0)
		return r;
	*ret = rep;
	return 0;
}
