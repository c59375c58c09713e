/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path context.  Every /dev, /sys, /proc, /var and /run path the library
 * touches is resolved through a struct hv_path, so unit tests can point the
 * code at a fixture tree (root prefix) while production and hvsim worlds
 * use the real paths (empty prefix).
 */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

struct hv_path;

/* root: prefix prepended to absolute paths; NULL or "" or "/" means none.
 * Returns NULL only on OOM. */
struct hv_path *hv_path_new(const char *root);
struct hv_path *hv_path_free(struct hv_path *p);
/* Context from $HV_SYSROOT when set, else the real root. */
struct hv_path *hv_path_new_from_env(void);
const char *hv_path_root(const struct hv_path *p);

/* Resolve an absolute path; malloc'd result, NULL on OOM. */
char *hv_path_get(const struct hv_path *p, const char *abs);
/* printf-style variant: hv_path_getf(p, "/sys/bus/vmbus/devices/%s/id", dev). */
char *hv_path_getf(const struct hv_path *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int hv_path_open(const struct hv_path *p, const char *abs, int flags, mode_t mode);
DIR *hv_path_opendir(const struct hv_path *p, const char *abs);
int hv_path_access(const struct hv_path *p, const char *abs, int mode);

/* Read a small text file (sysfs attribute) whole; trailing newlines are
 * stripped.  ret is malloc'd.  -ENOENT etc. on failure, -EFBIG above max
 * bytes (0 = 64 KiB). */
int hv_path_read_text(const struct hv_path *p, const char *abs, size_t max, char **ret);
/* Same for an already resolved path (no prefix applied). */
int hv_read_text_file(const char *path, size_t max, char **ret);

/* mkdir -p of an already resolved directory path: every missing component
 * is created with mode; existing ones are left alone.  -errno. */
int hv_mkdir_p(const char *dir, mode_t mode);

/*
 * The len bytes at s as a clean absolute path: "//" collapsed, "."
 * components dropped, no trailing "/"; a relative path is taken from "/"
 * and "" is "/".  -EINVAL for a ".." component (nothing is ever resolved
 * upwards, so no root can be escaped); the result is malloc'd.
 */
int hv_path_normalize(const char *s, size_t len, char **ret);
/* write(2) all of buf, retrying on EINTR and short writes.  -errno. */
int hv_write_all(int fd, const void *buf, size_t len);
/* pwrite(2) all of buf at off, the same way.  -errno. */
int hv_pwrite_all(int fd, const void *buf, size_t len, off_t off);
