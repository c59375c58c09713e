/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mount-namespace setup for a world.  See ns.h.
 *
 * Binds take their source as /proc/self/fd/N of an O_PATH descriptor
 * opened before the covering mount, which is how a file of the original
 * /dev or /sys stays reachable once a tmpfs hides it: no staging
 * directory on the machine is needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "ns.h"
#include "sysfs.h"

static int fd_path(int fd, char buf[static 64])
{
	snprintf(buf, 64, "/proc/self/fd/%d", fd);
	return 0;
}

static int bind_fd(int fd, const char *target, unsigned long extra)
{
	char src[64];

	fd_path(fd, src);
	if (mount(src, target, NULL, MS_BIND | extra, NULL) < 0)
		return hv_log_err_errno(-errno, "bind %s on %s: %m", src, target);
	return 0;
}

int hvsim_ns_enter(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return hv_log_err_errno(-errno, "unshare(CLONE_NEWNS): %m");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hv_log_err_errno(-errno, "making mounts private: %m");
	return 0;
}

/* ---- mirroring ------------------------------------------------------------ */

static int mirror_dir(const char *dir)
{
	_cleanup_close_ int oldfd = -EBADF;
	DIR *d;
	struct dirent *de;
	struct stat st;
	char opts[64];
	int r = 0;

	oldfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (oldfd < 0)
		return hv_log_err_errno(-errno, "open %s: %m", dir);
	if (fstat(oldfd, &st) < 0)
		return -errno;
	snprintf(opts, sizeof(opts), "mode=%o", st.st_mode & 07777);
	if (mount("tmpfs", dir, "tmpfs", 0, opts) < 0)
		return hv_log_err_errno(-errno, "mount tmpfs on %s: %m", dir);
	if (chown(dir, st.st_uid, st.st_gid) < 0)
		return -errno;

	d = fdopendir(fcntl(oldfd, F_DUPFD_CLOEXEC, 3));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char target[PATH_MAX], src[PATH_MAX + 64];
		struct stat est;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(oldfd, de->d_name, &est, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(target, sizeof(target), "%s/%s", dir, de->d_name);
		if (S_ISLNK(est.st_mode)) {
			char link[PATH_MAX];
			ssize_t n = readlinkat(oldfd, de->d_name, link, sizeof(link) - 1);

			if (n < 0)
				continue;
			link[n] = '\0';
			if (symlink(link, target) < 0) {
				r = hv_log_err_errno(-errno, "symlink %s: %m", target);
				break;
			}
			(void)lchown(target, est.st_uid, est.st_gid);
			continue;
		}
		if (S_ISDIR(est.st_mode)) {
			if (mkdir(target, est.st_mode & 07777) < 0) {
				r = -errno;
				break;
			}
		} else {
			int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

			if (fd < 0) {
				r = -errno;
				break;
			}
			close(fd);
		}
		snprintf(src, sizeof(src), "/proc/self/fd/%d/%s", oldfd, de->d_name);
		if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
			r = hv_log_err_errno(-errno, "bind %s back into the mirror: %m", target);
			break;
		}
	}
	closedir(d);
	return r;
}

int hvsim_ns_ensure_dir(const char *path, bool *ret_mirrored)
{
	_cleanup_free_ char *parent = NULL;
	bool local = false;
	struct stat st;
	char *slash;
	int r;

	/* *ret_mirrored: the directory we return lives in a tmpfs of ours. */
	if (!ret_mirrored)
		ret_mirrored = &local;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return hv_log_err_errno(-ENOTDIR, "%s exists and is not a directory", path);
		return 0;
	}
	if (errno != ENOENT)
		return -errno;
	parent = strdup(path);
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return hv_log_err_errno(-EINVAL, "refusing to mirror / for %s", path);
	*slash = '\0';
	r = hvsim_ns_ensure_dir(parent, ret_mirrored);
	if (r < 0)
		return r;
	/* The parent exists (perhaps just made in a mirror).  If it is a
	 * tmpfs we mounted, mkdir works; on the machine's file systems we
	 * must not write, so mirror it first. */
	if (!*ret_mirrored) {
		r = mirror_dir(parent);
		if (r < 0)
			return r;
		*ret_mirrored = true;
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return hv_log_err_errno(-errno, "mkdir %s: %m", path);
	return 0;
}

/* ---- /dev -------------------------------------------------------------------- */

int hvsim_ns_setup_dev(void)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty", "fuse" };
	int fds[ELEMENTSOF(nodes)];
	char log_link[PATH_MAX] = "";
	int log_fd = -EBADF;
	struct stat st;
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		fds[i] = open(path, O_PATH | O_CLOEXEC);
		if (fds[i] < 0 && strcmp(nodes[i], "fuse") == 0) {
			r = hv_log_err_errno(-errno, "/dev/fuse: %m (hvsim needs FUSE)");
			goto out;
		}
	}
	/* /dev/log: the journal's socket (usually a symlink into /run). */
	if (lstat("/dev/log", &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink("/dev/log", log_link, sizeof(log_link) - 1);

			log_link[n > 0 ? n : 0] = '\0';
		} else if (S_ISSOCK(st.st_mode)) {
			log_fd = open("/dev/log", O_PATH | O_CLOEXEC);
		}
	}

	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=4m") < 0) {
		r = hv_log_err_errno(-errno, "mount tmpfs on /dev: %m");
		goto out;
	}
	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		char path[64];
		int fd;

		if (fds[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		close(fd);
		r = bind_fd(fds[i], path, 0);
		if (r < 0)
			goto out;
	}
	if (log_link[0]) {
		(void)symlink(log_link, "/dev/log");
	} else if (log_fd >= 0) {
		int fd = open("/dev/log", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);

		if (fd >= 0) {
			close(fd);
			(void)bind_fd(log_fd, "/dev/log", 0);
		}
	}

	if (mkdir("/dev/pts", 0755) < 0 ||
	    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		hv_log_warning("no private devpts: %m, continuing without /dev/pts");
	else if (symlink("pts/ptmx", "/dev/ptmx") < 0)
		hv_log_warning("/dev/ptmx: %m");
	if (mkdir("/dev/shm", 01777) < 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		hv_log_warning("no /dev/shm: %m");
	(void)symlink("/proc/self/fd", "/dev/fd");
	(void)symlink("/proc/self/fd/0", "/dev/stdin");
	(void)symlink("/proc/self/fd/1", "/dev/stdout");
	(void)symlink("/proc/self/fd/2", "/dev/stderr");
	if (mkdir("/dev/vmbus", 0755) < 0)
		r = hv_log_err_errno(-errno, "mkdir /dev/vmbus: %m");
out:
	for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
		hv_safe_close(fds[i]);
	hv_safe_close(log_fd);
	return r;
}

/* ---- /sys ------------------------------------------------------------------------ */

struct net_bind {
	int fd;
	char rel[PATH_MAX]; /* relative to /sys, e.g. "devices/pci0000:00/.../net" */
};

#define MAX_NET_BINDS 64

/* Collects, from the fresh sysfs mounted at base, the net directories that
 * class/net links point into outside devices/virtual/net. */
static size_t collect_net_dirs(const char *base, struct net_bind *binds, size_t max)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/class/net", base);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char link[PATH_MAX], path[2 * PATH_MAX + 32], *slash;
		const char *rel;
		ssize_t len;
		bool dup = false;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		/* "../../devices/<...>/net/<ifname>" */
		if (strncmp(link, "../../", 6) != 0)
			continue;
		rel = link + 6;
		if (strncmp(rel, "devices/virtual/net/", 20) == 0)
			continue;
		slash = strrchr(link, '/');
		if (!slash)
			continue;
		*slash = '\0';
		for (size_t i = 0; i < n; i++)
			if (strcmp(binds[i].rel, rel) == 0)
				dup = true;
		if (dup)
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, rel);
		binds[n].fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (binds[n].fd < 0)
			continue;
		snprintf(binds[n].rel, sizeof(binds[n].rel), "%s", rel);
		n++;
	}
	closedir(d);
	return n;
}

static int mkdir_p_abs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

#define SYS_STAGE "/sys/.hvsim-sysfs"

int hvsim_ns_setup_sys(const struct hvsim_world *w)
{
	struct net_bind *extra = NULL;
	size_t n_extra = 0;
	int class_net = -EBADF, virtual_net = -EBADF, rootfd = -EBADF;
	bool have_net = false, staged = false;
	int r;

	extra = calloc(MAX_NET_BINDS, sizeof(*extra));
	if (!extra)
		return -ENOMEM;
	r = mount("tmpfs", "/sys", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755");
	if (r < 0) {
		r = hv_log_err_errno(-errno, "mount tmpfs on /sys: %m");
		goto out;
	}
	/* A fresh sysfs shows the network namespace we are in now.  It is
	 * mounted on a staging directory (the same superblock cannot be
	 * stacked on the /sys it is already mounted on), its net
	 * directories are bound into the tree, then the staging mount goes. */
	if (mkdir(SYS_STAGE, 0700) == 0 &&
	    mount("sysfs", SYS_STAGE, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		staged = true;
		class_net = open(SYS_STAGE "/class/net", O_PATH | O_DIRECTORY | O_CLOEXEC);
		virtual_net = open(SYS_STAGE "/devices/virtual/net", O_PATH | O_DIRECTORY | O_CLOEXEC);
		n_extra = collect_net_dirs(SYS_STAGE, extra, MAX_NET_BINDS);
		have_net = class_net >= 0 && virtual_net >= 0;
	} else {
		hv_log_warning("no fresh sysfs (%m): /sys/class/net stays empty");
	}

	rootfd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = -errno;
		goto out;
	}
	r = hvsim_sysfs_build(rootfd, w);
	if (r < 0) {
		hv_log_err_errno(r, "building the fake sysfs: %m");
		goto out;
	}
	if (have_net) {
		r = bind_fd(class_net, "/sys/class/net", 0);
		if (r >= 0)
			r = bind_fd(virtual_net, "/sys/devices/virtual/net", 0);
		if (r < 0)
			goto out;
		for (size_t i = 0; i < n_extra; i++) {
			char path[PATH_MAX + 8];

			snprintf(path, sizeof(path), "/sys/%s", extra[i].rel);
			if (mkdir_p_abs(path) < 0 || bind_fd(extra[i].fd, path, 0) < 0)
				hv_log_warning("cannot show %s in the world, ignoring", path);
		}
	}
	r = 0;
out:
	/* Binds need their source mounted in this namespace: the staging
	 * mount goes only now. */
	if (staged && umount2(SYS_STAGE, MNT_DETACH) < 0)
		hv_log_warning("umount %s: %m", SYS_STAGE);
	(void)rmdir(SYS_STAGE);
	for (size_t i = 0; i < n_extra; i++)
		hv_safe_close(extra[i].fd);
	free(extra);
	hv_safe_close(class_net);
	hv_safe_close(virtual_net);
	hv_safe_close(rootfd);
	return r;
}

/* ---- /var/lib/hyperv and /run/hvutils ------------------------------------------------ */

int hvsim_ns_setup_state(const char *state_dir)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	/* Opened before any mirroring, so a state directory under
	 * /var/lib stays reachable. */
	fd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hv_log_err_errno(-errno, "state directory %s: %m", state_dir);
	r = hvsim_ns_ensure_dir("/var/lib/hyperv", NULL);
	if (r < 0)
		return r;
	return bind_fd(fd, "/var/lib/hyperv", 0);
}

int hvsim_ns_setup_run(void)
{
	int r;

	r = hvsim_ns_ensure_dir("/run/hvutils", NULL);
	if (r < 0)
		return r;
	if (mount("tmpfs", "/run/hvutils", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return hv_log_err_errno(-errno, "mount tmpfs on /run/hvutils: %m");
	return 0;
}
