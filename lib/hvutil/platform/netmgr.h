/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network managers and helper programs that SET_IP_INFO hands its
 * files to (DESIGN.md §4, PROTOCOL.md §5.6), behind one ops struct
 * (STYLE.md rule 5) with a fake twin for tests (netmgr-fake.h).
 *
 * hv_netmgr_system_ops talks to the system bus with sd-bus and starts
 * programs with posix_spawn(): no shell, no nmcli, no networkctl.
 *
 *  NetworkManager (org.freedesktop.NetworkManager):
 *    manages:  NameHasOwner first (a method call to a name nobody owns
 *              could D-Bus-activate NetworkManager), then
 *              GetDeviceByIpIface(ifname) and the Device's Managed property.
 *    activate: Settings.LoadConnections([files]) (NM >= 1.0; a file NM
 *              reports as failed is -EIO), Settings.GetConnectionByUuid(uuid)
 *              (or "/" when uuid is NULL: NM then picks the best profile for
 *              the device, which is how an ifcfg-rh file is found), then
 *              ActivateConnection(connection, device, "/"), then the active
 *              connection's State is polled until ACTIVATED (0), DEACTIVATED
 *              (-EIO) or the timeout (-ETIME).
 *  systemd-networkd (org.freedesktop.network1):
 *    manages:  NameHasOwner, GetLinkByIndex(ifindex), the Link's
 *              AdministrativeState: anything but "unmanaged" and "linger"
 *              is managed.
 *    apply:    Manager.Reload(), Manager.ReconfigureLink(ifindex), then
 *              AdministrativeState is polled until "configured" (0),
 *              "failed"/"unmanaged" (-EIO) or the timeout (-ETIME).
 *  spawn:      posix_spawn(argv[0], argv) with stdin/stdout on /dev/null,
 *              a default signal mask and dispositions, a fixed PATH; the
 *              child is waited for until the timeout and then killed.
 *
 * Every call blocks for at most its timeout.  The kernel fails a KVP
 * request the daemon has not answered within 30 s (HV_UTIL_TIMEOUT in
 * hv_kvp.c), so callers keep timeouts below that.
 *
 * The platform layer cannot see proto/ or services/: everything here is
 * plain strings and ints.
 */
#pragma once

#include <errno.h>
#include <stdint.h>

enum hv_netmgr_kind {
	HV_NETMGR_NETWORKMANAGER,
	HV_NETMGR_NETWORKD,
	_HV_NETMGR_KIND_MAX,
	_HV_NETMGR_KIND_INVALID = -EINVAL,
};

/* "NetworkManager", "systemd-networkd" */
const char *hv_netmgr_kind_to_string(enum hv_netmgr_kind k);

struct hv_netmgr_ops {
	/*
	 * Does manager k run and manage this interface?  1 yes, 0 no (not
	 * running, no such device, unmanaged), -errno when it cannot tell
	 * (no system bus): the caller then looks at /run instead.
	 */
	int (*manages)(void *userdata, enum hv_netmgr_kind k, const char *ifname, int ifindex);
	/*
	 * NetworkManager: load files (NULL-terminated absolute paths as NM sees
	 * them) and activate the profile uuid (NULL: the best one for ifname)
	 * on ifname.  0 only once NM says the connection is activated.
	 * -ENOTCONN when NetworkManager is not running.
	 */
	int (*nm_activate)(void *userdata, const char *const *files, const char *uuid, const char *ifname,
			   uint64_t timeout_usec);
	/* systemd-networkd: reload .network files, reconfigure ifindex.  0 only
	 * once the link is configured; -ENOTCONN when networkd is not running. */
	int (*networkd_apply)(void *userdata, int ifindex, uint64_t timeout_usec);
	/*
	 * Run argv[0] (an absolute path) with argv, no shell.  Returns the exit
	 * status (0..255), 128 + signal number when killed by a signal, -ETIME
	 * when it ran past timeout_usec (it is then killed), -errno when it
	 * could not be started.
	 */
	int (*spawn)(void *userdata, char *const argv[], uint64_t timeout_usec);
};

/* sd-bus on the system bus and posix_spawn(); userdata unused (NULL). */
extern const struct hv_netmgr_ops hv_netmgr_system_ops;

/* The system implementation of spawn, usable on its own. */
int hv_netmgr_spawn(char *const argv[], uint64_t timeout_usec);
