/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto/ipcfg (the SET_IP_INFO lists, PROTOCOL.md §5.6) and the
 * services/netcfg writers, each compared byte for byte with a golden file
 * in tests/fixtures/netcfg/<case>.<kind>.  HV_UPDATE_GOLDEN=1 rewrites the
 * golden files from the current output (then read the diff before
 * committing it).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/macros.h"
#include "base/path.h"
#include "proto/ipcfg.h"
#include "services/netcfg.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

/* ---- parser: accepted input ---- */

Test(ipcfg, ipv4_static)
{
	struct hv_ipcfg c;

	cr_assert_eq(hv_ipcfg_parse(false, "192.0.2.5", "255.255.255.0", "192.0.2.1", "192.0.2.53;192.0.2.54", &c), 0);
	cr_assert_eq(c.n_addresses, 1);
	cr_assert_eq(c.addresses[0].addr.family, AF_INET);
	cr_assert_str_eq(c.addresses[0].addr.text, "192.0.2.5");
	cr_assert_eq(c.addresses[0].prefixlen, 24);
	cr_assert_str_eq(c.addresses[0].subnet_text, "255.255.255.0");
	cr_assert_eq(c.n_gateways, 1);
	cr_assert_eq(c.n_dns, 2);
	cr_assert_str_eq(c.dns[1].canonical, "192.0.2.54");
	cr_assert(!c.dhcp);
}

Test(ipcfg, list_syntax_of_the_reference)
{
	struct hv_ipcfg c;

	/* Leading spaces trimmed, a trailing ';' is not an element. */
	cr_assert_eq(hv_ipcfg_parse(false, " 192.0.2.5;  198.51.100.7;", " 255.255.255.0; 255.255.255.128", "",
				    "", &c), 0);
	cr_assert_eq(c.n_addresses, 2);
	cr_assert_str_eq(c.addresses[1].addr.text, "198.51.100.7");
	cr_assert_eq(c.addresses[1].prefixlen, 25);
	/* An empty element ends the list: what follows it is never read, as in
	 * the reference's parse_ip_val_buffer(). */
	cr_assert_eq(hv_ipcfg_parse(false, "192.0.2.5;;not-an-address", "255.255.255.0", "", "", &c), 0);
	cr_assert_eq(c.n_addresses, 1);
	/* Everything empty (or NULL) is a valid, empty configuration. */
	cr_assert_eq(hv_ipcfg_parse(true, "", NULL, "", NULL, &c), 0);
	cr_assert_eq(c.n_addresses + c.n_gateways + c.n_dns, 0);
	cr_assert(c.dhcp);
}

Test(ipcfg, ipv6_text_kept_and_canonical)
{
	struct hv_ipcfg c;

	cr_assert_eq(hv_ipcfg_parse(false, "2001:DB8:0:0::5;192.0.2.5", "/64;255.255.0.0", "", "", &c), 0);
	cr_assert_eq(c.addresses[0].addr.family, AF_INET6);
	cr_assert_str_eq(c.addresses[0].addr.text, "2001:DB8:0:0::5");
	cr_assert_str_eq(c.addresses[0].addr.canonical, "2001:db8::5");
	cr_assert_eq(c.addresses[0].prefixlen, 64);
	cr_assert_eq(c.addresses[1].prefixlen, 16, "address i pairs with subnet i");
	cr_assert_eq(hv_ipcfg_count_addresses(&c, AF_INET), 1);
	cr_assert_eq(hv_ipcfg_count_addresses(&c, AF_INET6), 1);
}

/* ---- parser: refused input (everything -EINVAL) ---- */

struct reject_case {
	char name[48];
	char ip[256];
	char subnet[160];
	char gw[64];
	char dns[64];
};

static struct reject_case reject_cases[] = {
	{ "octet out of range", "192.0.2.256", "255.255.255.0", "", "" },
	{ "trailing space", "192.0.2.5 ", "255.255.255.0", "", "" },
	{ "short form", "1.2.3", "255.255.255.0", "", "" },
	{ "word", "hello", "255.255.255.0", "", "" },
	{ "spaces only", "   ", "255.255.255.0", "", "" },
	{ "scoped ipv6", "fe80::1%eth0", "64", "", "" },
	{ "shell text", "192.0.2.5;$(reboot)", "255.255.255.0;255.255.255.0", "", "" },
	{ "non-contiguous mask", "192.0.2.5", "255.0.255.0", "", "" },
	{ "mask with a hole at the end", "192.0.2.5", "255.255.255.1", "", "" },
	{ "zero mask", "192.0.2.5", "0.0.0.0", "", "" },
	{ "ipv4 with a prefix number", "192.0.2.5", "24", "", "" },
	{ "ipv6 prefix 0", "2001:db8::5", "0", "", "" },
	{ "ipv6 prefix 129", "2001:db8::5", "129", "", "" },
	{ "ipv6 prefix with junk", "2001:db8::5", "64a", "", "" },
	{ "ipv6 with a dotted mask", "2001:db8::5", "255.255.255.0", "", "" },
	{ "address without subnet", "192.0.2.5;192.0.2.6", "255.255.255.0", "", "" },
	{ "subnet without address", "192.0.2.5", "255.255.255.0;255.255.255.0", "", "" },
	{ "subnet but no address", "", "255.255.255.0", "", "" },
	{ "bad gateway after good ones", "192.0.2.5", "255.255.255.0", "192.0.2.1;gw", "" },
	{ "bad dns", "192.0.2.5", "255.255.255.0", "", "192.0.2.53;1.1.1" },
	{ "element too long", "2001:0db8:0000:0000:0000:0000:0000:0005:0000:0000", "64", "", "" },
	{ "many addresses, no subnets",
	  "1.0.0.1;1.0.0.2;1.0.0.3;1.0.0.4;1.0.0.5;1.0.0.6;1.0.0.7;1.0.0.8;1.0.0.9;1.0.0.10;1.0.0.11;1.0.0.12;"
	  "1.0.0.13;1.0.0.14;1.0.0.15;1.0.0.16;1.0.0.17;1.0.0.18;1.0.0.19;1.0.0.20;1.0.0.21;1.0.0.22;",
	  "", "", "" },
};

ParameterizedTestParameters(ipcfg, rejects)
{
	return cr_make_param_array(struct reject_case, reject_cases, ELEMENTSOF(reject_cases));
}

ParameterizedTest(struct reject_case *t, ipcfg, rejects)
{
	struct hv_ipcfg c;

	memset(&c, 0xa5, sizeof(c));
	cr_assert_eq(hv_ipcfg_parse(false, t->ip, t->subnet, t->gw, t->dns, &c), -EINVAL, "%s", t->name);
	cr_assert_eq(c.n_addresses, (size_t)0xa5a5a5a5a5a5a5a5ull, "%s: *ret untouched on failure", t->name);
}

Test(ipcfg, too_many_entries)
{
	char list[64 * 16] = "", el[32];
	struct hv_ipcfg c;

	for (int i = 1; i <= HV_IPCFG_MAX_ENTRIES; i++) {
		snprintf(el, sizeof(el), "%s192.0.2.%d", i > 1 ? ";" : "", i);
		strcat(list, el);
	}
	cr_assert_eq(hv_ipcfg_parse(false, "", "", list, list, &c), 0, "exactly the cap");
	strcat(list, ";192.0.2.200");
	cr_assert_eq(hv_ipcfg_parse(false, "", "", list, "", &c), -EINVAL, "one over the cap");
}

/* ---- helpers ---- */

Test(ipcfg, masks)
{
	static const struct {
		const char *mask;
		int r;
		unsigned plen;
	} t[] = {
		{ "255.255.255.0", 0, 24 },  { "255.255.255.255", 0, 32 }, { "0.0.0.0", 0, 0 },
		{ "128.0.0.0", 0, 1 },       { "255.255.254.0", 0, 23 },   { "255.0.255.0", -EINVAL, 0 },
		{ "0.255.255.255", -EINVAL, 0 }, { "255.255.255.1", -EINVAL, 0 }, { "24", -EINVAL, 0 },
	};
	char buf[16];

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		unsigned plen = 99;

		cr_assert_eq(hv_ipcfg_mask_to_prefix(t[i].mask, &plen), t[i].r, "%s", t[i].mask);
		if (t[i].r == 0) {
			cr_assert_eq(plen, t[i].plen, "%s", t[i].mask);
			cr_assert_eq(hv_ipcfg_prefix_to_mask(plen, buf), 0);
			cr_assert_str_eq(buf, t[i].mask, "round trip");
		}
	}
	cr_assert_eq(hv_ipcfg_prefix_to_mask(33, buf), -EINVAL);
}

Test(ipcfg, ipv6_expanded_as_the_reference)
{
	uint8_t b[16];
	char buf[HV_IPCFG_IPV6_EXPANDED_MAX];

	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::5", b), 1);
	hv_ipcfg_ipv6_expand(b, buf);
	cr_assert_str_eq(buf, "2001:0db8:0000:0000:0000:0000:0000:0005");
	cr_assert_eq(inet_pton(AF_INET6, "::ffff:192.0.2.1", b), 1);
	hv_ipcfg_ipv6_expand(b, buf);
	cr_assert_str_eq(buf, "0000:0000:0000:0000:0000:ffff:c000:0201");
}

Test(ipcfg, adapter_ids)
{
	char id[HV_IPCFG_ADAPTER_ID_MAX];

	cr_assert_eq(hv_ipcfg_adapter_id_normalize("{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}", id), 0);
	cr_assert_str_eq(id, "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}");
	cr_assert_eq(hv_ipcfg_adapter_id_normalize("0D3BCC29-6E5C-4B6A-A2C1-F6A8E1E7A6B5", id), 0);
	cr_assert_str_eq(id, "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}");
	cr_assert_eq(hv_ipcfg_adapter_id_normalize("{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b}", id), -EINVAL);
	cr_assert_eq(hv_ipcfg_adapter_id_normalize("{0d3bcc29x6e5c-4b6a-a2c1-f6a8e1e7a6b5}", id), -EINVAL);
	cr_assert_eq(hv_ipcfg_adapter_id_normalize("00:15:5D:01:02:03", id), -EINVAL);
	cr_assert_eq(hv_ipcfg_adapter_id_normalize("", id), -EINVAL);
}

Test(ipcfg, interface_names)
{
	static const char *const good[] = { "eth0", "enp0s3.100", "hv_0", "a", "abcdefghijklmno" };
	static const char *const bad[] = { "", ".", "..", "-eth0", "eth0;reboot", "$(x)", "`x`", "eth 0",
					   "a/b", "abcdefghijklmnop", "eth0\n", "e'th", "e\"th", "eth\xc3\xa9" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		cr_assert(hv_ipcfg_ifname_is_safe(good[i]), "%s", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		cr_assert(!hv_ipcfg_ifname_is_safe(bad[i]), "%s", bad[i]);
}

Test(ipcfg, macs)
{
	char b[18];

	cr_assert_eq(hv_ipcfg_mac_normalize("00:15:5d:0a:Bc:03", true, b), 0);
	cr_assert_str_eq(b, "00:15:5D:0A:BC:03");
	cr_assert_eq(hv_ipcfg_mac_normalize("00:15:5D:0A:BC:03", false, b), 0);
	cr_assert_str_eq(b, "00:15:5d:0a:bc:03");
	cr_assert_eq(hv_ipcfg_mac_normalize("00:15:5d:0a:bc", true, b), -EINVAL);
	cr_assert_eq(hv_ipcfg_mac_normalize("00-15-5d-0a-bc-03", true, b), -EINVAL);
}

/* ---- writers against golden files ---- */

static const struct hv_netcfg_link link0 = {
	.ifname = "eth0",
	.ifindex = 2,
	.mac_upper = "00:15:5D:01:02:03",
	.mac_lower = "00:15:5d:01:02:03",
};

static const struct {
	const char *name;
	bool dhcp;
	const char *ip, *subnet, *gw, *dns;
} golden_cases[] = {
	{ "ipv4", false, "192.0.2.5", "255.255.255.0", "192.0.2.1", "192.0.2.53;192.0.2.54" },
	{ "ipv6", false, "2001:DB8::5", "64", "2001:db8::1", "2001:db8::53" },
	{ "both", false, "192.0.2.5;2001:db8::5", "255.255.255.0;64", "192.0.2.1;2001:db8::1",
	  "192.0.2.53;2001:db8::53" },
	{ "dhcp", true, "", "", "", "" },
	{ "multi", false, "192.0.2.5;198.51.100.7;2001:db8::5;2001:db8:1::7",
	  "255.255.255.0;255.255.255.128;64;48", "192.0.2.1;192.0.2.254;2001:db8::1;2001:db8::fe",
	  "192.0.2.53;192.0.2.54;2001:db8::53" },
};

enum writer { W_NM, W_NETWORKD, W_NETPLAN, W_IFCFG, W_LEGACY_IFCFG, W_LEGACY_KEYFILE, _W_MAX };

static const char *const writer_ext[_W_MAX] = {
	[W_NM] = "nmconnection",
	[W_NETWORKD] = "network",
	[W_NETPLAN] = "yaml",
	[W_IFCFG] = "ifcfg",
	[W_LEGACY_IFCFG] = "legacy-ifcfg",
	[W_LEGACY_KEYFILE] = "legacy-nmconnection",
};

static int render(enum writer w, const struct hv_ipcfg *c, char **ret)
{
	switch (w) {
	case W_NM:
		return hv_netcfg_nm_keyfile(&link0, c, ret);
	case W_NETWORKD:
		return hv_netcfg_networkd(&link0, c, ret);
	case W_NETPLAN:
		return hv_netcfg_netplan(&link0, c, ret);
	case W_IFCFG:
		return hv_netcfg_ifcfg(&link0, c, true, ret);
	case W_LEGACY_IFCFG:
		return hv_netcfg_ifcfg(&link0, c, false, ret);
	case W_LEGACY_KEYFILE:
		return hv_netcfg_legacy_keyfile(&link0, c, ret);
	case _W_MAX:
		break;
	}
	return -EINVAL;
}

static char *golden_path(const char *name, const char *ext)
{
	const char *top = getenv("HV_TOP_SRCDIR");
	char *p;

	cr_assert(asprintf(&p, "%s/tests/fixtures/netcfg/%s.%s", top && *top ? top : HV_TOP_SRCDIR_DEFAULT, name,
			   ext) > 0);
	return p;
}

Test(netcfg, writers_match_golden_files)
{
	bool update = getenv("HV_UPDATE_GOLDEN") && strcmp(getenv("HV_UPDATE_GOLDEN"), "1") == 0;

	for (size_t i = 0; i < ELEMENTSOF(golden_cases); i++) {
		struct hv_ipcfg c;

		cr_assert_eq(hv_ipcfg_parse(golden_cases[i].dhcp, golden_cases[i].ip, golden_cases[i].subnet,
					    golden_cases[i].gw, golden_cases[i].dns, &c), 0, "%s", golden_cases[i].name);
		for (enum writer w = 0; w < _W_MAX; w++) {
			_cleanup_free_ char *text = NULL, *path = golden_path(golden_cases[i].name, writer_ext[w]);
			_cleanup_free_ char *want = NULL;

			cr_assert_eq(render(w, &c, &text), 0);
			if (update) {
				FILE *f = fopen(path, "w");

				cr_assert_not_null(f, "%s", path);
				fputs(text, f);
				fclose(f);
				continue;
			}
			cr_assert_geq(hv_read_text_file(path, 0, &want), 0, "%s missing", path);
			/* hv_read_text_file() strips trailing newlines; every file ends in one. */
			cr_assert_gt(strlen(text), 0);
			cr_assert_eq(text[strlen(text) - 1], '\n', "%s ends in a newline", path);
			text[strlen(text) - 1] = '\0';
			cr_assert_str_eq(text, want, "%s differs:\n%s", path, text);
		}
	}
}

Test(netcfg, uuid_is_stable_and_per_link)
{
	struct hv_netcfg_link other = link0;
	char a[HV_NETCFG_UUID_MAX], b[HV_NETCFG_UUID_MAX], c[HV_NETCFG_UUID_MAX];

	hv_netcfg_uuid(&link0, a);
	hv_netcfg_uuid(&link0, b);
	cr_assert_str_eq(a, b);
	cr_assert_eq(strlen(a), 36);
	cr_assert_eq(a[14], '8', "version 8");
	cr_assert(strchr("89ab", a[19]), "RFC 9562 variant");
	strcpy(other.ifname, "eth1");
	hv_netcfg_uuid(&other, c);
	cr_assert_str_neq(a, c);
	other = link0;
	strcpy(other.mac_lower, "00:15:5d:01:02:04");
	hv_netcfg_uuid(&other, c);
	cr_assert_str_neq(a, c);
}

Test(netcfg, write_file_is_atomic_and_creates_parents)
{
	char dir[] = "/tmp/hv-test-netcfg-XXXXXX", cmd[128];
	struct hv_path *p;
	_cleanup_free_ char *text = NULL, *path = NULL;
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	p = hv_path_new(dir);
	cr_assert_eq(hv_netcfg_write_file(p, "/etc/a/b/f.conf", "one\n", 0600), 0);
	cr_assert_eq(hv_netcfg_write_file(p, "/etc/a/b/f.conf", "two\n", 0600), 0);
	cr_assert_eq(hv_path_read_text(p, "/etc/a/b/f.conf", 0, &text), 3);
	cr_assert_str_eq(text, "two");
	path = hv_path_get(p, "/etc/a/b/f.conf");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s/etc/a/b' | wc -l) -eq 1", dir);
	cr_assert_eq(system(cmd), 0, "no temporary file left behind");
	cr_assert_eq(hv_netcfg_write_file(p, "relative", "x", 0600), -EINVAL);
	hv_path_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
