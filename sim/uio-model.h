/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel side of one device bound to uio_hv_generic (PROTOCOL.md §8,
 * §12 item 12), without FUSE: the uio core's event counter and per-open
 * listeners, and uio_hv_generic's open, release, irqcontrol, interrupt and
 * rescind.
 *
 *   - open: the first one connects the channel: the ring file (sysfs
 *     channels/<relid>/ring, 2 x the per-direction size) is mapped
 *     MAP_SHARED and both headers are reset with feature_bits =
 *     pending_send_sz, as the kernel initialises its rings; then the
 *     channel_open callback runs (the host negotiates).  Later opens only
 *     count.  The last release disconnects (channel_close).
 *   - read: exactly 4 bytes, the counter (s32) once it differs from what
 *     this listener last read; -EAGAIN when it does not (a blocking reader
 *     waits for the wakeup callback), -EINVAL for other sizes.
 *   - write: exactly 4 bytes: 1 clears the RX interrupt_mask and signals
 *     the host (IC channels are not monitored), 0 sets it; else -EINVAL.
 *   - interrupt (the host signalled the guest): the counter goes up; with
 *     mask_on_interrupt (kernels before b15b7d2a1b09) the RX mask is set
 *     to 1 first, so the guest must write 1 to hear from the host again.
 *   - rescind: every read, write and poll fails with -EIO from then on
 *     (listeners of this incarnation stay stale forever), readers are
 *     woken, the channel closes; a re-offer starts a new incarnation that
 *     needs a new open.
 *
 * Callbacks run inside the call that causes them; they may call the
 * host-side functions (interrupt, ring access) but not open or release.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvsim_uio;
struct hvsim_uio_listener;

struct hvsim_uio_callbacks {
	/* The first open connected the channel; the rings are reset. */
	void (*channel_open)(struct hvsim_uio *u, void *userdata);
	/* The channel was disconnected: last release, or rescind. */
	void (*channel_close)(struct hvsim_uio *u, bool rescinded, void *userdata);
	/* The guest wrote 1: the host is signalled. */
	void (*host_signal)(struct hvsim_uio *u, void *userdata);
	/* The counter changed or the device was rescinded: blocked readers
	 * and pollers check again. */
	void (*wakeup)(struct hvsim_uio *u, void *userdata);
};

struct hvsim_uio_config {
	const char *name;       /* for messages, e.g. the world device name */
	unsigned minor;         /* N of /dev/uioN */
	const char *ring_path;  /* the ring file, mapped at channel open */
	size_t ring_size;       /* per direction, header page included */
	bool mask_on_interrupt; /* the kernel behaviour before b15b7d2a1b09 */
};

struct hvsim_uio_stats {
	uint64_t opens, releases;
	uint64_t channel_opens, channel_closes;
	uint64_t event_reads;    /* 4-byte reads that returned the counter */
	uint64_t bad_reads;      /* -EINVAL: not 4 bytes */
	uint64_t unmasks;        /* writes of 1: RX unmasked, host signalled */
	uint64_t masks;          /* writes of 0 */
	uint64_t bad_writes;     /* -EINVAL: not 4 bytes, or not 0/1 */
	uint64_t interrupts;     /* host -> guest signals (counter bumps) */
	uint64_t eio;            /* operations refused after a rescind */
	uint64_t rescinds, offers;
};

/* NULL when out of memory.  cfg's strings are copied. */
struct hvsim_uio *hvsim_uio_new(const struct hvsim_uio_config *cfg, const struct hvsim_uio_callbacks *cb,
				void *userdata);
struct hvsim_uio *hvsim_uio_free(struct hvsim_uio *u);

/* --- file operations of /dev/uioN --- */

/* -ENODEV when rescinded; -errno when the ring cannot be mapped (the
 * open fails, as hv_uio_open's failure fails the kernel's). */
int hvsim_uio_open(struct hvsim_uio *u, struct hvsim_uio_listener **ret);
void hvsim_uio_release(struct hvsim_uio *u, struct hvsim_uio_listener *l);
/* 4 and *ret_count, or -EAGAIN (nothing new), -EINVAL, -EIO. */
int hvsim_uio_read(struct hvsim_uio *u, struct hvsim_uio_listener *l, size_t size, int32_t *ret_count);
/* 4, or -EINVAL, -EIO. */
int hvsim_uio_write(struct hvsim_uio *u, struct hvsim_uio_listener *l, const void *buf, size_t len);
/* POLLIN | POLLRDNORM when the counter changed; POLLERR | POLLIN after a
 * rescind (the kernel's poll returns -EIO); 0 otherwise. */
unsigned hvsim_uio_poll(struct hvsim_uio *u, const struct hvsim_uio_listener *l);

/* --- the host side --- */

/* The host signals the guest. */
void hvsim_uio_interrupt(struct hvsim_uio *u);
/* The mapped rings while the channel is open: first half TX (guest ->
 * host), second half RX; each ring_size bytes.  NULL when closed. */
uint8_t *hvsim_uio_ring_memory(const struct hvsim_uio *u);
size_t hvsim_uio_ring_size(const struct hvsim_uio *u);

/* Rescind the channel; 0, or -EALREADY. */
int hvsim_uio_rescind(struct hvsim_uio *u);
/* Offer it again after a rescind; 0, or -EALREADY when present. */
int hvsim_uio_offer(struct hvsim_uio *u);

/* --- introspection --- */

const char *hvsim_uio_name(const struct hvsim_uio *u);
unsigned hvsim_uio_minor(const struct hvsim_uio *u);
bool hvsim_uio_present(const struct hvsim_uio *u);      /* offered, not rescinded */
bool hvsim_uio_channel_open(const struct hvsim_uio *u); /* opened by the guest */
unsigned hvsim_uio_open_count(const struct hvsim_uio *u); /* opens of this incarnation */
int32_t hvsim_uio_event_count(const struct hvsim_uio *u);
/* The RX interrupt_mask (1 when masked), or -1 while the channel is closed. */
int hvsim_uio_rx_mask(const struct hvsim_uio *u);
const struct hvsim_uio_stats *hvsim_uio_stats(const struct hvsim_uio *u);
