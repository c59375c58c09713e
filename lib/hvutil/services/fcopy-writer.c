/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File copy, the file-system side (see fcopy-writer.h for the contract).
 *
 * Every path operation is relative to a directory descriptor: a root's,
 * then the destination directory's, which stays open for the whole copy so
 * the temporary file, the existence check and the final rename all happen
 * in the directory that was checked, whatever is renamed meanwhile.  The
 * host's strings are never handed to open(2) as a whole path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/aio_abi.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "proto/fcopy.h"
#include "services/fcopy-writer.h"

#define TEMP_SUFFIX_LEN 6
#define TEMP_ATTEMPTS 64
/* Sequential data is gathered and written in pieces of this size (page
 * aligned when the copy starts at 0): one system call for ten fragments
 * instead of one each, whole pages instead of 6144-byte writes that start
 * mid-page, and small enough to stay in the CPU's cache (1 MiB pieces
 * measured slower: the copy into the page cache then reads from memory). */
#define WRITE_BUFFER_SIZE (64 * 1024)
/* A copy announced at this size or more bypasses the page cache (O_DIRECT,
 * where the file system has it), in pieces of DIRECT_BUFFER_SIZE at offsets
 * aligned to DIRECT_ALIGN: a big copy neither fills the guest's memory with
 * pages nobody will read nor pays for allocating them, and its data is on
 * the device when each write returns, so COMPLETE's fsync has only
 * metadata left.  Each piece is written asynchronously (Linux AIO) from one
 * of two buffers while the next fills the other, so the device's time
 * overlaps the host's next messages instead of adding to them; at most one
 * write is in flight, and it is waited for before anything else touches
 * the file.  Without AIO the writes are synchronous.  The last piece, and
 * any write that does not fit the alignment, goes through the page cache
 * (the descriptor drops O_DIRECT for the rest of the copy). */
#define DIRECT_MIN_SIZE (8 * 1024 * 1024)
#define DIRECT_BUFFER_SIZE (1024 * 1024)
#define DIRECT_ALIGN 4096
/* Writeback of what was written is started every so many bytes
 * (write-behind), so the fsync at COMPLETE has at most this much left. */
#define WRITEBACK_CHUNK (8 * 1024 * 1024)
/* Room for the name inside ".<name>.hvfcopy-XXXXXX" within NAME_MAX. */
#define TEMP_NAME_ROOM (NAME_MAX - 1 - (sizeof(HV_FCOPY_WRITER_TEMP_INFIX) - 1) - TEMP_SUFFIX_LEN)

struct root {
	char *name;     /* normalised, as configured: "/srv/incoming" or "/" */
	char *resolved; /* through the path context */
	int fd;         /* -EBADF until opened */
};

struct copy {
	bool open;
	int dir_fd;
	int fd;
	uint32_t flags;
	bool direct;      /* c->fd has O_DIRECT */
	aio_context_t aio; /* direct mode's asynchronous writes; 0: none */
	bool in_flight;    /* cb is submitted, its completion not collected */
	struct iocb cb;
	uint64_t buf_off; /* where the buffered run starts in the file */
	size_t buf_len;   /* bytes of it in the writer's buffer */
	uint64_t wb_start, wb_end; /* written, writeback not started yet */
	uint64_t end;              /* the end of the furthest write: the file's length */
	uint64_t sized;            /* the length set at START (direct mode), else 0 */
	char *name;
	char *temp;   /* NULL once renamed into place */
	char *target; /* "/dir/name" for messages */
	const struct root *root;
};

struct hv_fcopy_writer {
	struct root *roots;
	size_t n_roots;
	mode_t file_mode;
	mode_t dir_mode;
	uid_t uid;
	gid_t gid;
	bool no_openat2;
	unsigned temp_counter;
	uint8_t *buf;   /* DIRECT_BUFFER_SIZE, DIRECT_ALIGN aligned, allocated at the first WRITE */
	uint8_t *spare; /* the same: the one being written while buf fills */
	struct copy copy;
};

void hv_fcopy_writer_options_init(struct hv_fcopy_writer_options *o)
{
	*o = (struct hv_fcopy_writer_options){
		.file_mode = HV_FCOPY_WRITER_DEFAULT_FILE_MODE,
		.dir_mode = HV_FCOPY_WRITER_DEFAULT_DIR_MODE,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1,
	};
}

int hv_fcopy_writer_check_name(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
		return -EINVAL;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- roots ---- */

static int root_open(struct root *r)
{
	if (r->fd >= 0)
		return 0;
	r->fd = open(r->resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		r->fd = hv_negative_errno();
		return hv_log_debug_errno(r->fd, "fcopy: cannot open the root %s: %m", r->resolved);
	}
	return 0;
}

/* The longest root that dir (normalised) lies in, and dir relative to it. */
static struct root *root_for(struct hv_fcopy_writer *w, const char *dir, const char **ret_rel)
{
	struct root *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < w->n_roots; i++) {
		const char *name = w->roots[i].name;
		size_t len = strcmp(name, "/") == 0 ? 0 : strlen(name);

		if (len > 0 && (strncmp(dir, name, len) != 0 || (dir[len] != '\0' && dir[len] != '/')))
			continue;
		if (!best || len > best_len) {
			best = &w->roots[i];
			best_len = len;
		}
	}
	if (best) {
		const char *rel = dir + best_len;

		while (*rel == '/')
			rel++;
		*ret_rel = *rel ? rel : ".";
	}
	return best;
}

/* ---- resolving below a root ---- */

/* Without openat2: one component at a time, no symlink followed at all. */
static int walk_nofollow(int root_fd, const char *rel)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *copy = strdup(rel);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hv_negative_errno();
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (strcmp(c, ".") == 0)
			continue;
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			struct stat st;
			int r = hv_negative_errno();

			/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: name it. */
			if (r == -ENOTDIR && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				r = -ELOOP;
			return r;
		}
		hv_safe_close(fd);
		fd = next;
	}
	return TAKE_FD(fd);
}

/* Open directory rel below root_fd, never leaving it.  Returns the fd. */
static int open_beneath(struct hv_fcopy_writer *w, int root_fd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!w->no_openat2) {
		fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return hv_negative_errno();
		hv_log_debug("fcopy: openat2() is not available, walking paths without following symlinks");
		w->no_openat2 = true;
	}
	return walk_nofollow(root_fd, rel);
}

static int apply_owner(const struct hv_fcopy_writer *w, int fd)
{
	if (w->uid == (uid_t)-1 && w->gid == (gid_t)-1)
		return 0;
	return HV_RET_NERRNO(fchown(fd, w->uid, w->gid));
}

/* Create one directory below parent_fd and open it (not following a
 * symlink that someone put there meanwhile). */
static int make_dir(const struct hv_fcopy_writer *w, int parent_fd, const char *name)
{
	_cleanup_close_ int fd = -EBADF;
	bool created = true;
	int r;

	if (mkdirat(parent_fd, name, w->dir_mode) < 0) {
		if (errno != EEXIST)
			return hv_negative_errno();
		created = false;
	}
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hv_negative_errno();
	if (created) {
		/* Mode before owner: chmod of another user's file would need
		 * CAP_FOWNER, and chown clears only set-id bits, which the
		 * configured modes never have. */
		r = HV_RET_NERRNO(fchmod(fd, w->dir_mode));
		if (r >= 0)
			r = apply_owner(w, fd);
		if (r < 0)
			return r;
	}
	return TAKE_FD(fd);
}

/* CREATE_PATH: the deepest existing ancestor, then mkdir of the rest. */
static int open_or_create(struct hv_fcopy_writer *w, int root_fd, const char *rel)
{
	_cleanup_free_ char *prefix = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t keep;

	fd = open_beneath(w, root_fd, rel);
	if (fd != -ENOENT)
		return TAKE_FD(fd);

	prefix = strdup(rel);
	if (!prefix)
		return -ENOMEM;
	keep = strlen(prefix);
	for (;;) {
		char *slash;

		prefix[keep] = '\0';
		slash = strrchr(prefix, '/');
		keep = slash ? (size_t)(slash - prefix) : 0;
		prefix[keep] = '\0';
		fd = open_beneath(w, root_fd, keep ? prefix : ".");
		if (fd != -ENOENT || keep == 0)
			break;
	}
	if (fd < 0)
		return TAKE_FD(fd);

	/* rel + keep is the missing tail ("b/c" or "/b/c"). */
	for (const char *p = rel + keep; *p;) {
		char name[NAME_MAX + 1];
		size_t n;
		int next;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		next = make_dir(w, fd, name);
		if (next < 0)
			return next;
		hv_safe_close(fd);
		fd = next;
	}
	return TAKE_FD(fd);
}

/* ---- the temporary file ---- */

static void random_suffix(struct hv_fcopy_writer *w, char out[static TEMP_SUFFIX_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t bytes[TEMP_SUFFIX_LEN];

	/* Unpredictable is nice, unique is what counts: O_EXCL makes sure,
	 * so a pool that is not ready yet (early boot) falls back to time. */
	if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t)sizeof(bytes)) {
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 20) ^
		    ++w->temp_counter;
		for (size_t i = 0; i < sizeof(bytes); i++, x >>= 7)
			bytes[i] = (uint8_t)x;
	}
	for (size_t i = 0; i < TEMP_SUFFIX_LEN; i++)
		out[i] = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
	out[TEMP_SUFFIX_LEN] = '\0';
}

static int create_temp(struct hv_fcopy_writer *w, int dir_fd, const char *name, char **ret_name)
{
	size_t keep = strlen(name);
	char buf[NAME_MAX + 1];

	/* Shorten a long name, at a UTF-8 character boundary. */
	if (keep > TEMP_NAME_ROOM) {
		keep = TEMP_NAME_ROOM;
		while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
			keep--;
	}
	for (unsigned i = 0; i < TEMP_ATTEMPTS; i++) {
		char suffix[TEMP_SUFFIX_LEN + 1];
		int fd;

		random_suffix(w, suffix);
		snprintf(buf, sizeof(buf), ".%.*s%s%s", (int)keep, name, HV_FCOPY_WRITER_TEMP_INFIX, suffix);
		fd = openat(dir_fd, buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return hv_negative_errno();
		*ret_name = strdup(buf);
		if (!*ret_name) {
			(void)unlinkat(dir_fd, buf, 0);
			hv_safe_close(fd);
			return -ENOMEM;
		}
		return fd;
	}
	return -EEXIST;
}

/* ---- the copy ---- */

static int finish_in_flight(struct copy *c);

static void copy_end(struct copy *c)
{
	(void)finish_in_flight(c); /* whatever it says: the file goes */
	if (c->aio)
		(void)syscall(SYS_io_destroy, c->aio);
	c->fd = hv_safe_close(c->fd);
	if (c->temp && c->dir_fd >= 0 && unlinkat(c->dir_fd, c->temp, 0) < 0 && errno != ENOENT)
		hv_log_debug_errno(hv_negative_errno(), "fcopy: cannot remove %s: %m", c->temp);
	c->dir_fd = hv_safe_close(c->dir_fd);
	free(c->name);
	free(c->temp);
	free(c->target);
	*c = (struct copy){ .dir_fd = -EBADF, .fd = -EBADF };
}

int hv_fcopy_writer_start(struct hv_fcopy_writer *w, const char *dir, const char *name, uint32_t flags)
{
	_cleanup_free_ char *norm = NULL;
	_cleanup_close_ int dir_fd = -EBADF;
	struct copy *c = &w->copy;
	struct root *root;
	const char *rel;
	struct stat st;
	int r;

	if (c->open)
		return -EBUSY;
	r = hv_fcopy_writer_check_name(name);
	if (r < 0)
		return r;
	if (!dir)
		return -EINVAL;
	r = hv_path_normalize(dir, strlen(dir), &norm);
	if (r < 0)
		return r;
	root = root_for(w, norm, &rel);
	if (!root)
		return -EACCES;
	r = root_open(root);
	if (r < 0)
		return r;

	dir_fd = (flags & HV_FCOPY_CREATE_PATH) ? open_or_create(w, root->fd, rel) : open_beneath(w, root->fd, rel);
	if (dir_fd < 0)
		return dir_fd;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!(flags & HV_FCOPY_OVER_WRITE))
			return -EEXIST;
	} else if (errno != ENOENT) {
		return hv_negative_errno();
	}

	*c = (struct copy){ .dir_fd = -EBADF, .fd = -EBADF, .flags = flags, .root = root };
	c->name = strdup(name);
	if (!c->name || asprintf(&c->target, "%s%s%s", norm, strcmp(norm, "/") == 0 ? "" : "/", name) < 0) {
		c->target = NULL;
		copy_end(c);
		return -ENOMEM;
	}
	r = create_temp(w, dir_fd, name, &c->temp);
	if (r < 0) {
		copy_end(c);
		return r;
	}
	c->fd = r;
	c->dir_fd = TAKE_FD(dir_fd);
	c->open = true;
	hv_log_debug("fcopy: writing %s through %s", c->target, c->temp);
	return 0;
}

int hv_fcopy_writer_reserve(struct hv_fcopy_writer *w, uint64_t size)
{
	struct copy *c = &w->copy;
	int r;

	if (!c->open)
		return -EBADF;
	if (size == 0)
		return 0;
	if (size > (uint64_t)INT64_MAX) {
		copy_end(c);
		return -EFBIG;
	}
	if (size >= DIRECT_MIN_SIZE) {
		int fl = fcntl(c->fd, F_GETFL);

		/* EINVAL: a file system without direct I/O (tmpfs before 6.6,
		 * many FUSE ones): the page cache it is. */
		c->direct = fl >= 0 && fcntl(c->fd, F_SETFL, fl | O_DIRECT) == 0;
		if (!c->direct)
			hv_log_debug_errno(hv_negative_errno(), "fcopy: no direct I/O for %s, using the page cache: %m",
					   c->target);
		else if (syscall(SYS_io_setup, 1, &c->aio) < 0) {
			c->aio = 0;
			hv_log_debug_errno(hv_negative_errno(), "fcopy: no AIO, writing %s synchronously: %m",
					   c->target);
		}
	}
	/* KEEP_SIZE: the file still grows only with the data written.  In
	 * direct mode the length is set now, and put right at COMPLETE: ext4
	 * (for one) waits for a direct write that extends the file, so only
	 * writes inside it run while the next piece fills. */
	r = HV_RET_NERRNO(fallocate(c->fd, c->direct ? 0 : FALLOC_FL_KEEP_SIZE, 0, (off_t)size));
	if (r >= 0 && c->direct)
		c->sized = size;
	if (r == -EOPNOTSUPP || r == -ENOSYS || r == -EINVAL) {
		hv_log_debug_errno(r, "fcopy: cannot reserve %" PRIu64 " bytes for %s, writing without: %m", size,
				   c->target);
		return 0;
	}
	if (r < 0)
		copy_end(c);
	return r;
}

/* Start the writeback of what was written since the last time. */
static void start_writeback(struct copy *c)
{
	if (c->wb_end > c->wb_start &&
	    sync_file_range(c->fd, (off_t)c->wb_start, (off_t)(c->wb_end - c->wb_start), SYNC_FILE_RANGE_WRITE) < 0)
		hv_log_debug_errno(hv_negative_errno(), "fcopy: sync_file_range() failed, ignoring: %m");
	c->wb_start = c->wb_end;
}

/* Drop O_DIRECT: this copy goes on through the page cache. */
static void stop_direct(struct copy *c)
{
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0 || fcntl(c->fd, F_SETFL, fl & ~O_DIRECT) < 0)
		hv_log_debug_errno(hv_negative_errno(), "fcopy: cannot clear O_DIRECT on %s: %m", c->target);
	c->direct = false;
}

/* Collect the write in flight.  A short one (a full disk, say) has its
 * rest written through the page cache, which tells the real error; so
 * does one the file system refused for its alignment (EINVAL).  The
 * buffer is intact: it is refilled only after this. */
static int finish_in_flight(struct copy *c)
{
	struct io_event ev;
	uint64_t done;
	long n;

	if (!c->in_flight)
		return 0;
	do
		n = syscall(SYS_io_getevents, c->aio, 1, 1, &ev, NULL);
	while (n < 0 && errno == EINTR);
	c->in_flight = false;
	if (n < 0)
		return hv_negative_errno();
	if (n != 1)
		return -EIO;
	if (ev.res < 0 && ev.res != -EINVAL)
		return (int)ev.res;
	done = ev.res < 0 ? 0 : (uint64_t)ev.res;
	if (done >= c->cb.aio_nbytes)
		return 0;
	stop_direct(c);
	return hv_pwrite_all(c->fd, (const uint8_t *)(uintptr_t)c->cb.aio_buf + done, c->cb.aio_nbytes - done,
			     (off_t)(c->cb.aio_offset + done));
}

/* Start writing buf[0, len) at off; 0: in flight, < 0: write it yourself. */
static int submit(struct hv_fcopy_writer *w, uint64_t off, size_t len)
{
	struct copy *c = &w->copy;
	struct iocb *list[1] = { &c->cb };
	uint8_t *b;

	if (!c->aio)
		return -EOPNOTSUPP;
	if (!w->spare) {
		w->spare = aligned_alloc(DIRECT_ALIGN, DIRECT_BUFFER_SIZE);
		if (!w->spare)
			return -ENOMEM;
	}
	c->cb = (struct iocb){
		.aio_lio_opcode = IOCB_CMD_PWRITE,
		.aio_fildes = (uint32_t)c->fd,
		.aio_buf = (uint64_t)(uintptr_t)w->buf,
		.aio_nbytes = len,
		.aio_offset = (int64_t)off,
	};
	if (syscall(SYS_io_submit, c->aio, 1, list) != 1)
		return hv_negative_errno();
	c->in_flight = true;
	/* The next piece fills the other buffer. */
	b = w->buf;
	w->buf = w->spare;
	w->spare = b;
	return 0;
}

/* Write the buffered run and start its writeback (so the fsync at
 * COMPLETE has little left to do); the buffer is empty afterwards. */
static int flush(struct hv_fcopy_writer *w)
{
	struct copy *c = &w->copy;
	uint64_t off = c->buf_off;
	size_t len = c->buf_len;
	int r;

	/* Also when there is nothing new: COMPLETE waits for the last piece. */
	r = finish_in_flight(c);
	if (r < 0 || len == 0)
		return r;
	c->buf_len = 0;
	c->buf_off = off + len;
	if (c->direct) {
		if (off % DIRECT_ALIGN == 0 && len % DIRECT_ALIGN == 0) {
			if (submit(w, off, len) == 0)
				return 0;
			r = hv_pwrite_all(c->fd, w->buf, len, (off_t)off);
			if (r != -EINVAL)
				return r;
			/* The file system wants another alignment after all. */
		}
		stop_direct(c);
	}
	r = hv_pwrite_all(c->fd, w->buf, len, (off_t)off);
	if (r < 0)
		return r;
	if (off != c->wb_end) {
		start_writeback(c);
		c->wb_start = off;
	}
	c->wb_end = off + len;
	if (c->wb_end - c->wb_start >= WRITEBACK_CHUNK)
		start_writeback(c);
	return 0;
}

/* Gather size bytes at offset into the run, writing it out when it is
 * full or when offset does not continue it. */
static int gather(struct hv_fcopy_writer *w, uint64_t offset, const uint8_t *data, size_t size)
{
	struct copy *c = &w->copy;
	int r;

	size_t piece = c->direct ? DIRECT_BUFFER_SIZE : WRITE_BUFFER_SIZE;

	if (!w->buf) {
		w->buf = aligned_alloc(DIRECT_ALIGN, DIRECT_BUFFER_SIZE);
		if (!w->buf) { /* write through, unbuffered */
			if (c->direct)
				stop_direct(c);
			return hv_pwrite_all(c->fd, data, size, (off_t)offset);
		}
	}
	if (c->buf_len > 0 && offset != c->buf_off + c->buf_len) {
		r = flush(w);
		if (r < 0)
			return r;
	}
	if (c->buf_len == 0)
		c->buf_off = offset;
	while (size > 0) {
		size_t n = HV_MIN(size, piece - c->buf_len);

		memcpy(w->buf + c->buf_len, data, n);
		c->buf_len += n;
		data += n;
		size -= n;
		if (c->buf_len == piece) {
			r = flush(w);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int hv_fcopy_writer_write(struct hv_fcopy_writer *w, uint64_t offset, const void *data, size_t size)
{
	struct copy *c = &w->copy;
	int r;

	if (!c->open)
		return -EBADF;
	if (size > 0 && !data)
		r = -EINVAL;
	else if (offset > (uint64_t)INT64_MAX || size > (uint64_t)INT64_MAX - offset)
		r = -EFBIG;
	else
		r = gather(w, offset, data, size);
	if (r < 0) {
		copy_end(c);
		return r;
	}
	c->end = HV_MAX(c->end, offset + size);
	return 0;
}

/* Rename without replacing: renameat2(RENAME_NOREPLACE), else link +
 * unlink, else (file systems with neither) check and rename. */
static int rename_noreplace(int dir_fd, const char *from, const char *to)
{
	struct stat st;

	if (renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return hv_negative_errno();
	if (linkat(dir_fd, from, dir_fd, to, 0) == 0) {
		(void)unlinkat(dir_fd, from, 0);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP)
		return hv_negative_errno();
	if (fstatat(dir_fd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return HV_RET_NERRNO(renameat(dir_fd, from, dir_fd, to));
}

int hv_fcopy_writer_complete(struct hv_fcopy_writer *w)
{
	struct copy *c = &w->copy;
	int r, fd;

	if (!c->open)
		return -EBADF;
	r = flush(w);
	/* The host may have sent less than it announced (more made the file
	 * longer by itself). */
	if (r >= 0 && c->sized > c->end)
		r = HV_RET_NERRNO(ftruncate(c->fd, (off_t)c->end));
	/* Mode before owner, as in make_dir(). */
	if (r >= 0)
		r = HV_RET_NERRNO(fchmod(c->fd, w->file_mode));
	if (r >= 0)
		r = apply_owner(w, c->fd);
	if (r >= 0)
		r = HV_RET_NERRNO(fsync(c->fd));
	if (r >= 0) {
		fd = c->fd;
		c->fd = -EBADF;
		/* Linux closes the fd even when close() fails; EINTR is no error. */
		if (close(fd) < 0 && errno != EINTR)
			r = hv_negative_errno();
	}
	if (r >= 0) {
		if (c->flags & HV_FCOPY_OVER_WRITE)
			r = HV_RET_NERRNO(renameat(c->dir_fd, c->temp, c->dir_fd, c->name));
		else
			r = rename_noreplace(c->dir_fd, c->temp, c->name);
	}
	if (r < 0) {
		copy_end(c);
		return r;
	}
	c->temp = (free(c->temp), NULL); /* in place now: nothing to remove */
	if (fsync(c->dir_fd) < 0)
		hv_log_debug_errno(hv_negative_errno(), "fcopy: fsync of the directory of %s failed, ignoring: %m",
				   c->target);
	copy_end(c);
	return 0;
}

int hv_fcopy_writer_cancel(struct hv_fcopy_writer *w)
{
	if (!w->copy.open)
		return -EBADF;
	copy_end(&w->copy);
	return 0;
}

bool hv_fcopy_writer_is_open(const struct hv_fcopy_writer *w)
{
	return w && w->copy.open;
}

const char *hv_fcopy_writer_get_target(const struct hv_fcopy_writer *w)
{
	return w && w->copy.open ? w->copy.target : NULL;
}

const char *hv_fcopy_writer_get_temp_name(const struct hv_fcopy_writer *w)
{
	return w && w->copy.open ? w->copy.temp : NULL;
}

const char *hv_fcopy_writer_get_root(const struct hv_fcopy_writer *w)
{
	return w && w->copy.open ? w->copy.root->name : NULL;
}

/* ---- the object ---- */

struct hv_fcopy_writer *hv_fcopy_writer_free(struct hv_fcopy_writer *w)
{
	if (!w)
		return NULL;
	if (w->copy.open)
		copy_end(&w->copy);
	for (size_t i = 0; i < w->n_roots; i++) {
		hv_safe_close(w->roots[i].fd);
		free(w->roots[i].name);
		free(w->roots[i].resolved);
	}
	free(w->roots);
	free(w->buf);
	free(w->spare);
	free(w);
	return NULL;
}

static int add_root(struct hv_fcopy_writer *w, const struct hv_path *path, const char *dir)
{
	struct root *r = &w->roots[w->n_roots];
	int k;

	if (dir[0] != '/')
		return -EINVAL;
	k = hv_path_normalize(dir, strlen(dir), &r->name);
	if (k < 0)
		return k;
	w->n_roots++;
	r->fd = -EBADF;
	r->resolved = hv_path_get(path, r->name);
	if (!r->resolved)
		return -ENOMEM;
	(void)root_open(r); /* tried again at the next copy */
	return 0;
}

int hv_fcopy_writer_new(const struct hv_fcopy_writer_options *o, struct hv_fcopy_writer **ret)
{
	static char *const default_roots[] = { (char *)HV_FCOPY_WRITER_DEFAULT_ROOT, NULL };
	struct hv_fcopy_writer *w;
	char *const *roots;
	size_t n = 0;
	int r = 0;

	if (!o || !ret || o->file_mode > 0777 || o->dir_mode > 0777)
		return -EINVAL;
	roots = o->roots && o->roots[0] ? o->roots : default_roots;
	while (roots[n])
		n++;
	if (n > HV_FCOPY_WRITER_MAX_ROOTS)
		return -EINVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct hv_fcopy_writer){
		.file_mode = o->file_mode,
		.dir_mode = o->dir_mode,
		.uid = o->uid,
		.gid = o->gid,
		.no_openat2 = o->no_openat2,
		.copy = { .dir_fd = -EBADF, .fd = -EBADF },
	};
	w->roots = calloc(n, sizeof(*w->roots));
	if (!w->roots)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_root(w, o->path, roots[i]);
	if (r < 0) {
		hv_fcopy_writer_free(w);
		return r;
	}
	*ret = w;
	return 0;
}
