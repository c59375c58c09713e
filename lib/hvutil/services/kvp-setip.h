/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVP SET_IP_INFO (PROTOCOL.md §5.6): the host's static IP configuration
 * for one NIC, applied through the network manager that runs on this
 * guest, with the reference's hv_set_ifconfig contract as an opt-in
 * fallback.  No shell anywhere; programs are started with argv.
 *
 * One request, in this order, and nothing is written before step 3:
 *  1. the lists are parsed and validated (proto/ipcfg.h); any bad element
 *     -> -EINVAL;
 *  2. the adapter id ("{guid}") is matched against
 *     /sys/class/net/<if>/device/device_id; no match -> -ENXIO
 *     (HV_GUID_NOTFOUND, what the reference answers); the interface name,
 *     its MAC (address) and ifindex are read and the name is checked
 *     (hv_ipcfg_ifname_is_safe(): an unsafe name -> -EINVAL);
 *  3. the back-end is chosen (below), its file rendered in memory, then
 *     written atomically;
 *  4. the file is applied.  Written but not applied is a failure (-EIO),
 *     and the log line says which file was written where and what did not
 *     apply.
 *
 * Back-ends and their files (all paths through the path context):
 *   networkmanager  /etc/NetworkManager/system-connections/hvutils-<if>.nmconnection
 *                   (0600); NetworkManager D-Bus: LoadConnections, then
 *                   ActivateConnection of its uuid, waited for
 *   networkd        /etc/systemd/network/10-hvutils-<if>.network (0644);
 *                   networkd D-Bus: Reload, ReconfigureLink, waited for
 *   netplan         /etc/netplan/90-hvutils-<if>.yaml (0600); netplan has
 *                   no D-Bus API in Debian 12, so `<netplan-command> apply`
 *                   is run directly (posix_spawn, argv, bounded by the
 *                   timeout); a non-zero exit is a failure
 *   ifcfg           /etc/sysconfig/network-scripts/ifcfg-<if> (0644, the
 *                   reference layout plus IPV6INIT/NM_CONTROLLED=yes/
 *                   PEERDNS/ONBOOT); applied through NetworkManager's D-Bus
 *                   (ifcfg-rh plugin); without a running NetworkManager
 *                   it is written but not applied: -EIO
 *   legacy          <staging>/ifcfg-<if> (0644) and <staging>/<if>.nmconnection
 *                   (0600) exactly as the reference writes them, then
 *                   `<legacy-script> <ifcfg> <nmconnection>` (argv, no
 *                   shell, bounded); a non-zero exit is a failure
 *   none            nothing; -EOPNOTSUPP, logged as "IP injection disabled"
 *
 * auto tries, in this order, and takes the first that claims the NIC:
 *  1. netplan, when a /etc/netplan/ *.yaml names the interface or its MAC
 *     (netplan would regenerate that interface's configuration over ours);
 *  2. NetworkManager, when it runs and manages the device (D-Bus; without
 *     a bus, /run/NetworkManager/devices/<ifindex> saying managed=true);
 *  3. systemd-networkd, when it runs and manages the link (D-Bus; without
 *     a bus, /run/systemd/netif/links/<ifindex> with an ADMIN_STATE other
 *     than unmanaged or linger);
 *  4. netplan, when /etc/netplan has any *.yaml (a global renderer);
 *  5. ifcfg, when /etc/sysconfig/network-scripts exists;
 *  6. legacy, when legacy_fallback is set.
 * None of them -> -EOPNOTSUPP ("no network manager found").
 *
 * Returns, and the host status each becomes through hv_status_from_errno()
 * (proto/hv-status.h, the one table; nothing else is ever returned):
 *   0             applied                               HV_S_OK
 *   -EINVAL       bad host input or an unsafe interface
 *                 name; nothing written                 HV_INVALIDARG
 *   -ENXIO        no NIC with that adapter id           HV_GUID_NOTFOUND
 *   -EOPNOTSUPP   disabled (none) or nothing to apply
 *                 with (auto found no manager)           HV_ERROR_NOT_SUPPORTED
 *   -ENOSPC       the file could not be written: disk
 *                 full                                  HV_ERROR_DISK_FULL
 *   -EIO          written but not applied, or the file
 *                 or sysfs could not be written/read    HV_E_FAIL
 *   -ENOMEM                                             HV_E_FAIL
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform/netmgr.h"
#include "proto/kvp.h"
#include "services/netcfg.h"

struct hv_path;

enum hv_kvp_setip_backend {
	HV_KVP_SETIP_AUTO,
	HV_KVP_SETIP_NETWORKMANAGER,
	HV_KVP_SETIP_NETWORKD,
	HV_KVP_SETIP_NETPLAN,
	HV_KVP_SETIP_IFCFG,
	HV_KVP_SETIP_LEGACY,
	HV_KVP_SETIP_NONE,
	_HV_KVP_SETIP_BACKEND_MAX,
	_HV_KVP_SETIP_BACKEND_INVALID = -EINVAL,
};

/* "auto", "networkmanager", "networkd", "netplan", "ifcfg", "legacy", "none" */
extern const char *const hv_kvp_setip_backend_table[_HV_KVP_SETIP_BACKEND_MAX];
const char *hv_kvp_setip_backend_to_string(enum hv_kvp_setip_backend b);
enum hv_kvp_setip_backend hv_kvp_setip_backend_from_string(const char *s);

#define HV_KVP_SETIP_DEFAULT_LEGACY_SCRIPT "/usr/libexec/hypervkvpd/hv_set_ifconfig"
#define HV_KVP_SETIP_DEFAULT_STAGING_DIRECTORY "/var/lib/hyperv"
#define HV_KVP_SETIP_DEFAULT_NETPLAN_COMMAND "/usr/sbin/netplan"
/* Below the kernel's 30 s for a KVP answer (HV_UTIL_TIMEOUT, hv_kvp.c). */
/* Per apply step.  The kernel fails a KVP request the daemon has not
 * answered in 30 s, and a back-end has at most two steps. */
#define HV_KVP_SETIP_DEFAULT_TIMEOUT_USEC (10 * UINT64_C(1000000))

struct hv_kvp_setip_options {
	const struct hv_path *path;    /* NULL: the real root; borrowed */
	enum hv_kvp_setip_backend backend; /* 0 is auto */
	bool legacy_fallback;          /* auto may end in legacy */
	/* Programs and directories; NULL: the defaults above.  Resolved through
	 * path like every other path, so a fixture tree can hold a fake. */
	const char *legacy_script;
	const char *staging_directory;
	const char *netplan_command;
	uint64_t timeout_usec;         /* per apply step; 0: the default */
	const struct hv_netmgr_ops *mgr; /* NULL: hv_netmgr_system_ops */
	void *mgr_userdata;
};

/* Apply one decoded SET_IP_INFO request (see above).  *ret_backend (may be
 * NULL) is set to the back-end that was used, also on failure after one
 * was chosen (HV_KVP_SETIP_AUTO when none was). */
int hv_kvp_setip_apply(const struct hv_kvp_setip_options *o, const struct hv_kvp_ip_info *ip,
		       enum hv_kvp_setip_backend *ret_backend);

/*
 * The NIC whose device/device_id is adapter_id (any form
 * hv_ipcfg_adapter_id_normalize() accepts).  -EINVAL for an adapter id
 * that is not a GUID or an interface whose name is unsafe, -ENXIO when no
 * NIC matches, -EIO when its address or ifindex is unreadable.
 */
int hv_kvp_setip_find_link(const struct hv_path *p, const char *adapter_id, struct hv_netcfg_link *ret);

/* What auto picks for l (steps 1-6 above); -EOPNOTSUPP when nothing. */
int hv_kvp_setip_detect(const struct hv_kvp_setip_options *o, const struct hv_netcfg_link *l,
			enum hv_kvp_setip_backend *ret);
