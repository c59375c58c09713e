/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake sysfs builder.  See sysfs.h.
 *
 * Formats follow vmbus_drv.c as PROTOCOL.md §9 lists them: id, state and
 * monitor_id "%d", class_id/device_id "{guid}", modalias "vmbus:<raw hex>",
 * device "0x%x", vendor "0x1414", channel_vp_mapping "relid:cpu" lines
 * (primary first), per-channel attributes in channels/<relid>/.  Monitor
 * attributes exist only for monitored channels, ring attributes only for
 * opened ones (a bound driver opened it; uio opens on first open of
 * /dev/uioN, and its ring lives in channels/<relid>/ring, a file of 2 x the
 * per-direction size that hvsim maps when the channel opens, uio-model.c).
 * A uio device can be removed and built again alone (rescind, re-offer).
 *
 * Symlinks are relative, as sysfs makes them, so the tree also reads
 * correctly when inspected from outside the world.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "proto/guid.h"
#include "sysfs.h"

/* Depth of a device directory below /sys ("devices/LNXSYSTM:00/.../<guid>"). */
#define UP_FROM_DEVICE "../../../../../../"

/* Ring sizes: hv_utils opens IC channels with 16 KiB per direction (4 KiB
 * header), uio_hv_generic the fcopy device with VMBUS_RING_SIZE(0x4000)
 * = 20 KiB per direction (§1.4, §8), other drivers use larger rings. */
#define UTIL_RING_DATA (12 * 1024)
#define UIO_FCOPY_RING (20 * 1024)
#define UIO_DEFAULT_RING (2 * 1024 * 1024)

static int mkdir_p(int rootfd, const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf; *p; p++) {
		if (*p != '/' || p == buf)
			continue;
		*p = '\0';
		if (mkdirat(rootfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdirat(rootfd, buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file(int rootfd, const char *path, mode_t mode, const char *fmt, ...) _printf_(4, 5);

static int write_file(int rootfd, const char *path, mode_t mode, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (n > 0 && write(fd, text, (size_t)n) != n)
		return -EIO;
	if (fchmod(fd, mode) < 0)
		return -errno;
	return 0;
}

static int make_link(int rootfd, const char *target, const char *path)
{
	if (symlinkat(target, rootfd, path) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A sparse file of the given size (binary attributes such as ring). */
static int make_sized(int rootfd, const char *path, mode_t mode, off_t size)
{
	_cleanup_close_ int fd = -EBADF;

	fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) < 0 || fchmod(fd, mode) < 0)
		return -errno;
	return 0;
}

/* snprintf into an array, -ENAMETOOLONG instead of a truncated path. */
#define FMT(buf, ...)                                                        \
	do {                                                                 \
		int _n = snprintf(buf, sizeof(buf), __VA_ARGS__);            \
		if (_n < 0 || (size_t)_n >= sizeof(buf))                     \
			return -ENAMETOOLONG;                                \
	} while (0)

#define TRY(expr)                   \
	do {                        \
		int _r = (expr);    \
		if (_r < 0)         \
			return _r;  \
	} while (0)

/* ---- CPUs and NUMA -------------------------------------------------------- */

static int cpumap_format(const struct hvsim_cpuset *s, unsigned n_cpus, char *buf, size_t size)
{
	/* The kernel's %*pb: 32-bit hex words, most significant first,
	 * comma-separated, covering nr_cpu_ids bits. */
	unsigned words = (n_cpus + 31) / 32;
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned w = words; w-- > 0;) {
		uint32_t v = (uint32_t)(s->bits[w / 2] >> (32 * (w % 2)));
		int k;

		if (w == words - 1 && n_cpus % 32)
			k = snprintf(buf + used, size - used, "%0*x", (int)((n_cpus % 32 + 3) / 4), v);
		else
			k = snprintf(buf + used, size - used, "%08x", v);
		if (k < 0 || (size_t)k >= size - used)
			return -ENOBUFS;
		used += (size_t)k;
		if (w > 0) {
			if (used + 1 >= size)
				return -ENOBUFS;
			buf[used++] = ',';
			buf[used] = '\0';
		}
	}
	return 0;
}

static int build_cpus(int rootfd, const struct hvsim_world *w)
{
	_cleanup_free_ char *list = NULL;
	struct hvsim_cpuset all = {}, offline = {};
	size_t list_size = 16 * HVSIM_MAX_CPUS;

	list = malloc(list_size);
	if (!list)
		return -ENOMEM;
	for (unsigned c = 0; c < w->n_cpus; c++) {
		hvsim_cpuset_add(&all, c);
		if (!hvsim_cpuset_has(&w->online, c))
			hvsim_cpuset_add(&offline, c);
	}
	TRY(mkdir_p(rootfd, "devices/system/cpu"));
	TRY(hvsim_cpulist_format(&all, list, list_size));
	TRY(write_file(rootfd, "devices/system/cpu/possible", 0444, "%s\n", list));
	TRY(write_file(rootfd, "devices/system/cpu/present", 0444, "%s\n", list));
	TRY(hvsim_cpulist_format(&w->online, list, list_size));
	TRY(write_file(rootfd, "devices/system/cpu/online", 0444, "%s\n", list));
	TRY(hvsim_cpulist_format(&offline, list, list_size));
	TRY(write_file(rootfd, "devices/system/cpu/offline", 0444, "%s\n", list));
	TRY(write_file(rootfd, "devices/system/cpu/kernel_max", 0444, "%d\n", HVSIM_MAX_CPUS - 1));

	for (unsigned c = 0; c < w->n_cpus; c++) {
		unsigned node = hvsim_world_cpu_node(w, c);
		struct hvsim_cpuset self = {};
		char path[128], target[64];

		hvsim_cpuset_add(&self, c);
		FMT(path, "devices/system/cpu/cpu%u/topology", c);
		TRY(mkdir_p(rootfd, path));
		/* x86 without CPU0 hotplug: cpu0 has no online file. */
		if (c > 0) {
			FMT(path, "devices/system/cpu/cpu%u/online", c);
			TRY(write_file(rootfd, path, 0644, "%d\n", hvsim_cpuset_has(&w->online, c) ? 1 : 0));
		}
		FMT(path, "devices/system/cpu/cpu%u/node%u", c, node);
		FMT(target, "../../node/node%u", node);
		TRY(make_link(rootfd, target, path));
		if (!hvsim_cpuset_has(&w->online, c))
			continue; /* topology is empty for offline CPUs */
		/* One thread per core, one package per NUMA node. */
		FMT(path, "devices/system/cpu/cpu%u/topology/core_id", c);
		TRY(write_file(rootfd, path, 0444, "%u\n", c));
		FMT(path, "devices/system/cpu/cpu%u/topology/physical_package_id", c);
		TRY(write_file(rootfd, path, 0444, "%u\n", node));
		FMT(path, "devices/system/cpu/cpu%u/topology/die_id", c);
		TRY(write_file(rootfd, path, 0444, "0\n"));
		TRY(hvsim_cpulist_format(&self, list, list_size));
		FMT(path, "devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		TRY(write_file(rootfd, path, 0444, "%s\n", list));
		FMT(path, "devices/system/cpu/cpu%u/topology/core_cpus_list", c);
		TRY(write_file(rootfd, path, 0444, "%s\n", list));
		TRY(hvsim_cpulist_format(&w->nodes[node], list, list_size));
		FMT(path, "devices/system/cpu/cpu%u/topology/core_siblings_list", c);
		TRY(write_file(rootfd, path, 0444, "%s\n", list));
		FMT(path, "devices/system/cpu/cpu%u/topology/package_cpus_list", c);
		TRY(write_file(rootfd, path, 0444, "%s\n", list));
	}
	return 0;
}

static int build_nodes(int rootfd, const struct hvsim_world *w)
{
	_cleanup_free_ char *list = NULL;
	struct hvsim_cpuset nodes = {};
	size_t list_size = 16 * HVSIM_MAX_CPUS;

	list = malloc(list_size);
	if (!list)
		return -ENOMEM;
	TRY(mkdir_p(rootfd, "devices/system/node"));
	for (unsigned n = 0; n < w->n_nodes; n++)
		hvsim_cpuset_add(&nodes, n);
	TRY(hvsim_cpulist_format(&nodes, list, list_size));
	TRY(write_file(rootfd, "devices/system/node/online", 0444, "%s\n", list));
	TRY(write_file(rootfd, "devices/system/node/possible", 0444, "%s\n", list));
	TRY(write_file(rootfd, "devices/system/node/has_normal_memory", 0444, "%s\n", list));
	TRY(write_file(rootfd, "devices/system/node/has_memory", 0444, "%s\n", list));
	/* has_cpu: nodes with at least one online CPU. */
	memset(&nodes, 0, sizeof(nodes));
	for (unsigned n = 0; n < w->n_nodes; n++)
		for (unsigned c = 0; c < w->n_cpus; c++)
			if (hvsim_cpuset_has(&w->nodes[n], c) && hvsim_cpuset_has(&w->online, c))
				hvsim_cpuset_add(&nodes, n);
	TRY(hvsim_cpulist_format(&nodes, list, list_size));
	TRY(write_file(rootfd, "devices/system/node/has_cpu", 0444, "%s\n", list));

	for (unsigned n = 0; n < w->n_nodes; n++) {
		struct hvsim_cpuset on = {};
		char path[128], target[64];

		for (unsigned c = 0; c < w->n_cpus; c++)
			if (hvsim_cpuset_has(&w->nodes[n], c) && hvsim_cpuset_has(&w->online, c))
				hvsim_cpuset_add(&on, c);
		FMT(path, "devices/system/node/node%u", n);
		TRY(mkdir_p(rootfd, path));
		/* Like the kernel: cpulist/cpumap show the node's online CPUs. */
		TRY(hvsim_cpulist_format(&on, list, list_size));
		FMT(path, "devices/system/node/node%u/cpulist", n);
		TRY(write_file(rootfd, path, 0444, "%s\n", list));
		TRY(cpumap_format(&on, w->n_cpus, list, list_size));
		FMT(path, "devices/system/node/node%u/cpumap", n);
		TRY(write_file(rootfd, path, 0444, "%s\n", list));
		for (unsigned c = 0; c < w->n_cpus; c++) {
			if (!hvsim_cpuset_has(&w->nodes[n], c))
				continue;
			FMT(path, "devices/system/node/node%u/cpu%u", n, c);
			FMT(target, "../../cpu/cpu%u", c);
			TRY(make_link(rootfd, target, path));
		}
	}
	return 0;
}

/* ---- VMBus ----------------------------------------------------------------- */

static bool channel_opened(const struct hvsim_device *d)
{
	/* hv_utils and the other drivers open channels at probe; uio opens
	 * on the first open of /dev/uioN; unbound devices stay offered. */
	return d->driver && strcmp(d->driver, "uio_hv_generic") != 0;
}

static bool is_uio(const struct hvsim_device *d)
{
	return d->driver && strcmp(d->driver, "uio_hv_generic") == 0;
}

static int build_channel(int rootfd, const char *devpath, const struct hvsim_device *d,
			 const struct hvsim_channel *ch)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	bool opened = channel_opened(d);

	FMT(dir, "%s/channels/%u", devpath, ch->relid);
	TRY(mkdir_p(rootfd, dir));
#define CH_FILE(name, mode, ...)                                            \
	do {                                                                \
		FMT(path, "%s/" name, dir);              \
		TRY(write_file(rootfd, path, mode, __VA_ARGS__));          \
	} while (0)
	CH_FILE("cpu", 0644, "%u\n", ch->target_cpu);
	CH_FILE("subchannel_id", 0444, "%u\n", ch->subchannel_id);
	CH_FILE("interrupts", 0444, "0\n");
	CH_FILE("events", 0444, "0\n");
	CH_FILE("intr_in_full", 0444, "0\n");
	CH_FILE("intr_out_empty", 0444, "0\n");
	CH_FILE("out_full_first", 0444, "0\n");
	CH_FILE("out_full_total", 0444, "0\n");
	if (opened) {
		CH_FILE("in_mask", 0444, "0\n");
		CH_FILE("out_mask", 0444, "0\n");
		CH_FILE("read_avail", 0444, "0\n");
		CH_FILE("write_avail", 0444, "%u\n", UTIL_RING_DATA);
	}
	if (ch->monitor_id >= 0) {
		CH_FILE("monitor_id", 0444, "%d\n", ch->monitor_id);
		CH_FILE("pending", 0444, "0\n");
		CH_FILE("latency", 0444, "0\n");
	}
#undef CH_FILE
	if (is_uio(d)) {
		FMT(path, "%s/ring", dir);
		TRY(make_sized(rootfd, path, 0600, 2 * (off_t)hvsim_sysfs_uio_ring_size(d)));
	}
	return 0;
}

static int build_device(int rootfd, const struct hvsim_device *d, unsigned index, unsigned *uio_minor,
			const struct hvsim_world *w)
{
	char guid[HV_GUID_STRING_MAX], cls[HV_GUID_STRING_MAX], modalias[HV_GUID_MODALIAS_MAX];
	char dev[PATH_MAX], path[PATH_MAX + 64], target[PATH_MAX + 64];
	struct hv_guid g;
	_cleanup_free_ char *mapping = NULL;
	size_t used = 0, mapping_size = 32 * HVSIM_MAX_CHANNELS;
	const struct hvsim_channel *primary = &d->channels[0];
	bool opened = channel_opened(d);

	memcpy(g.b, d->instance_guid, 16);
	hv_guid_to_string(&g, guid);
	memcpy(g.b, d->class_guid, 16);
	hv_guid_to_string(&g, cls);
	hv_guid_to_modalias(&g, modalias);

	FMT(dev, HVSIM_SYSFS_VMBUS_ROOT "/%s", guid);
	TRY(mkdir_p(rootfd, dev));
#define DEV_FILE(name, mode, ...)                                           \
	do {                                                                \
		FMT(path, "%s/" name, dev);              \
		TRY(write_file(rootfd, path, mode, __VA_ARGS__));          \
	} while (0)
	DEV_FILE("id", 0444, "%u\n", primary->relid);
	DEV_FILE("state", 0444, "%d\n", opened ? 3 : 0);
	DEV_FILE("class_id", 0444, "{%s}\n", cls);
	DEV_FILE("device_id", 0444, "{%s}\n", guid);
	DEV_FILE("modalias", 0444, "%s\n", modalias);
	DEV_FILE("numa_node", 0444, "%u\n", hvsim_world_cpu_node(w, primary->target_cpu));
	DEV_FILE("vendor", 0444, "0x1414\n");
	DEV_FILE("device", 0444, "0x%x\n", hvsim_device_type(d));
	DEV_FILE("driver_override", 0644, "(null)\n");
	if (d->driver)
		DEV_FILE("uevent", 0644, "DRIVER=%s\nMODALIAS=%s\n", d->driver, modalias);
	else
		DEV_FILE("uevent", 0644, "MODALIAS=%s\n", modalias);
	if (primary->monitor_id >= 0) {
		DEV_FILE("monitor_id", 0444, "%d\n", primary->monitor_id);
		DEV_FILE("server_monitor_pending", 0444, "0\n");
		DEV_FILE("client_monitor_pending", 0444, "0\n");
		DEV_FILE("server_monitor_latency", 0444, "0\n");
		DEV_FILE("client_monitor_latency", 0444, "0\n");
		DEV_FILE("server_monitor_conn_id", 0444, "%d\n", 1);
		DEV_FILE("client_monitor_conn_id", 0444, "%d\n", 1);
	}
	if (opened) {
		static const char *const ring_attrs[] = { "intr_mask", "read_index", "write_index",
							  "read_bytes_avail", "write_bytes_avail" };

		for (size_t i = 0; i < ELEMENTSOF(ring_attrs); i++) {
			FMT(path, "%s/out_%s", dev, ring_attrs[i]);
			TRY(write_file(rootfd, path, 0444, "%u\n", i == 4 ? UTIL_RING_DATA : 0));
			FMT(path, "%s/in_%s", dev, ring_attrs[i]);
			TRY(write_file(rootfd, path, 0444, "%u\n", i == 4 ? UTIL_RING_DATA : 0));
		}
	}
	FMT(path, "%s/power", dev);
	TRY(mkdir_p(rootfd, path));
	DEV_FILE("power/control", 0644, "auto\n");
	DEV_FILE("power/runtime_status", 0444, "unsupported\n");
#undef DEV_FILE

	mapping = malloc(mapping_size);
	if (!mapping)
		return -ENOMEM;
	mapping[0] = '\0';
	for (size_t c = 0; c < d->n_channels; c++) {
		int k = snprintf(mapping + used, mapping_size - used, "%u:%u\n", d->channels[c].relid,
				 d->channels[c].target_cpu);

		if (k < 0 || (size_t)k >= mapping_size - used)
			return -ENOBUFS;
		used += (size_t)k;
		TRY(build_channel(rootfd, dev, d, &d->channels[c]));
	}
	FMT(path, "%s/channel_vp_mapping", dev);
	TRY(write_file(rootfd, path, 0444, "%s", mapping));

	FMT(path, "%s/subsystem", dev);
	TRY(make_link(rootfd, UP_FROM_DEVICE "bus/vmbus", path));
	FMT(path, "bus/vmbus/devices/%s", guid);
	FMT(target, "../../../%s", dev);
	TRY(make_link(rootfd, target, path));

	if (d->driver) {
		FMT(path, "bus/vmbus/drivers/%s", d->driver);
		TRY(mkdir_p(rootfd, path));
		FMT(path, "%s/driver", dev);
		FMT(target, UP_FROM_DEVICE "bus/vmbus/drivers/%s", d->driver);
		TRY(make_link(rootfd, target, path));
		FMT(path, "bus/vmbus/drivers/%s/%s", d->driver, guid);
		FMT(target, "../../../../%s", dev);
		TRY(make_link(rootfd, target, path));
	}

	if (is_uio(d)) {
		unsigned minor = (*uio_minor)++;
		char uio[PATH_MAX];

		FMT(uio, "%s/uio/uio%u", dev, minor);
		FMT(path, "%s/maps/map0", uio);
		TRY(mkdir_p(rootfd, path));
		FMT(path, "%s/name", uio);
		TRY(write_file(rootfd, path, 0444, "%s\n", guid));
		FMT(path, "%s/version", uio);
		TRY(write_file(rootfd, path, 0444, "0.02.1\n"));
		FMT(path, "%s/event", uio);
		TRY(write_file(rootfd, path, 0444, "0\n"));
		FMT(path, "%s/dev", uio);
		TRY(write_file(rootfd, path, 0444, "%u:%u\n", 240u, minor));
		FMT(path, "%s/maps/map0/name", uio);
		TRY(write_file(rootfd, path, 0444, "txrx_rings\n"));
		FMT(path, "%s/maps/map0/offset", uio);
		TRY(write_file(rootfd, path, 0444, "0x0\n"));
		FMT(path, "%s/maps/map0/size", uio);
		TRY(write_file(rootfd, path, 0444, "0x%x\n", 2 * hvsim_sysfs_uio_ring_size(d)));
		FMT(path, "class/uio/uio%u", minor);
		FMT(target, "../../%s/uio/uio%u", dev, minor);
		TRY(make_link(rootfd, target, path));
	}
	(void)index;
	return 0;
}

static int build_vmbus(int rootfd, const struct hvsim_world *w)
{
	static const char *const always[] = { "hv_utils", "uio_hv_generic" };
	unsigned uio_minor = 0;

	TRY(mkdir_p(rootfd, HVSIM_SYSFS_VMBUS_ROOT));
	TRY(write_file(rootfd, HVSIM_SYSFS_VMBUS_ROOT "/uevent", 0644, "DRIVER=vmbus\n"));
	TRY(mkdir_p(rootfd, "bus/vmbus/devices"));
	TRY(mkdir_p(rootfd, "bus/vmbus/drivers"));
	TRY(mkdir_p(rootfd, "class/uio"));
	TRY(write_file(rootfd, "bus/vmbus/drivers_autoprobe", 0644, "1\n"));
	TRY(write_file(rootfd, "bus/vmbus/drivers_probe", 0200, "%s", ""));
	TRY(write_file(rootfd, "bus/vmbus/uevent", 0200, "%s", ""));
	TRY(write_file(rootfd, "bus/vmbus/hibernation", 0444, "%d\n", w->hibernation ? 1 : 0));

	for (size_t i = 0; i < w->n_devices; i++)
		TRY(build_device(rootfd, w->devices[i], (unsigned)i, &uio_minor, w));

	/* Driver directories: every driver in use, plus the two util
	 * drivers a Hyper-V guest always has loaded. */
	for (size_t i = 0; i < ELEMENTSOF(always); i++) {
		char path[128];

		FMT(path, "bus/vmbus/drivers/%s", always[i]);
		TRY(mkdir_p(rootfd, path));
	}
	for (size_t i = 0; i < w->n_devices + ELEMENTSOF(always); i++) {
		const char *drv = i < w->n_devices ? w->devices[i]->driver : always[i - w->n_devices];
		static const char *const files[] = { "bind", "unbind", "uevent" };
		char path[128];

		if (!drv)
			continue;
		for (size_t f = 0; f < ELEMENTSOF(files); f++) {
			FMT(path, "bus/vmbus/drivers/%s/%s", drv, files[f]);
			TRY(write_file(rootfd, path, 0200, "%s", ""));
		}
		/* new_id/remove_id: uio_hv_generic has no static id table. */
		if (strcmp(drv, "uio_hv_generic") == 0) {
			FMT(path, "bus/vmbus/drivers/%s/new_id", drv);
			TRY(write_file(rootfd, path, 0200, "%s", ""));
			FMT(path, "bus/vmbus/drivers/%s/remove_id", drv);
			TRY(write_file(rootfd, path, 0200, "%s", ""));
		}
	}
	return 0;
}

int hvsim_sysfs_build(int rootfd, const struct hvsim_world *w)
{
	static const char *const top[] = { "block", "bus", "class", "dev/block", "dev/char", "devices",
					   "firmware", "fs", "fs/cgroup", "hypervisor", "kernel", "module",
					   "power", "class/net", "devices/virtual/net", "class/misc" };

	for (size_t i = 0; i < ELEMENTSOF(top); i++)
		TRY(mkdir_p(rootfd, top[i]));
	TRY(build_vmbus(rootfd, w));
	TRY(build_cpus(rootfd, w));
	TRY(build_nodes(rootfd, w));
	return 0;
}

/* ---- uio devices: sizes, paths, rescind and re-offer ------------------------- */

uint32_t hvsim_sysfs_uio_ring_size(const struct hvsim_device *d)
{
	if (d->ring_size)
		return d->ring_size;
	return d->cls && d->cls->cdev == HVSIM_CDEV_FCOPY ? UIO_FCOPY_RING : UIO_DEFAULT_RING;
}

int hvsim_sysfs_uio_minor(const struct hvsim_world *w, const struct hvsim_device *d)
{
	int minor = 0;

	if (!is_uio(d))
		return -ENODEV;
	/* build_vmbus() numbers them in device order. */
	for (size_t i = 0; i < w->n_devices; i++) {
		if (w->devices[i] == d)
			return minor;
		if (is_uio(w->devices[i]))
			minor++;
	}
	return -ENODEV;
}

int hvsim_sysfs_ring_path(const struct hvsim_device *d, char *buf, size_t size)
{
	char guid[HV_GUID_STRING_MAX];
	struct hv_guid g;
	int n;

	memcpy(g.b, d->instance_guid, 16);
	hv_guid_to_string(&g, guid);
	n = snprintf(buf, size, HVSIM_SYSFS_VMBUS_ROOT "/%s/channels/%u/ring", guid, d->channels[0].relid);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* rm -r of dirfd/name (name itself included). */
static int remove_tree(int dirfd, const char *name)
{
	_cleanup_close_ int fd = -EBADF;
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = remove_tree(fd, de->d_name);
		if (r < 0)
			break;
	}
	closedir(dir);
	if (r < 0)
		return r;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int hvsim_sysfs_remove_device(int rootfd, const struct hvsim_world *w, const struct hvsim_device *d)
{
	char guid[HV_GUID_STRING_MAX], path[PATH_MAX];
	struct hv_guid g;
	int minor = hvsim_sysfs_uio_minor(w, d);

	memcpy(g.b, d->instance_guid, 16);
	hv_guid_to_string(&g, guid);
	if (minor >= 0) {
		FMT(path, "class/uio/uio%d", minor);
		if (unlinkat(rootfd, path, 0) < 0 && errno != ENOENT)
			return -errno;
	}
	if (d->driver) {
		FMT(path, "bus/vmbus/drivers/%s/%s", d->driver, guid);
		if (unlinkat(rootfd, path, 0) < 0 && errno != ENOENT)
			return -errno;
	}
	FMT(path, "bus/vmbus/devices/%s", guid);
	if (unlinkat(rootfd, path, 0) < 0 && errno != ENOENT)
		return -errno;
	FMT(path, HVSIM_SYSFS_VMBUS_ROOT "/%s", guid);
	return remove_tree(rootfd, path);
}

int hvsim_sysfs_add_device(int rootfd, const struct hvsim_world *w, const struct hvsim_device *d)
{
	int minor = hvsim_sysfs_uio_minor(w, d);
	unsigned next = minor >= 0 ? (unsigned)minor : 0;

	return build_device(rootfd, d, 0, &next, w);
}
