/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink snapshot (see netlink.h).
 *
 * One NETLINK_ROUTE socket per dump, closed afterwards: links by a hand
 * decoded RTM_GETLINK dump (for IFLA_PERM_ADDRESS), addresses and routes
 * through libnl-route caches that are freed before returning.  libnl's
 * negative NLE_* codes never leave this file: they become -errno here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "platform/netlink.h"

/* --- the snapshot ------------------------------------------------------------ */

struct hv_netlink_snapshot *hv_netlink_snapshot_free(struct hv_netlink_snapshot *s)
{
	if (!s)
		return NULL;
	free(s->links);
	free(s->addrs);
	free(s->routes);
	free(s);
	return NULL;
}

const struct hv_netlink_link *hv_netlink_snapshot_find_link(const struct hv_netlink_snapshot *s, int ifindex)
{
	for (size_t i = 0; s && i < s->n_links; i++)
		if (s->links[i].ifindex == ifindex)
			return &s->links[i];
	return NULL;
}

/* Append one element of size elsize to *array (n elements), at most max. */
static int append(void **array, size_t *n, size_t max, const void *elem, size_t elsize)
{
	void *a;

	if (*n >= max)
		return -E2BIG;
	/* Capacity 8, then doubled at every power of two; *n is below max,
	 * so this cannot overflow. */
	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
		a = realloc(*array, (*n ? 2 * *n : 8) * elsize);
		if (!a)
			return -ENOMEM;
		*array = a;
	}
	memcpy((uint8_t *)*array + *n * elsize, elem, elsize);
	(*n)++;
	return 0;
}

int hv_netlink_snapshot_add_link(struct hv_netlink_snapshot *s, const struct hv_netlink_link *l)
{
	return append((void **)&s->links, &s->n_links, HV_NETLINK_MAX_LINKS, l, sizeof(*l));
}

int hv_netlink_snapshot_add_addr(struct hv_netlink_snapshot *s, const struct hv_netlink_addr *a)
{
	return append((void **)&s->addrs, &s->n_addrs, HV_NETLINK_MAX_ADDRS, a, sizeof(*a));
}

int hv_netlink_snapshot_add_route(struct hv_netlink_snapshot *s, const struct hv_netlink_route *r)
{
	return append((void **)&s->routes, &s->n_routes, HV_NETLINK_MAX_ROUTES, r, sizeof(*r));
}

/* --- sysfs facts --------------------------------------------------------------- */

/* Basename of the target of link into out ("" when it is not a link). */
static void link_basename(const char *link, char *out, size_t size)
{
	char target[PATH_MAX];
	ssize_t n;
	const char *b;

	out[0] = '\0';
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	b = strrchr(target, '/');
	snprintf(out, size, "%s", b ? b + 1 : target);
}

int hv_netlink_probe_sysfs(const struct hv_path *path, const char *ifname, char *driver, size_t size,
			   bool *ret_on_hv_pci)
{
	_cleanup_free_ char *link = NULL, *dev = NULL, *sys = NULL;
	char real[PATH_MAX], buf[PATH_MAX + 16], name[HV_NETLINK_DRIVER_MAX];
	bool on_hv_pci = false;
	size_t syslen;

	if (!ifname || !ifname[0] || strchr(ifname, '/') || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return -EINVAL;
	link = hv_path_getf(path, "/sys/class/net/%s/device/driver", ifname);
	dev = hv_path_getf(path, "/sys/class/net/%s/device", ifname);
	sys = hv_path_get(path, "/sys");
	if (!link || !dev || !sys)
		return -ENOMEM;
	link_basename(link, driver, size);

	/*
	 * Walk from the device up to /sys: the VF's PCI function sits below
	 * the hv_pci VMBus device (NET-CHANNELS.md §1.7), at a depth that
	 * depends on the bus layout, so no fixed number of "..".
	 */
	if (realpath(dev, real)) {
		syslen = strlen(sys);
		for (unsigned depth = 0; depth < 32; depth++) {
			char *slash;

			if (strncmp(real, sys, syslen) != 0 || strlen(real) <= syslen)
				break;
			snprintf(buf, sizeof(buf), "%s/driver", real);
			link_basename(buf, name, sizeof(name));
			if (strcmp(name, "hv_pci") == 0) {
				on_hv_pci = true;
				break;
			}
			slash = strrchr(real, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
	}
	*ret_on_hv_pci = on_hv_pci;
	return 0;
}

/* --- the dump -------------------------------------------------------------------- */

static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
		return -EBADMSG;
	case NLE_OPNOTSUPP:
	case NLE_AF_NOSUPPORT:
		return -EOPNOTSUPP;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_NOACCESS:
		return -EACCES;
	default:
		return -EIO;
	}
}

struct link_dump {
	struct hv_netlink_snapshot *snap;
	int error;
};

static void copy_hwaddr(const struct nlattr *a, uint8_t *out, size_t *ret_len)
{
	size_t n = a ? (size_t)nla_len(a) : 0;

	if (n == 0 || n > HV_NETLINK_HWADDR_MAX) {
		*ret_len = 0;
		return;
	}
	memcpy(out, nla_data(a), n);
	*ret_len = n;
}

static int on_link(struct nl_msg *msg, void *arg)
{
	struct link_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct hv_netlink_link l = {};
	const struct ifinfomsg *ifi;
	int r;

	if (h->nlmsg_type != RTM_NEWLINK || d->error < 0)
		return NL_SKIP;
	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_IFNAME])
		return NL_SKIP;
	ifi = nlmsg_data(h);
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	nla_strlcpy(l.name, tb[IFLA_IFNAME], sizeof(l.name));
	copy_hwaddr(tb[IFLA_ADDRESS], l.mac, &l.mac_len);
	copy_hwaddr(tb[IFLA_PERM_ADDRESS], l.perm_mac, &l.perm_mac_len);
	if (tb[IFLA_MASTER] && nla_len(tb[IFLA_MASTER]) >= 4)
		l.master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINKINFO]) {
		struct nlattr *info[IFLA_INFO_MAX + 1];

		if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) >= 0 && info[IFLA_INFO_KIND])
			nla_strlcpy(l.kind, info[IFLA_INFO_KIND], sizeof(l.kind));
	}
	r = hv_netlink_snapshot_add_link(d->snap, &l);
	if (r < 0)
		d->error = r;
	return NL_OK;
}

static int dump_links(struct nl_sock *sk, struct hv_netlink_snapshot *snap)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct link_dump d = { .snap = snap };
	int r;

	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_link, &d);
	if (r < 0)
		return nl_to_errno(r);
	r = nl_send_simple(sk, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	if (r < 0)
		return nl_to_errno(r);
	r = nl_recvmsgs_default(sk);
	if (r < 0)
		return nl_to_errno(r);
	return d.error;
}

static bool nl_addr_copy(struct nl_addr *a, int family, uint8_t out[16])
{
	size_t want = family == AF_INET ? 4 : 16;

	if (!a || nl_addr_get_family(a) != family || nl_addr_get_len(a) != want)
		return false;
	memcpy(out, nl_addr_get_binary_addr(a), want);
	return true;
}

static int dump_addrs(struct nl_sock *sk, struct hv_netlink_snapshot *snap)
{
	struct nl_cache *cache = NULL;
	int r;

	r = rtnl_addr_alloc_cache(sk, &cache);
	if (r < 0)
		return nl_to_errno(r);
	r = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o && r >= 0; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct hv_netlink_addr a = {
			.ifindex = rtnl_addr_get_ifindex(ra),
			.family = rtnl_addr_get_family(ra),
			.prefixlen = (uint8_t)rtnl_addr_get_prefixlen(ra),
			.flags = rtnl_addr_get_flags(ra),
			.scope = (uint8_t)rtnl_addr_get_scope(ra),
		};

		if (a.family != AF_INET && a.family != AF_INET6)
			continue;
		if (!nl_addr_copy(rtnl_addr_get_local(ra), a.family, a.addr))
			continue;
		r = hv_netlink_snapshot_add_addr(snap, &a);
	}
	nl_cache_free(cache);
	return r;
}

static int dump_routes(struct nl_sock *sk, struct hv_netlink_snapshot *snap)
{
	struct nl_cache *cache = NULL;
	int r;

	r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &cache);
	if (r < 0)
		return nl_to_errno(r);
	r = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o && r >= 0; o = nl_cache_get_next(o)) {
		struct rtnl_route *rr = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rr);
		int family = rtnl_route_get_family(rr);
		int n = rtnl_route_get_nnexthops(rr);

		if (family != AF_INET && family != AF_INET6)
			continue;
		/* Every nexthop on its own: a multipath route's gateways belong
		 * to different interfaces (PROTOCOL.md §5.5). */
		for (int i = 0; i < n && r >= 0; i++) {
			struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rr, i);
			struct hv_netlink_route route = {
				.family = family,
				.table = rtnl_route_get_table(rr),
				.type = rtnl_route_get_type(rr),
				.dst_len = dst ? (uint8_t)nl_addr_get_prefixlen(dst) : 0,
				.oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0,
			};

			if (nh)
				route.has_gateway = nl_addr_copy(rtnl_route_nh_get_gateway(nh), family, route.gateway);
			r = hv_netlink_snapshot_add_route(snap, &route);
		}
	}
	nl_cache_free(cache);
	return r;
}

int hv_netlink_dump(const struct hv_path *path, struct hv_netlink_snapshot **ret)
{
	_cleanup_(hv_netlink_snapshot_freep) struct hv_netlink_snapshot *snap = NULL;
	struct nl_sock *sk;
	int r;

	snap = calloc(1, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return hv_log_debug_errno(nl_to_errno(r), "Failed to open a rtnetlink socket: %m");
	}
	r = dump_links(sk, snap);
	if (r >= 0)
		r = dump_addrs(sk, snap);
	if (r >= 0)
		r = dump_routes(sk, snap);
	nl_socket_free(sk);
	if (r < 0)
		return hv_log_debug_errno(r, "Failed to dump links, addresses and routes: %m");

	for (size_t i = 0; i < snap->n_links; i++) {
		struct hv_netlink_link *l = &snap->links[i];

		/* sysfs shows the namespace hv-kvpd runs in; a link without a
		 * device directory simply has no driver. */
		(void)hv_netlink_probe_sysfs(path, l->name, l->driver, sizeof(l->driver), &l->on_hv_pci);
	}
	*ret = TAKE_PTR(snap);
	return 0;
}

static int system_dump(void *userdata, struct hv_netlink_snapshot **ret)
{
	return hv_netlink_dump(userdata, ret);
}

const struct hv_netlink_ops hv_netlink_system_ops = {
	.dump = system_dump,
};
