/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim/sysfs: the fake sysfs of a world, built into a temporary directory,
 * has the layout and formats of PROTOCOL.md §9.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "sim/sysfs.h"
#include "sim/world.h"

static char root[PATH_MAX];

static void build(const char *text)
{
	struct hvsim_world *w = NULL;
	char *error = NULL;
	int fd;

	snprintf(root, sizeof(root), "/tmp/test-sim-sysfs.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	if (text)
		cr_assert_eq(hvsim_world_load_string(text, "t.ini", &w, &error), 0, "%s", error);
	else
		cr_assert_eq(hvsim_world_new_default(&w), 0);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(hvsim_sysfs_build(fd, w), 0);
	close(fd);
	hvsim_world_free(w);
}

static char *slurp(const char *rel)
{
	char path[PATH_MAX * 2];
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_geq(hv_read_text_file(path, 0, &text), 0, "%s", rel);
	return text;
}

static void assert_file(const char *rel, const char *expected)
{
	char *text = slurp(rel);

	cr_assert_str_eq(text, expected, "%s", rel);
	free(text);
}

static bool exists(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

static void cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (!root[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	(void)system(cmd);
}

TestSuite(sysfs, .fini = cleanup);

#define KVP "bus/vmbus/devices/242ff919-07db-4180-9c2e-b86cb68c8c55/"
#define NIC "bus/vmbus/devices/0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5/"

Test(sysfs, default_world_vmbus_attributes)
{
	char link[PATH_MAX], path[PATH_MAX * 2];
	ssize_t n;

	build(NULL);
	assert_file(KVP "id", "4");
	assert_file(KVP "class_id", "{a9a0f4e7-5a45-4d96-b827-8a841e8c03e6}");
	assert_file(KVP "device_id", "{242ff919-07db-4180-9c2e-b86cb68c8c55}");
	assert_file(KVP "modalias", "vmbus:e7f4a0a9455a964db8278a841e8c03e6");
	assert_file(KVP "device", "0x9");
	assert_file(KVP "vendor", "0x1414");
	assert_file(KVP "state", "3");
	assert_file(KVP "numa_node", "0");
	assert_file(KVP "channel_vp_mapping", "4:0");
	assert_file(KVP "uevent", "DRIVER=hv_utils\nMODALIAS=vmbus:e7f4a0a9455a964db8278a841e8c03e6");
	assert_file(KVP "channels/4/cpu", "0");
	assert_file(KVP "channels/4/subchannel_id", "0");
	cr_assert(!exists(KVP "monitor_id"), "IC channels are not monitored");
	cr_assert(exists(KVP "driver/bind"), "driver link resolves");
	cr_assert(exists(KVP "subsystem/drivers_autoprobe"), "subsystem link resolves");

	snprintf(path, sizeof(path), "%s/" KVP "driver", root);
	n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0);
	link[n] = '\0';
	cr_assert_str_eq(link, "../../../../../../bus/vmbus/drivers/hv_utils");
	cr_assert(exists("bus/vmbus/drivers/hv_utils/242ff919-07db-4180-9c2e-b86cb68c8c55/id"));

	assert_file(NIC "channel_vp_mapping", "12:0\n13:1\n14:2\n15:3");
	assert_file(NIC "monitor_id", "2");
	assert_file(NIC "channels/14/cpu", "2");
	assert_file(NIC "channels/14/subchannel_id", "2");
	assert_file(NIC "device", "0x3");
	assert_file("bus/vmbus/hibernation", "1");
}

Test(sysfs, cpus_and_nodes)
{
	build("[cpus]\ncount = 6\nonline = 0-2,4-5\n[numa]\nnode0 = 0-2\nnode1 = 3-5\n");
	assert_file("devices/system/cpu/possible", "0-5");
	assert_file("devices/system/cpu/present", "0-5");
	assert_file("devices/system/cpu/online", "0-2,4-5");
	assert_file("devices/system/cpu/offline", "3");
	assert_file("devices/system/cpu/cpu3/online", "0");
	assert_file("devices/system/cpu/cpu4/online", "1");
	cr_assert(!exists("devices/system/cpu/cpu0/online"), "x86: cpu0 cannot go offline");
	assert_file("devices/system/cpu/cpu4/topology/physical_package_id", "1");
	assert_file("devices/system/cpu/cpu4/topology/core_siblings_list", "3-5");
	assert_file("devices/system/node/online", "0-1");
	assert_file("devices/system/node/node1/cpulist", "4-5");
	assert_file("devices/system/node/node1/cpumap", "30");
	cr_assert(exists("devices/system/node/node1/cpu5/online"));
	cr_assert(exists("devices/system/cpu/cpu5/node1/cpulist"));
}

Test(sysfs, uio_and_unbound_devices)
{
	build("[world]\nbase = default\n[device fcopy]\ndriver = uio_hv_generic\n[device kvp]\ndriver = none\n");
	cr_assert(exists("bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4/uio/uio0/name"));
	cr_assert(exists("class/uio/uio0/maps/map0/size"));
	assert_file("bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4/state", "0");
	cr_assert(exists("bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4/channels/6/ring"));
	assert_file(KVP "uevent", "MODALIAS=vmbus:e7f4a0a9455a964db8278a841e8c03e6");
	cr_assert(!exists(KVP "driver"));
	assert_file(KVP "state", "0");
}
