/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Freezing and thawing mounted file systems: FIFREEZE and FITHAW on a
 * descriptor of the mountpoint (PROTOCOL.md §6.3), behind a small ops table
 * with a fake twin for tests (fsfreeze-fake.h, compiled into the tests
 * only, so a unit test can never freeze a file system of the machine).
 *
 * Opening: the mountpoint as the mount table names it (an absolute,
 * canonical path in the caller's mount namespace, not resolved through the
 * path context: it names a mount, not a file of a fixture tree), read-only,
 * O_DIRECTORY|O_CLOEXEC, and no symbolic link anywhere on the way
 * (openat2 RESOLVE_NO_SYMLINKS; O_NOFOLLOW on the last component where
 * openat2 is missing).  The kernel writes mountpoints canonical, so a link
 * on the way means the tree changed since the table was read, and the
 * descriptor could belong to another file system.  For the same reason,
 * when a mount id is given and the kernel reports one (statx STATX_MNT_ID,
 * Linux 5.8), the directory must be the root of that very mount: -ESTALE
 * otherwise.
 *
 * The ioctls are reported raw by the ops; hv_fsfreeze_freeze() and
 * hv_fsfreeze_thaw() apply the reference's tolerance: EBUSY on FIFREEZE
 * means the file system is frozen already (a second mount of it, or someone
 * else froze it) and EINVAL on FITHAW that it was not frozen; both count as
 * success, told apart by the return value.
 */
#pragma once

#include <stdbool.h>

struct hv_fsfreeze_ops {
	/* A descriptor of the mountpoint (O_CLOEXEC), or -errno.  mount_id < 0:
	 * no mount check. */
	int (*open)(void *userdata, const char *mountpoint, int mount_id);
	/* 0, or the kernel's -errno as is (-EBUSY, -EINVAL, -EOPNOTSUPP, ...). */
	int (*freeze)(void *userdata, int fd);
	int (*thaw)(void *userdata, int fd);
};

/* How to reach the file systems: ops plus their userdata. */
struct hv_fsfreeze {
	const struct hv_fsfreeze_ops *ops;
	void *userdata;
};

/* The real ones (userdata unused). */
extern const struct hv_fsfreeze_ops hv_fsfreeze_system_ops;
extern const struct hv_fsfreeze hv_fsfreeze_system;

enum {
	HV_FSFREEZE_DONE = 0,    /* frozen / thawed now */
	HV_FSFREEZE_ALREADY = 1, /* was frozen already (EBUSY) / was not frozen (EINVAL) */
};

/* ff NULL means hv_fsfreeze_system. */
int hv_fsfreeze_open(const struct hv_fsfreeze *ff, const char *mountpoint, int mount_id);
/* HV_FSFREEZE_DONE, HV_FSFREEZE_ALREADY (EBUSY), or -errno. */
int hv_fsfreeze_freeze(const struct hv_fsfreeze *ff, int fd);
/* HV_FSFREEZE_DONE, HV_FSFREEZE_ALREADY (EINVAL), or -errno. */
int hv_fsfreeze_thaw(const struct hv_fsfreeze *ff, int fd);

/* The system open on its own (exposed for tests of its checks). */
int hv_fsfreeze_open_mountpoint(const char *mountpoint, int mount_id);
