/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * World objects: the class table (names over proto/vmbus-class.h), GUID
 * text, cpulists, devices and lookups, and the built-in default world.
 * Reading world files is world-file.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hvutil.h"
#include "proto/guid.h"
#include "proto/vmbus-class.h"
#include "vss-world.h"
#include "world.h"

/* ---- classes ---------------------------------------------------------- */

static struct hvsim_class class_table[] = {
	{ "shutdown", "HV_SHUTDOWN", "hv_utils", true, _HVSIM_CDEV_INVALID, NULL },
	{ "timesync", "HV_TS", "hv_utils", true, _HVSIM_CDEV_INVALID, NULL },
	{ "heartbeat", "HV_HEART_BEAT", "hv_utils", true, _HVSIM_CDEV_INVALID, NULL },
	{ "kvp", "HV_KVP", "hv_utils", true, HVSIM_CDEV_KVP, NULL },
	{ "vss", "HV_VSS", "hv_utils", true, HVSIM_CDEV_VSS, NULL },
	{ "fcopy", "HV_FCOPY", "hv_utils", true, HVSIM_CDEV_FCOPY, NULL },
	{ "dm", "HV_DM", "hv_balloon", false, _HVSIM_CDEV_INVALID, NULL },
	{ "nic", "HV_NIC", "hv_netvsc", false, _HVSIM_CDEV_INVALID, NULL },
	{ "scsi", "HV_SCSI", "hv_storvsc", false, _HVSIM_CDEV_INVALID, NULL },
	{ "ide", "HV_IDE", "hv_storvsc", false, _HVSIM_CDEV_INVALID, NULL },
	{ "mouse", "HV_MOUSE", "hid_hyperv", false, _HVSIM_CDEV_INVALID, NULL },
	{ "keyboard", "HV_KBD", "hyperv_keyboard", false, _HVSIM_CDEV_INVALID, NULL },
	{ "synthvid", "HV_SYNTHVID", "hyperv_drm", false, _HVSIM_CDEV_INVALID, NULL },
	{ "synthfc", "HV_SYNTHFC", "hv_storvsc", false, _HVSIM_CDEV_INVALID, NULL },
	{ "nd", "HV_ND", NULL, false, _HVSIM_CDEV_INVALID, NULL },
	{ "pcie", "HV_PCIE", "hv_pci", false, _HVSIM_CDEV_INVALID, NULL },
};

/* Links each row to proto's table once; rows proto does not know are
 * skipped by lookups (proto stays NULL). */
static void class_table_init(void)
{
	static bool done;

	if (done)
		return;
	for (size_t i = 0; i < ELEMENTSOF(class_table); i++)
		class_table[i].proto = hv_vmbus_class_by_name(class_table[i].proto_name);
	done = true;
}

const struct hvsim_class *hvsim_class_table(size_t *ret_n)
{
	class_table_init();
	*ret_n = ELEMENTSOF(class_table);
	return class_table;
}

const struct hvsim_class *hvsim_class_by_name(const char *name)
{
	class_table_init();
	for (size_t i = 0; i < ELEMENTSOF(class_table); i++)
		if (class_table[i].proto && strcmp(class_table[i].name, name) == 0)
			return &class_table[i];
	return NULL;
}

const struct hvsim_class *hvsim_class_by_guid(const uint8_t guid[16])
{
	struct hv_guid g;

	class_table_init();
	memcpy(g.b, guid, 16);
	for (size_t i = 0; i < ELEMENTSOF(class_table); i++) {
		struct hv_guid cg;

		if (class_table[i].proto && hv_guid_from_string(class_table[i].proto->guid, &cg) == 0 &&
		    hv_guid_equal(&cg, &g))
			return &class_table[i];
	}
	return NULL;
}

static const char *const cdev_kind_table[_HVSIM_CDEV_MAX] = {
	[HVSIM_CDEV_KVP] = "kvp",
	[HVSIM_CDEV_VSS] = "vss",
	[HVSIM_CDEV_FCOPY] = "fcopy",
};
static const char *const cdev_node_table[_HVSIM_CDEV_MAX] = {
	[HVSIM_CDEV_KVP] = "hv_kvp",
	[HVSIM_CDEV_VSS] = "hv_vss",
	[HVSIM_CDEV_FCOPY] = "hv_fcopy",
};

const char *hvsim_cdev_kind_to_string(enum hvsim_cdev_kind k)
{
	return k >= 0 && k < _HVSIM_CDEV_MAX ? cdev_kind_table[k] : NULL;
}

enum hvsim_cdev_kind hvsim_cdev_kind_from_string(const char *s)
{
	ssize_t i = hv_string_table_lookup(cdev_kind_table, ELEMENTSOF(cdev_kind_table), s);

	if (i < 0)
		i = hv_string_table_lookup(cdev_node_table, ELEMENTSOF(cdev_node_table), s);
	return i < 0 ? -EINVAL : (enum hvsim_cdev_kind)i;
}

const char *hvsim_cdev_kind_node_name(enum hvsim_cdev_kind k)
{
	return k >= 0 && k < _HVSIM_CDEV_MAX ? cdev_node_table[k] : NULL;
}

enum hvsim_cdev_kind hvsim_device_cdev(const struct hvsim_device *d)
{
	if (!d->cls || d->cls->cdev == _HVSIM_CDEV_INVALID || !d->driver)
		return _HVSIM_CDEV_INVALID;
	if (strcmp(d->driver, "hv_utils") != 0)
		return _HVSIM_CDEV_INVALID;
	return d->cls->cdev;
}

unsigned hvsim_device_type(const struct hvsim_device *d)
{
	struct hv_guid g;
	const struct hv_vmbus_class *c;

	memcpy(g.b, d->class_guid, 16);
	c = hv_vmbus_class_by_guid(&g);
	return c ? (unsigned)c->dev_type : (unsigned)HV_VMBUS_DEV_UNKNOWN;
}

/* ---- GUIDs -------------------------------------------------------------- */

int hvsim_guid_parse(const char *s, uint8_t ret[16])
{
	struct hv_guid g;
	int r;

	r = hv_guid_from_string(s, &g);
	if (r < 0)
		return r;
	memcpy(ret, g.b, 16);
	return 0;
}

void hvsim_guid_format(const uint8_t g[16], char buf[static 37])
{
	struct hv_guid x;

	memcpy(x.b, g, 16);
	hv_guid_to_string(&x, buf);
}

/* ---- cpulists ------------------------------------------------------------ */

int hvsim_parse_uint(const char *s, const char **end, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -ERANGE;
		p++;
	}
	*end = p;
	*ret = v;
	return 0;
}

int hvsim_cpulist_parse(const char *s, unsigned limit, struct hvsim_cpuset *ret)
{
	struct hvsim_cpuset set = {};
	const char *p = s;

	while (isspace((unsigned char)*p))
		p++;
	while (*p) {
		unsigned long a, b;
		int r;

		r = hvsim_parse_uint(p, &p, HVSIM_MAX_CPUS, &a);
		if (r < 0)
			return r;
		b = a;
		if (*p == '-') {
			r = hvsim_parse_uint(p + 1, &p, HVSIM_MAX_CPUS, &b);
			if (r < 0)
				return r;
			if (b < a)
				return -EINVAL;
		}
		if (b >= limit)
			return -ERANGE;
		for (unsigned long c = a; c <= b; c++)
			hvsim_cpuset_add(&set, (unsigned)c);
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',') {
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (!*p)
				return -EINVAL;
		} else if (*p) {
			return -EINVAL;
		}
	}
	*ret = set;
	return 0;
}

int hvsim_cpulist_format(const struct hvsim_cpuset *s, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (unsigned c = 0; c < HVSIM_MAX_CPUS; c++) {
		unsigned e;
		int k;

		if (!hvsim_cpuset_has(s, c))
			continue;
		e = c;
		while (e + 1 < HVSIM_MAX_CPUS && hvsim_cpuset_has(s, e + 1))
			e++;
		if (e == c)
			k = snprintf(buf + n, size - n, "%s%u", n ? "," : "", c);
		else
			k = snprintf(buf + n, size - n, "%s%u-%u", n ? "," : "", c, e);
		if (k < 0 || (size_t)k >= size - n)
			return -ENOBUFS;
		n += (size_t)k;
		c = e;
	}
	return (int)n;
}

unsigned hvsim_cpuset_count(const struct hvsim_cpuset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < ELEMENTSOF(s->bits); i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

/* ---- world objects ------------------------------------------------------ */

static struct hvsim_device *device_free(struct hvsim_device *d)
{
	if (d) {
		free(d->name);
		free(d->driver);
		free(d);
	}
	return NULL;
}

struct hvsim_world *hvsim_world_free(struct hvsim_world *w)
{
	if (!w)
		return NULL;
	for (size_t i = 0; i < w->n_devices; i++)
		device_free(w->devices[i]);
	hvsim_vss_spec_free(w->vss);
	free(w->name);
	free(w->source);
	free(w);
	return NULL;
}

struct hvsim_world *hvsim_world_new_empty(void)
{
	struct hvsim_world *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->kernel.kvp_timeout_ms = 30 * 1000;
	w->kernel.vss_timeout_ms = 30 * 1000;
	w->kernel.vss_freeze_timeout_ms = 900 * 1000;
	w->kernel.fcopy_timeout_ms = 30 * 1000;
	w->hibernation = true;
	return w;
}

struct hvsim_device *hvsim_world_add_device(struct hvsim_world *w, const char *name)
{
	struct hvsim_device *d;

	if (w->n_devices >= HVSIM_MAX_DEVICES)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->name = strdup(name);
	if (!d->name)
		return device_free(d);
	d->channels[0].monitor_id = -1;
	d->n_channels = 1;
	w->devices[w->n_devices++] = d;
	return d;
}

void hvsim_world_remove_device(struct hvsim_world *w, size_t i)
{
	device_free(w->devices[i]);
	memmove(&w->devices[i], &w->devices[i + 1], (w->n_devices - i - 1) * sizeof(w->devices[0]));
	w->n_devices--;
}

const struct hvsim_device *hvsim_world_find_device(const struct hvsim_world *w, const char *name)
{
	for (size_t i = 0; i < w->n_devices; i++)
		if (strcmp(w->devices[i]->name, name) == 0)
			return w->devices[i];
	return NULL;
}

const struct hvsim_device *hvsim_world_find_cdev(const struct hvsim_world *w, enum hvsim_cdev_kind k)
{
	for (size_t i = 0; i < w->n_devices; i++)
		if (hvsim_device_cdev(w->devices[i]) == k)
			return w->devices[i];
	return NULL;
}

unsigned hvsim_world_cpu_node(const struct hvsim_world *w, unsigned cpu)
{
	for (unsigned n = 0; n < w->n_nodes; n++)
		if (hvsim_cpuset_has(&w->nodes[n], cpu))
			return n;
	return 0;
}

/* ---- the built-in default world ------------------------------------------ */

/*
 * A Gen2 VM: instance GUIDs of the integration components as Hyper-V
 * offers them (fcopy's fixed instance is the one hv_fcopy_uio_daemon
 * hard-codes), relids in the range a real VM shows, IC channels on CPU 0
 * (the kernel keeps util channels on the connect CPU), the NIC and SCSI
 * controller with one sub-channel per further CPU.
 */
static const char default_world_text[] =
	"[world]\n"
	"name = default\n"
	"[cpus]\n"
	"count = 4\n"
	"[numa]\n"
	"node0 = 0-3\n"
	"[device dm]\n"
	"class = dm\ninstance = 1eccfd72-4b41-45ef-b73a-4a6e44c12924\nrelid = 1\n"
	"[device timesync]\n"
	"class = timesync\ninstance = 2dd1ce17-079e-403c-b352-a1921ee207ee\nrelid = 2\n"
	"[device heartbeat]\n"
	"class = heartbeat\ninstance = fd149e91-82e0-4a7d-afa6-2a4166cbd7c0\nrelid = 3\n"
	"[device kvp]\n"
	"class = kvp\ninstance = 242ff919-07db-4180-9c2e-b86cb68c8c55\nrelid = 4\n"
	"[device vss]\n"
	"class = vss\ninstance = 2450ee40-33bf-4fbd-892e-9fb06e9214cf\nrelid = 5\n"
	"[device fcopy]\n"
	"class = fcopy\ninstance = eb765408-105f-49b6-b4aa-c123b64d17d4\nrelid = 6\n"
	"[device shutdown]\n"
	"class = shutdown\ninstance = b6650ff7-33bc-4840-8048-e0676786f393\nrelid = 7\n"
	"[device synthvid]\n"
	"class = synthvid\ninstance = 5620e0c7-8062-4dce-aeb7-520c7ef76171\nrelid = 8\n"
	"[device keyboard]\n"
	"class = keyboard\ninstance = d34b2567-b9b6-42b9-8778-0a4ec0b955bf\nrelid = 9\n"
	"[device mouse]\n"
	"class = mouse\ninstance = 58f75a6d-d949-4320-99e1-a2a2576d581c\nrelid = 10\n"
	"[device scsi]\n"
	"class = scsi\ninstance = f8b3781b-1e82-4818-a1c3-63d806ec15bb\nrelid = 11\n"
	"monitor_id = 1\nsubchannels = 16:1, 17:2, 18:3\n"
	"[device nic]\n"
	"class = nic\ninstance = 0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5\nrelid = 12\n"
	"monitor_id = 2\nsubchannels = 13:1, 14:2, 15:3\n";

int hvsim_world_new_default(struct hvsim_world **ret)
{
	struct hvsim_world *w = NULL;
	int r;

	r = hvsim_world_load_string(default_world_text, "built-in default", &w, NULL);
	if (r < 0)
		return r;
	free(w->source);
	w->source = strdup("built-in default");
	if (!w->source) {
		hvsim_world_free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}
