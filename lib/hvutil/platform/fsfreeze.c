/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FIFREEZE/FITHAW and the careful open of a mountpoint (see fsfreeze.h).
 * <linux/stat.h> gives struct statx with stx_mnt_id, which glibc 2.36's
 * own struct lacks, so this file calls statx and openat2 through syscall()
 * and does not include <sys/stat.h>.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/macros.h"
#include "platform/fsfreeze.h"

static int open_no_symlinks(const char *mountpoint)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	fd = syscall(SYS_openat2, AT_FDCWD, mountpoint, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	/* No openat2 (before 5.6, or a seccomp filter that answers EPERM):
	 * at least the last component must not be a link. */
	fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd >= 0 ? (int)fd : -errno;
}

/* 1: fd is on mount mount_id; 0: it is not; 1 too when the kernel cannot say. */
static int on_mount(int fd, int mount_id)
{
	struct statx stx;

	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return errno == ENOSYS || errno == EINVAL ? 1 : -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return 1;
	return stx.stx_mnt_id == (uint64_t)mount_id;
}

int hv_fsfreeze_open_mountpoint(const char *mountpoint, int mount_id)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!mountpoint || mountpoint[0] != '/')
		return -EINVAL;
	fd = open_no_symlinks(mountpoint);
	if (fd < 0)
		return fd;
	if (mount_id >= 0) {
		r = on_mount(fd, mount_id);
		if (r < 0)
			return r;
		if (r == 0)
			return -ESTALE;
	}
	return TAKE_FD(fd);
}

static int system_open(void *userdata, const char *mountpoint, int mount_id)
{
	(void)userdata;
	return hv_fsfreeze_open_mountpoint(mountpoint, mount_id);
}

static int system_freeze(void *userdata, int fd)
{
	(void)userdata;
	return ioctl(fd, FIFREEZE, 0) < 0 ? -errno : 0;
}

static int system_thaw(void *userdata, int fd)
{
	(void)userdata;
	return ioctl(fd, FITHAW, 0) < 0 ? -errno : 0;
}

const struct hv_fsfreeze_ops hv_fsfreeze_system_ops = {
	.open = system_open,
	.freeze = system_freeze,
	.thaw = system_thaw,
};

const struct hv_fsfreeze hv_fsfreeze_system = { .ops = &hv_fsfreeze_system_ops };

static const struct hv_fsfreeze *or_system(const struct hv_fsfreeze *ff)
{
	return ff && ff->ops ? ff : &hv_fsfreeze_system;
}

int hv_fsfreeze_open(const struct hv_fsfreeze *ff, const char *mountpoint, int mount_id)
{
	ff = or_system(ff);
	return ff->ops->open(ff->userdata, mountpoint, mount_id);
}

int hv_fsfreeze_freeze(const struct hv_fsfreeze *ff, int fd)
{
	int r;

	ff = or_system(ff);
	r = ff->ops->freeze(ff->userdata, fd);
	if (r == -EBUSY)
		return HV_FSFREEZE_ALREADY;
	return r < 0 ? r : HV_FSFREEZE_DONE;
}

int hv_fsfreeze_thaw(const struct hv_fsfreeze *ff, int fd)
{
	int r;

	ff = or_system(ff);
	r = ff->ops->thaw(ff->userdata, fd);
	if (r == -EINVAL)
		return HV_FSFREEZE_ALREADY;
	return r < 0 ? r : HV_FSFREEZE_DONE;
}
