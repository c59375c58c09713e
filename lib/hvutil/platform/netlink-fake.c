/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink fake (see netlink-fake.h): one snapshot kept, copied out on
 * every dump so the caller frees what it got, as with the kernel's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/macros.h"
#include "platform/netlink-fake.h"

struct hv_netlink_fake {
	struct hv_netlink_snapshot snap;
	int error;
	unsigned dumps;
};

struct hv_netlink_fake *hv_netlink_fake_new(void)
{
	return calloc(1, sizeof(struct hv_netlink_fake));
}

struct hv_netlink_fake *hv_netlink_fake_free(struct hv_netlink_fake *f)
{
	if (!f)
		return NULL;
	free(f->snap.links);
	free(f->snap.addrs);
	free(f->snap.routes);
	free(f);
	return NULL;
}

void hv_netlink_fake_set_error(struct hv_netlink_fake *f, int error)
{
	f->error = error;
}

unsigned hv_netlink_fake_get_dumps(const struct hv_netlink_fake *f)
{
	return f->dumps;
}

static void *dup_array(const void *a, size_t n, size_t size)
{
	void *c;

	if (n == 0)
		return NULL;
	c = malloc(n * size);
	if (c)
		memcpy(c, a, n * size);
	return c;
}

static int fake_dump(void *userdata, struct hv_netlink_snapshot **ret)
{
	struct hv_netlink_fake *f = userdata;
	_cleanup_(hv_netlink_snapshot_freep) struct hv_netlink_snapshot *s = NULL;

	f->dumps++;
	if (f->error < 0)
		return f->error;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->links = dup_array(f->snap.links, f->snap.n_links, sizeof(*s->links));
	s->addrs = dup_array(f->snap.addrs, f->snap.n_addrs, sizeof(*s->addrs));
	s->routes = dup_array(f->snap.routes, f->snap.n_routes, sizeof(*s->routes));
	if ((f->snap.n_links && !s->links) || (f->snap.n_addrs && !s->addrs) || (f->snap.n_routes && !s->routes))
		return -ENOMEM;
	s->n_links = f->snap.n_links;
	s->n_addrs = f->snap.n_addrs;
	s->n_routes = f->snap.n_routes;
	*ret = TAKE_PTR(s);
	return 0;
}

const struct hv_netlink_ops hv_netlink_fake_ops = {
	.dump = fake_dump,
};

static int parse_mac(const char *s, uint8_t *out, size_t *ret_len)
{
	unsigned v[6];
	char tail;

	if (!s) {
		*ret_len = 0;
		return 0;
	}
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++)
		out[i] = (uint8_t)v[i];
	*ret_len = 6;
	return 0;
}

int hv_netlink_fake_add_link(struct hv_netlink_fake *f, int ifindex, const char *name, const char *mac,
			     const char *perm_mac, int master, unsigned flags, const char *driver, bool on_hv_pci)
{
	struct hv_netlink_link l = {
		.ifindex = ifindex,
		.master = master,
		.flags = flags,
		.on_hv_pci = on_hv_pci,
	};

	if (!name || strlen(name) >= sizeof(l.name))
		return -EINVAL;
	snprintf(l.name, sizeof(l.name), "%s", name);
	snprintf(l.driver, sizeof(l.driver), "%s", driver ?: "");
	if (parse_mac(mac, l.mac, &l.mac_len) < 0 || parse_mac(perm_mac, l.perm_mac, &l.perm_mac_len) < 0)
		return -EINVAL;
	return hv_netlink_snapshot_add_link(&f->snap, &l);
}

struct hv_netlink_link *hv_netlink_fake_last_link(struct hv_netlink_fake *f)
{
	return f->snap.n_links ? &f->snap.links[f->snap.n_links - 1] : NULL;
}

/* "ADDR" or "ADDR/PREFIX" -> family, bytes, prefix (default: full length). */
static int parse_cidr(const char *s, int *ret_family, uint8_t addr[16], uint8_t *ret_prefix)
{
	char buf[64], *slash, *end;
	int family;
	long p;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, buf, addr) != 1)
		return -EINVAL;
	p = family == AF_INET ? 32 : 128;
	if (slash) {
		long max = p;

		p = strtol(slash + 1, &end, 10);
		if (*end || p < 0 || p > max)
			return -EINVAL;
	}
	*ret_family = family;
	*ret_prefix = (uint8_t)p;
	return 0;
}

int hv_netlink_fake_add_addr(struct hv_netlink_fake *f, int ifindex, const char *cidr, uint32_t flags)
{
	struct hv_netlink_addr a = { .ifindex = ifindex, .flags = flags, .scope = RT_SCOPE_UNIVERSE };
	int r;

	r = parse_cidr(cidr, &a.family, a.addr, &a.prefixlen);
	if (r < 0)
		return r;
	if (a.family == AF_INET6 && a.addr[0] == 0xfe && (a.addr[1] & 0xc0) == 0x80)
		a.scope = RT_SCOPE_LINK;
	return hv_netlink_snapshot_add_addr(&f->snap, &a);
}

int hv_netlink_fake_add_route(struct hv_netlink_fake *f, const char *dst, const char *gateway, int oif,
			      uint32_t table)
{
	struct hv_netlink_route r = {
		.table = table ?: RT_TABLE_MAIN,
		.type = RTN_UNICAST,
		.oif = oif,
	};
	uint8_t prefix = 0;
	uint8_t addr[16];
	int family = 0, q;

	if (gateway) {
		q = parse_cidr(gateway, &r.family, r.gateway, &prefix);
		if (q < 0)
			return q;
		r.has_gateway = true;
	}
	if (strcmp(dst, "default") == 0 || strcmp(dst, "default6") == 0) {
		if (!r.family)
			r.family = strcmp(dst, "default6") == 0 ? AF_INET6 : AF_INET;
		r.dst_len = 0;
	} else {
		q = parse_cidr(dst, &family, addr, &r.dst_len);
		if (q < 0)
			return q;
		if (r.family && r.family != family)
			return -EINVAL;
		r.family = family;
	}
	return hv_netlink_snapshot_add_route(&f->snap, &r);
}
