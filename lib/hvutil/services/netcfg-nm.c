/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NetworkManager keyfile back-end's file (nm-settings-keyfile(5)): a
 * GLib key file, one group per setting, lists written as ';'-terminated
 * elements, addresses as addressN=<addr>/<plen>, extra routes as
 * routeN=<dest>/<plen>,<gateway>[,<metric>].
 */
#include <sys/socket.h>

#include "services/netcfg-buf.h"
#include "services/netcfg.h"

static void nm_family(struct hv_netcfg_buf *b, const struct hv_ipcfg *c, int family)
{
	size_t naddr = hv_ipcfg_count_addresses(c, family);
	const char *method, *any = family == AF_INET ? "0.0.0.0/0" : "::/0";
	unsigned k = 0, g = 0, route = 0;

	if (family == AF_INET)
		method = c->dhcp ? "auto" : naddr > 0 ? "manual" : "disabled";
	else
		method = naddr > 0 ? "manual" : "auto";
	hv_netcfg_buf_printf(b, "\n[%s]\nmethod=%s\n", family == AF_INET ? "ipv4" : "ipv6", method);

	for (size_t i = 0; i < c->n_addresses; i++)
		if (c->addresses[i].addr.family == family)
			hv_netcfg_buf_printf(b, "address%u=%s/%u\n", ++k, c->addresses[i].addr.canonical,
					     c->addresses[i].prefixlen);

	for (size_t i = 0; i < c->n_gateways; i++) {
		const char *gw = c->gateways[i].canonical;

		if (c->gateways[i].family != family)
			continue;
		/* NetworkManager refuses gateway= on a profile without static
		 * addresses; a default route says the same and is accepted. */
		if (g == 0 && naddr > 0)
			hv_netcfg_buf_printf(b, "gateway=%s\n", gw);
		else if (g == 0)
			hv_netcfg_buf_printf(b, "route%u=%s,%s\n", ++route, any, gw);
		else
			hv_netcfg_buf_printf(b, "route%u=%s,%s,%u\n", ++route, any, gw,
					     HV_NETCFG_EXTRA_GATEWAY_METRIC + g);
		g++;
	}

	if (hv_ipcfg_count_list(c->dns, c->n_dns, family) > 0) {
		hv_netcfg_buf_printf(b, "dns=");
		for (size_t i = 0; i < c->n_dns; i++)
			if (c->dns[i].family == family)
				hv_netcfg_buf_printf(b, "%s;", c->dns[i].canonical);
		hv_netcfg_buf_printf(b, "\n");
	}
}

int hv_netcfg_nm_keyfile(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret)
{
	struct hv_netcfg_buf b = { 0 };
	char uuid[HV_NETCFG_UUID_MAX];

	hv_netcfg_uuid(l, uuid);
	hv_netcfg_buf_printf(&b, "# Written by hvutils from a Hyper-V SET_IP_INFO request.\n");
	hv_netcfg_buf_printf(&b, "[connection]\nid=hvutils-%s\nuuid=%s\ntype=ethernet\ninterface-name=%s\n"
			     "autoconnect=true\n", l->ifname, uuid, l->ifname);
	hv_netcfg_buf_printf(&b, "\n[ethernet]\nmac-address=%s\n", l->mac_upper);
	nm_family(&b, c, AF_INET);
	nm_family(&b, c, AF_INET6);
	return hv_netcfg_buf_finish(&b, ret);
}
