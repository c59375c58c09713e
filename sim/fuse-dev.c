/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE adapter for the hv_utils char devices.  See fuse-dev.h.
 *
 * Inodes: 1 the mount root (/dev/vmbus), 2 + kind for each device node.
 * Every timeout is 0, so a node's appearance (the delay of §4) and
 * absence are seen at once.
 *
 * Blocked reads are kept per node in a queue of fuse-common.h.  When a
 * message becomes pending they are retried in arrival order: the first
 * one with a big enough buffer takes the message, a too-small one gets
 * EINVAL (the message stays), the rest keep waiting.
 */
#define FUSE_USE_VERSION 34

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hvutil.h"
#include "fuse-common.h"
#include "fuse-dev.h"
#include "util.h"

#define INO_ROOT 1
#define INO_FIRST_NODE 2

struct node {
	enum hvsim_cdev_kind kind;
	struct hvsim_cdev *cdev;
	struct hvsim_fuse_queue readers;
	struct fuse_pollhandle *ph;
	pid_t opener;
	uint64_t polls;
	bool rescinded; /* the node is gone until the device is offered again */
};

struct hvsim_fuse {
	struct fuse_session *se;
	struct fuse_buf buf;
	bool mounted;
	uint64_t appear_at;
	struct node nodes[_HVSIM_CDEV_MAX];
};

static struct node *node_of(struct hvsim_fuse *f, fuse_ino_t ino)
{
	if (ino < INO_FIRST_NODE || ino >= INO_FIRST_NODE + _HVSIM_CDEV_MAX)
		return NULL;
	if (!f->nodes[ino - INO_FIRST_NODE].cdev || f->nodes[ino - INO_FIRST_NODE].rescinded)
		return NULL;
	if (hvsim_now_ms() < f->appear_at)
		return NULL;
	return &f->nodes[ino - INO_FIRST_NODE];
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == INO_ROOT) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
	}
}

/* ---- reads --------------------------------------------------------------- */

/* Try to satisfy one read of node n; true if it was answered. */
static bool reader_try(const struct hvsim_fuse_reader *r, void *userdata)
{
	struct node *n = userdata;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = hvsim_cdev_pending(n->cdev);
	ssize_t got;

	if (len == 0)
		return false;
	buf = malloc(len);
	if (!buf) {
		fuse_reply_err(r->req, ENOMEM);
		return true;
	}
	got = hvsim_cdev_read(n->cdev, buf, r->size < len ? r->size : len, hvsim_now_ms());
	if (got == -EAGAIN)
		return false;
	if (got < 0) {
		fuse_reply_err(r->req, (int)-got);
		return true;
	}
	fuse_reply_buf(r->req, (const char *)buf, (size_t)got);
	return true;
}

static void notify_poll(struct node *n)
{
	if (n->ph) {
		fuse_lowlevel_notify_poll(n->ph);
		fuse_pollhandle_destroy(n->ph);
		n->ph = NULL;
	}
}

void hvsim_fuse_readable(struct hvsim_fuse *f, enum hvsim_cdev_kind k)
{
	struct node *n;

	if (!f || k < 0 || k >= _HVSIM_CDEV_MAX)
		return;
	n = &f->nodes[k];
	if (!n->cdev)
		return;
	hvsim_fuse_queue_run(&n->readers);
	if (hvsim_cdev_pending(n->cdev))
		notify_poll(n);
}

/* ---- low-level operations ---------------------------------------------------- */

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct fuse_entry_param e = {};

	if (parent != INO_ROOT) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++) {
		if (!node_of(f, INO_FIRST_NODE + (fuse_ino_t)k) ||
		    strcmp(name, hvsim_cdev_kind_node_name((enum hvsim_cdev_kind)k)) != 0)
			continue;
		e.ino = INO_FIRST_NODE + (fuse_ino_t)k;
		fill_attr(e.ino, &e.attr);
		fuse_reply_entry(req, &e);
		return;
	}
	fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct stat st;

	if (ino != INO_ROOT && !node_of(f, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	_cleanup_free_ char *buf = NULL;
	size_t used = 0;
	off_t idx = 0;

	if (ino != INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = calloc(1, size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Entries: ".", "..", then present nodes; offsets are indexes + 1. */
	for (int i = 0; i < 2 + _HVSIM_CDEV_MAX; i++) {
		struct stat st;
		const char *name;
		fuse_ino_t e_ino;
		size_t sz;

		if (i == 0) {
			name = ".";
			e_ino = INO_ROOT;
		} else if (i == 1) {
			name = "..";
			e_ino = INO_ROOT;
		} else {
			e_ino = INO_FIRST_NODE + (fuse_ino_t)(i - 2);
			if (!node_of(f, e_ino))
				continue;
			name = hvsim_cdev_kind_node_name((enum hvsim_cdev_kind)(i - 2));
		}
		idx = i + 1;
		if (i < off)
			continue;
		fill_attr(e_ino, &st);
		sz = fuse_add_direntry(req, buf + used, size - used, name, &st, idx);
		if (sz > size - used)
			break;
		used += sz;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct node *n = node_of(f, ino);
	int r;

	if (ino == INO_ROOT) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	r = hvsim_cdev_open(n->cdev, hvsim_now_ms());
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	n->opener = fuse_req_ctx(req)->pid;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	/* Seekable, as the misc device is: hv_fcopy_daemon uses pread(). */
	fi->nonseekable = 0;
	fi->fh = ino;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* The opener was interrupted before it got the file. */
		hvsim_cdev_release(n->cdev, hvsim_now_ms());
		n->opener = 0;
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct node *n = node_of(f, ino);

	if (!n) {
		fuse_reply_err(req, EBADF);
		return;
	}
	/* Nothing pending: block, whatever O_NONBLOCK says (§4, §11.24). */
	hvsim_fuse_queue_read(&n->readers, req, size, NULL, false);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct node *n = node_of(f, ino);
	ssize_t r;

	if (!n) {
		fuse_reply_err(req, EBADF);
		return;
	}
	r = hvsim_cdev_write(n->cdev, (const uint8_t *)buf, size, hvsim_now_ms());
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct node *n = NULL;

	if (ino >= INO_FIRST_NODE && ino < INO_FIRST_NODE + _HVSIM_CDEV_MAX)
		n = &f->nodes[ino - INO_FIRST_NODE];
	if (n && n->cdev) {
		if (n->ph) {
			fuse_pollhandle_destroy(n->ph);
			n->ph = NULL;
		}
		n->opener = 0;
		hvsim_cdev_release(n->cdev, hvsim_now_ms());
	}
	fuse_reply_err(req, 0);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct hvsim_fuse *f = fuse_req_userdata(req);
	struct node *n = node_of(f, ino);
	unsigned revents = 0;

	if (!n) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLERR | POLLHUP);
		return;
	}
	n->polls++;
	if (ph) {
		if (n->ph)
			fuse_pollhandle_destroy(n->ph);
		n->ph = ph;
	}
	if (hvsim_cdev_pending(n->cdev))
		revents = POLLIN | POLLRDNORM;
	fuse_reply_poll(req, revents);
}

static const struct fuse_lowlevel_ops ops = {
	.init = hvsim_fuse_op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = hvsim_fuse_op_flush,
	.release = op_release,
	.poll = op_poll,
};

/* ---- setup and loop integration ------------------------------------------------ */

int hvsim_fuse_new(const char *mountpoint, struct hvsim_cdev *const cdevs[_HVSIM_CDEV_MAX],
		   uint64_t appear_at_ms, struct hvsim_fuse **ret)
{
	char *argv[] = { (char *)"hvsim", (char *)"-o",
			 (char *)"fsname=hvsim,subtype=hvsim,allow_other,default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct hvsim_fuse *f;
	int fd, flags;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->appear_at = appear_at_ms;
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++) {
		f->nodes[k].kind = (enum hvsim_cdev_kind)k;
		f->nodes[k].cdev = cdevs[k];
		hvsim_fuse_queue_init(&f->nodes[k].readers, reader_try, &f->nodes[k]);
	}
	f->se = fuse_session_new(&args, &ops, sizeof(ops), f);
	fuse_opt_free_args(&args);
	if (!f->se) {
		free(f);
		return -EIO;
	}
	if (fuse_session_mount(f->se, mountpoint) != 0) {
		fuse_session_destroy(f->se);
		free(f);
		return -EIO;
	}
	f->mounted = true;
	fd = fuse_session_fd(f->se);
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	/* COMMAND must not inherit it: the connection has to die with us. */
	flags = fcntl(fd, F_GETFD);
	if (flags >= 0)
		(void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	*ret = f;
	return 0;
}

struct hvsim_fuse *hvsim_fuse_free(struct hvsim_fuse *f)
{
	if (!f)
		return NULL;
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++) {
		struct node *n = &f->nodes[k];

		hvsim_fuse_queue_cancel(&n->readers, NULL, EBADF);
		if (n->ph)
			fuse_pollhandle_destroy(n->ph);
	}
	if (f->mounted)
		fuse_session_unmount(f->se);
	fuse_session_destroy(f->se);
	free(f->buf.mem);
	free(f);
	return NULL;
}

int hvsim_fuse_fd(const struct hvsim_fuse *f)
{
	return fuse_session_fd(f->se);
}

static void flush_interrupts(void *userdata)
{
	struct hvsim_fuse *f = userdata;

	for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
		hvsim_fuse_queue_flush_interrupts(&f->nodes[k].readers);
}

int hvsim_fuse_dispatch(struct hvsim_fuse *f)
{
	return hvsim_fuse_session_dispatch(f->se, &f->buf, flush_interrupts, f);
}

pid_t hvsim_fuse_opener(const struct hvsim_fuse *f, enum hvsim_cdev_kind k)
{
	if (!f || k < 0 || k >= _HVSIM_CDEV_MAX)
		return 0;
	return f->nodes[k].opener;
}

unsigned hvsim_fuse_waiting_readers(const struct hvsim_fuse *f, enum hvsim_cdev_kind k)
{
	if (!f || k < 0 || k >= _HVSIM_CDEV_MAX)
		return 0;
	return hvsim_fuse_queue_length(&f->nodes[k].readers);
}

int hvsim_fuse_set_offered(struct hvsim_fuse *f, enum hvsim_cdev_kind k, bool offered, uint64_t now_ms)
{
	struct node *n;

	if (!f || k < 0 || k >= _HVSIM_CDEV_MAX || !f->nodes[k].cdev)
		return -ENODEV;
	n = &f->nodes[k];
	if (n->rescinded == !offered)
		return -EALREADY;
	n->rescinded = !offered;
	if (offered)
		return 0;
	/* hvutil_transport_destroy(): the transport goes, with whatever the
	 * host was waiting for; a blocked read gets EBADF, a poller POLLHUP. */
	hvsim_cdev_release(n->cdev, now_ms);
	hvsim_fuse_queue_cancel(&n->readers, NULL, EBADF);
	notify_poll(n);
	return 0;
}

bool hvsim_fuse_is_offered(const struct hvsim_fuse *f, enum hvsim_cdev_kind k)
{
	return f && k >= 0 && k < _HVSIM_CDEV_MAX && f->nodes[k].cdev && !f->nodes[k].rescinded;
}

uint64_t hvsim_fuse_polls(const struct hvsim_fuse *f, enum hvsim_cdev_kind k)
{
	if (!f || k < 0 || k >= _HVSIM_CDEV_MAX)
		return 0;
	return f->nodes[k].polls;
}
