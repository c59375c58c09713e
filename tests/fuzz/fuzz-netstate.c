/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network-manager state parsers (platform/netstate.h): any bytes as a
 * resolv.conf, a networkd/resolved state file, a NetworkManager keyfile
 * or an /etc/network/interfaces must parse without crashing or reading
 * out of bounds, and every server kept must be a canonical address.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "platform/netstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_netstate_dns dns = {};
	struct hv_netstate_dhcp dhcp = { HV_NETSTATE_UNKNOWN, HV_NETSTATE_UNKNOWN, NULL };
	char **inc = NULL;
	char *text, *v = NULL;
	uint8_t bin[16];

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	hv_netstate_parse_resolv_conf(text, &dns);
	hv_netstate_parse_dns_list(text, &dns);
	for (size_t i = 0; i < dns.n; i++)
		if (inet_pton(dns.servers[i].family, dns.servers[i].text, bin) != 1)
			abort();
	if (dns.n > HV_NETSTATE_MAX_DNS)
		abort();

	if (hv_netstate_env_get(text, "DNS", &v) == 0)
		free(v);
	v = NULL;
	if (hv_netstate_keyfile_get(text, "device", "managed", &v) == 0)
		free(v);
	(void)hv_netstate_keyfile_has_group(text, "dhcp4");
	if (hv_netstate_parse_interfaces(text, "eth0", &dhcp, &inc) == 0) {
		for (size_t i = 0; inc && inc[i]; i++)
			free(inc[i]);
		free(inc);
	}
	free(text);
	return 0;
}
