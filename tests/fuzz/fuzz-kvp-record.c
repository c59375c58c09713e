/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/kvp pool records: any bytes as a pool file, record by record.
 * Decoding stops at the NULs and never reads past a record; a record that
 * decodes strictly must encode to the same strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kvp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_kvp_record r, again;
	uint8_t enc[HV_KVP_RECORD_SIZE];
	uint8_t *buf;

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	for (size_t off = 0; off < size || off == 0; off += HV_KVP_RECORD_SIZE) {
		size_t left = size - off;

		(void)hv_kvp_record_decode_raw(buf + off, left, &r);
		if (hv_kvp_record_decode(buf + off, left, &r) != 0)
			continue;
		if (strlen(r.key) != r.key_len || strlen(r.value) != r.value_len)
			abort();
		if (hv_kvp_record_encode(enc, sizeof(enc), r.key, r.key_len, r.value, r.value_len) !=
		    HV_KVP_RECORD_SIZE)
			abort();
		if (hv_kvp_record_decode(enc, sizeof(enc), &again) != 0 || strcmp(again.key, r.key) != 0 ||
		    strcmp(again.value, r.value) != 0)
			abort();
		if (size == 0)
			break;
	}
	free(buf);
	return 0;
}
