/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/ipcfg: any bytes as the four SET_IP_INFO lists (split at the first
 * three NULs; a missing list is empty) and the dhcp flag (first byte).
 * Parsing never reads past a NUL or writes past the model; what parses
 * satisfies the model's invariants, and each address's canonical text
 * parses again to the same address.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/ipcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_addr(const struct hv_ipcfg_addr *a)
{
	uint8_t b[16] = { 0 };

	if (a->family != AF_INET && a->family != AF_INET6)
		abort();
	if (strlen(a->text) >= HV_IPCFG_TEXT_MAX || strlen(a->canonical) >= HV_IPCFG_TEXT_MAX)
		abort();
	if (inet_pton(a->family, a->canonical, b) != 1 ||
	    memcmp(b, a->bytes, a->family == AF_INET ? 4 : 16) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_ipcfg c;
	const char *lists[4] = { "", "", "", "" };
	char *buf, *p, *end, expanded[HV_IPCFG_IPV6_EXPANDED_MAX], id[HV_IPCFG_ADAPTER_ID_MAX], mac[18];
	bool dhcp = size > 0 && (data[0] & 1);
	unsigned plen;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	if (size > 0)
		memcpy(buf, data + 1, size - 1);
	buf[size > 0 ? size - 1 : 0] = '\0';
	end = buf + (size > 0 ? size - 1 : 0);
	p = buf;
	for (int i = 0; i < 4 && p <= end; i++) {
		lists[i] = p;
		p += strlen(p) + 1;
	}

	if (hv_ipcfg_parse(dhcp, lists[0], lists[1], lists[2], lists[3], &c) == 0) {
		if (c.dhcp != dhcp || c.n_addresses > HV_IPCFG_MAX_ENTRIES || c.n_gateways > HV_IPCFG_MAX_ENTRIES ||
		    c.n_dns > HV_IPCFG_MAX_ENTRIES)
			abort();
		for (size_t i = 0; i < c.n_addresses; i++) {
			const struct hv_ipcfg_ifaddr *a = &c.addresses[i];

			check_addr(&a->addr);
			if (a->prefixlen == 0 || a->prefixlen > (a->addr.family == AF_INET ? 32u : 128u))
				abort();
			if (a->addr.family == AF_INET6)
				hv_ipcfg_ipv6_expand(a->addr.bytes, expanded);
		}
		for (size_t i = 0; i < c.n_gateways; i++)
			check_addr(&c.gateways[i]);
		for (size_t i = 0; i < c.n_dns; i++)
			check_addr(&c.dns[i]);
		if (hv_ipcfg_count_addresses(&c, AF_INET) + hv_ipcfg_count_addresses(&c, AF_INET6) != c.n_addresses)
			abort();
	}
	(void)hv_ipcfg_mask_to_prefix(lists[0], &plen);
	if (hv_ipcfg_adapter_id_normalize(lists[0], id) == 0 && strlen(id) != 38)
		abort();
	(void)hv_ipcfg_ifname_is_safe(lists[0]);
	(void)hv_ipcfg_mac_normalize(lists[0], true, mac);
	free(buf);
	return 0;
}
