/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network managers over sd-bus, helper programs over posix_spawn() (see
 * netmgr.h for the calls made and what each answer means).
 *
 * One short-lived system-bus connection per call: SET_IP_INFO is rare, and
 * a connection kept open would need reconnect logic for a bus restart
 * that a fresh connection gets for free.
 *
 * Messages here are debug level only (the managers' own error texts): the
 * caller decides what a failure means and logs it once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "netmgr.h"
#include "spawn.h"

#define NM_BUS "org.freedesktop.NetworkManager"
#define NM_PATH "/org/freedesktop/NetworkManager"
#define NM_IFACE "org.freedesktop.NetworkManager"
#define NM_SETTINGS_PATH "/org/freedesktop/NetworkManager/Settings"
#define NM_SETTINGS_IFACE "org.freedesktop.NetworkManager.Settings"
#define NM_DEVICE_IFACE "org.freedesktop.NetworkManager.Device"
#define NM_ACTIVE_IFACE "org.freedesktop.NetworkManager.Connection.Active"
/* NMActiveConnectionState */
#define NM_ACTIVE_ACTIVATING 1
#define NM_ACTIVE_ACTIVATED 2
#define NM_ACTIVE_DEACTIVATED 4

#define ND_BUS "org.freedesktop.network1"
#define ND_PATH "/org/freedesktop/network1"
#define ND_MANAGER_IFACE "org.freedesktop.network1.Manager"
#define ND_LINK_IFACE "org.freedesktop.network1.Link"

#define POLL_INTERVAL_USEC (100 * UINT64_C(1000))
#define SPAWN_POLL_USEC (10 * UINT64_C(1000))

static const char *const kind_names[_HV_NETMGR_KIND_MAX] = {
	[HV_NETMGR_NETWORKMANAGER] = "NetworkManager",
	[HV_NETMGR_NETWORKD] = "systemd-networkd",
};

const char *hv_netmgr_kind_to_string(enum hv_netmgr_kind k)
{
	return k >= 0 && k < _HV_NETMGR_KIND_MAX ? kind_names[k] : NULL;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void sleep_usec(uint64_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / 1000000), .tv_nsec = (long)(usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The bus, with every method call bounded by what is left of the deadline. */
static int bus_open(uint64_t deadline, sd_bus **ret)
{
	sd_bus *bus = NULL;
	uint64_t now = now_usec();
	int r;

	if (now >= deadline)
		return -ETIME;
	r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	(void)sd_bus_set_method_call_timeout(bus, deadline - now);
	*ret = bus;
	return 0;
}

static void bus_deadline(sd_bus *bus, uint64_t deadline)
{
	uint64_t now = now_usec();

	(void)sd_bus_set_method_call_timeout(bus, now < deadline ? deadline - now : 1);
}

/* 1 when someone owns name, 0 when not. */
static int name_has_owner(sd_bus *bus, const char *name)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int has = 0, r;

	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "NameHasOwner", &error, &reply, "s", name);
	if (r < 0)
		return hv_log_debug_errno(r, "NameHasOwner(%s) failed: %s", name,
					  error.message ? error.message : "");
	r = sd_bus_message_read(reply, "b", &has);
	return r < 0 ? r : !!has;
}

/* NetworkManager's object path for ifname; -ENODEV when it has none. */
static int nm_device(sd_bus *bus, const char *ifname, char **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *path;
	int r;

	r = sd_bus_call_method(bus, NM_BUS, NM_PATH, NM_IFACE, "GetDeviceByIpIface", &error, &reply, "s",
			       ifname);
	if (r < 0) {
		hv_log_debug("NetworkManager has no device %s: %s", ifname, error.message ? error.message : "");
		return -ENODEV;
	}
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	*ret = strdup(path);
	return *ret ? 0 : -ENOMEM;
}

/* networkd's object path for ifindex; -ENODEV when it has none. */
static int nd_link(sd_bus *bus, int ifindex, char **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *name, *path;
	int r;

	r = sd_bus_call_method(bus, ND_BUS, ND_PATH, ND_MANAGER_IFACE, "GetLinkByIndex", &error, &reply, "i",
			       ifindex);
	if (r < 0) {
		hv_log_debug("systemd-networkd has no link %d: %s", ifindex, error.message ? error.message : "");
		return -ENODEV;
	}
	r = sd_bus_message_read(reply, "so", &name, &path);
	if (r < 0)
		return r;
	*ret = strdup(path);
	return *ret ? 0 : -ENOMEM;
}

static int nd_admin_state(sd_bus *bus, const char *link, char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	return sd_bus_get_property_string(bus, ND_BUS, link, ND_LINK_IFACE, "AdministrativeState", &error, ret);
}

static int system_manages(void *userdata, enum hv_netmgr_kind k, const char *ifname, int ifindex)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_free_ char *obj = NULL, *state = NULL;
	int r;

	(void)userdata;
	r = bus_open(now_usec() + 5 * UINT64_C(1000000), &bus);
	if (r < 0)
		return hv_log_debug_errno(r, "No system bus: %m");

	switch (k) {
	case HV_NETMGR_NETWORKMANAGER: {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		int managed = 0;

		r = name_has_owner(bus, NM_BUS);
		if (r <= 0)
			return r;
		if (nm_device(bus, ifname, &obj) < 0)
			return 0;
		r = sd_bus_get_property_trivial(bus, NM_BUS, obj, NM_DEVICE_IFACE, "Managed", &error, 'b',
						&managed);
		if (r < 0)
			return hv_log_debug_errno(r, "NetworkManager: Managed of %s: %s", ifname,
						  error.message ? error.message : "");
		return !!managed;
	}
	case HV_NETMGR_NETWORKD:
		r = name_has_owner(bus, ND_BUS);
		if (r <= 0)
			return r;
		if (nd_link(bus, ifindex, &obj) < 0)
			return 0;
		r = nd_admin_state(bus, obj, &state);
		if (r < 0)
			return hv_log_debug_errno(r, "systemd-networkd: AdministrativeState of %s: %m", ifname);
		return !(strcmp(state, "unmanaged") == 0 || strcmp(state, "linger") == 0);
	case _HV_NETMGR_KIND_MAX:
	case _HV_NETMGR_KIND_INVALID:
		break;
	}
	return -EINVAL;
}

static int nm_load(sd_bus *bus, const char *const *files)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *failed;
	int ok = 0, r, bad = 0;

	r = sd_bus_message_new_method_call(bus, &m, NM_BUS, NM_SETTINGS_PATH, NM_SETTINGS_IFACE,
					   "LoadConnections");
	if (r < 0)
		return r;
	r = sd_bus_message_append_strv(m, (char **)files);
	if (r < 0)
		return r;
	r = sd_bus_call(bus, m, 0, &error, &reply);
	if (r < 0)
		return hv_log_debug_errno(r, "NetworkManager: LoadConnections failed: %s",
					    error.message ? error.message : "");
	r = sd_bus_message_read(reply, "b", &ok);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "s");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "s", &failed)) > 0) {
		hv_log_debug("NetworkManager could not load %s", failed);
		bad++;
	}
	if (r < 0)
		return r;
	return bad > 0 || !ok ? -EIO : 0;
}

static int nm_wait_activated(sd_bus *bus, const char *active, uint64_t deadline)
{
	for (;;) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		uint32_t state = 0;
		int r;

		bus_deadline(bus, deadline);
		r = sd_bus_get_property_trivial(bus, NM_BUS, active, NM_ACTIVE_IFACE, "State", &error, 'u',
						&state);
		if (r < 0)
			/* The object goes away when the activation failed. */
			return hv_log_debug_errno(-EIO, "NetworkManager: activation %s vanished: %s", active,
						    error.message ? error.message : "");
		if (state == NM_ACTIVE_ACTIVATED)
			return 0;
		if (state > NM_ACTIVE_ACTIVATED)
			return hv_log_debug_errno(-EIO, "NetworkManager: activation %s failed (state %u)",
						    active, state);
		if (now_usec() + POLL_INTERVAL_USEC >= deadline)
			return -ETIME;
		sleep_usec(POLL_INTERVAL_USEC);
	}
}

static int system_nm_activate(void *userdata, const char *const *files, const char *uuid, const char *ifname,
			      uint64_t timeout_usec)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *device = NULL, *connection = NULL, *active = NULL;
	uint64_t deadline = now_usec() + timeout_usec;
	const char *p;
	int r;

	(void)userdata;
	r = bus_open(deadline, &bus);
	if (r < 0)
		return hv_log_debug_errno(r, "No system bus: %m");
	r = name_has_owner(bus, NM_BUS);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOTCONN;

	r = nm_load(bus, files);
	if (r < 0)
		return r;
	bus_deadline(bus, deadline);
	r = nm_device(bus, ifname, &device);
	if (r < 0)
		return hv_log_debug_errno(-EIO, "NetworkManager does not know %s", ifname);

	if (uuid) {
		bus_deadline(bus, deadline);
		r = sd_bus_call_method(bus, NM_BUS, NM_SETTINGS_PATH, NM_SETTINGS_IFACE, "GetConnectionByUuid",
				       &error, &reply, "s", uuid);
		if (r < 0)
			return hv_log_debug_errno(-EIO, "NetworkManager has no connection %s after loading it: %s",
						    uuid, error.message ? error.message : "");
		r = sd_bus_message_read(reply, "o", &p);
		if (r < 0)
			return r;
		connection = strdup(p);
		reply = sd_bus_message_unref(reply);
	} else
		connection = strdup("/");
	if (!connection)
		return -ENOMEM;

	bus_deadline(bus, deadline);
	r = sd_bus_call_method(bus, NM_BUS, NM_PATH, NM_IFACE, "ActivateConnection", &error, &reply, "ooo",
			       connection, device, "/");
	if (r < 0)
		return hv_log_debug_errno(-EIO, "NetworkManager: ActivateConnection on %s failed: %s", ifname,
					    error.message ? error.message : "");
	r = sd_bus_message_read(reply, "o", &p);
	if (r < 0)
		return r;
	active = strdup(p);
	if (!active)
		return -ENOMEM;
	return nm_wait_activated(bus, active, deadline);
}

static int system_networkd_apply(void *userdata, int ifindex, uint64_t timeout_usec)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *link = NULL;
	uint64_t deadline = now_usec() + timeout_usec;
	int r;

	(void)userdata;
	r = bus_open(deadline, &bus);
	if (r < 0)
		return hv_log_debug_errno(r, "No system bus: %m");
	r = name_has_owner(bus, ND_BUS);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOTCONN;

	r = sd_bus_call_method(bus, ND_BUS, ND_PATH, ND_MANAGER_IFACE, "Reload", &error, NULL, NULL);
	if (r < 0)
		return hv_log_debug_errno(-EIO, "systemd-networkd: Reload failed: %s",
					    error.message ? error.message : "");
	bus_deadline(bus, deadline);
	r = sd_bus_call_method(bus, ND_BUS, ND_PATH, ND_MANAGER_IFACE, "ReconfigureLink", &error, NULL, "i",
			       ifindex);
	if (r < 0)
		return hv_log_debug_errno(-EIO, "systemd-networkd: ReconfigureLink(%d) failed: %s", ifindex,
					    error.message ? error.message : "");
	bus_deadline(bus, deadline);
	r = nd_link(bus, ifindex, &link);
	if (r < 0)
		return hv_log_debug_errno(-EIO, "systemd-networkd lost link %d", ifindex);

	/* ReconfigureLink only queues the work: wait for the outcome. */
	for (;;) {
		_cleanup_free_ char *state = NULL;

		bus_deadline(bus, deadline);
		r = nd_admin_state(bus, link, &state);
		if (r < 0)
			return hv_log_debug_errno(-EIO, "systemd-networkd: link %d state unreadable", ifindex);
		if (strcmp(state, "configured") == 0)
			return 0;
		if (strcmp(state, "failed") == 0 || strcmp(state, "unmanaged") == 0 ||
		    strcmp(state, "linger") == 0)
			return hv_log_debug_errno(-EIO, "systemd-networkd: link %d is %s", ifindex, state);
		if (now_usec() + POLL_INTERVAL_USEC >= deadline)
			return -ETIME;
		sleep_usec(POLL_INTERVAL_USEC);
	}
}

int hv_netmgr_spawn(char *const argv[], uint64_t timeout_usec)
{
	/* stdout to /dev/null, stderr to the journal. */
	static const struct hv_spawn_options o = { .stdout_fd = -EBADF, .stderr_fd = -EBADF };
	uint64_t deadline;
	pid_t pid;
	int r, status;

	if (!argv || !argv[0] || argv[0][0] != '/')
		return -EINVAL;
	r = hv_spawn(argv, &o, &pid);
	if (r < 0)
		return r;

	deadline = now_usec() + timeout_usec;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return hv_negative_errno();
		if (now_usec() >= deadline) {
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -ETIME;
		}
		sleep_usec(SPAWN_POLL_USEC);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -EIO;
}

static int system_spawn(void *userdata, char *const argv[], uint64_t timeout_usec)
{
	(void)userdata;
	return hv_netmgr_spawn(argv, timeout_usec);
}

const struct hv_netmgr_ops hv_netmgr_system_ops = {
	.manages = system_manages,
	.nm_activate = system_nm_activate,
	.networkd_apply = system_networkd_apply,
	.spawn = system_spawn,
};
