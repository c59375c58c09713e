/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netplan back-end's file (netplan YAML, version 2): one ethernets
 * entry, matched by name and MAC, no renderer (so the system's global
 * renderer stays in charge), default routes as "to: default".  Every
 * scalar the host or sysfs supplies is double-quoted; none of them can
 * contain a '"' or a '\' (addresses are canonical, names are checked).
 */
#include <sys/socket.h>

#include "services/netcfg-buf.h"
#include "services/netcfg.h"

int hv_netcfg_netplan(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret)
{
	struct hv_netcfg_buf b = { 0 };
	unsigned g4 = 0, g6 = 0;

	hv_netcfg_buf_printf(&b, "# Written by hvutils from a Hyper-V SET_IP_INFO request.\n");
	hv_netcfg_buf_printf(&b, "network:\n  version: 2\n  ethernets:\n    \"%s\":\n", l->ifname);
	hv_netcfg_buf_printf(&b, "      match:\n        name: \"%s\"\n        macaddress: \"%s\"\n", l->ifname,
			     l->mac_lower);
	hv_netcfg_buf_printf(&b, "      dhcp4: %s\n      dhcp6: false\n", c->dhcp ? "true" : "false");
	if (hv_ipcfg_count_addresses(c, AF_INET6) > 0)
		hv_netcfg_buf_printf(&b, "      accept-ra: false\n");
	if (c->n_addresses > 0) {
		hv_netcfg_buf_printf(&b, "      addresses:\n");
		for (size_t i = 0; i < c->n_addresses; i++)
			hv_netcfg_buf_printf(&b, "        - \"%s/%u\"\n", c->addresses[i].addr.canonical,
					     c->addresses[i].prefixlen);
	}
	if (c->n_gateways > 0) {
		hv_netcfg_buf_printf(&b, "      routes:\n");
		for (size_t i = 0; i < c->n_gateways; i++) {
			unsigned *g = c->gateways[i].family == AF_INET ? &g4 : &g6;

			hv_netcfg_buf_printf(&b, "        - to: \"default\"\n          via: \"%s\"\n",
					     c->gateways[i].canonical);
			if ((*g)++ > 0)
				hv_netcfg_buf_printf(&b, "          metric: %u\n",
						     HV_NETCFG_EXTRA_GATEWAY_METRIC + *g - 1);
		}
	}
	if (c->n_dns > 0) {
		hv_netcfg_buf_printf(&b, "      nameservers:\n        addresses:\n");
		for (size_t i = 0; i < c->n_dns; i++)
			hv_netcfg_buf_printf(&b, "          - \"%s\"\n", c->dns[i].canonical);
	}
	return hv_netcfg_buf_finish(&b, ret);
}
