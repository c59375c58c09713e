/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GET_IP_INFO and the pool-2 address lists (see kvp-ipinfo.h).
 *
 * Design: every answer starts from one fresh netlink snapshot; the reply
 * is assembled by small list builders that refuse an element that does
 * not fit whole, so no limit can be overrun and no list ends in half an
 * address.  DNS and DHCP are asked of platform/netstate only for the one
 * interface the host named.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/macros.h"
#include "platform/netlink.h"
#include "platform/netstate.h"
#include "services/kvp-ipinfo.h"

struct hv_kvp_ipinfo {
	const struct hv_path *path;
	const struct hv_netlink_ops *netlink;
	void *netlink_userdata;
	char **report;
	char **exclude;
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Copy a NULL-terminated list, or split the default (blank-separated). */
static char **globs_dup(char *const *v, const char *def)
{
	size_t n = 0, cap = 0;
	char **c = NULL;

	if (v) {
		while (v[cap])
			cap++;
	} else {
		for (const char *p = def; *p; p++)
			cap += (*p == ' ');
		cap++;
	}
	c = calloc(cap + 1, sizeof(char *));
	if (!c)
		return NULL;
	if (v) {
		for (; n < cap; n++)
			if (!(c[n] = strdup(v[n])))
				goto fail;
		return c;
	}
	for (const char *p = def; *p;) {
		size_t len = strcspn(p, " ");

		if (len > 0 && !(c[n++] = strndup(p, len)))
			goto fail;
		p += len;
		p += strspn(p, " ");
	}
	return c;
fail:
	strv_free(c);
	return NULL;
}

int hv_kvp_ipinfo_set_filter(struct hv_kvp_ipinfo *i, char *const *report_interfaces,
			     char *const *exclude_interfaces)
{
	char **r = globs_dup(report_interfaces, HV_KVP_IPINFO_DEFAULT_REPORT_INTERFACES);
	char **e = globs_dup(exclude_interfaces, HV_KVP_IPINFO_DEFAULT_EXCLUDE_INTERFACES);

	if (!r || !e) {
		strv_free(r);
		strv_free(e);
		return -ENOMEM;
	}
	strv_free(i->report);
	strv_free(i->exclude);
	i->report = r;
	i->exclude = e;
	return 0;
}

struct hv_kvp_ipinfo *hv_kvp_ipinfo_free(struct hv_kvp_ipinfo *i)
{
	if (!i)
		return NULL;
	strv_free(i->report);
	strv_free(i->exclude);
	free(i);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_kvp_ipinfo *, hv_kvp_ipinfo_free);

int hv_kvp_ipinfo_new(const struct hv_kvp_ipinfo_options *opts, struct hv_kvp_ipinfo **ret)
{
	static const struct hv_kvp_ipinfo_options defaults = {};
	_cleanup_(hv_kvp_ipinfo_freep) struct hv_kvp_ipinfo *i = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	i = calloc(1, sizeof(*i));
	if (!i)
		return -ENOMEM;
	i->path = opts->path;
	if (opts->netlink) {
		i->netlink = opts->netlink;
		i->netlink_userdata = opts->netlink_userdata;
	} else {
		i->netlink = &hv_netlink_system_ops;
		i->netlink_userdata = (void *)opts->path;
	}
	r = hv_kvp_ipinfo_set_filter(i, opts->report_interfaces, opts->exclude_interfaces);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(i);
	return 0;
}

/* --- matching ---------------------------------------------------------------------- */

int hv_kvp_ipinfo_parse_mac(const char *s, uint8_t ret[6])
{
	uint8_t mac[6];
	char sep = 0;

	if (!s || strlen(s) != 17)
		return -EBADMSG;
	for (size_t i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi, lo;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EBADMSG;
		if (i < 5) {
			if ((p[2] != ':' && p[2] != '-') || (sep && p[2] != sep))
				return -EBADMSG;
			sep = p[2];
		}
		hi = isdigit((unsigned char)p[0]) ? p[0] - '0' : tolower((unsigned char)p[0]) - 'a' + 10;
		lo = isdigit((unsigned char)p[1]) ? p[1] - '0' : tolower((unsigned char)p[1]) - 'a' + 10;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(ret, mac, 6);
	return 0;
}

static bool hw_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen > 0 && alen == blen && memcmp(a, b, alen) == 0;
}

static bool is_netvsc(const struct hv_netlink_link *l)
{
	return strcmp(l->driver, "hv_netvsc") == 0;
}

bool hv_kvp_ipinfo_is_paired_vf(const struct hv_netlink_snapshot *s, const struct hv_netlink_link *l)
{
	if (is_netvsc(l))
		return false;
	for (size_t k = 0; k < s->n_links; k++) {
		const struct hv_netlink_link *n = &s->links[k];

		if (n == l || !is_netvsc(n))
			continue;
		if (l->master == n->ifindex)
			return true;
		if (l->on_hv_pci && (hw_eq(l->mac, l->mac_len, n->mac, n->mac_len) ||
				     hw_eq(l->perm_mac, l->perm_mac_len, n->perm_mac, n->perm_mac_len) ||
				     hw_eq(l->perm_mac, l->perm_mac_len, n->mac, n->mac_len)))
			return true;
	}
	return false;
}

static bool glob_any(char *const *globs, const char *name)
{
	for (size_t k = 0; globs && globs[k]; k++)
		if (fnmatch(globs[k], name, 0) == 0)
			return true;
	return false;
}

bool hv_kvp_ipinfo_reports(const struct hv_kvp_ipinfo *i, const struct hv_netlink_snapshot *s,
			   const struct hv_netlink_link *l)
{
	if (l->flags & IFF_LOOPBACK)
		return false;
	if (!glob_any(i->report, l->name) || glob_any(i->exclude, l->name))
		return false;
	return !hv_kvp_ipinfo_is_paired_vf(s, l);
}

static bool link_has_mac(const struct hv_netlink_link *l, const uint8_t mac[6], bool permanent)
{
	if (permanent)
		return hw_eq(l->perm_mac, l->perm_mac_len, mac, 6);
	return hw_eq(l->mac, l->mac_len, mac, 6);
}

/* The interface the host means (see the header); NULL if none. */
static const struct hv_netlink_link *select_link(const struct hv_kvp_ipinfo *i, const struct hv_netlink_snapshot *s,
						 const uint8_t mac[6])
{
	for (int permanent = 0; permanent <= 1; permanent++) {
		const struct hv_netlink_link *best = NULL;

		for (size_t k = 0; k < s->n_links; k++) {
			const struct hv_netlink_link *l = &s->links[k], *m;

			if (!link_has_mac(l, mac, permanent) || !hv_kvp_ipinfo_reports(i, s, l))
				continue;
			/* Yield to a master that is itself a candidate. */
			m = l->master ? hv_netlink_snapshot_find_link(s, l->master) : NULL;
			if (m && m != l && link_has_mac(m, mac, permanent) && hv_kvp_ipinfo_reports(i, s, m))
				continue;
			if (!best || (is_netvsc(l) && !is_netvsc(best)) ||
			    (is_netvsc(l) == is_netvsc(best) && l->ifindex < best->ifindex))
				best = l;
		}
		if (best)
			return best;
	}
	return NULL;
}

/* --- list builders -------------------------------------------------------------------- */

struct list {
	char *buf;
	size_t len;
	size_t max; /* characters, the terminator not counted; buf holds max + 1 */
	bool truncated;
};

static bool list_fits(const struct list *l, const char *s)
{
	return l->len + (l->len > 0) + strlen(s) <= l->max;
}

static void list_add(struct list *l, const char *s)
{
	if (!list_fits(l, s)) {
		l->truncated = true;
		return;
	}
	if (l->len > 0)
		l->buf[l->len++] = ';';
	memcpy(l->buf + l->len, s, strlen(s));
	l->len += strlen(s);
	l->buf[l->len] = '\0';
}

static bool list_contains(const struct list *l, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = l->buf; p && *p;) {
		size_t len = strcspn(p, ";");

		if (len == n && strncmp(p, s, n) == 0)
			return true;
		p += len;
		p += (*p == ';');
	}
	return false;
}

static void ipv4_mask(uint8_t prefix, char *out, size_t size)
{
	uint32_t m = prefix == 0 ? 0 : prefix >= 32 ? UINT32_MAX : ~((UINT32_C(1) << (32 - prefix)) - 1);

	snprintf(out, size, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
}

static bool addr_usable(const struct hv_netlink_addr *a)
{
	/* A DAD-failed address is not configured in any useful sense. */
	return !(a->flags & IFA_F_DADFAILED);
}

static int want_families(uint8_t addr_family, bool *ret_v4, bool *ret_v6)
{
	switch (addr_family) {
	case 0:
	case HV_KVP_ADDR_FAMILY_IPV4 | HV_KVP_ADDR_FAMILY_IPV6:
		*ret_v4 = *ret_v6 = true;
		return 0;
	case HV_KVP_ADDR_FAMILY_IPV4:
		*ret_v4 = true;
		*ret_v6 = false;
		return 0;
	case HV_KVP_ADDR_FAMILY_IPV6:
		*ret_v4 = false;
		*ret_v6 = true;
		return 0;
	default:
		return -EBADMSG;
	}
}

static void fill_addresses(const struct hv_netlink_snapshot *s, int ifindex, int family, struct list *ip,
			   struct list *sub, uint8_t *addr_family)
{
	for (size_t k = 0; k < s->n_addrs; k++) {
		const struct hv_netlink_addr *a = &s->addrs[k];
		char text[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];

		if (a->ifindex != ifindex || a->family != family || !addr_usable(a))
			continue;
		if (!inet_ntop(family, a->addr, text, sizeof(text)))
			continue;
		if (family == AF_INET)
			ipv4_mask(a->prefixlen, mask, sizeof(mask));
		else
			snprintf(mask, sizeof(mask), "/%u", a->prefixlen);
		/* Both or neither: address i pairs with subnet i. */
		if (ip->truncated || !list_fits(ip, text) || !list_fits(sub, mask)) {
			ip->truncated = sub->truncated = true;
			continue;
		}
		list_add(ip, text);
		list_add(sub, mask);
		*addr_family |= family == AF_INET ? HV_KVP_ADDR_FAMILY_IPV4 : HV_KVP_ADDR_FAMILY_IPV6;
	}
}

static void fill_gateways(const struct hv_netlink_snapshot *s, int ifindex, int family, struct list *gw)
{
	for (size_t k = 0; k < s->n_routes; k++) {
		const struct hv_netlink_route *r = &s->routes[k];
		char text[INET6_ADDRSTRLEN];

		if (r->family != family || r->dst_len != 0 || r->oif != ifindex || !r->has_gateway ||
		    r->table == RT_TABLE_LOCAL || r->type != RTN_UNICAST)
			continue;
		if (!inet_ntop(family, r->gateway, text, sizeof(text)) || list_contains(gw, text))
			continue;
		if (gw->truncated)
			continue;
		if (!list_fits(gw, text)) {
			gw->truncated = true;
			continue;
		}
		list_add(gw, text);
	}
}

static bool has_dynamic_ipv4(const struct hv_netlink_snapshot *s, int ifindex)
{
	for (size_t k = 0; k < s->n_addrs; k++) {
		const struct hv_netlink_addr *a = &s->addrs[k];

		if (a->ifindex == ifindex && a->family == AF_INET && addr_usable(a) && !(a->flags & IFA_F_PERMANENT))
			return true;
	}
	return false;
}

int hv_kvp_ipinfo_get(struct hv_kvp_ipinfo *i, const struct hv_kvp_ip_info *req, struct hv_kvp_ip_info *ret_reply)
{
	_cleanup_(hv_netlink_snapshot_freep) struct hv_netlink_snapshot *s = NULL;
	struct hv_kvp_ip_info *reply = ret_reply;
	const struct hv_netlink_link *l;
	struct hv_netstate_dns dns;
	struct hv_netstate_dhcp dhcp;
	bool v4, v6;
	uint8_t mac[6];
	int r;

	memset(reply, 0, sizeof(*reply));
	/* Untrusted host input: both fields checked before anything else. */
	if (hv_kvp_ipinfo_parse_mac(req->adapter_id, mac) < 0)
		return hv_log_warning_errno(-EBADMSG, "GET_IP_INFO for adapter id '%.*s', which is not a MAC: %m",
					    (int)strnlen(req->adapter_id, 64), req->adapter_id);
	if (want_families(req->addr_family, &v4, &v6) < 0)
		return hv_log_warning_errno(-EBADMSG, "GET_IP_INFO with unknown address family %u: %m",
					    req->addr_family);

	r = i->netlink->dump(i->netlink_userdata, &s);
	if (r < 0)
		return hv_log_warning_errno(r, "GET_IP_INFO: failed to read the interfaces: %m");
	l = select_link(i, s, mac);
	if (!l)
		return hv_log_full(HV_LOG_NOTICE, -ENODEV, "GET_IP_INFO: no reported interface has MAC %s", req->adapter_id);

	struct list ip = { reply->ip_addr, 0, HV_KVP_IPINFO_MAX_IP_ADDR, false };
	struct list sub = { reply->sub_net, 0, HV_KVP_IPINFO_MAX_SUB_NET, false };
	struct list gw = { reply->gate_way, 0, HV_KVP_IPINFO_MAX_GATE_WAY, false };
	struct list dn = { reply->dns_addr, 0, HV_KVP_IPINFO_MAX_DNS_ADDR, false };

	snprintf(reply->adapter_id, sizeof(reply->adapter_id), "%s", req->adapter_id);
	if (v4)
		fill_addresses(s, l->ifindex, AF_INET, &ip, &sub, &reply->addr_family);
	if (v6)
		fill_addresses(s, l->ifindex, AF_INET6, &ip, &sub, &reply->addr_family);
	if (v4)
		fill_gateways(s, l->ifindex, AF_INET, &gw);
	if (v6)
		fill_gateways(s, l->ifindex, AF_INET6, &gw);

	r = hv_netstate_get_dns(i->path, l->ifindex, &dns);
	if (r < 0)
		return hv_log_warning_errno(r, "GET_IP_INFO: failed to read the DNS servers: %m");
	for (size_t k = 0; k < dns.n; k++) {
		if ((dns.servers[k].family == AF_INET && !v4) || (dns.servers[k].family == AF_INET6 && !v6))
			continue;
		if (dn.truncated || !list_fits(&dn, dns.servers[k].text)) {
			dn.truncated = true;
			continue;
		}
		list_add(&dn, dns.servers[k].text);
	}

	r = hv_netstate_get_dhcp(i->path, l->ifindex, l->name, &dhcp);
	if (r < 0)
		return hv_log_warning_errno(r, "GET_IP_INFO: failed to read the DHCP state of %s: %m", l->name);
	if (dhcp.v4 == HV_NETSTATE_UNKNOWN)
		dhcp.v4 = has_dynamic_ipv4(s, l->ifindex) ? HV_NETSTATE_YES : HV_NETSTATE_NO;
	reply->dhcp_enabled = (v4 && dhcp.v4 == HV_NETSTATE_YES) || (v6 && dhcp.v6 == HV_NETSTATE_YES);

	if (ip.truncated || gw.truncated || dn.truncated)
		hv_log_notice("GET_IP_INFO for %s: lists cut to the host's limits (addresses %s, gateways %s, DNS %s)",
			      l->name, ip.truncated ? "cut" : "whole", gw.truncated ? "cut" : "whole",
			      dn.truncated ? "cut" : "whole");
	hv_log_debug("GET_IP_INFO %s -> %s: family %u, DHCP %u (%s), DNS from %s", req->adapter_id, l->name,
		     reply->addr_family, reply->dhcp_enabled, dhcp.source ?: "address lifetimes",
		     dns.source ?: "nowhere");
	return 0;
}

int hv_kvp_ipinfo_addresses(struct hv_kvp_ipinfo *i, int family, char **ret)
{
	_cleanup_(hv_netlink_snapshot_freep) struct hv_netlink_snapshot *s = NULL;
	_cleanup_free_ char *buf = NULL;
	struct list l;
	int r;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	buf = calloc(1, HV_KVP_IPINFO_MAX_ADDRESS_LIST + 1);
	if (!buf)
		return -ENOMEM;
	r = i->netlink->dump(i->netlink_userdata, &s);
	if (r < 0)
		return r;
	l = (struct list){ buf, 0, HV_KVP_IPINFO_MAX_ADDRESS_LIST, false };
	for (size_t k = 0; k < s->n_addrs && !l.truncated; k++) {
		const struct hv_netlink_addr *a = &s->addrs[k];
		const struct hv_netlink_link *link = hv_netlink_snapshot_find_link(s, a->ifindex);
		char text[INET6_ADDRSTRLEN];

		if (a->family != family || !addr_usable(a) || !link || !hv_kvp_ipinfo_reports(i, s, link))
			continue;
		if (!inet_ntop(family, a->addr, text, sizeof(text)))
			continue;
		list_add(&l, text);
	}
	*ret = TAKE_PTR(buf);
	return 0;
}
