/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE adapter for /dev/uioN.  See fuse-uio.h.
 *
 * The mount's root inode (1) is the device file.  fi->fh points to the
 * open file's state: its listener and poll handle.
 *
 * The mount is made here, not by libfuse (which is handed the /dev/fuse
 * descriptor as "/dev/fd/N"): a rescinded node is unmounted lazily while
 * its connection lives on for the files still open, and libfuse's own
 * unmount would close that connection (and could hit the node of the
 * next incarnation, mounted at the same path).  Blocked reads wait in a
 * queue of fuse-common.h, retried on every wakeup of the model.
 */
#define FUSE_USE_VERSION 34

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "fuse-common.h"
#include "fuse-uio.h"

struct file {
	struct file *next;
	struct hvsim_uio_listener *listener;
	struct fuse_pollhandle *ph;
};

struct hvsim_fuse_uio {
	struct fuse_session *se;
	struct fuse_buf buf;
	char *node;
	bool mounted;
	struct hvsim_uio *uio;
	struct file *files;
	struct hvsim_fuse_queue readers; /* reader->file is the struct file */
};

static void fill_attr(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
}

/* ---- reads ------------------------------------------------------------------- */

/* Try one read; true if it was answered. */
static bool reader_try(const struct hvsim_fuse_reader *r, void *userdata)
{
	struct hvsim_fuse_uio *f = userdata;
	const struct file *fl = r->file;
	int32_t count;
	int n;

	n = hvsim_uio_read(f->uio, fl->listener, r->size, &count);
	if (n == -EAGAIN)
		return false;
	if (n < 0)
		fuse_reply_err(r->req, -n);
	else
		fuse_reply_buf(r->req, (const char *)&count, sizeof(count));
	return true;
}

void hvsim_fuse_uio_wakeup(struct hvsim_fuse_uio *f)
{
	if (!f)
		return;
	hvsim_fuse_queue_run(&f->readers);
	for (struct file *fl = f->files; fl; fl = fl->next)
		if (fl->ph && hvsim_uio_poll(f->uio, fl->listener)) {
			fuse_lowlevel_notify_poll(fl->ph);
			fuse_pollhandle_destroy(fl->ph);
			fl->ph = NULL;
		}
}

/* ---- operations ------------------------------------------------------------------ */

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(&st);
	fuse_reply_attr(req, &st, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hvsim_fuse_uio *f = fuse_req_userdata(req);
	struct file *fl;
	int r;

	fl = calloc(1, sizeof(*fl));
	if (!fl) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = hvsim_uio_open(f->uio, &fl->listener);
	if (r < 0) {
		free(fl);
		fuse_reply_err(req, -r);
		return;
	}
	fl->next = f->files;
	f->files = fl;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->nonseekable = 0; /* pread() at offset 0 is how some read it */
	fi->fh = (uintptr_t)fl;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* The opener was interrupted before it got the file. */
		f->files = fl->next;
		hvsim_uio_release(f->uio, fl->listener);
		free(fl);
	}
}

static struct file *file_of(struct fuse_file_info *fi)
{
	return (struct file *)(uintptr_t)fi->fh;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct hvsim_fuse_uio *f = fuse_req_userdata(req);

	hvsim_fuse_queue_read(&f->readers, req, size, file_of(fi), fi->flags & O_NONBLOCK);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct hvsim_fuse_uio *f = fuse_req_userdata(req);
	int r;

	r = hvsim_uio_write(f->uio, file_of(fi)->listener, buf, size);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hvsim_fuse_uio *f = fuse_req_userdata(req);
	struct file *fl = file_of(fi);

	for (struct file **pp = &f->files; *pp; pp = &(*pp)->next)
		if (*pp == fl) {
			*pp = fl->next;
			break;
		}
	/* No read can be in flight on a file being released; be safe. */
	hvsim_fuse_queue_cancel(&f->readers, fl, EBADF);
	if (fl->ph)
		fuse_pollhandle_destroy(fl->ph);
	hvsim_uio_release(f->uio, fl->listener);
	free(fl);
	fuse_reply_err(req, 0);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct hvsim_fuse_uio *f = fuse_req_userdata(req);
	struct file *fl = file_of(fi);

	if (ph) {
		if (fl->ph)
			fuse_pollhandle_destroy(fl->ph);
		fl->ph = ph;
	}
	fuse_reply_poll(req, hvsim_uio_poll(f->uio, fl->listener));
}

static const struct fuse_lowlevel_ops ops = {
	.init = hvsim_fuse_op_init,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = hvsim_fuse_op_flush,
	.release = op_release,
	.poll = op_poll,
};

/* ---- setup and loop integration ---------------------------------------------------- */

/* Mount a FUSE file system on node, a regular file: the mount is that
 * file (rootmode).  Returns the /dev/fuse descriptor. */
static int mount_node(const char *node)
{
	_cleanup_close_ int fd = -EBADF;
	char opts[128];

	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=%o,user_id=0,group_id=0,allow_other,default_permissions", fd,
		 (unsigned)S_IFREG);
	if (mount("hvsim-uio", node, "fuse.hvsim", MS_NOSUID | MS_NODEV, opts) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int hvsim_fuse_uio_new(const char *node, struct hvsim_uio *u, struct hvsim_fuse_uio **ret)
{
	char *argv[] = { (char *)"hvsim", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct hvsim_fuse_uio *f;
	char fdpath[32];
	int fd;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->uio = u;
	hvsim_fuse_queue_init(&f->readers, reader_try, f);
	f->node = strdup(node);
	if (!f->node) {
		free(f);
		return -ENOMEM;
	}
	f->se = fuse_session_new(&args, &ops, sizeof(ops), f);
	fuse_opt_free_args(&args);
	if (!f->se) {
		free(f->node);
		free(f);
		return -EIO;
	}
	fd = mount_node(node);
	if (fd < 0) {
		fuse_session_destroy(f->se);
		free(f->node);
		free(f);
		return fd;
	}
	f->mounted = true;
	/* The session takes the descriptor (and closes it when destroyed). */
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	if (fuse_session_mount(f->se, fdpath) != 0) {
		close(fd);
		(void)umount2(node, MNT_DETACH);
		fuse_session_destroy(f->se);
		free(f->node);
		free(f);
		return -EIO;
	}
	*ret = f;
	return 0;
}

struct hvsim_fuse_uio *hvsim_fuse_uio_free(struct hvsim_fuse_uio *f)
{
	if (!f)
		return NULL;
	hvsim_fuse_queue_cancel(&f->readers, NULL, EBADF);
	while (f->files) {
		struct file *fl = f->files;

		f->files = fl->next;
		if (fl->ph)
			fuse_pollhandle_destroy(fl->ph);
		hvsim_uio_release(f->uio, fl->listener);
		free(fl);
	}
	if (f->mounted)
		(void)umount2(f->node, MNT_DETACH);
	fuse_session_destroy(f->se);
	free(f->buf.mem);
	free(f->node);
	free(f);
	return NULL;
}

int hvsim_fuse_uio_detach(struct hvsim_fuse_uio *f)
{
	int r = 0;

	if (!f->mounted)
		return 0;
	if (umount2(f->node, MNT_DETACH) < 0)
		r = -errno;
	f->mounted = false;
	if (unlink(f->node) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int hvsim_fuse_uio_fd(const struct hvsim_fuse_uio *f)
{
	return fuse_session_fd(f->se);
}

static void flush_interrupts(void *userdata)
{
	struct hvsim_fuse_uio *f = userdata;

	hvsim_fuse_queue_flush_interrupts(&f->readers);
}

int hvsim_fuse_uio_dispatch(struct hvsim_fuse_uio *f)
{
	return hvsim_fuse_session_dispatch(f->se, &f->buf, flush_interrupts, f);
}

unsigned hvsim_fuse_uio_waiting_readers(const struct hvsim_fuse_uio *f)
{
	return hvsim_fuse_queue_length(&f->readers);
}
