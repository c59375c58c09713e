/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VSS worlds at run time.  See vss-world.h for the three steps.
 *
 * Three mount namespaces are involved: the machine's (where the test file
 * systems are also mounted, at <state>/fs/<NAME>, so tests can look at
 * them from outside), hvsim's private one (a copy of the machine's, where
 * the root is assembled and FUSE served), and the world's (a copy of
 * hvsim's, pivoted into the root).  hvsim keeps a descriptor of the
 * machine's namespace and goes back into it with setns() for the
 * teardown, once it has thawed every file system (so nothing blocks on a
 * frozen one) and killed whatever still runs in the world (so nothing
 * keeps a mount alive).  Removal runs backwards: loop file systems are
 * unmounted before the file systems holding their images, their loop
 * devices detach themselves when the last opener is gone, and a zram
 * device is removed only once nothing has it open (retried while busy).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "base/mountinfo.h"
#include "proto/icmsg.h"
#include "proto/vss.h"
#include "rootfs.h"
#include "sysfs.h"
#include "util.h"
#include "vss-blockdev.h"
#include "vss-world.h"
#include "world.h"

#define ZRAM_REMOVE_TIMEOUT_MS 10000
#define KILL_TIMEOUT_MS 5000
#define STARTED_TIMEOUT_MS 10000

/* The programs every VSS world has (man hvsim(1), VSS WORLDS). */
static const char *const base_programs[] = { "sh", "cat", "dd", "ls", "mkdir", "rm", "sleep", "stat", "sync",
					     "touch" };

struct vss_fs {
	const struct hvsim_vss_fs *spec;
	int zram, loop, loop_fd;
	char dev[32];  /* /dev/zramN, /dev/loopN */
	char name[16]; /* zramN, loopN */
	dev_t rdev;    /* the block device */
	dev_t sb_dev;  /* as mountinfo shows the file system */
	char *outside;
	bool dir_made, mounted;
};

struct hvsim_vss_world {
	const struct hvsim_vss_spec *spec;
	char *state_dir, *fs_dir, *root, *vmbus_dir;
	bool fs_dir_made, root_dir_made;
	struct vss_fs fs[HVSIM_VSS_MAX_FS]; /* in creation order */
	size_t n_fs;
	char **programs;
	size_t n_programs;
	int machine_ns;     /* the machine's mount namespace */
	struct stat own_ns; /* hvsim's private one, once made */
	bool have_own_ns;
	int ready[2];       /* closed by the command's exec */
	pid_t world_pid;
	struct stat world_ns;
	bool have_world_ns;
};

bool hvsim_vss_world_wanted(const struct hvsim_world *w)
{
	return w && w->vss && w->vss->own_root;
}

static bool same_ns(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int ns_of(pid_t pid, struct stat *ret)
{
	char path[64];

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/mnt");
	return stat(path, ret) < 0 ? -errno : 0;
}

/* ---- step 1: devices and file systems, on the machine ---------------------------- */

static struct vss_fs *find_made(struct hvsim_vss_world *vw, const char *name)
{
	for (size_t i = 0; i < vw->n_fs; i++)
		if (strcmp(vw->fs[i].spec->name, name) == 0)
			return &vw->fs[i];
	return NULL;
}

static int mkdir_p_under(const char *base, const char *rel)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", base, rel) < 0)
		return -ENOMEM;
	return hv_mkdir_p(path, 0755);
}

/* mkfs done: mount outside, subvolumes, directories binds need. */
static int mount_outside(struct hvsim_vss_world *vw, struct vss_fs *f)
{
	const struct hvsim_vss_fs *s = f->spec;
	struct stat st;
	int r;

	if (stat(f->dev, &st) < 0)
		return hv_log_err_errno(-errno, "%s: %m", f->dev);
	f->rdev = st.st_rdev;
	r = hvsim_mkfs(s->type, f->dev);
	if (r < 0)
		return r;
	if (asprintf(&f->outside, "%s/%s", vw->fs_dir, s->name) < 0)
		return -ENOMEM;
	if (mkdir(f->outside, 0755) < 0)
		return hv_log_err_errno(-errno, "mkdir %s: %m", f->outside);
	f->dir_made = true;
	r = hvsim_fs_mount(f->dev, f->outside, s->type, s->options, false);
	if (r < 0)
		return r;
	f->mounted = true;
	r = hvsim_mount_dev(f->outside, &f->sb_dev);
	if (r < 0)
		return hv_log_err_errno(r, "%s is not in /proc/self/mountinfo after mounting it: %m", f->outside);
	for (size_t i = 0; i < s->n_subvolumes; i++) {
		r = hvsim_btrfs_subvolume_create(f->outside, s->subvolumes[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_binds; i++)
		if (s->binds[i].subdir) {
			r = mkdir_p_under(f->outside, s->binds[i].subdir);
			if (r < 0)
				return hv_log_err_errno(r, "mkdir %s/%s: %m", f->outside, s->binds[i].subdir);
		}
	return 0;
}

static int create_zram(struct hvsim_vss_world *vw, struct vss_fs *f)
{
	int r = hvsim_zram_add(f->spec->size, &f->zram);

	if (r < 0)
		return r;
	snprintf(f->dev, sizeof(f->dev), "/dev/zram%d", f->zram);
	snprintf(f->name, sizeof(f->name), "zram%d", f->zram);
	return mount_outside(vw, f);
}

static int create_loop(struct hvsim_vss_world *vw, struct vss_fs *f)
{
	const struct vss_fs *b = find_made(vw, f->spec->backing);
	_cleanup_free_ char *image = NULL, *dir = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!b || !b->mounted)
		return -ENOENT;
	if (asprintf(&image, "%s%s", b->outside, f->spec->image) < 0)
		return -ENOMEM;
	dir = strdup(image);
	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	r = hv_mkdir_p(dir, 0755);
	if (r < 0)
		return hv_log_err_errno(r, "mkdir %s: %m", dir);
	fd = open(image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return hv_log_err_errno(-errno, "create %s: %m", image);
	if (ftruncate(fd, (off_t)f->spec->size) < 0)
		return hv_log_err_errno(-errno, "%s: size %" PRIu64 ": %m", image, f->spec->size);
	fd = hv_safe_close(fd);
	r = hvsim_loop_attach(image, &f->loop, &f->loop_fd);
	if (r < 0)
		return r;
	snprintf(f->dev, sizeof(f->dev), "/dev/loop%d", f->loop);
	snprintf(f->name, sizeof(f->name), "loop%d", f->loop);
	return mount_outside(vw, f);
}

static int remount_read_only(const struct vss_fs *f)
{
	_cleanup_free_ char *data = NULL;
	unsigned long flags;
	int r;

	r = hvsim_mount_options(f->spec->options, &flags, &data);
	if (r < 0)
		return r;
	if (mount(f->dev, f->outside, hvsim_fs_type_to_string(f->spec->type), MS_REMOUNT | MS_RDONLY | flags,
		  *data ? data : NULL) < 0)
		return hv_log_err_errno(-errno, "remounting %s read-only: %m", f->outside);
	return 0;
}

static int push_program(struct hvsim_vss_world *vw, const char *p)
{
	char **l = realloc(vw->programs, (vw->n_programs + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	vw->programs = l;
	l[vw->n_programs] = strdup(p);
	if (!l[vw->n_programs])
		return -ENOMEM;
	vw->n_programs++;
	return 0;
}

static int create_filesystems(struct hvsim_vss_world *vw)
{
	const struct hvsim_vss_spec *s = vw->spec;
	int r;

	if (s->n_fs == 0)
		return 0;
	if (mkdir(vw->fs_dir, 0755) < 0)
		return hv_log_err_errno(-errno, "mkdir %s: %m%s", vw->fs_dir,
					errno == EEXIST ? " (left from another world? use a fresh --state)" : "");
	vw->fs_dir_made = true;
	/* zram file systems first: loop images live on them. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n_fs; i++) {
			struct vss_fs *f;

			if ((pass == 0) != !s->fs[i]->backing)
				continue;
			f = &vw->fs[vw->n_fs++];
			*f = (struct vss_fs){ .spec = s->fs[i], .zram = -1, .loop = -1, .loop_fd = -EBADF };
			r = pass == 0 ? create_zram(vw, f) : create_loop(vw, f);
			if (r < 0)
				return hv_log_err_errno(r, "[filesystem %s]: %m", f->spec->name);
		}
	for (size_t i = 0; i < vw->n_fs; i++)
		if (vw->fs[i].spec->read_only) {
			r = remount_read_only(&vw->fs[i]);
			if (r < 0)
				return r;
		}
	return 0;
}

int hvsim_vss_world_create(const struct hvsim_world *w, const char *state_dir, char *const *argv,
			   char *const *install, size_t n_install, struct hvsim_vss_world **ret)
{
	struct hvsim_vss_world *vw;
	int r;

	if (!hvsim_vss_world_wanted(w))
		return -EINVAL;
	/* The uio devices are served at the machine's paths of hvsim's
	 * namespace, which in a world of its own is the machine's /sys. */
	for (size_t i = 0; i < w->n_devices; i++)
		if (w->devices[i]->driver && strcmp(w->devices[i]->driver, "uio_hv_generic") == 0)
			return hv_log_err_errno(-EOPNOTSUPP, "[device %s]: a world with a root of its own cannot have "
							     "uio_hv_generic devices (yet)", w->devices[i]->name);
	vw = calloc(1, sizeof(*vw));
	if (!vw)
		return -ENOMEM;
	vw->spec = w->vss;
	vw->machine_ns = -EBADF;
	vw->ready[0] = vw->ready[1] = -EBADF;
	if (asprintf(&vw->fs_dir, "%s/fs", state_dir) < 0 || asprintf(&vw->root, "%s/root", state_dir) < 0 ||
	    asprintf(&vw->vmbus_dir, "%s/root/dev/vmbus", state_dir) < 0 || !(vw->state_dir = strdup(state_dir))) {
		r = -ENOMEM;
		goto fail;
	}
	vw->machine_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (vw->machine_ns < 0) {
		r = hv_log_err_errno(-errno, "/proc/self/ns/mnt: %m");
		goto fail;
	}
	for (size_t i = 0; i < ELEMENTSOF(base_programs); i++)
		if ((r = push_program(vw, base_programs[i])) < 0)
			goto fail;
	for (size_t i = 0; i < vw->spec->n_install; i++)
		if ((r = push_program(vw, vw->spec->install[i])) < 0)
			goto fail;
	for (size_t i = 0; i < n_install; i++)
		if ((r = push_program(vw, install[i])) < 0)
			goto fail;
	if ((r = push_program(vw, argv[0])) < 0)
		goto fail;
	r = create_filesystems(vw);
	if (r < 0)
		goto fail;
	*ret = vw;
	return 0;
fail:
	hvsim_vss_world_free(vw);
	return r;
}

/* ---- step 2: the root, in hvsim's namespace ------------------------------------------ */

static char *in_root(const struct hvsim_vss_world *vw, const char *abs)
{
	char *p;

	if (asprintf(&p, "%s%s", vw->root, abs) < 0)
		return NULL;
	return p;
}

/* mkdir -p of abs inside the root, refusing to go through a symlink
 * there (it might point out of the root). */
static int mkdir_in_root(const struct hvsim_vss_world *vw, const char *abs, mode_t mode)
{
	_cleanup_free_ char *path = in_root(vw, abs);
	size_t base;

	if (!path)
		return -ENOMEM;
	base = strlen(vw->root);
	for (char *p = path + base + 1;; p++) {
		bool last = *p == '\0';
		struct stat st;

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (lstat(path, &st) == 0) {
			if (S_ISLNK(st.st_mode))
				return hv_log_err_errno(-ELOOP, "%s is a symlink in the world; not a place for a mount",
							path + base);
			if (!S_ISDIR(st.st_mode))
				return hv_log_err_errno(-ENOTDIR, "%s is not a directory in the world", path + base);
		} else if (errno != ENOENT || mkdir(path, mode) < 0) {
			return hv_log_err_errno(-errno, "mkdir %s in the world: %m", path + base);
		}
		if (last)
			return 0;
		*p = '/';
	}
}

static int write_in_root(const struct hvsim_vss_world *vw, const char *abs, const char *text, mode_t mode)
{
	_cleanup_free_ char *path = in_root(vw, abs);
	_cleanup_close_ int fd = -EBADF;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return hv_log_err_errno(-errno, "create %s: %m", path);
	return hv_write_all(fd, text, strlen(text));
}

static int build_skeleton(struct hvsim_vss_world *vw)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ "/etc", 0755 },     { "/etc/hvutils", 0755 },    { "/tmp", 01777 },  { "/proc", 0555 },
		{ "/sys", 0555 },     { "/dev", 0755 },            { "/var", 0755 },   { "/var/lib", 0755 },
		{ "/var/lib/hyperv", 0755 }, { "/var/tmp", 01777 }, { "/run", 0755 }, { "/run/hvutils", 0755 },
		{ "/root", 0700 },
	};
	static const struct {
		const char *path, *text;
	} files[] = {
		{ "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" },
		{ "/etc/group", "root:x:0:\nnogroup:x:65534:\n" },
		{ "/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" },
		{ "/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n" },
	};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = in_root(vw, dirs[i].path);

		if (!p)
			return -ENOMEM;
		if (mkdir(p, dirs[i].mode) < 0 || chmod(p, dirs[i].mode) < 0)
			return hv_log_err_errno(-errno, "mkdir %s: %m", p);
	}
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		r = write_in_root(vw, files[i].path, files[i].text, 0644);
		if (r < 0)
			return r;
	}
	return 0;
}

static int install_programs(struct hvsim_vss_world *vw)
{
	struct hvsim_rootfs *rfs = NULL;
	int r;

	r = hvsim_rootfs_new(vw->root, &rfs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < vw->n_programs && r >= 0; i++) {
		r = hvsim_rootfs_install(rfs, vw->programs[i], NULL);
		if (r < 0)
			hv_log_err("cannot install %s in the world's root", vw->programs[i]);
	}
	if (r >= 0)
		hv_log_debug("world root: %zu KiB of programs and libraries", hvsim_rootfs_bytes(rfs) >> 10);
	hvsim_rootfs_free(rfs);
	return r;
}

static int mknod_in_root(const struct hvsim_vss_world *vw, const char *name, mode_t type, dev_t dev)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/dev/%s", vw->root, name) < 0)
		return -ENOMEM;
	if (mknod(path, type | (type == S_IFCHR ? 0666 : 0660), dev) < 0 ||
	    chmod(path, type == S_IFCHR ? 0666 : 0660) < 0)
		return hv_log_err_errno(-errno, "mknod %s: %m", path);
	return 0;
}

static int build_dev(struct hvsim_vss_world *vw)
{
	static const struct {
		const char *name;
		unsigned major, minor;
	} chars[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "fuse", 10, 229 },
	};
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
	};
	_cleanup_free_ char *dev = in_root(vw, "/dev");
	int r;

	if (!dev)
		return -ENOMEM;
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m") < 0)
		return hv_log_err_errno(-errno, "mount tmpfs on %s: %m", dev);
	for (size_t i = 0; i < ELEMENTSOF(chars); i++) {
		r = mknod_in_root(vw, chars[i].name, S_IFCHR, makedev(chars[i].major, chars[i].minor));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < vw->n_fs; i++) {
		r = mknod_in_root(vw, vw->fs[i].name, S_IFBLK, vw->fs[i].rdev);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s", dev, links[i][0]) < 0)
			return -ENOMEM;
		if (symlink(links[i][1], p) < 0)
			return hv_log_err_errno(-errno, "symlink %s: %m", p);
	}
	if (mkdir(vw->vmbus_dir, 0755) < 0)
		return hv_log_err_errno(-errno, "mkdir %s: %m", vw->vmbus_dir);
	return 0;
}

static int symlink_in(const char *base, const char *rel, const char *target)
{
	_cleanup_free_ char *path = NULL, *dir = NULL;
	int r;

	if (asprintf(&path, "%s/%s", base, rel) < 0)
		return -ENOMEM;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	r = hv_mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	if (symlink(target, path) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The sysfs directories of the test's block devices, bound read-only
 * from a fresh sysfs, and the links the daemons' loop detection follows:
 * /sys/dev/block/MAJ:MIN/loop exists for a loop device (PROTOCOL.md §6.3). */
static int build_sys_block(struct hvsim_vss_world *vw, const char *sys)
{
	_cleanup_free_ char *stage = NULL;
	int r = 0;

	if (vw->n_fs == 0)
		return 0;
	if (asprintf(&stage, "%s/sysfs-stage", vw->state_dir) < 0)
		return -ENOMEM;
	if (mkdir(stage, 0700) < 0)
		return hv_log_err_errno(-errno, "mkdir %s: %m", stage);
	if (mount("sysfs", stage, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		r = hv_log_err_errno(-errno, "mount sysfs on %s: %m", stage);
		(void)rmdir(stage);
		return r;
	}
	for (size_t i = 0; i < vw->n_fs && r >= 0; i++) {
		const struct vss_fs *f = &vw->fs[i];
		_cleanup_free_ char *src = NULL, *dst = NULL, *rel = NULL, *devlink = NULL, *up2 = NULL, *up1 = NULL,
				    *cls = NULL, *blk = NULL;

		if (asprintf(&rel, "devices/virtual/block/%s", f->name) < 0 ||
		    asprintf(&src, "%s/%s", stage, rel) < 0 || asprintf(&dst, "%s/%s", sys, rel) < 0 ||
		    asprintf(&devlink, "dev/block/%u:%u", major(f->rdev), minor(f->rdev)) < 0 ||
		    asprintf(&cls, "class/block/%s", f->name) < 0 || asprintf(&blk, "block/%s", f->name) < 0 ||
		    asprintf(&up2, "../../%s", rel) < 0 || asprintf(&up1, "../%s", rel) < 0) {
			r = -ENOMEM;
			break;
		}
		r = hv_mkdir_p(dst, 0755);
		if (r < 0) {
			hv_log_err_errno(r, "mkdir %s: %m", dst);
			break;
		}
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			r = hv_log_err_errno(-errno, "bind %s on %s: %m", src, dst);
			break;
		}
		r = symlink_in(sys, devlink, up2);
		if (r >= 0)
			r = symlink_in(sys, cls, up2);
		if (r >= 0)
			r = symlink_in(sys, blk, up1);
		if (r < 0)
			hv_log_err_errno(r, "sysfs links of %s: %m", f->name);
	}
	if (umount2(stage, MNT_DETACH) < 0)
		hv_log_warning("umount %s: %m", stage);
	(void)rmdir(stage);
	return r;
}

static int build_sys(struct hvsim_vss_world *vw, const struct hvsim_world *w)
{
	_cleanup_free_ char *sys = in_root(vw, "/sys");
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!sys)
		return -ENOMEM;
	if (mount("tmpfs", sys, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
		return hv_log_err_errno(-errno, "mount tmpfs on %s: %m", sys);
	fd = open(sys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = hvsim_sysfs_build(fd, w);
	if (r < 0)
		return hv_log_err_errno(r, "building the fake sysfs: %m");
	return build_sys_block(vw, sys);
}

struct mount_plan {
	const char *target;
	char *source;
	unsigned depth;
};

static int plan_cmp(const void *a, const void *b)
{
	const struct mount_plan *x = a, *y = b;

	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

/* The test file systems at their mount points, parents before children. */
static int build_mounts(struct hvsim_vss_world *vw)
{
	struct mount_plan plan[HVSIM_VSS_MAX_FS * (HVSIM_VSS_MAX_LIST + 1)];
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < vw->n_fs && r >= 0; i++) {
		const struct vss_fs *f = &vw->fs[i];

		for (size_t b = 0; b <= f->spec->n_binds; b++) {
			const struct hvsim_vss_bind *bind = b > 0 ? &f->spec->binds[b - 1] : NULL;
			struct mount_plan *p = &plan[n++];

			p->target = bind ? bind->target : f->spec->mountpoint;
			p->depth = 0;
			for (const char *c = p->target; *c; c++)
				p->depth += *c == '/';
			if (asprintf(&p->source, "%s%s%s", f->outside, bind && bind->subdir ? "/" : "",
				     bind && bind->subdir ? bind->subdir : "") < 0) {
				p->source = NULL;
				r = -ENOMEM;
				break;
			}
		}
	}
	if (r >= 0)
		qsort(plan, n, sizeof(plan[0]), plan_cmp);
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *dst = in_root(vw, plan[i].target);

		r = dst ? mkdir_in_root(vw, plan[i].target, 0755) : -ENOMEM;
		if (r >= 0 && mount(plan[i].source, dst, NULL, MS_BIND, NULL) < 0)
			r = hv_log_err_errno(-errno, "bind %s on %s: %m", plan[i].source, dst);
	}
	for (size_t i = 0; i < n; i++)
		free(plan[i].source);
	return r;
}

/*
 * A loop device's backing_file in sysfs is the image's path from the root
 * of the mount namespace where it was opened: the machine's, where the
 * image lives under <state>/fs/NAME.  On a real guest losetup and the
 * daemon share one file system layout, so that path leads to the image;
 * here a symlink at that path in the world's root, to the file system's
 * mount point in the world, does the same (no mount is added).  A path
 * that cannot be made is only a debug note: loop detection still works,
 * the backing file system is then unknown to a daemon that asks.
 */
static int link_loop_backings(struct hvsim_vss_world *vw)
{
	for (size_t i = 0; i < vw->n_fs; i++) {
		const struct vss_fs *f = &vw->fs[i], *b;
		_cleanup_free_ char *real = NULL, *link = NULL, *dir = NULL;
		int r;

		if (!f->spec->backing || !(b = find_made(vw, f->spec->backing)) || !b->outside)
			continue;
		real = realpath(b->outside, NULL);
		if (!real)
			return -errno;
		link = in_root(vw, real);
		dir = strdup(real);
		if (!link || !dir)
			return -ENOMEM;
		*strrchr(dir, '/') = '\0';
		r = *dir ? mkdir_in_root(vw, dir, 0755) : 0;
		if (r >= 0 && symlink(b->spec->mountpoint, link) < 0 && errno != EEXIST)
			r = -errno;
		if (r < 0)
			hv_log_debug_errno(r, "no link from %s to %s in the world: %m", real, b->spec->mountpoint);
	}
	return 0;
}

int hvsim_vss_world_build(struct hvsim_vss_world *vw, const struct hvsim_world *w, const char **ret_vmbus_dir)
{
	_cleanup_free_ char *proc = NULL;
	struct stat machine;
	int r;

	/* The caller unshared; the checks and the teardown need to tell the
	 * namespaces apart. */
	if (ns_of(0, &vw->own_ns) < 0 || fstat(vw->machine_ns, &machine) < 0)
		return -errno;
	if (same_ns(&vw->own_ns, &machine))
		return hv_log_err_errno(-EINVAL, "building a world's root in the machine's mount namespace");
	vw->have_own_ns = true;

	if (mkdir(vw->root, 0755) < 0)
		return hv_log_err_errno(-errno, "mkdir %s: %m", vw->root);
	vw->root_dir_made = true;
	if (mount("tmpfs", vw->root, "tmpfs", 0, "mode=0755") < 0)
		return hv_log_err_errno(-errno, "mount tmpfs on %s: %m", vw->root);
	r = build_skeleton(vw);
	if (r < 0)
		return r;
	r = install_programs(vw);
	if (r < 0)
		return r;
	proc = in_root(vw, "/proc");
	if (!proc)
		return -ENOMEM;
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return hv_log_err_errno(-errno, "mount proc on %s: %m", proc);
	r = build_sys(vw, w);
	if (r < 0)
		return r;
	r = build_dev(vw);
	if (r < 0)
		return r;
	r = build_mounts(vw);
	if (r < 0)
		return r;
	r = link_loop_backings(vw);
	if (r < 0)
		return r;
	if (pipe2(vw->ready, O_CLOEXEC) < 0)
		return -errno;
	*ret_vmbus_dir = vw->vmbus_dir;
	return 0;
}

/* ---- step 3: into the world ------------------------------------------------------------ */

int hvsim_vss_world_enter(struct hvsim_vss_world *vw)
{
	vw->ready[0] = hv_safe_close(vw->ready[0]);
	if (unshare(CLONE_NEWNS) < 0)
		return hv_log_err_errno(-errno, "unshare(CLONE_NEWNS): %m");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hv_log_err_errno(-errno, "making mounts private: %m");
	if (chdir(vw->root) < 0)
		return hv_log_err_errno(-errno, "chdir %s: %m", vw->root);
	/* new_root and put_old the same: the old root ends up stacked under
	 * the new one and is detached right away. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hv_log_err_errno(-errno, "pivot_root %s: %m", vw->root);
	if (umount2(".", MNT_DETACH) < 0)
		return hv_log_err_errno(-errno, "detaching the old root: %m");
	if (chdir("/") < 0)
		return -errno;
	/* The control socket is not in the world. */
	unsetenv("HVSIM_CONTROL");
	setenv("HVSIM_STATE_DIR", "/var/lib/hyperv", 1);
	return 0;
}

int hvsim_vss_world_started(struct hvsim_vss_world *vw, pid_t pid)
{
	struct pollfd p = { .fd = vw->ready[0], .events = POLLIN };
	uint64_t deadline = hvsim_now_ms() + STARTED_TIMEOUT_MS;
	struct stat st;

	vw->ready[1] = hv_safe_close(vw->ready[1]);
	vw->world_pid = pid;
	/* EOF when the command exec'd (the write end is O_CLOEXEC) or died. */
	for (;;) {
		char c;
		int n = poll(&p, 1, hvsim_poll_timeout(hvsim_now_ms(), deadline, 1000));

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && hvsim_now_ms() < deadline)
			continue;
		if (n <= 0 || read(vw->ready[0], &c, 1) <= 0)
			break;
	}
	vw->ready[0] = hv_safe_close(vw->ready[0]);
	if (ns_of(pid, &st) < 0) {
		hv_log_debug("the world's command (pid %d) ended at once", (int)pid);
		return -ESRCH;
	}
	if (same_ns(&st, &vw->own_ns)) {
		hv_log_warning("the world's command (pid %d) did not enter the world's root", (int)pid);
		return -ESRCH;
	}
	vw->world_ns = st;
	vw->have_world_ns = true;
	return 0;
}

/* ---- the freeze check --------------------------------------------------------------- */

static bool virtual_fs(const struct hv_mountinfo_entry *e)
{
	static const char *const types[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue", "fuse" };

	if (e->major != 0 || strncmp(e->source, "/dev/", 5) == 0)
		return false;
	if (strncmp(e->fstype, "fuse.", 5) == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (strcmp(e->fstype, types[i]) == 0)
			return true;
	return false;
}

int hvsim_vss_mountinfo_check(const char *text, const struct hvsim_vss_allowed *allowed, char **ret_why)
{
	struct hv_mountinfo *mi = NULL;
	char *error = NULL;
	int r;

	r = hv_mountinfo_parse(text, &mi, &error);
	if (r < 0) {
		if (ret_why && asprintf(ret_why, "unreadable mount table: %s", error ? error : hv_strerror(r)) < 0)
			*ret_why = NULL;
		free(error);
		return r == -ENOMEM ? r : -EINVAL;
	}
	r = mi->n_entries == 0 ? -EINVAL : 0;
	for (size_t i = 0; i < mi->n_entries && r == 0; i++) {
		const struct hv_mountinfo_entry *e = &mi->entries[i];
		dev_t d = makedev(e->major, e->minor);
		bool ok = virtual_fs(e);

		for (size_t k = 0; k < allowed->n_devs && !ok; k++)
			ok = allowed->devs[k] == d;
		if (ok)
			continue;
		if (ret_why && asprintf(ret_why, "%s (%s, device %u:%u) on %s, which is not a test file system of this world",
					*e->source ? e->source : "(no source)", e->fstype, e->major, e->minor,
					e->mountpoint) < 0)
			*ret_why = NULL;
		r = -EPERM;
	}
	if (r == -EINVAL && ret_why)
		*ret_why = strdup("an empty mount table");
	hv_mountinfo_free(mi);
	return r;
}

static int refuse(char **ret_why, const char *fmt, ...) _printf_(2, 3);

static int refuse(char **ret_why, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (asprintf(ret_why, "vss freeze: refusing: %s", msg ? msg : "out of memory") < 0)
		*ret_why = NULL;
	return -EPERM;
}

/* The mount table process pid sees must hold nothing but the world's own. */
static int check_process(const struct hvsim_vss_world *vw, pid_t pid, const char *who, char **ret_why)
{
	dev_t devs[2 * HVSIM_VSS_MAX_FS];
	struct hvsim_vss_allowed allowed = { .devs = devs };
	_cleanup_free_ char *text = NULL, *why = NULL;
	char path[64];
	int r;

	for (size_t i = 0; i < vw->n_fs; i++) {
		devs[allowed.n_devs++] = vw->fs[i].sb_dev;
		devs[allowed.n_devs++] = vw->fs[i].rdev;
	}
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	r = hv_read_text_file(path, 16 * 1024 * 1024, &text);
	if (r < 0)
		return refuse(ret_why, "cannot read the mount table of %s (pid %d): %s", who, (int)pid, hv_strerror(r));
	r = hvsim_vss_mountinfo_check(text, &allowed, &why);
	if (r < 0)
		return refuse(ret_why, "%s (pid %d) sees %s", who, (int)pid, why ? why : hv_strerror(r));
	return 0;
}

int hvsim_vss_world_check_freeze(const struct hvsim_vss_world *vw, pid_t daemon_pid, char **ret_why)
{
	struct stat st;
	int r;

	*ret_why = NULL;
	if (!vw)
		return refuse(ret_why,
			      "this world shares the machine's root, and a VSS daemon would freeze the machine's "
			      "own file systems; use a world with a root of its own ([root] own = yes, "
			      "hvsim(1) VSS WORLDS)");
	if (!vw->have_world_ns)
		return refuse(ret_why, "the world's command never entered the world's root");
	if (ns_of(vw->world_pid, &st) < 0 || !same_ns(&st, &vw->world_ns))
		return refuse(ret_why, "the world's command (pid %d) is gone: its mount table cannot be checked",
			      (int)vw->world_pid);
	r = check_process(vw, vw->world_pid, "the world", ret_why);
	if (r < 0)
		return r;
	if (daemon_pid > 0 && daemon_pid != vw->world_pid) {
		char who[64];

		if (ns_of(daemon_pid, &st) < 0)
			return refuse(ret_why, "the VSS daemon (pid %d) is gone", (int)daemon_pid);
		snprintf(who, sizeof(who), "the VSS daemon%s", same_ns(&st, &vw->world_ns) ? "" : ", outside the world,");
		r = check_process(vw, daemon_pid, who, ret_why);
		if (r < 0)
			return r;
	}
	return 0;
}

bool hvsim_vss_request_freezes(json_object *req)
{
	json_object *v;
	const char *op, *hex;
	unsigned byte;
	size_t n = 0;

	if (!json_object_object_get_ex(req, "op", &v) || !(op = json_object_get_string(v)))
		return false;
	if (strcmp(op, "freeze") == 0 || strcmp(op, "backup") == 0)
		return true;
	if (strcmp(op, "raw") != 0)
		return false;
	if (json_object_object_get_ex(req, "code", &v))
		return json_object_get_int64(v) == HV_VSS_OP_FREEZE;
	if (!json_object_object_get_ex(req, "hex", &v) || !(hex = json_object_get_string(v)))
		return false;
	/* The operation is the first byte of the service data; count bytes
	 * as the host engine reads them (separators ' ', ':', newline). */
	for (const char *p = hex; *p;) {
		if (*p == ' ' || *p == ':' || *p == '\n') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &byte) != 1 || !p[1])
			return true; /* malformed: the engine refuses it; be safe */
		if (n++ == HV_ICMSG_HDR_SIZE)
			return byte == HV_VSS_OP_FREEZE;
		p += 2;
	}
	return false;
}

/* ---- thaw, describe --------------------------------------------------------------------- */

void hvsim_vss_world_thaw_all(const struct hvsim_vss_world *vw)
{
	/* Creation order: a loop file system's image lives on an earlier one,
	 * which must be thawed first or the thaw would wait on it. */
	for (size_t i = 0; vw && i < vw->n_fs; i++) {
		const struct vss_fs *f = &vw->fs[i];
		int r;

		if (!f->mounted)
			continue;
		r = hvsim_fs_thaw(f->outside);
		if (r > 0)
			hv_log_notice("[filesystem %s] was still frozen: thawed", f->spec->name);
		else if (r < 0)
			hv_log_warning_errno(r, "thawing %s: %m", f->outside);
	}
}

static json_object *strings(char *const *list, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(list[i]));
	return a;
}

static json_object *describe_fs(const struct vss_fs *f)
{
	const struct hvsim_vss_fs *s = f->spec;
	json_object *o = json_object_new_object(), *binds = json_object_new_array();
	char devno[32];

	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "type", json_object_new_string(hvsim_fs_type_to_string(s->type)));
	json_object_object_add(o, "device", json_object_new_string(f->dev));
	snprintf(devno, sizeof(devno), "%u:%u", major(f->rdev), minor(f->rdev));
	json_object_object_add(o, "devno", json_object_new_string(devno));
	snprintf(devno, sizeof(devno), "%u:%u", major(f->sb_dev), minor(f->sb_dev));
	json_object_object_add(o, "mountinfo_devno", json_object_new_string(devno));
	json_object_object_add(o, "backing", json_object_new_string(s->backing ? "loop" : "zram"));
	if (s->backing) {
		char *lf = NULL;

		if (asprintf(&lf, "%s:%s", s->backing, s->image) >= 0) {
			json_object_object_add(o, "loop_file", json_object_new_string(lf));
			free(lf);
		}
	}
	json_object_object_add(o, "size", json_object_new_int64((int64_t)s->size));
	json_object_object_add(o, "mountpoint", json_object_new_string(s->mountpoint));
	for (size_t i = 0; i < s->n_binds; i++)
		json_object_array_add(binds, json_object_new_string(s->binds[i].target));
	json_object_object_add(o, "binds", binds);
	json_object_object_add(o, "subvolumes", strings(s->subvolumes, s->n_subvolumes));
	json_object_object_add(o, "read_only", json_object_new_boolean(s->read_only));
	if (s->options)
		json_object_object_add(o, "options", json_object_new_string(s->options));
	json_object_object_add(o, "outside", json_object_new_string(f->outside ? f->outside : ""));
	return o;
}

json_object *hvsim_vss_world_describe(const struct hvsim_vss_world *vw)
{
	json_object *o = json_object_new_object(), *fs = json_object_new_array();

	json_object_object_add(o, "own_root", json_object_new_boolean(vw != NULL));
	if (vw) {
		json_object_object_add(o, "root", json_object_new_string(vw->root));
		json_object_object_add(o, "world_pid", json_object_new_int64(vw->world_pid));
		json_object_object_add(o, "programs", strings(vw->programs, vw->n_programs));
		for (size_t i = 0; i < vw->n_fs; i++)
			json_object_array_add(fs, describe_fs(&vw->fs[i]));
	}
	json_object_object_add(o, "filesystems", fs);
	return o;
}

/* ---- teardown ------------------------------------------------------------------------------ */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGKILL to every process in the world's or hvsim's private namespace
 * (processes entered with nsenter are not our children); the number
 * still there. */
static size_t kill_world(const struct hvsim_vss_world *vw)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;
		pid_t pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)atol(de->d_name);
		if (pid == getpid() || ns_of(pid, &st) < 0)
			continue;
		if ((vw->have_world_ns && same_ns(&st, &vw->world_ns)) || same_ns(&st, &vw->own_ns)) {
			(void)kill(pid, SIGKILL);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void leave_world(struct hvsim_vss_world *vw)
{
	uint64_t deadline = hvsim_now_ms() + KILL_TIMEOUT_MS;
	struct stat cur, machine;

	if (vw->machine_ns < 0 || ns_of(0, &cur) < 0 || fstat(vw->machine_ns, &machine) < 0 ||
	    same_ns(&cur, &machine))
		return;
	while (vw->have_own_ns && kill_world(vw) > 0) {
		if (hvsim_now_ms() >= deadline) {
			hv_log_warning("processes of the world do not die; its file systems may stay busy");
			break;
		}
		sleep_ms(20);
	}
	if (setns(vw->machine_ns, CLONE_NEWNS) < 0)
		hv_log_err_errno(-errno, "cannot return to the machine's mount namespace (%m): the test file systems "
					 "stay mounted under %s", vw->fs_dir);
}

struct hvsim_vss_world *hvsim_vss_world_free(struct hvsim_vss_world *vw)
{
	if (!vw)
		return NULL;
	hvsim_vss_world_thaw_all(vw);
	leave_world(vw);
	for (size_t i = vw->n_fs; i-- > 0;) {
		struct vss_fs *f = &vw->fs[i];

		if (f->mounted && umount2(f->outside, MNT_DETACH) < 0)
			hv_log_warning_errno(-errno, "umount %s: %m", f->outside);
		/* With LO_FLAGS_AUTOCLEAR this detaches the loop device once
		 * the unmount let go of it. */
		f->loop_fd = hv_safe_close(f->loop_fd);
		if (f->dir_made && rmdir(f->outside) < 0)
			hv_log_warning_errno(-errno, "rmdir %s: %m", f->outside);
	}
	for (size_t i = vw->n_fs; i-- > 0;)
		if (vw->fs[i].zram >= 0)
			(void)hvsim_zram_remove(vw->fs[i].zram, ZRAM_REMOVE_TIMEOUT_MS);
	if (vw->fs_dir_made)
		(void)rmdir(vw->fs_dir);
	if (vw->root_dir_made)
		(void)rmdir(vw->root);
	for (size_t i = 0; i < vw->n_fs; i++)
		free(vw->fs[i].outside);
	for (size_t i = 0; i < vw->n_programs; i++)
		free(vw->programs[i]);
	free(vw->programs);
	hv_safe_close(vw->machine_ns);
	hv_safe_close(vw->ready[0]);
	hv_safe_close(vw->ready[1]);
	free(vw->state_dir);
	free(vw->fs_dir);
	free(vw->root);
	free(vw->vmbus_dir);
	free(vw);
	return NULL;
}
