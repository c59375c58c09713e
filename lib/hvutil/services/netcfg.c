/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the netcfg back-ends share: the text buffer, the stable profile
 * UUID and the atomic file write (the recipe of platform/json.c: temporary
 * file next to the target, fchmod, fsync, rename, fsync of the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "services/netcfg-buf.h"
#include "services/netcfg.h"

void hv_netcfg_buf_printf(struct hv_netcfg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = HV_MAX(b->cap * 2, b->len + (size_t)n + 256);
		char *ns = realloc(b->s, ncap);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
}

int hv_netcfg_buf_finish(struct hv_netcfg_buf *b, char **ret)
{
	if (b->oom || !b->s) {
		bool oom = b->oom;

		free(b->s);
		*b = (struct hv_netcfg_buf){ 0 };
		if (oom)
			return -ENOMEM;
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	*ret = b->s;
	*b = (struct hv_netcfg_buf){ 0 };
	return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void hv_netcfg_uuid(const struct hv_netcfg_link *l, char buf[static HV_NETCFG_UUID_MAX])
{
	char key[64];
	uint8_t u[16];
	uint64_t a, b;
	int n;

	n = snprintf(key, sizeof(key), "hvutils%c%s%c%s", 0, l->ifname, 0, l->mac_lower);
	if (n < 0 || (size_t)n >= sizeof(key))
		n = (int)sizeof(key) - 1;
	a = fnv1a(UINT64_C(0xcbf29ce484222325), key, (size_t)n);
	b = fnv1a(UINT64_C(0x84222325cbf29ce4), key, (size_t)n);
	for (int i = 0; i < 8; i++) {
		u[i] = (uint8_t)(a >> (56 - 8 * i));
		u[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x80); /* version 8 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(buf, HV_NETCFG_UUID_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int hv_netcfg_write_file(const struct hv_path *p, const char *abs, const char *text, mode_t mode)
{
	_cleanup_free_ char *path = NULL, *dir = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -EBADF, dfd = -EBADF;
	const char *base;
	int r;

	if (!abs || abs[0] != '/' || !text)
		return -EINVAL;
	path = hv_path_get(p, abs);
	if (!path)
		return -ENOMEM;
	base = strrchr(path, '/');
	if (!base[1])
		return -EINVAL;
	dir = base == path ? strdup("/") : strndup(path, (size_t)(base - path));
	if (!dir || asprintf(&tmp, "%s/.#%sXXXXXX", dir, base + 1) < 0)
		return -ENOMEM;
	r = hv_mkdir_p(dir, 0755);
	if (r < 0)
		return r;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hv_negative_errno();
	r = hv_write_all(fd, text, strlen(text));
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = hv_negative_errno();
	if (r >= 0 && fsync(fd) < 0)
		r = hv_negative_errno();
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = hv_negative_errno();
	if (r >= 0 && rename(tmp, path) < 0)
		r = hv_negative_errno();
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL))
		hv_log_debug_errno(hv_negative_errno(), "%s: fsync of the directory failed, ignoring: %m", dir);
	return 0;
}
