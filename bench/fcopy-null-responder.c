/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fcopy-null-responder: the transport's floor for bench/fcopy.  It
 * registers with the file-copy device as the daemons do and acknowledges
 * every message at once with success, writing nothing anywhere, so the
 * throughput it reaches and the CPU it burns are what the simulated
 * transport itself costs; a daemon can only add to that.
 *
 *   --transport chardev  /dev/vmbus/hv_fcopy, FCOPY_VERSION_1 handshake
 *                        (PROTOCOL.md §7.2), one 4-byte status per message,
 *                        through the same transport and descriptor as
 *                        hv-fcopyd.
 *   --transport uio      the uio channel of the file-copy device (§7.3, §8)
 *                        through transport/uio: NEGOTIATE answered as the
 *                        guest must (fw 3.0, service 1.1), everything else
 *                        echoed with status 0, every packet of a wake-up
 *                        drained.
 *
 * Runs until killed; bench/fcopy reads its CPU time from /proc/PID/stat,
 * as it does for the daemons.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "base/path.h"
#include "daemons/common/daemon-chardev.h"
#include "proto/fcopy.h"
#include "proto/guid.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"
#include "proto/vmbus-class.h"
#include "transport/uio.h"

#define PACKET_MAX (16 * 1024)

static int chardev_on_message(struct hv_chardev *c, void *msg, size_t size, void *userdata)
{
	uint8_t reply[HV_FCOPY_REPLY_SIZE];
	int r;

	(void)msg;
	(void)size;
	(void)userdata;
	r = hv_fcopy_daemon_encode_reply(HV_S_OK, reply, sizeof(reply));
	if (r < 0)
		return r;
	r = hv_chardev_write(c, reply, sizeof(reply));
	return r == -ECONNRESET ? 0 : r;
}

static int run_chardev(const struct hv_path *p)
{
	static const struct hv_chardev_callbacks cb = { .on_message = chardev_on_message };
	struct hv_chardev *c = NULL;
	int r;

	r = hv_daemon_chardev_new_fcopy(p, &c);
	if (r < 0)
		return r;
	hv_chardev_set_callbacks(c, &cb, NULL);
	for (int tries = 0; (r = hv_chardev_open(c)) == -ENOENT && tries < 200; tries++)
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	if (r < 0) {
		hv_log_err("%s", hv_chardev_get_error(c) ?: hv_strerror(r));
		goto out;
	}
	for (;;) {
		r = hv_chardev_dispatch(c);
		if (r < 0) {
			hv_log_err("file-copy device: %s", hv_chardev_get_error(c) ?: hv_strerror(r));
			break;
		}
		if (hv_chardev_get_fd(c) < 0) {
			r = -ENODEV;
			break;
		}
	}
out:
	hv_chardev_free(c);
	return r;
}

/* One packet: the IC reply in place, sent back with the request's id. */
static int uio_answer(struct hv_uio_channel *c, uint8_t *buf, const struct hv_ring_packet *pkt)
{
	struct hv_icmsg_hdr hdr;
	uint32_t status = HV_E_FAIL;

	if (hv_icmsg_parse(buf, pkt->payload_len, &hdr) < 0)
		return 0; /* the kernel drops these without a reply */
	if (hdr.type == HV_ICMSG_TYPE_NEGOTIATE) {
		const struct hv_ic_versions *v = &hv_ic_versions_fcopy;

		if (hv_icmsg_negotiate_reply(buf, pkt->payload_len, v->fw, v->n_fw, v->srv, v->n_srv, NULL, NULL) == 0)
			status = HV_S_OK;
	} else if (hdr.type == HV_ICMSG_TYPE_FCOPY) {
		status = HV_S_OK;
	}
	(void)hv_icmsg_set_reply(buf, pkt->payload_len, status);
	for (;;) {
		int r = hv_uio_send(c, HV_VMBUS_PKT_DATA_INBAND, 0, pkt->trans_id, buf, pkt->payload_len);

		if (r != -EAGAIN)
			return r;
		/* TX full: the host drains it and signals. */
		(void)poll(&(struct pollfd){ .fd = hv_uio_get_fd(c), .events = POLLIN }, 1, 100);
		(void)hv_uio_ack_event(c);
	}
}

static int run_uio(const struct hv_path *p)
{
	static uint8_t buf[PACKET_MAX];
	struct hv_uio_device dev;
	struct hv_uio_channel *c = NULL;
	struct hv_guid cls, inst;
	int r;

	if (hv_guid_from_string(hv_vmbus_class_by_name("HV_FCOPY")->guid, &cls) < 0 ||
	    hv_guid_from_string(HV_FCOPY_INSTANCE_GUID, &inst) < 0)
		return -EINVAL;
	for (int tries = 0; tries < 200; tries++) {
		r = hv_uio_find(p, &inst, NULL, &dev);
		if (r == -ENOENT)
			r = hv_uio_find(p, NULL, &cls, &dev);
		if (r >= 0)
			r = hv_uio_open(p, &dev, &c);
		if (r != -ENOENT && r != -ENODEV)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
	if (r < 0) {
		hv_log_err("no uio file-copy channel: %s", hv_strerror(r));
		return r;
	}
	for (;;) {
		struct hv_ring_packet pkt;

		r = hv_uio_recv(c, buf, sizeof(buf), &pkt);
		if (r >= 0) {
			r = uio_answer(c, buf, &pkt);
			if (r < 0)
				break;
			continue;
		}
		if (r != -EAGAIN)
			break;
		r = hv_uio_rearm(c);
		if (r < 0)
			break;
		if (r > 0)
			continue;
		if (poll(&(struct pollfd){ .fd = hv_uio_get_fd(c), .events = POLLIN }, 1, -1) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		r = hv_uio_ack_event(c);
		if (r < 0 && r != -EAGAIN)
			break;
	}
	if (r < 0)
		hv_log_err("uio channel: %s", hv_strerror(r));
	hv_uio_close(c);
	return r;
}

int main(int argc, char **argv)
{
	struct hv_path *p;
	const char *transport = "chardev";
	int r;

	hv_log_set_sink(hv_log_stderr_sink, (void *)"fcopy-null-responder");
	if (argc == 3 && strcmp(argv[1], "--transport") == 0 &&
	    (strcmp(argv[2], "chardev") == 0 || strcmp(argv[2], "uio") == 0)) {
		transport = argv[2];
	} else if (argc > 1) {
		fprintf(stderr,
			"Usage: %s [--transport chardev|uio]\n"
			"Acknowledges every file-copy message with success and writes nothing (bench/fcopy).\n",
			argv[0]);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	p = hv_path_new_from_env();
	if (!p)
		return 1;
	r = strcmp(transport, "uio") == 0 ? run_uio(p) : run_chardev(p);
	hv_path_free(p);
	return r < 0 ? 1 : 0;
}
