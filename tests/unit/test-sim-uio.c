/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim/uio-model and sim/host-ring: the kernel side of a device bound to
 * uio_hv_generic (PROTOCOL.md §8) and the host engines over its ring
 * (§1, §2, §12 items 1-3, 11, 12), without FUSE.  A temporary file stands
 * in for sysfs channels/<relid>/ring; the guest is played here with its
 * own MAP_SHARED mapping of that file and lib/hvutil's ring code.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "proto/fcopy.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/wire.h"
#include "sim/host-ring.h"
#include "sim/host.h"
#include "sim/sysfs.h"
#include "sim/uio-model.h"
#include "sim/world.h"
#include "transport/ring.h"

#define RING 16384u

static char ring_path[64];

static struct {
	unsigned opens, closes, rescind_closes, signals, wakeups;
	struct hvsim_ring_link *link; /* when wired to a host */
	uint64_t now;
} ev;

static void cb_open(struct hvsim_uio *u, void *userdata)
{
	ev.opens++;
	if (ev.link)
		hvsim_ring_link_opened(ev.link, ev.now);
}

static void cb_close(struct hvsim_uio *u, bool rescinded, void *userdata)
{
	ev.closes++;
	if (rescinded)
		ev.rescind_closes++;
	if (ev.link)
		hvsim_ring_link_closed(ev.link, rescinded, ev.now);
}

static void cb_signal(struct hvsim_uio *u, void *userdata)
{
	ev.signals++;
	if (ev.link)
		hvsim_ring_link_signal(ev.link, ev.now);
}

static void cb_wakeup(struct hvsim_uio *u, void *userdata)
{
	ev.wakeups++;
}

static const struct hvsim_uio_callbacks cb = {
	.channel_open = cb_open,
	.channel_close = cb_close,
	.host_signal = cb_signal,
	.wakeup = cb_wakeup,
};

static void make_ring_file(void)
{
	int fd;

	snprintf(ring_path, sizeof(ring_path), "/tmp/test-sim-uio.XXXXXX");
	fd = mkstemp(ring_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 2 * RING), 0);
	close(fd);
}

static struct hvsim_uio *new_model(bool mask_on_interrupt)
{
	struct hvsim_uio_config cfg = {
		.name = "fcopy",
		.minor = 0,
		.ring_path = ring_path,
		.ring_size = RING,
		.mask_on_interrupt = mask_on_interrupt,
	};
	struct hvsim_uio *u;

	memset(&ev, 0, sizeof(ev));
	make_ring_file();
	u = hvsim_uio_new(&cfg, &cb, NULL);
	cr_assert_not_null(u);
	return u;
}

static void cleanup_file(void)
{
	if (ring_path[0])
		unlink(ring_path);
}

/* The guest's own mapping of the ring file: TX then RX. */
struct guest {
	uint8_t *mem;
	struct hv_ring tx, rx;
};

static void guest_map(struct guest *g)
{
	int fd = open(ring_path, O_RDWR | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	g->mem = mmap(NULL, 2 * RING, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	cr_assert_neq(g->mem, MAP_FAILED);
	cr_assert_eq(hv_ring_attach(&g->tx, g->mem, RING), 0);
	cr_assert_eq(hv_ring_attach(&g->rx, g->mem + RING, RING), 0);
}

static void guest_unmap(struct guest *g)
{
	munmap(g->mem, 2 * RING);
}

static int put32(struct hvsim_uio *u, struct hvsim_uio_listener *l, int32_t v)
{
	return hvsim_uio_write(u, l, &v, sizeof(v));
}

/* ---- the model ------------------------------------------------------------------- */

Test(uio_model, open_resets_the_rings, .fini = cleanup_file)
{
	struct hvsim_uio *u = new_model(false);
	struct hvsim_uio_listener *l;
	struct hv_ring_state st;
	struct guest g;
	int fd;

	/* Stale bytes from an earlier incarnation in both headers. */
	fd = open(ring_path, O_RDWR);
	cr_assert_eq(pwrite(fd, "\x10\0\0\0\x20\0\0\0\1\0\0\0", 12, 0), 12);
	cr_assert_eq(pwrite(fd, "\x30\0\0\0", 4, RING), 4);
	close(fd);
	cr_assert_not(hvsim_uio_channel_open(u));
	cr_assert_eq(hvsim_uio_rx_mask(u), -1);
	cr_assert_eq(hvsim_uio_open(u, &l), 0);
	cr_assert_eq(ev.opens, 1);
	cr_assert(hvsim_uio_channel_open(u));
	guest_map(&g);
	hv_ring_get_state(&g.tx, &st);
	cr_assert_eq(st.write_index, 0);
	cr_assert_eq(st.read_index, 0);
	cr_assert_eq(st.interrupt_mask, 0);
	cr_assert_eq(st.feature_bits, HV_RING_FEAT_PENDING_SEND_SZ, "the kernel sets pending_send_sz on its rings");
	hv_ring_get_state(&g.rx, &st);
	cr_assert_eq(st.write_index, 0);
	cr_assert_eq(st.feature_bits, HV_RING_FEAT_PENDING_SEND_SZ);
	guest_unmap(&g);
	hvsim_uio_release(u, l);
	cr_assert_eq(ev.closes, 1);
	cr_assert_not(hvsim_uio_channel_open(u));
	hvsim_uio_free(u);
}

Test(uio_model, reads_are_four_bytes_and_report_news_once, .fini = cleanup_file)
{
	struct hvsim_uio *u = new_model(false);
	struct hvsim_uio_listener *a, *b;
	int32_t count = -1;

	cr_assert_eq(hvsim_uio_open(u, &a), 0);
	cr_assert_eq(hvsim_uio_read(u, a, 8, &count), -EINVAL);
	cr_assert_eq(hvsim_uio_read(u, a, 3, &count), -EINVAL);
	cr_assert_eq(hvsim_uio_read(u, a, 4, &count), -EAGAIN, "nothing happened yet");
	cr_assert_eq(hvsim_uio_poll(u, a), 0);
	hvsim_uio_interrupt(u);
	hvsim_uio_interrupt(u);
	cr_assert_eq(ev.wakeups, 2);
	cr_assert_eq(hvsim_uio_poll(u, a), POLLIN | POLLRDNORM);
	cr_assert_eq(hvsim_uio_read(u, a, 4, &count), 4);
	cr_assert_eq(count, 2, "the counter, not the number of new events");
	cr_assert_eq(hvsim_uio_read(u, a, 4, &count), -EAGAIN);
	/* A second open starts at the counter it finds. */
	cr_assert_eq(hvsim_uio_open(u, &b), 0);
	cr_assert_eq(ev.opens, 1, "only the first open connects");
	cr_assert_eq(hvsim_uio_read(u, b, 4, &count), -EAGAIN);
	hvsim_uio_interrupt(u);
	cr_assert_eq(hvsim_uio_read(u, b, 4, &count), 4);
	cr_assert_eq(count, 3);
	cr_assert_eq(hvsim_uio_read(u, a, 4, &count), 4, "each listener sees it");
	hvsim_uio_release(u, a);
	cr_assert_eq(ev.closes, 0, "still open once");
	hvsim_uio_release(u, b);
	cr_assert_eq(ev.closes, 1);
	cr_assert_eq(hvsim_uio_stats(u)->bad_reads, 2);
	hvsim_uio_free(u);
}

Test(uio_model, writes_mask_and_signal, .fini = cleanup_file)
{
	struct hvsim_uio *u = new_model(false);
	struct hvsim_uio_listener *l;

	cr_assert_eq(hvsim_uio_open(u, &l), 0);
	cr_assert_eq(hvsim_uio_write(u, l, "\1\0\0", 3), -EINVAL);
	cr_assert_eq(hvsim_uio_write(u, l, "\1\0\0\0\0\0\0\0", 8), -EINVAL);
	cr_assert_eq(put32(u, l, 2), -EINVAL);
	cr_assert_eq(put32(u, l, -1), -EINVAL);
	cr_assert_eq(hvsim_uio_stats(u)->bad_writes, 4);
	cr_assert_eq(put32(u, l, 0), 4);
	cr_assert_eq(hvsim_uio_rx_mask(u), 1);
	cr_assert_eq(ev.signals, 0, "0 only masks");
	cr_assert_eq(put32(u, l, 1), 4);
	cr_assert_eq(hvsim_uio_rx_mask(u), 0);
	cr_assert_eq(ev.signals, 1, "1 unmasks and signals the host");
	/* The default (new kernels): an interrupt leaves the mask alone. */
	hvsim_uio_interrupt(u);
	cr_assert_eq(hvsim_uio_rx_mask(u), 0);
	hvsim_uio_release(u, l);
	hvsim_uio_free(u);
}

Test(uio_model, old_kernels_mask_on_every_interrupt, .fini = cleanup_file)
{
	struct hvsim_uio *u = new_model(true);
	struct hvsim_uio_listener *l;

	cr_assert_eq(hvsim_uio_open(u, &l), 0);
	cr_assert_eq(hvsim_uio_rx_mask(u), 0);
	hvsim_uio_interrupt(u);
	cr_assert_eq(hvsim_uio_rx_mask(u), 1, "b15b7d2a1b09^: the interrupt masks");
	cr_assert_eq(put32(u, l, 1), 4);
	cr_assert_eq(hvsim_uio_rx_mask(u), 0);
	hvsim_uio_release(u, l);
	hvsim_uio_free(u);
}

Test(uio_model, rescind_and_offer, .fini = cleanup_file)
{
	struct hvsim_uio *u = new_model(false);
	struct hvsim_uio_listener *old, *l;
	int32_t count;

	cr_assert_eq(hvsim_uio_open(u, &old), 0);
	cr_assert_eq(hvsim_uio_offer(u), -EALREADY);
	cr_assert_eq(hvsim_uio_rescind(u), 0);
	cr_assert_eq(hvsim_uio_rescind(u), -EALREADY);
	cr_assert_eq(ev.rescind_closes, 1, "the channel is gone with the device");
	cr_assert_geq(ev.wakeups, 1, "blocked readers are woken");
	cr_assert_not(hvsim_uio_present(u));
	cr_assert_eq(hvsim_uio_read(u, old, 4, &count), -EIO);
	cr_assert_eq(put32(u, old, 1), -EIO);
	cr_assert(hvsim_uio_poll(u, old) & POLLERR);
	cr_assert_eq(hvsim_uio_open(u, &l), -ENODEV);
	cr_assert_eq(hvsim_uio_offer(u), 0);
	cr_assert_eq(hvsim_uio_read(u, old, 4, &count), -EIO, "an old file stays dead after the re-offer");
	cr_assert_eq(hvsim_uio_open(u, &l), 0, "a new open is needed");
	cr_assert_eq(ev.opens, 2);
	cr_assert_eq(hvsim_uio_read(u, l, 4, &count), -EAGAIN);
	hvsim_uio_release(u, old);
	cr_assert(hvsim_uio_channel_open(u), "closing the old file does not close the new channel");
	hvsim_uio_release(u, l);
	cr_assert_not(hvsim_uio_channel_open(u));
	cr_assert_eq(hvsim_uio_stats(u)->eio, 3);
	hvsim_uio_free(u);
}

Test(uio_model, missing_ring_file_fails_the_open, .fini = cleanup_file)
{
	struct hvsim_uio *u = new_model(false);
	struct hvsim_uio_listener *l;

	unlink(ring_path);
	cr_assert_eq(hvsim_uio_open(u, &l), -ENOENT);
	cr_assert_eq(ev.opens, 0);
	hvsim_uio_free(u);
}

/* ---- the host over the ring ------------------------------------------------------- */

#define MAX_RESULTS 8

static struct {
	json_object *r[MAX_RESULTS];
	size_t n;
} results;

static void on_done(json_object *result, void *userdata)
{
	cr_assert_lt(results.n, MAX_RESULTS);
	results.r[results.n++] = result;
}

struct bench {
	struct hvsim_uio *u;
	struct hvsim_host *h;
	struct hvsim_uio_listener *l;
	struct guest g;
	uint8_t buf[RING];
};

static void bench_up(struct bench *b, uint64_t fcopy_timeout_ms)
{
	struct hvsim_cdev *none[_HVSIM_CDEV_MAX] = {};
	struct hvsim_kernel_config cfg = {
		.kvp_timeout_ms = 30000,
		.vss_timeout_ms = 30000,
		.vss_freeze_timeout_ms = 900000,
		.fcopy_timeout_ms = fcopy_timeout_ms,
	};

	memset(&results, 0, sizeof(results));
	b->u = new_model(false);
	b->h = hvsim_host_new(none);
	cr_assert_not_null(b->h);
	ev.now = 1000;
	ev.link = hvsim_ring_link_new(b->h, HVSIM_CDEV_FCOPY, b->u, &cfg);
	cr_assert_not_null(ev.link);
	cr_assert(hvsim_host_has_channel(b->h, HVSIM_CDEV_FCOPY));
}

static void bench_down(struct bench *b)
{
	if (b->l)
		hvsim_uio_release(b->u, b->l);
	guest_unmap(&b->g);
	hvsim_ring_link_free(ev.link);
	ev.link = NULL;
	hvsim_host_free(b->h);
	hvsim_uio_free(b->u);
	for (size_t i = 0; i < results.n; i++)
		json_object_put(results.r[i]);
}

/* The guest takes the next packet from RX: its payload length, 0 if none. */
static size_t guest_recv(struct bench *b, struct hv_ring_packet *pkt)
{
	int r = hv_ring_recv(&b->g.rx, b->buf, sizeof(b->buf), pkt, NULL);

	if (r == -EAGAIN)
		return 0;
	cr_assert_eq(r, 0, "recv: %d", r);
	cr_assert_eq(pkt->type, HV_VMBUS_PKT_DATA_INBAND);
	return pkt->payload_len;
}

/* Answer in place (status, icflags 5), put it on TX, write 1, let the
 * host handle it. */
static void guest_answer(struct bench *b, size_t len, uint64_t trans_id, uint32_t status)
{
	cr_assert_eq(hv_icmsg_set_reply(b->buf, len, status), 0);
	cr_assert_eq(hv_ring_send(&b->g.tx, HV_VMBUS_PKT_DATA_INBAND, 0, trans_id, b->buf, len, NULL), 0);
	cr_assert_eq(put32(b->u, b->l, 1), 4);
	hvsim_host_tick(b->h, ev.now);
}

/* Open /dev/uioN and answer the NEGOTIATE as hv_fcopy_uio_daemon does. */
static void bench_open(struct bench *b)
{
	struct hv_ring_packet pkt;
	struct hv_ic_version fw, srv;
	size_t len;
	int32_t count;

	cr_assert_eq(hvsim_uio_open(b->u, &b->l), 0);
	guest_map(&b->g);
	cr_assert_eq(hvsim_uio_read(b->u, b->l, 4, &count), 4, "the NEGOTIATE interrupted the guest");
	len = guest_recv(b, &pkt);
	cr_assert_gt(len, 0);
	cr_assert_eq(hv_get_le16(b->buf + HV_ICMSG_OFF_TYPE), HV_ICMSG_TYPE_NEGOTIATE);
	cr_assert_eq(hv_icmsg_negotiate_reply(b->buf, len, hv_ic_versions_fcopy.fw, hv_ic_versions_fcopy.n_fw,
					      hv_ic_versions_fcopy.srv, hv_ic_versions_fcopy.n_srv, &fw, &srv),
		     0);
	cr_assert_not(hvsim_host_negotiated(b->h, HVSIM_CDEV_FCOPY));
	guest_answer(b, len, UINT64_MAX, HV_S_OK);
	cr_assert(hvsim_host_negotiated(b->h, HVSIM_CDEV_FCOPY));
}

static int submit(struct bench *b, const char *json, int fd)
{
	json_object *req = json_tokener_parse(json);
	char *error = NULL;
	int r;

	cr_assert_not_null(req);
	r = hvsim_host_submit(b->h, req, fd, ev.now, on_done, NULL, &error);
	json_object_put(req);
	free(error);
	return r;
}

static const char *res_str(size_t i, const char *k)
{
	json_object *v;

	cr_assert_lt(i, results.n);
	if (!json_object_object_get_ex(results.r[i], k, &v))
		return "";
	return json_object_get_string(v);
}

static int64_t res_int(size_t i, const char *k)
{
	json_object *v;

	cr_assert_lt(i, results.n);
	if (!json_object_object_get_ex(results.r[i], k, &v))
		return -1;
	return json_object_get_int64(v);
}

Test(uio_host, no_requests_before_the_guest_opens, .fini = cleanup_file)
{
	struct bench b = {};

	bench_up(&b, 30000);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), -EINVAL,
		     "the channel is closed until /dev/uio0 is opened");
	cr_assert_eq(hvsim_uio_open(b.u, &b.l), 0);
	guest_map(&b.g);
	bench_down(&b);
}

Test(uio_host, whole_copy_over_the_ring, .fini = cleanup_file)
{
	static uint8_t data[15000];
	char src[] = "/tmp/test-sim-uio-src.XXXXXX";
	struct bench b = {};
	struct hv_ring_packet pkt;
	struct hv_fcopy_msg m;
	uint64_t got = 0;
	unsigned writes = 0;
	bool done = false;
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	fd = mkstemp(src);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	unlink(src);
	bench_up(&b, 30000);
	bench_open(&b);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"copy\", \"dir\": \"/srv/in\", \"name\": \"f.bin\", "
				"\"flags\": 1}",
			    fd),
		     0);
	while (!done) {
		size_t len = guest_recv(&b, &pkt);

		cr_assert_gt(len, 0, "the next packet is on RX");
		cr_assert_eq(pkt.trans_id >> 32, 0, "the host's own ids");
		cr_assert_eq(hv_fcopy_wire_decode(b.buf, len, &m), 0);
		switch (m.op) {
		case HV_FCOPY_OP_START_FILE_COPY:
			cr_assert_str_eq(m.start.path_name, "/srv/in");
			cr_assert_str_eq(m.start.file_name, "f.bin");
			cr_assert_eq(m.start.copy_flags, HV_FCOPY_OVER_WRITE);
			cr_assert_eq(m.start.file_size, sizeof(data));
			break;
		case HV_FCOPY_OP_WRITE_TO_FILE:
			cr_assert_eq(m.write.offset, got);
			cr_assert_leq(m.write.size, HV_FCOPY_DATA_FRAGMENT);
			cr_assert_eq(memcmp(m.write.data, data + got, m.write.size), 0);
			got += m.write.size;
			writes++;
			break;
		case HV_FCOPY_OP_COMPLETE_FCOPY:
			done = true;
			break;
		default:
			cr_assert_fail("unexpected op %u", m.op);
		}
		/* Echo the request's id, as the kernel does. */
		guest_answer(&b, len, pkt.trans_id, HV_S_OK);
	}
	cr_assert_eq(got, sizeof(data));
	cr_assert_eq(writes, 3);
	cr_assert_eq(results.n, 1);
	cr_assert_str_eq(res_str(0, "status"), "HV_S_OK");
	cr_assert_eq(res_int(0, "bytes"), (int64_t)sizeof(data));
	cr_assert_eq(res_int(0, "writes"), 3);
	cr_assert_str_eq(res_str(0, "stage"), "complete");
	bench_down(&b);
}

Test(uio_host, cancel_after_one_write, .fini = cleanup_file)
{
	char src[] = "/tmp/test-sim-uio-src.XXXXXX";
	static const uint32_t want[] = { HV_FCOPY_OP_START_FILE_COPY, HV_FCOPY_OP_WRITE_TO_FILE,
					 HV_FCOPY_OP_CANCEL_FCOPY };
	struct bench b = {};
	struct hv_ring_packet pkt;
	struct hv_fcopy_msg m;
	int fd;

	fd = mkstemp(src);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 20000), 0);
	unlink(src);
	bench_up(&b, 30000);
	bench_open(&b);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"copy\", \"dir\": \"/d\", \"name\": \"n\", "
				"\"cancel_after\": 1}",
			    fd),
		     0);
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		size_t len = guest_recv(&b, &pkt);

		cr_assert_gt(len, 0);
		cr_assert_eq(hv_fcopy_wire_decode(b.buf, len, &m), 0);
		cr_assert_eq(m.op, want[i], "packet %zu: op %u", i, m.op);
		guest_answer(&b, len, UINT64_MAX, HV_S_OK);
	}
	cr_assert_eq(guest_recv(&b, &pkt), 0, "nothing after the CANCEL");
	cr_assert_eq(results.n, 1);
	cr_assert_str_eq(res_str(0, "stage"), "cancel");
	cr_assert_eq(res_int(0, "bytes"), HV_FCOPY_DATA_FRAGMENT);
	bench_down(&b);
}

Test(uio_host, unanswered_packet_times_out, .fini = cleanup_file)
{
	static uint8_t first[RING], second[RING];
	struct bench b = {};
	struct hv_ring_packet pkt;
	uint64_t first_id;
	size_t len, len2;

	bench_up(&b, 2000);
	bench_open(&b);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	len = guest_recv(&b, &pkt);
	cr_assert_gt(len, 0);
	cr_assert_eq(hvsim_ring_link_next_deadline(ev.link), ev.now + 2000, "fcopy_timeout");
	ev.now += 1999;
	hvsim_ring_link_tick(ev.link, ev.now);
	hvsim_host_tick(b.h, ev.now);
	cr_assert_eq(results.n, 0);
	ev.now += 1;
	hvsim_ring_link_tick(ev.link, ev.now);
	hvsim_host_tick(b.h, ev.now);
	cr_assert_eq(results.n, 1);
	cr_assert_not(json_object_get_boolean(json_object_object_get(results.r[0], "ok")));
	cr_assert(strstr(res_str(0, "error"), "timeout"), "%s", res_str(0, "error"));
	/* The next request goes out; the late answer to the first, with its
	 * own id, is dropped rather than taken for the second's. */
	memcpy(first, b.buf, len);
	first_id = pkt.trans_id;
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"cancel\"}", -1), 0);
	len2 = guest_recv(&b, &pkt);
	cr_assert_gt(len2, 0);
	memcpy(second, b.buf, len2);
	memcpy(b.buf, first, len);
	guest_answer(&b, len, first_id, HV_S_OK);
	cr_assert_eq(results.n, 1, "the late answer was dropped");
	memcpy(b.buf, second, len2);
	guest_answer(&b, len2, UINT64_MAX, HV_S_OK);
	cr_assert_eq(results.n, 2);
	cr_assert_str_eq(res_str(1, "status"), "HV_S_OK");
	cr_assert_str_eq(res_str(1, "op"), "cancel");
	bench_down(&b);
}

Test(uio_host, malformed_replies_fail_the_request, .fini = cleanup_file)
{
	struct bench b = {};
	struct hv_ring_packet pkt;
	size_t len;

	bench_up(&b, 30000);
	bench_open(&b);
	/* icflags not TRANSACTION|RESPONSE */
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	len = guest_recv(&b, &pkt);
	b.buf[HV_ICMSG_OFF_FLAGS] = 3;
	cr_assert_eq(hv_ring_send(&b.g.tx, HV_VMBUS_PKT_DATA_INBAND, 0, UINT64_MAX, b.buf, len, NULL), 0);
	cr_assert_eq(put32(b.u, b.l, 1), 4);
	hvsim_host_tick(b.h, ev.now);
	cr_assert_eq(results.n, 1);
	cr_assert(strstr(res_str(0, "error"), "icflags"), "%s", res_str(0, "error"));
	/* shorter than the request */
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	len = guest_recv(&b, &pkt);
	guest_answer(&b, len - 8, UINT64_MAX, HV_S_OK);
	cr_assert_eq(results.n, 2);
	cr_assert(strstr(res_str(1, "error"), "bytes of payload"), "%s", res_str(1, "error"));
	/* a trans_id of nothing the host sent */
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	len = guest_recv(&b, &pkt);
	guest_answer(&b, len, 0x1234567, HV_S_OK);
	cr_assert_eq(results.n, 3);
	cr_assert(strstr(res_str(2, "error"), "trans_id"), "%s", res_str(2, "error"));
	bench_down(&b);
}

Test(uio_host, corrupt_tx_ring_is_reported_not_followed, .fini = cleanup_file)
{
	struct bench b = {};
	struct hv_ring_packet pkt;

	bench_up(&b, 30000);
	bench_open(&b);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	cr_assert_gt(guest_recv(&b, &pkt), 0);
	/* A write_index past the data area. */
	hv_put_le32(b.g.mem + HV_RING_OFF_WRITE_INDEX, RING);
	cr_assert_eq(put32(b.u, b.l, 1), 4);
	hvsim_host_tick(b.h, ev.now);
	cr_assert_eq(results.n, 1);
	cr_assert(strstr(res_str(0, "error"), "TX ring is corrupt"), "%s", res_str(0, "error"));
	/* Every later request fails the same way until the channel reopens. */
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	hvsim_host_tick(b.h, ev.now);
	cr_assert_eq(results.n, 2);
	cr_assert(strstr(res_str(1, "error"), "corrupt"), "%s", res_str(1, "error"));
	bench_down(&b);
}

Test(uio_host, masked_guest_is_not_interrupted, .fini = cleanup_file)
{
	struct bench b = {};
	int32_t count;

	bench_up(&b, 30000);
	bench_open(&b);
	hv_ring_set_interrupt_mask(&b.g.rx, true);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	cr_assert_eq(hv_ring_bytes_to_read(&b.g.rx) > 0, true, "the packet is on the ring");
	cr_assert_eq(hvsim_uio_read(b.u, b.l, 4, &count), -EAGAIN, "but no interrupt");
	bench_down(&b);
}

Test(uio_host, last_close_fails_what_is_in_flight, .fini = cleanup_file)
{
	struct bench b = {};
	struct hv_ring_packet pkt;

	bench_up(&b, 30000);
	bench_open(&b);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	cr_assert_gt(guest_recv(&b, &pkt), 0);
	hvsim_uio_release(b.u, b.l);
	b.l = NULL;
	cr_assert_eq(results.n, 1);
	cr_assert(strstr(res_str(0, "error"), "closed the channel"), "%s", res_str(0, "error"));
	cr_assert_not(hvsim_host_negotiated(b.h, HVSIM_CDEV_FCOPY));
	/* A new open negotiates again. */
	guest_unmap(&b.g);
	bench_open(&b);
	bench_down(&b);
}

Test(uio_host, rescind_fails_what_is_in_flight, .fini = cleanup_file)
{
	struct bench b = {};

	bench_up(&b, 30000);
	bench_open(&b);
	cr_assert_eq(submit(&b, "{\"cmd\": \"fcopy\", \"op\": \"complete\"}", -1), 0);
	cr_assert_eq(hvsim_uio_rescind(b.u), 0);
	cr_assert_eq(results.n, 1);
	cr_assert(strstr(res_str(0, "error"), "rescinded"), "%s", res_str(0, "error"));
	bench_down(&b);
}

/* ---- world keys and the sysfs side ------------------------------------------------ */

static struct hvsim_world *load(const char *text, char **ret_error)
{
	struct hvsim_world *w = NULL;

	*ret_error = NULL;
	if (hvsim_world_load_string(text, "t.ini", &w, ret_error) < 0)
		return NULL;
	return w;
}

#define UIO_WORLD "[world]\nbase = default\n[device fcopy]\ndriver = uio_hv_generic\n"

struct ring_size_case {
	char value[16];
	uint32_t bytes; /* 0: refused */
};

static struct ring_size_case ring_size_cases[] = {
	{ "16K", 16384 }, { "20k", 20480 }, { "16384", 16384 }, { "2M", 2097152 }, { "8KiB", 8192 },
	{ "15K", 0 },     { "4K", 0 },      { "32M", 0 },       { "abc", 0 },      { "16 K", 0 },
};

ParameterizedTestParameters(uio_world, ring_size)
{
	return cr_make_param_array(struct ring_size_case, ring_size_cases, ELEMENTSOF(ring_size_cases));
}

ParameterizedTest(struct ring_size_case *c, uio_world, ring_size)
{
	struct hvsim_world *w;
	char text[256], *error;

	snprintf(text, sizeof(text), UIO_WORLD "ring_size = %s\n", c->value);
	w = load(text, &error);
	if (!c->bytes) {
		cr_assert_null(w, "'%s' accepted", c->value);
		cr_assert(strstr(error, "[device fcopy] ring_size"), "%s", error);
		free(error);
		return;
	}
	cr_assert_not_null(w, "%s", error);
	cr_assert_eq(hvsim_world_find_device(w, "fcopy")->ring_size, c->bytes);
	cr_assert_eq(hvsim_sysfs_uio_ring_size(hvsim_world_find_device(w, "fcopy")), c->bytes);
	hvsim_world_free(w);
}

Test(uio_world, keys)
{
	struct hvsim_world *w;
	char *error;

	w = load(UIO_WORLD, &error);
	cr_assert_not_null(w, "%s", error);
	cr_assert_not(w->kernel.uio_mask_on_interrupt);
	cr_assert_eq(hvsim_sysfs_uio_ring_size(hvsim_world_find_device(w, "fcopy")), 20480, "VMBUS_RING_SIZE(0x4000)");
	cr_assert_eq(hvsim_sysfs_uio_minor(w, hvsim_world_find_device(w, "fcopy")), 0);
	cr_assert_eq(hvsim_sysfs_uio_minor(w, hvsim_world_find_device(w, "kvp")), -ENODEV);
	hvsim_world_free(w);

	w = load(UIO_WORLD "[kernel]\nuio_mask_on_interrupt = yes\n", &error);
	cr_assert_not_null(w, "%s", error);
	cr_assert(w->kernel.uio_mask_on_interrupt);
	hvsim_world_free(w);

	cr_assert_null(load(UIO_WORLD "[kernel]\nuio_mask_on_interrupt = maybe\n", &error));
	cr_assert_str_eq(error, "t.ini:6: [kernel] uio_mask_on_interrupt: 'maybe' is not a boolean");
	free(error);
	cr_assert_null(load("[world]\nbase = default\n[device kvp]\nring_size = 16K\n", &error));
	cr_assert(strstr(error, "only a device bound to uio_hv_generic has a ring file"), "%s", error);
	free(error);
}

static char root[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void remove_root(void)
{
	if (root[0])
		(void)nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool sys_exists(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

Test(uio_world, sysfs_ring_file_rescind_and_offer, .fini = remove_root)
{
	static const char *const paths[] = {
		"bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4",
		"bus/vmbus/drivers/uio_hv_generic/eb765408-105f-49b6-b4aa-c123b64d17d4",
		"class/uio/uio0",
		"devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/eb765408-105f-49b6-b4aa-c123b64d17d4",
	};
	char rel[PATH_MAX], path[PATH_MAX * 2], *error, *text = NULL;
	const struct hvsim_device *d;
	struct hvsim_world *w;
	struct stat st;
	int fd;

	w = load(UIO_WORLD "ring_size = 16K\n", &error);
	cr_assert_not_null(w, "%s", error);
	d = hvsim_world_find_device(w, "fcopy");
	snprintf(root, sizeof(root), "/tmp/test-sim-uio-sys.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	fd = open(root, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(hvsim_sysfs_build(fd, w), 0);
	cr_assert_eq(hvsim_sysfs_ring_path(d, rel, sizeof(rel)), 0);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	cr_assert_eq(st.st_size, 2 * 16384);
	cr_assert_eq(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/class/uio/uio0/maps/map0/size", root);
	cr_assert_geq(hv_read_text_file(path, 0, &text), 0);
	cr_assert_str_eq(text, "0x8000");
	free(text);

	cr_assert_eq(hvsim_sysfs_remove_device(fd, w, d), 0);
	for (size_t i = 0; i < ELEMENTSOF(paths); i++)
		cr_assert_not(sys_exists(paths[i]), "%s is still there", paths[i]);
	cr_assert(sys_exists("bus/vmbus/devices/242ff919-07db-4180-9c2e-b86cb68c8c55"), "other devices stay");
	cr_assert_eq(hvsim_sysfs_add_device(fd, w, d), 0);
	for (size_t i = 0; i < ELEMENTSOF(paths); i++)
		cr_assert(sys_exists(paths[i]), "%s is not back", paths[i]);
	cr_assert(sys_exists("bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4/uio/uio0/name"));
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 2 * 16384, "a new ring file");
	close(fd);
	hvsim_world_free(w);
}
