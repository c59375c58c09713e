/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/icmsg: any bytes as a received IC payload.  Header parsing, the
 * guest's in-place negotiation rewrite (for every service's version table)
 * and the host's readers must stay inside the buffer, and a successful
 * negotiation must read back the same choice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/icmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hv_ic_versions *const tables[] = {
	&hv_ic_versions_shutdown, &hv_ic_versions_timesync, &hv_ic_versions_heartbeat,
	&hv_ic_versions_kvp,      &hv_ic_versions_vss,      &hv_ic_versions_fcopy,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hv_ic_versions *v;
	struct hv_icmsg_hdr h;
	struct hv_ic_version fw, srv, hfw, hsrv, list[8];
	size_t nfw, nsrv;
	uint8_t *buf;

	if (size < 1)
		return 0;
	v = tables[data[0] % (sizeof(tables) / sizeof(tables[0]))];
	data++;
	size--;

	/* An exact-size copy so that any overread is caught. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (hv_icmsg_parse(buf, size, &h) == 0)
		(void)hv_icmsg_write(buf, size, &h);
	(void)hv_icmsg_negotiate_parse_request(buf, size, list, 8, &nfw, list, 8, &nsrv);
	(void)hv_icmsg_negotiate_parse_reply(buf, size, &hfw, &hsrv);

	if (hv_icmsg_negotiate_reply(buf, size, v->fw, v->n_fw, v->srv, v->n_srv, &fw, &srv) == 0) {
		if (hv_icmsg_negotiate_parse_reply(buf, size, &hfw, &hsrv) != 0 ||
		    hv_ic_version_to_u32(hfw) != hv_ic_version_to_u32(fw) ||
		    hv_ic_version_to_u32(hsrv) != hv_ic_version_to_u32(srv))
			abort();
	}
	(void)hv_icmsg_set_reply(buf, size, 0);
	free(buf);
	return 0;
}
