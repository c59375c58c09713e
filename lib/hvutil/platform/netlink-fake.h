/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink fake: a snapshot built by hand that hv_netlink_fake_ops
 * hands out (a fresh copy per dump), so services can be tested on any
 * machine with any topology: netvsc + VF pairs, multipath routes, links
 * the kernel would only show on Hyper-V.
 *
 * Addresses and routes are given as text ("192.0.2.5/24", "default",
 * "fe80::1"); a text that does not parse is a bug of the test (-EINVAL).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "platform/netlink.h"

struct hv_netlink_fake;

struct hv_netlink_fake *hv_netlink_fake_new(void);
struct hv_netlink_fake *hv_netlink_fake_free(struct hv_netlink_fake *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_netlink_fake *, hv_netlink_fake_free);

/* userdata: the struct hv_netlink_fake *. */
extern const struct hv_netlink_ops hv_netlink_fake_ops;

/* Make the next dumps fail with error (0: succeed again). */
void hv_netlink_fake_set_error(struct hv_netlink_fake *f, int error);
/* How many dumps were taken. */
unsigned hv_netlink_fake_get_dumps(const struct hv_netlink_fake *f);

/*
 * A link.  mac, perm_mac: "00:15:5d:01:02:03" (NULL: none / unknown);
 * master: 0 none; driver: NULL unknown; flags: IFF_*.
 */
int hv_netlink_fake_add_link(struct hv_netlink_fake *f, int ifindex, const char *name, const char *mac,
			     const char *perm_mac, int master, unsigned flags, const char *driver, bool on_hv_pci);
/* The last added link, to set the rarer fields (kind) by hand. */
struct hv_netlink_link *hv_netlink_fake_last_link(struct hv_netlink_fake *f);

/* An address "ADDR/PREFIX" on ifindex with IFA_F_* flags. */
int hv_netlink_fake_add_addr(struct hv_netlink_fake *f, int ifindex, const char *cidr, uint32_t flags);

/*
 * A route nexthop: dst "default" (IPv4, or IPv6 when the gateway is),
 * "default6" or "ADDR/PREFIX"; gateway NULL for an on-link route; table
 * 254 (main) when 0.  A multipath route is several calls with the same dst.
 */
int hv_netlink_fake_add_route(struct hv_netlink_fake *f, const char *dst, const char *gateway, int oif,
			      uint32_t table);
