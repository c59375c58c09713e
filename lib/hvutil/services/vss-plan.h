/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The freeze plan (issue 4, PROTOCOL.md §6.3, ECOSYSTEM.md §4.6 item 2):
 * which mounts hv-vssd freezes, in which order, and why every other mount is
 * skipped.  Built from /proc/self/mountinfo plus a few facts about block
 * devices, through an adapter so the planner itself is pure and unit-tested
 * on fixture mount tables.
 *
 * Policy:
 *  - one entry per superblock (mountinfo major:minor): bind mounts and btrfs
 *    subvolumes of a file system already planned are skipped "duplicate";
 *  - skipped: read-only mounts, file systems without a block device
 *    ("nodev" in /proc/filesystems, or a source that is not a /dev/ node),
 *    network file systems, FUSE (fuse, fuseblk), overlay, vfat, and
 *    mountpoints matching a configured exclusion glob;
 *  - a file system on a loop device is frozen before the file system that
 *    holds its backing file; "/" is frozen last; otherwise mount order;
 *  - thaw is the reverse of the freeze order.
 *
 * Details (vss-plan.c says why):
 *  - the reason that wins when several apply: network, FUSE, overlay,
 *    vfat, no block device, excluded, read-only, duplicate;
 *  - a superblock is planned through its first mount that is writable and
 *    not excluded, preferring a directory mount point over a bind-mounted
 *    file and a visible one over one covered by a later mount at the same
 *    path; every other mount of a planned superblock is "duplicate" (also
 *    read-only or excluded ones: their data is frozen all the same);
 *  - only vfat is skipped by name (like the reference daemon): msdos and
 *    exfat are not, and fail their freeze instead;
 *  - exclusion globs use fnmatch() without FNM_PATHNAME, so "*" also
 *    matches "/": "/mnt/backup*" covers /mnt/backup/a/b;
 *  - a loop device whose backing file system is unknown, or loop chains
 *    that form a cycle, keep mount order (with a note), never fail.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hv_path;

enum hv_vss_skip {
	HV_VSS_SKIP_NONE = 0,  /* frozen */
	HV_VSS_SKIP_READ_ONLY,
	HV_VSS_SKIP_NO_BLOCK_DEVICE,
	HV_VSS_SKIP_NETWORK,
	HV_VSS_SKIP_FUSE,
	HV_VSS_SKIP_OVERLAY,
	HV_VSS_SKIP_VFAT,
	HV_VSS_SKIP_EXCLUDED,
	HV_VSS_SKIP_DUPLICATE,
	_HV_VSS_SKIP_MAX,
};

/* "frozen", "read-only", "no-block-device", "network", "fuse", "overlay",
 * "vfat", "excluded", "duplicate" */
const char *hv_vss_skip_to_string(enum hv_vss_skip s);
/* The reverse; -EINVAL (cast) for an unknown name. */
enum hv_vss_skip hv_vss_skip_from_string(const char *s);

struct hv_vss_plan_entry {
	int mount_id;
	unsigned major, minor; /* superblock device from mountinfo */
	char *mountpoint;      /* unescaped */
	char *fstype;
	char *source;
	enum hv_vss_skip skip;
	char *detail;          /* human reason ("bind mount of /srv", "matches exclude-mounts glob /mnt/backup*",
				* "on loop0, backing file on /data"); may be NULL */
	int order;             /* position in the freeze order, -1 when skipped */
	char *loop_backing_mount; /* mountpoint holding the loop backing file, or NULL */
};

struct hv_vss_plan {
	struct hv_vss_plan_entry *entries; /* mountinfo order */
	size_t n_entries;
	size_t *freeze;                    /* indexes into entries, freeze order */
	size_t n_freeze;
};

/* Facts the planner cannot get from mountinfo.  facts itself and any
 * callback may be NULL (unknown). */
struct hv_vss_plan_facts {
	/* Is fstype a file system without a block device ("nodev" in
	 * /proc/filesystems)?  1 yes, 0 no, < 0 unknown. */
	int (*fs_is_nodev)(void *userdata, const char *fstype);
	/* If major:minor is a loop device (or stacked on one, via
	 * holders/slaves), the device (st_dev) of the file system holding its
	 * backing file: 1 and *ret_dev set; 0 when not a loop device; < 0
	 * unknown. */
	int (*loop_backing_dev)(void *userdata, unsigned major, unsigned minor, dev_t *ret_dev);
	void *userdata;
	/* Is the mount point a directory?  1 yes, 0 no (a bind-mounted
	 * file), < 0 unknown.  Asked only when a superblock has more than one
	 * mount that could be frozen, to pick a directory; never for network
	 * or FUSE mounts (a stat there can hang).  May be NULL (unknown). */
	int (*mountpoint_is_dir)(void *userdata, const char *mountpoint);
};

/* Facts from the running system through the path context (/proc, /sys). */
void hv_vss_plan_facts_system(const struct hv_path *p, struct hv_vss_plan_facts *ret);

/*
 * Plan from mountinfo text (the whole file).  exclude: NULL-terminated
 * fnmatch globs on mountpoints (may be NULL).  -EINVAL on a malformed
 * mountinfo line (ret_error names the line), -ENOMEM.
 */
int hv_vss_plan_build(const char *mountinfo, const struct hv_vss_plan_facts *facts, char *const *exclude,
		      struct hv_vss_plan **ret, char **ret_error);

/* Read <proc>/self/mountinfo through p and build. */
int hv_vss_plan_build_system(const struct hv_path *p, char *const *exclude, struct hv_vss_plan **ret,
			     char **ret_error);

struct hv_vss_plan *hv_vss_plan_free(struct hv_vss_plan *plan);
