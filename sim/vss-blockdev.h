/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine-side pieces of a VSS world's test file systems: zram and
 * loop devices hvsim creates (and only those), mkfs, mounts, and the
 * freeze ioctls teardown needs.  Everything here acts on the machine, so
 * every function takes exactly the device or path it may touch.
 *
 *   zram:  /sys/class/zram-control/hot_add gives a new index N; its size
 *          goes to /sys/block/zramN/disksize; hot_remove takes N back, and
 *          fails with EBUSY while the device is open (mounted anywhere).
 *   loop:  /dev/loop-control LOOP_CTL_GET_FREE, then LOOP_CONFIGURE (or
 *          LOOP_SET_FD + LOOP_SET_STATUS64 on kernels before 5.8) with
 *          LO_FLAGS_AUTOCLEAR: the device detaches itself once the last
 *          opener (hvsim's descriptor, a mount) is gone.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vss-world.h"

/* A new zram device of size bytes: *ret_index N of /dev/zramN, whose node
 * exists when this returns. */
int hvsim_zram_add(uint64_t size, int *ret_index);
/* hot_remove N, retrying while it is busy, for up to timeout_ms. */
int hvsim_zram_remove(int index, int timeout_ms);

/* A loop device over file: *ret_index N of /dev/loopN and an open
 * descriptor of it (*ret_fd) that keeps it attached until closed. */
int hvsim_loop_attach(const char *file, int *ret_index, int *ret_fd);

/* mkfs.<type> on dev; the tool's first error line on failure. */
int hvsim_mkfs(enum hvsim_fs_type type, const char *dev);

/* Split "noatime,ro,commit=5" into MS_* flags and file system data
 * ("commit=5"); data malloc'd (may be ""). */
int hvsim_mount_options(const char *options, unsigned long *ret_flags, char **ret_data);
int hvsim_fs_mount(const char *dev, const char *target, enum hvsim_fs_type type, const char *options,
		   bool read_only);

/* Superblock device of the mount at path, as /proc/self/mountinfo shows
 * it (the topmost mount there). */
int hvsim_mount_dev(const char *path, dev_t *ret);

int hvsim_btrfs_subvolume_create(const char *dir, const char *name);

/* FITHAW on the file system at path: 1 thawed, 0 it was not frozen. */
int hvsim_fs_thaw(const char *path);
