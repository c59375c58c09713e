/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The world's mount namespace.  Everything here happens after
 * unshare(CLONE_NEWNS) with propagation private, so nothing of the machine
 * changes and everything is gone with the last process of the world:
 *
 *   /dev              tmpfs; null zero full random urandom tty fuse bound in
 *                     from the real /dev, a new devpts instance (ptmx), shm,
 *                     fd/stdin/stdout/stderr links, an empty vmbus/ for FUSE
 *   /sys              tmpfs with the fake sysfs of the world; class/net and
 *                     devices/virtual/net (and the net directories of other
 *                     devices) bound from a fresh sysfs of the current
 *                     network namespace
 *   /var/lib/hyperv   the state directory, bound
 *   /run/hvutils      a fresh tmpfs
 *
 * A mount point that does not exist on the machine (/var/lib/hyperv,
 * /run/hvutils) is made inside the namespace by "mirroring" its parent: a
 * tmpfs is mounted over the parent, every entry of the original is bound
 * back into it (directories recursively, with their submounts), symlinks
 * are copied, and then the missing directory is created in the tmpfs.
 */
#pragma once

#include "world.h"

/* unshare(CLONE_NEWNS) and make every mount private. */
int hvsim_ns_enter(void);
int hvsim_ns_setup_dev(void);
int hvsim_ns_setup_sys(const struct hvsim_world *w);
/* Bind state_dir on /var/lib/hyperv. */
int hvsim_ns_setup_state(const char *state_dir);
/* Fresh tmpfs on /run/hvutils. */
int hvsim_ns_setup_run(void);
/* Make path exist inside the namespace (mirroring parents as needed).
 * *ret_mirrored (may be NULL) tells whether a parent had to be mirrored. */
int hvsim_ns_ensure_dir(const char *path, bool *ret_mirrored);
