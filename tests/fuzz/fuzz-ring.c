/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport/ring: any bytes as the shared memory of one ring direction, as
 * a hostile peer could leave it.  Input: the first 72 bytes of the header
 * page (indices, mask, pending_send_sz, feature_bits, and in the reserved
 * bytes 68..71 two knobs of ours: the receive buffer size and a mode), then
 * the data area (rounded down to 8 bytes, at most 64 KiB).  The memory is
 * allocated at its exact size so ASan flags any access outside it.
 *
 * The reader is driven until -EAGAIN or -EBADMSG; every packet it returns
 * must fit the buffer and the read index must stay a valid index.  In one
 * mode the writer goes first (a packet on a hostile ring); when the ring is
 * still sane at the end, a packet written must come back unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_HDR 72
#define DATA_MAX (64 * 1024)

static void check_state(struct hv_ring *r)
{
	struct hv_ring_state st;

	/* these validate both indices (and may mark the ring corrupt) */
	if (hv_ring_bytes_to_read(r) > r->data_size || hv_ring_bytes_to_write(r) > r->data_size)
		abort();
	hv_ring_get_state(r, &st);
	if (!r->corrupt && (st.read_index >= r->data_size || st.read_index % 8))
		abort();
	if (r->corrupt && hv_ring_error(r)[0] == '\0')
		abort();
}

/* The reader just hit -EAGAIN on a sane ring: the ring is empty, so a
 * packet we write is the next one read, unchanged. */
static void round_trip(struct hv_ring *r, uint8_t *buf, size_t len)
{
	static uint8_t got[DATA_MAX];
	struct hv_ring_packet pkt;
	int k;

	memset(buf, 0x3c, len);
	k = hv_ring_send(r, HV_VMBUS_PKT_DATA_INBAND, 0, 42, buf, len, NULL);
	if (k == -EAGAIN || k == -EMSGSIZE)
		return;
	if (k < 0 || hv_ring_bytes_to_read(r) != HV_RING_PACKET_SPACE(len))
		abort();
	if (hv_ring_recv(r, got, sizeof(got), &pkt, NULL) != 0 || pkt.trans_id != 42 ||
	    pkt.payload_len != ((len + 7) & ~(size_t)7) || memcmp(got, buf, len) != 0)
		abort();
	if (hv_ring_recv(r, got, sizeof(got), &pkt, NULL) != -EAGAIN)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[DATA_MAX];
	struct hv_ring r;
	struct hv_ring_packet pkt;
	size_t data_size, bufsize;
	uint8_t *mem, mode;
	int k, n = 0;

	if (size < IN_HDR + 8)
		return 0;
	data_size = (size - IN_HDR) & ~(size_t)7;
	if (data_size > DATA_MAX)
		data_size = DATA_MAX;
	mem = calloc(1, HV_RING_HEADER_SIZE + data_size);
	if (!mem)
		return 0;
	memcpy(mem, data, IN_HDR);
	memcpy(mem + HV_RING_HEADER_SIZE, data + IN_HDR, data_size);
	bufsize = (size_t)data[68] | (size_t)data[69] << 8;
	mode = data[70];
	if (hv_ring_attach(&r, mem, HV_RING_HEADER_SIZE + data_size) < 0)
		abort();

	if (mode & 1)
		(void)hv_ring_send(&r, HV_VMBUS_PKT_DATA_INBAND, 0, 1, data, size % 200, NULL);
	check_state(&r);

	for (;;) {
		bool sig;

		k = hv_ring_recv(&r, buf, bufsize, &pkt, &sig);
		if (k == -ENOBUFS) {
			if (pkt.payload_len <= bufsize || pkt.payload_len > r.data_size)
				abort();
			bufsize = sizeof(buf);
			continue;
		}
		if (k < 0)
			break;
		if (pkt.payload_len > bufsize || pkt.payload_len % 8)
			abort();
		check_state(&r);
		if (++n > (int)(r.data_size / 24) + 1)
			abort(); /* every packet takes at least 24 bytes */
	}
	if (k != -EAGAIN && k != -EBADMSG)
		abort();
	if (k == -EBADMSG && !r.corrupt)
		abort();
	check_state(&r);
	if (k == -EAGAIN && !r.corrupt)
		round_trip(&r, buf, (size_t)data[71] * 3);
	free(mem);
	return 0;
}
