/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim/vss-*: what VSS worlds are made of without making one.  The [root]
 * and [filesystem] sections of world files (and their error messages,
 * which name file, line, section and key), sizes and mount options, the
 * mount-table check that decides whether a FREEZE may be sent, which
 * control requests count as a FREEZE, and the pieces of filling a root:
 * the dynamic loader's --list output, libtool wrappers, path
 * normalisation, and installing /bin/sh into a temporary directory.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/macros.h"
#include "sim/rootfs.h"
#include "sim/vss-blockdev.h"
#include "sim/vss-world.h"
#include "sim/world.h"

/* Criterion re-executes parameterized tests: pass indexes, not pointers. */
#define PARAM_INDICES(table)                                                 \
	do {                                                                 \
		static size_t idx_[ELEMENTSOF(table)];                       \
		for (size_t i_ = 0; i_ < ELEMENTSOF(table); i_++)            \
			idx_[i_] = i_;                                       \
		return cr_make_param_array(size_t, idx_, ELEMENTSOF(idx_));  \
	} while (0)

#define BASE "[world]\nbase = default\n[root]\nown = yes\n"

/* ---- world files ---------------------------------------------------------- */

Test(vss_spec, full_world)
{
	static const char text[] = BASE "install = /usr/sbin/hv_vss_daemon python3\n"
				   "install = sleep\n"
				   "[filesystem data]\ntype = ext4\nmountpoint = /srv/data\nbind = /srv/a  sub/dir:/srv/b\n"
				   "[filesystem x]\ntype = xfs\nsize = 512M\nmountpoint = /srv/xfs\noptions = noatime,logbsize=64k\n"
				   "[filesystem b]\ntype = btrfs\nmountpoint = /srv/b2\nsubvolumes = s1 s2\nread_only = yes\n"
				   "[filesystem img]\ntype = ext4\nloop_file = data:/images/img.ext4\nmountpoint = /srv/img\n";
	struct hvsim_world *w = NULL;
	char *error = NULL;
	const struct hvsim_vss_spec *s;

	cr_assert_eq(hvsim_world_load_string(text, "t.ini", &w, &error), 0, "%s", error ? error : "");
	cr_assert(hvsim_vss_world_wanted(w));
	s = w->vss;
	cr_assert_eq(s->n_install, 3);
	cr_assert_str_eq(s->install[1], "python3");
	cr_assert_eq(s->n_fs, 4);
	cr_assert_eq(s->fs[0]->type, HVSIM_FS_EXT4);
	cr_assert_eq(s->fs[0]->size, 64 << 20, "ext4 default size");
	cr_assert_eq(s->fs[0]->n_binds, 2);
	cr_assert_null(s->fs[0]->binds[0].subdir);
	cr_assert_str_eq(s->fs[0]->binds[1].subdir, "sub/dir");
	cr_assert_str_eq(s->fs[0]->binds[1].target, "/srv/b");
	cr_assert_eq(s->fs[1]->size, (uint64_t)512 << 20);
	cr_assert_str_eq(s->fs[1]->options, "noatime,logbsize=64k");
	cr_assert_eq(s->fs[2]->size, 128 << 20, "btrfs default size");
	cr_assert_eq(s->fs[2]->n_subvolumes, 2);
	cr_assert(s->fs[2]->read_only);
	cr_assert_str_eq(s->fs[3]->backing, "data");
	cr_assert_str_eq(s->fs[3]->image, "/images/img.ext4");
	cr_assert_eq(s->fs[3]->size, 32 << 20, "loop default size");
	cr_assert_eq(s->fs[3]->line, 21);
	hvsim_world_free(w);
}

Test(vss_spec, default_and_plain_worlds_have_no_root_of_their_own)
{
	struct hvsim_world *w = NULL;

	cr_assert_eq(hvsim_world_new_default(&w), 0);
	cr_assert_not(hvsim_vss_world_wanted(w));
	hvsim_world_free(w);
	cr_assert_eq(hvsim_world_load_string("[world]\nbase = default\n[root]\nown = no\n", "t.ini", &w, NULL), 0);
	cr_assert_not(hvsim_vss_world_wanted(w));
	hvsim_world_free(w);
}

struct bad_case {
	char text[512];
	char message[200];
};

static const struct bad_case bad_cases[] = {
	{ "[world]\nbase = default\n[filesystem a]\ntype = ext4\nmountpoint = /a\n",
	  "t.ini:3: [filesystem a]: test file systems need a root of the world's own: [root] own = yes" },
	{ "[world]\nbase = default\n[root]\ninstall = sleep\n",
	  "t.ini:3: [root] install: programs are copied only into a root of the world's own (own = yes)" },
	{ BASE "own = maybe\n", "t.ini:5: [root] own: 'maybe' is not a boolean" },
	{ BASE "color = red\n", "t.ini:5: [root] color: unknown key (own, install)" },
	{ BASE "install = bin/sleep\n", "t.ini:5: [root] install: 'bin/sleep' is not an absolute path or a program name" },
	{ BASE "[filesystem]\n", "t.ini:5: [filesystem]: a file system section needs a name: [filesystem NAME]" },
	{ BASE "[filesystem a/b]\n",
	  "t.ini:5: [filesystem a/b]: 'a/b' is not a file system name (letters, digits, - and _, at most 32)" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\n[filesystem a]\n",
	  "t.ini:8: [filesystem a]: already defined at line 5" },
	{ BASE "[filesystem a]\ntype = ntfs\n", "t.ini:6: [filesystem a] type: 'ntfs' is not ext4, xfs or btrfs" },
	{ BASE "[filesystem a]\nmountpoint = /a\n", "t.ini:5: [filesystem a] type: missing (ext4, xfs or btrfs)" },
	{ BASE "[filesystem a]\ntype = ext4\n", "t.ini:5: [filesystem a] mountpoint: missing" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a/../b\n",
	  "t.ini:7: [filesystem a] mountpoint: '/a/../b' is not an absolute path in normal form" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = srv\n",
	  "t.ini:7: [filesystem a] mountpoint: 'srv' is not an absolute path in normal form" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /proc/x\n",
	  "t.ini:5: [filesystem a] mountpoint: '/proc/x' is the world's own (/, /proc, /sys, /dev)" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /\n",
	  "t.ini:5: [filesystem a] mountpoint: '/' is the world's own (/, /proc, /sys, /dev)" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\n[filesystem b]\ntype = xfs\nmountpoint = /a\n",
	  "t.ini:8: [filesystem b] mountpoint: '/a' is already a mount point of [filesystem a]" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nbind = /b /b\n",
	  "t.ini:5: [filesystem a] bind: '/b' is already a mount point of [filesystem a]" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nbind = /a\n",
	  "t.ini:5: [filesystem a] bind: '/a' is already a mount point of [filesystem a]" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nbind = ../x:/b\n",
	  "t.ini:8: [filesystem a] bind: '../x:/b': '../x' is not a relative path in the file system" },
	{ BASE "[filesystem a]\ntype = xfs\nsize = 100M\nmountpoint = /a\n",
	  "t.ini:5: [filesystem a] size: xfs needs at least 300M" },
	{ BASE "[filesystem a]\ntype = btrfs\nsize = 64M\nmountpoint = /a\n",
	  "t.ini:5: [filesystem a] size: btrfs needs at least 109M" },
	{ BASE "[filesystem a]\ntype = ext4\nsize = 12Q\n",
	  "t.ini:7: [filesystem a] size: '12Q' is not a size (bytes, or with K, M, G)" },
	{ BASE "[filesystem a]\ntype = ext4\nsize = 65G\n", "t.ini:7: [filesystem a] size: '65G' is more than 64G" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nsubvolumes = s\n",
	  "t.ini:5: [filesystem a] subvolumes: only btrfs has subvolumes" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nloop_file = b:/i\n",
	  "t.ini:5: [filesystem a] loop_file: no [filesystem b]" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nloop_file = a:/i\n",
	  "t.ini:5: [filesystem a] loop_file: an image cannot live on its own file system" },
	{ BASE "[filesystem a]\ntype = ext4\nloop_file = b\n", "t.ini:7: [filesystem a] loop_file: 'b' is not FILESYSTEM:/PATH" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nread_only = yes\n"
	       "[filesystem b]\ntype = ext4\nmountpoint = /b\nloop_file = a:/i\n",
	  "t.ini:9: [filesystem b] loop_file: [filesystem a] is read-only" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\n[filesystem b]\ntype = ext4\nmountpoint = /b\n"
	       "loop_file = a:/i\n[filesystem c]\ntype = ext4\nmountpoint = /c\nloop_file = b:/j\n",
	  "t.ini:12: [filesystem c] loop_file: [filesystem b] is itself on a loop device; images live on zram file "
	  "systems" },
	{ BASE "[filesystem a]\ntype = ext4\nmountpoint = /a\nwhat = 1\n",
	  "t.ini:8: [filesystem a] what: unknown key (type, size, loop_file, mountpoint, options, read_only, "
	  "subvolumes, bind)" },
};

ParameterizedTestParameters(vss_spec, bad_files)
{
	PARAM_INDICES(bad_cases);
}

ParameterizedTest(size_t *i, vss_spec, bad_files)
{
	const struct bad_case *c = &bad_cases[*i];
	struct hvsim_world *w = NULL;
	char *error = NULL;

	cr_assert_lt(hvsim_world_load_string(c->text, "t.ini", &w, &error), 0, "case %zu loaded", *i);
	cr_assert_null(w);
	cr_assert_not_null(error, "case %zu: no message", *i);
	cr_assert_str_eq(error, c->message, "case %zu", *i);
	free(error);
}

Test(vss_spec, sizes)
{
	uint64_t v;

	cr_assert_eq(hvsim_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(hvsim_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64 << 20);
	cr_assert_eq(hvsim_parse_size("2GiB", &v), 0);
	cr_assert_eq(v, (uint64_t)2 << 30);
	cr_assert_eq(hvsim_parse_size("8k", &v), 0);
	cr_assert_eq(v, 8192);
	cr_assert_eq(hvsim_parse_size("", &v), -EINVAL);
	cr_assert_eq(hvsim_parse_size("-1", &v), -EINVAL);
	cr_assert_eq(hvsim_parse_size("1T", &v), -EINVAL);
	cr_assert_eq(hvsim_parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(hvsim_parse_size("17179869184G", &v), -ERANGE);
}

Test(vss_spec, mount_options)
{
	unsigned long flags;
	char *data = NULL;

	cr_assert_eq(hvsim_mount_options("noatime,commit=5,ro,nodev,subvol=a", &flags, &data), 0);
	cr_assert_eq(flags, MS_NOATIME | MS_RDONLY | MS_NODEV);
	cr_assert_str_eq(data, "commit=5,subvol=a");
	free(data);
	cr_assert_eq(hvsim_mount_options(NULL, &flags, &data), 0);
	cr_assert_eq(flags, 0);
	cr_assert_str_eq(data, "");
	free(data);
	cr_assert_eq(hvsim_mount_options("ro,rw", &flags, &data), 0);
	cr_assert_eq(flags, 0, "rw undoes ro");
	free(data);
}

/* ---- the freeze check -------------------------------------------------------- */

static const char world_table[] =
	"116 90 0:42 / / rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"117 116 0:43 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
	"118 116 0:44 / /sys rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755\n"
	"119 118 0:22 /devices/virtual/block/zram1 /sys/devices/virtual/block/zram1 ro - sysfs sysfs rw\n"
	"124 116 0:45 / /dev rw,nosuid,noexec,relatime - tmpfs tmpfs rw,size=1024k,mode=755\n"
	"125 124 0:46 / /dev/vmbus rw,nosuid,nodev,relatime - fuse.hvsim hvsim rw,user_id=0,group_id=0\n"
	"126 116 253:1 / /srv/data rw,relatime - ext4 /dev/zram1 rw\n"
	"127 116 253:1 / /srv/data-bind rw,relatime - ext4 /dev/zram1 rw\n"
	"129 116 0:39 / /srv/btrfs rw,relatime - btrfs /dev/zram3 rw,ssd,subvolid=5,subvol=/\n"
	"132 116 7:0 / /srv/img rw,relatime - ext4 /dev/loop0 rw\n";

/* The file systems of world_table: two zram ext4/btrfs (btrfs shows an
 * anonymous device), a loop device. */
static struct hvsim_vss_allowed world_allowed(dev_t devs[static 4])
{
	devs[0] = makedev(253, 1);
	devs[1] = makedev(253, 3);
	devs[2] = makedev(0, 39);
	devs[3] = makedev(7, 0);
	return (struct hvsim_vss_allowed){ .devs = devs, .n_devs = 4 };
}

Test(vss_check, the_worlds_own_mounts_pass)
{
	dev_t devs[4];
	struct hvsim_vss_allowed a = world_allowed(devs);
	char *why = NULL;

	cr_assert_eq(hvsim_vss_mountinfo_check(world_table, &a, &why), 0, "%s", why ? why : "");
	cr_assert_null(why);
}

struct check_case {
	char extra[200];
	char why[200];
};

static const struct check_case check_cases[] = {
	{ "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n",
	  "/dev/vda (ext4, device 254:0) on /, which is not a test file system of this world" },
	{ "28 27 0:40 / /home rw - btrfs /dev/sdb2 rw\n",
	  "/dev/sdb2 (btrfs, device 0:40) on /home, which is not a test file system of this world" },
	/* a virtual file system with a /dev/ source: a daemon would try it */
	{ "29 27 0:50 / /mnt rw - tmpfs /dev/sneaky rw\n",
	  "/dev/sneaky (tmpfs, device 0:50) on /mnt, which is not a test file system of this world" },
	/* a file system type hvsim does not make */
	{ "30 27 0:51 / /o rw - overlay overlay rw\n",
	  "overlay (overlay, device 0:51) on /o, which is not a test file system of this world" },
	/* a loop device that is not ours */
	{ "31 27 7:3 / /l rw - ext4 /dev/loop3 rw\n",
	  "/dev/loop3 (ext4, device 7:3) on /l, which is not a test file system of this world" },
};

ParameterizedTestParameters(vss_check, foreign_mounts_are_refused)
{
	PARAM_INDICES(check_cases);
}

ParameterizedTest(size_t *i, vss_check, foreign_mounts_are_refused)
{
	dev_t devs[4];
	struct hvsim_vss_allowed a = world_allowed(devs);
	char text[sizeof(world_table) + 256];
	char *why = NULL;

	snprintf(text, sizeof(text), "%s%s", world_table, check_cases[*i].extra);
	cr_assert_eq(hvsim_vss_mountinfo_check(text, &a, &why), -EPERM, "case %zu", *i);
	cr_assert_str_eq(why, check_cases[*i].why, "case %zu", *i);
	free(why);
}

Test(vss_check, unreadable_tables_are_refused)
{
	dev_t devs[4];
	struct hvsim_vss_allowed a = world_allowed(devs);
	char *why = NULL;

	cr_assert_eq(hvsim_vss_mountinfo_check("", &a, &why), -EINVAL);
	cr_assert_str_eq(why, "an empty mount table");
	free(why);
	why = NULL;
	cr_assert_eq(hvsim_vss_mountinfo_check("1 2 3\n", &a, &why), -EINVAL);
	cr_assert_not_null(why);
	free(why);
}

Test(vss_check, no_world_of_its_own_no_freeze)
{
	char *why = NULL;

	cr_assert_eq(hvsim_vss_world_check_freeze(NULL, 0, &why), -EPERM);
	cr_assert_not_null(strstr(why, "refusing"));
	cr_assert_not_null(strstr(why, "shares the machine's root"));
	free(why);
}

static bool freezes(const char *json)
{
	json_object *o = json_tokener_parse(json);
	bool r;

	cr_assert_not_null(o);
	r = hvsim_vss_request_freezes(o);
	json_object_put(o);
	return r;
}

Test(vss_check, which_requests_freeze)
{
	/* 28 header bytes, then the VSS operation */
	static const char hdr[] = "00000000000000000000000000000000000000000000000000000000";

	cr_assert(freezes("{\"cmd\":\"vss\",\"op\":\"freeze\"}"));
	cr_assert(freezes("{\"cmd\":\"vss\",\"op\":\"backup\"}"));
	cr_assert(freezes("{\"cmd\":\"vss\",\"op\":\"raw\",\"code\":5}"));
	cr_assert_not(freezes("{\"cmd\":\"vss\",\"op\":\"raw\",\"code\":6}"));
	cr_assert_not(freezes("{\"cmd\":\"vss\",\"op\":\"thaw\"}"));
	cr_assert_not(freezes("{\"cmd\":\"vss\"}"));
	{
		char buf[256];

		snprintf(buf, sizeof(buf), "{\"cmd\":\"vss\",\"op\":\"raw\",\"hex\":\"%s05000000\"}", hdr);
		cr_assert(freezes(buf));
		snprintf(buf, sizeof(buf), "{\"cmd\":\"vss\",\"op\":\"raw\",\"hex\":\"%s06000000\"}", hdr);
		cr_assert_not(freezes(buf));
		snprintf(buf, sizeof(buf), "{\"cmd\":\"vss\",\"op\":\"raw\",\"hex\":\"%s\"}", hdr);
		cr_assert_not(freezes(buf), "too short to carry an operation");
		cr_assert(freezes("{\"cmd\":\"vss\",\"op\":\"raw\",\"hex\":\"zz\"}"), "malformed: be safe");
	}
}

/* ---- filling a root ---------------------------------------------------------------- */

Test(rootfs, ldso_list)
{
	static const char out[] = "\tlinux-vdso.so.1 (0x00007ffd1b3f2000)\n"
				  "\tlibasan.so.8 => /lib/x86_64-linux-gnu/libasan.so.8 (0x00007f51e2000000)\n"
				  "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f51e161e000)\n"
				  "\t/lib64/ld-linux-x86-64.so.2 (0x00007f51e281a000)\n";
	char **paths = NULL, *missing = NULL;
	size_t n = 0;

	cr_assert_eq(hvsim_ldso_list_parse(out, &paths, &n, &missing), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(paths[0], "/lib/x86_64-linux-gnu/libasan.so.8");
	cr_assert_str_eq(paths[2], "/lib64/ld-linux-x86-64.so.2");
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	cr_assert_eq(hvsim_ldso_list_parse("\tlibhvutil.so.0 => not found\n", &paths, &n, &missing), -ENOENT);
	cr_assert_str_eq(missing, "libhvutil.so.0");
	free(missing);
	cr_assert_eq(hvsim_ldso_list_parse("garbage\n", &paths, &n, NULL), -EBADMSG);
	cr_assert_eq(hvsim_ldso_list_parse("", &paths, &n, NULL), 0);
	cr_assert_eq(n, 0);
	free(paths);
}

Test(rootfs, libtool_wrapper)
{
	static const char wrapper[] =
		"#! /bin/bash\n\n# hv-kvpd - temporary wrapper script for .libs/hv-kvpd\n"
		"# Generated by libtool (GNU libtool) 2.4.7 Debian-2.4.7-7~deb12u1\n#\n"
		"relink_command=\"\"\n"
		"  program='hv-kvpd'\n  progdir=\"$thisdir/.libs\"\n"
		"    LD_LIBRARY_PATH=\"/b/lib/hvutil/.libs:$LD_LIBRARY_PATH\"\n";
	static const char relinking[] = "#! /bin/bash\n# x - temporary wrapper script for .libs/x\n"
					"# Generated by libtool (GNU libtool) 2.4.7\n  program=lt-'x'\n";
	char *prog = NULL, *lp = NULL;

	cr_assert_eq(hvsim_libtool_wrapper_parse(wrapper, &prog, &lp), 1);
	cr_assert_str_eq(prog, "hv-kvpd");
	cr_assert_str_eq(lp, "/b/lib/hvutil/.libs");
	free(prog);
	free(lp);
	cr_assert_eq(hvsim_libtool_wrapper_parse(relinking, &prog, &lp), 1);
	cr_assert_str_eq(prog, "lt-x");
	cr_assert_str_eq(lp, "");
	free(prog);
	free(lp);
	cr_assert_eq(hvsim_libtool_wrapper_parse("#!/bin/sh\necho hi\n", &prog, &lp), 0);
}

Test(rootfs, normalize)
{
	static const char *const cases[][2] = {
		{ "/a/b/../c", "/a/c" }, { "/usr/lib64/../lib/x", "/usr/lib/x" }, { "//a//./b/", "/a/b" },
		{ "/..", "/" },          { "/", "/" },                          { "/a/b/../../..", "/" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *p = hvsim_path_normalize(cases[i][0]);

		cr_assert_str_eq(p, cases[i][1], "%s", cases[i][0]);
		free(p);
	}
	cr_assert_null(hvsim_path_normalize("a/b"));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

Test(rootfs, install_sh_with_its_libraries)
{
	char root[] = "/tmp/test-sim-vss.XXXXXX", path[PATH_MAX], link[PATH_MAX];
	struct hvsim_rootfs *r = NULL;
	struct stat st;
	char *where = NULL;
	ssize_t n;

	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(hvsim_rootfs_new(root, &r), 0);
	cr_assert_eq(hvsim_rootfs_install(r, "/bin/sh", &where), 0);
	cr_assert_str_eq(where, "/bin/sh");
	free(where);
	/* /bin/sh resolves in the copy as it does on the machine. */
	snprintf(path, sizeof(path), "%s/bin/sh", root);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 0111));
	/* Symlinks on the way are symlinks in the copy too. */
	if (lstat("/bin", &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(path, sizeof(path), "%s/bin", root);
		n = readlink(path, link, sizeof(link) - 1);
		cr_assert_gt(n, 0);
	}
	/* and the dynamic loader came along */
	cr_assert_gt(hvsim_rootfs_bytes(r), 0);
	cr_assert_eq(hvsim_rootfs_install(r, "sh", NULL), 0, "a second time is fine");
	cr_assert_lt(hvsim_rootfs_install(r, "no-such-program-here", NULL), 0);
	hvsim_rootfs_free(r);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
