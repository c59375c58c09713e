/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SET_IP_INFO: validate, find the NIC, choose a back-end, write, apply
 * (see kvp-setip.h for the order, the back-ends and the answers).
 *
 * Everything that can be refused is refused before the first byte is
 * written, and every file is rendered in memory before the first one is
 * written: the reference writes as it parses and leaves half a file behind
 * when an element is bad (§5.6).  Every outcome is logged once, here: this
 * is the layer that decides.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/string-table.h"
#include "proto/ipcfg.h"
#include "services/kvp-setip.h"

#define SYSFS_NET "/sys/class/net"
#define NM_DIR "/etc/NetworkManager/system-connections"
#define NM_RUN_DEVICES "/run/NetworkManager/devices"
#define NETWORKD_DIR "/etc/systemd/network"
#define NETWORKD_RUN_LINKS "/run/systemd/netif/links"
#define NETPLAN_DIR "/etc/netplan"
#define IFCFG_DIR "/etc/sysconfig/network-scripts"
/* Netplan files larger than this are not read when looking for a name. */
#define NETPLAN_FILE_MAX (256 * 1024)
/* How much of a host list goes into a log line. */
#define LOG_LIST_MAX 96

const char *const hv_kvp_setip_backend_table[_HV_KVP_SETIP_BACKEND_MAX] = {
	[HV_KVP_SETIP_AUTO] = "auto",
	[HV_KVP_SETIP_NETWORKMANAGER] = "networkmanager",
	[HV_KVP_SETIP_NETWORKD] = "networkd",
	[HV_KVP_SETIP_NETPLAN] = "netplan",
	[HV_KVP_SETIP_IFCFG] = "ifcfg",
	[HV_KVP_SETIP_LEGACY] = "legacy",
	[HV_KVP_SETIP_NONE] = "none",
};
HV_DEFINE_STRING_TABLE_LOOKUP(hv_kvp_setip_backend, enum hv_kvp_setip_backend);

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Host text fit for a log line: printable ASCII, '?' for the rest,
 * truncated with "...". */
static const char *printable(const char *s, char buf[static LOG_LIST_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] && i < LOG_LIST_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* --- the NIC ------------------------------------------------------------------ */

static int read_link(const struct hv_path *p, const char *ifname, struct hv_netcfg_link *ret)
{
	_cleanup_free_ char *abs = NULL, *mac = NULL, *idx = NULL;
	struct hv_netcfg_link l = { 0 };
	char *end;
	long v;
	int r;

	if (!hv_ipcfg_ifname_is_safe(ifname))
		return hv_log_warning_errno(-EINVAL,
					    "SET_IP_INFO: refusing interface name '%.32s': only [A-Za-z0-9_.-] "
					    "names go into files and argv", ifname);
	/* Safe names are at most HV_IPCFG_IFNAME_MAX characters. */
	memcpy(l.ifname, ifname, strlen(ifname) + 1);

	if (asprintf(&abs, SYSFS_NET "/%s/address", ifname) < 0)
		return -ENOMEM;
	r = hv_path_read_text(p, abs, 64, &mac);
	if (r < 0)
		return hv_log_warning_errno(-EIO, "SET_IP_INFO: %s: cannot read %s: %s", ifname, abs,
					    hv_strerror(r));
	if (hv_ipcfg_mac_normalize(mac, true, l.mac_upper) < 0 || hv_ipcfg_mac_normalize(mac, false, l.mac_lower) < 0)
		return hv_log_warning_errno(-EIO, "SET_IP_INFO: %s: '%.32s' is not an Ethernet address", ifname,
					    mac);

	free(abs);
	abs = NULL;
	if (asprintf(&abs, SYSFS_NET "/%s/ifindex", ifname) < 0)
		return -ENOMEM;
	r = hv_path_read_text(p, abs, 64, &idx);
	if (r < 0)
		return hv_log_warning_errno(-EIO, "SET_IP_INFO: %s: cannot read %s: %s", ifname, abs,
					    hv_strerror(r));
	errno = 0;
	v = strtol(idx, &end, 10);
	if (errno != 0 || end == idx || *end || v <= 0 || v > INT_MAX)
		return hv_log_warning_errno(-EIO, "SET_IP_INFO: %s: '%.16s' is not an ifindex", ifname, idx);
	l.ifindex = (int)v;
	*ret = l;
	return 0;
}

int hv_kvp_setip_find_link(const struct hv_path *p, const char *adapter_id, struct hv_netcfg_link *ret)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char want[HV_IPCFG_ADAPTER_ID_MAX];
	struct dirent *de;

	if (hv_ipcfg_adapter_id_normalize(adapter_id, want) < 0)
		return -EINVAL;
	d = hv_path_opendir(p, SYSFS_NET);
	if (!d)
		return errno == ENOMEM ? -ENOMEM : -ENXIO;
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *abs = NULL, *id = NULL;
		char have[HV_IPCFG_ADAPTER_ID_MAX];

		/* readdir names never hold '/'; the dot entries are the only
		 * ones that would not name an interface directory. */
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&abs, SYSFS_NET "/%s/device/device_id", de->d_name) < 0)
			return -ENOMEM;
		if (hv_path_read_text(p, abs, 128, &id) < 0)
			continue; /* not a VMBus NIC (lo, a VF, a bridge) */
		if (hv_ipcfg_adapter_id_normalize(id, have) < 0 || strcmp(have, want) != 0)
			continue;
		return read_link(p, de->d_name, ret);
	}
	return -ENXIO;
}

/* --- detection ------------------------------------------------------------------ */

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* needle as a whole word (not inside a longer name) in text; case-insensitive
 * when nocase (MACs). */
static bool contains_word(const char *text, const char *needle, bool nocase)
{
	size_t n = strlen(needle);

	for (const char *s = text; *s; s++) {
		if ((nocase ? strncasecmp(s, needle, n) : strncmp(s, needle, n)) != 0)
			continue;
		if ((s == text || !is_name_char(s[-1])) && !is_name_char(s[n]))
			return true;
	}
	return false;
}

/* 1 when some /etc/netplan/ *.yaml names l (claim) or exists at all (!claim). */
static int netplan_has(const struct hv_path *p, const struct hv_netcfg_link *l, bool claim)
{
	_cleanup_(closedirp) DIR *d = hv_path_opendir(p, NETPLAN_DIR);
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		_cleanup_free_ char *abs = NULL, *text = NULL;

		if (de->d_name[0] == '.' || fnmatch("*.yaml", de->d_name, 0) != 0)
			continue;
		if (!claim)
			return 1;
		if (asprintf(&abs, NETPLAN_DIR "/%s", de->d_name) < 0)
			return -ENOMEM;
		if (hv_path_read_text(p, abs, NETPLAN_FILE_MAX, &text) < 0)
			continue;
		if (contains_word(text, l->ifname, false) || contains_word(text, l->mac_lower, true))
			return 1;
	}
	return 0;
}

/* The value of KEY= in a KEY=value state file, or NULL. */
static char *state_value(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (strncmp(s, key, n) == 0 && s[n] == '=')
			return strndup(s + n + 1, strcspn(s + n + 1, "\n"));
	return NULL;
}

static int manages_from_run(const struct hv_path *p, enum hv_netmgr_kind k, const struct hv_netcfg_link *l)
{
	_cleanup_free_ char *abs = NULL, *text = NULL, *v = NULL;

	if (asprintf(&abs, "%s/%d", k == HV_NETMGR_NETWORKMANAGER ? NM_RUN_DEVICES : NETWORKD_RUN_LINKS,
		     l->ifindex) < 0)
		return -ENOMEM;
	if (hv_path_read_text(p, abs, 64 * 1024, &text) < 0)
		return 0;
	if (k == HV_NETMGR_NETWORKMANAGER) {
		/* A GLib key file; managed=true in [device]. */
		v = state_value(text, "managed");
		return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
	}
	v = state_value(text, "ADMIN_STATE");
	return v && strcmp(v, "unmanaged") != 0 && strcmp(v, "linger") != 0;
}

static int manages(const struct hv_kvp_setip_options *o, enum hv_netmgr_kind k, const struct hv_netcfg_link *l)
{
	const struct hv_netmgr_ops *ops = o->mgr ? o->mgr : &hv_netmgr_system_ops;
	int r = -EOPNOTSUPP;

	if (ops->manages)
		r = ops->manages(o->mgr_userdata, k, l->ifname, l->ifindex);
	if (r >= 0)
		return r > 0;
	hv_log_debug_errno(r, "SET_IP_INFO: cannot ask %s about %s (%m), looking at /run",
			   hv_netmgr_kind_to_string(k), l->ifname);
	return manages_from_run(o->path, k, l);
}

int hv_kvp_setip_detect(const struct hv_kvp_setip_options *o, const struct hv_netcfg_link *l,
			enum hv_kvp_setip_backend *ret)
{
	_cleanup_free_ char *ifcfg = NULL;
	struct stat st;
	enum hv_kvp_setip_backend b;
	int r;

	if ((r = netplan_has(o->path, l, true)) != 0) {
		if (r < 0)
			return r;
		b = HV_KVP_SETIP_NETPLAN;
	} else if ((r = manages(o, HV_NETMGR_NETWORKMANAGER, l)) != 0) {
		if (r < 0)
			return r;
		b = HV_KVP_SETIP_NETWORKMANAGER;
	} else if ((r = manages(o, HV_NETMGR_NETWORKD, l)) != 0) {
		if (r < 0)
			return r;
		b = HV_KVP_SETIP_NETWORKD;
	} else if ((r = netplan_has(o->path, l, false)) != 0) {
		if (r < 0)
			return r;
		b = HV_KVP_SETIP_NETPLAN;
	} else {
		ifcfg = hv_path_get(o->path, IFCFG_DIR);
		if (!ifcfg)
			return -ENOMEM;
		if (stat(ifcfg, &st) == 0 && S_ISDIR(st.st_mode))
			b = HV_KVP_SETIP_IFCFG;
		else if (o->legacy_fallback)
			b = HV_KVP_SETIP_LEGACY;
		else
			return -EOPNOTSUPP;
	}
	*ret = b;
	return 0;
}

/* --- the back-ends ---------------------------------------------------------------- */

struct plan {
	enum hv_kvp_setip_backend backend;
	char *abs[2];  /* files to write (unprefixed), NULL-terminated when one */
	char *text[2];
	mode_t mode[2];
	char *real[2]; /* the same, resolved: what other programs are told */
};

static void plan_done(struct plan *pl)
{
	for (size_t i = 0; i < 2; i++) {
		free(pl->abs[i]);
		free(pl->text[i]);
		free(pl->real[i]);
	}
}

static int plan_file(struct plan *pl, size_t i, const struct hv_path *p, char *abs, mode_t mode)
{
	if (!abs)
		return -ENOMEM;
	pl->abs[i] = abs;
	pl->mode[i] = mode;
	pl->real[i] = hv_path_get(p, abs);
	return pl->real[i] ? 0 : -ENOMEM;
}

static char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
static char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* Render every file of back-end b for l and c, in memory. */
static int plan_make(const struct hv_kvp_setip_options *o, enum hv_kvp_setip_backend b,
		     const struct hv_netcfg_link *l, const struct hv_ipcfg *c, struct plan *pl)
{
	const char *staging = o->staging_directory ? o->staging_directory : HV_KVP_SETIP_DEFAULT_STAGING_DIRECTORY;
	const char *n = l->ifname;
	int r;

	pl->backend = b;
	switch (b) {
	case HV_KVP_SETIP_NETWORKMANAGER:
		r = plan_file(pl, 0, o->path, strdup_printf(NM_DIR "/hvutils-%s.nmconnection", n), 0600);
		return r < 0 ? r : hv_netcfg_nm_keyfile(l, c, &pl->text[0]);
	case HV_KVP_SETIP_NETWORKD:
		r = plan_file(pl, 0, o->path, strdup_printf(NETWORKD_DIR "/10-hvutils-%s.network", n), 0644);
		return r < 0 ? r : hv_netcfg_networkd(l, c, &pl->text[0]);
	case HV_KVP_SETIP_NETPLAN:
		r = plan_file(pl, 0, o->path, strdup_printf(NETPLAN_DIR "/90-hvutils-%s.yaml", n), 0600);
		return r < 0 ? r : hv_netcfg_netplan(l, c, &pl->text[0]);
	case HV_KVP_SETIP_IFCFG:
		r = plan_file(pl, 0, o->path, strdup_printf(IFCFG_DIR "/ifcfg-%s", n), 0644);
		return r < 0 ? r : hv_netcfg_ifcfg(l, c, true, &pl->text[0]);
	case HV_KVP_SETIP_LEGACY:
		if (staging[0] != '/')
			return -EINVAL;
		r = plan_file(pl, 0, o->path, strdup_printf("%s/ifcfg-%s", staging, n), 0644);
		if (r >= 0)
			r = plan_file(pl, 1, o->path, strdup_printf("%s/%s.nmconnection", staging, n), 0600);
		if (r >= 0)
			r = hv_netcfg_ifcfg(l, c, false, &pl->text[0]);
		return r < 0 ? r : hv_netcfg_legacy_keyfile(l, c, &pl->text[1]);
	case HV_KVP_SETIP_AUTO:
	case HV_KVP_SETIP_NONE:
	case _HV_KVP_SETIP_BACKEND_MAX:
	case _HV_KVP_SETIP_BACKEND_INVALID:
		break;
	}
	return -EINVAL;
}

/* "/a/b and /c/d" for the log. */
static const char *plan_files(const struct plan *pl, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", pl->real[0], pl->real[1] ? " and " : "", pl->real[1] ? pl->real[1] : "");
	return buf;
}

/* Why an apply step failed, for the one log line that reports it. */
struct why {
	char text[256];
};

static int fail(struct why *w, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(struct why *w, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	return r;
}

/* Run a program; 0 only for exit status 0. */
static int run(const struct hv_kvp_setip_options *o, const struct hv_netmgr_ops *ops, uint64_t timeout,
	       char *const argv[], const char *what, struct why *w)
{
	int r;

	if (!ops->spawn)
		return fail(w, -EIO, "no program runner");
	r = ops->spawn(o->mgr_userdata, argv, timeout);
	if (r == 0)
		return 0;
	if (r == -ETIME)
		return fail(w, -EIO, "%s did not finish within %" PRIu64 " ms and was killed", what, timeout / 1000);
	if (r < 0)
		return fail(w, -EIO, "cannot run %s: %s", what, hv_strerror(r));
	if (r > 128)
		return fail(w, -EIO, "%s was killed by signal %d", what, r - 128);
	return fail(w, -EIO, "%s exited with status %d", what, r);
}

static int plan_apply(const struct hv_kvp_setip_options *o, const struct hv_netcfg_link *l, const struct plan *pl,
		      struct why *w)
{
	const struct hv_netmgr_ops *ops = o->mgr ? o->mgr : &hv_netmgr_system_ops;
	uint64_t timeout = o->timeout_usec ? o->timeout_usec : HV_KVP_SETIP_DEFAULT_TIMEOUT_USEC;
	_cleanup_free_ char *cmd = NULL;
	const char *files[2] = { pl->real[0], NULL };
	char uuid[HV_NETCFG_UUID_MAX];
	int r;

	switch (pl->backend) {
	case HV_KVP_SETIP_NETWORKMANAGER:
	case HV_KVP_SETIP_IFCFG:
		if (!ops->nm_activate)
			return fail(w, -EIO, "no NetworkManager adapter");
		hv_netcfg_uuid(l, uuid);
		/* An ifcfg file carries no UUID: NetworkManager picks the best
		 * profile for the device, which is the one just loaded. */
		r = ops->nm_activate(o->mgr_userdata, files,
				     pl->backend == HV_KVP_SETIP_NETWORKMANAGER ? uuid : NULL, l->ifname, timeout);
		if (r == -ENOTCONN)
			return fail(w, -EIO, "NetworkManager is not running");
		if (r == -ETIME)
			return fail(w, -EIO, "NetworkManager did not activate %s within %" PRIu64 " ms", l->ifname,
				    timeout / 1000);
		if (r < 0)
			return fail(w, -EIO, "NetworkManager: %s", hv_strerror(r));
		return 0;
	case HV_KVP_SETIP_NETWORKD:
		if (!ops->networkd_apply)
			return fail(w, -EIO, "no systemd-networkd adapter");
		r = ops->networkd_apply(o->mgr_userdata, l->ifindex, timeout);
		if (r == -ENOTCONN)
			return fail(w, -EIO, "systemd-networkd is not running");
		if (r == -ETIME)
			return fail(w, -EIO, "systemd-networkd did not configure %s within %" PRIu64 " ms", l->ifname,
				    timeout / 1000);
		if (r < 0)
			return fail(w, -EIO, "systemd-networkd: %s", hv_strerror(r));
		return 0;
	case HV_KVP_SETIP_NETPLAN: {
		cmd = hv_path_get(o->path, o->netplan_command ? o->netplan_command
							      : HV_KVP_SETIP_DEFAULT_NETPLAN_COMMAND);
		if (!cmd)
			return -ENOMEM;
		char *const argv[] = { cmd, (char *)"apply", NULL };

		return run(o, ops, timeout, argv, "netplan apply", w);
	}
	case HV_KVP_SETIP_LEGACY: {
		cmd = hv_path_get(o->path, o->legacy_script ? o->legacy_script : HV_KVP_SETIP_DEFAULT_LEGACY_SCRIPT);
		if (!cmd)
			return -ENOMEM;
		char *const argv[] = { cmd, pl->real[0], pl->real[1], NULL };

		return run(o, ops, timeout, argv, cmd, w);
	}
	case HV_KVP_SETIP_AUTO:
	case HV_KVP_SETIP_NONE:
	case _HV_KVP_SETIP_BACKEND_MAX:
	case _HV_KVP_SETIP_BACKEND_INVALID:
		break;
	}
	return -EINVAL;
}

/* Only the answers kvp-setip.h promises reach the caller: in particular a
 * stray -ENOENT must not become HV_S_CONT. */
static int normalize(int r)
{
	switch (r) {
	case 0:
	case -EINVAL:
	case -ENXIO:
	case -EOPNOTSUPP:
	case -ENOSPC:
	case -EDQUOT:
	case -EIO:
	case -ENOMEM:
		return r;
	default:
		return -EIO;
	}
}

static int apply(const struct hv_kvp_setip_options *o, const struct hv_kvp_ip_info *ip,
		 enum hv_kvp_setip_backend *ret_backend)
{
	_cleanup_(plan_done) struct plan pl = { 0 };
	_cleanup_free_ struct hv_ipcfg *c = NULL;
	struct hv_netcfg_link l;
	enum hv_kvp_setip_backend b = o->backend;
	char b1[LOG_LIST_MAX + 4], b2[LOG_LIST_MAX + 4], b3[LOG_LIST_MAX + 4], b4[LOG_LIST_MAX + 4],
		b5[LOG_LIST_MAX + 4];
	char files[2 * PATH_MAX + 8];
	struct why why = { .text = "" };
	int r;

	if (b < 0 || b >= _HV_KVP_SETIP_BACKEND_MAX)
		return -EINVAL;
	if (b == HV_KVP_SETIP_NONE) {
		hv_log_notice("SET_IP_INFO for adapter %s refused: IP injection is disabled (set-ip-backend=none)",
			      printable(ip->adapter_id, b1));
		return -EOPNOTSUPP;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = hv_ipcfg_parse(ip->dhcp_enabled != 0, ip->ip_addr, ip->sub_net, ip->gate_way, ip->dns_addr, c);
	if (r < 0)
		return hv_log_warning_errno(r,
					    "SET_IP_INFO for adapter %s refused, nothing written: invalid lists "
					    "ip_addr='%s' sub_net='%s' gate_way='%s' dns_addr='%s'",
					    printable(ip->adapter_id, b1), printable(ip->ip_addr, b2),
					    printable(ip->sub_net, b3), printable(ip->gate_way, b4),
					    printable(ip->dns_addr, b5));
	r = hv_kvp_setip_find_link(o->path, ip->adapter_id, &l);
	if (r == -EINVAL && hv_ipcfg_adapter_id_normalize(ip->adapter_id, b2) < 0)
		return hv_log_warning_errno(r, "SET_IP_INFO refused, nothing written: adapter id '%s' is not a GUID",
					    printable(ip->adapter_id, b1));
	if (r == -ENXIO)
		return hv_log_warning_errno(r, "SET_IP_INFO: no NIC has adapter id %s", printable(ip->adapter_id, b1));
	if (r < 0)
		return r; /* logged by find_link */

	if (b == HV_KVP_SETIP_AUTO) {
		r = hv_kvp_setip_detect(o, &l, &b);
		if (r == -EOPNOTSUPP)
			return hv_log_warning_errno(r,
						    "SET_IP_INFO for %s: no network manager found to apply it with "
						    "(set-ip-backend=auto), nothing written", l.ifname);
		if (r < 0)
			return r;
		hv_log_debug("SET_IP_INFO for %s: using %s", l.ifname, hv_kvp_setip_backend_to_string(b));
	}
	if (ret_backend)
		*ret_backend = b;

	r = plan_make(o, b, &l, c, &pl);
	if (r < 0)
		return hv_log_warning_errno(r, "SET_IP_INFO for %s: cannot prepare the %s files: %m", l.ifname,
					    hv_kvp_setip_backend_to_string(b));
	for (size_t i = 0; i < 2 && pl.abs[i]; i++) {
		r = hv_netcfg_write_file(o->path, pl.abs[i], pl.text[i], pl.mode[i]);
		if (r < 0)
			return hv_log_warning_errno(r, "SET_IP_INFO for %s: cannot write %s: %m%s", l.ifname,
						    pl.real[i], i > 0 ? " (the files before it were written)" : "");
	}
	plan_files(&pl, files, sizeof(files));
	r = plan_apply(o, &l, &pl, &why);
	if (r < 0)
		return hv_log_warning_errno(r, "SET_IP_INFO for %s: wrote %s, but %s did NOT apply it: %s", l.ifname,
					    files, hv_kvp_setip_backend_to_string(b), why.text[0] ? why.text : hv_strerror(r));
	hv_log_info("SET_IP_INFO for %s: wrote %s and applied it through %s", l.ifname, files,
		    hv_kvp_setip_backend_to_string(b));
	return 0;
}

int hv_kvp_setip_apply(const struct hv_kvp_setip_options *o, const struct hv_kvp_ip_info *ip,
		       enum hv_kvp_setip_backend *ret_backend)
{
	static const struct hv_kvp_setip_options defaults = { 0 };

	if (ret_backend)
		*ret_backend = HV_KVP_SETIP_AUTO;
	if (!ip)
		return -EINVAL;
	return normalize(apply(o ? o : &defaults, ip, ret_backend));
}
