/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/netlink: the real rtnetlink snapshot, in a network namespace of
 * the test's own (STYLE.md rule 38: never the machine's links), compared
 * with what `ip` configured; the sysfs probe over a fixture tree; the fake.
 *
 * Criterion runs every test in its own worker process, so unshare() here
 * leaves the runner and the other tests alone.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/macros.h"
#include "base/path.h"
#include "platform/netlink-fake.h"
#include "platform/netlink.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

static void write_map(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

/* A network namespace of our own, as root or through a user namespace. */
static void private_netns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNET) == 0)
		return;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		cr_skip_test("cannot make a network namespace: %s", strerror(errno));
	write_map("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	write_map("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	write_map("/proc/self/gid_map", map);
}

static void sh(const char *cmd)
{
	int r = system(cmd);

	if (r != 0 && strstr(cmd, "type veth"))
		cr_skip_test("no veth (%s)", cmd);
	cr_assert_eq(r, 0, "%s", cmd);
}

static const struct hv_netlink_link *by_name(const struct hv_netlink_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_links; i++)
		if (strcmp(s->links[i].name, name) == 0)
			return &s->links[i];
	return NULL;
}

static bool has_addr(const struct hv_netlink_snapshot *s, int ifindex, const char *text, unsigned prefix,
		     uint32_t *ret_flags)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < s->n_addrs; i++) {
		const struct hv_netlink_addr *a = &s->addrs[i];

		if (a->ifindex != ifindex || !inet_ntop(a->family, a->addr, buf, sizeof(buf)))
			continue;
		if (strcmp(buf, text) == 0 && a->prefixlen == prefix) {
			if (ret_flags)
				*ret_flags = a->flags;
			return true;
		}
	}
	return false;
}

Test(netlink, real_veth_pair_in_own_netns)
{
	struct hv_netlink_snapshot *s = NULL;
	const struct hv_netlink_link *l, *peer, *lo;
	char gw[INET_ADDRSTRLEN];
	uint32_t flags = 0;
	bool found_gw = false;

	if (system("command -v ip >/dev/null 2>&1") != 0)
		cr_skip_test("ip (iproute2) not installed");
	private_netns();
	sh("ip link set lo up");
	sh("ip link add hvip0 address 00:15:5d:aa:bb:01 type veth peer name hvip0p address 00:15:5d:aa:bb:02");
	sh("ip addr add 192.0.2.5/24 dev hvip0");
	sh("ip addr add 198.51.100.7/25 dev hvip0 valid_lft 3600 preferred_lft 3600");
	sh("ip link set hvip0 up");
	sh("ip link set hvip0p up");
	sh("ip route add default via 192.0.2.1 dev hvip0");

	cr_assert_eq(hv_netlink_dump(NULL, &s), 0);
	l = by_name(s, "hvip0");
	peer = by_name(s, "hvip0p");
	lo = by_name(s, "lo");
	cr_assert_not_null(l);
	cr_assert_not_null(peer);
	cr_assert_not_null(lo);
	cr_assert(lo->flags & IFF_LOOPBACK);
	cr_assert_eq(l->ifindex, (int)if_nametoindex("hvip0"));
	cr_assert_eq(l->mac_len, 6);
	cr_assert_eq(memcmp(l->mac, "\x00\x15\x5d\xaa\xbb\x01", 6), 0);
	cr_assert_str_eq(l->kind, "veth");
	cr_assert_eq(l->master, 0);
	cr_assert(l->flags & IFF_UP);
	cr_assert_str_eq(l->driver, "", "a veth has no device");

	cr_assert(has_addr(s, l->ifindex, "192.0.2.5", 24, &flags));
	cr_assert(flags & IFA_F_PERMANENT, "ip addr add without lifetimes is permanent");
	cr_assert(has_addr(s, l->ifindex, "198.51.100.7", 25, &flags));
	cr_assert(!(flags & IFA_F_PERMANENT), "a lifetime makes it dynamic");
	cr_assert(has_addr(s, lo->ifindex, "127.0.0.1", 8, NULL));

	for (size_t i = 0; i < s->n_routes; i++) {
		const struct hv_netlink_route *r = &s->routes[i];

		if (r->family == AF_INET && r->dst_len == 0 && r->table == RT_TABLE_MAIN && r->has_gateway) {
			cr_assert_eq(r->oif, l->ifindex);
			cr_assert_not_null(inet_ntop(AF_INET, r->gateway, gw, sizeof(gw)));
			cr_assert_str_eq(gw, "192.0.2.1");
			found_gw = true;
		}
	}
	cr_assert(found_gw, "the default route");
	hv_netlink_snapshot_free(s);
	/* The namespace, and the veth pair with it, go when the worker exits. */
}

Test(netlink, real_bridge_master)
{
	struct hv_netlink_snapshot *s = NULL;
	const struct hv_netlink_link *port, *br;

	if (system("command -v ip >/dev/null 2>&1") != 0)
		cr_skip_test("ip (iproute2) not installed");
	private_netns();
	sh("ip link add hvip1 type veth peer name hvip1p");
	if (system("ip link add hvbr0 type bridge 2>/dev/null") != 0)
		cr_skip_test("no bridge");
	sh("ip link set hvip1 master hvbr0");
	cr_assert_eq(hv_netlink_dump(NULL, &s), 0);
	port = by_name(s, "hvip1");
	br = by_name(s, "hvbr0");
	cr_assert_not_null(port);
	cr_assert_not_null(br);
	cr_assert_eq(port->master, br->ifindex, "IFLA_MASTER");
	cr_assert_str_eq(br->kind, "bridge");
	hv_netlink_snapshot_free(s);
}

/*
 * A sysfs tree as a Hyper-V VM with accelerated networking has it: eth0 on
 * its VMBus device (hv_netvsc), the VF enP1s2 on a PCI device below a VMBus
 * device bound to hv_pci.  Built at run time: the real tree's
 * net/<if>/device -> ../.. loops would make `make dist` (tar -h) recurse
 * forever if it were a checked-in fixture.
 */
#define VMBUS "/sys/devices/LNXSYSTM:00/VMBUS:00"
#define VF_BUS VMBUS "/44c4f61d-0000-0000-0000-000000000002"
#define VF_PCI VF_BUS "/pci0001:00/0001:00:02.0"
#define NETVSC VMBUS "/f8615163-0000-0000-0000-000000000001"

static char *make_vf_sysfs(void)
{
	static const char *const dirs[] = {
		"/sys/bus/vmbus/drivers/hv_pci", "/sys/bus/vmbus/drivers/hv_netvsc",
		"/sys/bus/pci/drivers/mlx5_core", "/sys/devices/virtual/net/lo",
		VF_PCI "/net/enP1s2",            NETVSC "/net/eth0",
		"/sys/class/net",
	};
	static const char *const links[][2] = {
		{ VF_BUS "/driver", "../../../../bus/vmbus/drivers/hv_pci" },
		{ VF_PCI "/driver", "../../../../../../bus/pci/drivers/mlx5_core" },
		{ VF_PCI "/net/enP1s2/device", "../.." },
		{ NETVSC "/driver", "../../../../bus/vmbus/drivers/hv_netvsc" },
		{ NETVSC "/net/eth0/device", "../.." },
		{ "/sys/class/net/enP1s2", "../../devices/LNXSYSTM:00/VMBUS:00/44c4f61d-0000-0000-0000-000000000002"
					  "/pci0001:00/0001:00:02.0/net/enP1s2" },
		{ "/sys/class/net/lo", "../../devices/virtual/net/lo" },
		{ "/sys/class/net/eth0",
		  "../../devices/LNXSYSTM:00/VMBUS:00/f8615163-0000-0000-0000-000000000001/net/eth0" },
	};
	char *root = strdup("/tmp/hv-test-vfsys-XXXXXX"), *f;

	cr_assert_not_null(root);
	cr_assert_not_null(mkdtemp(root));
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		cr_assert(asprintf(&f, "%s%s", root, dirs[i]) > 0);
		cr_assert_eq(hv_mkdir_p(f, 0755), 0, "%s", f);
		free(f);
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++) {
		cr_assert(asprintf(&f, "%s%s", root, links[i][0]) > 0);
		cr_assert_eq(symlink(links[i][1], f), 0, "%s", f);
		free(f);
	}
	return root;
}

Test(netlink, sysfs_probe_fixture)
{
	char *root = make_vf_sysfs(), driver[HV_NETLINK_DRIVER_MAX], cmd[128];
	struct hv_path *p;
	bool hv_pci = true;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	p = hv_path_new(root);
	free(root);
	cr_assert_not_null(p);
	cr_assert_eq(hv_netlink_probe_sysfs(p, "eth0", driver, sizeof(driver), &hv_pci), 0);
	cr_assert_str_eq(driver, "hv_netvsc");
	cr_assert(!hv_pci);
	cr_assert_eq(hv_netlink_probe_sysfs(p, "enP1s2", driver, sizeof(driver), &hv_pci), 0);
	cr_assert_str_eq(driver, "mlx5_core");
	cr_assert(hv_pci, "the VF's ancestor is bound to hv_pci");
	cr_assert_eq(hv_netlink_probe_sysfs(p, "lo", driver, sizeof(driver), &hv_pci), 0);
	cr_assert_str_eq(driver, "");
	cr_assert(!hv_pci);
	cr_assert_eq(hv_netlink_probe_sysfs(p, "missing", driver, sizeof(driver), &hv_pci), 0);
	cr_assert_eq(hv_netlink_probe_sysfs(p, "../x", driver, sizeof(driver), &hv_pci), -EINVAL);
	hv_path_free(p);
	cr_assert_eq(system(cmd), 0);
}

Test(netlink, fake_hands_out_copies)
{
	struct hv_netlink_fake *f = hv_netlink_fake_new();
	struct hv_netlink_snapshot *a = NULL, *b = NULL;

	cr_assert_eq(hv_netlink_fake_add_link(f, 2, "eth0", "00:15:5d:00:00:02", NULL, 0, IFF_UP, "hv_netvsc", false),
		     0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 2, "10.0.0.4/24", IFA_F_PERMANENT), 0);
	cr_assert_eq(hv_netlink_fake_add_route(f, "default", "10.0.0.1", 2, 0), 0);
	cr_assert_eq(hv_netlink_fake_add_addr(f, 2, "bogus", 0), -EINVAL);
	cr_assert_eq(hv_netlink_fake_ops.dump(f, &a), 0);
	cr_assert_eq(hv_netlink_fake_ops.dump(f, &b), 0);
	cr_assert_neq(a->links, b->links);
	cr_assert_eq(a->n_links, 1);
	cr_assert_eq(a->n_addrs, 1);
	cr_assert_eq(a->n_routes, 1);
	cr_assert_eq(hv_netlink_snapshot_find_link(a, 2), &a->links[0]);
	cr_assert_null(hv_netlink_snapshot_find_link(a, 3));
	cr_assert_eq(hv_netlink_fake_get_dumps(f), 2);
	hv_netlink_snapshot_free(a);
	hv_netlink_snapshot_free(b);
	hv_netlink_fake_free(f);
}
