/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP pool store; the design is in kvp-store.h.  Layout of this file:
 * records and index, locking and change detection, the redo journal, then
 * the operations.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/utf16.h"
#include "proto/wire.h"
#include "services/kvp-store.h"

#define REC HV_KVP_STORE_RECORD_SIZE
#define KEYSZ HV_KVP_STORE_KEY_MAX
#define VALSZ HV_KVP_STORE_VALUE_MAX
#define N_POOLS 5u

/* Journal header, little-endian on disk (written through le helpers). */
#define JOURNAL_MAGIC 0x4a4b5648u /* "HVKJ" */
#define JOURNAL_VERSION 2u
#define JOURNAL_HDR HV_KVP_STORE_JOURNAL_HDR

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct hv_kvp_store {
	unsigned pool;
	struct hv_kvp_store_options opts;
	char *path, *jpath;
	int fd, jfd;
	bool locked_exclusive;

	uint8_t *recs; /* n records of REC bytes, file image */
	uint32_t n, cap;
	uint32_t *index; /* open addressing: record index + 1, 0 = empty */
	uint32_t index_mask;

	bool have_seen;
	struct file_id seen;
	struct hv_kvp_store_stats stats;
};

/* ---- records and index ------------------------------------------------ */

static char *rec_key(const struct hv_kvp_store *p, uint32_t i)
{
	return (char *)p->recs + (size_t)i * REC;
}

static char *rec_value(const struct hv_kvp_store *p, uint32_t i)
{
	return (char *)p->recs + (size_t)i * REC + KEYSZ;
}

static uint32_t hash_key(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Slot holding key, or the empty slot where it would go. */
static uint32_t index_find(const struct hv_kvp_store *p, const char *key, size_t len, bool *found)
{
	uint32_t slot = hash_key(key, len) & p->index_mask;

	for (;;) {
		uint32_t e = p->index[slot];

		if (e == 0) {
			*found = false;
			return slot;
		}
		if (strncmp(rec_key(p, e - 1), key, len) == 0 && rec_key(p, e - 1)[len] == '\0') {
			*found = true;
			return slot;
		}
		slot = (slot + 1) & p->index_mask;
	}
}

static int index_rebuild(struct hv_kvp_store *p)
{
	uint32_t want = 64;

	while (want < 2 * (p->n + 1) && want < (1u << 30))
		want <<= 1;
	if (!p->index || p->index_mask + 1 != want) {
		uint32_t *ni = calloc(want, sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		free(p->index);
		p->index = ni;
		p->index_mask = want - 1;
	} else {
		memset(p->index, 0, (size_t)want * sizeof(*p->index));
	}

	p->stats.duplicates = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		const char *k = rec_key(p, i);
		bool found;
		uint32_t slot = index_find(p, k, strlen(k), &found);

		/* The first record with a key wins, as in the reference. */
		if (found)
			p->stats.duplicates++;
		else
			p->index[slot] = i + 1;
	}
	return 0;
}

static int records_reserve(struct hv_kvp_store *p, uint32_t n)
{
	uint8_t *nr;
	uint32_t ncap;

	if (n <= p->cap)
		return 0;
	ncap = p->cap ? p->cap : 64;
	while (ncap < n)
		ncap *= 2;
	nr = realloc(p->recs, (size_t)ncap * REC);
	if (!nr)
		return -ENOMEM;
	p->recs = nr;
	p->cap = ncap;
	return 0;
}

/* Count a record whose strings are unterminated or not UTF-8, and make the
 * in-memory copy safe to use as C strings (the file is left alone). */
static void record_sanitize(struct hv_kvp_store *p, uint32_t i)
{
	char *k = rec_key(p, i), *v = rec_value(p, i);
	bool bad = false;

	if (!memchr(k, '\0', KEYSZ)) {
		k[KEYSZ - 1] = '\0';
		bad = true;
	}
	if (!memchr(v, '\0', VALSZ)) {
		v[VALSZ - 1] = '\0';
		bad = true;
	}
	if (!hv_utf8_is_valid(k, KEYSZ) || !hv_utf8_is_valid(v, VALSZ))
		bad = true;
	if (bad)
		p->stats.bad_records++;
}

/* ---- locking and change detection -------------------------------------- */

int hv_kvp_store_lock_fd(int fd, bool exclusive)
{
	struct flock fl = {
		.l_type = exclusive ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,
	};

	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return hv_negative_errno();
	while (fcntl(fd, F_OFD_SETLKW, &fl) < 0) {
		if (errno != EINTR) {
			int r = hv_negative_errno();

			(void)flock(fd, LOCK_UN);
			return r;
		}
	}
	return 0;
}

void hv_kvp_store_unlock_fd(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	(void)fcntl(fd, F_OFD_SETLK, &fl);
	(void)flock(fd, LOCK_UN);
}

static void file_id_from_stat(struct file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

static bool file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static int open_pool_fd(struct hv_kvp_store *p)
{
	int flags = p->opts.read_only ? O_RDONLY : (O_RDWR | O_CREAT);

	p->fd = open(p->path, flags | O_CLOEXEC | O_NOCTTY, 0644);
	if (p->fd < 0) {
		if (errno == ENOENT && p->opts.read_only)
			return 0; /* a pool nobody wrote yet reads as empty */
		return hv_log_debug_errno(hv_negative_errno(), "kvp: open %s: %m", p->path);
	}
	return 0;
}

static int pool_reload(struct hv_kvp_store *p, const struct stat *st)
{
	uint32_t n;
	size_t want, got = 0;
	int r;

	if (st->st_size < 0 || (uint64_t)st->st_size / REC > UINT32_MAX)
		return -EFBIG;
	n = (uint32_t)((uint64_t)st->st_size / REC);
	r = records_reserve(p, n);
	if (r < 0)
		return r;
	want = (size_t)n * REC;
	while (got < want) {
		ssize_t k = pread(p->fd, p->recs + got, want - got, (off_t)got);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return hv_negative_errno();
		}
		if (k == 0) /* shrank under us without the locks */
			break;
		got += (size_t)k;
	}
	p->n = (uint32_t)(got / REC);
	p->stats.trailing_bytes = (uint32_t)(st->st_size - (off_t)p->n * REC);
	p->stats.bad_records = 0;
	for (uint32_t i = 0; i < p->n; i++)
		record_sanitize(p, i);
	p->stats.records = p->n;
	return index_rebuild(p);
}

static int journal_replay(struct hv_kvp_store *p);

/*
 * Take the locks and make the in-memory image match the file.  On success
 * the caller holds the locks and must call pool_unlock().
 */
static int pool_lock(struct hv_kvp_store *p, bool exclusive)
{
	struct stat st, pst;
	struct file_id now;
	int r;

	if (p->fd < 0) {
		r = open_pool_fd(p);
		if (r < 0)
			return r;
		if (p->fd < 0) { /* read-only and the file does not exist */
			p->n = 0;
			p->stats.records = 0;
			p->have_seen = false;
			return index_rebuild(p);
		}
	}
	for (int attempt = 0;; attempt++) {
		r = hv_kvp_store_lock_fd(p->fd, exclusive);
		if (r < 0)
			return r;
		if (fstat(p->fd, &st) < 0) {
			r = hv_negative_errno();
			hv_kvp_store_unlock_fd(p->fd);
			return r;
		}
		/* Someone replaced or removed the file: follow the path. */
		if (stat(p->path, &pst) == 0 && pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)
			break;
		hv_kvp_store_unlock_fd(p->fd);
		p->fd = hv_safe_close(p->fd);
		if (attempt >= 3)
			return -ESTALE;
		r = open_pool_fd(p);
		if (r < 0)
			return r;
		if (p->fd < 0)
			return pool_lock(p, exclusive);
	}
	p->locked_exclusive = exclusive;

	/* A journal can only be left valid by a writer that died; whatever it
	 * did to the pool then, it is not the file we last saw (an unchanged
	 * file means the change never reached it, and was never acknowledged):
	 * so look only when the file is new to us or changed. */
	file_id_from_stat(&now, &st);
	if (exclusive && !p->opts.read_only && (!p->have_seen || !file_id_equal(&now, &p->seen))) {
		r = journal_replay(p);
		if (r < 0)
			goto fail;
		if (r > 0 && fstat(p->fd, &st) < 0) {
			r = hv_negative_errno();
			goto fail;
		}
	}

	file_id_from_stat(&now, &st);
	if (!p->have_seen || !file_id_equal(&now, &p->seen)) {
		if (p->have_seen)
			p->stats.reloads++;
		r = pool_reload(p, &st);
		if (r < 0)
			goto fail;
		p->seen = now;
		p->have_seen = true;
	}
	return 0;
fail:
	hv_kvp_store_unlock_fd(p->fd);
	return r;
}

static void pool_unlock(struct hv_kvp_store *p)
{
	if (p->fd >= 0)
		hv_kvp_store_unlock_fd(p->fd);
}

/* After our own write: remember the file as we left it. */
static int pool_note_written(struct hv_kvp_store *p)
{
	struct stat st;

	if (fstat(p->fd, &st) < 0)
		return hv_negative_errno();
	file_id_from_stat(&p->seen, &st);
	p->have_seen = true;
	p->stats.trailing_bytes = 0;
	p->stats.records = p->n;
	return 0;
}

/* ---- redo journal -------------------------------------------------------- */

static uint32_t crc32_update(uint32_t crc, const uint8_t *buf, size_t len)
{
	static uint32_t table[256];
	static bool ready;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t journal_crc(const uint8_t hdr[JOURNAL_HDR], const void *data, uint32_t len)
{
	return crc32_update(crc32_update(crc32_update(0, hdr + 8, 20), hdr + 32, 16), data, len);
}

static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *b = buf;

	while (len > 0) {
		ssize_t k = pread(fd, b, len, off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return hv_negative_errno();
		}
		if (k == 0)
			return -ENODATA;
		b += k;
		len -= (size_t)k;
		off += k;
	}
	return 0;
}

/* The guard of a shrinking change: the first bytes past new_size that the
 * change drops (at most one record).  The change's own write never touches
 * them, so on replay they tell "not finished yet" (still there) from
 * "finished, then another program appended" (something else there). */
static int guard_crc(int fd, uint64_t new_size, uint64_t old_size, uint32_t *ret_crc, uint32_t *ret_len)
{
	uint8_t buf[REC];
	uint32_t n = 0;
	int r;

	if (old_size > new_size)
		n = (uint32_t)(old_size - new_size < REC ? old_size - new_size : REC);
	if (n > 0) {
		r = pread_full(fd, buf, n, (off_t)new_size);
		if (r < 0)
			return r;
	}
	*ret_crc = crc32_update(0, buf, n);
	*ret_len = n;
	return 0;
}

static int journal_header(uint8_t hdr[JOURNAL_HDR], int pool_fd, uint64_t old_size, uint64_t offset,
			  const void *data, uint32_t len, uint64_t new_size)
{
	uint32_t gcrc, glen;
	int r;

	r = guard_crc(pool_fd, new_size, old_size, &gcrc, &glen);
	if (r < 0)
		return r;
	memset(hdr, 0, JOURNAL_HDR);
	hv_put_le32(hdr, JOURNAL_MAGIC);
	hv_put_le32(hdr + 4, JOURNAL_VERSION);
	hv_put_le64(hdr + 8, new_size);
	hv_put_le64(hdr + 16, offset);
	hv_put_le32(hdr + 24, len);
	hv_put_le64(hdr + 32, old_size);
	hv_put_le32(hdr + 40, gcrc);
	hv_put_le32(hdr + 44, glen);
	hv_put_le32(hdr + 28, journal_crc(hdr, data, len));
	return 0;
}

int hv_kvp_store_journal_header(uint8_t hdr[HV_KVP_STORE_JOURNAL_HDR], int pool_fd, uint64_t offset,
				const void *data, uint32_t len, uint64_t new_size)
{
	struct stat st;

	if (fstat(pool_fd, &st) < 0)
		return hv_negative_errno();
	return journal_header(hdr, pool_fd, (uint64_t)st.st_size, offset, data, len, new_size);
}

static int journal_open(struct hv_kvp_store *p, bool create)
{
	if (p->jfd >= 0)
		return 0;
	p->jfd = open(p->jpath, O_RDWR | O_CLOEXEC | O_NOCTTY | (create ? O_CREAT : 0), 0600);
	if (p->jfd < 0)
		return hv_negative_errno();
	return 0;
}

static int journal_invalidate(struct hv_kvp_store *p)
{
	static const uint8_t zero[4];

	return hv_pwrite_all(p->jfd, zero, sizeof(zero), 0);
}

/* Apply one change: bytes at offset, then the file size. */
static int pool_apply(struct hv_kvp_store *p, uint64_t offset, const void *data, uint32_t len,
		      uint64_t old_size, uint64_t new_size)
{
	int r;

	if (len > 0) {
		r = hv_pwrite_all(p->fd, data, len, (off_t)offset);
		if (r < 0)
			return r;
	}
	/* An update in place (the common case) leaves the size alone. */
	if (new_size != old_size && ftruncate(p->fd, (off_t)new_size) < 0)
		return hv_negative_errno();
	return 0;
}

/* Move the records another program appended after old_size down to
 * new_size (a shrinking change finished late must not drop them). */
static int move_appended(int fd, uint64_t from, uint64_t to, uint64_t end)
{
	uint8_t buf[REC];
	int r;

	for (; from < end; from += REC, to += REC) {
		r = pread_full(fd, buf, REC, (off_t)from);
		if (r < 0)
			return r;
		r = hv_pwrite_all(fd, buf, REC, (off_t)to);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Finish the change a valid journal describes, if the pool is still the
 * file it was made for.  Programs that write pools without us (cloud-init,
 * azure-init) only append whole records, or truncate at boot, so with S
 * the size now and old/new the sizes before and after the change:
 *   growing (an append): old <= S < new: not done or half done, finish it;
 *     S >= new: done, or never started and somebody appended since: leave
 *     it (an unfinished change was never acknowledged to the host);
 *   same size (in place): S >= old, whole records past it: write it again
 *     (idempotent), keeping whatever was appended;
 *   shrinking (delete, clear, repair): S >= old, whole records past it, and
 *     the guard bytes still there: finish it and move the appended records
 *     down; guard gone: it was finished, then somebody appended: leave it;
 *   anything else (S < old): the file was rewritten: leave it.
 * Returns 1 when a change was finished, 0 when there was none to finish.
 */
static int journal_replay(struct hv_kvp_store *p)
{
	uint8_t hdr[JOURNAL_HDR];
	_cleanup_free_ uint8_t *data = NULL;
	uint64_t new_size, offset, old_size, size, final_size;
	uint32_t len, gcrc, glen, now_crc, now_len;
	struct stat st;
	bool apply;
	ssize_t k;
	int r;

	r = journal_open(p, false);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	k = pread(p->jfd, hdr, sizeof(hdr), 0);
	if (k < (ssize_t)sizeof(hdr) || hv_get_le32(hdr) != JOURNAL_MAGIC ||
	    hv_get_le32(hdr + 4) != JOURNAL_VERSION)
		return 0;
	new_size = hv_get_le64(hdr + 8);
	offset = hv_get_le64(hdr + 16);
	len = hv_get_le32(hdr + 24);
	old_size = hv_get_le64(hdr + 32);
	gcrc = hv_get_le32(hdr + 40);
	glen = hv_get_le32(hdr + 44);
	if (offset + len > new_size + REC || new_size > (uint64_t)UINT32_MAX * REC ||
	    old_size > (uint64_t)UINT32_MAX * REC || glen > REC)
		return 0;
	data = malloc(len ? len : 1);
	if (!data)
		return -ENOMEM;
	if (len && pread(p->jfd, data, len, JOURNAL_HDR) != (ssize_t)len)
		return 0; /* torn journal: the pool was never touched */
	if (journal_crc(hdr, data, len) != hv_get_le32(hdr + 28))
		return 0;

	if (fstat(p->fd, &st) < 0)
		return hv_negative_errno();
	size = (uint64_t)st.st_size;
	final_size = new_size;
	if (new_size > old_size) {
		apply = size >= old_size && size < new_size;
	} else if (size < old_size || (size - old_size) % REC != 0) {
		apply = false;
	} else if (new_size == old_size) {
		apply = true;
		final_size = size;
	} else {
		r = guard_crc(p->fd, new_size, old_size, &now_crc, &now_len);
		if (r < 0 && r != -ENODATA)
			return r;
		apply = r == 0 && now_len == glen && now_crc == gcrc;
		final_size = new_size + (size - old_size);
	}

	if (!apply) {
		hv_log_notice("kvp: %s changed since an interrupted change (%" PRIu64 " bytes, expected %" PRIu64
			      "); not finishing it",
			      p->path, size, old_size);
	} else {
		if (len > 0) {
			r = hv_pwrite_all(p->fd, data, len, (off_t)offset);
			if (r < 0)
				return hv_log_warning_errno(r, "kvp: finishing interrupted change to %s: %m", p->path);
		}
		if (new_size < old_size && size > old_size) {
			r = move_appended(p->fd, old_size, new_size, size);
			if (r < 0)
				return hv_log_warning_errno(r, "kvp: finishing interrupted change to %s: %m", p->path);
		}
		if (ftruncate(p->fd, (off_t)final_size) < 0)
			return hv_log_warning_errno(hv_negative_errno(), "kvp: finishing interrupted change to %s: %m",
						    p->path);
	}
	r = journal_invalidate(p);
	if (r < 0)
		return r;
	if (!apply)
		return 0;
	p->stats.journal_replayed = true;
	hv_log_notice("kvp: finished an interrupted change to %s", p->path);
	return 1;
}

/* Journal, apply, invalidate.  Called with the exclusive locks held. */
static int pool_write(struct hv_kvp_store *p, uint64_t offset, const void *data, uint32_t len,
		      uint64_t new_size)
{
	uint8_t hdr[JOURNAL_HDR];
	struct iovec iov[2];
	ssize_t k;
	int r;

	r = journal_open(p, true);
	if (r < 0)
		return hv_log_warning_errno(r, "kvp: open journal %s: %m", p->jpath);
	/* Under the locks p->seen is the file as it is now. */
	r = journal_header(hdr, p->fd, (uint64_t)p->seen.size, offset, data, len, new_size);
	if (r < 0)
		return r;
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(hdr) };
	iov[1] = (struct iovec){ .iov_base = (void *)data, .iov_len = len };
	k = pwritev(p->jfd, iov, len ? 2 : 1, 0);
	if (k < 0)
		return hv_negative_errno();
	if ((size_t)k != sizeof(hdr) + len) {
		(void)journal_invalidate(p);
		return -EIO;
	}
	r = pool_apply(p, offset, data, len, (uint64_t)p->seen.size, new_size);
	if (r < 0)
		return r; /* the valid journal finishes the change on next open */
	r = journal_invalidate(p);
	if (r < 0)
		return r;
	return pool_note_written(p);
}

/* ---- operations ------------------------------------------------------- */

int hv_kvp_store_open(const char *dir, unsigned pool, const struct hv_kvp_store_options *opts,
		     struct hv_kvp_store **ret)
{
	struct hv_kvp_store *p;
	int r;

	if (pool >= N_POOLS || !dir)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pool = pool;
	p->fd = p->jfd = -EBADF;
	if (opts)
		p->opts = *opts;
	if (p->opts.max_records == 0)
		p->opts.max_records = HV_KVP_STORE_DEFAULT_MAX_RECORDS;
	if (asprintf(&p->path, "%s/.kvp_pool_%u", dir, pool) < 0 ||
	    asprintf(&p->jpath, "%s/.hvutils-kvp-journal-%u", dir, pool) < 0) {
		p->path = p->jpath = NULL;
		hv_kvp_store_free(p);
		return -ENOMEM;
	}
	r = pool_lock(p, !p->opts.read_only);
	if (r < 0) {
		hv_kvp_store_free(p);
		return r;
	}
	pool_unlock(p);
	*ret = p;
	return 0;
}

struct hv_kvp_store *hv_kvp_store_free(struct hv_kvp_store *p)
{
	if (!p)
		return NULL;
	hv_safe_close(p->fd);
	hv_safe_close(p->jfd);
	free(p->recs);
	free(p->index);
	free(p->path);
	free(p->jpath);
	free(p);
	return NULL;
}

unsigned hv_kvp_store_number(const struct hv_kvp_store *p)
{
	return p->pool;
}

const char *hv_kvp_store_path(const struct hv_kvp_store *p)
{
	return p->path;
}

static int check_key(const char *key, size_t key_len)
{
	if (!key || key_len == 0 || memchr(key, '\0', key_len))
		return -EINVAL;
	if (key_len >= KEYSZ)
		return -E2BIG;
	return 0;
}

int hv_kvp_store_set(struct hv_kvp_store *p, const char *key, size_t key_len, const char *value,
		    size_t value_len)
{
	uint8_t rec[REC];
	uint32_t slot, i;
	bool found;
	int r;

	r = check_key(key, key_len);
	if (r < 0)
		return r;
	if (value_len >= VALSZ)
		return -E2BIG;
	if (value_len && memchr(value, '\0', value_len))
		return -EINVAL;
	if (p->opts.read_only)
		return -EROFS;

	r = pool_lock(p, true);
	if (r < 0)
		return r;
	slot = index_find(p, key, key_len, &found);
	memset(rec, 0, sizeof(rec));
	memcpy(rec, key, key_len);
	if (value_len)
		memcpy(rec + KEYSZ, value, value_len);

	if (found) {
		/* Update in place: only the value part of the record. */
		i = p->index[slot] - 1;
		r = pool_write(p, (uint64_t)i * REC + KEYSZ, rec + KEYSZ, VALSZ, (uint64_t)p->n * REC);
		if (r >= 0)
			memcpy(rec_value(p, i), rec + KEYSZ, VALSZ);
		goto out;
	}
	if (p->n >= p->opts.max_records) {
		r = -ENOSPC;
		goto out;
	}
	r = records_reserve(p, p->n + 1);
	if (r < 0)
		goto out;
	i = p->n;
	r = pool_write(p, (uint64_t)i * REC, rec, REC, (uint64_t)(i + 1) * REC);
	if (r < 0)
		goto out;
	memcpy(rec_key(p, i), rec, REC);
	p->n++;
	p->stats.records = p->n;
	if (2 * (p->n + 1) > p->index_mask + 1)
		r = index_rebuild(p);
	else
		p->index[slot] = i + 1;
	if (r >= 0)
		r = 1;
out:
	if (r < 0)
		p->have_seen = false; /* re-read on next access */
	pool_unlock(p);
	return r;
}

int hv_kvp_store_get(struct hv_kvp_store *p, const char *key, size_t key_len,
		    const char **ret_value)
{
	uint32_t slot;
	bool found;
	int r;

	r = check_key(key, key_len);
	if (r < 0)
		return r == -E2BIG ? -ENOENT : r;
	r = pool_lock(p, false);
	if (r < 0)
		return r;
	slot = index_find(p, key, key_len, &found);
	pool_unlock(p);
	if (!found)
		return -ENOENT;
	*ret_value = rec_value(p, p->index[slot] - 1);
	return 0;
}

int hv_kvp_store_delete(struct hv_kvp_store *p, const char *key, size_t key_len)
{
	uint32_t slot, i, tail;
	bool found;
	int r;

	r = check_key(key, key_len);
	if (r < 0)
		return r == -E2BIG ? -ENOENT : r;
	if (p->opts.read_only)
		return -EROFS;
	r = pool_lock(p, true);
	if (r < 0)
		return r;
	slot = index_find(p, key, key_len, &found);
	if (!found) {
		r = -ENOENT;
		goto out;
	}
	i = p->index[slot] - 1;
	tail = p->n - i - 1;
	/* Close the gap in memory first; the journal makes the file follow. */
	memmove(rec_key(p, i), rec_key(p, i + 1), (size_t)tail * REC);
	r = pool_write(p, (uint64_t)i * REC, rec_key(p, i), tail * REC, (uint64_t)(p->n - 1) * REC);
	if (r < 0) {
		p->have_seen = false; /* memory no longer matches: re-read */
		goto out;
	}
	p->n--;
	p->stats.records = p->n;
	r = index_rebuild(p);
out:
	pool_unlock(p);
	return r;
}

int hv_kvp_store_enumerate(struct hv_kvp_store *p, uint32_t index, const char **ret_key,
			  const char **ret_value)
{
	int r = pool_lock(p, false);

	if (r < 0)
		return r;
	pool_unlock(p);
	if (index >= p->n)
		return -ENOENT;
	*ret_key = rec_key(p, index);
	*ret_value = rec_value(p, index);
	return 0;
}

int hv_kvp_store_count(struct hv_kvp_store *p)
{
	int r = pool_lock(p, false);

	if (r < 0)
		return r;
	pool_unlock(p);
	return (int)p->n;
}

int hv_kvp_store_refresh(struct hv_kvp_store *p)
{
	return hv_kvp_store_count(p) < 0 ? -EIO : 0;
}

int hv_kvp_store_clear(struct hv_kvp_store *p)
{
	int r;

	if (p->opts.read_only)
		return -EROFS;
	r = pool_lock(p, true);
	if (r < 0)
		return r;
	r = pool_write(p, 0, NULL, 0, 0);
	if (r >= 0) {
		p->n = 0;
		p->stats.records = 0;
		r = index_rebuild(p);
	} else {
		p->have_seen = false;
	}
	pool_unlock(p);
	return r;
}

void hv_kvp_store_get_stats(const struct hv_kvp_store *p, struct hv_kvp_store_stats *ret)
{
	*ret = p->stats;
}
