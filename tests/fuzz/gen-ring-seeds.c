/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpus of fuzz-ring (rings in the input format described
 * in fuzz-ring.c, built with transport/ring itself) into corpus/fuzz-ring/.
 * Not a fuzz target.  Rebuild the seeds with:
 *
 *   cc -I lib/hvutil -include BUILDDIR/config.h tests/fuzz/gen-ring-seeds.c \
 *      lib/hvutil/transport/ring.c -o /tmp/gen-ring
 *   /tmp/gen-ring tests/fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "transport/ring.h"

#define IN_HDR 72

static const char *root;
static uint8_t mem[HV_RING_HEADER_SIZE + 12288] __attribute__((aligned(4096)));
static struct hv_ring ring;

/* A fresh ring of data_size bytes with both indices at start. */
static void ring_at(size_t data_size, uint32_t features, uint32_t start)
{
	memset(mem, 0, sizeof(mem));
	if (hv_ring_attach(&ring, mem, HV_RING_HEADER_SIZE + data_size) < 0)
		abort();
	hv_ring_reset(&ring, features);
	memcpy(mem + HV_RING_OFF_WRITE_INDEX, &start, 4); /* little-endian hosts only: a generator */
	memcpy(mem + HV_RING_OFF_READ_INDEX, &start, 4);
}

static void put(size_t len, uint64_t id)
{
	uint8_t p[8192];

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + id);
	if (hv_ring_send(&ring, HV_VMBUS_PKT_DATA_INBAND, 0, id, p, len, NULL) < 0)
		abort();
}

/* knobs in reserved header bytes 68..71: receive buffer size, mode, round-trip length / 3 */
static void seed(const char *name, uint16_t bufsize, uint8_t mode, uint8_t rt)
{
	char p[512];
	FILE *f;

	mem[68] = bufsize & 0xff;
	mem[69] = bufsize >> 8;
	mem[70] = mode;
	mem[71] = rt;
	snprintf(p, sizeof(p), "%s/fuzz-ring", root);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		abort();
	snprintf(p, sizeof(p), "%s/fuzz-ring/%s", root, name);
	f = fopen(p, "we");
	if (!f || fwrite(mem, 1, IN_HDR, f) != IN_HDR ||
	    fwrite(ring.data, 1, ring.data_size, f) != ring.data_size || fclose(f) != 0)
		abort();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 1;
	}
	root = argv[1];

	ring_at(1024, 0, 0);
	seed("empty-1k", 4096, 0, 10);

	ring_at(4096, HV_RING_FEAT_PENDING_SEND_SZ, 0);
	put(0, 1);
	put(13, 2);
	put(160, 3);
	seed("three-packets", 4096, 0, 40);

	/* packets crossing the end: descriptor split, payload split, trailer at 0 */
	ring_at(1024, 0, 1024 - 8);
	put(33, 4);
	put(100, 5);
	seed("wrap-descriptor", 256, 0, 1);
	ring_at(1024, 0, 1024 - 56);
	put(40, 6);
	put(8, 7);
	seed("wrap-trailer", 64, 1, 2);

	/* a full 16 KiB IC ring (12 KiB data) with a writer waiting */
	ring_at(12288, HV_RING_FEAT_PENDING_SEND_SZ, 4096);
	while (hv_ring_send(&ring, HV_VMBUS_PKT_DATA_INBAND, 0, 9, mem, 500, NULL) == 0)
		;
	seed("full-pending", 512, 0, 0);

	/* too small a buffer first: -ENOBUFS, then the big one */
	ring_at(2048, 0, 0);
	put(1000, 8);
	seed("enobufs", 100, 0, 5);

	/* corrupt: offset8 > len8 in the second packet */
	ring_at(1024, 0, 0);
	put(16, 10);
	put(16, 11);
	ring.data[48 + 2] = 9;
	seed("corrupt-offset8", 1024, 0, 0);
	return 0;
}
