/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The world's uio_hv_generic devices, brought to life (PROTOCOL.md §8,
 * §12 item 12): for each device bound to uio_hv_generic a kernel model
 * (uio-model.c), /dev/uioN served through FUSE (fuse-uio.c), its ring
 * file in the fake sysfs, and, for a KVP, VSS or file-copy device, the
 * host engine's transport over the ring (host-ring.c).  Also the control
 * requests that concern them: "rescind" and "offer" of a device (sysfs
 * directory, node and channel go, then come back), "wait-registered" for
 * a service on uio (the guest opened the channel and answered the
 * NEGOTIATE), and their part of "status".
 *
 * Lives in hvsim's mount namespace, after /dev and /sys are set up.  In a
 * world with a root of its own the command has a mount namespace of its
 * own, copied at its start: the nodes made then are there, but a rescind
 * or re-offer later is not seen by it (only by processes entering hvsim's
 * namespace).
 */
#pragma once

#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "host.h"
#include "world.h"

struct hvsim_uio_world;

/* Models, nodes and links for every uio device of w (none: an empty
 * object).  vmbus_dir is where /dev/vmbus is served: the world's root is
 * that minus "/dev/vmbus" (a world with a root of its own, vss-world.h,
 * has /dev and /sys there).  -errno with a logged message on failure. */
int hvsim_uio_world_new(const struct hvsim_world *w, struct hvsim_host *host, const char *vmbus_dir,
			struct hvsim_uio_world **ret);
/* Unmounts everything; waiting clients are answered. */
struct hvsim_uio_world *hvsim_uio_world_free(struct hvsim_uio_world *uw);

size_t hvsim_uio_world_pollfds(struct hvsim_uio_world *uw, struct pollfd *pfds, size_t max);
void hvsim_uio_world_dispatch(struct hvsim_uio_world *uw, const struct pollfd *pfds, size_t n);
void hvsim_uio_world_tick(struct hvsim_uio_world *uw, uint64_t now);
uint64_t hvsim_uio_world_next_deadline(const struct hvsim_uio_world *uw);

/* "rescind" and "offer" ({"device": NAME}); false if cmd is not ours. */
bool hvsim_uio_world_request(struct hvsim_uio_world *uw, struct hvsim_control_conn *conn, const char *cmd,
			     json_object *req);
/* wait-registered for kind k when it is served over uio; false if it is
 * not (the caller answers). */
bool hvsim_uio_world_wait(struct hvsim_uio_world *uw, struct hvsim_control_conn *conn, enum hvsim_cdev_kind k,
			  int64_t timeout_ms);
/* The connection closed: forget its waits. */
void hvsim_uio_world_forget(struct hvsim_uio_world *uw, struct hvsim_control_conn *conn);

/* One object per uio device, for `status` ("uio": [...]). */
json_object *hvsim_uio_world_status(struct hvsim_uio_world *uw);
