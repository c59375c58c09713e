/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /dev/uioN through FUSE: one libfuse3 low-level session mounted on the
 * node itself (a regular file in the world's /dev; the FUSE root is that
 * file), serving one uio model.  Each open is a listener of the model;
 * read, write and poll are the model's (PROTOCOL.md §8): a 4-byte read
 * that finds nothing new is not answered until the counter moves (or a
 * signal interrupts it: EINTR), unless the file is O_NONBLOCK (EAGAIN).
 * Files are direct_io, so each read() and write() reaches us whole.
 *
 * mmap of the node is not served: the rings are mapped from sysfs
 * channels/<relid>/ring (hv_fcopy_uio_daemon, which maps /dev/uioN, does
 * not run in hvsim).
 *
 * A rescinded device's session is detached: the node is unmounted lazily
 * and removed, files still open keep getting EIO from this session until
 * they are closed, then the session ends (dispatch returns -ENODEV).  A
 * re-offer mounts a new session on a new node.
 */
#pragma once

#include "uio-model.h"

struct hvsim_fuse_uio;

/* Mount on node (created by the caller, a regular file) and serve u. */
int hvsim_fuse_uio_new(const char *node, struct hvsim_uio *u, struct hvsim_fuse_uio **ret);
/* Unmounts unless detached, answers waiting reads EBADF. */
struct hvsim_fuse_uio *hvsim_fuse_uio_free(struct hvsim_fuse_uio *f);

int hvsim_fuse_uio_fd(const struct hvsim_fuse_uio *f);
/* Handle the requests available now: 0, or -ENODEV once the connection
 * is gone. */
int hvsim_fuse_uio_dispatch(struct hvsim_fuse_uio *f);
/* The model's wakeup: retry blocked reads, wake pollers. */
void hvsim_fuse_uio_wakeup(struct hvsim_fuse_uio *f);
/* Rescind: unmount lazily and remove the node; keep serving open files. */
int hvsim_fuse_uio_detach(struct hvsim_fuse_uio *f);
unsigned hvsim_fuse_uio_waiting_readers(const struct hvsim_fuse_uio *f);
