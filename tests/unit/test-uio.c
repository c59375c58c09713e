/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport/uio against a fixture sysfs in a tmp dir: finding a device by
 * instance and by class (bound, not bound, missing), opening it with 16 and
 * 20 KiB rings and refusing bad sizes, then packets both ways through the
 * mapped ring file with the test as the host (transport/ring on a second
 * mapping of the same file), the signals the ring rules ask for observed
 * on /dev/uio0 (a FIFO here), events, rearm, and EIO after a rescind
 * (through an injected read/write).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/path.h"
#include "proto/guid.h"
#include "transport/ring.h"
#include "transport/uio.h"

#define FCOPY_INSTANCE "eb765408-105f-49b6-b4aa-c123b64d17d4"
#define FCOPY_CLASS "34d14be3-dee4-41c8-9ae7-6b174977c192"
#define KVP_INSTANCE "242ff919-07db-4180-9c2e-b86cb68c8c55"
#define KVP_CLASS "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"
#define DEVS "/sys/bus/vmbus/devices"

static char root[128];
static struct hv_path *path;

/* ---- fixture tree ---- */

static void mkfile(const char *rel, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "we");
	cr_assert_not_null(f, "%s", p);
	fputs(content, f);
	cr_assert_eq(fclose(f), 0);
}

static void mkdir_rel(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s/x", root, rel);
	mkfile(p + strlen(root), "");
	cr_assert_eq(unlink(p), 0);
}

static void sized_file(const char *rel, off_t size)
{
	char p[512];
	int fd;

	mkfile(rel, "");
	snprintf(p, sizeof(p), "%s%s", root, rel);
	fd = open(p, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	close(fd);
}

/* A device directory; uio < 0: not bound to uio_hv_generic. */
static void device(const char *instance, const char *cls, unsigned relid, int uio)
{
	char rel[256], text[64];

	snprintf(rel, sizeof(rel), DEVS "/%s/device_id", instance);
	snprintf(text, sizeof(text), "{%s}\n", instance);
	mkfile(rel, text);
	snprintf(rel, sizeof(rel), DEVS "/%s/class_id", instance);
	snprintf(text, sizeof(text), "{%s}\n", cls);
	mkfile(rel, text);
	snprintf(rel, sizeof(rel), DEVS "/%s/id", instance);
	snprintf(text, sizeof(text), "%u\n", relid);
	mkfile(rel, text);
	snprintf(rel, sizeof(rel), DEVS "/%s/channels/%u", instance, relid);
	mkdir_rel(rel);
	if (uio >= 0) {
		snprintf(rel, sizeof(rel), DEVS "/%s/uio/uio%d/name", instance, uio);
		mkfile(rel, "x\n");
	}
}

/* The ring file of the fcopy device (total bytes) and, when map0 > 0, uio's map0/size. */
static void ring_file(off_t total, unsigned map0)
{
	char text[32];

	sized_file(DEVS "/" FCOPY_INSTANCE "/channels/14/ring", total);
	if (map0 > 0) {
		snprintf(text, sizeof(text), "0x%x\n", map0);
		mkfile(DEVS "/" FCOPY_INSTANCE "/uio/uio0/maps/map0/size", text);
	}
}

static void node_fifo(void)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/dev", root);
	(void)mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dev/uio0", root);
	cr_assert_eq(mkfifo(p, 0600), 0);
}

static void setup(void)
{
	strcpy(root, "/tmp/hv-test-uio-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	path = hv_path_new(root);
	cr_assert_not_null(path);
	device(FCOPY_INSTANCE, FCOPY_CLASS, 14, 0);
	device(KVP_INSTANCE, KVP_CLASS, 15, -1);
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)system(cmd);
	hv_path_free(path);
}

static struct hv_guid guid(const char *s)
{
	struct hv_guid g;

	cr_assert_eq(hv_guid_from_string(s, &g), 0);
	return g;
}

/* ---- find ---- */

TestSuite(uio, .init = setup, .fini = teardown);

Test(uio, find_by_instance)
{
	struct hv_guid g = guid(FCOPY_INSTANCE);
	struct hv_uio_device d;

	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), 0);
	cr_assert_str_eq(d.instance, FCOPY_INSTANCE);
	cr_assert_str_eq(d.uio, "uio0");
	cr_assert_eq(d.relid, 14);
}

Test(uio, find_by_class)
{
	struct hv_guid c = guid(FCOPY_CLASS);
	struct hv_uio_device d;

	cr_assert_eq(hv_uio_find(path, NULL, &c, &d), 0);
	cr_assert_str_eq(d.instance, FCOPY_INSTANCE);
	cr_assert_str_eq(d.uio, "uio0");
	cr_assert_eq(d.relid, 14);
}

Test(uio, find_class_takes_first_bound)
{
	struct hv_guid c = guid(KVP_CLASS);
	struct hv_uio_device d;

	/* sorts before the unbound one; a third after it is bound as uio3 */
	device("00000000-1111-2222-3333-444444444444", KVP_CLASS, 20, -1);
	device("ffffffff-1111-2222-3333-444444444444", KVP_CLASS, 21, 3);
	cr_assert_eq(hv_uio_find(path, NULL, &c, &d), 0);
	cr_assert_str_eq(d.instance, "ffffffff-1111-2222-3333-444444444444");
	cr_assert_str_eq(d.uio, "uio3");
	cr_assert_eq(d.relid, 21);
}

Test(uio, find_not_bound)
{
	struct hv_guid g = guid(KVP_INSTANCE), c = guid(KVP_CLASS);
	struct hv_uio_device d = { .relid = 99 };

	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), -ENODEV);
	cr_assert_eq(hv_uio_find(path, NULL, &c, &d), -ENODEV);
	/* an empty uio/ directory is not bound either */
	mkdir_rel(DEVS "/" KVP_INSTANCE "/uio");
	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), -ENODEV);
	cr_assert_eq(d.relid, 99, "ret untouched on failure");
}

Test(uio, find_missing)
{
	struct hv_guid g = guid("12345678-1234-1234-1234-123456789abc");
	struct hv_uio_device d;
	struct hv_path *empty;

	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), -ENOENT);
	cr_assert_eq(hv_uio_find(path, NULL, &g, &d), -ENOENT);
	cr_assert_eq(hv_uio_find(path, NULL, NULL, &d), -EINVAL);
	empty = hv_path_new("/nonexistent-hv-test-root");
	cr_assert_eq(hv_uio_find(empty, &g, NULL, &d), -ENOENT);
	hv_path_free(empty);
}

Test(uio, find_without_device_id)
{
	struct hv_guid g = guid(FCOPY_INSTANCE);
	struct hv_uio_device d;
	char p[512];

	snprintf(p, sizeof(p), "%s" DEVS "/" FCOPY_INSTANCE "/device_id", root);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), 0);
	cr_assert_str_eq(d.instance, FCOPY_INSTANCE);
}

Test(uio, find_reads_sysfs_case_and_braces)
{
	struct hv_guid c = guid("0e0b6031-5213-4934-818b-38d90ced39db");
	struct hv_guid g = guid("9a4f1d3c-2b5e-4c7a-8d6f-1e2a3b4c5d6e");
	struct hv_uio_device d;

	device("9A4F1D3C-2B5E-4C7A-8D6F-1E2A3B4C5D6E", "0E0B6031-5213-4934-818B-38D90CED39DB", 7, 12);
	cr_assert_eq(hv_uio_find(path, NULL, &c, &d), 0);
	cr_assert_str_eq(d.instance, "9a4f1d3c-2b5e-4c7a-8d6f-1e2a3b4c5d6e");
	cr_assert_str_eq(d.uio, "uio12");
	cr_assert_eq(d.relid, 7);
	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), 0);
	cr_assert_eq(d.relid, 7);
}

/* ---- open ---- */

static struct hv_uio_device fcopy_dev(void)
{
	struct hv_guid g = guid(FCOPY_INSTANCE);
	struct hv_uio_device d;

	cr_assert_eq(hv_uio_find(path, &g, NULL, &d), 0);
	return d;
}

struct host {
	uint8_t *mem;
	size_t size;
	struct hv_ring to_guest, from_guest; /* guest RX, guest TX */
};

/* The host's view: a second mapping of the ring file, rings reset the way
 * the kernel does when the channel opens (feature bit set). */
static void host_map(struct host *h, size_t half, bool reset)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s" DEVS "/" FCOPY_INSTANCE "/channels/14/ring", root);
	fd = open(p, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	h->size = 2 * half;
	h->mem = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(h->mem, MAP_FAILED);
	close(fd);
	cr_assert_eq(hv_ring_attach(&h->from_guest, h->mem, half), 0);
	cr_assert_eq(hv_ring_attach(&h->to_guest, h->mem + half, half), 0);
	if (reset) {
		hv_ring_reset(&h->from_guest, HV_RING_FEAT_PENDING_SEND_SZ);
		hv_ring_reset(&h->to_guest, HV_RING_FEAT_PENDING_SEND_SZ);
	}
}

static void host_unmap(struct host *h)
{
	munmap(h->mem, h->size);
}

static void check_open_size(size_t half)
{
	struct hv_uio_device d = fcopy_dev();
	struct hv_uio_channel *c = NULL;
	struct host h;

	node_fifo();
	ring_file(2 * (off_t)half, 0);
	host_map(&h, half, true);
	hv_ring_set_interrupt_mask(&h.to_guest, true); /* the open clears it */
	cr_assert_eq(hv_uio_open(path, &d, &c), 0);
	cr_assert_eq(hv_uio_ring_size(c), half);
	cr_assert_eq(hv_uio_tx(c)->data_size, half - 4096);
	cr_assert_eq(hv_uio_rx(c)->data_size, half - 4096);
	cr_assert_eq(hv_uio_rx(c)->hdr, hv_uio_tx(c)->hdr + half);
	cr_assert_not(hv_ring_get_interrupt_mask(&h.to_guest));
	cr_assert_geq(hv_uio_get_fd(c), 0);
	cr_assert_neq(fcntl(hv_uio_get_fd(c), F_GETFL) & O_NONBLOCK, 0);
	cr_assert_neq(fcntl(hv_uio_get_fd(c), F_GETFD) & FD_CLOEXEC, 0);
	cr_assert_null(hv_uio_close(c));
	host_unmap(&h);
}

Test(uio, open_16k)
{
	check_open_size(16384);
}

Test(uio, open_20k)
{
	check_open_size(20480);
}

Test(uio, open_prefers_map0_size)
{
	struct hv_uio_device d = fcopy_dev();
	struct hv_uio_channel *c = NULL;

	/* a kernel whose ring file claims 2 x 512 pages for 2 x 16 KiB rings */
	node_fifo();
	ring_file(2 * 512 * 4096, 0x8000);
	cr_assert_eq(hv_uio_open(path, &d, &c), 0);
	cr_assert_eq(hv_uio_ring_size(c), 16384);
	hv_uio_close(c);
}

Test(uio, open_bad_sizes)
{
	static const struct {
		off_t file;
		unsigned map0;
	} bad[] = {
		{ 2 * 4096, 0 },          /* no data area */
		{ 2 * (4096 + 4), 0 },    /* not a multiple of 8 */
		{ 2 * 16384 + 8, 0 },     /* halves differ */
		{ 4096 * 3, 0 },          /* 6 KiB halves: header + 2 KiB, fine... */
		{ 2 * 16384, 0x10000 },   /* map0 larger than the file */
		{ 2 * 16384, 0x2008 },    /* map0 itself bad */
	};
	struct hv_uio_device d = fcopy_dev();

	node_fifo();
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct hv_uio_channel *c = NULL;
		char p[512];
		int k;

		snprintf(p, sizeof(p), "%s" DEVS "/" FCOPY_INSTANCE "/uio/uio0/maps/map0/size", root);
		(void)unlink(p);
		ring_file(bad[i].file, bad[i].map0);
		k = hv_uio_open(path, &d, &c);
		if (i == 3) {
			/* 12 KiB: two 6 KiB rings are odd but valid */
			cr_assert_eq(k, 0);
			hv_uio_close(c);
			continue;
		}
		cr_assert_eq(k, -EINVAL, "case %zu: %d", i, k);
		cr_assert_null(c);
	}
}

Test(uio, open_missing)
{
	struct hv_uio_device d = fcopy_dev();
	struct hv_uio_channel *c = NULL;

	/* no node */
	ring_file(2 * 16384, 0);
	cr_assert_eq(hv_uio_open(path, &d, &c), -ENOENT);
	/* node but no ring file, even after the retries */
	node_fifo();
	ring_file(0, 0);
	cr_assert_eq(hv_uio_open(path, &d, &c), -EINVAL, "a ring file that stays empty");
	{
		char p[512];

		snprintf(p, sizeof(p), "%s" DEVS "/" FCOPY_INSTANCE "/channels/14/ring", root);
		cr_assert_eq(unlink(p), 0);
	}
	cr_assert_eq(hv_uio_open(path, &d, &c), -ENOENT);
	cr_assert_null(c);
}

/* ---- packets, signals, events ---- */

struct world {
	struct hv_uio_channel *c;
	struct host h;
	int observer; /* reads what the guest writes to /dev/uio0 */
	int kicker;   /* writes events into it */
};

static void world_open(struct world *w, size_t half)
{
	struct hv_uio_device d = fcopy_dev();
	char p[512];

	node_fifo();
	ring_file(2 * (off_t)half, 2 * (unsigned)half);
	host_map(&w->h, half, true);
	cr_assert_eq(hv_uio_open(path, &d, &w->c), 0);
	snprintf(p, sizeof(p), "%s/dev/uio0", root);
	w->observer = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	w->kicker = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(w->observer, 0);
	cr_assert_geq(w->kicker, 0);
}

static void world_close(struct world *w)
{
	hv_uio_close(w->c);
	host_unmap(&w->h);
	close(w->observer);
	close(w->kicker);
}

/* How many signals (4-byte writes of 1) the guest made since last asked. */
static int signals_seen(struct world *w)
{
	uint32_t v;
	int n = 0;

	while (read(w->observer, &v, sizeof(v)) == sizeof(v)) {
		cr_assert_eq(v, 1);
		n++;
	}
	return n;
}

static void host_send(struct world *w, const char *text, uint64_t id, bool expect_signal)
{
	bool sig;

	cr_assert_eq(hv_ring_send(&w->h.to_guest, HV_VMBUS_PKT_DATA_INBAND, 0, id, text, strlen(text), &sig), 0);
	cr_assert_eq(sig, expect_signal);
}

Test(uio, request_and_reply_through_the_ring_file)
{
	struct world w;
	struct hv_ring_packet pkt;
	struct hv_uio_stats st;
	uint8_t buf[256];
	bool sig;

	world_open(&w, 20480);
	cr_assert_eq(hv_uio_ack_event(w.c), -EAGAIN);
	cr_assert_eq(hv_uio_rearm(w.c), 0);

	/* host -> guest: the open left RX unmasked, so the host signals */
	host_send(&w, "negotiate please", 0xabcdef, true);
	cr_assert_eq(write(w.kicker, "\1\0\0\0", 4), 4);
	cr_assert_eq(hv_uio_ack_event(w.c), 0);
	cr_assert_eq(hv_uio_ack_event(w.c), -EAGAIN);
	cr_assert_eq(hv_uio_rearm(w.c), 1);
	cr_assert_eq(hv_uio_recv(w.c, buf, sizeof(buf), &pkt), 0);
	cr_assert_eq(pkt.trans_id, 0xabcdef);
	cr_assert_eq(pkt.type, HV_VMBUS_PKT_DATA_INBAND);
	cr_assert_eq(pkt.payload_len, 16);
	cr_assert_arr_eq(buf, "negotiate please", 16);
	cr_assert_eq(hv_uio_recv(w.c, buf, sizeof(buf), &pkt), -EAGAIN);
	cr_assert_eq(hv_uio_rearm(w.c), 0);
	cr_assert_eq(signals_seen(&w), 0, "nobody waited for room");

	/* guest -> host: empty TX, host unmasked: one signal */
	cr_assert_eq(hv_uio_send(w.c, HV_VMBUS_PKT_DATA_INBAND, 0, 0xabcdef, "reply", 5), 0);
	cr_assert_eq(signals_seen(&w), 1);
	/* a second reply while the first is unread: no signal */
	cr_assert_eq(hv_uio_send(w.c, HV_VMBUS_PKT_DATA_INBAND, 0, 2, "again", 5), 0);
	cr_assert_eq(signals_seen(&w), 0);
	cr_assert_eq(hv_ring_recv(&w.h.from_guest, buf, sizeof(buf), &pkt, &sig), 0);
	cr_assert_eq(pkt.trans_id, 0xabcdef);
	cr_assert_arr_eq(buf, "reply\0\0\0", 8);
	cr_assert_eq(hv_ring_recv(&w.h.from_guest, buf, sizeof(buf), &pkt, &sig), 0);
	cr_assert_eq(pkt.trans_id, 2);
	/* the host masks its side: no signal */
	hv_ring_set_interrupt_mask(&w.h.from_guest, true);
	cr_assert_eq(hv_uio_send(w.c, HV_VMBUS_PKT_DATA_INBAND, 0, 3, "x", 1), 0);
	cr_assert_eq(signals_seen(&w), 0);

	hv_uio_get_stats(w.c, &st);
	cr_assert_eq(st.rx_packets, 1);
	cr_assert_eq(st.rx_bytes, 16);
	cr_assert_eq(st.tx_packets, 3);
	cr_assert_eq(st.tx_bytes, 11);
	cr_assert_eq(st.signals, 1);
	cr_assert_eq(st.events, 1);

	cr_assert_eq(hv_uio_signal(w.c), 0);
	cr_assert_eq(signals_seen(&w), 1);
	world_close(&w);
}

Test(uio, enobufs_reports_size)
{
	struct world w;
	struct hv_ring_packet pkt = { 0 };
	uint8_t buf[8];

	world_open(&w, 16384);
	host_send(&w, "a longer message", 1, true);
	cr_assert_eq(hv_uio_recv(w.c, buf, sizeof(buf), &pkt), -ENOBUFS);
	cr_assert_eq(pkt.payload_len, 16);
	cr_assert_eq(hv_uio_rearm(w.c), 1, "still there");
	world_close(&w);
}

Test(uio, guest_wakes_a_waiting_host)
{
	struct world w;
	struct hv_ring_packet pkt;
	uint8_t payload[1000] = { 0 }, buf[1024];
	int sent = 0, recvd = 0;

	world_open(&w, 16384);
	/* the host fills the guest's RX ring until it must wait */
	while (hv_ring_send(&w.h.to_guest, HV_VMBUS_PKT_DATA_INBAND, 0, sent, payload, sizeof(payload), NULL) == 0)
		sent++;
	cr_assert_gt(sent, 5);
	cr_assert_eq(signals_seen(&w), 0);
	/* the guest drains; exactly one receive makes enough room */
	while (hv_uio_recv(w.c, buf, sizeof(buf), &pkt) == 0) {
		cr_assert_eq(pkt.trans_id, (uint64_t)recvd);
		recvd++;
		cr_assert_eq(signals_seen(&w), recvd == 1 ? 1 : 0, "after receive %d", recvd);
	}
	cr_assert_eq(recvd, sent);
	world_close(&w);
}

/* ---- rescind ---- */

struct fake_kernel {
	bool rescinded;
	int reads, writes;
};

static ssize_t fake_read(void *userdata, int fd, void *buf, size_t size)
{
	struct fake_kernel *k = userdata;

	k->reads++;
	if (k->rescinded)
		return -EIO;
	if (size != 4)
		return -EINVAL;
	memset(buf, 0, size);
	return 4;
}

static ssize_t fake_write(void *userdata, int fd, const void *buf, size_t size)
{
	struct fake_kernel *k = userdata;

	k->writes++;
	if (k->rescinded)
		return -EIO;
	return size == 4 ? 4 : -EINVAL;
}

static const struct hv_uio_io fake_io = { .read = fake_read, .write = fake_write };

Test(uio, eio_after_rescind)
{
	struct fake_kernel k = { 0 };
	struct world w;
	struct hv_ring_packet pkt;
	uint8_t buf[64];

	world_open(&w, 16384);
	hv_uio_set_io(w.c, &fake_io, &k);
	cr_assert_eq(hv_uio_ack_event(w.c), 0);
	cr_assert_eq(hv_uio_send(w.c, HV_VMBUS_PKT_DATA_INBAND, 0, 1, "a", 1), 0);
	cr_assert_eq(k.writes, 1);

	k.rescinded = true;
	cr_assert_eq(hv_uio_ack_event(w.c), -EIO);
	cr_assert_eq(hv_uio_signal(w.c), -EIO);
	/* a send that must signal reports the failure */
	cr_assert_eq(hv_ring_recv(&w.h.from_guest, buf, sizeof(buf), &pkt, NULL), 0);
	cr_assert_eq(hv_uio_send(w.c, HV_VMBUS_PKT_DATA_INBAND, 0, 2, "b", 1), -EIO);
	cr_assert_eq(signals_seen(&w), 0, "the real node saw nothing");

	/* back to the system calls */
	hv_uio_set_io(w.c, NULL, NULL);
	cr_assert_eq(hv_uio_signal(w.c), 0);
	cr_assert_eq(signals_seen(&w), 1);
	world_close(&w);
}

Test(uio, corrupt_rx_ring)
{
	struct world w;
	uint8_t buf[64];

	world_open(&w, 16384);
	memcpy(w.h.to_guest.hdr + HV_RING_OFF_WRITE_INDEX, "\x04\0\0\0", 4);
	cr_assert_eq(hv_uio_recv(w.c, buf, sizeof(buf), NULL), -EBADMSG);
	cr_assert_eq(hv_uio_rearm(w.c), -EBADMSG);
	cr_assert_str_not_empty(hv_ring_error(hv_uio_rx(w.c)));
	world_close(&w);
}

/* ---- binding ---- */

Test(uio, bind_class)
{
	struct hv_guid c = guid(FCOPY_CLASS);
	char p[512], *text = NULL;

	cr_assert_eq(hv_uio_bind_class(path, &c), -ENOENT, "driver not loaded");
	mkfile("/sys/bus/vmbus/drivers/uio_hv_generic/new_id", "");
	cr_assert_eq(hv_uio_bind_class(path, &c), 0);
	snprintf(p, sizeof(p), "%s/sys/bus/vmbus/drivers/uio_hv_generic/new_id", root);
	cr_assert_geq(hv_read_text_file(p, 0, &text), 0);
	cr_assert_str_eq(text, FCOPY_CLASS);
	free(text);
}
