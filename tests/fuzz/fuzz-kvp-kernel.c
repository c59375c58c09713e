/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/kvp kernel conversions: any bytes as a host KVP payload, turned
 * into the daemon message, then answered with a daemon reply built from
 * the same bytes, and read back as the host would.  Nothing may read or
 * write outside the buffers, whatever the sizes, pool, index and strings
 * claim.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kvp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_kvp_wire_reply r;
	uint8_t daemon[HV_KVP_MSG_SIZE], reply[HV_KVP_MSG_SIZE];
	uint8_t *host;
	uint32_t status;
	uint8_t reg;

	if (size < 1)
		return 0;
	reg = (data[0] & 1) ? HV_KVP_OP_REGISTER1 : HV_KVP_OP_REGISTER;
	data++;
	size--;

	host = malloc(size ? size : 1);
	if (!host)
		return 0;
	memcpy(host, data, size);

	if (hv_kvp_kernel_request_to_daemon(host, size, daemon, sizeof(daemon)) == HV_KVP_MSG_SIZE) {
		/* The daemon's reply: the tail of the input, else the request. */
		memcpy(reply, daemon, sizeof(reply));
		if (size > HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE)
			memcpy(reply, data + HV_ICMSG_HDR_SIZE + HV_KVP_MSG_SIZE,
			       size - HV_ICMSG_HDR_SIZE - HV_KVP_MSG_SIZE < sizeof(reply)
				       ? size - HV_ICMSG_HDR_SIZE - HV_KVP_MSG_SIZE
				       : sizeof(reply));
		if (hv_kvp_kernel_reply_to_host(host, size, reply, sizeof(reply), reg, &status) != 0)
			abort();
	}
	(void)hv_kvp_wire_decode_reply(host, size, &r);
	free(host);
	return 0;
}
