/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake sysfs: renders a world as the tree a Linux guest on Hyper-V
 * shows under /sys (PROTOCOL.md §9): VMBus devices under
 * devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/<guid> with the
 * bus/vmbus/devices links, drivers, channels, uio directories, the CPU
 * and NUMA topology under devices/system, and empty directories for the
 * rest of /sys.  class/net and devices/virtual/net are created empty: the
 * namespace setup binds a real sysfs's directories over them.
 *
 * Everything is created relative to a directory fd, so unit tests build
 * into a temporary directory and the world builds into the tmpfs that is
 * then /sys.  Files are plain files: values are a snapshot of the world.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "world.h"

/* The VMBus root, relative to /sys. */
#define HVSIM_SYSFS_VMBUS_ROOT "devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00"

/* Build the whole tree under rootfd.  -errno on the first failure. */
int hvsim_sysfs_build(int rootfd, const struct hvsim_world *w);

/* uio_hv_generic devices (PROTOCOL.md §8): bytes per direction of the
 * ring (the world's ring_size, else 20 KiB for fcopy and 2 MiB for the
 * rest), the N of uioN (-ENODEV: not bound to uio), and the ring file
 * relative to /sys. */
uint32_t hvsim_sysfs_uio_ring_size(const struct hvsim_device *d);
int hvsim_sysfs_uio_minor(const struct hvsim_world *w, const struct hvsim_device *d);
int hvsim_sysfs_ring_path(const struct hvsim_device *d, char *buf, size_t size);

/* Rescind and re-offer of one device: its directory and every link to it
 * go, or are built again as at the start. */
int hvsim_sysfs_remove_device(int rootfd, const struct hvsim_world *w, const struct hvsim_device *d);
int hvsim_sysfs_add_device(int rootfd, const struct hvsim_world *w, const struct hvsim_device *d);
