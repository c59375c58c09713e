/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim/world: the built-in default world, cpulists, world files that load
 * (including edits of the default) and world files that do not, whose
 * messages must name the file, the line, the section and the key.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macros.h"
#include "proto/guid.h"
#include "sim/world.h"

/* Criterion re-executes parameterized tests: pass indexes, not pointers. */
#define PARAM_INDICES(table)                                                 \
	do {                                                                 \
		static size_t idx_[ELEMENTSOF(table)];                       \
		for (size_t i_ = 0; i_ < ELEMENTSOF(table); i_++)            \
			idx_[i_] = i_;                                       \
		return cr_make_param_array(size_t, idx_, ELEMENTSOF(idx_));  \
	} while (0)

static const char *guid_of(const uint8_t g[16], char buf[static 37])
{
	hvsim_guid_format(g, buf);
	return buf;
}

/* ---- default world ------------------------------------------------------ */

Test(world, default_is_a_gen2_vm)
{
	struct hvsim_world *w = NULL;
	const struct hvsim_device *d;
	char buf[37];

	cr_assert_eq(hvsim_world_new_default(&w), 0);
	cr_assert_eq(w->n_cpus, 4);
	cr_assert_eq(w->n_nodes, 1);
	cr_assert_eq(w->n_devices, 12);

	d = hvsim_world_find_cdev(w, HVSIM_CDEV_KVP);
	cr_assert_not_null(d);
	cr_assert_str_eq(d->name, "kvp");
	cr_assert_eq(d->channels[0].relid, 4);
	cr_assert_str_eq(d->driver, "hv_utils");
	cr_assert_eq(hvsim_device_type(d), 9);

	d = hvsim_world_find_cdev(w, HVSIM_CDEV_FCOPY);
	cr_assert_not_null(d);
	cr_assert_str_eq(guid_of(d->instance_guid, buf), "eb765408-105f-49b6-b4aa-c123b64d17d4");
	cr_assert_str_eq(guid_of(d->class_guid, buf), "34d14be3-dee4-41c8-9ae7-6b174977c192");
	cr_assert_not_null(hvsim_world_find_cdev(w, HVSIM_CDEV_VSS));

	d = hvsim_world_find_device(w, "nic");
	cr_assert_not_null(d);
	cr_assert_eq(d->n_channels, 4);
	cr_assert_eq(d->channels[0].monitor_id, 2);
	cr_assert_eq(d->channels[3].relid, 15);
	cr_assert_eq(d->channels[3].target_cpu, 3);
	cr_assert_eq(d->channels[3].subchannel_id, 3);
	cr_assert_str_eq(d->driver, "hv_netvsc");
	cr_assert_eq(w->kernel.kvp_timeout_ms, 30000);
	cr_assert_eq(w->kernel.vss_freeze_timeout_ms, 900000);
	hvsim_world_free(w);
}

/* ---- cpulists ------------------------------------------------------------- */

Test(world, cpulist_round_trip)
{
	struct hvsim_cpuset s;
	char buf[64];

	cr_assert_eq(hvsim_cpulist_parse("0-3,8, 10-11", 16, &s), 0);
	cr_assert_eq(hvsim_cpuset_count(&s), 7);
	cr_assert(hvsim_cpuset_has(&s, 8));
	cr_assert(!hvsim_cpuset_has(&s, 9));
	cr_assert_geq(hvsim_cpulist_format(&s, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "0-3,8,10-11");
	cr_assert_eq(hvsim_cpulist_parse("", 4, &s), 0);
	cr_assert_eq(hvsim_cpuset_count(&s), 0);
	hvsim_cpulist_format(&s, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
}

Test(world, cpulist_errors)
{
	struct hvsim_cpuset s;

	cr_assert_eq(hvsim_cpulist_parse("3-1", 8, &s), -EINVAL);
	cr_assert_eq(hvsim_cpulist_parse("a", 8, &s), -EINVAL);
	cr_assert_eq(hvsim_cpulist_parse("0,", 8, &s), -EINVAL);
	cr_assert_eq(hvsim_cpulist_parse("0-8", 8, &s), -ERANGE);
	cr_assert_eq(hvsim_cpulist_parse("1 2", 8, &s), -EINVAL);
}

/* ---- good files --------------------------------------------------------------- */

Test(world, file_with_two_nodes_and_custom_devices)
{
	static const char text[] =
		"# a small world\n"
		"[world]\n"
		"name = small ; trailing comment\n"
		"hibernation = no\n"
		"[cpus]\n"
		"count = 8\n"
		"online = 0-5\n"
		"[numa]\n"
		"node0 = 0-3\n"
		"node1 = 4-7\n"
		"[kernel]\n"
		"kvp_timeout = 1.5\n"
		"vss_freeze_timeout = 2\n"
		"device_delay = 0.25\n"
		"[device kvp]\n"
		"class = kvp\n"
		"instance = {242FF919-07DB-4180-9C2E-B86CB68C8C55}\n"
		"relid = 14\n"
		"[device net0]\n"
		"class = f8615163-df3e-46c5-913f-f2d2f965ed0e\n"
		"instance = 11111111-2222-3333-4444-555555555555\n"
		"relid = 20\n"
		"cpu = 4\n"
		"monitor_id = 7\n"
		"subchannels = 21:5, 22:1\n"
		"[device odd]\n"
		"class = 01234567-89ab-cdef-0123-456789abcdef\n"
		"instance = 21111111-2222-3333-4444-555555555555\n"
		"relid = 30\n";
	struct hvsim_world *w = NULL;
	const struct hvsim_device *d;
	char *error = NULL;
	char buf[37];

	cr_assert_eq(hvsim_world_load_string(text, "small.ini", &w, &error), 0, "%s", error);
	cr_assert_str_eq(w->name, "small");
	cr_assert_eq(w->hibernation, false);
	cr_assert_eq(w->n_cpus, 8);
	cr_assert_eq(hvsim_cpuset_count(&w->online), 6);
	cr_assert_eq(w->n_nodes, 2);
	cr_assert_eq(hvsim_world_cpu_node(w, 5), 1);
	cr_assert_eq(w->kernel.kvp_timeout_ms, 1500);
	cr_assert_eq(w->kernel.vss_freeze_timeout_ms, 2000);
	cr_assert_eq(w->kernel.cdev_delay_ms, 250);
	cr_assert_eq(w->n_devices, 3);

	d = hvsim_world_find_device(w, "kvp");
	cr_assert_str_eq(guid_of(d->instance_guid, buf), "242ff919-07db-4180-9c2e-b86cb68c8c55");
	cr_assert_str_eq(d->driver, "hv_utils", "a util class defaults to hv_utils");
	cr_assert_eq(hvsim_world_find_cdev(w, HVSIM_CDEV_KVP), d);

	d = hvsim_world_find_device(w, "net0");
	cr_assert_not_null(d->cls, "a class GUID of the table is recognised");
	cr_assert_str_eq(d->cls->name, "nic");
	cr_assert_str_eq(d->driver, "hv_netvsc");
	cr_assert_eq(d->n_channels, 3);
	cr_assert_eq(d->channels[0].monitor_id, 7);
	cr_assert_eq(d->channels[1].relid, 21);
	cr_assert_eq(d->channels[1].target_cpu, 5);
	cr_assert_eq(d->channels[2].subchannel_id, 2);

	d = hvsim_world_find_device(w, "odd");
	cr_assert_null(d->cls);
	cr_assert_null(d->driver, "an unknown class has no driver");
	cr_assert_eq(hvsim_device_type(d), 16, "HV_UNKNOWN");
	hvsim_world_free(w);
}

Test(world, edits_of_the_default_world)
{
	static const char text[] =
		"[world]\n"
		"base = default\n"
		"[kernel]\n"
		"kvp_timeout = 2\n"
		"[device kvp]\n"
		"driver = none\n"
		"[device fcopy]\n"
		"driver = uio_hv_generic\n"
		"[device mouse]\n"
		"remove = yes\n"
		"[device extra]\n"
		"class = heartbeat\n"
		"instance = 31111111-2222-3333-4444-555555555555\n"
		"relid = 40\n";
	struct hvsim_world *w = NULL;
	char *error = NULL;

	cr_assert_eq(hvsim_world_load_string(text, "edit.ini", &w, &error), 0, "%s", error);
	cr_assert_eq(w->n_devices, 12, "12 - mouse + extra");
	cr_assert_null(hvsim_world_find_device(w, "mouse"));
	cr_assert_null(hvsim_world_find_device(w, "kvp")->driver);
	cr_assert_null(hvsim_world_find_cdev(w, HVSIM_CDEV_KVP), "no char device without hv_utils");
	cr_assert_null(hvsim_world_find_cdev(w, HVSIM_CDEV_FCOPY), "no char device when bound to uio");
	cr_assert_not_null(hvsim_world_find_cdev(w, HVSIM_CDEV_VSS));
	cr_assert_str_eq(hvsim_world_find_device(w, "nic")->driver, "hv_netvsc", "untouched devices stay");
	cr_assert_eq(w->kernel.kvp_timeout_ms, 2000);
	cr_assert_eq(w->n_cpus, 4);
	hvsim_world_free(w);
}

Test(world, changing_the_cpu_count_resets_the_nodes)
{
	static const char text[] = "[world]\nbase = default\n[cpus]\ncount = 16\n";
	struct hvsim_world *w = NULL;
	char *error = NULL;

	cr_assert_eq(hvsim_world_load_string(text, "c.ini", &w, &error), 0, "%s", error);
	cr_assert_eq(w->n_cpus, 16);
	cr_assert_eq(w->n_nodes, 1);
	cr_assert_eq(hvsim_cpuset_count(&w->nodes[0]), 16);
	hvsim_world_free(w);
}

Test(world, load_from_a_file)
{
	char path[] = "/tmp/test-sim-world.XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[world]\nbase = default\nname = from-file\n";
	struct hvsim_world *w = NULL;
	char *error = NULL;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cr_assert_eq(hvsim_world_load(path, &w, &error), 0, "%s", error);
	cr_assert_str_eq(w->name, "from-file");
	cr_assert_str_eq(w->source, path);
	hvsim_world_free(w);
	unlink(path);

	cr_assert_eq(hvsim_world_load(path, &w, &error), -ENOENT);
	cr_assert_not_null(error);
	cr_assert(strstr(error, path) != NULL, "%s", error);
	free(error);
}

/* ---- bad files ---------------------------------------------------------------- */

struct bad_case {
	const char *text;
	const char *message; /* the exact error */
};

#define DEV_A "[device a]\nclass = kvp\ninstance = 11111111-2222-3333-4444-555555555555\nrelid = 4\n"
#define CPUS2 "[cpus]\ncount = 2\n"

static const struct bad_case bad_cases[] = {
	{ "[cpus]\ncount = x\n", "t.ini:2: [cpus] count: 'x' is not a CPU count (1-4096)" },
	{ "[bogus]\n", "t.ini:1: [bogus]: unknown section" },
	{ CPUS2 "[device a]\ncolour = red\n", "t.ini:4: [device a] colour: unknown key" },
	{ CPUS2 "[device a]\ninstance = zz\n", "t.ini:4: [device a] instance: 'zz' is not a GUID" },
	{ CPUS2 "[device a]\nclass = toaster\n",
	  "t.ini:4: [device a] class: 'toaster' is neither a known class nor a GUID" },
	{ CPUS2 "[device a]\nrelid = -1\n", "t.ini:4: [device a] relid: '-1' is not a relid (a number > 0)" },
	{ CPUS2 DEV_A "[device b]\nclass = vss\ninstance = 21111111-2222-3333-4444-555555555555\nrelid = 4\n",
	  "t.ini:7: [device b] relid: relid 4 is already used by device 'a'" },
	{ CPUS2 DEV_A "[device b]\nclass = vss\ninstance = 11111111-2222-3333-4444-555555555555\nrelid = 5\n",
	  "t.ini:7: [device b] instance: already used by device 'a'" },
	{ "[cpus]\ncount = 4\nonline = 0-2\n" DEV_A "cpu = 3\n", "t.ini:4: [device a] cpu: CPU 3 is offline" },
	{ CPUS2 DEV_A "cpu = 9\n", "t.ini:3: [device a] cpu: CPU 9 does not exist (count = 2)" },
	{ CPUS2 DEV_A "driver = hv_netvsc\n",
	  "t.ini:3: [device a] driver: 'hv_netvsc' cannot drive a util device (hv_utils, uio_hv_generic or none)" },
	{ CPUS2 "[device a]\ninstance = 11111111-2222-3333-4444-555555555555\nrelid = 4\n",
	  "t.ini:3: [device a] class: missing" },
	{ CPUS2 "[device a]\nclass = kvp\nrelid = 4\n", "t.ini:3: [device a] instance: missing" },
	{ CPUS2 DEV_A "subchannels = 5:1, x\n",
	  "t.ini:7: [device a] subchannels: '5:1, x' is not a list of RELID:CPU pairs" },
	{ "[kernel]\nkvp_timeout = 0\n", "t.ini:2: [kernel] kvp_timeout: a timeout must be > 0" },
	{ "[kernel]\nvss_timeout = soon\n", "t.ini:2: [kernel] vss_timeout: 'soon' is not a number of seconds" },
	{ "[cpus]\ncount = 4\n[numa]\nnode0 = 0-2\nnode1 = 2-3\n", "t.ini: [numa]: CPU 2 is in two nodes" },
	{ "[cpus]\ncount = 4\n[numa]\nnode0 = 0-2\n", "t.ini: [numa]: CPU 3 is in no node" },
	{ "[cpus]\ncount = 4\n[numa]\nnode0 = 0-4\n", "t.ini:4: [numa] node0: '0-4' names a CPU >= count (4)" },
	{ "[cpus]\ncount = 4\nonline = 1-3\n", "t.ini:3: [cpus] online: CPU 0 cannot be offline" },
	{ "[world]\ngarbage\n", "t.ini:2: [world]: 'garbage' is not KEY = VALUE" },
	{ "name = x\n", "t.ini:1: name: key outside of a section" },
	{ "[world\n", "t.ini:1: malformed section header" },
	{ "[world]\nbase = other\n", "t.ini:2: [world] base: 'other' is not 'empty' or 'default'" },
	{ "[world]\nhibernation = maybe\n", "t.ini:2: [world] hibernation: 'maybe' is not a boolean" },
	{ "[world]\nname = x\n", "t.ini: [cpus] count is missing" },
	{ CPUS2 DEV_A "[device a]\n", "t.ini:7: [device a]: device 'a' is declared twice" },
	{ CPUS2 DEV_A "[device b]\nclass = kvp\ninstance = 21111111-2222-3333-4444-555555555555\nrelid = 5\n",
	  "t.ini:7: [device b] driver: a second kvp device bound to hv_utils" },
};

ParameterizedTestParameters(world, bad_files)
{
	PARAM_INDICES(bad_cases);
}

ParameterizedTest(size_t *i, world, bad_files)
{
	const struct bad_case *c = &bad_cases[*i];
	struct hvsim_world *w = NULL;
	char *error = NULL;
	int r;

	r = hvsim_world_load_string(c->text, "t.ini", &w, &error);
	cr_assert_lt(r, 0, "case %zu loaded", *i);
	cr_assert_null(w);
	cr_assert_not_null(error, "case %zu: no message", *i);
	cr_assert_str_eq(error, c->message, "case %zu", *i);
	free(error);
}

Test(world, class_table_knows_every_class_of_proto)
{
	const struct hvsim_class *t;
	size_t n;

	t = hvsim_class_table(&n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(t[i].proto, "%s has no proto row", t[i].name);
		cr_assert_eq(hvsim_class_by_name(t[i].name), &t[i]);
	}
	cr_assert_eq(hvsim_class_by_name("kvp")->cdev, HVSIM_CDEV_KVP);
	cr_assert_eq(hvsim_cdev_kind_from_string("hv_vss"), HVSIM_CDEV_VSS);
	cr_assert_eq(hvsim_cdev_kind_from_string("fcopy"), HVSIM_CDEV_FCOPY);
	cr_assert_eq(hvsim_cdev_kind_from_string("nope"), -EINVAL);
}
