/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/fcopy: any bytes as a host FCOPY payload (uio daemon decode and
 * the kernel's char-device conversion) and as a daemon-ABI message.  A
 * decoded WRITE must point inside the input with size <= 6144; a decoded
 * message must encode again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/fcopy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_write(const struct hv_fcopy_msg *m, const uint8_t *buf, size_t size)
{
	if (m->op != HV_FCOPY_OP_WRITE_TO_FILE)
		return;
	if (m->write.size > HV_FCOPY_DATA_FRAGMENT || m->write.data < buf ||
	    m->write.data + m->write.size > buf + size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_fcopy_msg m;
	static uint8_t out[HV_ICMSG_HDR_SIZE + HV_FCOPY_DO_SIZE + 65536];
	struct hv_icmsg_hdr h = { 0 };
	uint8_t *buf;
	uint32_t status, version;
	int n;

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (hv_fcopy_wire_decode(buf, size, &m) == 0) {
		check_write(&m, buf, size);
		if (hv_fcopy_wire_encode_request(&m, &h, out, sizeof(out)) < 0)
			abort();
	}
	if (hv_fcopy_daemon_decode(buf, size, &m) == 0) {
		check_write(&m, buf, size);
		if (hv_fcopy_daemon_encode(&m, out, sizeof(out)) < 0)
			abort();
	}
	n = hv_fcopy_kernel_request_to_daemon(buf, size, out, sizeof(out));
	if (n > 0 && (size_t)n >= HV_FCOPY_HDR_SIZE)
		(void)hv_fcopy_daemon_decode(out, (size_t)n, &m);
	(void)hv_fcopy_kernel_reply_to_host(buf, size, data, size < 4 ? size : 4, &status);
	(void)hv_fcopy_kernel_handshake(data, size < 4 ? size : 4, out, 4, &version);
	(void)hv_fcopy_wire_decode_reply(buf, size, &status);
	free(buf);
	return 0;
}
