/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reference's file layouts (PROTOCOL.md §5.6): the ifcfg file (for the
 * native ifcfg back-end and the legacy staging directory) and the
 * reference's own NetworkManager keyfile (legacy staging only).
 *
 * The counters follow hv_kvp_daemon exactly, because distribution scripts
 * parse these names: per list one IPv4 counter from 0 (IPADDR0, NETMASK0;
 * the first gateway is plain GATEWAY, the next GATEWAY1) and one IPv6
 * counter whose first entry has no suffix (IPV6ADDR, IPV6ADDR_1), while
 * DNS1, DNS2, ... count both families together.
 */
#include <stdio.h>
#include <sys/socket.h>

#include "services/netcfg-buf.h"
#include "services/netcfg.h"

enum list_kind { LIST_IPADDR, LIST_NETMASK, LIST_GATEWAY, LIST_DNS };

static void ifcfg_key(struct hv_netcfg_buf *b, enum list_kind kind, bool ipv6, unsigned *i, unsigned *j,
		      const char *value)
{
	static const char *const v4[] = { "IPADDR", "NETMASK", "GATEWAY", "DNS" };
	static const char *const v6[] = { "IPV6ADDR", "IPV6NETMASK", "IPV6_DEFAULTGW", "DNS" };
	char suffix[16] = "";

	if (kind == LIST_DNS)
		snprintf(suffix, sizeof(suffix), "%u", ++*i);
	else if (!ipv6) {
		if (kind == LIST_GATEWAY && *i == 0)
			++*i;
		else
			snprintf(suffix, sizeof(suffix), "%u", (*i)++);
	} else if (*j == 0)
		++*j;
	else
		snprintf(suffix, sizeof(suffix), "_%u", (*j)++);
	hv_netcfg_buf_printf(b, "%s%s=%s\n", ipv6 ? v6[kind] : v4[kind], suffix, value);
}

static void ifcfg_addr(struct hv_netcfg_buf *b, enum list_kind kind, const struct hv_ipcfg_addr *a,
		       unsigned *i, unsigned *j)
{
	char expanded[HV_IPCFG_IPV6_EXPANDED_MAX];

	if (a->family == AF_INET6) {
		hv_ipcfg_ipv6_expand(a->bytes, expanded);
		ifcfg_key(b, kind, true, i, j, expanded);
	} else
		ifcfg_key(b, kind, false, i, j, a->text);
}

int hv_netcfg_ifcfg(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, bool native, char **ret)
{
	struct hv_netcfg_buf b = { 0 };
	unsigned i, j;

	hv_netcfg_buf_printf(&b, "HWADDR=%s\nDEVICE=%s\nBOOTPROTO=%s\n", l->mac_upper, l->ifname,
			     c->dhcp ? "dhcp" : "none");
	i = j = 0;
	for (size_t k = 0; k < c->n_addresses; k++)
		ifcfg_addr(&b, LIST_IPADDR, &c->addresses[k].addr, &i, &j);
	/* The subnet of an IPv6 address is its prefix, written as sent. */
	i = j = 0;
	for (size_t k = 0; k < c->n_addresses; k++)
		ifcfg_key(&b, LIST_NETMASK, c->addresses[k].addr.family == AF_INET6, &i, &j,
			  c->addresses[k].subnet_text);
	i = j = 0;
	for (size_t k = 0; k < c->n_gateways; k++)
		ifcfg_addr(&b, LIST_GATEWAY, &c->gateways[k], &i, &j);
	i = j = 0;
	for (size_t k = 0; k < c->n_dns; k++)
		ifcfg_addr(&b, LIST_DNS, &c->dns[k], &i, &j);
	if (native)
		hv_netcfg_buf_printf(&b, "IPV6INIT=yes\nNM_CONTROLLED=yes\nPEERDNS=yes\nONBOOT=yes\n");
	return hv_netcfg_buf_finish(&b, ret);
}

/* gateway= / dns=: the family's entries as sent, comma-joined; the line is
 * left out when there are none. */
static void legacy_joined(struct hv_netcfg_buf *b, const char *key, const struct hv_ipcfg_addr *list,
			  size_t n, int family)
{
	const char *sep = "=";

	if (hv_ipcfg_count_list(list, n, family) == 0)
		return;
	hv_netcfg_buf_printf(b, "%s", key);
	for (size_t k = 0; k < n; k++)
		if (list[k].family == family) {
			hv_netcfg_buf_printf(b, "%s%s", sep, list[k].text);
			sep = ",";
		}
	hv_netcfg_buf_printf(b, "\n");
}

int hv_netcfg_legacy_keyfile(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret)
{
	struct hv_netcfg_buf b = { 0 };
	static const int families[] = { AF_INET, AF_INET6 };

	hv_netcfg_buf_printf(&b, "\n[connection]\ninterface-name=%s\n", l->ifname);
	hv_netcfg_buf_printf(&b, "\n[ethernet]\nmac-address=%s\n", l->mac_upper);
	for (size_t f = 0; f < 2; f++) {
		int family = families[f];
		size_t naddr = hv_ipcfg_count_addresses(c, family);
		unsigned k = 0;

		hv_netcfg_buf_printf(&b, "\n[%s]\n", family == AF_INET ? "ipv4" : "ipv6");
		for (size_t i = 0; i < c->n_addresses; i++)
			if (c->addresses[i].addr.family == family)
				hv_netcfg_buf_printf(&b, "address%u=%s/%u\n", ++k, c->addresses[i].addr.text,
						     c->addresses[i].prefixlen);
		if (family == AF_INET)
			hv_netcfg_buf_printf(&b, "method=%s\n",
					     c->dhcp ? "auto" : naddr > 0 ? "manual" : "disabled");
		else
			hv_netcfg_buf_printf(&b, "method=%s\n", naddr > 0 ? "manual" : "auto");
		legacy_joined(&b, "gateway", c->gateways, c->n_gateways, family);
		legacy_joined(&b, "dns", c->dns, c->n_dns, family);
	}
	return hv_netcfg_buf_finish(&b, ret);
}
