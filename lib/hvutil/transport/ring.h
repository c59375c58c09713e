/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One direction of a VMBus ring buffer (PROTOCOL.md §1), as both ends see it
 * in shared memory: a 4096-byte header page (write_index, read_index,
 * interrupt_mask, pending_send_sz, feature_bits) then the data area.  The
 * same code is the guest's reader and writer (hv-fcopyd and the IC daemons
 * over uio) and the host's (hvsim), so it takes no side.
 *
 * Packets: [16-byte descriptor][payload][zero pad to 8][8-byte trailer];
 * len8 counts descriptor + payload + pad in 8-byte units, the trailer is
 * (u64)(write_index where the packet started) << 32.  A writer never fills
 * the ring: it needs free space strictly greater than the packet + trailer.
 *
 * Shared memory is the other side's to change at any moment, so every index
 * and length is read once (C11 atomics, acquire/release), validated (an
 * index beyond the data area, not 8-aligned, a descriptor with offset8 < 2 or
 * offset8 > len8, or a packet longer than what is in the ring), and a
 * violation marks the ring corrupt: every later call returns -EBADMSG and
 * hv_ring_error() says what was wrong.  Nothing is followed past a bad value.
 *
 * Signalling (§1.3) is decided here and done by the caller (uio: write 1 to
 * /dev/uioN; hvsim: bump the event counter):
 *  - after a send: signal iff the reader's interrupt_mask is 0 and the ring
 *    was empty before this packet;
 *  - after a receive: signal iff the writer advertised pending_send_sz
 *    (feature bit set, value != 0) and free space went from <= pending to
 *    > pending.
 * Portable C11: no x86-only barriers; works on x86_64 and arm64.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_RING_HEADER_SIZE 4096u /* the header page; data starts here */
#define HV_RING_DESC_SIZE 16u
#define HV_RING_TRAILER_SIZE 8u
#define HV_RING_FEAT_PENDING_SEND_SZ 0x1u

/* Header offsets (§1.1). */
#define HV_RING_OFF_WRITE_INDEX 0
#define HV_RING_OFF_READ_INDEX 4
#define HV_RING_OFF_INTERRUPT_MASK 8
#define HV_RING_OFF_PENDING_SEND_SZ 12
#define HV_RING_OFF_FEATURE_BITS 64

/* vmpacket_descriptor.type values used here. */
#define HV_VMBUS_PKT_DATA_INBAND 6u
#define HV_VMBUS_PKT_COMPLETION 0xBu
#define HV_VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x1u

/* The bytes a packet of payload_len takes on the ring, trailer included. */
#define HV_RING_PACKET_SPACE(payload_len) \
	(HV_RING_DESC_SIZE + (((size_t)(payload_len) + 7u) & ~(size_t)7u) + HV_RING_TRAILER_SIZE)

struct hv_ring {
	uint8_t *hdr;       /* the header page (shared memory) */
	uint8_t *data;      /* hdr + HV_RING_HEADER_SIZE */
	uint32_t data_size; /* bytes in the data area; multiple of 8 */
	bool corrupt;
	char error[96];     /* why it is corrupt */
};

/* One received packet's descriptor. */
struct hv_ring_packet {
	uint16_t type;
	uint16_t flags;
	uint64_t trans_id;
	size_t payload_len; /* (len8 - offset8) * 8: payload rounded up to 8 */
};

/*
 * Attach to one direction: mem is size bytes (header page + data area).
 * -EINVAL if size <= HV_RING_HEADER_SIZE or the data area is not a multiple
 * of 8 or larger than 2^31, or mem is not 8-byte aligned (the header words
 * are accessed as atomics).  Nothing in shared memory is written.
 */
int hv_ring_attach(struct hv_ring *r, void *mem, size_t size);

/* Zero both indices, pending_send_sz and the mask, set feature_bits
 * (the side that creates the ring: hvsim, or a test). */
void hv_ring_reset(struct hv_ring *r, uint32_t feature_bits);

/* Bytes readable / free now (0 on a corrupt ring; an invalid index found
 * here marks it corrupt).  A packet needs free space strictly greater than
 * HV_RING_PACKET_SPACE(len). */
size_t hv_ring_bytes_to_read(struct hv_ring *r);
size_t hv_ring_bytes_to_write(struct hv_ring *r);

/*
 * Reader: take the next packet.  Copies the payload (payload_len bytes,
 * padding included) into buf.  -EAGAIN: empty.  -ENOBUFS: buf too small
 * (the packet stays, *ret_pkt is filled so the caller can see its size).
 * -EBADMSG: corrupt (see above).  *ret_signal (may be NULL) tells whether
 * the writer must be signalled (pending_send_sz rule).
 */
int hv_ring_recv(struct hv_ring *r, void *buf, size_t size, struct hv_ring_packet *ret_pkt, bool *ret_signal);

/*
 * Writer: put one packet (descriptor with offset8 = 2, the payload, zero
 * padding up to 8, the trailer).  -EAGAIN: not enough room (free space must
 * exceed HV_RING_PACKET_SPACE(len)); with feature bit set the writer then
 * records the space it needs in pending_send_sz.  -EMSGSIZE: the packet can
 * never fit.  -EBADMSG: corrupt.  *ret_signal (may be NULL): the reader must
 * be signalled (empty transition and its interrupt_mask is 0).
 */
int hv_ring_send(struct hv_ring *r, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
		 size_t len, bool *ret_signal);

/* The reader's interrupt_mask: 1 = "do not signal me".  After unmasking a
 * reader must check hv_ring_bytes_to_read() again (a packet may have
 * arrived while masked). */
void hv_ring_set_interrupt_mask(struct hv_ring *r, bool masked);
bool hv_ring_get_interrupt_mask(struct hv_ring *r);

/* What is wrong with a corrupt ring ("" if it is not). */
const char *hv_ring_error(const struct hv_ring *r);

/* Current header values, for status output and tests. */
struct hv_ring_state {
	uint32_t write_index, read_index, interrupt_mask, pending_send_sz, feature_bits;
};
void hv_ring_get_state(struct hv_ring *r, struct hv_ring_state *ret);
