/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/sysfs: VMBus devices from the fixture trees in
 * tests/fixtures/sysroot/ (written by mkvmbus.py there) and from small
 * trees built per test for table-driven bad input.  One test repeats the
 * load in a private mount namespace with a fixture bind-mounted over
 * /sys, which is how hvctl sees hvsim's world: same result, no prefix.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "platform/sysfs.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

#define KVP_CLASS "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"

static char *fixture(const char *scenario)
{
	const char *top = getenv("HV_TOP_SRCDIR");
	char *p;

	cr_assert(asprintf(&p, "%s/tests/fixtures/sysroot/%s", top && *top ? top : HV_TOP_SRCDIR_DEFAULT,
			   scenario) > 0);
	return p;
}

static struct hv_vmbus_device_list *load_scenario(const char *scenario)
{
	_cleanup_free_ char *root = fixture(scenario);
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = NULL;
	int r;

	cr_assert_not_null(path);
	r = hv_vmbus_device_list_load(path, &l);
	cr_assert_eq(r, 0, "load %s: %s", scenario, strerror(-r));
	cr_assert_not_null(l);
	hv_path_free(path);
	return l;
}

/* ---- gen2-vm ---- */

Test(sysfs, gen2_sorted_by_numeric_id)
{
	static const int64_t ids[] = { 2, 3, 4, 5, 6, 7, 10, 12, 13 };
	struct hv_vmbus_device_list *l = load_scenario("gen2-vm");

	cr_assert_eq(l->n_devices, ELEMENTSOF(ids));
	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		cr_assert_eq(l->devices[i].id, ids[i], "device %zu has id %lld", i,
			     (long long)l->devices[i].id);
		cr_assert_eq(l->devices[i].malformed, 0u, "device %zu: nothing is malformed", i);
	}
	hv_vmbus_device_list_free(l);
}

Test(sysfs, gen2_kvp_device_fields)
{
	struct hv_vmbus_device_list *l = load_scenario("gen2-vm");
	const struct hv_vmbus_device *d = hv_vmbus_device_list_find_by_id(l, 4);

	cr_assert_not_null(d);
	cr_assert_str_eq(d->name, "242ff919-07db-4180-9c2e-b86cb68c8c55");
	cr_assert_str_eq(d->sysfs_path, "/sys/bus/vmbus/devices/242ff919-07db-4180-9c2e-b86cb68c8c55",
			 "the path as seen on the guest, without the fixture prefix");
	cr_assert_str_eq(d->class_id, KVP_CLASS, "braces stripped");
	cr_assert_str_eq(d->device_id, "242ff919-07db-4180-9c2e-b86cb68c8c55");
	cr_assert_eq(d->device_type, 9);
	cr_assert_str_eq(d->driver, "hv_utils");
	cr_assert_eq(d->numa_node, 0);
	cr_assert_eq(d->n_channels, 1);
	cr_assert_eq(d->channels[0].relid, 4);
	cr_assert_eq(d->channels[0].target_cpu, 0);
	cr_assert_eq(d->channels[0].subchannel_id, 0);
	cr_assert_eq(d->channels[0].interrupts, 17);
	cr_assert_eq(d->channels[0].events, 23);
	cr_assert_eq(hv_vmbus_device_list_find_by_name(l, "242ff919-07db-4180-9c2e-b86cb68c8c55"), d);
	cr_assert_null(hv_vmbus_device_list_find_by_id(l, 99));
	cr_assert_null(hv_vmbus_device_list_find_by_name(l, "nope"));
	hv_vmbus_device_list_free(l);
}

Test(sysfs, gen2_multichannel_nic)
{
	struct hv_vmbus_device_list *l = load_scenario("gen2-vm");
	const struct hv_vmbus_device *d = hv_vmbus_device_list_find_by_id(l, 12);

	cr_assert_not_null(d);
	cr_assert_str_eq(d->driver, "hv_netvsc");
	cr_assert_eq(d->n_channels, 4);
	for (size_t i = 0; i < 4; i++) {
		static const uint32_t relids[] = { 12, 30, 31, 32 };

		cr_assert_eq(d->channels[i].relid, relids[i]);
		cr_assert_eq(d->channels[i].subchannel_id, (int64_t)i);
		cr_assert_eq(d->channels[i].target_cpu, (int64_t)i);
	}
	cr_assert_eq(hv_vmbus_device_find_channel(d, 31), &d->channels[2]);
	cr_assert_null(hv_vmbus_device_find_channel(d, 33));
	hv_vmbus_device_list_free(l);
}

Test(sysfs, gen2_unbound_device_has_no_driver)
{
	struct hv_vmbus_device_list *l = load_scenario("gen2-vm");
	const struct hv_vmbus_device *d = hv_vmbus_device_list_find_by_name(l, "eb765408-105f-49b6-b4aa-c123b64d17d4");

	cr_assert_not_null(d);
	cr_assert_null(d->driver);
	cr_assert_eq(d->device_type, 13);
	hv_vmbus_device_list_free(l);
}

Test(sysfs, load_one_device)
{
	_cleanup_free_ char *root = fixture("gen2-vm");
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device *d = NULL, *sentinel = (struct hv_vmbus_device *)&root;

	cr_assert_eq(hv_vmbus_device_load(path, "f8b3781b-1e82-4818-a1c3-63d806ec15bb", &d), 0);
	cr_assert_eq(d->id, 10);
	cr_assert_str_eq(d->driver, "hv_storvsc");
	d = hv_vmbus_device_free(d);
	cr_assert_null(d);

	d = sentinel;
	cr_assert_eq(hv_vmbus_device_load(path, "00000000-0000-0000-0000-000000000000", &d), -ENODEV);
	cr_assert_eq(d, sentinel, "ret untouched on failure");
	cr_assert_eq(hv_vmbus_device_load(path, "", &d), -EINVAL);
	cr_assert_eq(hv_vmbus_device_load(path, "..", &d), -EINVAL);
	cr_assert_eq(hv_vmbus_device_load(path, "a/b", &d), -EINVAL);
	cr_assert_eq(hv_vmbus_device_load(path, NULL, &d), -EINVAL);
	cr_assert_eq(d, sentinel);
	hv_path_free(path);
}

/* ---- other scenarios ---- */

Test(sysfs, no_vmbus_is_enodev_not_empty)
{
	_cleanup_free_ char *root = fixture("no-vmbus");
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = (struct hv_vmbus_device_list *)&root;

	cr_assert_eq(hv_vmbus_device_list_load(path, &l), -ENODEV);
	cr_assert_eq(l, (struct hv_vmbus_device_list *)&root, "ret untouched on failure");
	hv_path_free(path);
}

Test(sysfs, unknown_class_is_listed_with_its_guid)
{
	struct hv_vmbus_device_list *l = load_scenario("unknown-class");
	const struct hv_vmbus_device *d = hv_vmbus_device_list_find_by_id(l, 9);

	cr_assert_eq(l->n_devices, 2);
	cr_assert_not_null(d);
	cr_assert_str_eq(d->class_id, "d1a0b5e9-7c3f-4b2e-9f1d-3c5a7e9b1d2f");
	cr_assert_eq(d->device_type, 16);
	cr_assert_null(d->driver);
	cr_assert_eq(d->malformed, 0u);
	hv_vmbus_device_list_free(l);
}

static unsigned debug_lines;

static void count_sink(void *userdata, int level, const char *file, int line, const char *func,
		       const char *format, va_list ap)
{
	if (level == HV_LOG_DEBUG)
		debug_lines++;
}

Test(sysfs, malformed_devices_are_listed_with_what_is_known)
{
	struct hv_vmbus_device_list *l;
	const struct hv_vmbus_device *d;

	hv_log_set_sink(count_sink, NULL);
	hv_log_set_max_level(HV_LOG_DEBUG);
	l = load_scenario("malformed");
	cr_assert_gt(debug_lines, 0, "every problem is logged at debug level");
	cr_assert_eq(l->n_devices, 4, "nothing is skipped");

	/* Known ids first, in order; unknown ids after them, by name. */
	cr_assert_eq(l->devices[0].id, 7);
	cr_assert_eq(l->devices[1].id, 12);
	cr_assert_eq(l->devices[2].id, -1);
	cr_assert_str_eq(l->devices[2].name, "242ff919-07db-4180-9c2e-b86cb68c8c55");
	cr_assert_eq(l->devices[3].id, -1);
	cr_assert_str_eq(l->devices[3].name, "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");

	/* Only an id: missing is unknown, not malformed. */
	d = &l->devices[0];
	cr_assert_str_eq(d->class_id, "");
	cr_assert_str_eq(d->device_id, "b6650ff7-33bc-4840-8048-e0676786f393", "from the directory name");
	cr_assert_eq(d->device_type, -1);
	cr_assert_null(d->driver);
	cr_assert_eq(d->numa_node, -1);
	cr_assert_eq(d->n_channels, 0);
	cr_assert_eq(d->malformed, 0u);

	/* Garbage everywhere. */
	d = &l->devices[1];
	cr_assert_eq(d->malformed, HV_VMBUS_ATTR_CLASS_ID | HV_VMBUS_ATTR_DEVICE | HV_VMBUS_ATTR_NUMA_NODE |
					   HV_VMBUS_ATTR_CHANNEL_VP_MAPPING | HV_VMBUS_ATTR_CHANNELS,
		     "malformed = %#x", d->malformed);
	cr_assert_str_eq(d->class_id, "");
	cr_assert_eq(d->device_type, -1);
	cr_assert_eq(d->numa_node, -1);
	cr_assert_str_eq(d->driver, "hv_netvsc");
	cr_assert_eq(d->n_channels, 2, "channels/foo and '40:x' are dropped");
	cr_assert_eq(d->channels[0].relid, 12);
	cr_assert_eq(d->channels[0].target_cpu, 0, "cpu 'banana': channel_vp_mapping fills in");
	cr_assert_eq(d->channels[0].interrupts, 5);
	cr_assert_eq(d->channels[1].relid, 41);
	cr_assert_eq(d->channels[1].target_cpu, 3);
	cr_assert_eq(d->channels[1].subchannel_id, -1, "only in channel_vp_mapping");
	cr_assert_eq(d->channels[1].interrupts, -1);

	cr_assert_eq(l->devices[2].malformed, HV_VMBUS_ATTR_ID);
	cr_assert_str_eq(l->devices[2].class_id, KVP_CLASS);
	cr_assert_eq(l->devices[3].malformed, HV_VMBUS_ATTR_ID | HV_VMBUS_ATTR_DEVICE_ID);
	cr_assert_str_eq(l->devices[3].device_id, "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0");
	hv_vmbus_device_list_free(l);
	hv_log_set_sink(NULL, NULL);
}

/* ---- trees built per test ---- */

static char *tmp_root(void)
{
	const char *dir = getenv("TMPDIR");
	char *t;

	cr_assert(asprintf(&t, "%s/test-sysfs.XXXXXX", dir && *dir ? dir : "/tmp") > 0);
	cr_assert_not_null(mkdtemp(t));
	return t;
}

static void put(const char *root, const char *rel, const char *content)
{
	_cleanup_free_ char *p = NULL;
	FILE *f;

	cr_assert(asprintf(&p, "%s/%s", root, rel) > 0);
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	if (!content) {
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST);
		return;
	}
	f = fopen(p, "we");
	cr_assert_not_null(f, "%s: %m", p);
	fputs(content, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(p);
}

static void rm_tree(const char *root)
{
	cr_assert_eq(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0, "rm %s: %m", root);
}

Test(sysfs, bus_without_devices_directory_is_not_enodev)
{
	_cleanup_free_ char *root = tmp_root();
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = NULL;

	put(root, "sys/bus/vmbus/uevent", "");
	cr_assert_eq(hv_vmbus_device_list_load(path, &l), -ENOENT,
		     "the bus is there, its devices directory is not: an error, not 'no VMBus'");
	rm_tree(root);
	hv_path_free(path);
}

Test(sysfs, empty_bus_is_an_empty_list)
{
	_cleanup_free_ char *root = tmp_root();
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = NULL;

	put(root, "sys/bus/vmbus/devices", NULL);
	cr_assert_eq(hv_vmbus_device_list_load(path, &l), 0);
	cr_assert_eq(l->n_devices, 0);
	hv_vmbus_device_list_free(l);
	rm_tree(root);
	hv_path_free(path);
}

Test(sysfs, driver_from_link_else_uevent)
{
	_cleanup_free_ char *root = tmp_root(), *link = NULL;
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = NULL;

	/* a: a real link, and a uevent that disagrees: the link wins */
	put(root, "sys/bus/vmbus/drivers/hv_utils/bind", "");
	put(root, "sys/bus/vmbus/devices/a/uevent", "DRIVER=other\n");
	cr_assert(asprintf(&link, "%s/sys/bus/vmbus/devices/a/driver", root) > 0);
	cr_assert_eq(symlink("../../drivers/hv_utils", link), 0, "%m");
	/* b: `driver` copied as a directory (tar -h): uevent says */
	put(root, "sys/bus/vmbus/devices/b/driver/bind", "");
	put(root, "sys/bus/vmbus/devices/b/uevent", "MODALIAS=vmbus:00\nDRIVER=hv_netvsc\n");
	/* c: unbound */
	put(root, "sys/bus/vmbus/devices/c/uevent", "MODALIAS=vmbus:00\n");
	/* d: no uevent, no link */
	put(root, "sys/bus/vmbus/devices/d", NULL);

	cr_assert_eq(hv_vmbus_device_list_load(path, &l), 0);
	cr_assert_eq(l->n_devices, 4);
	cr_assert_str_eq(hv_vmbus_device_list_find_by_name(l, "a")->driver, "hv_utils");
	cr_assert_str_eq(hv_vmbus_device_list_find_by_name(l, "b")->driver, "hv_netvsc");
	cr_assert_null(hv_vmbus_device_list_find_by_name(l, "c")->driver);
	cr_assert_null(hv_vmbus_device_list_find_by_name(l, "d")->driver);
	hv_vmbus_device_list_free(l);
	rm_tree(root);
	hv_path_free(path);
}

/* One attribute of one device, and what the parser must make of it. */
struct attr_case {
	char attr[32];
	char content[64];
	int64_t want;       /* id, device_type or numa_node */
	char want_guid[40]; /* class_id */
	unsigned malformed;
};

ParameterizedTestParameters(sysfs, attribute_parsing)
{
	static struct attr_case cases[] = {
		{ "id", "5\n", 5, "", 0 },
		{ "id", "0", 0, "", 0 },
		{ "id", "4294967295\n", 4294967295, "", 0 },
		{ "id", "4294967296\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", "-1\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", "+5\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", " 5\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", "5x\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", "5\n6\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", "\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "id", "99999999999999999999999\n", -1, "", HV_VMBUS_ATTR_ID },
		{ "class_id", "{A9A0F4E7-5A45-4D96-B827-8A841E8C03E6}\n", 0, KVP_CLASS, 0 },
		{ "class_id", KVP_CLASS "\n", 0, KVP_CLASS, 0 },
		{ "class_id", "{" KVP_CLASS "\n", 0, "", HV_VMBUS_ATTR_CLASS_ID },
		{ "class_id", "{a9a0f4e7x5a45-4d96-b827-8a841e8c03e6}\n", 0, "", HV_VMBUS_ATTR_CLASS_ID },
		{ "class_id", "{a9a0f4e7-5a45-4d96-b827-8a841e8c03e}\n", 0, "", HV_VMBUS_ATTR_CLASS_ID },
		{ "class_id", "{g9a0f4e7-5a45-4d96-b827-8a841e8c03e6}\n", 0, "", HV_VMBUS_ATTR_CLASS_ID },
		{ "class_id", "\n", 0, "", HV_VMBUS_ATTR_CLASS_ID },
		{ "device", "0x9\n", 9, "", 0 },
		{ "device", "0X10\n", 16, "", 0 },
		{ "device", "9\n", -1, "", HV_VMBUS_ATTR_DEVICE },
		{ "device", "0x\n", -1, "", HV_VMBUS_ATTR_DEVICE },
		{ "device", "0xg\n", -1, "", HV_VMBUS_ATTR_DEVICE },
		{ "device", "0x9 \n", -1, "", HV_VMBUS_ATTR_DEVICE },
		{ "numa_node", "1\n", 1, "", 0 },
		{ "numa_node", "-1\n", -1, "", 0 },
		{ "numa_node", "-2\n", -1, "", HV_VMBUS_ATTR_NUMA_NODE },
		{ "numa_node", "x\n", -1, "", HV_VMBUS_ATTR_NUMA_NODE },
	};

	return cr_make_param_array(struct attr_case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(struct attr_case *c, sysfs, attribute_parsing)
{
	_cleanup_free_ char *root = tmp_root(), *rel = NULL;
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = NULL;
	const struct hv_vmbus_device *d;
	int64_t got;

	cr_assert(asprintf(&rel, "sys/bus/vmbus/devices/dev0/%s", c->attr) > 0);
	put(root, rel, c->content);
	cr_assert_eq(hv_vmbus_device_list_load(path, &l), 0);
	cr_assert_eq(l->n_devices, 1);
	d = &l->devices[0];
	cr_assert_eq(d->malformed, c->malformed, "%s='%s': malformed %#x", c->attr, c->content,
		     d->malformed);
	if (strcmp(c->attr, "class_id") == 0)
		cr_assert_str_eq(d->class_id, c->want_guid, "%s='%s'", c->attr, c->content);
	else {
		got = strcmp(c->attr, "id") == 0	   ? d->id
		      : strcmp(c->attr, "device") == 0 ? d->device_type
						       : d->numa_node;
		cr_assert_eq(got, c->want, "%s='%s': got %lld", c->attr, c->content, (long long)got);
	}
	cr_assert_str_eq(d->device_id, "", "'dev0' is no GUID: no fallback");
	hv_vmbus_device_list_free(l);
	rm_tree(root);
	hv_path_free(path);
}

Test(sysfs, device_count_is_capped)
{
	_cleanup_free_ char *root = tmp_root();
	struct hv_path *path = hv_path_new(root);
	struct hv_vmbus_device_list *l = NULL;

	for (int i = 0; i <= HV_VMBUS_MAX_DEVICES; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "sys/bus/vmbus/devices/d%d", i);
		put(root, rel, NULL);
	}
	cr_assert_eq(hv_vmbus_device_list_load(path, &l), -E2BIG);
	cr_assert_null(l);
	rm_tree(root);
	hv_path_free(path);
}

/* ---- the fixture as /sys ---- */

static bool same_lists(const struct hv_vmbus_device_list *a, const struct hv_vmbus_device_list *b)
{
	if (a->n_devices != b->n_devices)
		return false;
	for (size_t i = 0; i < a->n_devices; i++) {
		const struct hv_vmbus_device *x = &a->devices[i], *y = &b->devices[i];

		if (strcmp(x->name, y->name) || strcmp(x->sysfs_path, y->sysfs_path) || x->id != y->id ||
		    strcmp(x->class_id, y->class_id) || strcmp(x->device_id, y->device_id) ||
		    x->device_type != y->device_type || !x->driver != !y->driver ||
		    (x->driver && strcmp(x->driver, y->driver)) || x->numa_node != y->numa_node ||
		    x->n_channels != y->n_channels || x->malformed != y->malformed)
			return false;
		for (size_t k = 0; k < x->n_channels; k++) {
			const struct hv_vmbus_channel *c = &x->channels[k], *e = &y->channels[k];

			if (c->relid != e->relid || c->target_cpu != e->target_cpu ||
			    c->subchannel_id != e->subchannel_id || c->interrupts != e->interrupts ||
			    c->events != e->events)
				return false;
		}
	}
	return true;
}

Test(sysfs, fixture_bind_mounted_over_sys_reads_the_same)
{
	_cleanup_free_ char *root = fixture("gen2-vm"), *sys = NULL;
	struct hv_vmbus_device_list *want = load_scenario("gen2-vm"), *got = NULL;
	struct hv_path *real = hv_path_new(NULL);

	if (geteuid() != 0)
		cr_skip_test("needs root for a private mount namespace");
	if (unshare(CLONE_NEWNS) < 0)
		cr_skip_test("unshare(CLONE_NEWNS): %s", strerror(errno));
	/* Private from here on: nothing leaks to the machine's mounts. */
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%m");
	cr_assert(asprintf(&sys, "%s/sys", root) > 0);
	cr_assert_eq(mount(sys, "/sys", NULL, MS_BIND | MS_REC, NULL), 0, "bind %s: %m", sys);

	cr_assert_eq(hv_vmbus_device_list_load(real, &got), 0);
	cr_assert(same_lists(want, got), "prefix and bind mount give the same snapshot");
	hv_vmbus_device_list_free(got);
	hv_vmbus_device_list_free(want);
	hv_path_free(real);
}
