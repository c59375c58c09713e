/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/vss-plan and its parser base/mountinfo: fixture mount tables of
 * typical guests (Debian VM, btrfs, bind mounts, read-only, network, FUSE,
 * docker overlay, loop chains and their failure modes, exclusion globs,
 * escaped names) planned through fake facts, with the exact freeze order
 * and every skip reason and detail; the reference daemon's choice
 * (PROTOCOL.md §6.3) on the same tables; the parser's fields, escapes and
 * errors; and the system facts over a fixture /proc and /sys built in a
 * temporary directory.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/mountinfo.h"
#include "base/path.h"
#include "services/vss-plan.h"

/* ---- fake facts ---- */

/* What a Debian 12 kernel lists as "nodev" in /proc/filesystems. */
static const char *const nodev_types[] = {
	"sysfs", "tmpfs", "bdev", "proc", "cgroup", "cgroup2", "cpuset", "devtmpfs", "configfs",
	"debugfs", "tracefs", "securityfs", "sockfs", "bpf", "pipefs", "ramfs", "hugetlbfs",
	"devpts", "mqueue", "pstore", "autofs", "efivarfs", "fuse", "fusectl", "overlay",
	"rpc_pipefs", "nfs", "nfs4", "nfsd", "cifs", "smb3", "9p", "binfmt_misc",
};
static const char *const block_types[] = { "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "fuseblk", "iso9660" };

struct fake_loop {
	unsigned major, minor; /* the device asked about */
	int r;                 /* what loop_backing_dev returns */
	unsigned bmajor, bminor;
};

struct fake {
	const struct fake_loop *loops;
	size_t n_loops;
	const char *const *files; /* mount points that are files */
	char asked_dir[32][64];
	size_t n_asked_dir;
	unsigned asked_loop[32][2];
	size_t n_asked_loop;
};

static bool listed(const char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

static int fake_nodev(void *u _unused_, const char *t)
{
	char base[64];

	snprintf(base, sizeof(base), "%.*s", (int)strcspn(t, "."), t);
	if (listed(nodev_types, ELEMENTSOF(nodev_types), base))
		return 1;
	if (listed(block_types, ELEMENTSOF(block_types), base))
		return 0;
	return -ENOENT;
}

static int fake_loop_dev(void *u, unsigned major, unsigned minor, dev_t *ret)
{
	struct fake *f = u;

	if (f->n_asked_loop < ELEMENTSOF(f->asked_loop)) {
		f->asked_loop[f->n_asked_loop][0] = major;
		f->asked_loop[f->n_asked_loop++][1] = minor;
	}
	for (size_t i = 0; i < f->n_loops; i++)
		if (f->loops[i].major == major && f->loops[i].minor == minor) {
			if (f->loops[i].r == 1)
				*ret = makedev(f->loops[i].bmajor, f->loops[i].bminor);
			return f->loops[i].r;
		}
	return 0;
}

static int fake_is_dir(void *u, const char *mp)
{
	struct fake *f = u;

	if (f->n_asked_dir < ELEMENTSOF(f->asked_dir))
		snprintf(f->asked_dir[f->n_asked_dir++], sizeof(f->asked_dir[0]), "%s", mp);
	for (const char *const *p = f->files; p && *p; p++)
		if (strcmp(*p, mp) == 0)
			return 0;
	return 1;
}

static struct hv_vss_plan_facts fake_facts(struct fake *f)
{
	return (struct hv_vss_plan_facts){
		.fs_is_nodev = fake_nodev,
		.loop_backing_dev = fake_loop_dev,
		.mountpoint_is_dir = fake_is_dir,
		.userdata = f,
	};
}

/* ---- the fixture tables ---- */

struct want {
	const char *mp;
	const char *skip;
	const char *detail;  /* NULL: no detail */
	const char *backing; /* loop_backing_mount; NULL: none */
};

struct plan_case {
	const char *name;
	const char *mountinfo;
	const char *exclude[4];
	struct fake_loop loops[10];
	const char *files[4];
	bool like_reference; /* the reference daemon freezes the same superblocks */
	const char *freeze[12];
	struct want want[32];
};

#define NODEV(mp, t) { mp, "no-block-device", t " has no block device (nodev)", NULL }
#define FROZEN(mp) { mp, "frozen", NULL, NULL }
#define ROOT { "/", "frozen", "root file system, frozen last", NULL }

static const struct plan_case cases[] = {
	{
		.name = "debian-vm",
		.like_reference = true,
		.mountinfo =
			"22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
			"23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
			"24 28 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=1967668k,nr_inodes=491917,mode=755,inode64\n"
			"25 24 0:23 / /dev/pts rw,nosuid,noexec,relatime shared:3 - devpts devpts rw,gid=5,mode=620,ptmxmode=000\n"
			"26 28 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=396528k,mode=755,inode64\n"
			"28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
			"29 22 0:6 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:8 - securityfs securityfs rw\n"
			"30 24 0:25 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs tmpfs rw,inode64\n"
			"31 26 0:26 / /run/lock rw,nosuid,nodev,noexec,relatime shared:6 - tmpfs tmpfs rw,size=5120k,inode64\n"
			"32 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
			"33 22 0:28 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw\n"
			"34 22 0:29 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:11 - bpf bpf rw,mode=700\n"
			"35 23 0:30 / /proc/sys/fs/binfmt_misc rw,relatime shared:13 - autofs systemd-1 rw,fd=29,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=11530\n"
			"36 24 0:19 / /dev/mqueue rw,nosuid,nodev,noexec,relatime shared:14 - mqueue mqueue rw\n"
			"37 24 0:31 / /dev/hugepages rw,relatime shared:15 - hugetlbfs hugetlbfs rw,pagesize=2M\n"
			"38 22 0:7 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:16 - debugfs debugfs rw\n"
			"39 22 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:17 - tracefs tracefs rw\n"
			"40 22 0:32 / /sys/fs/fuse/connections rw,nosuid,nodev,noexec,relatime shared:18 - fusectl fusectl rw\n"
			"41 22 0:20 / /sys/kernel/config rw,nosuid,nodev,noexec,relatime shared:19 - configfs configfs rw\n"
			"60 28 8:2 / /boot rw,relatime shared:31 - ext4 /dev/sda2 rw\n"
			"63 60 8:15 / /boot/efi rw,relatime shared:33 - vfat /dev/sda15 rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro\n"
			"64 26 0:40 / /run/user/1000 rw,nosuid,nodev,relatime shared:381 - tmpfs tmpfs rw,size=396524k,nr_inodes=99131,mode=700,uid=1000,gid=1000,inode64\n",
		.freeze = { "/boot", "/" },
		.want = {
			NODEV("/sys", "sysfs"),
			NODEV("/proc", "proc"),
			NODEV("/dev", "devtmpfs"),
			NODEV("/dev/pts", "devpts"),
			NODEV("/run", "tmpfs"),
			ROOT,
			NODEV("/sys/kernel/security", "securityfs"),
			NODEV("/dev/shm", "tmpfs"),
			NODEV("/run/lock", "tmpfs"),
			NODEV("/sys/fs/cgroup", "cgroup2"),
			NODEV("/sys/fs/pstore", "pstore"),
			NODEV("/sys/fs/bpf", "bpf"),
			NODEV("/proc/sys/fs/binfmt_misc", "autofs"),
			NODEV("/dev/mqueue", "mqueue"),
			NODEV("/dev/hugepages", "hugetlbfs"),
			NODEV("/sys/kernel/debug", "debugfs"),
			NODEV("/sys/kernel/tracing", "tracefs"),
			NODEV("/sys/fs/fuse/connections", "fusectl"),
			NODEV("/sys/kernel/config", "configfs"),
			FROZEN("/boot"),
			{ "/boot/efi", "vfat", "vfat cannot be frozen (no freeze support in its driver)", NULL },
			NODEV("/run/user/1000", "tmpfs"),
		},
	},
	{
		/* btrfs: major 0 in mountinfo, yet a block file system. */
		.name = "btrfs-subvolumes",
		.like_reference = true,
		.mountinfo =
			"50 1 0:33 /@ / rw,relatime shared:1 - btrfs /dev/sda3 rw,compress=zstd:1,ssd,space_cache=v2,subvolid=257,subvol=/@\n"
			"51 50 0:33 /@home /home rw,relatime shared:2 - btrfs /dev/sda3 rw,compress=zstd:1,ssd,space_cache=v2,subvolid=256,subvol=/@home\n"
			"52 50 8:2 / /boot rw,relatime shared:3 - ext4 /dev/sda2 rw\n"
			"53 50 0:33 /@snapshots /.snapshots rw,relatime shared:4 - btrfs /dev/sda3 rw,subvolid=258,subvol=/@snapshots\n"
			"54 50 0:33 /@/var/lib/portables /var/lib/portables rw,relatime shared:5 - btrfs /dev/sda3 rw,subvolid=257,subvol=/@\n"
			"55 50 0:34 / /tmp rw,nosuid,nodev shared:6 - tmpfs tmpfs rw\n",
		.freeze = { "/boot", "/" },
		.want = {
			ROOT,
			{ "/home", "duplicate", "btrfs subvolume /@home (same file system as /, 0:33)", NULL },
			FROZEN("/boot"),
			{ "/.snapshots", "duplicate", "btrfs subvolume /@snapshots (same file system as /, 0:33)", NULL },
			{ "/var/lib/portables", "duplicate", "bind mount of /var/lib/portables (same file system 0:33)", NULL },
			NODEV("/tmp", "tmpfs"),
		},
	},
	{
		.name = "bind-mounts",
		.like_reference = true,
		.files = { "/etc/app.conf" },
		.mountinfo =
			"28 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			"39 28 8:17 /conf/app.conf /etc/app.conf rw,relatime - ext4 /dev/sdb1 rw\n"
			"40 28 8:17 / /srv rw,relatime - ext4 /dev/sdb1 rw\n"
			"41 28 8:17 / /export/srv rw,relatime - ext4 /dev/sdb1 rw\n"
			"42 28 8:17 /www /var/www rw,relatime - ext4 /dev/sdb1 rw\n"
			"43 28 8:1 /var/lib/x /mnt/x rw,relatime - ext4 /dev/sda1 rw\n"
			"44 28 8:17 / /mnt/ro-view ro,relatime - ext4 /dev/sdb1 rw\n",
		.freeze = { "/srv", "/" },
		.want = {
			ROOT,
			{ "/etc/app.conf", "duplicate", "bind-mounted file /srv/conf/app.conf (same file system 8:17)", NULL },
			FROZEN("/srv"),
			{ "/export/srv", "duplicate", "bind mount of /srv (same file system 8:17)", NULL },
			{ "/var/www", "duplicate", "bind mount of /srv/www (same file system 8:17)", NULL },
			{ "/mnt/x", "duplicate", "bind mount of /var/lib/x (same file system 8:1)", NULL },
			{ "/mnt/ro-view", "duplicate", "bind mount of /srv (same file system 8:17)", NULL },
		},
	},
	{
		.name = "read-only",
		.like_reference = true,
		.mountinfo =
			"28 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			"40 28 8:17 / /data ro,relatime - ext4 /dev/sdb1 rw\n"
			"41 28 8:17 / /data-rw rw,relatime - ext4 /dev/sdb1 rw\n"
			"42 28 8:33 / /archive ro,relatime - ext4 /dev/sdc1 ro\n"
			"43 28 8:49 / /media rw,relatime - ext4 /dev/sdd1 ro,errors=remount-ro\n"
			"44 28 11:0 / /media/cdrom ro,relatime - iso9660 /dev/sr0 ro\n"
			"45 28 8:65 / /ro-bind ro,nosuid - xfs /dev/sde1 rw,rootcontext=\"system_u:object_r:ro,x\"\n",
		.freeze = { "/data-rw", "/" },
		.want = {
			ROOT,
			{ "/data", "duplicate", "bind mount of /data-rw (same file system 8:17)", NULL },
			FROZEN("/data-rw"),
			{ "/archive", "read-only", "read-only file system", NULL },
			{ "/media", "read-only", "read-only file system", NULL },
			{ "/media/cdrom", "read-only", "read-only file system", NULL },
			{ "/ro-bind", "read-only", "read-only mount", NULL },
		},
	},
	{
		.name = "network",
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 0:50 / /home rw,relatime shared:40 - nfs4 server:/export/home rw,vers=4.2,addr=10.0.0.2\n"
			"41 28 0:51 / /mnt/share rw - cifs //fileserver/share rw,vers=3.1.1\n"
			"42 28 0:52 / /mnt/9p rw - 9p hostshare rw,trans=virtio\n"
			"43 28 0:53 / /mnt/gluster rw - fuse.glusterfs gluster1:/vol rw,user_id=0\n"
			"44 22 0:54 / /run/rpc_pipefs rw - rpc_pipefs sunrpc rw\n"
			"45 28 0:55 / /mnt/nfs3 rw - nfs /dev/fake rw\n",
		.freeze = { "/" },
		.want = {
			ROOT,
			{ "/home", "network", "nfs4 is a network file system", NULL },
			{ "/mnt/share", "network", "cifs is a network file system", NULL },
			{ "/mnt/9p", "network", "9p is a network file system", NULL },
			{ "/mnt/gluster", "network", "fuse.glusterfs is a network file system (FUSE)", NULL },
			NODEV("/run/rpc_pipefs", "rpc_pipefs"),
			/* Type wins over a source that looks like a device. */
			{ "/mnt/nfs3", "network", "nfs is a network file system", NULL },
		},
	},
	{
		.name = "fuse",
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 0:55 / /home/u/remote rw,nosuid,nodev - fuse.sshfs u@host:/srv rw,user_id=1000,group_id=1000\n"
			"41 28 8:33 / /mnt/win rw - fuseblk /dev/sdc1 rw,user_id=0,group_id=0,allow_other,blksize=4096\n"
			"42 28 0:56 / /run/user/1000/doc rw - fuse.portal portal rw,user_id=1000\n"
			"43 22 0:32 / /sys/fs/fuse/connections rw - fusectl fusectl rw\n"
			"44 28 0:57 / /run/user/1000/gvfs rw - fuse gvfsd-fuse rw,user_id=1000\n",
		.freeze = { "/" },
		.want = {
			ROOT,
			{ "/home/u/remote", "network", "fuse.sshfs is a network file system (FUSE)", NULL },
			{ "/mnt/win", "fuse", "fuseblk is a FUSE file system (served by a user-space process)", NULL },
			{ "/run/user/1000/doc", "fuse", "fuse.portal is a FUSE file system (served by a user-space process)", NULL },
			NODEV("/sys/fs/fuse/connections", "fusectl"),
			{ "/run/user/1000/gvfs", "fuse", "fuse is a FUSE file system (served by a user-space process)", NULL },
		},
	},
	{
		.name = "docker-overlay",
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 8:17 / /var/lib/docker rw,relatime - ext4 /dev/sdb1 rw\n"
			"41 40 0:60 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X:/var/lib/docker/overlay2/l/Y,upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work\n"
			"42 26 0:4 net:[4026532290] /run/docker/netns/1234 rw - nsfs nsfs rw\n"
			"43 40 0:62 / /var/lib/docker/containers/abc/mounts/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n",
		.freeze = { "/var/lib/docker", "/" },
		.want = {
			ROOT,
			FROZEN("/var/lib/docker"),
			{ "/var/lib/docker/overlay2/abc/merged", "overlay",
			  "overlay has no device of its own; its layers are frozen with the file systems holding them", NULL },
			/* nsfs is not in /proc/filesystems: the source decides. */
			{ "/run/docker/netns/1234", "no-block-device", "source \"nsfs\" is not a /dev/ node", NULL },
			NODEV("/var/lib/docker/containers/abc/mounts/shm", "tmpfs"),
		},
	},
	{
		.name = "loop-chain",
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 8:17 / /data rw - ext4 /dev/sdb1 rw\n"
			"41 28 7:0 / /mnt/img rw - ext4 /dev/loop0 rw\n"
			"42 28 7:1 / /mnt/inner rw - xfs /dev/loop1 rw\n"
			"43 28 8:33 / /z rw - ext4 /dev/sdc1 rw\n"
			"44 28 253:3 / /mnt/rootimg rw - ext4 /dev/mapper/rootimg rw\n",
		.loops = {
			{ 7, 0, 1, 8, 17 },  /* backing file on /data */
			{ 7, 1, 1, 7, 0 },   /* on /mnt/img: a chain */
			{ 253, 3, 1, 8, 1 }, /* dm on a loop whose file is on / */
		},
		.freeze = { "/mnt/inner", "/mnt/img", "/data", "/z", "/mnt/rootimg", "/" },
		.want = {
			ROOT,
			FROZEN("/data"),
			{ "/mnt/img", "frozen", "on /dev/loop0, backing file on /data", "/data" },
			{ "/mnt/inner", "frozen", "on /dev/loop1, backing file on /mnt/img", "/mnt/img" },
			FROZEN("/z"),
			{ "/mnt/rootimg", "frozen", "on /dev/mapper/rootimg, backing file on /", "/" },
		},
	},
	{
		/* A loop file system on "/" itself: "/" goes before the file
		 * system holding its backing file, as late as that allows. */
		.name = "loop-root",
		.mountinfo =
			"20 1 8:1 / /host rw - ext4 /dev/sda1 rw\n"
			"28 1 7:0 / / rw - ext4 /dev/loop0 rw\n"
			"40 28 8:17 / /z rw - ext4 /dev/sdb1 rw\n",
		.loops = { { 7, 0, 1, 8, 1 } },
		.freeze = { "/z", "/", "/host" },
		.want = {
			FROZEN("/host"),
			{ "/", "frozen", "on /dev/loop0, backing file on /host", "/host" },
			FROZEN("/z"),
		},
	},
	{
		.name = "loop-degraded",
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 7:0 / /mnt/a rw - ext4 /dev/loop0 rw\n"
			"41 28 7:1 / /mnt/b rw - ext4 /dev/loop1 rw\n"
			"42 28 0:70 / /run/images rw - tmpfs tmpfs rw\n"
			"43 28 7:2 / /mnt/c rw - ext4 /dev/loop2 rw\n"
			"44 28 7:3 / /mnt/d rw - ext4 /dev/loop3 rw\n"
			"45 28 7:4 / /mnt/e rw - ext4 /dev/loop4 rw\n"
			"46 28 7:5 / /mnt/f rw - ext4 /dev/loop5 rw\n"
			"47 28 253:3 / /mnt/g rw - ext4 /dev/mapper/g rw\n"
			"48 28 7:6 / /mnt/h rw - ext4 /dev/loop6 rw\n",
		.loops = {
			{ 7, 0, -ENOENT, 0, 0 }, /* backing file deleted */
			{ 7, 1, 1, 9, 9 },       /* on a device nothing mounts */
			{ 7, 2, 1, 0, 70 },      /* on a tmpfs: not frozen, no constraint */
			{ 7, 3, 1, 7, 4 },       /* d on e ... */
			{ 7, 4, 1, 7, 3 },       /* ... and e on d */
			{ 7, 5, 1, 7, 5 },       /* on itself */
			{ 253, 3, -EXDEV, 0, 0 },
			{ 7, 6, 1, 7, 3 },       /* leads into the cycle: keeps its edge */
		},
		/* Of what is ready, always the earliest mount: /mnt/d waits for /mnt/h. */
		.freeze = { "/mnt/a", "/mnt/b", "/mnt/c", "/mnt/e", "/mnt/f", "/mnt/g", "/mnt/h", "/mnt/d", "/" },
		.want = {
			ROOT,
			{ "/mnt/a", "frozen",
			  "on /dev/loop0, a loop device whose backing file system is unknown (No such file or directory); mount order kept",
			  NULL },
			{ "/mnt/b", "frozen", "on /dev/loop1, backing file on device 9:9, which has no mount; mount order kept", NULL },
			NODEV("/run/images", "tmpfs"),
			{ "/mnt/c", "frozen", "on /dev/loop2, backing file on /run/images (no-block-device, not frozen)", "/run/images" },
			{ "/mnt/d", "frozen", "loop backing files form a cycle (/mnt/d -> /mnt/e -> /mnt/d); mount order kept", "/mnt/e" },
			{ "/mnt/e", "frozen", "loop backing files form a cycle (/mnt/d -> /mnt/e -> /mnt/d); mount order kept", "/mnt/d" },
			{ "/mnt/f", "frozen", "loop backing files form a cycle (/mnt/f -> /mnt/f); mount order kept", "/mnt/f" },
			{ "/mnt/g", "frozen",
			  "on /dev/mapper/g, stacked on loop devices whose backing files are on different file systems; mount order kept",
			  NULL },
			{ "/mnt/h", "frozen", "on /dev/loop6, backing file on /mnt/d", "/mnt/d" },
		},
	},
	{
		.name = "exclude-globs",
		.exclude = { "/mnt/backup*", "/srv/scratch", "[" },
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 8:17 / /mnt/backup rw - ext4 /dev/sdb1 rw\n"
			"41 40 8:33 / /mnt/backup/deep/disk rw - xfs /dev/sdc1 rw\n"
			"42 28 8:49 / /srv/scratch rw - ext4 /dev/sdd1 rw\n"
			"43 28 8:49 / /export/scratch rw - ext4 /dev/sdd1 rw\n"
			"44 28 0:80 / /mnt/backup-tmp rw - tmpfs tmpfs rw\n"
			"45 28 8:65 / /mnt/backupx ro - ext4 /dev/sde1 rw\n",
		.freeze = { "/export/scratch", "/" },
		.want = {
			ROOT,
			{ "/mnt/backup", "excluded", "matches exclude-mounts glob /mnt/backup*", NULL },
			{ "/mnt/backup/deep/disk", "excluded", "matches exclude-mounts glob /mnt/backup*", NULL },
			{ "/srv/scratch", "duplicate",
			  "bind mount of /export/scratch (same file system 8:49); matches exclude-mounts glob /srv/scratch, but the file system is frozen through /export/scratch",
			  NULL },
			FROZEN("/export/scratch"),
			NODEV("/mnt/backup-tmp", "tmpfs"),
			{ "/mnt/backupx", "excluded", "matches exclude-mounts glob /mnt/backup*", NULL },
		},
	},
	{
		.name = "escapes",
		.exclude = { "/mnt/tab\t*" },
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 8:17 / /mnt/my\\040disk rw - ext4 /dev/sdb1 rw\n"
			"41 28 8:33 / /mnt/tab\\011and\\012nl rw - ext4 /dev/sdc1 rw\n"
			"42 28 8:49 / /mnt/back\\134slash rw - ext4 /dev/disk/by-label/x\\040y rw\n"
			"43 28 8:17 /sub\\040dir /mnt/hash\\043 rw - ext4 /dev/sdb1 rw\n",
		.freeze = { "/mnt/my disk", "/mnt/back\\slash", "/" },
		.want = {
			ROOT,
			FROZEN("/mnt/my disk"),
			{ "/mnt/tab\tand\nnl", "excluded", "matches exclude-mounts glob /mnt/tab\t*", NULL },
			FROZEN("/mnt/back\\slash"),
			{ "/mnt/hash#", "duplicate", "bind mount of /mnt/my disk/sub dir (same file system 8:17)", NULL },
		},
	},
	{
		.name = "over-mounts",
		.mountinfo =
			"28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			"40 28 8:17 / /mnt/x rw - ext4 /dev/sdb1 rw\n"
			"41 40 8:33 / /mnt/x rw - ext4 /dev/sdc1 rw\n"
			"42 28 8:49 / /mnt/y rw - ext4 /dev/sdd1 rw\n"
			"43 42 0:90 / /mnt/y rw - tmpfs  rw\n"
			"44 28 8:49 / /srv/y rw - ext4 /dev/sdd1 rw\n"
			"45 28 0:91 / /mnt/none rw - ext4 none rw\n",
		.freeze = { "/mnt/x", "/mnt/x", "/srv/y", "/" },
		.want = {
			ROOT,
			{ "/mnt/x", "frozen", "mount point covered by a later mount at the same path: the freezer may not reach it", NULL },
			FROZEN("/mnt/x"),
			{ "/mnt/y", "duplicate", "bind mount of /srv/y (same file system 8:49)", NULL },
			NODEV("/mnt/y", "tmpfs"),
			FROZEN("/srv/y"),
			{ "/mnt/none", "no-block-device", "source \"none\" is not a /dev/ node", NULL },
		},
	},
};

struct case_ref {
	size_t i;
};

static struct case_ref case_refs[ELEMENTSOF(cases)];

static void check_plan(const struct plan_case *c, const struct hv_vss_plan *plan)
{
	size_t n_want = 0, n_freeze = 0;

	while (n_want < ELEMENTSOF(c->want) && c->want[n_want].mp)
		n_want++;
	while (n_freeze < ELEMENTSOF(c->freeze) && c->freeze[n_freeze])
		n_freeze++;
	cr_assert_eq(plan->n_entries, n_want, "%s: %zu entries", c->name, plan->n_entries);
	for (size_t i = 0; i < n_want; i++) {
		const struct hv_vss_plan_entry *e = &plan->entries[i];
		const struct want *w = &c->want[i];

		cr_assert_str_eq(e->mountpoint, w->mp, "%s: entry %zu", c->name, i);
		cr_assert_str_eq(hv_vss_skip_to_string(e->skip), w->skip, "%s: %s", c->name, w->mp);
		if (w->detail)
			cr_assert(e->detail && strcmp(e->detail, w->detail) == 0, "%s: %s: detail \"%s\", want \"%s\"",
				  c->name, w->mp, e->detail ?: "(null)", w->detail);
		else
			cr_assert_null(e->detail, "%s: %s: detail \"%s\"", c->name, w->mp, e->detail);
		if (w->backing)
			cr_assert(e->loop_backing_mount && strcmp(e->loop_backing_mount, w->backing) == 0,
				  "%s: %s: backing %s", c->name, w->mp, e->loop_backing_mount ?: "(null)");
		else
			cr_assert_null(e->loop_backing_mount, "%s: %s", c->name, w->mp);
		cr_assert_eq(e->order < 0, e->skip != HV_VSS_SKIP_NONE, "%s: %s: order %d", c->name, w->mp, e->order);
	}
	cr_assert_eq(plan->n_freeze, n_freeze, "%s: %zu frozen", c->name, plan->n_freeze);
	for (size_t k = 0; k < n_freeze; k++) {
		const struct hv_vss_plan_entry *e = &plan->entries[plan->freeze[k]];

		cr_assert_str_eq(e->mountpoint, c->freeze[k], "%s: freeze[%zu]", c->name, k);
		cr_assert_eq(e->order, (int)k, "%s: freeze[%zu] order", c->name, k);
		cr_assert_eq(e->skip, HV_VSS_SKIP_NONE);
	}
}

static struct hv_vss_plan *plan_case(const struct plan_case *c, struct fake *f)
{
	struct hv_vss_plan_facts facts;
	struct hv_vss_plan *plan = NULL;
	char *err = NULL;
	size_t n_loops = 0;

	while (n_loops < ELEMENTSOF(c->loops) && c->loops[n_loops].major)
		n_loops++;
	*f = (struct fake){ .loops = c->loops, .n_loops = n_loops, .files = c->files };
	facts = fake_facts(f);
	cr_assert_eq(hv_vss_plan_build(c->mountinfo, &facts, c->exclude[0] ? (char *const *)c->exclude : NULL, &plan,
				       &err),
		     0, "%s: %s", c->name, err ?: "");
	cr_assert_null(err);
	cr_assert_not_null(plan);
	return plan;
}

ParameterizedTestParameters(vss_plan, tables)
{
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		case_refs[i].i = i;
	return cr_make_param_array(struct case_ref, case_refs, ELEMENTSOF(case_refs));
}

ParameterizedTest(struct case_ref *ref, vss_plan, tables)
{
	const struct plan_case *c = &cases[ref->i];
	struct fake f;
	struct hv_vss_plan *plan = plan_case(c, &f);

	check_plan(c, plan);
	/* Facts are asked only where they matter: loop devices only for
	 * what would be frozen, never a stat of a network or FUSE mount. */
	for (size_t k = 0; k < f.n_asked_loop; k++) {
		bool planned = false;

		for (size_t i = 0; i < plan->n_entries; i++)
			if (plan->entries[i].major == f.asked_loop[k][0] && plan->entries[i].minor == f.asked_loop[k][1] &&
			    plan->entries[i].skip == HV_VSS_SKIP_NONE)
				planned = true;
		cr_assert(planned, "%s: asked about %u:%u", c->name, f.asked_loop[k][0], f.asked_loop[k][1]);
	}
	for (size_t k = 0; k < f.n_asked_dir; k++) {
		bool candidate = false;

		for (size_t i = 0; i < plan->n_entries; i++)
			if (strcmp(plan->entries[i].mountpoint, f.asked_dir[k]) == 0 &&
			    (plan->entries[i].skip == HV_VSS_SKIP_NONE || plan->entries[i].skip == HV_VSS_SKIP_DUPLICATE))
				candidate = true;
		cr_assert(candidate, "%s: stat of %s", c->name, f.asked_dir[k]);
	}
	hv_vss_plan_free(plan);
}

/* ---- the reference daemon on the same tables ---- */

/*
 * PROTOCOL.md §6.3: every /proc/mounts entry whose device starts with
 * "/dev/", is not a loop device, not "ro" (per mount or per superblock:
 * /proc/mounts shows either as "ro"), not vfat; "/" last.  Duplicates
 * are frozen again (EBUSY tolerated), so compare superblocks.
 */
static size_t reference_plan(const struct plan_case *c, dev_t *ret, size_t max)
{
	struct hv_mountinfo *mi = NULL;
	dev_t root = 0;
	bool have_root = false;
	size_t n = 0;

	cr_assert_eq(hv_mountinfo_parse(c->mountinfo, &mi, NULL), 0);
	for (size_t i = 0; i < mi->n_entries; i++) {
		const struct hv_mountinfo_entry *m = &mi->entries[i];
		dev_t d = makedev(m->major, m->minor);
		bool loop = false, seen = false;

		for (size_t l = 0; l < ELEMENTSOF(c->loops); l++)
			if (c->loops[l].major && c->loops[l].major == m->major && c->loops[l].minor == m->minor)
				loop = true;
		if (strncmp(m->source, "/dev/", 5) || loop || hv_mountinfo_has_option(m->options, "ro") ||
		    hv_mountinfo_has_option(m->super_options, "ro") || strcmp(m->fstype, "vfat") == 0)
			continue;
		if (strcmp(m->mountpoint, "/") == 0) {
			root = d;
			have_root = true;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			seen = seen || ret[k] == d;
		if (!seen && n < max)
			ret[n++] = d;
	}
	if (have_root) {
		size_t k = 0;

		while (k < n && ret[k] != root)
			k++;
		if (k < n)
			memmove(&ret[k], &ret[k + 1], (n - k - 1) * sizeof(*ret));
		else
			n++;
		ret[n - 1] = root;
	}
	hv_mountinfo_free(mi);
	return n;
}

Test(vss_plan, same_superblocks_as_reference)
{
	size_t compared = 0;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const struct plan_case *c = &cases[i];
		struct fake f;
		struct hv_vss_plan *plan;
		dev_t ref[32];
		size_t n;

		if (!c->like_reference)
			continue;
		n = reference_plan(c, ref, ELEMENTSOF(ref));
		plan = plan_case(c, &f);
		cr_assert_eq(plan->n_freeze, n, "%s", c->name);
		for (size_t k = 0; k < n; k++) {
			const struct hv_vss_plan_entry *e = &plan->entries[plan->freeze[k]];

			cr_assert_eq(makedev(e->major, e->minor), ref[k], "%s: freeze[%zu] is %s", c->name, k,
				     e->mountpoint);
		}
		hv_vss_plan_free(plan);
		compared++;
	}
	cr_assert_eq(compared, 4);
}

Test(vss_plan, debian_vm_freezes_what_the_reference_freezes)
{
	const char *want[] = { "/boot", "/" };
	struct fake f;
	struct hv_vss_plan *plan = plan_case(&cases[0], &f);

	cr_assert_str_eq(cases[0].name, "debian-vm");
	cr_assert_eq(plan->n_freeze, ELEMENTSOF(want));
	for (size_t k = 0; k < ELEMENTSOF(want); k++)
		cr_assert_str_eq(plan->entries[plan->freeze[k]].mountpoint, want[k]);
	hv_vss_plan_free(plan);
}

/* ---- other planner behaviour ---- */

Test(vss_plan, stat_only_when_there_is_a_choice)
{
	/* The only mount of 8:17 is a bind-mounted file: kept, not asked. */
	const char *files[] = { "/etc/hosts", NULL };
	struct fake f = { .files = files };
	struct hv_vss_plan_facts facts = fake_facts(&f);
	struct hv_vss_plan *plan = NULL;

	cr_assert_eq(hv_vss_plan_build("28 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
				       "30 28 8:17 /x/hosts /etc/hosts rw - ext4 /dev/sdb1 rw\n",
				       &facts, NULL, &plan, NULL),
		     0);
	cr_assert_eq(f.n_asked_dir, 0);
	cr_assert_eq(plan->n_freeze, 2);
	cr_assert_str_eq(plan->entries[plan->freeze[0]].mountpoint, "/etc/hosts");
	hv_vss_plan_free(plan);
}

Test(vss_plan, no_facts_at_all)
{
	struct hv_vss_plan *plan = NULL;
	struct hv_vss_plan_facts none = {};

	/* Without facts the source decides; nothing is asked, nothing fails. */
	cr_assert_eq(hv_vss_plan_build("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 0:5 / /run rw - tmpfs tmpfs rw\n",
				       NULL, NULL, &plan, NULL),
		     0);
	cr_assert_eq(plan->n_freeze, 1);
	cr_assert_str_eq(hv_vss_skip_to_string(plan->entries[1].skip), "no-block-device");
	cr_assert_str_eq(plan->entries[1].detail, "source \"tmpfs\" is not a /dev/ node");
	plan = hv_vss_plan_free(plan);
	cr_assert_eq(hv_vss_plan_build("", &none, NULL, &plan, NULL), 0);
	cr_assert_eq(plan->n_entries, 0);
	cr_assert_eq(plan->n_freeze, 0);
	hv_vss_plan_free(plan);
	cr_assert_null(hv_vss_plan_free(NULL));
}

Test(vss_plan, skip_names)
{
	static const char *const names[] = { "frozen", "read-only", "no-block-device", "network", "fuse",
					     "overlay", "vfat", "excluded", "duplicate" };

	cr_assert_eq(ELEMENTSOF(names), _HV_VSS_SKIP_MAX);
	for (int s = 0; s < _HV_VSS_SKIP_MAX; s++) {
		cr_assert_str_eq(hv_vss_skip_to_string(s), names[s]);
		cr_assert_eq(hv_vss_skip_from_string(names[s]), s);
	}
	cr_assert_null(hv_vss_skip_to_string(_HV_VSS_SKIP_MAX));
	cr_assert_eq((int)hv_vss_skip_from_string("thawed"), -EINVAL);
}

/* ---- malformed mountinfo ---- */

struct bad_case {
	char text[160];
	char error[80];
};

static const struct bad_case bad_cases[] = {
	{ "garbage", "mountinfo line 1: bad mount id" },
	{ "-1 1 8:1 / / rw - ext4 /dev/sda1 rw", "mountinfo line 1: bad mount id" },
	{ "99999999999 1 8:1 / / rw - ext4 /dev/sda1 rw", "mountinfo line 1: bad mount id" },
	{ "28 x 8:1 / / rw - ext4 /dev/sda1 rw", "mountinfo line 1: bad parent id" },
	{ "28 1 8-1 / / rw - ext4 /dev/sda1 rw", "mountinfo line 1: bad major:minor" },
	{ "28 1 4294967296:1 / / rw - ext4 /dev/sda1 rw", "mountinfo line 1: bad major:minor" },
	{ "28 1 8: / / rw - ext4 /dev/sda1 rw", "mountinfo line 1: bad major:minor" },
	{ "28 1 8:1", "mountinfo line 1: missing root" },
	{ "28 1 8:1  / rw - ext4 /dev/sda1 rw", "mountinfo line 1: empty root" },
	{ "28 1 8:1 / / rw ext4 /dev/sda1 rw", "mountinfo line 1: missing \"-\" separator" },
	{ "28 1 8:1 / / rw shared:1", "mountinfo line 1: missing \"-\" separator" },
	{ "28 1 8:1 / / rw -", "mountinfo line 1: missing file system type" },
	{ "28 1 8:1 / / rw - ext4", "mountinfo line 1: missing source" },
	{ "28 1 8:1 / / rw - ext4 /dev/sda1", "mountinfo line 1: missing super options" },
	{ "28 1 8:1 / / rw -  /dev/sda1 rw", "mountinfo line 1: empty file system type" },
	{ "28 1 8:1 / / rw  - ext4 /dev/sda1 rw", "mountinfo line 1: empty optional field" },
	{ "28 1 8:1 / /a\\000b rw - ext4 /dev/sda1 rw", "mountinfo line 1: escape decodes to NUL in mount point" },
	{ "28 1 8:1 / / rw - ext4 /dev/sda1 rw\n\n29 28 8:2 / /boot rw ext4", "mountinfo line 3: missing \"-\" separator" },
};

ParameterizedTestParameters(vss_plan, malformed)
{
	return cr_make_param_array(struct bad_case, bad_cases, ELEMENTSOF(bad_cases));
}

ParameterizedTest(struct bad_case *bc, vss_plan, malformed)
{
	struct hv_vss_plan *plan = NULL;
	char *err = NULL;

	cr_assert_eq(hv_vss_plan_build(bc->text, NULL, NULL, &plan, &err), -EINVAL, "%s", bc->text);
	cr_assert_null(plan);
	cr_assert_not_null(err);
	cr_assert_str_eq(err, bc->error);
	free(err);
	/* No message asked for: still -EINVAL. */
	cr_assert_eq(hv_vss_plan_build(bc->text, NULL, NULL, &plan, NULL), -EINVAL);
}

/* ---- the parser's fields ---- */

Test(mountinfo, fields_and_escapes)
{
	struct hv_mountinfo *mi = NULL;
	char *err = NULL;
	const struct hv_mountinfo_entry *e;

	cr_assert_eq(hv_mountinfo_parse("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
					"\n"
					"37 36 0:44 /a\\040b\\011c /m\\012n\\134o\\043 ro - tmpfs  rw,size=4k extra\n"
					"38 36 4095:1048575 / /x rw - ext4 /dev/x\\ rw",
					&mi, &err),
		     0, "%s", err ?: "");
	cr_assert_eq(mi->n_entries, 3);
	e = &mi->entries[0];
	cr_assert_eq(e->mount_id, 36);
	cr_assert_eq(e->parent_id, 35);
	cr_assert_eq(e->major, 98);
	cr_assert_eq(e->minor, 0);
	cr_assert_str_eq(e->root, "/mnt1");
	cr_assert_str_eq(e->mountpoint, "/mnt2");
	cr_assert_str_eq(e->options, "rw,noatime");
	cr_assert_str_eq(e->optional, "master:1 shared:7");
	cr_assert_str_eq(e->fstype, "ext3");
	cr_assert_str_eq(e->source, "/dev/root");
	cr_assert_str_eq(e->super_options, "rw,errors=continue");
	e = &mi->entries[1];
	cr_assert_str_eq(e->root, "/a b\tc");
	cr_assert_str_eq(e->mountpoint, "/m\nn\\o#");
	cr_assert_str_eq(e->optional, "");
	cr_assert_str_eq(e->source, "");
	cr_assert_str_eq(e->super_options, "rw,size=4k");
	e = &mi->entries[2];
	cr_assert_eq(e->major, 4095);
	cr_assert_eq(e->minor, 1048575);
	/* A backslash without three octal digits stays. */
	cr_assert_str_eq(e->source, "/dev/x\\");
	hv_mountinfo_free(mi);
	cr_assert_null(hv_mountinfo_free(NULL));
}

Test(mountinfo, options)
{
	cr_assert(hv_mountinfo_has_option("rw,relatime", "rw"));
	cr_assert(hv_mountinfo_has_option("relatime,ro", "ro"));
	cr_assert_not(hv_mountinfo_has_option("rw,rootcontext=x", "ro"));
	cr_assert_not(hv_mountinfo_has_option("rw,errors=remount-ro", "ro"));
	cr_assert_not(hv_mountinfo_has_option("rw,context=\"a,ro,b\"", "ro"));
	cr_assert(hv_mountinfo_has_option("context=\"a,b\",ro", "ro"));
	cr_assert_not(hv_mountinfo_has_option("", "ro"));
	cr_assert_not(hv_mountinfo_has_option(NULL, "ro"));
}

/* ---- system facts over a fixture tree ---- */

static char root[] = "/tmp/hv-test-vss-plan-XXXXXX";
static struct hv_path *path;

static void put(const char *rel, const char *text)
{
	char p[512], *slash;
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	slash = strrchr(p, '/');
	*slash = '\0';
	cr_assert_eq(hv_mkdir_p(p, 0755), 0, "%s", p);
	*slash = '/';
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void mkdir_rel(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	cr_assert_eq(hv_mkdir_p(p, 0755), 0, "%s", p);
}

static void link_to(const char *rel, const char *target)
{
	char p[512], *slash;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	slash = strrchr(p, '/');
	*slash = '\0';
	cr_assert_eq(hv_mkdir_p(p, 0755), 0);
	*slash = '/';
	cr_assert_eq(symlink(target, p), 0, "%s", p);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(root));
	path = hv_path_new(root);
	cr_assert_not_null(path);
	put("/proc/filesystems", "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tfuse\n\tfuseblk\n\tbtrfs\n");
	put("/data/disk.img", "");
	put("/mnt/file", "");
	mkdir_rel("/mnt/dir");
	/* loop0: a file on /data; loop1: deleted; loop2: missing file; loop4: on /proc */
	put("/sys/dev/block/7:0/loop/backing_file", "/data/disk.img\n");
	put("/sys/dev/block/7:0/dev", "7:0\n");
	put("/sys/dev/block/7:1/loop/backing_file", "/gone.img (deleted)\n");
	put("/sys/dev/block/7:2/loop/backing_file", "/missing.img\n");
	link_to("/procfile.img", "/proc/version");
	put("/sys/dev/block/7:4/loop/backing_file", "/procfile.img\n");
	/* a disk, no loop */
	put("/sys/dev/block/8:0/dev", "8:0\n");
	/* dm on loop0; dm on loop0 and loop2; dm on loop0 and loop4; dm on sda */
	put("/sys/dev/block/253:3/slaves/loop0/dev", "7:0\n");
	put("/sys/dev/block/253:4/slaves/loop0/dev", "7:0\n");
	put("/sys/dev/block/253:4/slaves/loop2/dev", "7:2\n");
	put("/sys/dev/block/253:5/slaves/loop0/dev", "7:0\n");
	put("/sys/dev/block/253:5/slaves/loop4/dev", "7:4\n");
	put("/sys/dev/block/253:6/slaves/sda/dev", "8:0\n");
	/* dm on itself (a broken tree) */
	put("/sys/dev/block/253:9/slaves/self/dev", "253:9\n");
	/* loop0p1, a partition of loop0, the way sysfs links it */
	put("/sys/devices/virtual/block/loop0/dev", "7:0\n");
	put("/sys/devices/virtual/block/loop0/loop0p1/partition", "1\n");
	put("/sys/devices/virtual/block/loop0/loop0p1/dev", "259:0\n");
	link_to("/sys/dev/block/259:0", "../../devices/virtual/block/loop0/loop0p1");
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
	hv_path_free(path);
}

TestSuite(vss_facts, .init = setup, .fini = teardown);

static dev_t dev_of(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	cr_assert_eq(stat(p, &st), 0, "%s", p);
	return st.st_dev;
}

static int mount_id_of(const char *rel)
{
	char p[512];
	struct statx sx;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	cr_assert_eq(statx(AT_FDCWD, p, 0, STATX_MNT_ID, &sx), 0);
	cr_assert(sx.stx_mask & STATX_MNT_ID, "kernel without STATX_MNT_ID");
	return (int)sx.stx_mnt_id;
}

Test(vss_facts, nodev_from_proc_filesystems)
{
	struct hv_vss_plan_facts f;

	hv_vss_plan_facts_system(path, &f);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "tmpfs"), 1);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "sysfs"), 1);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "ext4"), 0);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "btrfs"), 0);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "fuseblk"), 0);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "fuse.sshfs"), 1);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "ext"), -ENOENT);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "nsfs"), -ENOENT);
}

Test(vss_facts, nodev_without_proc)
{
	struct hv_path *empty = hv_path_new("/nonexistent-hv-root");
	struct hv_vss_plan_facts f;

	hv_vss_plan_facts_system(empty, &f);
	cr_assert_eq(f.fs_is_nodev(f.userdata, "tmpfs"), -ENOENT);
	hv_path_free(empty);
}

Test(vss_facts, loop_devices)
{
	struct hv_vss_plan_facts f;
	dev_t data = dev_of("/data/disk.img"), d = 0;

	hv_vss_plan_facts_system(path, &f);
	/* Without a mountinfo to map the mount id, st_dev. */
	cr_assert_eq(f.loop_backing_dev(f.userdata, 7, 0, &d), 1);
	cr_assert_eq(d, data);
	cr_assert_eq(f.loop_backing_dev(f.userdata, 7, 1, &d), -ENOENT, "deleted backing file");
	cr_assert_eq(f.loop_backing_dev(f.userdata, 7, 2, &d), -ENOENT, "missing backing file");
	d = 0;
	cr_assert_eq(f.loop_backing_dev(f.userdata, 7, 4, &d), 1);
	cr_assert_neq(d, data);
	cr_assert_eq(f.loop_backing_dev(f.userdata, 8, 0, &d), 0, "a plain disk");
	cr_assert_eq(f.loop_backing_dev(f.userdata, 0, 33, &d), 0, "no block device");
	d = 0;
	cr_assert_eq(f.loop_backing_dev(f.userdata, 253, 3, &d), 1, "dm on loop");
	cr_assert_eq(d, data);
	cr_assert_eq(f.loop_backing_dev(f.userdata, 253, 4, &d), -ENOENT, "one slave unknown");
	cr_assert_eq(f.loop_backing_dev(f.userdata, 253, 5, &d), -EXDEV, "slaves on two file systems");
	cr_assert_eq(f.loop_backing_dev(f.userdata, 253, 6, &d), 0, "dm on a disk");
	cr_assert_eq(f.loop_backing_dev(f.userdata, 253, 9, &d), -ELOOP, "a cycle in sysfs");
	d = 0;
	cr_assert_eq(f.loop_backing_dev(f.userdata, 259, 0, &d), 1, "a loop partition");
	cr_assert_eq(d, data);
}

Test(vss_facts, loop_backing_by_mount_id)
{
	struct hv_vss_plan_facts f;
	char line[128];
	dev_t d = 0;

	/* The mount holding the file is "253:7" in this mountinfo (as a
	 * btrfs subvolume's would be while its st_dev says otherwise). */
	snprintf(line, sizeof(line), "%d 1 253:7 / /data rw - btrfs /dev/sdz rw\n", mount_id_of("/data/disk.img"));
	put("/proc/self/mountinfo", line);
	hv_vss_plan_facts_system(path, &f);
	cr_assert_eq(f.loop_backing_dev(f.userdata, 7, 0, &d), 1);
	cr_assert_eq(d, makedev(253, 7));
}

Test(vss_facts, mountpoint_is_dir)
{
	struct hv_vss_plan_facts f;

	hv_vss_plan_facts_system(path, &f);
	cr_assert_eq(f.mountpoint_is_dir(f.userdata, "/mnt/dir"), 1);
	cr_assert_eq(f.mountpoint_is_dir(f.userdata, "/mnt/file"), 0);
	cr_assert_eq(f.mountpoint_is_dir(f.userdata, "/mnt/none"), -ENOENT);
}

Test(vss_facts, build_system)
{
	struct hv_vss_plan *plan = NULL;
	char text[1024];
	char *exclude[] = { "/mnt/skip*", NULL };
	int id = mount_id_of("/data/disk.img");

	snprintf(text, sizeof(text),
		 "%d 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
		 "%d %d 8:17 / /mnt/file rw - ext4 /dev/sdb1 rw\n"
		 "%d %d 8:17 / /data rw - ext4 /dev/sdb1 rw\n"
		 "%d %d 7:0 / /mnt/img rw - ext4 /dev/loop0 rw\n"
		 "%d %d 0:30 / /run rw - tmpfs tmpfs rw\n"
		 "%d %d 8:33 / /mnt/skipped rw - ext4 /dev/sdc1 rw\n",
		 id + 1, id + 5, id + 1, id, id + 1, id + 2, id + 1, id + 3, id + 1, id + 4, id + 1);
	put("/proc/self/mountinfo", text);
	cr_assert_eq(hv_vss_plan_build_system(path, exclude, &plan, NULL), 0);
	cr_assert_eq(plan->n_freeze, 3);
	cr_assert_str_eq(plan->entries[plan->freeze[0]].mountpoint, "/mnt/img");
	cr_assert_str_eq(plan->entries[plan->freeze[1]].mountpoint, "/data");
	cr_assert_str_eq(plan->entries[plan->freeze[2]].mountpoint, "/");
	/* The file comes first in mount order: stat'ed and passed over. */
	cr_assert_str_eq(plan->entries[1].detail, "bind-mounted file /data (same file system 8:17)");
	cr_assert_str_eq(plan->entries[3].detail, "on /dev/loop0, backing file on /data");
	cr_assert_str_eq(plan->entries[3].loop_backing_mount, "/data");
	cr_assert_str_eq(plan->entries[4].detail, "tmpfs has no block device (nodev)");
	cr_assert_str_eq(plan->entries[5].detail, "matches exclude-mounts glob /mnt/skip*");
	hv_vss_plan_free(plan);
}

Test(vss_facts, build_system_errors)
{
	struct hv_vss_plan *plan = NULL;
	char *err = NULL;

	cr_assert_eq(hv_vss_plan_build_system(path, NULL, &plan, &err), -ENOENT);
	cr_assert_null(plan);
	put("/proc/self/mountinfo", "1 0 8:1 / / rw - ext4 /dev/sda1 rw\nbroken\n");
	cr_assert_eq(hv_vss_plan_build_system(path, NULL, &plan, &err), -EINVAL);
	cr_assert_str_eq(err, "mountinfo line 2: bad mount id");
	free(err);
}
