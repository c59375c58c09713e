/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The systemd-networkd back-end's file (systemd.network(5)): [Match] by
 * Name= and MACAddress= (both must match), [Network] with DHCP=, Address=,
 * the first Gateway= of each family and DNS=, one [Route] per extra
 * gateway.
 */
#include <sys/socket.h>

#include "services/netcfg-buf.h"
#include "services/netcfg.h"

int hv_netcfg_networkd(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret)
{
	struct hv_netcfg_buf b = { 0 };
	unsigned g4 = 0, g6 = 0;

	hv_netcfg_buf_printf(&b, "# Written by hvutils from a Hyper-V SET_IP_INFO request.\n");
	hv_netcfg_buf_printf(&b, "[Match]\nName=%s\nMACAddress=%s\n", l->ifname, l->mac_lower);
	hv_netcfg_buf_printf(&b, "\n[Network]\nDHCP=%s\n", c->dhcp ? "ipv4" : "no");
	if (hv_ipcfg_count_addresses(c, AF_INET6) > 0)
		hv_netcfg_buf_printf(&b, "IPv6AcceptRA=no\n");
	for (size_t i = 0; i < c->n_addresses; i++)
		hv_netcfg_buf_printf(&b, "Address=%s/%u\n", c->addresses[i].addr.canonical,
				     c->addresses[i].prefixlen);
	for (size_t i = 0; i < c->n_gateways; i++) {
		unsigned *g = c->gateways[i].family == AF_INET ? &g4 : &g6;

		if ((*g)++ == 0)
			hv_netcfg_buf_printf(&b, "Gateway=%s\n", c->gateways[i].canonical);
	}
	for (size_t i = 0; i < c->n_dns; i++)
		hv_netcfg_buf_printf(&b, "DNS=%s\n", c->dns[i].canonical);

	g4 = g6 = 0;
	for (size_t i = 0; i < c->n_gateways; i++) {
		unsigned *g = c->gateways[i].family == AF_INET ? &g4 : &g6;

		if ((*g)++ == 0)
			continue;
		hv_netcfg_buf_printf(&b, "\n[Route]\nGateway=%s\nMetric=%u\n", c->gateways[i].canonical,
				     HV_NETCFG_EXTRA_GATEWAY_METRIC + *g - 1);
	}
	return hv_netcfg_buf_finish(&b, ret);
}
