/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport/ring: the shared-memory layout byte for byte (PROTOCOL.md §1.1,
 * §1.2), round trips of many payload sizes, packets and trailers crossing
 * the end of the data area, the never-fill rule, -ENOBUFS keeping the
 * packet, every kind of corrupt index or descriptor, the §1.3 signal
 * decisions, and a two-thread producer/consumer run that waits only on the
 * signals the ring asks for (a lost wakeup hangs it and the timeout fails
 * it).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/macros.h"
#include "transport/ring.h"

/* ---- helpers ---- */

static uint8_t zeros[1u << 20];

static void *mem_new(size_t data_size)
{
	void *m = malloc(HV_RING_HEADER_SIZE + data_size); /* exact: ASan sees any overrun */

	cr_assert_not_null(m);
	memset(m, 0xa5, HV_RING_HEADER_SIZE + data_size);
	return m;
}

static void ring_new(struct hv_ring *r, void **mem, size_t data_size, uint32_t features)
{
	*mem = mem_new(data_size);
	cr_assert_eq(hv_ring_attach(r, *mem, HV_RING_HEADER_SIZE + data_size), 0);
	hv_ring_reset(r, features);
}

static uint32_t get_u32(const void *p)
{
	const uint8_t *b = p;

	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_u32(void *p, uint32_t v)
{
	uint8_t *b = p;

	for (int i = 0; i < 4; i++, v >>= 8)
		b[i] = v & 0xff;
}

static uint64_t get_u64(const void *p)
{
	return get_u32(p) | (uint64_t)get_u32((const uint8_t *)p + 4) << 32;
}

static void put_u16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = v & 0xff;
	b[1] = v >> 8;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* Empty ring whose indices both sit at off. */
static void place_at(struct hv_ring *r, uint32_t off)
{
	put_u32(r->hdr + HV_RING_OFF_WRITE_INDEX, off);
	put_u32(r->hdr + HV_RING_OFF_READ_INDEX, off);
}

static void send_ok(struct hv_ring *r, size_t len, uint32_t seed, bool *sig)
{
	static uint8_t buf[16384];

	cr_assert(len <= sizeof(buf));
	fill_pattern(buf, len, seed);
	cr_assert_eq(hv_ring_send(r, HV_VMBUS_PKT_DATA_INBAND, 0, seed, buf, len, sig), 0, "send %zu", len);
}

static void recv_check(struct hv_ring *r, size_t len, uint32_t seed, bool *sig)
{
	static uint8_t want[16384], got[16384];
	struct hv_ring_packet pkt;

	fill_pattern(want, len, seed);
	memset(got, 0xcc, sizeof(got));
	cr_assert_eq(hv_ring_recv(r, got, sizeof(got), &pkt, sig), 0, "recv %zu: %s", len, hv_ring_error(r));
	cr_assert_eq(pkt.type, HV_VMBUS_PKT_DATA_INBAND);
	cr_assert_eq(pkt.trans_id, seed);
	cr_assert_eq(pkt.payload_len, (len + 7) & ~(size_t)7);
	cr_assert_arr_eq(got, want, len);
	for (size_t i = len; i < pkt.payload_len; i++)
		cr_assert_eq(got[i], 0, "pad byte %zu of a %zu-byte payload", i, len);
}

/* ---- layout ---- */

Test(ring, header_offsets)
{
	cr_assert_eq(HV_RING_OFF_WRITE_INDEX, 0);
	cr_assert_eq(HV_RING_OFF_READ_INDEX, 4);
	cr_assert_eq(HV_RING_OFF_INTERRUPT_MASK, 8);
	cr_assert_eq(HV_RING_OFF_PENDING_SEND_SZ, 12);
	cr_assert_eq(HV_RING_OFF_FEATURE_BITS, 64);
	cr_assert_eq(HV_RING_HEADER_SIZE, 4096);
	cr_assert_eq(HV_RING_PACKET_SPACE(0), 24);
	cr_assert_eq(HV_RING_PACKET_SPACE(1), 32);
	cr_assert_eq(HV_RING_PACKET_SPACE(8), 32);
	cr_assert_eq(HV_RING_PACKET_SPACE(9), 40);
}

Test(ring, attach_checks_size)
{
	struct hv_ring r;
	void *m = mem_new(64);

	cr_assert_eq(hv_ring_attach(&r, m, HV_RING_HEADER_SIZE), -EINVAL);
	cr_assert_eq(hv_ring_attach(&r, m, HV_RING_HEADER_SIZE + 4), -EINVAL);
	cr_assert_eq(hv_ring_attach(&r, m, HV_RING_HEADER_SIZE + 60), -EINVAL);
	cr_assert_eq(hv_ring_attach(&r, NULL, HV_RING_HEADER_SIZE + 64), -EINVAL);
	cr_assert_eq(hv_ring_attach(&r, (uint8_t *)m + 4, HV_RING_HEADER_SIZE + 56), -EINVAL);
	cr_assert_eq(hv_ring_attach(&r, m, HV_RING_HEADER_SIZE + ((size_t)1 << 31) + 8), -EINVAL);
	cr_assert_eq(hv_ring_attach(&r, m, HV_RING_HEADER_SIZE + 64), 0);
	cr_assert_eq(r.hdr, m);
	cr_assert_eq(r.data, (uint8_t *)m + 4096);
	cr_assert_eq(r.data_size, 64);
	cr_assert_not(r.corrupt);
	cr_assert_str_empty(hv_ring_error(&r));
	free(m);
}

Test(ring, reset_writes_header)
{
	struct hv_ring r;
	struct hv_ring_state st;
	void *m;

	ring_new(&r, &m, 4096, HV_RING_FEAT_PENDING_SEND_SZ);
	cr_assert_eq(get_u32(r.hdr + 0), 0);
	cr_assert_eq(get_u32(r.hdr + 4), 0);
	cr_assert_eq(get_u32(r.hdr + 8), 0);
	cr_assert_eq(get_u32(r.hdr + 12), 0);
	cr_assert_eq(get_u32(r.hdr + 64), 1);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.feature_bits, 1);
	cr_assert_eq(hv_ring_bytes_to_read(&r), 0);
	cr_assert_eq(hv_ring_bytes_to_write(&r), 4096);
	free(m);
}

Test(ring, packet_bytes_on_the_ring)
{
	struct hv_ring r;
	void *m;
	uint8_t payload[13];

	ring_new(&r, &m, 4096, 0);
	memset(payload, 0x5a, sizeof(payload));
	cr_assert_eq(hv_ring_send(&r, HV_VMBUS_PKT_DATA_INBAND, HV_VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
				  0x1122334455667788ull, payload, sizeof(payload), NULL), 0);
	/* descriptor: type 6, offset8 2, len8 (16 + 16) / 8 = 4, flags 1 */
	cr_assert_eq(r.data[0], 6);
	cr_assert_eq(r.data[1], 0);
	cr_assert_eq(r.data[2], 2);
	cr_assert_eq(r.data[3], 0);
	cr_assert_eq(r.data[4], 4);
	cr_assert_eq(r.data[5], 0);
	cr_assert_eq(r.data[6], 1);
	cr_assert_eq(r.data[7], 0);
	cr_assert_eq(get_u64(r.data + 8), 0x1122334455667788ull);
	cr_assert_eq(r.data[8], 0x88);
	cr_assert_arr_eq(r.data + 16, payload, sizeof(payload));
	cr_assert_eq(r.data[29], 0);
	cr_assert_eq(r.data[30], 0);
	cr_assert_eq(r.data[31], 0);
	cr_assert_eq(get_u64(r.data + 32), 0); /* started at write_index 0 */
	cr_assert_eq(get_u32(r.hdr + HV_RING_OFF_WRITE_INDEX), 40);
	cr_assert_eq(get_u32(r.hdr + HV_RING_OFF_READ_INDEX), 0);

	/* an empty completion: len8 2, trailer = 40 << 32 */
	cr_assert_eq(hv_ring_send(&r, HV_VMBUS_PKT_COMPLETION, 0, 7, NULL, 0, NULL), 0);
	cr_assert_eq(get_u32(r.data + 40), HV_VMBUS_PKT_COMPLETION | 2u << 16);
	cr_assert_eq(get_u32(r.data + 44), 2);
	cr_assert_eq(get_u64(r.data + 48), 7);
	cr_assert_eq(get_u64(r.data + 56), (uint64_t)40 << 32);
	cr_assert_eq(get_u32(r.hdr + HV_RING_OFF_WRITE_INDEX), 64);
	cr_assert_eq(hv_ring_bytes_to_read(&r), 64);
	cr_assert_eq(hv_ring_bytes_to_write(&r), 4096 - 64);
	free(m);
}

/* ---- round trips and wrap-around ---- */

Test(ring, round_trip_sizes)
{
	static const size_t big[] = { 1000, 2047, 4096, 6144, 8000, 12255, 12256 };
	struct hv_ring r;
	void *m;
	bool sig;

	ring_new(&r, &m, 12288, HV_RING_FEAT_PENDING_SEND_SZ);
	for (size_t len = 0; len <= 600; len++) {
		send_ok(&r, len, (uint32_t)len, NULL);
		recv_check(&r, len, (uint32_t)len, &sig);
		cr_assert_not(sig);
		cr_assert_eq(hv_ring_bytes_to_read(&r), 0);
	}
	for (size_t i = 0; i < ELEMENTSOF(big); i++) {
		send_ok(&r, big[i], (uint32_t)i, NULL);
		recv_check(&r, big[i], (uint32_t)i, NULL);
	}
	/* 12257 rounds up to 12264; + 24 = the whole data area: never fits */
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, zeros, 12257, NULL), -EMSGSIZE);
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, zeros, 1u << 20, NULL), -EMSGSIZE);
	free(m);
}

Test(ring, len8_limit)
{
	const size_t ds = (size_t)1 << 20;
	struct hv_ring r;
	const uint8_t *payload = zeros;
	void *m;

	ring_new(&r, &m, ds, 0);
	/* len8 is a u16: (16 + 524264) / 8 = 65535 fits, 8 more bytes do not */
	cr_assert_eq(hv_ring_send(&r, 6, 0, 1, payload, 524264, NULL), 0);
	cr_assert_eq(hv_ring_send(&r, 6, 0, 2, payload, 524265, NULL), -EMSGSIZE);
	free(m);
}

Test(ring, wrap_every_position)
{
	static const size_t lens[] = { 0, 1, 7, 8, 9, 15, 16, 17, 24, 40, 100, 200, 500 };
	const uint32_t ds = 1024;
	struct hv_ring r;
	struct hv_ring_state st;
	void *m;

	ring_new(&r, &m, ds, 0);
	for (uint32_t x = 0; x < ds; x += 8) {
		for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
			size_t padded = (lens[i] + 7) & ~(size_t)7;
			uint32_t total = (uint32_t)HV_RING_PACKET_SPACE(lens[i]);
			uint32_t at = (uint32_t)((x + 16 + padded) % ds);

			memset(r.data, 0xee, ds);
			place_at(&r, x);
			send_ok(&r, lens[i], x + (uint32_t)i, NULL);
			cr_assert_eq(get_u64(r.data + at), (uint64_t)x << 32, "trailer of a packet at %u", x);
			hv_ring_get_state(&r, &st);
			cr_assert_eq(st.write_index, (x + total) % ds);
			recv_check(&r, lens[i], x + (uint32_t)i, NULL);
			hv_ring_get_state(&r, &st);
			cr_assert_eq(st.read_index, (x + total) % ds);
		}
	}
	free(m);
}

Test(ring, trailer_after_the_wrap)
{
	const uint32_t ds = 1024;
	struct hv_ring r;
	struct hv_ring_state st;
	void *m;

	ring_new(&r, &m, ds, 0);
	/* descriptor + 40 bytes end exactly at the end; the trailer is at 0 */
	place_at(&r, ds - 56);
	send_ok(&r, 40, 9, NULL);
	cr_assert_eq(get_u64(r.data), (uint64_t)(ds - 56) << 32);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.write_index, 8);
	recv_check(&r, 40, 9, NULL);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.read_index, 8);

	/* descriptor split 8 + 8 */
	place_at(&r, ds - 8);
	send_ok(&r, 33, 10, NULL);
	cr_assert_eq(get_u32(r.data + ds - 8), HV_VMBUS_PKT_DATA_INBAND | 2u << 16);
	cr_assert_eq(get_u64(r.data), 10); /* trans_id after the wrap */
	recv_check(&r, 33, 10, NULL);
	free(m);
}

Test(ring, many_packets_queued_across_the_end)
{
	const uint32_t ds = 2048;
	struct hv_ring r;
	void *m;
	uint32_t sent = 0, got = 0;

	ring_new(&r, &m, ds, 0);
	/* keep several packets of varying size in flight for many laps */
	for (int round = 0; round < 2000; round++) {
		while (hv_ring_bytes_to_write(&r) > HV_RING_PACKET_SPACE(sent % 97 * 3)) {
			send_ok(&r, sent % 97 * 3, sent, NULL);
			sent++;
		}
		for (int k = 0; k < 3 && got < sent; k++, got++)
			recv_check(&r, got % 97 * 3, got, NULL);
	}
	while (got < sent) {
		recv_check(&r, got % 97 * 3, got, NULL);
		got++;
	}
	cr_assert_eq(hv_ring_recv(&r, NULL, 0, NULL, NULL), -EAGAIN);
	cr_assert_gt(sent, 1000);
	free(m);
}

/* ---- never fill, -EMSGSIZE, -ENOBUFS ---- */

Test(ring, never_fill)
{
	const uint32_t ds = 1024;
	struct hv_ring r;
	struct hv_ring_state st;
	void *m;

	ring_new(&r, &m, ds, 0);
	/* 1000 bytes + 24 = 1024: even an empty ring is never filled */
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, zeros, 1000, NULL), -EMSGSIZE);
	send_ok(&r, 40, 1, NULL); /* 64 bytes; 960 free */
	cr_assert_eq(hv_ring_bytes_to_write(&r), 960);
	/* exactly fitting (936 + 24 = 960) is refused, and nothing changes */
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, zeros, 936, NULL), -EAGAIN);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.write_index, 64);
	cr_assert_eq(st.pending_send_sz, 0); /* no feature bit: nothing advertised */
	send_ok(&r, 928, 2, NULL); /* 952 < 960 */
	cr_assert_eq(hv_ring_bytes_to_write(&r), 8);
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, NULL, 0, NULL), -EAGAIN);
	recv_check(&r, 40, 1, NULL);
	recv_check(&r, 928, 2, NULL);
	cr_assert_eq(hv_ring_bytes_to_write(&r), ds);
	free(m);
}

Test(ring, enobufs_keeps_packet)
{
	struct hv_ring r;
	struct hv_ring_packet pkt = { 0 };
	uint8_t small[103];
	void *m;

	ring_new(&r, &m, 4096, 0);
	send_ok(&r, 100, 77, NULL);
	cr_assert_eq(hv_ring_recv(&r, small, sizeof(small), &pkt, NULL), -ENOBUFS);
	cr_assert_eq(pkt.payload_len, 104);
	cr_assert_eq(pkt.trans_id, 77);
	cr_assert_eq(hv_ring_bytes_to_read(&r), 128);
	cr_assert_not(r.corrupt);
	recv_check(&r, 100, 77, NULL);
	cr_assert_eq(hv_ring_recv(&r, small, sizeof(small), &pkt, NULL), -EAGAIN);
	free(m);
}

/* ---- corruption ---- */

enum corrupt_kind {
	C_WRITE_PAST_END,
	C_WRITE_FAR_PAST_END,
	C_WRITE_UNALIGNED,
	C_READ_PAST_END,
	C_READ_UNALIGNED,
	C_LEN8_TOO_BIG,
	C_LEN8_MAX,
	C_OFFSET8_ZERO,
	C_OFFSET8_ONE,
	C_OFFSET8_OVER_LEN8,
	C_LEN8_ZERO,
	C_SHORTER_THAN_PACKET,
	_C_MAX,
};

ParameterizedTestParameters(ring, corrupt)
{
	static int kinds[_C_MAX];

	for (int i = 0; i < _C_MAX; i++)
		kinds[i] = i;
	return cr_make_param_array(int, kinds, _C_MAX);
}

ParameterizedTest(int *kind, ring, corrupt)
{
	const uint32_t ds = 1024;
	struct hv_ring r;
	struct hv_ring_state st;
	uint8_t buf[2048];
	void *m;
	uint8_t *d;

	ring_new(&r, &m, ds, HV_RING_FEAT_PENDING_SEND_SZ);
	/* one good 40-byte packet at ds - 64 (descriptor at ds - 64, len8 7) */
	place_at(&r, ds - 64);
	send_ok(&r, 40, 1, NULL);
	d = r.data + ds - 64;
	switch ((enum corrupt_kind)*kind) {
	case C_WRITE_PAST_END:
		put_u32(r.hdr + HV_RING_OFF_WRITE_INDEX, ds);
		break;
	case C_WRITE_FAR_PAST_END:
		put_u32(r.hdr + HV_RING_OFF_WRITE_INDEX, 0xfffffff8);
		break;
	case C_WRITE_UNALIGNED:
		put_u32(r.hdr + HV_RING_OFF_WRITE_INDEX, 4);
		break;
	case C_READ_PAST_END:
		put_u32(r.hdr + HV_RING_OFF_READ_INDEX, ds + 64);
		break;
	case C_READ_UNALIGNED:
		put_u32(r.hdr + HV_RING_OFF_READ_INDEX, ds - 60);
		break;
	case C_LEN8_TOO_BIG:
		put_u16(d + 4, 8); /* 64 + 8 > the 64 bytes in the ring */
		break;
	case C_LEN8_MAX:
		put_u16(d + 4, 0xffff);
		break;
	case C_OFFSET8_ZERO:
		put_u16(d + 2, 0);
		break;
	case C_OFFSET8_ONE:
		put_u16(d + 2, 1);
		break;
	case C_OFFSET8_OVER_LEN8:
		put_u16(d + 2, 8);
		break;
	case C_LEN8_ZERO:
		put_u16(d + 4, 0);
		break;
	case C_SHORTER_THAN_PACKET:
		put_u32(r.hdr + HV_RING_OFF_WRITE_INDEX, ds - 48);
		break;
	case _C_MAX:
		break;
	}
	cr_assert_eq(hv_ring_recv(&r, buf, sizeof(buf), NULL, NULL), -EBADMSG, "kind %d", *kind);
	cr_assert(r.corrupt);
	cr_assert_str_not_empty(hv_ring_error(&r));
	/* nothing followed: read_index in shared memory did not move */
	hv_ring_get_state(&r, &st);
	cr_assert(st.read_index == ds - 64 || *kind == C_READ_PAST_END || *kind == C_READ_UNALIGNED);

	/* it stays corrupt even when the header looks sane again */
	place_at(&r, ds - 64);
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, NULL, 0, NULL), -EBADMSG);
	cr_assert_eq(hv_ring_recv(&r, buf, sizeof(buf), NULL, NULL), -EBADMSG);
	cr_assert_eq(hv_ring_bytes_to_read(&r), 0);
	cr_assert_eq(hv_ring_bytes_to_write(&r), 0);
	free(m);
}

Test(ring, writer_sees_corrupt_read_index)
{
	static const uint32_t bad[] = { 1024, 1028, 12, 0x80000000 };
	struct hv_ring r;
	void *m;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ring_new(&r, &m, 1024, 0);
		put_u32(r.hdr + HV_RING_OFF_READ_INDEX, bad[i]);
		cr_assert_eq(hv_ring_send(&r, 6, 0, 0, "x", 1, NULL), -EBADMSG);
		cr_assert(r.corrupt);
		cr_assert_eq(get_u32(r.hdr + HV_RING_OFF_WRITE_INDEX), 0);
		free(m);
	}
}

Test(ring, reset_clears_corruption)
{
	struct hv_ring r;
	void *m;

	ring_new(&r, &m, 1024, 0);
	put_u32(r.hdr + HV_RING_OFF_WRITE_INDEX, 3);
	cr_assert_eq(hv_ring_recv(&r, NULL, 0, NULL, NULL), -EBADMSG);
	hv_ring_reset(&r, 0);
	cr_assert_not(r.corrupt);
	cr_assert_str_empty(hv_ring_error(&r));
	send_ok(&r, 5, 5, NULL);
	recv_check(&r, 5, 5, NULL);
	free(m);
}

/* ---- signalling (§1.3) ---- */

Test(ring, signal_on_empty_transition)
{
	struct hv_ring r;
	void *m;
	bool sig;

	ring_new(&r, &m, 4096, 0);
	send_ok(&r, 10, 1, &sig);
	cr_assert(sig);
	send_ok(&r, 10, 2, &sig);
	cr_assert_not(sig);
	recv_check(&r, 10, 1, &sig);
	cr_assert_not(sig);
	send_ok(&r, 10, 3, &sig); /* packet 2 still there: not empty before */
	cr_assert_not(sig);
	recv_check(&r, 10, 2, NULL);
	recv_check(&r, 10, 3, NULL);
	send_ok(&r, 10, 4, &sig);
	cr_assert(sig);
	free(m);
}

Test(ring, masked_reader_is_not_signalled)
{
	struct hv_ring r;
	void *m;
	bool sig = true;

	ring_new(&r, &m, 4096, 0);
	hv_ring_set_interrupt_mask(&r, true);
	cr_assert(hv_ring_get_interrupt_mask(&r));
	cr_assert_eq(get_u32(r.hdr + HV_RING_OFF_INTERRUPT_MASK), 1);
	send_ok(&r, 10, 1, &sig);
	cr_assert_not(sig);
	/* unmask, then look again: the packet is there */
	hv_ring_set_interrupt_mask(&r, false);
	cr_assert_eq(get_u32(r.hdr + HV_RING_OFF_INTERRUPT_MASK), 0);
	cr_assert_gt(hv_ring_bytes_to_read(&r), 0);
	recv_check(&r, 10, 1, NULL);
	free(m);
}

Test(ring, pending_send_sz_crossing)
{
	struct hv_ring r;
	struct hv_ring_state st;
	void *m;
	bool sig;
	int n = 0, signalled_at = -1;

	ring_new(&r, &m, 4096, HV_RING_FEAT_PENDING_SEND_SZ);
	/* 63 packets of 64 bytes fill all but 64 bytes */
	while (hv_ring_send(&r, 6, 0, n, zeros, 40, NULL) == 0)
		n++;
	cr_assert_eq(n, 63);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.pending_send_sz, 64);
	cr_assert_eq(hv_ring_bytes_to_write(&r), 64);
	/* a 256-byte packet waits for free > 256 */
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, zeros, 232, NULL), -EAGAIN);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.pending_send_sz, 256);
	/* free: 64 -> 128 -> 192 -> 256 -> 320: only the 4th receive crosses */
	for (int i = 0; i < 10; i++) {
		uint8_t buf[64];

		cr_assert_eq(hv_ring_recv(&r, buf, sizeof(buf), NULL, &sig), 0);
		if (sig) {
			cr_assert_eq(signalled_at, -1, "signalled twice");
			signalled_at = i;
		}
	}
	cr_assert_eq(signalled_at, 3);
	cr_assert_eq(hv_ring_send(&r, 6, 0, 0, zeros, 232, NULL), 0);
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.pending_send_sz, 0, "cleared by the successful send");
	cr_assert_eq(hv_ring_recv(&r, NULL, 0, NULL, &sig), -ENOBUFS);
	free(m);
}

Test(ring, no_pending_without_feature_bit)
{
	struct hv_ring r;
	struct hv_ring_state st;
	uint8_t buf[64];
	void *m;
	bool sig;
	int n = 0;

	ring_new(&r, &m, 4096, 0);
	while (hv_ring_send(&r, 6, 0, n, buf, 40, NULL) == 0)
		n++;
	hv_ring_get_state(&r, &st);
	cr_assert_eq(st.pending_send_sz, 0);
	/* a peer that writes pending_send_sz without the feature bit is ignored */
	put_u32(r.hdr + HV_RING_OFF_PENDING_SEND_SZ, 100);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(hv_ring_recv(&r, buf, sizeof(buf), NULL, &sig), 0);
		cr_assert_not(sig);
	}
	free(m);
}

/* ---- two threads ---- */

#define STRESS_PACKETS 100000
#define STRESS_DATA (16384 - HV_RING_HEADER_SIZE)

struct stress {
	struct hv_ring r;
	int to_reader, to_writer; /* eventfds standing in for the two interrupts */
	int error;
};

static size_t stress_len(uint32_t i)
{
	uint32_t x = i * 2654435761u;

	x ^= x >> 13;
	/* mostly small, some up to ~6 KiB like an fcopy WRITE */
	return (x & 7) == 0 ? x % 6200 : x % 300;
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void wait_kick(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		abort();
}

static void *producer(void *arg)
{
	struct stress *s = arg;
	static uint8_t buf[8192];

	for (uint32_t i = 0; i < STRESS_PACKETS; i++) {
		size_t len = stress_len(i);
		bool sig;
		int k;

		fill_pattern(buf, len, i);
		while ((k = hv_ring_send(&s->r, HV_VMBUS_PKT_DATA_INBAND, 0, i, buf, len, &sig)) == -EAGAIN)
			wait_kick(s->to_writer);
		if (k < 0) {
			s->error = k;
			kick(s->to_reader);
			return NULL;
		}
		if (sig)
			kick(s->to_reader);
	}
	return NULL;
}

Test(ring, two_threads, .timeout = 60)
{
	static struct stress s;
	static uint8_t got[8192], want[8192];
	struct hv_ring_packet pkt;
	pthread_t t;
	void *m;
	uint32_t next = 0;

	ring_new(&s.r, &m, STRESS_DATA, HV_RING_FEAT_PENDING_SEND_SZ);
	s.to_reader = eventfd(0, EFD_CLOEXEC);
	s.to_writer = eventfd(0, EFD_CLOEXEC);
	cr_assert_geq(s.to_reader, 0);
	cr_assert_geq(s.to_writer, 0);
	cr_assert_eq(pthread_create(&t, NULL, producer, &s), 0);

	/* The reader drains masked, then unmasks and looks again before it
	 * sleeps, as §1.3 describes. */
	while (next < STRESS_PACKETS) {
		bool sig;
		int k;

		hv_ring_set_interrupt_mask(&s.r, true);
		k = hv_ring_recv(&s.r, got, sizeof(got), &pkt, &sig);
		if (k == -EAGAIN) {
			hv_ring_set_interrupt_mask(&s.r, false);
			if (hv_ring_bytes_to_read(&s.r) == 0) {
				wait_kick(s.to_reader);
				cr_assert_eq(s.error, 0, "producer: %d", s.error);
			}
			continue;
		}
		cr_assert_eq(k, 0, "packet %u: %d %s", next, k, hv_ring_error(&s.r));
		size_t len = stress_len(next);
		fill_pattern(want, len, next);
		cr_assert_eq(pkt.trans_id, next);
		cr_assert_eq(pkt.payload_len, (len + 7) & ~(size_t)7);
		cr_assert_arr_eq(got, want, len, "packet %u", next);
		if (sig)
			kick(s.to_writer);
		next++;
	}
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(s.error, 0);
	cr_assert_eq(hv_ring_bytes_to_read(&s.r), 0);
	close(s.to_reader);
	close(s.to_writer);
	free(m);
}
