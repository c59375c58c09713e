/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SET_IP_INFO back-ends: what each one writes (pure functions from the
 * validated model, proto/ipcfg.h, to the exact file text; golden-tested in
 * tests/fixtures/netcfg/) and the atomic file write they share.  Which
 * back-end runs and how its file is applied is kvp-setip.c's business.
 *
 * Choices shared by the native writers (NetworkManager, networkd, netplan):
 *  - the profile matches the interface by name AND MAC, so it can never
 *    land on an accelerated-networking VF, which carries the same MAC under
 *    another name (ECOSYSTEM.md §3 row 7);
 *  - addresses are written in canonical form (inet_ntop), in host order;
 *  - the first gateway of a family is the default gateway; further ones
 *    become default routes with metric HV_NETCFG_EXTRA_GATEWAY_METRIC + n
 *    (n = 1, 2, ...), because two default routes of equal metric on one
 *    link are refused by the kernel;
 *  - IPv4: DHCP when the host says so, static addresses as well when it
 *    sends them, disabled when neither (the reference's rule, §5.6);
 *    IPv6: static when the host sends IPv6 addresses (router
 *    advertisements off), else left to router advertisements (the
 *    reference's "auto").
 *
 * The reference-compatible writers (ifcfg, legacy keyfile) reproduce the
 * key layout of hv_kvp_daemon (§5.6) and take the address text as the host
 * sent it, except IPv6 addresses in ifcfg files, which are fully expanded
 * as the reference does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "proto/ipcfg.h"

struct hv_path;

#define HV_NETCFG_EXTRA_GATEWAY_METRIC 1024
#define HV_NETCFG_UUID_MAX 37

/* The interface a request is for, as sysfs describes it. */
struct hv_netcfg_link {
	char ifname[HV_IPCFG_IFNAME_MAX + 1]; /* hv_ipcfg_ifname_is_safe() */
	int ifindex;
	char mac_upper[18]; /* "00:15:5D:01:02:03" */
	char mac_lower[18]; /* "00:15:5d:01:02:03" */
};

/*
 * A stable UUID for the profile of this link: the same interface name and
 * MAC always give the same UUID (so a second SET_IP_INFO replaces the
 * profile instead of adding one), different links different ones.  An
 * RFC 9562 version-8 (custom) UUID from two FNV-1a hashes of
 * "hvutils", the name and the MAC.
 */
void hv_netcfg_uuid(const struct hv_netcfg_link *l, char buf[static HV_NETCFG_UUID_MAX]);

/*
 * Writers: *ret is the whole file (malloc'd), 0 on success, -ENOMEM.
 *
 * NetworkManager keyfile for /etc/NetworkManager/system-connections/
 * hvutils-<if>.nmconnection: [connection] id=hvutils-<if>, the stable
 * uuid, type=ethernet, interface-name, autoconnect; [ethernet] mac-address;
 * [ipv4]/[ipv6] method, addressN=<addr>/<plen>, gateway=, routeN=, dns= as
 * a keyfile list (';'-terminated elements).
 */
int hv_netcfg_nm_keyfile(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret);
/* systemd.network for /etc/systemd/network/10-hvutils-<if>.network. */
int hv_netcfg_networkd(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret);
/* netplan YAML for /etc/netplan/90-hvutils-<if>.yaml.  The device id is
 * the interface name, so the definition merges with one another file (for
 * example cloud-init's 50-cloud-init.yaml) has for the same name; every
 * scalar is double-quoted (names such as "1" or "yes" stay strings). */
int hv_netcfg_netplan(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret);
/*
 * ifcfg file in the reference's key layout (§5.6): HWADDR, DEVICE,
 * BOOTPROTO, the address list (IPADDRn / IPV6ADDR, IPV6ADDR_n), the subnet
 * list (NETMASKn / IPV6NETMASK, IPV6NETMASK_n), the gateway list (GATEWAY,
 * GATEWAYn / IPV6_DEFAULTGW, IPV6_DEFAULTGW_n), DNSn.  native adds the
 * keys the reference's hv_set_ifconfig appends, except that it says
 * NM_CONTROLLED=yes where the script says no: the native back-end hands
 * the file to NetworkManager's ifcfg-rh plugin.
 */
int hv_netcfg_ifcfg(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, bool native, char **ret);
/* The reference's own keyfile (§5.6, the 2024 layout) for the legacy
 * staging directory: interface-name, mac-address, addresses, method,
 * comma-joined gateway= and dns=. */
int hv_netcfg_legacy_keyfile(const struct hv_netcfg_link *l, const struct hv_ipcfg *c, char **ret);

/*
 * Write text to abs (resolved through p) atomically: a temporary file in
 * the same directory, fchmod(mode), fsync, rename, fsync of the directory.
 * Missing parent directories are created (0755).  A failure leaves the old
 * file, if any, untouched and no temporary file behind.
 */
int hv_netcfg_write_file(const struct hv_path *p, const char *abs, const char *text, mode_t mode);
