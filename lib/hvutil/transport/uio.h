/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VMBus channel through uio_hv_generic (PROTOCOL.md §8, §7.3), for the
 * daemons that talk to the host directly on kernels >= 6.10 (file copy,
 * and the IC daemons later).
 *
 * Find: a device under /sys/bus/vmbus/devices by instance GUID, or the first
 * one of a class GUID, that has a uio/uioN directory (bound to
 * uio_hv_generic).  Open: /dev/uioN O_RDWR (the first open makes the kernel
 * open the channel), then map channels/<relid>/ring, MAP_SHARED, whose size
 * is 2 x the per-direction ring size (never assume 16 KiB: it is 20 KiB on
 * kernels with 0315fef2aff9); the file may appear a little after the uio
 * node, so open retries briefly.  First half: guest->host (TX), second half:
 * host->guest (RX), each a struct hv_ring.
 *
 * Events: the fd becomes readable when the event counter changed; a 4-byte
 * read consumes it.  Writing 1 clears the RX interrupt_mask and signals the
 * host (IC channels are not monitored).  After a rescind every read, write
 * and poll fails with EIO: the channel reports -ENODEV/-EIO and the caller
 * closes it and waits for the device to come back (find again).
 *
 * All paths go through the struct hv_path context; unit tests use a fixture
 * sysfs and a plain file as "ring"; the I/O is injectable like chardev's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/guid-text.h"
#include "transport/ring.h"

struct hv_path;
/* proto/guid.h's 16 raw bytes; transport/ may not include proto/
 * (siblings), so uio.c reads them as bytes (PROTOCOL.md §2.3 layout). */
struct hv_guid;

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL (= HV_GUID_STRING_MAX). */
#define HV_UIO_GUID_STRING_MAX HV_GUID_TEXT_MAX

struct hv_uio_device {
	char instance[HV_UIO_GUID_STRING_MAX]; /* "eb765408-105f-49b6-b4aa-c123b64d17d4" */
	char uio[32];                      /* "uio0" */
	uint32_t relid;                    /* primary channel (sysfs "id") */
};

/*
 * Find the device: by instance (not NULL) or else the first device of
 * class cls that is bound (devices sorted by directory name).  -ENOENT: no such device;
 * -ENODEV: it exists but is not bound to uio_hv_generic (no uio/ dir).
 */
int hv_uio_find(const struct hv_path *p, const struct hv_guid *instance, const struct hv_guid *cls,
		struct hv_uio_device *ret);

struct hv_uio_channel;

/*
 * Open /dev/<uio> and map the ring.  -ENOENT: node or ring file missing
 * (after retries, about a second); -EINVAL: ring size not 2 x (4096 +
 * multiple of 8), or still 0 after the retries.  The size is uio's
 * uio/uioN/maps/map0/size when present (it must not exceed the ring
 * file), else the ring file's size.
 * The RX interrupt_mask is cleared and the TX ring's pending_send_sz feature
 * bit is left as the host set it.
 */
int hv_uio_open(const struct hv_path *p, const struct hv_uio_device *dev, struct hv_uio_channel **ret);
struct hv_uio_channel *hv_uio_close(struct hv_uio_channel *c);

/* The 4-byte reads and writes on the uio fd (each returns bytes or -errno),
 * so tests can play the kernel; hv_uio_io_system is the default. */
struct hv_uio_io {
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t size);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t size);
};
extern const struct hv_uio_io hv_uio_io_system;
void hv_uio_set_io(struct hv_uio_channel *c, const struct hv_uio_io *io, void *userdata);

int hv_uio_get_fd(const struct hv_uio_channel *c);    /* poll for POLLIN */
size_t hv_uio_ring_size(const struct hv_uio_channel *c); /* per direction, header page included */
struct hv_ring *hv_uio_tx(struct hv_uio_channel *c);
struct hv_ring *hv_uio_rx(struct hv_uio_channel *c);

/* Consume the pending event: 0, -EAGAIN (none; fd is O_NONBLOCK), -EIO
 * (rescinded), other -errno. */
int hv_uio_ack_event(struct hv_uio_channel *c);

/*
 * Take the next packet from RX (hv_ring_recv, plus the signal it asks
 * for).  -EAGAIN when empty: then hv_uio_rearm() and poll again.
 */
int hv_uio_recv(struct hv_uio_channel *c, void *buf, size_t size, struct hv_ring_packet *ret_pkt);

/* Put a packet on TX and signal the host when the ring rules ask for it.
 * -EAGAIN: TX full (the caller waits for an event and retries). */
int hv_uio_send(struct hv_uio_channel *c, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
		size_t len);

/* Unmask RX in shared memory; returns 1 if data is already waiting (read
 * it now), 0 if the caller may sleep in poll(). */
int hv_uio_rearm(struct hv_uio_channel *c);

/* Write 1 to the uio node: unmask and signal the host. */
int hv_uio_signal(struct hv_uio_channel *c);

/* Counters for status files: packets and bytes each way, signals sent,
 * events consumed. */
struct hv_uio_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, signals, events;
};
void hv_uio_get_stats(const struct hv_uio_channel *c, struct hv_uio_stats *ret);

/* Write the class GUID to /sys/bus/vmbus/drivers/uio_hv_generic/new_id
 * (`hvctl ic bind`).  0 also when it was already there (EEXIST). */
int hv_uio_bind_class(const struct hv_path *p, const struct hv_guid *cls);
