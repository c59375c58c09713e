/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/netstate: DNS servers and DHCP state from the network managers'
 * files, through fixture trees (tests/fixtures/net/<scenario>), and the
 * pure parsers underneath.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/macros.h"
#include "base/path.h"
#include "platform/netstate.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

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

/* "a;b;c" of the servers, for compact asserts. */
static const char *joined(const struct hv_netstate_dns *d)
{
	static char buf[1024];

	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++) {
		if (i)
			strcat(buf, ";");
		strcat(buf, d->servers[i].text);
	}
	return buf;
}

/* --- DNS ----------------------------------------------------------------------- */

Test(netstate, dns_resolved_per_link_servers)
{
	struct hv_path *p = fixture("resolved");
	struct hv_netstate_dns d;

	cr_assert_eq(hv_netstate_get_dns(p, 2, &d), 0);
	/* Port, server name and duplicates dropped; order kept. */
	cr_assert_str_eq(joined(&d), "192.0.2.53;2001:db8::53;1.1.1.1");
	cr_assert_eq(d.servers[1].family, AF_INET6);
	cr_assert_str_eq(d.source, "systemd-resolved (link)");
	hv_path_free(p);
}

Test(netstate, dns_resolved_networkd_link)
{
	struct hv_path *p = fixture("resolved");
	struct hv_netstate_dns d;

	cr_assert_eq(hv_netstate_get_dns(p, 3, &d), 0);
	cr_assert_str_eq(joined(&d), "198.51.100.53;fe80::1", "networkd's DNS=, scope removed");
	hv_path_free(p);
}

Test(netstate, dns_resolved_upstream_when_link_has_none)
{
	struct hv_path *p = fixture("resolved");
	struct hv_netstate_dns d;

	cr_assert_eq(hv_netstate_get_dns(p, 9, &d), 0);
	/* Not the stub 127.0.0.53 of /etc/resolv.conf: resolved's upstreams. */
	cr_assert_str_eq(joined(&d), "10.0.0.53;10.0.0.54");
	cr_assert_str_eq(d.source, "systemd-resolved");
	hv_path_free(p);
}

Test(netstate, dns_resolv_conf_without_resolved)
{
	struct hv_path *p = fixture("resolvconf");
	struct hv_netstate_dns d;

	cr_assert_eq(hv_netstate_get_dns(p, 2, &d), 0);
	cr_assert_str_eq(joined(&d), "192.0.2.10;2001:db8::10;fe80::1");
	cr_assert_str_eq(d.source, "/etc/resolv.conf");
	hv_path_free(p);
}

Test(netstate, dns_nothing_anywhere)
{
	struct hv_path *p = fixture("no-such-scenario");
	struct hv_netstate_dns d;

	cr_assert_eq(hv_netstate_get_dns(p, 2, &d), 0);
	cr_assert_eq(d.n, 0);
	cr_assert_null(d.source);
	hv_path_free(p);
}

struct token_case {
	char token[64];
	char want[48]; /* "" = refused */
};

ParameterizedTestParameters(netstate, dns_tokens)
{
	static struct token_case cases[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "192.0.2.1:5353", "192.0.2.1" },
		{ "[2001:DB8::1]:53", "2001:db8::1" },
		{ "2001:db8:0:0::1", "2001:db8::1" },
		{ "fe80::1%eth0", "fe80::1" },
		{ "9.9.9.9#dns.quad9.net", "9.9.9.9" },
		{ "[2001:db8::1", "" },
		{ "example.com", "" },
		{ "300.1.1.1", "" },
		{ "", "" },
	};
	return cr_make_param_array(struct token_case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(struct token_case *tc, netstate, dns_tokens)
{
	struct hv_netstate_dns d = {};
	bool ok = hv_netstate_dns_add(&d, tc->token);

	cr_assert_eq(ok, tc->want[0] != '\0', "'%s'", tc->token);
	if (ok)
		cr_assert_str_eq(d.servers[0].text, tc->want);
}

Test(netstate, dns_list_is_capped)
{
	struct hv_netstate_dns d = {};
	char tok[32];

	for (int i = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "10.0.%d.%d", i / 250, i % 250 + 1);
		(void)hv_netstate_dns_add(&d, tok);
	}
	cr_assert_eq(d.n, HV_NETSTATE_MAX_DNS);
}

/* --- DHCP ---------------------------------------------------------------------- */

struct dhcp_case {
	char scenario[16];
	int ifindex;
	char ifname[16];
	int v4, v6;
	char source[24]; /* "" = none */
};

ParameterizedTestParameters(netstate, dhcp_sources)
{
	static struct dhcp_case cases[] = {
		/* networkd: a lease is DHCPv4; a managed link without one is static;
		 * an unmanaged link is not networkd's to answer. */
		{ "networkd", 2, "eth0", 1, -1, "systemd-networkd" },
		{ "networkd", 3, "eth1", 0, -1, "systemd-networkd" },
		{ "networkd", 4, "eth2", -1, -1, "" },
		/* NetworkManager: [dhcp4] group; else the profile's method. */
		{ "nm", 2, "eth0", 1, -1, "NetworkManager" },
		{ "nm", 3, "eth1", 0, 1, "NetworkManager" },
		{ "nm", 4, "eth2", -1, -1, "" },
		{ "nm", 5, "eth3", 1, 0, "NetworkManager" },
		/* ifupdown: ifstate + the stanza, through source and source-directory. */
		{ "ifupdown", 2, "eth0", 1, -1, "ifupdown" },
		{ "ifupdown", 3, "eth1", 0, 1, "ifupdown" },
		{ "ifupdown", 4, "eth2", -1, -1, "" }, /* configured but not up by ifupdown */
		/* dhclient: a live process of that name only. */
		{ "dhclient", 2, "eth0", 1, -1, "dhclient" },
		{ "dhclient", 3, "eth1", -1, -1, "" },
	};
	return cr_make_param_array(struct dhcp_case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(struct dhcp_case *dc, netstate, dhcp_sources)
{
	struct hv_path *p = fixture(dc->scenario);
	struct hv_netstate_dhcp d;

	cr_assert_eq(hv_netstate_get_dhcp(p, dc->ifindex, dc->ifname, &d), 0);
	cr_assert_eq(d.v4, dc->v4, "%s %s: v4 %d", dc->scenario, dc->ifname, d.v4);
	cr_assert_eq(d.v6, dc->v6, "%s %s: v6 %d", dc->scenario, dc->ifname, d.v6);
	if (dc->source[0])
		cr_assert_str_eq(d.source, dc->source);
	else
		cr_assert_null(d.source);
	hv_path_free(p);
}

Test(netstate, dhcp_rejects_path_names)
{
	struct hv_netstate_dhcp d;

	cr_assert_eq(hv_netstate_get_dhcp(NULL, 2, "../etc", &d), -EINVAL);
	cr_assert_eq(hv_netstate_get_dhcp(NULL, 2, "..", &d), -EINVAL);
	cr_assert_eq(hv_netstate_get_dhcp(NULL, 2, "", &d), -EINVAL);
}

/* --- parsers -------------------------------------------------------------------- */

Test(netstate, env_and_keyfile)
{
	char *v = NULL;

	cr_assert_eq(hv_netstate_env_get("A=1\nKEY=\"quoted value\"\nKEYS=x\n", "KEY", &v), 0);
	cr_assert_str_eq(v, "quoted value");
	free(v);
	cr_assert_eq(hv_netstate_env_get("KEYS=x\n", "KEY", &v), -ENOENT);
	cr_assert_eq(hv_netstate_keyfile_get("[a]\nk=1\n[b]\n k = two \n", "b", "k", &v), 0);
	cr_assert_str_eq(v, "two");
	free(v);
	cr_assert_eq(hv_netstate_keyfile_get("[a]\nk=1\n", "b", "k", &v), -ENOENT);
	cr_assert(hv_netstate_keyfile_has_group("x=1\n [dhcp4] \n", "dhcp4"));
	cr_assert(!hv_netstate_keyfile_has_group("[dhcp4x]\n", "dhcp4"));
}

Test(netstate, interfaces_parser)
{
	struct hv_netstate_dhcp d = { -1, -1, NULL };
	char **inc = NULL;

	cr_assert_eq(hv_netstate_parse_interfaces("iface eth10 inet dhcp\n# iface eth1 inet dhcp\n"
						  "iface eth1 inet manual\nsource a/*\nsource-directory /d\n",
						  "eth1", &d, &inc),
		     0);
	cr_assert_eq(d.v4, 0, "eth10's stanza is not eth1's; manual is not DHCP");
	cr_assert_eq(d.v6, -1);
	cr_assert_not_null(inc);
	cr_assert_str_eq(inc[0], "a/*");
	cr_assert_str_eq(inc[1], "/d/*");
	cr_assert_null(inc[2]);
	free(inc[0]);
	free(inc[1]);
	free(inc);
}
