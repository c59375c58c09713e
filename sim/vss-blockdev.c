/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zram, loop, mkfs and mounts for VSS worlds.  See vss-blockdev.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "base/mountinfo.h"
#include "spawn.h"
#include "util.h"
#include "vss-blockdev.h"
#include "world.h"

#define NODE_WAIT_MS 2000
#define LOOP_TRIES 32

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_attr(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return hv_write_all(fd, value, strlen(value));
}

/* devtmpfs creates nodes as devices are added; wait a little for it. */
static int wait_node(const char *path, bool block)
{
	uint64_t deadline = hvsim_now_ms() + NODE_WAIT_MS;
	struct stat st;

	for (;;) {
		if (stat(path, &st) == 0)
			return (block ? S_ISBLK(st.st_mode) : S_ISCHR(st.st_mode)) ? 0 : -ENOTBLK;
		if (errno != ENOENT || hvsim_now_ms() >= deadline)
			return -errno;
		sleep_ms(10);
	}
}

int hvsim_zram_add(uint64_t size, int *ret_index)
{
	_cleanup_free_ char *text = NULL;
	char path[64], value[32];
	unsigned long n;
	const char *end;
	int r;

	r = hv_read_text_file("/sys/class/zram-control/hot_add", 64, &text);
	if (r < 0)
		return hv_log_err_errno(r, "zram: reading /sys/class/zram-control/hot_add: %m (is the zram module loaded?)");
	if (hvsim_parse_uint(text, &end, 1u << 20, &n) < 0 || *end)
		return hv_log_err_errno(-EBADMSG, "zram: hot_add gave '%s'", text);
	snprintf(path, sizeof(path), "/sys/block/zram%lu/disksize", n);
	snprintf(value, sizeof(value), "%" PRIu64, size);
	r = write_attr(path, value);
	if (r < 0) {
		hv_log_err_errno(r, "zram%lu: setting disksize %s: %m", n, value);
		(void)hvsim_zram_remove((int)n, 1000);
		return r;
	}
	snprintf(path, sizeof(path), "/dev/zram%lu", n);
	r = wait_node(path, true);
	if (r < 0) {
		hv_log_err_errno(r, "%s: %m", path);
		(void)hvsim_zram_remove((int)n, 1000);
		return r;
	}
	*ret_index = (int)n;
	return 0;
}

int hvsim_zram_remove(int index, int timeout_ms)
{
	uint64_t deadline = hvsim_now_ms() + (uint64_t)timeout_ms;
	char value[16];
	int r;

	snprintf(value, sizeof(value), "%d", index);
	for (;;) {
		r = write_attr("/sys/class/zram-control/hot_remove", value);
		if (r >= 0 || r == -ENODEV)
			return 0;
		if (r != -EBUSY || hvsim_now_ms() >= deadline)
			return hv_log_err_errno(r, "zram%d: hot_remove: %m", index);
		sleep_ms(20);
	}
}

static int loop_configure(int fd, int backing, const char *file)
{
	struct loop_config cfg = { .fd = (unsigned)backing };
	struct loop_info64 info = {};

	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", file);
	if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	/* Before 5.8: two steps. */
	if (ioctl(fd, LOOP_SET_FD, backing) < 0)
		return -errno;
	info.lo_flags = LO_FLAGS_AUTOCLEAR;
	snprintf((char *)info.lo_file_name, sizeof(info.lo_file_name), "%s", file);
	if (ioctl(fd, LOOP_SET_STATUS64, &info) < 0) {
		int r = -errno;

		(void)ioctl(fd, LOOP_CLR_FD, 0);
		return r;
	}
	return 0;
}

int hvsim_loop_attach(const char *file, int *ret_index, int *ret_fd)
{
	_cleanup_close_ int ctl = -EBADF, backing = -EBADF;
	int r = -EBUSY;

	backing = open(file, O_RDWR | O_CLOEXEC);
	if (backing < 0)
		return hv_log_err_errno(-errno, "loop: open %s: %m", file);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return hv_log_err_errno(-errno, "loop: /dev/loop-control: %m");
	/* Another program may take the free device between GET_FREE and
	 * LOOP_CONFIGURE: then it is EBUSY and we ask again. */
	for (int i = 0; i < LOOP_TRIES && r == -EBUSY; i++) {
		_cleanup_close_ int fd = -EBADF;
		char path[64];
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0)
			return hv_log_err_errno(-errno, "loop: LOOP_CTL_GET_FREE: %m");
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		r = wait_node(path, true);
		if (r < 0)
			return hv_log_err_errno(r, "%s: %m", path);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return hv_log_err_errno(-errno, "open %s: %m", path);
		r = loop_configure(fd, backing, file);
		if (r == 0) {
			*ret_index = n;
			*ret_fd = TAKE_FD(fd);
			return 0;
		}
	}
	return hv_log_err_errno(r, "loop: attaching %s: %m", file);
}

int hvsim_mkfs(enum hvsim_fs_type type, const char *dev)
{
	static const char *const tools[_HVSIM_FS_TYPE_MAX] = {
		[HVSIM_FS_EXT4] = "mkfs.ext4",
		[HVSIM_FS_XFS] = "mkfs.xfs",
		[HVSIM_FS_BTRFS] = "mkfs.btrfs",
	};
	static const char *const packages[_HVSIM_FS_TYPE_MAX] = {
		[HVSIM_FS_EXT4] = "e2fsprogs",
		[HVSIM_FS_XFS] = "xfsprogs",
		[HVSIM_FS_BTRFS] = "btrfs-progs",
	};
	_cleanup_free_ char *tool = NULL, *out = NULL, *err = NULL;
	char *argv[5];
	char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL };
	int r, status;

	r = hvsim_find_program(tools[type], &tool);
	if (r < 0)
		return hv_log_err_errno(r, "%s not found (Debian package %s)", tools[type], packages[type]);
	argv[0] = tool;
	argv[1] = (char *)"-q";
	/* -F/-f: the device is ours and new; no questions. */
	argv[2] = (char *)(type == HVSIM_FS_EXT4 ? "-F" : "-f");
	argv[3] = (char *)dev;
	argv[4] = NULL;
	r = hvsim_spawn(argv, envp, 120000, &out, &err, &status);
	if (r < 0)
		return hv_log_err_errno(r, "%s %s: %m", tool, dev);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hv_log_err_errno(-EIO, "%s %s failed: %s", tool, dev,
					hvsim_first_line(err && *err ? err : out));
	return 0;
}

int hvsim_mount_options(const char *options, unsigned long *ret_flags, char **ret_data)
{
	static const struct {
		const char *name;
		unsigned long set, clear;
	} generic[] = {
		{ "ro", MS_RDONLY, 0 },
		{ "rw", 0, MS_RDONLY },
		{ "noatime", MS_NOATIME, 0 },
		{ "nodiratime", MS_NODIRATIME, 0 },
		{ "relatime", MS_RELATIME, 0 },
		{ "strictatime", MS_STRICTATIME, 0 },
		{ "lazytime", MS_LAZYTIME, 0 },
		{ "nosuid", MS_NOSUID, 0 },
		{ "nodev", MS_NODEV, 0 },
		{ "noexec", MS_NOEXEC, 0 },
		{ "sync", MS_SYNCHRONOUS, 0 },
		{ "dirsync", MS_DIRSYNC, 0 },
	};
	_cleanup_free_ char *copy = strdup(options ? options : ""), *data = NULL;
	unsigned long flags = 0;
	size_t len = 0;
	char *save = NULL;

	data = calloc(1, strlen(options ? options : "") + 1);
	if (!copy || !data)
		return -ENOMEM;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		bool known = false;

		for (size_t i = 0; i < ELEMENTSOF(generic); i++)
			if (strcmp(o, generic[i].name) == 0) {
				flags = (flags | generic[i].set) & ~generic[i].clear;
				known = true;
			}
		if (known)
			continue;
		if (len > 0)
			data[len++] = ',';
		memcpy(data + len, o, strlen(o));
		len += strlen(o);
	}
	data[len] = '\0';
	*ret_flags = flags;
	*ret_data = TAKE_PTR(data);
	return 0;
}

int hvsim_fs_mount(const char *dev, const char *target, enum hvsim_fs_type type, const char *options,
		   bool read_only)
{
	_cleanup_free_ char *data = NULL;
	unsigned long flags;
	int r;

	r = hvsim_mount_options(options, &flags, &data);
	if (r < 0)
		return r;
	if (read_only)
		flags |= MS_RDONLY;
	if (mount(dev, target, hvsim_fs_type_to_string(type), flags, *data ? data : NULL) < 0)
		return hv_log_err_errno(-errno, "mount %s (%s%s%s) on %s: %m", dev, hvsim_fs_type_to_string(type),
					*data ? ", " : "", data, target);
	return 0;
}

int hvsim_mount_dev(const char *path, dev_t *ret)
{
	_cleanup_free_ char *text = NULL;
	struct hv_mountinfo *mi = NULL;
	bool found = false;
	int r;

	r = hv_read_text_file("/proc/self/mountinfo", 16 * 1024 * 1024, &text);
	if (r < 0)
		return r;
	r = hv_mountinfo_parse(text, &mi, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mi->n_entries; i++)
		if (strcmp(mi->entries[i].mountpoint, path) == 0) {
			*ret = makedev(mi->entries[i].major, mi->entries[i].minor);
			found = true;
		}
	hv_mountinfo_free(mi);
	return found ? 0 : -ENOENT;
}

int hvsim_btrfs_subvolume_create(const char *dir, const char *name)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct btrfs_ioctl_vol_args args = {};

	if (fd < 0)
		return hv_log_err_errno(-errno, "open %s: %m", dir);
	if (strlen(name) >= sizeof(args.name))
		return -ENAMETOOLONG;
	memcpy(args.name, name, strlen(name) + 1);
	if (ioctl(fd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
		return hv_log_err_errno(-errno, "btrfs subvolume %s/%s: %m", dir, name);
	return 0;
}

int hvsim_fs_thaw(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FITHAW, 0) == 0)
		return 1;
	return errno == EINVAL ? 0 : -errno;
}
