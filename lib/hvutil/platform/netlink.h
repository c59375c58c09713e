/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network links, addresses and routes as rtnetlink reports them, taken as
 * one snapshot into plain structs (libnl-3 / libnl-route-3 underneath).
 *
 * Why a snapshot and not a long-lived libnl cache: the callers (GET_IP_INFO,
 * the pool-2 address lists, hvctl) want the state of now, asked for rarely,
 * and a cache kept in step would need a netlink subscription on the event
 * loop for no gain.  One dump of links, addresses and routes per question is
 * a few kilobytes of netlink traffic; nothing can go stale between requests
 * because nothing is kept.
 *
 * Links: the dump is decoded by hand (libnl core: nlmsg_parse) because
 * libnl-route 3.7 does not expose IFLA_PERM_ADDRESS, which the netvsc/VF
 * pairing needs (NET-CHANNELS.md §1.7).  Addresses and routes come from
 * libnl-route's caches.  Each link is completed from sysfs (through the
 * path context): the bound driver (`device/driver` link) and whether the
 * device sits below a Hyper-V virtual PCI bus (an ancestor bound to
 * hv_pci), the facts that tell a netvsc and its VF apart.
 *
 * Everything that needs the kernel sits behind struct hv_netlink_ops so
 * services can be tested with platform/netlink-fake.h.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macros.h"
#include "base/path.h"

/* Hard caps: a snapshot past them is refused (-E2BIG), never grown without
 * bound. */
#define HV_NETLINK_MAX_LINKS 4096
#define HV_NETLINK_MAX_ADDRS 16384
#define HV_NETLINK_MAX_ROUTES 65536

#define HV_NETLINK_HWADDR_MAX 32 /* MAX_ADDR_LEN */
#define HV_NETLINK_KIND_MAX 32
#define HV_NETLINK_DRIVER_MAX 64

struct hv_netlink_link {
	int ifindex;
	char name[IFNAMSIZ];
	uint8_t mac[HV_NETLINK_HWADDR_MAX]; /* IFLA_ADDRESS */
	size_t mac_len;                      /* 0: none */
	uint8_t perm_mac[HV_NETLINK_HWADDR_MAX]; /* IFLA_PERM_ADDRESS (5.6+) */
	size_t perm_mac_len;                     /* 0: unknown */
	int master;                              /* IFLA_MASTER; 0: none */
	unsigned flags;                          /* ifi_flags (IFF_*) */
	char kind[HV_NETLINK_KIND_MAX];          /* IFLA_INFO_KIND ("veth", "bridge"); "" none */
	char driver[HV_NETLINK_DRIVER_MAX];      /* sysfs device/driver; "" unknown */
	bool on_hv_pci;                          /* an ancestor device is bound to hv_pci */
};

struct hv_netlink_addr {
	int ifindex;
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* 4 or 16 bytes used, network order */
	uint8_t prefixlen;
	uint32_t flags;    /* IFA_F_* (IFA_FLAGS, all 32 bits) */
	uint8_t scope;     /* RT_SCOPE_* */
};

/* One route nexthop: a multipath route gives one entry per nexthop. */
struct hv_netlink_route {
	int family;        /* AF_INET or AF_INET6 */
	uint32_t table;
	uint8_t type;      /* RTN_* */
	uint8_t dst_len;   /* 0: a default route */
	int oif;           /* the nexthop's output interface; 0 unknown */
	bool has_gateway;
	uint8_t gateway[16];
};

struct hv_netlink_snapshot {
	struct hv_netlink_link *links;  /* in dump (ifindex) order */
	size_t n_links;
	struct hv_netlink_addr *addrs;  /* in dump order: the kernel's per-link order */
	size_t n_addrs;
	struct hv_netlink_route *routes;
	size_t n_routes;
};

struct hv_netlink_snapshot *hv_netlink_snapshot_free(struct hv_netlink_snapshot *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_netlink_snapshot *, hv_netlink_snapshot_free);

/* NULL when no link has that ifindex. */
const struct hv_netlink_link *hv_netlink_snapshot_find_link(const struct hv_netlink_snapshot *s, int ifindex);

/* Append one element (copied); -ENOMEM, -E2BIG past the caps.  Used by the
 * real dump and by the fake. */
int hv_netlink_snapshot_add_link(struct hv_netlink_snapshot *s, const struct hv_netlink_link *l);
int hv_netlink_snapshot_add_addr(struct hv_netlink_snapshot *s, const struct hv_netlink_addr *a);
int hv_netlink_snapshot_add_route(struct hv_netlink_snapshot *s, const struct hv_netlink_route *r);

struct hv_netlink_ops {
	/* A fresh snapshot in *ret (free with hv_netlink_snapshot_free()). */
	int (*dump)(void *userdata, struct hv_netlink_snapshot **ret);
};

/* The kernel: userdata is the const struct hv_path * for the sysfs lookups
 * (NULL: the real root). */
extern const struct hv_netlink_ops hv_netlink_system_ops;

/* The same as a plain call. */
int hv_netlink_dump(const struct hv_path *path, struct hv_netlink_snapshot **ret);

/*
 * The sysfs facts of one interface: the basename of
 * /sys/class/net/<ifname>/device/driver into driver (size bytes; "" when
 * there is none), and whether any ancestor of the device directory has a
 * driver link to hv_pci.  -EINVAL for a name that is not a plain file name.
 * A missing device (virtual interfaces) is not an error.
 */
int hv_netlink_probe_sysfs(const struct hv_path *path, const char *ifname, char *driver, size_t size,
			   bool *ret_on_hv_pci);
