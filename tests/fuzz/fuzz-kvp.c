/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/kvp daemon ABI: any bytes as what the kernel hands the daemon.
 * Decoding must stay inside the 7432 bytes; whatever decodes must encode
 * again (request and reply forms) and the request form must decode to
 * the same strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kvp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_kvp_msg m, again;
	uint8_t *buf, out[HV_KVP_MSG_SIZE];
	char version[HV_KVP_REGISTER_VERSION_SIZE];
	uint8_t op;

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	(void)hv_kvp_msg_decode_register(buf, size, &op, version, sizeof(version));
	if (hv_kvp_msg_decode(buf, size, &m) == 0) {
		if (hv_kvp_msg_encode_reply(&m, out, sizeof(out)) != HV_KVP_MSG_SIZE)
			abort();
		if (hv_kvp_msg_encode_request(&m, out, sizeof(out)) != HV_KVP_MSG_SIZE)
			abort();
		if (hv_kvp_msg_decode(out, sizeof(out), &again) != 0)
			abort();
		if (strcmp(m.key, again.key) != 0 || strcmp(m.ip.adapter_id, again.ip.adapter_id) != 0 ||
		    again.op != m.op || again.index != m.index)
			abort();
		if (m.op == HV_KVP_OP_SET && strcmp(m.value, again.value) != 0)
			abort();
	}
	free(buf);
	return 0;
}
