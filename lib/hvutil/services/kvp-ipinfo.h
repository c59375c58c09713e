/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP GET_IP_INFO and the pool-2 address lists (PROTOCOL.md §5.3, §5.5),
 * without forking anything: links, addresses and routes from one netlink
 * snapshot per request (platform/netlink.h), DNS and DHCP from the network
 * managers' state files (platform/netstate.h).  Nothing is cached between
 * requests, so nothing can go stale.
 *
 * Which interface: the host names its virtual NIC by MAC ("00:15:5D:..",
 * any case, ':' or '-' between the six octets; anything else is refused
 * -EBADMSG).  The interface is the one whose MAC is exactly that (its
 * permanent MAC when no current MAC matches), among the reported ones (see
 * below).  When several share it:
 *  - a VF paired with a hv_netvsc interface is never the answer: the
 *    netvsc is (NET-CHANNELS.md §1.7, §4.2: configuration targets netvsc);
 *  - an interface whose master also matches yields to the master (a bridge
 *    or bond built on the NIC carries its addresses);
 *  - then hv_netvsc wins, then the lowest ifindex.
 * No interface -> -ENODEV (the host gets HV_E_FAIL, as with the reference).
 *
 * Which families: the request's addr_family, 1 IPv4, 2 IPv6, 0 or 3 both
 * (hosts send 0 meaning "all"); other values are refused -EBADMSG.
 *
 * The reply (struct hv_kvp_ip_info, UTF-8):
 *  - adapter_id: the request's, echoed;
 *  - addr_family: bit 1 when an IPv4 address is listed, bit 2 for IPv6;
 *  - ip_addr: the interface's addresses, IPv4 first, each family in the
 *    kernel's order (DAD-failed ones left out), ';'-separated;
 *  - sub_net: one entry per address, in step: IPv4 as a dotted mask,
 *    IPv6 as "/<prefix>", exactly as the reference sends them;
 *  - gate_way: the gateways of the default routes whose nexthop leaves
 *    through this interface (every nexthop of a multipath route on its own;
 *    any routing table but "local"), IPv4 first, no duplicates;
 *  - dns_addr: the link's DNS servers of the wanted families, in the
 *    order the source lists them (platform/netstate.h);
 *  - dhcp_enabled: 1 when a wanted family is configured by DHCP, as the
 *    link's network manager says; for IPv4 that no manager claims, 1 when
 *    the interface has a lifetime-limited (not IFA_F_PERMANENT) IPv4
 *    address, which is what a DHCP client installs.
 * Lists are ';'-separated with no trailing ';' and cut at a whole element
 * so the host's limits hold: ip_addr and sub_net 1023 characters (the
 * kernel converts to at most 1024 UTF-16 units and must keep the host's
 * terminator), gate_way 511, dns_addr 1023.  An address is listed only
 * when its sub_net entry fits too, so the two lists stay paired.
 *
 * Differences from the reference (§5.5, §11.8), on purpose:
 *  - exact match by MAC, not the reference's interface-name prefix match
 *    ("eth1" also collecting "eth10" and "eth1.100" addresses);
 *  - gateways of this interface only (the reference lists every default
 *    gateway of the VM since 6.15, and before that broke on multipath);
 *  - no trailing ';' after gateways and DNS servers (the reference appends
 *    one after each).  Hosts split on ';' and skip empty elements, so
 *    nothing depends on it;
 *  - the request's addr_family is honoured (the reference ignores it);
 *  - DNS and DHCP from the network manager's state, not from scripts
 *    (hv_get_dns_info / hv_get_dhcp_info, the latter RHEL ifcfg only).
 *
 * Which interfaces are reported at all (GET_IP_INFO and the pool-2
 * NetworkAddressIPv4/IPv6 lists alike): names matching one of the include
 * globs and none of the exclude globs (fnmatch(3)); loopback never; a VF
 * paired with a netvsc never (its netvsc reports the same addresses).
 * Defaults: include "*", exclude the host-side interfaces of containers
 * and local virtualisation (docker0, br-<id>, veth*, virbr*, lxcbr*,
 * lxdbr*, cni*, flannel*, cali*, cilium*, podman*, kube-*): their private
 * addresses mean nothing to the Hyper-V host and only crowd the list
 * (ECOSYSTEM.md §2.1 notes the reference lists them all).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/path.h"
#include "platform/netlink.h"
#include "proto/kvp.h"

#define HV_KVP_IPINFO_DEFAULT_REPORT_INTERFACES "*"
#define HV_KVP_IPINFO_DEFAULT_EXCLUDE_INTERFACES \
	"docker* br-* veth* virbr* lxcbr* lxdbr* cni* flannel* cali* cilium* podman* kube-*"

/* Text limits of the reply lists (characters, the terminator not counted). */
#define HV_KVP_IPINFO_MAX_IP_ADDR (HV_KVP_MAX_IP_ADDR_SIZE - 1)
#define HV_KVP_IPINFO_MAX_SUB_NET (HV_KVP_MAX_IP_ADDR_SIZE - 1)
#define HV_KVP_IPINFO_MAX_GATE_WAY (HV_KVP_MAX_GATEWAY_SIZE - 1)
#define HV_KVP_IPINFO_MAX_DNS_ADDR (HV_KVP_MAX_IP_ADDR_SIZE - 1)
/* The pool-2 lists go into a KVP value. */
#define HV_KVP_IPINFO_MAX_ADDRESS_LIST (HV_KVP_EXCHANGE_MAX_VALUE_SIZE - 1)

struct hv_kvp_ipinfo;

struct hv_kvp_ipinfo_options {
	const struct hv_path *path;              /* sysfs, /run, /etc; NULL: the real root; borrowed */
	const struct hv_netlink_ops *netlink;    /* NULL: the kernel (hv_netlink_system_ops on path) */
	void *netlink_userdata;
	char *const *report_interfaces;          /* globs, NULL-terminated; NULL: the default */
	char *const *exclude_interfaces;         /* globs; NULL: the default */
};

int hv_kvp_ipinfo_new(const struct hv_kvp_ipinfo_options *opts, struct hv_kvp_ipinfo **ret);
struct hv_kvp_ipinfo *hv_kvp_ipinfo_free(struct hv_kvp_ipinfo *i);

/* Replace the globs (copied; NULL: the default).  -ENOMEM leaves the old ones. */
int hv_kvp_ipinfo_set_filter(struct hv_kvp_ipinfo *i, char *const *report_interfaces,
			     char *const *exclude_interfaces);

/*
 * Answer GET_IP_INFO for req (adapter_id, addr_family): ret_reply is
 * filled completely on success and zeroed otherwise.  -EBADMSG for a
 * malformed adapter id or family (logged), -ENODEV when no reported
 * interface has that MAC (logged), -errno when the snapshot fails.
 */
int hv_kvp_ipinfo_get(struct hv_kvp_ipinfo *i, const struct hv_kvp_ip_info *req, struct hv_kvp_ip_info *ret_reply);

/* The pool-2 list of family (AF_INET, AF_INET6): every address of the
 * reported interfaces, ';'-separated, whole elements within
 * HV_KVP_IPINFO_MAX_ADDRESS_LIST; "" when none.  *ret malloc'd. */
int hv_kvp_ipinfo_addresses(struct hv_kvp_ipinfo *i, int family, char **ret);

/* --- the pieces, exposed for tests ------------------------------------------------ */

/* "00:15:5D:0a:0B:0c" or with '-' -> 6 bytes; -EBADMSG otherwise. */
int hv_kvp_ipinfo_parse_mac(const char *s, uint8_t ret[6]);

/* Is l a VF paired with a hv_netvsc interface of s (same MAC, current or
 * permanent, on a hv_pci bus; or enslaved to it)? */
bool hv_kvp_ipinfo_is_paired_vf(const struct hv_netlink_snapshot *s, const struct hv_netlink_link *l);

/* Does the filter of i report link l (name globs, loopback, paired VF)? */
bool hv_kvp_ipinfo_reports(const struct hv_kvp_ipinfo *i, const struct hv_netlink_snapshot *s,
			   const struct hv_netlink_link *l);
