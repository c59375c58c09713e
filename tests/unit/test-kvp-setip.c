/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/kvp-setip: SET_IP_INFO end to end on a temporary root (sysfs
 * NICs, /etc, /run, /var/lib/hyperv, a fake hv_set_ifconfig) with the fake
 * network managers (platform/netmgr-fake.h) and, for the legacy contract,
 * the real posix_spawn() runner.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "platform/netmgr-fake.h"
#include "proto/hv-status.h"
#include "services/kvp-setip.h"
#include "services/netcfg.h"

#define GUID0 "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}"
#define GUID1 "{5f7d8a52-7b0e-4a8e-9d3c-2b1c9e8f0a11}"
#define GUID_UNKNOWN "{11111111-2222-3333-4444-555555555555}"
#define SCRIPT "/usr/libexec/hypervkvpd/hv_set_ifconfig"

static char root[] = "/tmp/hv-test-setip-XXXXXX";
static struct hv_path *path;
static struct hv_netmgr_fake fake;

/* --- captured log --- */

static char logbuf[16384];

static void capture(void *userdata, int level, const char *file, int line, const char *func, const char *format,
		    va_list ap)
{
	size_t n = strlen(logbuf);

	(void)userdata, (void)level, (void)file, (void)line, (void)func;
	vsnprintf(logbuf + n, sizeof(logbuf) - n, format, ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
}

/* --- the temporary root --- */

static void mkfile(const char *rel, const char *content, mode_t mode)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	cr_assert_eq(system(cmd), 0);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(content, f);
	fclose(f);
	cr_assert_eq(chmod(p, mode), 0);
}

static void mkdir_rel(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s%s'", root, rel);
	cr_assert_eq(system(cmd), 0);
}

static void add_nic(const char *name, const char *device_id, const char *mac, int ifindex)
{
	char rel[256], v[32];

	snprintf(rel, sizeof(rel), "/sys/class/net/%s/address", name);
	mkfile(rel, mac, 0644);
	snprintf(rel, sizeof(rel), "/sys/class/net/%s/ifindex", name);
	snprintf(v, sizeof(v), "%d\n", ifindex);
	mkfile(rel, v, 0644);
	if (device_id) {
		snprintf(rel, sizeof(rel), "/sys/class/net/%s/device/device_id", name);
		mkfile(rel, device_id, 0644);
	}
}

/* A hv_set_ifconfig that writes its argv, one per line, next to itself. */
static void fake_script(int exit_code, bool slow)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\n%sfor a in \"$0\" \"$@\"; do printf '%%s\\n' \"$a\"; done > \"$(dirname \"$0\")/argv.txt\"\n"
		 "exit %d\n",
		 slow ? "sleep 5\n" : "", exit_code);
	mkfile(SCRIPT, text, 0755);
}

static int nftw_count;
static int count_cb(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_F && !strstr(p, "/sys/") && !strstr(p, "/usr/libexec/"))
		nftw_count++;
	return 0;
}

/* Regular files outside the fixture's own /sys and script. */
static int files_written(void)
{
	nftw_count = 0;
	cr_assert_eq(nftw(root, count_cb, 16, FTW_PHYS), 0);
	return nftw_count;
}

static char *slurp(const char *rel)
{
	char *t = NULL;

	cr_assert_geq(hv_path_read_text(path, rel, 0, &t), 0, "%s", rel);
	return t;
}

static mode_t mode_of(const char *rel)
{
	_cleanup_free_ char *p = hv_path_get(path, rel);
	struct stat st;

	cr_assert_eq(stat(p, &st), 0, "%s", rel);
	return st.st_mode & 07777;
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(root));
	path = hv_path_new(root);
	cr_assert_not_null(path);
	hv_netmgr_fake_init(&fake);
	add_nic("lo", NULL, "00:00:00:00:00:00", 1);
	add_nic("eth0", GUID0, "00:15:5d:01:02:03", 2);
	add_nic("eth1", GUID1, "00:15:5d:01:02:04", 3);
	logbuf[0] = '\0';
	hv_log_set_sink(capture, NULL);
	hv_log_set_max_level(HV_LOG_DEBUG);
}

static void teardown(void)
{
	char cmd[300];

	hv_log_set_sink(NULL, NULL);
	hv_path_free(path);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(setip, .init = setup, .fini = teardown);

static struct hv_kvp_setip_options opts(enum hv_kvp_setip_backend b)
{
	return (struct hv_kvp_setip_options){
		.path = path,
		.backend = b,
		.mgr = &hv_netmgr_fake_ops,
		.mgr_userdata = &fake,
		.timeout_usec = 2 * 1000000,
	};
}

static struct hv_kvp_ip_info request(const char *adapter, const char *ip, const char *subnet, const char *gw,
				     const char *dns)
{
	struct hv_kvp_ip_info r = { .addr_family = 1 };

	snprintf(r.adapter_id, sizeof(r.adapter_id), "%s", adapter);
	snprintf(r.ip_addr, sizeof(r.ip_addr), "%s", ip);
	snprintf(r.sub_net, sizeof(r.sub_net), "%s", subnet);
	snprintf(r.gate_way, sizeof(r.gate_way), "%s", gw);
	snprintf(r.dns_addr, sizeof(r.dns_addr), "%s", dns);
	return r;
}

static struct hv_kvp_ip_info good_request(void)
{
	return request(GUID0, "192.0.2.5", "255.255.255.0", "192.0.2.1", "192.0.2.53");
}

static struct hv_ipcfg good_model(void)
{
	struct hv_ipcfg c;

	cr_assert_eq(hv_ipcfg_parse(false, "192.0.2.5", "255.255.255.0", "192.0.2.1", "192.0.2.53", &c), 0);
	return c;
}

static struct hv_netcfg_link eth0(void)
{
	struct hv_netcfg_link l;

	cr_assert_eq(hv_kvp_setip_find_link(path, GUID0, &l), 0);
	return l;
}

/* ---- the NIC ---- */

Test(setip, find_link_by_device_id)
{
	struct hv_netcfg_link l;

	cr_assert_eq(hv_kvp_setip_find_link(path, GUID1, &l), 0);
	cr_assert_str_eq(l.ifname, "eth1");
	cr_assert_eq(l.ifindex, 3);
	cr_assert_str_eq(l.mac_upper, "00:15:5D:01:02:04");
	cr_assert_str_eq(l.mac_lower, "00:15:5d:01:02:04");
	/* The same GUID without braces, in upper case. */
	cr_assert_eq(hv_kvp_setip_find_link(path, "0D3BCC29-6E5C-4B6A-A2C1-F6A8E1E7A6B5", &l), 0);
	cr_assert_str_eq(l.ifname, "eth0");
	cr_assert_eq(hv_kvp_setip_find_link(path, GUID_UNKNOWN, &l), -ENXIO);
	cr_assert_eq(hv_kvp_setip_find_link(path, "00:15:5D:01:02:03", &l), -EINVAL);
}

Test(setip, no_sysfs_net_is_no_nic)
{
	struct hv_path *empty = hv_path_new("/nonexistent-hv-root");
	struct hv_netcfg_link l;

	cr_assert_eq(hv_kvp_setip_find_link(empty, GUID0, &l), -ENXIO);
	hv_path_free(empty);
}

Test(setip, unknown_adapter_is_guid_notfound_and_writes_nothing)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETWORKMANAGER);
	struct hv_kvp_ip_info ip = request(GUID_UNKNOWN, "192.0.2.9", "255.255.255.0", "192.0.2.1", "192.0.2.53");
	int r = hv_kvp_setip_apply(&o, &ip, NULL);

	/* What the reference answers (tests/integration/24-ref-kvp-ipinfo.sh). */
	cr_assert_eq(r, -ENXIO);
	cr_assert_eq(hv_status_from_errno(r), HV_GUID_NOTFOUND);
	cr_assert_eq(files_written(), 0);
	cr_assert_eq(fake.n_nm_activate, 0);
	cr_assert(strstr(logbuf, "no NIC has adapter id " GUID_UNKNOWN), "%s", logbuf);
}

/* ---- bad input changes nothing ---- */

Test(setip, bad_gateway_writes_nothing_unlike_the_reference_partial_ifcfg)
{
	/*
	 * The reference writes HWADDR, DEVICE, BOOTPROTO, IPADDR0 and NETMASK0
	 * into /var/lib/hyperv/ifcfg-eth0 and only then meets the bad gateway:
	 * it answers HV_INVALIDARG and leaves that partial file behind (§5.6).
	 * Here every list is validated first: same answer, no file.
	 */
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_LEGACY);
	struct hv_kvp_ip_info ip = request(GUID0, "192.0.2.5", "255.255.255.0", "192.0.2.1;not-a-gateway", "");
	int r;

	fake_script(0, false);
	fake.spawn_real = true;
	r = hv_kvp_setip_apply(&o, &ip, NULL);
	cr_assert_eq(r, -EINVAL);
	cr_assert_eq(hv_status_from_errno(r), HV_INVALIDARG);
	cr_assert_eq(files_written(), 0, "nothing in /var/lib/hyperv, /etc or /run");
	cr_assert_eq(fake.n_spawn, 0, "the script never ran");
	cr_assert(strstr(logbuf, "nothing written"), "%s", logbuf);
	cr_assert(strstr(logbuf, "not-a-gateway"), "the log shows the list: %s", logbuf);
}

Test(setip, every_bad_list_writes_nothing_for_every_backend)
{
	static const char *const bad[][4] = {
		{ "192.0.2.256", "255.255.255.0", "", "" },
		{ "192.0.2.5", "255.0.255.0", "", "" },
		{ "2001:db8::5", "129", "", "" },
		{ "192.0.2.5;192.0.2.6", "255.255.255.0", "", "" },
		{ "192.0.2.5", "255.255.255.0", "", "192.0.2.53;$(reboot)" },
	};

	for (enum hv_kvp_setip_backend b = 0; b < _HV_KVP_SETIP_BACKEND_MAX; b++) {
		struct hv_kvp_setip_options o = opts(b);

		if (b == HV_KVP_SETIP_NONE)
			continue;
		o.legacy_fallback = true;
		for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
			struct hv_kvp_ip_info ip = request(GUID0, bad[i][0], bad[i][1], bad[i][2], bad[i][3]);

			cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EINVAL, "%s: case %zu",
				     hv_kvp_setip_backend_to_string(b), i);
		}
	}
	cr_assert_eq(files_written(), 0);
	cr_assert_eq(fake.n_nm_activate + fake.n_networkd + fake.n_spawn, 0);
}

Test(setip, adapter_id_not_a_guid_is_invalidarg)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETWORKMANAGER);
	struct hv_kvp_ip_info ip = good_request();

	snprintf(ip.adapter_id, sizeof(ip.adapter_id), "../../etc/passwd");
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EINVAL);
	cr_assert_eq(files_written(), 0);
	cr_assert(strstr(logbuf, "is not a GUID"), "%s", logbuf);
}

Test(setip, unsafe_interface_name_never_reaches_a_file_or_argv)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_LEGACY);
	struct hv_kvp_ip_info ip = good_request();
	char marker[300];

	/* The kernel would accept this name; a shell would run it. */
	add_nic("e;touch x", GUID_UNKNOWN, "00:15:5d:01:02:09", 9);
	snprintf(ip.adapter_id, sizeof(ip.adapter_id), "%s", GUID_UNKNOWN);
	fake_script(0, false);
	fake.spawn_real = true;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EINVAL);
	cr_assert_eq(files_written(), 0);
	cr_assert_eq(fake.n_spawn, 0);
	snprintf(marker, sizeof(marker), "%s/x", root);
	cr_assert_neq(access(marker, F_OK), 0);
	cr_assert(strstr(logbuf, "refusing interface name"), "%s", logbuf);
}

Test(setip, disabled)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NONE);
	struct hv_kvp_ip_info ip = good_request();
	int r = hv_kvp_setip_apply(&o, &ip, NULL);

	cr_assert_eq(r, -EOPNOTSUPP);
	cr_assert_eq(hv_status_from_errno(r), HV_ERROR_NOT_SUPPORTED);
	cr_assert_eq(files_written(), 0);
	cr_assert(strstr(logbuf, "IP injection is disabled"), "%s", logbuf);
}

/* ---- NetworkManager ---- */

#define NM_FILE "/etc/NetworkManager/system-connections/hvutils-eth0.nmconnection"

Test(setip, networkmanager_writes_keyfile_and_activates)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETWORKMANAGER);
	struct hv_kvp_ip_info ip = good_request();
	struct hv_netcfg_link l = eth0();
	struct hv_ipcfg c = good_model();
	_cleanup_free_ char *got = NULL, *want = NULL, *real = hv_path_get(path, NM_FILE);
	enum hv_kvp_setip_backend used;
	char uuid[HV_NETCFG_UUID_MAX];

	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, &used), 0);
	cr_assert_eq(used, HV_KVP_SETIP_NETWORKMANAGER);
	got = slurp(NM_FILE);
	cr_assert_eq(hv_netcfg_nm_keyfile(&l, &c, &want), 0);
	want[strlen(want) - 1] = '\0';
	cr_assert_str_eq(got, want);
	cr_assert_eq(mode_of(NM_FILE), 0600);
	cr_assert_eq(fake.n_nm_activate, 1);
	cr_assert_eq(fake.n_nm_files, 1);
	cr_assert_str_eq(fake.nm_files[0], real, "NetworkManager is told the real path");
	hv_netcfg_uuid(&l, uuid);
	cr_assert_str_eq(fake.nm_uuid, uuid);
	cr_assert_str_eq(fake.nm_ifname, "eth0");
	cr_assert_eq(fake.last_timeout_usec, 2 * 1000000);
	cr_assert(strstr(logbuf, "applied it through networkmanager"), "%s", logbuf);
}

Test(setip, networkmanager_failure_is_reported_with_what_was_written)
{
	static const int errs[] = { -EIO, -ENOTCONN, -ETIME, -ENOENT };

	for (size_t i = 0; i < ELEMENTSOF(errs); i++) {
		struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETWORKMANAGER);
		struct hv_kvp_ip_info ip = good_request();
		_cleanup_free_ char *real = hv_path_get(path, NM_FILE);
		char want[600];
		int r;

		logbuf[0] = '\0';
		fake.nm_activate_result = errs[i];
		r = hv_kvp_setip_apply(&o, &ip, NULL);
		cr_assert_eq(r, -EIO, "%d: written but not applied is a failure", errs[i]);
		cr_assert_eq(hv_status_from_errno(r), HV_E_FAIL, "never HV_S_CONT for -ENOENT");
		snprintf(want, sizeof(want), "wrote %s, but networkmanager did NOT apply it", real);
		cr_assert(strstr(logbuf, want), "%s", logbuf);
	}
}

/* ---- systemd-networkd ---- */

Test(setip, networkd_writes_network_file_and_reconfigures)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETWORKD);
	struct hv_kvp_ip_info ip = good_request();
	struct hv_netcfg_link l = eth0();
	struct hv_ipcfg c = good_model();
	_cleanup_free_ char *got = NULL, *want = NULL;
	const char *file = "/etc/systemd/network/10-hvutils-eth0.network";

	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), 0);
	got = slurp(file);
	cr_assert_eq(hv_netcfg_networkd(&l, &c, &want), 0);
	want[strlen(want) - 1] = '\0';
	cr_assert_str_eq(got, want);
	cr_assert_eq(mode_of(file), 0644);
	cr_assert_eq(fake.n_networkd, 1);
	cr_assert_eq(fake.networkd_ifindex, 2);

	fake.networkd_result = -ETIME;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
	cr_assert(strstr(logbuf, "did not configure eth0 within 2000 ms"), "%s", logbuf);
	fake.networkd_result = -ENOTCONN;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
	cr_assert(strstr(logbuf, "systemd-networkd is not running"), "%s", logbuf);
}

/* ---- netplan ---- */

Test(setip, netplan_writes_yaml_and_runs_netplan_apply)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETPLAN);
	struct hv_kvp_ip_info ip = good_request();
	_cleanup_free_ char *cmd = hv_path_get(path, "/usr/sbin/netplan");
	const char *file = "/etc/netplan/90-hvutils-eth0.yaml";

	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), 0);
	cr_assert_eq(mode_of(file), 0600);
	cr_assert_eq(fake.n_spawn, 1);
	cr_assert_eq(fake.spawn_argc, 2);
	cr_assert_str_eq(fake.spawn_argv[0], cmd);
	cr_assert_str_eq(fake.spawn_argv[1], "apply");

	fake.spawn_result = 1;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
	cr_assert(strstr(logbuf, "netplan apply exited with status 1"), "%s", logbuf);
	fake.spawn_result = -ENOENT;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO, "netplan missing: not -ENOENT (HV_S_CONT)");
}

/* ---- ifcfg ---- */

Test(setip, ifcfg_goes_through_networkmanager_or_fails)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_IFCFG);
	struct hv_kvp_ip_info ip = good_request();
	const char *file = "/etc/sysconfig/network-scripts/ifcfg-eth0";
	_cleanup_free_ char *got = NULL;

	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), 0);
	got = slurp(file);
	cr_assert(strstr(got, "NM_CONTROLLED=yes\n"));
	cr_assert_str_eq(fake.nm_uuid, "", "ifcfg files carry no UUID: NetworkManager picks the profile");
	fake.nm_activate_result = -ENOTCONN;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
	cr_assert(strstr(logbuf, "NetworkManager is not running"), "%s", logbuf);
	cr_assert(strstr(logbuf, "ifcfg-eth0, but ifcfg did NOT apply it"), "%s", logbuf);
}

/* ---- legacy hv_set_ifconfig ---- */

Test(setip, legacy_writes_reference_files_and_runs_script_with_argv)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_LEGACY);
	struct hv_kvp_ip_info ip = good_request();
	struct hv_netcfg_link l = eth0();
	struct hv_ipcfg c = good_model();
	_cleanup_free_ char *ifcfg = NULL, *keyfile = NULL, *want1 = NULL, *want2 = NULL, *argv = NULL;
	_cleanup_free_ char *want_argv = NULL;

	fake_script(0, false);
	fake.spawn_real = true;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), 0, "%s", logbuf);
	ifcfg = slurp("/var/lib/hyperv/ifcfg-eth0");
	keyfile = slurp("/var/lib/hyperv/eth0.nmconnection");
	cr_assert_eq(hv_netcfg_ifcfg(&l, &c, false, &want1), 0);
	cr_assert_eq(hv_netcfg_legacy_keyfile(&l, &c, &want2), 0);
	want1[strlen(want1) - 1] = '\0';
	want2[strlen(want2) - 1] = '\0';
	cr_assert_str_eq(ifcfg, want1);
	cr_assert_str_eq(keyfile, want2, "the leading blank line of the reference included");
	cr_assert_eq(mode_of("/var/lib/hyperv/eth0.nmconnection"), 0600);
	argv = slurp("/usr/libexec/hypervkvpd/argv.txt");
	cr_assert(asprintf(&want_argv, "%s%s\n%s/var/lib/hyperv/ifcfg-eth0\n%s/var/lib/hyperv/eth0.nmconnection", root,
			   SCRIPT, root, root) > 0);
	cr_assert_str_eq(argv, want_argv);
}

Test(setip, legacy_script_failure_or_hang_is_a_failure)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_LEGACY);
	struct hv_kvp_ip_info ip = good_request();
	int r;

	fake.spawn_real = true;
	fake_script(1, false);
	r = hv_kvp_setip_apply(&o, &ip, NULL);
	cr_assert_eq(r, -EIO);
	cr_assert_eq(hv_status_from_errno(r), HV_E_FAIL, "non-zero exit is HV_E_FAIL, as in the reference");
	cr_assert(strstr(logbuf, "exited with status 1"), "%s", logbuf);
	cr_assert(strstr(logbuf, "/var/lib/hyperv/eth0.nmconnection, but legacy did NOT apply it"), "%s", logbuf);

	fake_script(0, true);
	o.timeout_usec = 300 * 1000;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
	cr_assert(strstr(logbuf, "did not finish within 300 ms and was killed"), "%s", logbuf);

	/* No script at all (Debian's hyperv-daemons ships none, §3 row 3). */
	{
		_cleanup_free_ char *p = hv_path_get(path, SCRIPT);

		cr_assert_eq(unlink(p), 0);
	}
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
}

Test(setip, odd_but_safe_name_is_one_argv_element)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_LEGACY);
	struct hv_kvp_ip_info ip = good_request();
	_cleanup_free_ char *argv = NULL, *want = NULL;

	add_nic("eth-0.1", GUID_UNKNOWN, "00:15:5d:01:02:0a", 10);
	snprintf(ip.adapter_id, sizeof(ip.adapter_id), "%s", GUID_UNKNOWN);
	fake_script(0, false);
	fake.spawn_real = true;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), 0, "%s", logbuf);
	argv = slurp("/usr/libexec/hypervkvpd/argv.txt");
	cr_assert(asprintf(&want, "%s%s\n%s/var/lib/hyperv/ifcfg-eth-0.1\n%s/var/lib/hyperv/eth-0.1.nmconnection", root,
			   SCRIPT, root, root) > 0);
	cr_assert_str_eq(argv, want);
}

/* ---- auto ---- */

static enum hv_kvp_setip_backend detect(bool legacy_fallback, int expect_r)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_AUTO);
	struct hv_netcfg_link l = eth0();
	enum hv_kvp_setip_backend b = HV_KVP_SETIP_AUTO;

	o.legacy_fallback = legacy_fallback;
	cr_assert_eq(hv_kvp_setip_detect(&o, &l, &b), expect_r);
	return b;
}

Test(setip, auto_finds_nothing_on_a_bare_tree)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_AUTO);
	struct hv_kvp_ip_info ip = good_request();

	detect(false, -EOPNOTSUPP);
	cr_assert_eq(detect(true, 0), HV_KVP_SETIP_LEGACY, "legacy only when opted in");
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EOPNOTSUPP);
	cr_assert(strstr(logbuf, "no network manager found"), "%s", logbuf);
	cr_assert_eq(files_written(), 0);
}

Test(setip, auto_networkmanager_from_dbus_or_run)
{
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 1;
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKMANAGER);

	/* No bus: /run/NetworkManager/devices/<ifindex>. */
	fake.manages[HV_NETMGR_NETWORKMANAGER] = -ENOTCONN;
	mkfile("/run/NetworkManager/devices/2", "[device]\nmanaged=false\n", 0644);
	detect(false, -EOPNOTSUPP);
	mkfile("/run/NetworkManager/devices/2", "[device]\nmanaged=true\nperm-hw-addr-fake=\n", 0644);
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKMANAGER);

	/* The bus's answer wins over /run. */
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 0;
	detect(false, -EOPNOTSUPP);
}

Test(setip, auto_networkd_from_dbus_or_run)
{
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 0;
	fake.manages[HV_NETMGR_NETWORKD] = 1;
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKD);

	fake.manages[HV_NETMGR_NETWORKD] = -ENOTCONN;
	mkfile("/run/systemd/netif/links/2", "# This is private data.\nADMIN_STATE=unmanaged\nOPER_STATE=off\n", 0644);
	detect(false, -EOPNOTSUPP);
	mkfile("/run/systemd/netif/links/3", "ADMIN_STATE=configured\n", 0644);
	detect(false, -EOPNOTSUPP); /* another link */
	mkfile("/run/systemd/netif/links/2", "# This is private data.\nADMIN_STATE=configured\nOPER_STATE=routable\n",
	       0644);
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKD);

	/* NetworkManager comes before networkd. */
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 1;
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKMANAGER);
}

Test(setip, auto_netplan_that_names_the_nic_comes_first)
{
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 1;
	mkfile("/etc/netplan/50-cloud-init.yaml",
	       "network:\n  version: 2\n  ethernets:\n    eth01:\n      dhcp4: true\n", 0600);
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKMANAGER, "eth01 is not eth0");
	mkfile("/etc/netplan/50-cloud-init.yaml",
	       "network:\n  ethernets:\n    nic:\n      match:\n        macaddress: 00:15:5D:01:02:03\n", 0600);
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETPLAN, "named by MAC, any case");
	mkfile("/etc/netplan/50-cloud-init.yaml", "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n", 0600);
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETPLAN, "named by name");
}

Test(setip, auto_netplan_renderer_only_after_the_managers)
{
	mkfile("/etc/netplan/01-network-manager-all.yaml", "network:\n  version: 2\n  renderer: NetworkManager\n",
	       0600);
	mkfile("/etc/netplan/README", "eth0\n", 0644); /* not *.yaml */
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 1;
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETWORKMANAGER);
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 0;
	fake.manages[HV_NETMGR_NETWORKD] = 0;
	cr_assert_eq(detect(false, 0), HV_KVP_SETIP_NETPLAN);
}

Test(setip, auto_ifcfg_when_network_scripts_exist)
{
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 0;
	fake.manages[HV_NETMGR_NETWORKD] = 0;
	mkdir_rel("/etc/sysconfig/network-scripts");
	cr_assert_eq(detect(true, 0), HV_KVP_SETIP_IFCFG, "before legacy");
}

Test(setip, auto_applies_what_it_detected)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_AUTO);
	struct hv_kvp_ip_info ip = good_request();
	enum hv_kvp_setip_backend used = HV_KVP_SETIP_NONE;

	fake.manages[HV_NETMGR_NETWORKD] = 1;
	fake.manages[HV_NETMGR_NETWORKMANAGER] = 0;
	cr_assert_eq(hv_kvp_setip_apply(&o, &ip, &used), 0);
	cr_assert_eq(used, HV_KVP_SETIP_NETWORKD);
	cr_assert_eq(fake.n_networkd, 1);
	cr_assert_eq(files_written(), 1);
}

/* ---- the rest ---- */

Test(setip, backend_names)
{
	static const char *const names[] = { "auto", "networkmanager", "networkd", "netplan", "ifcfg", "legacy", "none" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		cr_assert_eq(hv_kvp_setip_backend_from_string(names[i]), (enum hv_kvp_setip_backend)i);
		cr_assert_str_eq(hv_kvp_setip_backend_to_string((enum hv_kvp_setip_backend)i), names[i]);
	}
	cr_assert_eq(hv_kvp_setip_backend_from_string("nmcli"), _HV_KVP_SETIP_BACKEND_INVALID);
}

Test(setip, every_answer_has_its_host_status)
{
	cr_assert_eq(hv_status_from_errno(0), HV_S_OK);
	cr_assert_eq(hv_status_from_errno(-EINVAL), HV_INVALIDARG);
	cr_assert_eq(hv_status_from_errno(-ENXIO), HV_GUID_NOTFOUND);
	cr_assert_eq(hv_status_from_errno(-EOPNOTSUPP), HV_ERROR_NOT_SUPPORTED);
	cr_assert_eq(hv_status_from_errno(-ENOSPC), HV_ERROR_DISK_FULL);
	cr_assert_eq(hv_status_from_errno(-EIO), HV_E_FAIL);
	cr_assert_eq(hv_status_from_errno(-ENOMEM), HV_E_FAIL);
}

Test(setip, real_spawn_runs_argv_without_a_shell)
{
	char script[300], out[300];
	_cleanup_free_ char *got = NULL;
	char *argv[] = { script, (char *)"a b", (char *)"$(touch pwned)", (char *)";", NULL };
	FILE *f;

	snprintf(script, sizeof(script), "%s/echo-args", root);
	snprintf(out, sizeof(out), "%s/args.txt", root);
	f = fopen(script, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\nfor a in \"$@\"; do printf '[%%s]' \"$a\"; done > '%s'\nexit 3\n", out);
	fclose(f);
	cr_assert_eq(chmod(script, 0755), 0);
	cr_assert_eq(hv_netmgr_spawn(argv, 2 * 1000000), 3);
	cr_assert_geq(hv_read_text_file(out, 0, &got), 0);
	cr_assert_str_eq(got, "[a b][$(touch pwned)][;]");
	cr_assert_eq(hv_netmgr_spawn((char *[]){ (char *)"relative", NULL }, 1000000), -EINVAL);
	cr_assert_eq(hv_netmgr_spawn((char *[]){ (char *)"/nonexistent/prog", NULL }, 1000000), -ENOENT);
}

/* ---- the real sd-bus code against a private bus with no manager on it ---- */

Test(setip, system_ops_on_a_bus_without_managers)
{
	struct hv_kvp_setip_options o = opts(HV_KVP_SETIP_NETWORKMANAGER);
	struct hv_kvp_ip_info ip = good_request();
	const char *files[] = { "/nonexistent.nmconnection", NULL };
	char line[512], address[512] = "";
	long pid = 0;
	FILE *f;

	if (access("/usr/bin/dbus-daemon", X_OK) != 0)
		cr_skip_test("no dbus-daemon");
	f = popen("dbus-daemon --session --fork --print-address=1 --print-pid=1", "r");
	cr_assert_not_null(f);
	if (fgets(line, sizeof(line), f))
		snprintf(address, sizeof(address), "%.*s", (int)strcspn(line, "\n"), line);
	if (fgets(line, sizeof(line), f))
		pid = strtol(line, NULL, 10);
	pclose(f);
	if (!address[0] || pid <= 0)
		cr_skip_test("dbus-daemon did not start");
	setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);

	cr_expect_eq(hv_netmgr_system_ops.manages(NULL, HV_NETMGR_NETWORKMANAGER, "eth0", 2), 0);
	cr_expect_eq(hv_netmgr_system_ops.manages(NULL, HV_NETMGR_NETWORKD, "eth0", 2), 0);
	cr_expect_eq(hv_netmgr_system_ops.nm_activate(NULL, files, NULL, "eth0", 2000000), -ENOTCONN);
	cr_expect_eq(hv_netmgr_system_ops.networkd_apply(NULL, 2, 2000000), -ENOTCONN);
	o.mgr = NULL; /* the system ops */
	cr_expect_eq(hv_kvp_setip_apply(&o, &ip, NULL), -EIO);
	cr_expect(strstr(logbuf, "NetworkManager is not running"), "%s", logbuf);

	kill((pid_t)pid, SIGTERM);
}
