/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The path context: one root prefix applied to every absolute path the
 * library opens (after util-linux's ul_path and kmod's test rootfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errno-util.h"
#include "macros.h"
#include "path.h"

struct hv_path {
	char *root; /* "" for the real root, else without trailing '/' */
};

struct hv_path *hv_path_new(const char *root)
{
	struct hv_path *p = calloc(1, sizeof(*p));
	size_t n;

	if (!p)
		return NULL;
	if (!root)
		root = "";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	p->root = strndup(root, n);
	if (!p->root) {
		free(p);
		return NULL;
	}
	return p;
}

struct hv_path *hv_path_new_from_env(void)
{
	return hv_path_new(getenv("HV_SYSROOT"));
}

struct hv_path *hv_path_free(struct hv_path *p)
{
	if (p) {
		free(p->root);
		free(p);
	}
	return NULL;
}

const char *hv_path_root(const struct hv_path *p)
{
	return p && p->root[0] ? p->root : "/";
}

char *hv_path_get(const struct hv_path *p, const char *abs)
{
	char *r;

	if (!p || !p->root[0] || abs[0] != '/')
		return strdup(abs);
	if (asprintf(&r, "%s%s", p->root, abs) < 0)
		return NULL;
	return r;
}

char *hv_path_getf(const struct hv_path *p, const char *fmt, ...)
{
	_cleanup_free_ char *abs = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&abs, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	return hv_path_get(p, abs);
}

int hv_path_open(const struct hv_path *p, const char *abs, int flags, mode_t mode)
{
	_cleanup_free_ char *path = hv_path_get(p, abs);

	if (!path)
		return -ENOMEM;
	return HV_RET_NERRNO(open(path, flags | O_CLOEXEC, mode));
}

DIR *hv_path_opendir(const struct hv_path *p, const char *abs)
{
	_cleanup_free_ char *path = hv_path_get(p, abs);

	if (!path) {
		errno = ENOMEM;
		return NULL;
	}
	return opendir(path);
}

int hv_path_access(const struct hv_path *p, const char *abs, int mode)
{
	_cleanup_free_ char *path = hv_path_get(p, abs);

	if (!path)
		return -ENOMEM;
	return HV_RET_NERRNO(access(path, mode));
}

int hv_read_text_file(const char *path, size_t max, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 256;

	if (max == 0)
		max = 64 * 1024;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hv_negative_errno();
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap > max)
				return -EFBIG;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hv_negative_errno();
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return (int)len;
}

int hv_path_read_text(const struct hv_path *p, const char *abs, size_t max, char **ret)
{
	_cleanup_free_ char *path = hv_path_get(p, abs);

	if (!path)
		return -ENOMEM;
	return hv_read_text_file(path, max, ret);
}

int hv_mkdir_p(const char *dir, mode_t mode)
{
	_cleanup_free_ char *copy = strdup(dir);

	if (!copy)
		return -ENOMEM;
	for (char *s = copy + 1;; s++) {
		char saved;

		if (*s != '/' && *s != '\0')
			continue;
		saved = *s;
		*s = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return hv_negative_errno();
		if (saved == '\0')
			break;
		*s = saved;
	}
	return 0;
}

int hv_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hv_negative_errno();
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hv_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hv_negative_errno();
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int hv_path_normalize(const char *s, size_t len, char **ret)
{
	_cleanup_free_ char *out = NULL;
	size_t i = 0, j = 0;

	out = malloc(len + 2);
	if (!out)
		return -ENOMEM;
	while (i < len) {
		size_t start, n;

		while (i < len && s[i] == '/')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && s[i] != '/')
			i++;
		n = i - start;
		if (n == 1 && s[start] == '.')
			continue;
		if (n == 2 && s[start] == '.' && s[start + 1] == '.')
			return -EINVAL;
		out[j++] = '/';
		memcpy(out + j, s + start, n);
		j += n;
	}
	if (j == 0)
		out[j++] = '/';
	out[j] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}
