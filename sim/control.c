/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control socket server.  See control.h.
 *
 * Non-blocking throughout: input is split into lines as it arrives
 * (descriptors passed with SCM_RIGHTS are queued and handed to the request
 * whose line completes next), output is buffered and flushed when the
 * socket takes it.  A connection is freed when the peer hangs up, after
 * the owner was told (closed callback).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "control.h"

#define MAX_FDS 8

struct hvsim_control_conn {
	struct hvsim_control_conn *next;
	struct hvsim_control *ctl;
	int fd;
	char *in;
	size_t in_len, in_size;
	char *out;
	size_t out_len, out_size;
	int fds[MAX_FDS];
	size_t n_fds;
	bool dead;
};

struct hvsim_control {
	char *path;
	int listen_fd;
	struct hvsim_control_ops ops;
	void *userdata;
	struct hvsim_control_conn *conns;
};

static int probe_alive(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	return connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

int hvsim_control_new(const char *path, const struct hvsim_control_ops *ops, void *userdata,
		      struct hvsim_control **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	struct hvsim_control *c;

	if (strlen(path) >= sizeof(sa.sun_path))
		return hv_log_err_errno(-ENAMETOOLONG, "control socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			return hv_log_err_errno(-errno, "bind %s: %m", path);
		if (probe_alive(&sa) > 0)
			return hv_log_err_errno(-EADDRINUSE, "%s: another hvsim is listening there", path);
		(void)unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return hv_log_err_errno(-errno, "bind %s: %m", path);
	}
	(void)chmod(path, 0600);
	if (listen(fd, 16) < 0)
		return -errno;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->path = strdup(path);
	if (!c->path) {
		free(c);
		return -ENOMEM;
	}
	c->listen_fd = TAKE_FD(fd);
	c->ops = *ops;
	c->userdata = userdata;
	*ret = c;
	return 0;
}

static void conn_free(struct hvsim_control_conn *conn)
{
	hv_safe_close(conn->fd);
	for (size_t i = 0; i < conn->n_fds; i++)
		hv_safe_close(conn->fds[i]);
	free(conn->in);
	free(conn->out);
	free(conn);
}

/* Tell the owner, then unlink and free. */
static void conn_close(struct hvsim_control *c, struct hvsim_control_conn *conn)
{
	if (c->ops.closed)
		c->ops.closed(conn, c->userdata);
	for (struct hvsim_control_conn **pp = &c->conns; *pp; pp = &(*pp)->next)
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	conn_free(conn);
}

struct hvsim_control *hvsim_control_free(struct hvsim_control *c)
{
	if (!c)
		return NULL;
	while (c->conns)
		conn_close(c, c->conns);
	hv_safe_close(c->listen_fd);
	(void)unlink(c->path);
	free(c->path);
	free(c);
	return NULL;
}

size_t hvsim_control_pollfds(struct hvsim_control *c, struct pollfd *pfds, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	pfds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	for (struct hvsim_control_conn *conn = c->conns; conn && n < max; conn = conn->next)
		pfds[n++] = (struct pollfd){ .fd = conn->fd,
					     .events = (short)(POLLIN | (conn->out_len ? POLLOUT : 0)) };
	return n;
}

static void conn_flush(struct hvsim_control_conn *conn)
{
	while (conn->out_len > 0) {
		ssize_t n = send(conn->fd, conn->out, conn->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn->dead = true;
			conn->out_len = 0;
			return;
		}
		memmove(conn->out, conn->out + n, conn->out_len - (size_t)n);
		conn->out_len -= (size_t)n;
	}
}

void hvsim_control_reply(struct hvsim_control_conn *conn, json_object *reply)
{
	const char *text;
	size_t len, need;

	json_object_object_add(reply, "v", json_object_new_int(HVSIM_CONTROL_VERSION));
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	need = conn->out_len + len + 1;
	if (need > conn->out_size) {
		char *p = realloc(conn->out, need);

		if (!p) {
			conn->dead = true;
			json_object_put(reply);
			return;
		}
		conn->out = p;
		conn->out_size = need;
	}
	memcpy(conn->out + conn->out_len, text, len);
	conn->out[conn->out_len + len] = '\n';
	conn->out_len += len + 1;
	json_object_put(reply);
	conn_flush(conn);
}

void hvsim_control_reply_error(struct hvsim_control_conn *conn, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(msg));
	hvsim_control_reply(conn, o);
}

static void handle_line(struct hvsim_control *c, struct hvsim_control_conn *conn, const char *line)
{
	json_object *req, *v;
	int fd = -EBADF;

	if (conn->n_fds > 0) {
		fd = conn->fds[0];
		memmove(conn->fds, conn->fds + 1, (conn->n_fds - 1) * sizeof(int));
		conn->n_fds--;
	}
	req = json_tokener_parse(line);
	if (!req || !json_object_is_type(req, json_type_object)) {
		hv_safe_close(fd);
		if (req)
			json_object_put(req);
		hvsim_control_reply_error(conn, "malformed request: not a JSON object");
		return;
	}
	if (!json_object_object_get_ex(req, "v", &v) || json_object_get_int(v) != HVSIM_CONTROL_VERSION) {
		hv_safe_close(fd);
		json_object_put(req);
		hvsim_control_reply_error(conn, "unsupported protocol version (this hvsim speaks %d)",
					  HVSIM_CONTROL_VERSION);
		return;
	}
	c->ops.request(conn, req, fd, c->userdata);
	json_object_put(req);
}

static void conn_read(struct hvsim_control *c, struct hvsim_control_conn *conn)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n;
		char *nl;

		if (conn->in_size - conn->in_len < 4096) {
			size_t size = conn->in_size ? conn->in_size * 2 : 8192;
			char *p;

			if (size > HVSIM_CONTROL_MAX_LINE + 8192) {
				conn->dead = true;
				return;
			}
			p = realloc(conn->in, size);
			if (!p) {
				conn->dead = true;
				return;
			}
			conn->in = p;
			conn->in_size = size;
		}
		iov.iov_base = conn->in + conn->in_len;
		iov.iov_len = conn->in_size - conn->in_len - 1;
		n = recvmsg(conn->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn->dead = true;
			return;
		}
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k;

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (conn->n_fds < MAX_FDS)
					conn->fds[conn->n_fds++] = fd;
				else
					close(fd);
			}
		}
		if (n == 0) {
			conn->dead = true;
			return;
		}
		conn->in_len += (size_t)n;
		conn->in[conn->in_len] = '\0';
		while ((nl = memchr(conn->in, '\n', conn->in_len))) {
			size_t line_len = (size_t)(nl - conn->in);

			*nl = '\0';
			if (line_len > 0)
				handle_line(c, conn, conn->in);
			memmove(conn->in, nl + 1, conn->in_len - line_len - 1);
			conn->in_len -= line_len + 1;
			conn->in[conn->in_len] = '\0';
			if (conn->dead)
				return;
		}
		if (conn->in_len > HVSIM_CONTROL_MAX_LINE) {
			hvsim_control_reply_error(conn, "request line too long");
			conn->dead = true;
			return;
		}
	}
}

void hvsim_control_dispatch(struct hvsim_control *c, const struct pollfd *pfds, size_t n)
{
	if (n == 0)
		return;
	if (pfds[0].revents & POLLIN) {
		for (;;) {
			struct hvsim_control_conn *conn;
			int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (fd < 0)
				break;
			conn = calloc(1, sizeof(*conn));
			if (!conn) {
				close(fd);
				break;
			}
			conn->fd = fd;
			conn->ctl = c;
			conn->next = c->conns;
			c->conns = conn;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct hvsim_control_conn *conn;

		for (conn = c->conns; conn; conn = conn->next)
			if (conn->fd == pfds[i].fd)
				break;
		if (!conn)
			continue;
		if (pfds[i].revents & POLLOUT)
			conn_flush(conn);
		if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(c, conn);
	}
	for (struct hvsim_control_conn *conn = c->conns, *next; conn; conn = next) {
		next = conn->next;
		/* A peer that hung up cannot take answers any more. */
		if (conn->dead)
			conn_close(c, conn);
	}
}
