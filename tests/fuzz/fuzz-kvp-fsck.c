/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pool checker: any bytes as a pool file must analyse and repair
 * without crashing or reading out of bounds, and the repair must keep its
 * promises (kvp-fsck.h): a whole number of records, no more than the
 * report said, clean when analysed again, unchanged when repaired again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/kvp-fsck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_kvp_fsck_report *r = NULL, *again = NULL;
	uint8_t *fixed = NULL, *twice = NULL;
	size_t fixed_len = 0, twice_len = 0;

	if (hv_kvp_fsck_analyze(data, size, &r) < 0)
		return 0;
	if (hv_kvp_fsck_repair(data, size, &fixed, &fixed_len) < 0)
		abort();
	if (fixed_len % 2560 || fixed_len != r->size_after || fixed_len > size)
		abort();
	if (!r->needs_repair && (fixed_len != size || (size && memcmp(fixed, data, size))))
		abort();
	if (hv_kvp_fsck_analyze(fixed, fixed_len, &again) < 0 || again->errors || again->needs_repair)
		abort();
	for (size_t i = 0; i < again->n_issues; i++)
		if (again->issues[i].kind != HV_KVP_FSCK_HOST_UNREADABLE)
			abort();
	if (hv_kvp_fsck_repair(fixed, fixed_len, &twice, &twice_len) < 0 || twice_len != fixed_len ||
	    (fixed_len && memcmp(twice, fixed, fixed_len)))
		abort();
	free(twice);
	free(fixed);
	hv_kvp_fsck_report_free(again);
	hv_kvp_fsck_report_free(r);
	return 0;
}
