/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/vss: any bytes as a host VSS payload and as a daemon write, through
 * the kernel's routing, forwarding and reply paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/hv-status.h"
#include "proto/vss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_vss_msg m;
	struct hv_vss_wire_reply r;
	uint8_t d[HV_VSS_MSG_SIZE], out[4];
	uint8_t *buf;
	uint32_t status;

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (hv_vss_msg_decode(buf, size, &m) == 0) {
		(void)hv_vss_kernel_route(m.op);
		(void)hv_vss_kernel_timeout_sec(m.op);
		(void)hv_vss_kernel_handshake(m.op, out, sizeof(out));
	}
	if (size >= HV_VSS_MSG_SIZE)
		(void)hv_vss_kernel_classify_daemon_write(buf + size - HV_VSS_MSG_SIZE, HV_VSS_MSG_SIZE);

	if (hv_vss_kernel_request_to_daemon(buf, size, d, sizeof(d)) == HV_VSS_MSG_SIZE) {
		if (hv_vss_kernel_route(d[0]) == HV_VSS_ROUTE_KERNEL) {
			if (hv_vss_kernel_answer_host(buf, size, HV_S_OK) != 0)
				abort();
		} else {
			/* Answer with the first 12 bytes as the daemon's reply. */
			uint8_t rep[HV_VSS_MSG_SIZE];

			memcpy(rep, data, sizeof(rep));
			if (hv_vss_kernel_reply_to_host(buf, size, rep, sizeof(rep), &status) != 0)
				abort();
		}
		if (hv_vss_wire_decode_reply(buf, size, &r) != 0)
			abort();
	}
	free(buf);
	return 0;
}
