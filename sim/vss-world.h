/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VSS worlds: worlds with a root of their own, where a VSS daemon may
 * freeze file systems because every block file system it can see was made
 * for the test (DESIGN.md §5, man hvsim(1), VSS WORLDS).
 *
 * A world file asks for one with
 *
 *   [root]              own = yes, install = PROGRAM...
 *   [filesystem NAME]   type, size, loop_file, mountpoint, options,
 *                       read_only, subvolumes, bind
 *
 * (vss-spec.c parses these sections for world-file.c).  `hvsim run` then
 * (vss-world.c):
 *
 *   1. on the machine, before it leaves the machine's mount namespace:
 *      creates a zram device per file system (a loop device for a
 *      loop_file one, its image on another test file system), runs mkfs
 *      and mounts each file system at <state>/fs/<NAME>, where tests see
 *      it from outside the world;
 *   2. in hvsim's private mount namespace: a tmpfs at <state>/root with
 *      copies of the programs (rootfs.c), /etc, /tmp, /var/lib/hyperv,
 *      /run/hvutils, a fresh /proc, a /sys with the fake sysfs plus the
 *      sysfs directories of the test's block devices, a /dev of its own
 *      (null, zero, random, urandom, fuse and the test's block nodes) with
 *      /dev/vmbus served by FUSE, and the test file systems bound at their
 *      mount points;
 *   3. in the command's process: a mount namespace of its own, pivot_root
 *      into the tmpfs, the old root detached.
 *
 * Before a FREEZE reaches the world, hvsim_vss_world_check_freeze() reads
 * the mount table of the world (and of the VSS daemon, wherever it runs)
 * and refuses unless every block file system in it is one this world
 * made.  At the end everything is thawed, the world's processes are
 * killed, and the mounts, loop and zram devices are removed, in that
 * order.
 */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define HVSIM_VSS_MAX_FS 16
#define HVSIM_VSS_MAX_LIST 64 /* install programs, subvolumes, binds */

enum hvsim_fs_type {
	HVSIM_FS_EXT4,
	HVSIM_FS_XFS,
	HVSIM_FS_BTRFS,
	_HVSIM_FS_TYPE_MAX,
	_HVSIM_FS_TYPE_INVALID = -EINVAL,
};

const char *hvsim_fs_type_to_string(enum hvsim_fs_type t);
enum hvsim_fs_type hvsim_fs_type_from_string(const char *s);

/* An extra mount of a file system: its root (subdir NULL) or a
 * subdirectory or btrfs subvolume (relative path) on target. */
struct hvsim_vss_bind {
	char *subdir;
	char *target;
};

struct hvsim_vss_fs {
	char *name;
	unsigned line;          /* of the section header */
	enum hvsim_fs_type type;
	uint64_t size;          /* bytes: the zram device, or the image file */
	char *backing;          /* loop_file: the file system holding the image; NULL: zram */
	char *image;            /* absolute path of the image inside it */
	char *mountpoint;
	char *options;          /* as written: generic flags and fs data */
	bool read_only;
	char **subvolumes;      /* btrfs */
	size_t n_subvolumes;
	struct hvsim_vss_bind *binds;
	size_t n_binds;
};

struct hvsim_vss_spec {
	bool own_root;
	unsigned root_line;
	char **install;         /* absolute paths or names looked up in $PATH */
	size_t n_install;
	struct hvsim_vss_fs *fs[HVSIM_VSS_MAX_FS];
	size_t n_fs;
};

struct hvsim_vss_spec *hvsim_vss_spec_free(struct hvsim_vss_spec *s);

/* For world-file.c.  header is a section header's text ("root",
 * "filesystem data"); these return -errno with *ret_msg (malloc'd)
 * saying what is wrong. */
bool hvsim_vss_spec_is_section(const char *header);
int hvsim_vss_spec_section(struct hvsim_vss_spec **spec, const char *header, unsigned line, char **ret_msg);
int hvsim_vss_spec_apply(struct hvsim_vss_spec *spec, const char *header, const char *key, const char *value,
			 char **ret_msg);

/* Where a validation error is: the section ("filesystem data"), its
 * line, the key (NULL for the section as a whole) and the message. */
struct hvsim_vss_spec_error {
	char section[160];
	unsigned line;
	const char *key;
	char *msg;
};
/* Defaults (sizes) and consistency, after the whole file was read.
 * spec may be NULL (nothing to check). */
int hvsim_vss_spec_validate(struct hvsim_vss_spec *spec, struct hvsim_vss_spec_error *ret_error);
/* For `hvsim world`. */
void hvsim_vss_spec_print(const struct hvsim_vss_spec *spec, FILE *f);

/* ---- the running world ---------------------------------------------------- */

struct hvsim_vss_world;
struct hvsim_world;

/* Does world w need a root of its own? */
bool hvsim_vss_world_wanted(const struct hvsim_world *w);

/*
 * Step 1, in the machine's mount namespace: devices, file systems and
 * their mounts under <state_dir>/fs.  argv is the world's command (its
 * program is copied into the root later), install extra programs from
 * the command line.  On failure everything made so far is removed.
 */
int hvsim_vss_world_create(const struct hvsim_world *w, const char *state_dir, char *const *argv,
			   char *const *install, size_t n_install, struct hvsim_vss_world **ret);
/*
 * Step 2, after hvsim_ns_enter(): build the root.  *ret_vmbus_dir is where
 * /dev/vmbus must be served (inside the root).
 */
int hvsim_vss_world_build(struct hvsim_vss_world *vw, const struct hvsim_world *w, const char **ret_vmbus_dir);
/* Step 3, in the command's child after fork(): enter the root.  Returns
 * only on failure (then the child must exit). */
int hvsim_vss_world_enter(struct hvsim_vss_world *vw);
/* In hvsim after fork(): wait until the command entered the world (it
 * exec'd or died) and remember the world's mount namespace. */
int hvsim_vss_world_started(struct hvsim_vss_world *vw, pid_t pid);

/*
 * May a FREEZE be sent?  0 if the world (process world_pid) and the VSS
 * daemon (daemon_pid, 0 when none has the device open) see only block
 * file systems this world made; -EPERM with *ret_why (malloc'd) if not.
 * vw NULL: a world sharing the machine's root, always refused.
 */
int hvsim_vss_world_check_freeze(const struct hvsim_vss_world *vw, pid_t daemon_pid, char **ret_why);

/* Would this control request ({"cmd": "vss", ...}) put a FREEZE on the
 * channel: op "freeze", "backup", "raw" with code 5, or a raw payload
 * whose VSS operation byte is 5? */
bool hvsim_vss_request_freezes(json_object *req);

/* FITHAW on every test file system (not frozen: fine). */
void hvsim_vss_world_thaw_all(const struct hvsim_vss_world *vw);

/* JSON for `hvsim host status` and `hvsim host fs`. */
json_object *hvsim_vss_world_describe(const struct hvsim_vss_world *vw);

/* Thaw, kill what still runs in the world, leave hvsim's namespace, and
 * remove the mounts, loop and zram devices.  NULL is fine. */
struct hvsim_vss_world *hvsim_vss_world_free(struct hvsim_vss_world *vw);

/* ---- pure helpers (unit tests) ---------------------------------------------- */

/* What the world may have in its mount table: the device numbers (as
 * /proc/<pid>/mountinfo shows them) of the file systems it made. */
struct hvsim_vss_allowed {
	const dev_t *devs;
	size_t n_devs;
};
/* 0 if every mount in mountinfo text is a virtual file system hvsim made
 * (tmpfs, proc, sysfs, devpts, FUSE, none with a /dev/ source) or one of
 * the allowed devices; -EPERM with *ret_why naming the first other one;
 * -EINVAL for text that is not a mount table. */
int hvsim_vss_mountinfo_check(const char *text, const struct hvsim_vss_allowed *allowed, char **ret_why);

/* "64M", "1G", "300m", "4096": bytes.  -EINVAL, -ERANGE. */
int hvsim_parse_size(const char *s, uint64_t *ret);
