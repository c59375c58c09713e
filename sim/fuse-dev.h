/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE adapter: serves /dev/vmbus/hv_kvp, hv_vss and hv_fcopy from the
 * chardev models through libfuse3's low-level API.  One FUSE request is one
 * file operation of the kernel's hv_utils_transport: open, read, write,
 * poll, release.  Reads that find nothing pending are not answered until a
 * message is (or an interrupt arrives: EINTR), which gives the blocking,
 * O_NONBLOCK-ignoring read of the real device.  Files are direct_io, so
 * each read() and write() reaches us whole.
 *
 * The nodes are regular files (mode 0600): a FUSE mount cannot serve
 * character devices of its own, and the daemons only open, read, write,
 * poll and close them.
 *
 * The adapter runs in the caller's loop: poll hvsim_fuse_fd() for input
 * and call hvsim_fuse_dispatch().  It never blocks.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "chardev-model.h"

struct hvsim_fuse;

/*
 * Mount at mountpoint (created by the caller) and serve the given models
 * (NULL entries: no such node).  The nodes appear at appear_at_ms on the
 * monotonic clock (PROTOCOL.md §4, late device appearance).
 */
int hvsim_fuse_new(const char *mountpoint, struct hvsim_cdev *const cdevs[_HVSIM_CDEV_MAX],
		   uint64_t appear_at_ms, struct hvsim_fuse **ret);
struct hvsim_fuse *hvsim_fuse_free(struct hvsim_fuse *f);

int hvsim_fuse_fd(const struct hvsim_fuse *f);
/* Read and handle the requests available now.  0, or -ENODEV once the
 * mount is gone. */
int hvsim_fuse_dispatch(struct hvsim_fuse *f);
/* The model of kind k has a message pending: complete waiting reads and
 * wake pollers.  Call it from the model's readable callback. */
void hvsim_fuse_readable(struct hvsim_fuse *f, enum hvsim_cdev_kind k);
/* Pid of the process that opened node k (FUSE's view at open time), 0 if
 * not open. */
pid_t hvsim_fuse_opener(const struct hvsim_fuse *f, enum hvsim_cdev_kind k);
/* Reads blocked on node k right now. */
unsigned hvsim_fuse_waiting_readers(const struct hvsim_fuse *f, enum hvsim_cdev_kind k);
/* poll() calls on node k since the start (each a FUSE round trip here, a
 * function call in the kernel): how a daemon waits shows in this. */
uint64_t hvsim_fuse_polls(const struct hvsim_fuse *f, enum hvsim_cdev_kind k);
/* The host rescinds (offered false) or offers again the device of node k:
 * as the kernel destroys the util transport and deregisters the node, the
 * node disappears (ENOENT), blocked reads get EBADF, the model is released;
 * offered again, the node is back and can be opened and registered anew.
 * -EALREADY when it is so already, -ENODEV when the world has no such node. */
int hvsim_fuse_set_offered(struct hvsim_fuse *f, enum hvsim_cdev_kind k, bool offered, uint64_t now_ms);
bool hvsim_fuse_is_offered(const struct hvsim_fuse *f, enum hvsim_cdev_kind k);
