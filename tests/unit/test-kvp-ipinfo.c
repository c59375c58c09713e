/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/kvp-ipinfo: GET_IP_INFO replies and the pool-2 address lists,
 * over the netlink fake (platform/netlink-fake.h) and the DNS/DHCP
 * fixture trees (tests/fixtures/net/).  Where the answer differs from the
 * reference hv_kvp_daemon on purpose (PROTOCOL.md §5.5, §11.8) the test
 * says so.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "platform/netlink-fake.h"
#include "services/kvp-ipinfo.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

#define MAC_ETH1 "00:15:5d:00:00:01"
#define MAC_ETH10 "00:15:5d:00:00:10"
#define UP (IFF_UP | IFF_BROADCAST | IFF_MULTICAST)

static struct hv_netlink_fake *fake;
static struct hv_path *path;
static struct hv_kvp_ipinfo *info;
static struct hv_kvp_ip_info req, reply;
static char logbuf[4096];

static void capture(void *userdata, int level, const char *file, int line, const char *func,
		    const char *format, va_list ap)
{
	size_t n = strlen(logbuf);

	vsnprintf(logbuf + n, sizeof(logbuf) - n, format, ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
}

static struct hv_path *fixture(const char *scenario)
{
	const char *top = getenv("HV_TOP_SRCDIR");
	struct hv_path *p;
	char *root;

	cr_assert(asprintf(&root, "%s/tests/fixtures/net/%s", top && *top ? top : HV_TOP_SRCDIR_DEFAULT, scenario) >
		  0);
	p = hv_path_new(root);
	free(root);
	cr_assert_not_null(p);
	return p;
}

/* (Re)create the ipinfo object over the fake with scenario's files. */
static void use(const char *scenario, char *const *report, char *const *exclude)
{
	struct hv_kvp_ipinfo_options o = {
		.netlink = &hv_netlink_fake_ops,
		.netlink_userdata = fake,
		.report_interfaces = report,
		.exclude_interfaces = exclude,
	};

	hv_kvp_ipinfo_free(info);
	hv_path_free(path);
	path = fixture(scenario);
	o.path = path;
	cr_assert_eq(hv_kvp_ipinfo_new(&o, &info), 0);
}

static void setup(void)
{
	fake = hv_netlink_fake_new();
	cr_assert_not_null(fake);
	cr_assert_eq(hv_netlink_fake_add_link(fake, 1, "lo", "00:00:00:00:00:00", NULL, 0, IFF_LOOPBACK | IFF_UP, NULL,
					      false),
		     0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 1, "127.0.0.1/8", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 1, "::1/128", IFA_F_PERMANENT), 0);
	memset(&req, 0, sizeof(req));
	memset(&reply, 0xa5, sizeof(reply));
	logbuf[0] = '\0';
	hv_log_set_sink(capture, NULL);
	hv_log_set_max_level(HV_LOG_DEBUG);
	use("resolvconf", NULL, NULL);
}

static void teardown(void)
{
	hv_log_set_sink(NULL, NULL);
	info = hv_kvp_ipinfo_free(info);
	path = hv_path_free(path);
	fake = hv_netlink_fake_free(fake);
}

TestSuite(kvp_ipinfo, .init = setup, .fini = teardown);

static int get(const char *mac, uint8_t family)
{
	snprintf(req.adapter_id, sizeof(req.adapter_id), "%s", mac);
	req.addr_family = family;
	return hv_kvp_ipinfo_get(info, &req, &reply);
}

static void add_link(int ifindex, const char *name, const char *mac)
{
	cr_assert_eq(hv_netlink_fake_add_link(fake, ifindex, name, mac, mac, 0, UP, "hv_netvsc", false), 0);
}

/* eth1 and eth10: the reference's prefix match mixes them up. */
static void eth1_and_eth10(void)
{
	add_link(2, "eth1", MAC_ETH1);
	add_link(3, "eth10", MAC_ETH10);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "192.0.2.5/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "198.51.100.7/25", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "2001:db8::5/64", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "fe80::215:5dff:fe00:1/64", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "10.10.0.4/16", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "2001:db8:10::4/56", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "192.0.2.1", 2, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "10.10.0.1", 3, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default6", "fe80::1", 2, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "192.0.2.0/24", NULL, 2, 0), 0);
}

/* --- the reply ---------------------------------------------------------------------- */

Test(kvp_ipinfo, exact_mac_match_eth1_not_eth10)
{
	eth1_and_eth10();
	/*
	 * Difference from the reference (§5.5, §11.8): it matches addresses by
	 * interface-name prefix, so eth1's answer also carried eth10's
	 * 10.10.0.4 and eth10's gateway.  Here the MAC names one interface.
	 */
	cr_assert_eq(get("00:15:5D:00:00:01", 0), 0);
	cr_assert_str_eq(reply.adapter_id, "00:15:5D:00:00:01", "echoed");
	cr_assert_str_eq(reply.ip_addr, "192.0.2.5;198.51.100.7;2001:db8::5;fe80::215:5dff:fe00:1");
	cr_assert_null(strstr(reply.ip_addr, "10.10.0.4"));
	cr_assert_eq(get("00:15:5D:00:00:10", 0), 0);
	cr_assert_str_eq(reply.ip_addr, "10.10.0.4;2001:db8:10::4");
	cr_assert_str_eq(reply.sub_net, "255.255.0.0;/56");
	cr_assert_str_eq(reply.gate_way, "10.10.0.1");
}

Test(kvp_ipinfo, masks_prefixes_and_families)
{
	eth1_and_eth10();
	cr_assert_eq(get(MAC_ETH1, 0), 0, "family 0 means both, as hosts send it");
	cr_assert_eq(reply.addr_family, HV_KVP_ADDR_FAMILY_IPV4 | HV_KVP_ADDR_FAMILY_IPV6);
	/* IPv4 as dotted masks, IPv6 as "/<prefix>", paired with ip_addr (§5.5). */
	cr_assert_str_eq(reply.sub_net, "255.255.255.0;255.255.255.128;/64;/64");
	cr_assert_str_eq(reply.gate_way, "192.0.2.1;fe80::1");

	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV4), 0);
	cr_assert_eq(reply.addr_family, HV_KVP_ADDR_FAMILY_IPV4);
	cr_assert_str_eq(reply.ip_addr, "192.0.2.5;198.51.100.7");
	cr_assert_str_eq(reply.sub_net, "255.255.255.0;255.255.255.128");
	cr_assert_str_eq(reply.gate_way, "192.0.2.1", "no trailing ';' (the reference appends one)");
	cr_assert_str_eq(reply.dns_addr, "192.0.2.10", "IPv4 servers only");

	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV6), 0);
	cr_assert_eq(reply.addr_family, HV_KVP_ADDR_FAMILY_IPV6);
	cr_assert_str_eq(reply.ip_addr, "2001:db8::5;fe80::215:5dff:fe00:1");
	cr_assert_str_eq(reply.sub_net, "/64;/64");
	cr_assert_str_eq(reply.gate_way, "fe80::1");
	cr_assert_str_eq(reply.dns_addr, "2001:db8::10;fe80::1");

	cr_assert_eq(get(MAC_ETH1, 3), 0, "3 is both bits");
	cr_assert_eq(reply.addr_family, 3);
}

Test(kvp_ipinfo, no_addresses_is_family_zero)
{
	add_link(2, "eth1", MAC_ETH1);
	cr_assert_eq(get(MAC_ETH1, 0), 0);
	cr_assert_eq(reply.addr_family, 0);
	cr_assert_str_eq(reply.ip_addr, "");
	cr_assert_str_eq(reply.sub_net, "");
	cr_assert_str_eq(reply.gate_way, "");
}

Test(kvp_ipinfo, gateways_only_of_this_interface)
{
	eth1_and_eth10();
	/* A policy-routing table of eth1 counts; the local table never;
	 * a duplicate once. */
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "192.0.2.254", 2, 100), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "192.0.2.99", 2, 255), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "192.0.2.1", 2, 101), 0);
	/*
	 * Difference from the reference (6.15+, §5.5): it lists every default
	 * gateway of the VM, here also eth10's 10.10.0.1.
	 */
	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV4), 0);
	cr_assert_str_eq(reply.gate_way, "192.0.2.1;192.0.2.254");
}

Test(kvp_ipinfo, multipath_nexthops_by_interface)
{
	add_link(2, "eth1", MAC_ETH1);
	add_link(3, "eth10", MAC_ETH10);
	/* One ECMP default route, one nexthop per NIC. */
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "192.0.2.1", 2, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "10.10.0.1", 3, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "192.0.2.2", 2, 0), 0);
	cr_assert_eq(get(MAC_ETH1, 0), 0);
	cr_assert_str_eq(reply.gate_way, "192.0.2.1;192.0.2.2");
	cr_assert_eq(get(MAC_ETH10, 0), 0);
	cr_assert_str_eq(reply.gate_way, "10.10.0.1");
}

/* Every ';'-element of list parses as an address of either family. */
static size_t check_elements(const char *list, bool masks)
{
	char copy[4096], *save = NULL;
	size_t n = 0;
	uint8_t bin[16];

	snprintf(copy, sizeof(copy), "%s", list);
	for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save), n++) {
		if (masks && t[0] == '/')
			continue;
		cr_assert(inet_pton(AF_INET, t, bin) == 1 || inet_pton(AF_INET6, t, bin) == 1, "element '%s'", t);
	}
	return n;
}

Test(kvp_ipinfo, oversize_lists_cut_at_whole_elements)
{
	char a[64];

	add_link(2, "eth1", MAC_ETH1);
	for (int i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "2001:db8:1234:5678:9abc:def0:1234:%x/64", 0x1000 + i);
		cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, a, IFA_F_PERMANENT), 0);
		snprintf(a, sizeof(a), "10.0.%d.%d", i / 200, 100 + i % 100);
		cr_assert_eq(hv_netlink_fake_add_route(fake, "default", a, 2, 0), 0);
	}
	cr_assert_eq(get(MAC_ETH1, 0), 0);
	cr_assert_leq(strlen(reply.ip_addr), HV_KVP_IPINFO_MAX_IP_ADDR);
	cr_assert_gt(strlen(reply.ip_addr), HV_KVP_IPINFO_MAX_IP_ADDR - 40, "filled up to the limit");
	cr_assert_leq(strlen(reply.gate_way), HV_KVP_IPINFO_MAX_GATE_WAY);
	cr_assert_gt(strlen(reply.gate_way), HV_KVP_IPINFO_MAX_GATE_WAY - 16);
	cr_assert_eq(check_elements(reply.ip_addr, false), check_elements(reply.sub_net, true),
		     "every address keeps its subnet");
	cr_assert_neq(reply.ip_addr[strlen(reply.ip_addr) - 1], ';');
	(void)check_elements(reply.gate_way, false);
	cr_assert_not_null(strstr(logbuf, "cut"), "%s", logbuf);
}

/* --- host input ------------------------------------------------------------------------ */

Test(kvp_ipinfo, unknown_mac_fails)
{
	eth1_and_eth10();
	cr_assert_eq(get("00:15:5D:00:00:99", 0), -ENODEV);
	cr_assert_str_eq(reply.ip_addr, "", "nothing answered");
	cr_assert_not_null(strstr(logbuf, "00:15:5D:00:00:99"), "%s", logbuf);
}

struct bad_id {
	char id[64];
	uint8_t family;
};

ParameterizedTestParameters(kvp_ipinfo, malformed_requests_refused)
{
	static struct bad_id cases[] = {
		{ "", 0 },
		{ "eth1", 0 },
		{ "00:15:5D:00:00", 0 },
		{ "00:15:5D:00:00:01:02", 0 },
		{ "00:15:5D:00:00:0G", 0 },
		{ "00:15-5D:00:00:01", 0 },
		{ "0:15:5D:00:00:001", 0 },
		{ "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}", 0 },
		{ "00:15:5d:00:00:01", 4 },
		{ "00:15:5d:00:00:01", 255 },
	};
	return cr_make_param_array(struct bad_id, cases, ELEMENTSOF(cases));
}

ParameterizedTest(struct bad_id *b, kvp_ipinfo, malformed_requests_refused)
{
	eth1_and_eth10();
	cr_assert_eq(get(b->id, b->family), -EBADMSG, "'%s' family %u", b->id, b->family);
	cr_assert_eq(hv_netlink_fake_get_dumps(fake), 0, "refused before anything is read");
	cr_assert_not_null(strstr(logbuf, "GET_IP_INFO"), "logged: %s", logbuf);
}

Test(kvp_ipinfo, mac_forms_accepted)
{
	uint8_t mac[6];

	cr_assert_eq(hv_kvp_ipinfo_parse_mac("00-15-5d-0A-0b-FF", mac), 0);
	cr_assert_eq(mac[3], 0x0a);
	cr_assert_eq(mac[5], 0xff);
	eth1_and_eth10();
	cr_assert_eq(get("00-15-5D-00-00-01", 0), 0, "dashes as Windows prints them");
}

Test(kvp_ipinfo, snapshot_failure_is_an_error)
{
	eth1_and_eth10();
	hv_netlink_fake_set_error(fake, -EPERM);
	cr_assert_eq(get(MAC_ETH1, 0), -EPERM);
}

/* --- which interfaces ---------------------------------------------------------------------- */

static void crowded_host(void)
{
	add_link(2, "eth0", "00:15:5d:00:00:02");
	cr_assert_eq(hv_netlink_fake_add_link(fake, 3, "docker0", "02:42:00:00:00:03", NULL, 0, UP, "", false), 0);
	cr_assert_eq(hv_netlink_fake_add_link(fake, 4, "veth1a2b3c", "02:42:00:00:00:04", NULL, 3, UP, "", false), 0);
	cr_assert_eq(hv_netlink_fake_add_link(fake, 5, "wlan0", "00:11:22:33:44:55", NULL, 0, UP, "iwlwifi", false), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "10.0.0.4/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "172.17.0.1/16", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 4, "169.254.1.1/16", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 5, "192.168.1.7/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "fe80::1/64", IFA_F_PERMANENT), 0);
}

static const char *list(int family)
{
	static char buf[HV_KVP_IPINFO_MAX_ADDRESS_LIST + 1];
	char *s = NULL;

	cr_assert_eq(hv_kvp_ipinfo_addresses(info, family, &s), 0);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

Test(kvp_ipinfo, default_filter_skips_loopback_and_containers)
{
	crowded_host();
	cr_assert_str_eq(list(AF_INET), "10.0.0.4;192.168.1.7");
	cr_assert_str_eq(list(AF_INET6), "fe80::1", "no ::1");
	cr_assert_eq(get("02:42:00:00:00:03", 0), -ENODEV, "docker0 is not reported, not even when asked");
}

Test(kvp_ipinfo, include_and_exclude_globs)
{
	char *only_eth[] = { "eth*", NULL };
	char *all[] = { "*", NULL };
	char *no_wlan[] = { "wlan?", "lo", NULL };
	char *nothing[] = { "none", NULL };

	crowded_host();
	use("resolvconf", only_eth, NULL);
	cr_assert_str_eq(list(AF_INET), "10.0.0.4");
	use("resolvconf", all, no_wlan);
	cr_assert_str_eq(list(AF_INET), "10.0.0.4;172.17.0.1;169.254.1.1");
	use("resolvconf", NULL, nothing);
	cr_assert_str_eq(list(AF_INET), "10.0.0.4;172.17.0.1;169.254.1.1;192.168.1.7",
			 "an exclude matching nothing lets everything but loopback through");
	cr_assert_eq(hv_kvp_ipinfo_set_filter(info, only_eth, NULL), 0);
	cr_assert_str_eq(list(AF_INET), "10.0.0.4", "a reload replaces the globs");
}

Test(kvp_ipinfo, address_list_cut_at_whole_elements)
{
	char a[64];

	add_link(2, "eth0", "00:15:5d:00:00:02");
	for (int i = 0; i < 200; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d/8", i, i, i);
		cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, a, IFA_F_PERMANENT), 0);
	}
	const char *v = list(AF_INET);
	cr_assert_leq(strlen(v), HV_KVP_IPINFO_MAX_ADDRESS_LIST);
	cr_assert_gt(strlen(v), HV_KVP_IPINFO_MAX_ADDRESS_LIST - 16);
	(void)check_elements(v, false);
}

/* netvsc eth0 and its VF with the same MAC (NET-CHANNELS.md §1.7). */
Test(kvp_ipinfo, vf_paired_with_netvsc_reported_once)
{
	const char *m = "00:0d:3a:00:00:01";

	add_link(2, "eth0", m);
	/* Enslaved VF, misconfigured with an address of its own (pain #7). */
	cr_assert_eq(hv_netlink_fake_add_link(fake, 3, "enP1s1", m, m, 2, UP | IFF_SLAVE, "mlx5_core", true), 0);
	/* A VF not (yet) enslaved: same permanent MAC below hv_pci. */
	cr_assert_eq(hv_netlink_fake_add_link(fake, 4, "enP3s4", "00:0d:3a:00:00:ff", m, 0, UP, "mana", true), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "10.0.0.4/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "10.0.0.4/24", 0), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 4, "10.0.0.9/24", 0), 0);
	cr_assert_str_eq(list(AF_INET), "10.0.0.4", "the VFs' addresses are not reported twice");

	cr_assert_eq(get("00:0D:3A:00:00:01", 0), 0);
	cr_assert_str_eq(reply.ip_addr, "10.0.0.4", "the netvsc answers, not the VF");
	cr_assert_eq(reply.dhcp_enabled, 0, "the netvsc's address is permanent; the VF's lifetime does not count");
}

Test(kvp_ipinfo, vf_without_netvsc_is_reported)
{
	/* MANA without a synthetic twin is the routable interface (§1.7). */
	cr_assert_eq(hv_netlink_fake_add_link(fake, 2, "enP2s3", "00:0d:3a:00:00:07", NULL, 0, UP, "mana", true), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "10.0.0.7/24", IFA_F_PERMANENT), 0);
	cr_assert_str_eq(list(AF_INET), "10.0.0.7");
	cr_assert_eq(get("00:0D:3A:00:00:07", 0), 0);
	cr_assert_str_eq(reply.ip_addr, "10.0.0.7");
}

Test(kvp_ipinfo, pairing_rules)
{
	struct hv_netlink_snapshot *s = NULL;

	add_link(2, "eth0", "00:0d:3a:00:00:01");
	cr_assert_eq(hv_netlink_fake_add_link(fake, 3, "vf-slave", "02:00:00:00:00:03", NULL, 2, UP, "x", false), 0);
	cr_assert_eq(hv_netlink_fake_add_link(fake, 4, "vf-samemac", "00:0d:3a:00:00:01", NULL, 0, UP, "x", true), 0);
	cr_assert_eq(hv_netlink_fake_add_link(fake, 5, "macvlan0", "00:0d:3a:00:00:01", NULL, 0, UP, "x", false),
		     0);
	cr_assert_eq(hv_netlink_fake_ops.dump(fake, &s), 0);
	cr_assert(!hv_kvp_ipinfo_is_paired_vf(s, &s->links[1]), "the netvsc itself");
	cr_assert(hv_kvp_ipinfo_is_paired_vf(s, &s->links[2]), "IFLA_MASTER = netvsc");
	cr_assert(hv_kvp_ipinfo_is_paired_vf(s, &s->links[3]), "same MAC below hv_pci");
	cr_assert(!hv_kvp_ipinfo_is_paired_vf(s, &s->links[4]), "same MAC is not enough (a VLAN, a macvlan)");
	hv_netlink_snapshot_free(s);
}

Test(kvp_ipinfo, bridge_on_the_nic_answers)
{
	const char *m = "00:15:5d:00:00:02";

	cr_assert_eq(hv_netlink_fake_add_link(fake, 2, "eth0", m, m, 3, UP, "hv_netvsc", false), 0);
	cr_assert_eq(hv_netlink_fake_add_link(fake, 3, "br0", m, NULL, 0, UP, "", false), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "10.0.0.4/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_route(fake, "default", "10.0.0.1", 3, 0), 0);
	cr_assert_eq(get("00:15:5D:00:00:02", HV_KVP_ADDR_FAMILY_IPV4), 0);
	cr_assert_str_eq(reply.ip_addr, "10.0.0.4");
	cr_assert_str_eq(reply.gate_way, "10.0.0.1");
}

Test(kvp_ipinfo, permanent_mac_when_the_mac_was_changed)
{
	cr_assert_eq(hv_netlink_fake_add_link(fake, 2, "eth0", "02:00:00:00:00:09", "00:15:5d:00:00:02", 0, UP,
					      "hv_netvsc", false),
		     0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "10.0.0.4/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(get("00:15:5D:00:00:02", 0), 0);
	cr_assert_str_eq(reply.ip_addr, "10.0.0.4");
}

/* --- DNS and DHCP ---------------------------------------------------------------------------- */

Test(kvp_ipinfo, dns_from_resolved_per_link)
{
	eth1_and_eth10();
	use("resolved", NULL, NULL);
	cr_assert_eq(get(MAC_ETH1, 0), 0); /* ifindex 2 */
	cr_assert_str_eq(reply.dns_addr, "192.0.2.53;2001:db8::53;1.1.1.1", "no trailing ';' (the reference's)");
	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV4), 0);
	cr_assert_str_eq(reply.dns_addr, "192.0.2.53;1.1.1.1");
	cr_assert_eq(get(MAC_ETH10, 0), 0); /* ifindex 3: networkd's DNS= */
	cr_assert_str_eq(reply.dns_addr, "198.51.100.53;fe80::1");
}

Test(kvp_ipinfo, dns_from_resolv_conf)
{
	eth1_and_eth10();
	cr_assert_eq(get(MAC_ETH1, 0), 0);
	cr_assert_str_eq(reply.dns_addr, "192.0.2.10;2001:db8::10;fe80::1");
}

Test(kvp_ipinfo, dhcp_from_address_lifetimes)
{
	add_link(2, "eth1", MAC_ETH1);
	add_link(3, "eth10", MAC_ETH10);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "192.0.2.5/24", 0), 0); /* lifetime-limited */
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "10.10.0.4/16", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "2001:db8::4/64", 0), 0);
	cr_assert_eq(get(MAC_ETH1, 0), 0);
	cr_assert_eq(reply.dhcp_enabled, 1);
	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV6), 0);
	cr_assert_eq(reply.dhcp_enabled, 0, "IPv4 lifetimes say nothing about IPv6");
	cr_assert_eq(get(MAC_ETH10, 0), 0);
	cr_assert_eq(reply.dhcp_enabled, 0, "SLAAC lifetimes are not DHCP");
}

Test(kvp_ipinfo, dhcp_from_the_network_manager_wins)
{
	add_link(2, "eth0", "00:15:5d:00:00:02");
	add_link(3, "eth1", MAC_ETH1);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 2, "192.0.2.5/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(fake, 3, "192.0.2.6/24", 0), 0);
	use("networkd", NULL, NULL);
	cr_assert_eq(get("00:15:5D:00:00:02", 0), 0);
	cr_assert_eq(reply.dhcp_enabled, 1, "networkd holds a lease for ifindex 2");
	cr_assert_eq(get(MAC_ETH1, 0), 0);
	cr_assert_eq(reply.dhcp_enabled, 0, "networkd configured ifindex 3 statically");
	use("nm", NULL, NULL);
	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV6), 0);
	cr_assert_eq(reply.dhcp_enabled, 1, "NetworkManager profile: ipv6 method=dhcp");
	cr_assert_eq(get(MAC_ETH1, HV_KVP_ADDR_FAMILY_IPV4), 0);
	cr_assert_eq(reply.dhcp_enabled, 0, "NetworkManager profile: ipv4 method=manual");
}
