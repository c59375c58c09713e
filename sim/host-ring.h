/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's end of a VMBus channel whose guest side is uio_hv_generic
 * (PROTOCOL.md §1, §2, §8, §12 items 1-3, 12): the transport the host
 * engines (host.c) use for a device bound to uio instead of hv_utils.
 *
 * Host -> guest: each IC payload becomes one data-in-band packet (type 6,
 * trans_id = the core's cookie) on the RX ring (hv_ring_send); the guest
 * is interrupted only when the ring rules say so (its interrupt_mask is 0
 * and the ring was empty), so a guest that never unmasks is never woken,
 * as on Hyper-V.  One packet is in flight at a time, as a real host sends
 * IC requests; the next waits in a queue.
 *
 * Guest -> host: read from the TX ring when the guest signals (writes 1
 * to /dev/uioN).  A reply must be a type-6 packet of the request's length
 * (rounded up to 8), trans_id the request's or all-ones (hv_fcopy_uio_daemon
 * sends all-ones), icflags TRANSACTION|RESPONSE and the request's icmsgtype;
 * anything else fails the request with what was wrong.  A packet the
 * guest does not answer within the kernel timeout of its service fails
 * ("timeout"); an answer that comes later with that packet's trans_id is
 * dropped.  A corrupt ring (hv_ring's checks) fails everything in flight
 * and every later request until the channel is opened again: it is never
 * followed.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "host.h"
#include "uio-model.h"
#include "world.h"

struct hvsim_ring_link;

/* Registers itself as kind k's link in h (closed until opened). */
struct hvsim_ring_link *hvsim_ring_link_new(struct hvsim_host *h, enum hvsim_cdev_kind k, struct hvsim_uio *u,
					    const struct hvsim_kernel_config *cfg);
struct hvsim_ring_link *hvsim_ring_link_free(struct hvsim_ring_link *l);

/* Wire these to the uio model's callbacks. */
void hvsim_ring_link_opened(struct hvsim_ring_link *l, uint64_t now);
void hvsim_ring_link_closed(struct hvsim_ring_link *l, bool rescinded, uint64_t now);
void hvsim_ring_link_signal(struct hvsim_ring_link *l, uint64_t now);

void hvsim_ring_link_tick(struct hvsim_ring_link *l, uint64_t now);
uint64_t hvsim_ring_link_next_deadline(const struct hvsim_ring_link *l);

/* Ring indices, masks and counters, for `hvsim host status`. */
void hvsim_ring_link_describe(struct hvsim_ring_link *l, json_object *out);
