/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the network managers know and the kernel does not: the DNS servers
 * of a link and whether its addresses come from DHCP.  Read from the
 * managers' own state files, never by running their tools (PROTOCOL.md
 * §5.5: the reference forks hv_get_dns_info / hv_get_dhcp_info, which on
 * Debian run nmcli or networkctl, per address and per request).
 *
 * DNS, first that answers:
 *  1. systemd-resolved, when it runs (/run/systemd/resolve/resolv.conf
 *     exists): the link's own servers, from resolved's per-link state
 *     /run/systemd/resolve/netif/<ifindex> (SERVERS=, what NetworkManager
 *     and resolvectl set over D-Bus) or, for links systemd-networkd manages,
 *     networkd's /run/systemd/netif/links/<ifindex> (DNS=), which is where
 *     resolved takes them from; a link with none gets resolved's upstream
 *     list, the nameserver lines of /run/systemd/resolve/resolv.conf.
 *  2. Otherwise the nameserver lines of /etc/resolv.conf.
 * Files, not sd-bus: the same facts, no bus round trip on the event loop,
 * and unit tests can use fixture trees.
 *
 * DHCP, per family, from the manager that owns the link:
 *  - systemd-networkd: links/<ifindex> of a managed link (ADMIN_STATE other
 *    than "unmanaged"): DHCPv4 when DHCP_LEASE= names a lease.  networkd
 *    writes no reliable DHCPv6 signal (its DHCPv6 client also exists for
 *    router advertisements), so DHCPv6 stays unknown.
 *  - NetworkManager: /run/NetworkManager/devices/<ifindex> with
 *    managed=true: a [dhcp4] / [dhcp6] group (NetworkManager 1.4x writes the
 *    lease options there) says yes; else the profile named by
 *    connection-uuid in /etc/NetworkManager/system-connections or
 *    /run/NetworkManager/system-connections: [ipv4] method=auto, [ipv6]
 *    method=dhcp.
 *  - ifupdown: the interface is up by ifupdown (/run/network/ifstate.<if>
 *    or a "<if>=" line of /run/network/ifstate) and its stanza in
 *    /etc/network/interfaces (following source / source-directory) says
 *    "inet dhcp" / "inet6 dhcp".
 *  - dhclient started by hand or a script: /run/dhclient.<if>.pid (or
 *    dhclient6.<if>.pid) naming a live dhclient process.
 * A family none of them knows is left unknown; the caller decides (the
 * KVP service then looks at the addresses' lifetimes).
 *
 * Every path goes through the path context.  The text parsers below are
 * pure (no I/O), exposed for the unit tests and the fuzzer.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/path.h"

#define HV_NETSTATE_MAX_DNS 32
/* State files are small; anything larger is not one we know. */
#define HV_NETSTATE_MAX_FILE (256 * 1024)

struct hv_netstate_dns_server {
	int family;                    /* AF_INET or AF_INET6 */
	char text[INET6_ADDRSTRLEN];   /* canonical (inet_ntop) form, no scope or port */
};

struct hv_netstate_dns {
	struct hv_netstate_dns_server servers[HV_NETSTATE_MAX_DNS];
	size_t n;
	const char *source; /* static string naming where the list came from; NULL: nowhere */
};

enum {
	HV_NETSTATE_UNKNOWN = -1,
	HV_NETSTATE_NO = 0,
	HV_NETSTATE_YES = 1,
};

struct hv_netstate_dhcp {
	int v4; /* HV_NETSTATE_* */
	int v6;
	const char *source; /* static string: "systemd-networkd", "NetworkManager", ...; NULL: none */
};

/* The DNS servers of link ifindex (see above).  Never fails for a missing
 * file: the list is then empty.  -ENOMEM only. */
int hv_netstate_get_dns(const struct hv_path *path, int ifindex, struct hv_netstate_dns *ret);

/* The DHCP state of link ifindex / ifname (see above).  -EINVAL for an
 * ifname that is not a plain file name, -ENOMEM. */
int hv_netstate_get_dhcp(const struct hv_path *path, int ifindex, const char *ifname, struct hv_netstate_dhcp *ret);

/* --- pure parsers ------------------------------------------------------------- */

/* Add one server token ("192.0.2.53", "192.0.2.53:53", "[2001:db8::1]:53",
 * "fe80::1%2", "1.1.1.1#dns.example") to dns, once; false if it is not an
 * address or the list is full. */
bool hv_netstate_dns_add(struct hv_netstate_dns *dns, const char *token);
/* Add the space-separated tokens of value (networkd DNS=, resolved SERVERS=). */
void hv_netstate_parse_dns_list(const char *value, struct hv_netstate_dns *dns);
/* Add the "nameserver" lines of resolv.conf text. */
void hv_netstate_parse_resolv_conf(const char *text, struct hv_netstate_dns *dns);

/* KEY=VALUE text (networkd state files, os-release style): the value of
 * key, surrounding quotes removed; -ENOENT when absent. */
int hv_netstate_env_get(const char *text, const char *key, char **ret);
/* GLib keyfile text: the value of key in [group]; -ENOENT when absent. */
int hv_netstate_keyfile_get(const char *text, const char *group, const char *key, char **ret);
bool hv_netstate_keyfile_has_group(const char *text, const char *group);

/*
 * /etc/network/interfaces text: for the stanzas "iface <iface> inet|inet6
 * <method>", set dhcp->v4 / v6 to YES for method dhcp and NO for any
 * other method (left as they are when there is no stanza).  When
 * ret_includes is not NULL it gets the "source" patterns as written and
 * each "source-directory" DIR as the pattern DIR followed by a slash and
 * a star, NULL-terminated, malloc'd (at most 64).
 */
int hv_netstate_parse_interfaces(const char *text, const char *iface, struct hv_netstate_dhcp *dhcp,
				 char ***ret_includes);
