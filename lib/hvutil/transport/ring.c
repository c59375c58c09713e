/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMBus ring buffer, one direction (see ring.h and PROTOCOL.md §1).
 *
 * The header words are shared with a peer we do not trust, so each one is
 * read exactly once per operation through a C11 atomic, converted from
 * little endian, and checked before it is used to address anything.  The
 * data area is copied with plain memcpy, split at the wrap point; only its
 * content can be garbage, never where we read or write.
 *
 * Ordering: the writer fills the packet and then publishes write_index with
 * release; the reader loads write_index with acquire before copying.  The
 * reader copies and then publishes read_index with release; the writer
 * loads read_index with acquire before overwriting.  The two "check the
 * other side after publishing" steps (writer: publish write_index, then look
 * at interrupt_mask and read_index; reader: publish read_index, then look at
 * pending_send_sz; writer: publish pending_send_sz, then look at read_index
 * again; reader: clear interrupt_mask, then look at write_index) are
 * store-then-load patterns, which need a full fence in between or a wakeup
 * can be lost on either architecture we support.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/macros.h"
#include "transport/ring.h"

#define DATA_SIZE_MAX (UINT32_C(1) << 31)
#define LEN8_MAX UINT16_MAX

/* ---- header words ---- */

static _Atomic uint32_t *word(const struct hv_ring *r, size_t off)
{
	return (_Atomic uint32_t *)(void *)(r->hdr + off);
}

static uint32_t load32(const struct hv_ring *r, size_t off, memory_order mo)
{
	return le32toh(atomic_load_explicit(word(r, off), mo));
}

static void store32(struct hv_ring *r, size_t off, uint32_t v, memory_order mo)
{
	atomic_store_explicit(word(r, off), htole32(v), mo);
}

static void full_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* ---- little-endian fields of a descriptor ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = v & 0xff;
}

/* ---- corruption ---- */

__attribute__((format(printf, 2, 3))) static int mark_corrupt(struct hv_ring *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->corrupt) {
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
		r->corrupt = true;
	}
	return -EBADMSG;
}

/* An index from shared memory: inside the data area and 8-aligned. */
static int check_index(struct hv_ring *r, const char *name, uint32_t v)
{
	if (v >= r->data_size)
		return mark_corrupt(r, "%s %u beyond data area of %u bytes", name, v, r->data_size);
	if (v % 8 != 0)
		return mark_corrupt(r, "%s %u not 8-byte aligned", name, v);
	return 0;
}

/* Both indices, read once each with the given orders and validated. */
static int load_indices(struct hv_ring *r, memory_order mo_write, memory_order mo_read, uint32_t *ret_w,
			uint32_t *ret_r)
{
	uint32_t w, rd;
	int k;

	if (r->corrupt)
		return -EBADMSG;
	w = load32(r, HV_RING_OFF_WRITE_INDEX, mo_write);
	rd = load32(r, HV_RING_OFF_READ_INDEX, mo_read);
	k = check_index(r, "write_index", w);
	if (k < 0)
		return k;
	k = check_index(r, "read_index", rd);
	if (k < 0)
		return k;
	*ret_w = w;
	*ret_r = rd;
	return 0;
}

static uint32_t used_bytes(const struct hv_ring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : r->data_size - rd + w;
}

static uint32_t free_bytes(const struct hv_ring *r, uint32_t w, uint32_t rd)
{
	return r->data_size - used_bytes(r, w, rd);
}

static uint32_t advance(const struct hv_ring *r, uint32_t idx, size_t n)
{
	/* idx < data_size and n <= data_size (callers checked): no overflow. */
	uint64_t v = (uint64_t)idx + n;

	return (uint32_t)(v >= r->data_size ? v - r->data_size : v);
}

/* ---- copies split at the wrap point; off < data_size, n <= data_size ---- */

static void copy_out(const struct hv_ring *r, uint32_t off, void *dst, size_t n)
{
	size_t first = HV_MIN(n, (size_t)(r->data_size - off));

	memcpy(dst, r->data + off, first);
	if (n > first)
		memcpy((uint8_t *)dst + first, r->data, n - first);
}

static void copy_in(struct hv_ring *r, uint32_t off, const void *src, size_t n)
{
	size_t first = HV_MIN(n, (size_t)(r->data_size - off));

	if (n == 0)
		return;
	memcpy(r->data + off, src, first);
	if (n > first)
		memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void zero_in(struct hv_ring *r, uint32_t off, size_t n)
{
	size_t first = HV_MIN(n, (size_t)(r->data_size - off));

	memset(r->data + off, 0, first);
	if (n > first)
		memset(r->data, 0, n - first);
}

/* ---- public ---- */

int hv_ring_attach(struct hv_ring *r, void *mem, size_t size)
{
	size_t data_size;

	if (!r || !mem || size <= HV_RING_HEADER_SIZE)
		return -EINVAL;
	/* The header words are accessed as aligned 32-bit atomics. */
	if ((uintptr_t)mem % 8 != 0)
		return -EINVAL;
	data_size = size - HV_RING_HEADER_SIZE;
	if (data_size % 8 != 0 || data_size > DATA_SIZE_MAX)
		return -EINVAL;
	*r = (struct hv_ring){
		.hdr = mem,
		.data = (uint8_t *)mem + HV_RING_HEADER_SIZE,
		.data_size = (uint32_t)data_size,
	};
	return 0;
}

void hv_ring_reset(struct hv_ring *r, uint32_t feature_bits)
{
	store32(r, HV_RING_OFF_READ_INDEX, 0, memory_order_relaxed);
	store32(r, HV_RING_OFF_INTERRUPT_MASK, 0, memory_order_relaxed);
	store32(r, HV_RING_OFF_PENDING_SEND_SZ, 0, memory_order_relaxed);
	store32(r, HV_RING_OFF_FEATURE_BITS, feature_bits, memory_order_relaxed);
	store32(r, HV_RING_OFF_WRITE_INDEX, 0, memory_order_release);
	r->corrupt = false;
	r->error[0] = '\0';
}

size_t hv_ring_bytes_to_read(struct hv_ring *r)
{
	uint32_t w, rd;

	if (load_indices(r, memory_order_acquire, memory_order_relaxed, &w, &rd) < 0)
		return 0;
	return used_bytes(r, w, rd);
}

size_t hv_ring_bytes_to_write(struct hv_ring *r)
{
	uint32_t w, rd;

	if (load_indices(r, memory_order_relaxed, memory_order_acquire, &w, &rd) < 0)
		return 0;
	return free_bytes(r, w, rd);
}

/*
 * Reader side of §1.3, after read_index was published: the writer waits for
 * free space > pending_send_sz; wake it only when this receive crossed that
 * line.  Free space is computed again from a fresh write_index, as the
 * kernel does: the one the receive started with may be stale, and a stale
 * (too large) "before" could make us miss the crossing and leave the writer
 * waiting for ever.  The acquire on pending_send_sz pairs with the writer's
 * release, so a writer that is waiting has its last write_index visible.
 */
static bool recv_needs_signal(struct hv_ring *r, uint32_t new_rd, uint32_t consumed)
{
	uint32_t pending, w, free_after;

	if (!(load32(r, HV_RING_OFF_FEATURE_BITS, memory_order_relaxed) & HV_RING_FEAT_PENDING_SEND_SZ))
		return false;
	pending = load32(r, HV_RING_OFF_PENDING_SEND_SZ, memory_order_acquire);
	if (pending == 0)
		return false;
	w = load32(r, HV_RING_OFF_WRITE_INDEX, memory_order_acquire);
	if (check_index(r, "write_index", w) < 0)
		return false;
	free_after = free_bytes(r, w, new_rd);
	/* The writer already refilled what we freed: it was not waiting on
	 * this receive (if it waits again, a later receive crosses). */
	if (free_after < consumed)
		return false;
	return free_after - consumed <= pending && free_after > pending;
}

int hv_ring_recv(struct hv_ring *r, void *buf, size_t size, struct hv_ring_packet *ret_pkt, bool *ret_signal)
{
	uint8_t desc[HV_RING_DESC_SIZE];
	struct hv_ring_packet pkt;
	uint32_t w, rd, avail, offset8, len8, total, new_rd;
	int k;

	if (ret_signal)
		*ret_signal = false;
	k = load_indices(r, memory_order_acquire, memory_order_relaxed, &w, &rd);
	if (k < 0)
		return k;
	avail = used_bytes(r, w, rd);
	if (avail == 0)
		return -EAGAIN;
	/* The writer publishes whole packets, so anything in the ring is at
	 * least a descriptor and a trailer. */
	if (avail < HV_RING_DESC_SIZE + HV_RING_TRAILER_SIZE)
		return mark_corrupt(r, "%u bytes in ring, less than a packet", avail);

	copy_out(r, rd, desc, sizeof(desc));
	offset8 = get16(desc + 2);
	len8 = get16(desc + 4);
	if (offset8 < 2)
		return mark_corrupt(r, "packet at %u: offset8 %u < 2", rd, offset8);
	if (offset8 > len8)
		return mark_corrupt(r, "packet at %u: offset8 %u > len8 %u", rd, offset8, len8);
	total = len8 * 8 + HV_RING_TRAILER_SIZE;
	if (total > avail)
		return mark_corrupt(r, "packet at %u: len8 %u exceeds the %u bytes in ring", rd, len8, avail);

	pkt = (struct hv_ring_packet){
		.type = get16(desc),
		.flags = get16(desc + 6),
		.trans_id = get64(desc + 8),
		.payload_len = (size_t)(len8 - offset8) * 8,
	};
	if (pkt.payload_len > size) {
		if (ret_pkt)
			*ret_pkt = pkt;
		return -ENOBUFS;
	}
	if (pkt.payload_len > 0)
		copy_out(r, advance(r, rd, offset8 * 8), buf, pkt.payload_len);

	new_rd = advance(r, rd, total);
	store32(r, HV_RING_OFF_READ_INDEX, new_rd, memory_order_release);
	full_fence();
	if (ret_signal)
		*ret_signal = recv_needs_signal(r, new_rd, total);
	if (ret_pkt)
		*ret_pkt = pkt;
	return 0;
}

/* Free space for total bytes (strictly more: never fill the ring).  With
 * the feature bit, advertise what we need and look again, because the
 * reader may have made room between our check and the store and then seen
 * no pending_send_sz to signal us about. */
static int reserve(struct hv_ring *r, uint32_t total, uint32_t *ret_w, uint32_t *ret_r)
{
	uint32_t w, rd;
	int k;

	k = load_indices(r, memory_order_relaxed, memory_order_acquire, &w, &rd);
	if (k < 0)
		return k;
	if (free_bytes(r, w, rd) <= total) {
		if (!(load32(r, HV_RING_OFF_FEATURE_BITS, memory_order_relaxed) & HV_RING_FEAT_PENDING_SEND_SZ))
			return -EAGAIN;
		store32(r, HV_RING_OFF_PENDING_SEND_SZ, total, memory_order_release);
		full_fence();
		k = load_indices(r, memory_order_relaxed, memory_order_acquire, &w, &rd);
		if (k < 0)
			return k;
		if (free_bytes(r, w, rd) <= total)
			return -EAGAIN;
	}
	*ret_w = w;
	*ret_r = rd;
	return 0;
}

int hv_ring_send(struct hv_ring *r, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
		 size_t len, bool *ret_signal)
{
	uint8_t desc[HV_RING_DESC_SIZE], trailer[HV_RING_TRAILER_SIZE];
	uint32_t w, rd, total, padded, mask;
	size_t len8;
	int k;

	if (ret_signal)
		*ret_signal = false;
	if (r->corrupt)
		return -EBADMSG;
	/* Checked before HV_RING_PACKET_SPACE so nothing can overflow. */
	if (len >= r->data_size)
		return -EMSGSIZE;
	padded = (uint32_t)((len + 7) & ~(size_t)7);
	len8 = (HV_RING_DESC_SIZE + padded) / 8;
	total = (uint32_t)HV_RING_PACKET_SPACE(len);
	if (len8 > LEN8_MAX || total >= r->data_size)
		return -EMSGSIZE;

	k = reserve(r, total, &w, &rd);
	if (k < 0)
		return k;

	put16(desc, type);
	put16(desc + 2, 2);
	put16(desc + 4, (uint16_t)len8);
	put16(desc + 6, flags);
	put64(desc + 8, trans_id);
	put64(trailer, (uint64_t)w << 32);

	copy_in(r, w, desc, sizeof(desc));
	copy_in(r, advance(r, w, HV_RING_DESC_SIZE), payload, len);
	zero_in(r, advance(r, w, HV_RING_DESC_SIZE + len), padded - len);
	copy_in(r, advance(r, w, HV_RING_DESC_SIZE + padded), trailer, sizeof(trailer));

	store32(r, HV_RING_OFF_WRITE_INDEX, advance(r, w, total), memory_order_release);
	if (load32(r, HV_RING_OFF_PENDING_SEND_SZ, memory_order_relaxed) != 0)
		store32(r, HV_RING_OFF_PENDING_SEND_SZ, 0, memory_order_relaxed);
	full_fence();

	/* Writer side of §1.3, as the kernel decides it: signal when the reader
	 * is not masked and had consumed everything before our packet.  Reading
	 * read_index again (instead of using the one from reserve()) also
	 * catches a reader that drained the ring while we were copying. */
	mask = load32(r, HV_RING_OFF_INTERRUPT_MASK, memory_order_relaxed);
	if (ret_signal)
		*ret_signal = mask == 0 && load32(r, HV_RING_OFF_READ_INDEX, memory_order_relaxed) == w;
	return 0;
}

void hv_ring_set_interrupt_mask(struct hv_ring *r, bool masked)
{
	store32(r, HV_RING_OFF_INTERRUPT_MASK, masked ? 1 : 0, memory_order_relaxed);
	/* So that a following hv_ring_bytes_to_read() sees a packet the writer
	 * published while it still saw us masked. */
	full_fence();
}

bool hv_ring_get_interrupt_mask(struct hv_ring *r)
{
	return load32(r, HV_RING_OFF_INTERRUPT_MASK, memory_order_relaxed) != 0;
}

const char *hv_ring_error(const struct hv_ring *r)
{
	return r->corrupt ? r->error : "";
}

void hv_ring_get_state(struct hv_ring *r, struct hv_ring_state *ret)
{
	*ret = (struct hv_ring_state){
		.write_index = load32(r, HV_RING_OFF_WRITE_INDEX, memory_order_acquire),
		.read_index = load32(r, HV_RING_OFF_READ_INDEX, memory_order_acquire),
		.interrupt_mask = load32(r, HV_RING_OFF_INTERRUPT_MASK, memory_order_relaxed),
		.pending_send_sz = load32(r, HV_RING_OFF_PENDING_SEND_SZ, memory_order_relaxed),
		.feature_bits = load32(r, HV_RING_OFF_FEATURE_BITS, memory_order_relaxed),
	};
}
