/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Char-device transport (see chardev.h).  The reopen policy is the reference
 * daemons' (hv_vss_daemon.c, hv_kvp_daemon.c): any read or write failure,
 * including a short read, means the kernel reset its side (hibernation, a
 * timed-out transaction); close, reopen, register again, carry on.  Unlike
 * the reference we do it in one place, without a backwards goto, and tell
 * the service (on_reset) so it can drop its transaction state.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "transport/chardev.h"

struct hv_chardev {
	char *name;
	char *device;
	size_t min_msg_size;
	size_t max_msg_size;
	void *request;
	size_t request_size;
	size_t reply_size;
	int (*check_reply)(const void *reply, size_t size, void *userdata);
	void *check_userdata;

	const struct hv_path *path;
	const struct hv_chardev_io *io;
	void *io_userdata;
	struct hv_chardev_callbacks cb;
	void *userdata;

	int fd;
	uint64_t generation;
	unsigned reopens;
	uint8_t *buf;
	size_t buf_size;
	char *error;
};

/* ---- the real system calls ---- */

static int sys_open(void *userdata, const char *path, int flags)
{
	return HV_RET_NERRNO(open(path, flags | O_CLOEXEC | O_NOCTTY));
}

static int sys_close(void *userdata, int fd)
{
	return HV_RET_NERRNO(close(fd));
}

static ssize_t sys_read(void *userdata, int fd, void *buf, size_t size)
{
	ssize_t n = read(fd, buf, size);

	return n < 0 ? hv_negative_errno() : n;
}

static ssize_t sys_write(void *userdata, int fd, const void *buf, size_t size)
{
	ssize_t n = write(fd, buf, size);

	return n < 0 ? hv_negative_errno() : n;
}

const struct hv_chardev_io hv_chardev_io_system = {
	.open = sys_open,
	.close = sys_close,
	.read = sys_read,
	.write = sys_write,
};

/* ---- object ---- */

int hv_chardev_new(const struct hv_chardev_desc *desc, const struct hv_path *path, struct hv_chardev **ret)
{
	struct hv_chardev *c;

	if (!desc || !ret || !desc->name || !desc->device || desc->device[0] != '/' || desc->min_msg_size == 0 ||
	    desc->min_msg_size > desc->max_msg_size || desc->max_msg_size > HV_CHARDEV_MAX_MSG_SIZE ||
	    desc->handshake.reply_size > HV_CHARDEV_MAX_MSG_SIZE ||
	    desc->handshake.request_size > HV_CHARDEV_MAX_MSG_SIZE ||
	    (desc->handshake.request_size > 0 && !desc->handshake.request))
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -EBADF;
	c->io = &hv_chardev_io_system;
	c->path = path;
	c->min_msg_size = desc->min_msg_size;
	c->max_msg_size = desc->max_msg_size;
	c->request_size = desc->handshake.request_size;
	c->reply_size = desc->handshake.reply_size;
	c->check_reply = desc->handshake.check_reply;
	c->check_userdata = desc->handshake.userdata;
	c->buf_size = HV_MAX(desc->max_msg_size, desc->handshake.reply_size);
	c->name = strdup(desc->name);
	c->device = strdup(desc->device);
	c->buf = malloc(c->buf_size);
	if (c->request_size > 0) {
		c->request = malloc(c->request_size);
		if (c->request)
			memcpy(c->request, desc->handshake.request, c->request_size);
	}
	if (!c->name || !c->device || !c->buf || (c->request_size > 0 && !c->request)) {
		hv_chardev_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

struct hv_chardev *hv_chardev_free(struct hv_chardev *c)
{
	if (!c)
		return NULL;
	hv_chardev_close(c);
	free(c->name);
	free(c->device);
	free(c->request);
	free(c->buf);
	free(c->error);
	free(c);
	return NULL;
}

void hv_chardev_set_io(struct hv_chardev *c, const struct hv_chardev_io *io, void *userdata)
{
	c->io = io ? io : &hv_chardev_io_system;
	c->io_userdata = io ? userdata : NULL;
}

const struct hv_chardev_io *hv_chardev_get_io(const struct hv_chardev *c, void **ret_userdata)
{
	if (ret_userdata)
		*ret_userdata = c->io_userdata;
	return c->io;
}

void hv_chardev_set_callbacks(struct hv_chardev *c, const struct hv_chardev_callbacks *cb, void *userdata)
{
	if (cb)
		c->cb = *cb;
	else
		c->cb = (struct hv_chardev_callbacks){ 0 };
	c->userdata = userdata;
}

int hv_chardev_get_fd(const struct hv_chardev *c)
{
	return c ? c->fd : -EBADF;
}

uint32_t hv_chardev_get_events(const struct hv_chardev *c)
{
	return POLLIN;
}

uint64_t hv_chardev_get_generation(const struct hv_chardev *c)
{
	return c ? c->generation : 0;
}

unsigned hv_chardev_get_reopens(const struct hv_chardev *c)
{
	return c ? c->reopens : 0;
}

const char *hv_chardev_get_name(const struct hv_chardev *c)
{
	return c ? c->name : NULL;
}

const char *hv_chardev_get_error(const struct hv_chardev *c)
{
	return c ? c->error : NULL;
}

static void set_error(struct hv_chardev *c, const char *fmt, ...) _printf_(2, 3);
static void set_error(struct hv_chardev *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(c->error);
	c->error = s;
	if (s)
		hv_log_debug("%s: %s", c->name, s);
}

static void clear_error(struct hv_chardev *c)
{
	free(c->error);
	c->error = NULL;
}

void hv_chardev_close(struct hv_chardev *c)
{
	if (!c || c->fd < 0)
		return;
	(void)c->io->close(c->io_userdata, c->fd);
	c->fd = -EBADF;
}

static ssize_t io_read(struct hv_chardev *c, void *buf, size_t size)
{
	ssize_t n;

	do
		n = c->io->read(c->io_userdata, c->fd, buf, size);
	while (n == -EINTR);
	return n;
}

static ssize_t io_write(struct hv_chardev *c, const void *buf, size_t size)
{
	ssize_t n;

	do
		n = c->io->write(c->io_userdata, c->fd, buf, size);
	while (n == -EINTR);
	return n;
}

/* PROTOCOL.md §5.3 step 2-4, §6.3 step 2-3, §7.2: write, then read the answer. */
static int do_register(struct hv_chardev *c)
{
	ssize_t n;
	int r;

	if (c->request_size > 0) {
		n = io_write(c, c->request, c->request_size);
		if (n < 0) {
			set_error(c, "%s refused the registration: %s", c->device, hv_strerror((int)n));
			return (int)n;
		}
		if ((size_t)n != c->request_size) {
			set_error(c, "%s took %zd of %zu registration bytes", c->device, n, c->request_size);
			return -EIO;
		}
	}
	if (c->reply_size == 0)
		return 0;

	n = io_read(c, c->buf, c->buf_size);
	if (n < 0) {
		set_error(c, "%s: no answer to the registration: %s", c->device, hv_strerror((int)n));
		return (int)n;
	}
	if ((size_t)n != c->reply_size) {
		set_error(c, "%s answered the registration with %zd bytes, expected %zu", c->device, n,
			  c->reply_size);
		return -EPROTO;
	}
	if (c->check_reply) {
		r = c->check_reply(c->buf, (size_t)n, c->check_userdata);
		if (r < 0) {
			set_error(c, "%s answered the registration with an unexpected message", c->device);
			return r;
		}
	}
	return 0;
}

int hv_chardev_open(struct hv_chardev *c)
{
	_cleanup_free_ char *resolved = NULL;
	int fd, r;

	if (!c)
		return -EINVAL;
	if (c->fd >= 0)
		return 0;
	resolved = hv_path_get(c->path, c->device);
	if (!resolved)
		return -ENOMEM;

	fd = c->io->open(c->io_userdata, resolved, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		switch (fd) {
		case -ENOENT:
			set_error(c, "%s does not exist (yet)", c->device);
			break;
		case -EBUSY: {
			_cleanup_free_ char *comm = NULL;
			pid_t pid;

			if (hv_chardev_find_holder(c->path, c->device, getpid(), &pid, &comm) >= 0)
				set_error(c, "%s is busy: held by pid %d (%s)", c->device, (int)pid, comm);
			else
				set_error(c, "%s is busy: held by another process", c->device);
			break;
		}
		default:
			set_error(c, "cannot open %s: %s", c->device, hv_strerror(fd));
			break;
		}
		return fd;
	}
	c->fd = fd;
	c->generation++;

	r = do_register(c);
	if (r < 0) {
		hv_chardev_close(c);
		return r;
	}
	clear_error(c);
	hv_log_debug("%s: %s open and registered (fd %d)", c->name, c->device, fd);
	return 0;
}

int hv_chardev_reopen(struct hv_chardev *c)
{
	if (!c)
		return -EINVAL;
	hv_chardev_close(c);
	c->reopens++;
	if (c->cb.on_reset)
		c->cb.on_reset(c, c->userdata);
	return hv_chardev_open(c);
}

int hv_chardev_dispatch(struct hv_chardev *c)
{
	ssize_t n;
	int r;

	if (!c)
		return -EINVAL;
	if (c->fd < 0)
		return -ENOTCONN;
	/* One read: a signal that ends it (EINTR) returns to the caller,
	 * which may be waiting in it on purpose (daemon-chardev.h). */
	n = c->io->read(c->io_userdata, c->fd, c->buf, c->max_msg_size);
	if (n == -EAGAIN || n == -EINTR)
		return 0;
	if (n < 0 || (size_t)n < c->min_msg_size) {
		/* EINVAL (our buffer too small for what the kernel holds), EBADF
		 * (device reset), a short message: start over. */
		if (n < 0)
			hv_log_debug_errno((int)n, "%s: read failed, reopening: %m", c->name);
		else
			hv_log_debug("%s: short read (%zd bytes, expected at least %zu), reopening", c->name, n,
				     c->min_msg_size);
		r = hv_chardev_reopen(c);
		return r < 0 ? r : 0;
	}
	if (!c->cb.on_message)
		return 1;
	r = c->cb.on_message(c, c->buf, (size_t)n, c->userdata);
	return r < 0 ? r : 1;
}

int hv_chardev_write(struct hv_chardev *c, const void *msg, size_t size)
{
	ssize_t n;
	int r;

	if (!c || (!msg && size > 0))
		return -EINVAL;
	if (c->fd < 0)
		return -ENOTCONN;
	n = io_write(c, msg, size);
	if (n >= 0 && (size_t)n == size)
		return 0;
	if (n < 0)
		hv_log_debug_errno((int)n, "%s: write failed, reopening: %m", c->name);
	else
		hv_log_debug("%s: short write (%zd of %zu bytes), reopening", c->name, n, size);
	r = hv_chardev_reopen(c);
	return r < 0 ? r : -ECONNRESET;
}

/* ---- who holds the device ---- */

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool process_holds(const struct hv_path *p, const char *pid, const char *device)
{
	_cleanup_free_ char *fddir = hv_path_getf(p, "/proc/%s/fd", pid);
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (!fddir)
		return false;
	d = opendir(fddir);
	if (!d)
		return false; /* gone, or not ours to look at */
	while (!found && (de = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (!is_pid_name(de->d_name))
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, device) == 0;
	}
	closedir(d);
	return found;
}

int hv_chardev_find_holder(const struct hv_path *p, const char *device, pid_t exclude, pid_t *ret_pid,
			   char **ret_comm)
{
	struct dirent *de;
	DIR *proc;
	int r = -ESRCH;

	if (!device || !ret_pid || !ret_comm)
		return -EINVAL;
	proc = hv_path_opendir(p, "/proc");
	if (!proc)
		return hv_negative_errno();
	while ((de = readdir(proc))) {
		_cleanup_free_ char *comm_path = NULL;
		char *comm = NULL;
		long pid;

		if (!is_pid_name(de->d_name))
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (pid <= 0 || pid > INT_MAX || (pid_t)pid == exclude)
			continue;
		if (!process_holds(p, de->d_name, device))
			continue;
		comm_path = hv_path_getf(p, "/proc/%s/comm", de->d_name);
		if (!comm_path) {
			r = -ENOMEM;
			break;
		}
		if (hv_read_text_file(comm_path, 256, &comm) < 0) {
			comm = strdup("?");
			if (!comm) {
				r = -ENOMEM;
				break;
			}
		}
		*ret_pid = (pid_t)pid;
		*ret_comm = comm;
		r = 0;
		break;
	}
	closedir(proc);
	return r;
}
