/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMBus sysfs snapshot (PROTOCOL.md §9).
 *
 * Why readdir through the path context and not udev_enumerate: libudev
 * (sd-device, systemd 252 here) refuses every device whose directory is
 * not on a real sysfs mount (fstatfs() must say SYSFS_MAGIC; only
 * $SYSTEMD_DEVICE_VERIFY_SYSFS=0 turns the check off).  hvsim's /sys and
 * the fixture trees are ordinary directories, so under libudev both would
 * show no devices at all, and the one code path that matters in tests
 * would be a different one from production.  /sys/bus/vmbus/devices is
 * the kernel's stable ABI (Documentation/ABI/stable/sysfs-bus-vmbus), so
 * reading it directly loses nothing: libudev would only hand us the same
 * directory entries and attribute files.  libudev stays the right tool
 * for what only udev knows (the monitor for hot-added channels, udev
 * database properties); nothing in this module needs either.
 *
 * Per device: id, class_id, device_id, device, numa_node, the driver
 * symlink (or DRIVER= in uevent), channel_vp_mapping and
 * channels/<relid>/{cpu, subchannel_id, interrupts, events}.  Channels are the union of channels/ and
 * channel_vp_mapping (kernels before channels/ existed only have the
 * latter), keyed by relid; a CPU from channels/<relid>/cpu wins because
 * that file is the live, writable one.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/guid-text.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "sysfs.h"

/* sysfs attributes are at most a page; channel_vp_mapping is the longest. */
#define SYSFS_ATTR_MAX (64 * 1024)

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Strict decimal: optional '-' only when min < 0, digits, nothing else. */
static int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && min < 0 && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* "0x%x" as the kernel prints `device`. */
static int parse_hex_int(const char *s, int *ret)
{
	char *end;
	unsigned long v;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !isxdigit((unsigned char)s[2]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s + 2, &end, 16);
	if (errno == ERANGE || v > INT_MAX)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* An attribute value fit for a log line: at most 48 bytes, anything not
 * printable ASCII as \xNN, so a broken attribute cannot talk to the
 * terminal that reads the log. */
#define PRINTABLE_MAX (48 * 4 + 4)
static const char *printable(const char *s, char buf[static PRINTABLE_MAX])
{
	size_t k = 0, i;

	for (i = 0; s[i] && i < 48; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[k++] = (char)c;
		else
			k += (size_t)snprintf(buf + k, PRINTABLE_MAX - k, "\\x%02x", c);
	}
	if (s[i])
		k += (size_t)snprintf(buf + k, PRINTABLE_MAX - k, "...");
	buf[k] = '\0';
	return buf;
}

static int read_attr(const struct hv_path *p, const char *dir, const char *attr, char **ret)
{
	_cleanup_free_ char *abs = NULL;

	if (asprintf(&abs, "%s/%s", dir, attr) < 0)
		return -ENOMEM;
	return hv_path_read_text(p, abs, SYSFS_ATTR_MAX, ret);
}

/*
 * Read an integer attribute into *value (left alone when the attribute is
 * missing or malformed).  Returns -ENOMEM only; every other problem is
 * logged at debug level and, for malformed values, flagged.
 */
static int read_int_attr(const struct hv_path *p, const char *dir, const char *attr, int64_t min,
			 int64_t max, int64_t *value, unsigned *malformed, unsigned bit)
{
	_cleanup_free_ char *s = NULL;
	int64_t v;
	int r;

	r = read_attr(p, dir, attr, &s);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT)
			hv_log_debug_errno(r, "%s/%s: cannot read: %m", dir, attr);
		return 0;
	}
	r = parse_int64(s, min, max, &v);
	if (r < 0) {
		char buf[PRINTABLE_MAX];

		hv_log_debug("%s/%s: '%s' is not a number in [%" PRId64 ", %" PRId64 "], ignoring",
			     dir, attr, printable(s, buf), min, max);
		*malformed |= bit;
		return 0;
	}
	*value = v;
	return 0;
}

static int read_guid_attr(const struct hv_path *p, const char *dir, const char *attr,
			  char value[static HV_VMBUS_GUID_STRING_MAX], unsigned *malformed, unsigned bit)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = read_attr(p, dir, attr, &s);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT)
			hv_log_debug_errno(r, "%s/%s: cannot read: %m", dir, attr);
		return 0;
	}
	if (hv_guid_text_normalize(s, value) < 0) {
		char buf[PRINTABLE_MAX];

		hv_log_debug("%s/%s: '%s' is not a GUID, ignoring", dir, attr, printable(s, buf));
		*malformed |= bit;
	}
	return 0;
}

/* DRIVER= from the device's uevent file (the kernel adds it when a driver
 * is bound); *ret stays NULL when there is none. */
static int read_uevent_driver(const struct hv_path *p, const char *dir, char **ret)
{
	_cleanup_free_ char *s = NULL;
	char *line, *save = NULL;
	int r;

	r = read_attr(p, dir, "uevent", &s);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "DRIVER=", 7) == 0 && line[7] && !strchr(line + 7, '/')) {
			*ret = strdup(line + 7);
			return *ret ? 0 : -ENOMEM;
		}
	return 0;
}

/*
 * The bound driver: the basename of the `driver` symlink, else DRIVER= in
 * uevent (the same fact, from the same kernel object).  The fallback is
 * what makes copies of sysfs work whose symlinks were turned into
 * directories (tar -h, as `make dist` does with the fixture trees).
 * *ret stays NULL when unbound.
 */
static int read_driver(const struct hv_path *p, const char *dir, char **ret)
{
	_cleanup_free_ char *link = NULL;
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	link = hv_path_getf(p, "%s/driver", dir);
	if (!link)
		return -ENOMEM;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT && errno != EINVAL)
			hv_log_debug_errno(hv_negative_errno(), "%s/driver: cannot read link: %m", dir);
		return read_uevent_driver(p, dir, ret);
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!*base)
		return read_uevent_driver(p, dir, ret);
	*ret = strdup(base);
	return *ret ? 0 : -ENOMEM;
}

static struct hv_vmbus_channel *channel_get(struct hv_vmbus_device *d, uint32_t relid, size_t *cap)
{
	struct hv_vmbus_channel *c;

	for (size_t i = 0; i < d->n_channels; i++)
		if (d->channels[i].relid == relid)
			return &d->channels[i];
	if (d->n_channels >= HV_VMBUS_MAX_CHANNELS) {
		errno = E2BIG;
		return NULL;
	}
	if (d->n_channels == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;

		c = reallocarray(d->channels, ncap, sizeof(*c));
		if (!c) {
			errno = ENOMEM;
			return NULL;
		}
		d->channels = c;
		*cap = ncap;
	}
	c = &d->channels[d->n_channels++];
	*c = (struct hv_vmbus_channel){
		.relid = relid,
		.target_cpu = -1,
		.subchannel_id = -1,
		.interrupts = -1,
		.events = -1,
	};
	return c;
}

/* channels/<relid>/: one directory per open channel. */
static int read_channels_dir(const struct hv_path *p, const char *dir, struct hv_vmbus_device *d,
			     size_t *cap)
{
	_cleanup_(closedirp) DIR *dp = NULL;
	_cleanup_free_ char *chdir_abs = NULL;
	struct dirent *de;

	if (asprintf(&chdir_abs, "%s/channels", dir) < 0)
		return -ENOMEM;
	dp = hv_path_opendir(p, chdir_abs);
	if (!dp) {
		if (errno == ENOMEM)
			return -ENOMEM;
		if (errno != ENOENT)
			hv_log_debug_errno(hv_negative_errno(), "%s: cannot open: %m", chdir_abs);
		return 0;
	}
	while ((errno = 0, de = readdir(dp))) {
		_cleanup_free_ char *cdir = NULL;
		struct hv_vmbus_channel *c;
		int64_t relid;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (parse_int64(de->d_name, 0, UINT32_MAX, &relid) < 0) {
			char buf[PRINTABLE_MAX];

			hv_log_debug("%s/%s: not a channel number, ignoring", chdir_abs,
				     printable(de->d_name, buf));
			d->malformed |= HV_VMBUS_ATTR_CHANNELS;
			continue;
		}
		c = channel_get(d, (uint32_t)relid, cap);
		if (!c)
			return -errno;
		if (asprintf(&cdir, "%s/%s", chdir_abs, de->d_name) < 0)
			return -ENOMEM;
		r = read_int_attr(p, cdir, "cpu", 0, INT32_MAX, &c->target_cpu, &d->malformed,
				  HV_VMBUS_ATTR_CHANNELS);
		if (r >= 0)
			r = read_int_attr(p, cdir, "subchannel_id", 0, UINT16_MAX, &c->subchannel_id,
					  &d->malformed, HV_VMBUS_ATTR_CHANNELS);
		if (r >= 0)
			r = read_int_attr(p, cdir, "interrupts", 0, INT64_MAX, &c->interrupts,
					  &d->malformed, HV_VMBUS_ATTR_CHANNELS);
		if (r >= 0)
			r = read_int_attr(p, cdir, "events", 0, INT64_MAX, &c->events, &d->malformed,
					  HV_VMBUS_ATTR_CHANNELS);
		if (r < 0)
			return r;
	}
	if (errno != 0)
		return hv_log_debug_errno(hv_negative_errno(), "%s: readdir: %m", chdir_abs);
	return 0;
}

/* channel_vp_mapping: "<relid>:<cpu>" per line, primary first. */
static int read_vp_mapping(const struct hv_path *p, const char *dir, struct hv_vmbus_device *d,
			   size_t *cap)
{
	_cleanup_free_ char *s = NULL;
	char *line, *save = NULL;
	int r;

	r = read_attr(p, dir, "channel_vp_mapping", &s);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT)
			hv_log_debug_errno(r, "%s/channel_vp_mapping: cannot read: %m", dir);
		return 0;
	}
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct hv_vmbus_channel *c;
		char *colon = strchr(line, ':');
		int64_t relid, cpu;

		char buf[PRINTABLE_MAX];

		if (colon)
			*colon = '\0';
		if (!colon || parse_int64(line, 0, UINT32_MAX, &relid) < 0 ||
		    parse_int64(colon + 1, 0, INT32_MAX, &cpu) < 0) {
			if (colon)
				*colon = ':';
			d->malformed |= HV_VMBUS_ATTR_CHANNEL_VP_MAPPING;
			hv_log_debug("%s/channel_vp_mapping: '%s' is not <relid>:<cpu>, ignoring", dir,
				     printable(line, buf));
			continue;
		}
		c = channel_get(d, (uint32_t)relid, cap);
		if (!c)
			return -errno;
		if (c->target_cpu < 0)
			c->target_cpu = cpu;
	}
	return 0;
}

static int channel_compare(const void *a, const void *b)
{
	const struct hv_vmbus_channel *x = a, *y = b;

	return (x->relid > y->relid) - (x->relid < y->relid);
}

static void device_done(struct hv_vmbus_device *d)
{
	free(d->name);
	free(d->sysfs_path);
	free(d->driver);
	free(d->channels);
	*d = (struct hv_vmbus_device){ 0 };
}

/* Fills *d from /sys/bus/vmbus/devices/<name>; -ENODEV when it is gone. */
static int device_read(const struct hv_path *p, const char *name, struct hv_vmbus_device *d)
{
	size_t cap = 0;
	int64_t v;
	int r;

	*d = (struct hv_vmbus_device){ .id = -1, .device_type = -1, .numa_node = -1 };
	d->name = strdup(name);
	if (!d->name || asprintf(&d->sysfs_path, HV_VMBUS_SYSFS_DEVICES "/%s", name) < 0) {
		d->sysfs_path = NULL;
		return -ENOMEM;
	}

	/* Gone since readdir (hot removal): not an error, just not there. */
	r = hv_path_access(p, d->sysfs_path, F_OK);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;

	r = read_int_attr(p, d->sysfs_path, "id", 0, UINT32_MAX, &d->id, &d->malformed,
			  HV_VMBUS_ATTR_ID);
	if (r < 0)
		return r;
	r = read_guid_attr(p, d->sysfs_path, "class_id", d->class_id, &d->malformed,
			   HV_VMBUS_ATTR_CLASS_ID);
	if (r < 0)
		return r;
	r = read_guid_attr(p, d->sysfs_path, "device_id", d->device_id, &d->malformed,
			   HV_VMBUS_ATTR_DEVICE_ID);
	if (r < 0)
		return r;
	/* The kernel names the directory after the instance GUID. */
	if (!d->device_id[0])
		(void)hv_guid_text_normalize(name, d->device_id);

	{
		_cleanup_free_ char *s = NULL;

		r = read_attr(p, d->sysfs_path, "device", &s);
		if (r == -ENOMEM)
			return r;
		if (r >= 0 && parse_hex_int(s, &d->device_type) < 0) {
			char buf[PRINTABLE_MAX];

			hv_log_debug("%s/device: '%s' is not 0x<hex>, ignoring", d->sysfs_path,
				     printable(s, buf));
			d->malformed |= HV_VMBUS_ATTR_DEVICE;
		}
	}

	v = -1;
	r = read_int_attr(p, d->sysfs_path, "numa_node", -1, INT32_MAX, &v, &d->malformed,
			  HV_VMBUS_ATTR_NUMA_NODE);
	if (r < 0)
		return r;
	d->numa_node = (int)v;

	r = read_driver(p, d->sysfs_path, &d->driver);
	if (r < 0)
		return r;

	r = read_channels_dir(p, d->sysfs_path, d, &cap);
	if (r < 0)
		return r;
	r = read_vp_mapping(p, d->sysfs_path, d, &cap);
	if (r < 0)
		return r;
	if (d->n_channels > 1)
		qsort(d->channels, d->n_channels, sizeof(*d->channels), channel_compare);
	return 0;
}

static bool name_is_valid(const char *name)
{
	return name && name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < NAME_MAX;
}

int hv_vmbus_device_load(const struct hv_path *path, const char *name, struct hv_vmbus_device **ret)
{
	_cleanup_(hv_vmbus_device_freep) struct hv_vmbus_device *d = NULL;
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = device_read(path, name, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}

struct hv_vmbus_device *hv_vmbus_device_free(struct hv_vmbus_device *d)
{
	if (d) {
		device_done(d);
		free(d);
	}
	return NULL;
}

const struct hv_vmbus_channel *hv_vmbus_device_find_channel(const struct hv_vmbus_device *d,
							     uint32_t relid)
{
	for (size_t i = 0; d && i < d->n_channels; i++)
		if (d->channels[i].relid == relid)
			return &d->channels[i];
	return NULL;
}

static int device_compare(const void *a, const void *b)
{
	const struct hv_vmbus_device *x = a, *y = b;

	if (x->id >= 0 && y->id >= 0 && x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if ((x->id >= 0) != (y->id >= 0))
		return x->id >= 0 ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct hv_vmbus_device_list *hv_vmbus_device_list_free(struct hv_vmbus_device_list *l)
{
	if (l) {
		for (size_t i = 0; i < l->n_devices; i++)
			device_done(&l->devices[i]);
		free(l->devices);
		free(l);
	}
	return NULL;
}

int hv_vmbus_device_list_load(const struct hv_path *path, struct hv_vmbus_device_list **ret)
{
	_cleanup_(hv_vmbus_device_list_freep) struct hv_vmbus_device_list *l = NULL;
	_cleanup_(closedirp) DIR *dp = NULL;
	struct dirent *de;
	size_t cap = 0;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;

	dp = hv_path_opendir(path, HV_VMBUS_SYSFS_DEVICES);
	if (!dp) {
		int r = hv_negative_errno();

		/* No bus directory at all: this is not a Hyper-V guest (or
		 * hv_vmbus is not loaded), which callers must tell apart
		 * from a bus without devices. */
		if ((r == -ENOENT || r == -ENOTDIR) &&
		    hv_path_access(path, HV_VMBUS_SYSFS_BUS, F_OK) == -ENOENT)
			return hv_log_debug_errno(-ENODEV, "%s does not exist: no VMBus",
						  HV_VMBUS_SYSFS_BUS);
		return hv_log_debug_errno(r, "%s: cannot open: %m", HV_VMBUS_SYSFS_DEVICES);
	}

	while ((errno = 0, de = readdir(dp))) {
		struct hv_vmbus_device *d;
		int r;

		if (!name_is_valid(de->d_name))
			continue;
		if (l->n_devices >= HV_VMBUS_MAX_DEVICES)
			return hv_log_debug_errno(-E2BIG, "%s: more than %d devices",
						  HV_VMBUS_SYSFS_DEVICES, HV_VMBUS_MAX_DEVICES);
		if (l->n_devices == cap) {
			size_t ncap = cap ? cap * 2 : 16;

			d = reallocarray(l->devices, ncap, sizeof(*d));
			if (!d)
				return -ENOMEM;
			l->devices = d;
			cap = ncap;
		}
		d = &l->devices[l->n_devices];
		r = device_read(path, de->d_name, d);
		if (r == -ENODEV) {
			hv_log_debug("%s/%s: gone while listing, skipping", HV_VMBUS_SYSFS_DEVICES,
				     de->d_name);
			device_done(d);
			continue;
		}
		l->n_devices++; /* owned by the list from here on, even half-read */
		if (r < 0)
			return r;
	}
	if (errno != 0)
		return hv_log_debug_errno(hv_negative_errno(), "%s: readdir: %m", HV_VMBUS_SYSFS_DEVICES);

	if (l->n_devices > 1)
		qsort(l->devices, l->n_devices, sizeof(*l->devices), device_compare);
	*ret = TAKE_PTR(l);
	return 0;
}

const struct hv_vmbus_device *hv_vmbus_device_list_find_by_id(const struct hv_vmbus_device_list *l,
							      uint32_t id)
{
	for (size_t i = 0; l && i < l->n_devices; i++)
		if (l->devices[i].id == (int64_t)id)
			return &l->devices[i];
	return NULL;
}

const struct hv_vmbus_device *hv_vmbus_device_list_find_by_name(const struct hv_vmbus_device_list *l,
								const char *name)
{
	for (size_t i = 0; l && name && i < l->n_devices; i++)
		if (strcmp(l->devices[i].name, name) == 0)
			return &l->devices[i];
	return NULL;
}
