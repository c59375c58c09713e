/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The world: what the simulated Hyper-V host offers and what the simulated
 * kernel made of it.  VMBus devices (class, instance, channels, driver
 * binding), the CPU and NUMA topology, and the kernel's tunables (reply
 * timeouts).  A world comes from an INI file (man hvsim(1), WORLD FILE) or
 * from the built-in default, the devices a Hyper-V Gen2 VM offers.
 *
 * This module only describes; sysfs.c renders a world as a fake sysfs tree
 * and run.c brings it to life.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/vmbus-class.h"

#define HVSIM_MAX_CPUS 4096
#define HVSIM_MAX_NODES 64
#define HVSIM_MAX_DEVICES 256
#define HVSIM_MAX_CHANNELS 64 /* per device, primary included */

/* The char devices of hv_utils (PROTOCOL.md §4). */
enum hvsim_cdev_kind {
	HVSIM_CDEV_KVP,
	HVSIM_CDEV_VSS,
	HVSIM_CDEV_FCOPY,
	_HVSIM_CDEV_MAX,
	_HVSIM_CDEV_INVALID = -EINVAL, /* also: "no char device" */
};

const char *hvsim_cdev_kind_to_string(enum hvsim_cdev_kind k);      /* "kvp" */
enum hvsim_cdev_kind hvsim_cdev_kind_from_string(const char *s);    /* -EINVAL */
const char *hvsim_cdev_kind_node_name(enum hvsim_cdev_kind k);      /* "hv_kvp" */

/*
 * One row of hvsim's table of VMBus device classes: the world-file name and
 * what a Linux guest does with the class.  GUID, device type and
 * description come from proto/vmbus-class.h (cls->proto).
 */
struct hvsim_class {
	const char *name;          /* world-file name: "kvp" */
	const char *proto_name;    /* proto/vmbus-class.h name: "HV_KVP" */
	const char *driver;        /* driver a Linux guest binds by default */
	bool util;                 /* an integration component (hv_utils) */
	enum hvsim_cdev_kind cdev; /* char device when bound to hv_utils */
	const struct hv_vmbus_class *proto;
};

const struct hvsim_class *hvsim_class_by_name(const char *name);
const struct hvsim_class *hvsim_class_by_guid(const uint8_t guid[16]);
/* The whole table (for the man page and `hvsim classes`). */
const struct hvsim_class *hvsim_class_table(size_t *ret_n);

struct hvsim_cpuset {
	uint64_t bits[HVSIM_MAX_CPUS / 64];
};

static inline bool hvsim_cpuset_has(const struct hvsim_cpuset *s, unsigned cpu)
{
	return cpu < HVSIM_MAX_CPUS && (s->bits[cpu / 64] >> (cpu % 64)) & 1u;
}
static inline void hvsim_cpuset_add(struct hvsim_cpuset *s, unsigned cpu)
{
	if (cpu < HVSIM_MAX_CPUS)
		s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}
/* Parses a kernel cpulist ("0-3,8,10-11"; "" is the empty set).  -EINVAL on
 * syntax errors, -ERANGE for CPUs >= limit. */
int hvsim_cpulist_parse(const char *s, unsigned limit, struct hvsim_cpuset *ret);
/* Formats like the kernel's %*pbl ("0-3,8"); "" for the empty set. */
int hvsim_cpulist_format(const struct hvsim_cpuset *s, char *buf, size_t size);
unsigned hvsim_cpuset_count(const struct hvsim_cpuset *s);

struct hvsim_channel {
	uint32_t relid;
	uint32_t target_cpu;
	int32_t monitor_id;     /* -1: not monitored (util channels) */
	uint32_t subchannel_id; /* 0 for the primary */
};

struct hvsim_device {
	char *name;                 /* world-file section name: "kvp" */
	const struct hvsim_class *cls; /* NULL for a class given by unknown GUID */
	uint8_t class_guid[16];     /* raw (little-endian first three fields) */
	uint8_t instance_guid[16];
	char *driver;               /* NULL: unbound */
	struct hvsim_channel channels[HVSIM_MAX_CHANNELS]; /* [0] = primary */
	size_t n_channels;
	unsigned line;              /* where the world file declared it */
	uint32_t ring_size;         /* uio_hv_generic: bytes per direction, 0 = the kernel's default */
};

/* The char device kind this device provides in the world, or _HVSIM_CDEV_INVALID
 * (not a KVP/VSS/fcopy class, or not bound to hv_utils). */
enum hvsim_cdev_kind hvsim_device_cdev(const struct hvsim_device *d);
unsigned hvsim_device_type(const struct hvsim_device *d);

struct hvsim_kernel_config {
	/* milliseconds */
	uint64_t kvp_timeout_ms;        /* HV_UTIL_TIMEOUT, 30 s */
	uint64_t vss_timeout_ms;        /* 30 s */
	uint64_t vss_freeze_timeout_ms; /* 900 s */
	uint64_t fcopy_timeout_ms;      /* 30 s */
	uint64_t cdev_delay_ms;         /* the char devices appear this late (§4) */
	bool uio_mask_on_interrupt;     /* uio_hv_generic before b15b7d2a1b09 (§8) */
};

struct hvsim_vss_spec;

struct hvsim_world {
	char *name;
	char *source;        /* file name, or "(built-in default)" */
	unsigned n_cpus;     /* possible = present = 0..n_cpus-1 */
	struct hvsim_cpuset online;
	unsigned n_nodes;
	struct hvsim_cpuset nodes[HVSIM_MAX_NODES];
	bool hibernation;    /* /sys/bus/vmbus/hibernation */
	struct hvsim_kernel_config kernel;
	struct hvsim_device *devices[HVSIM_MAX_DEVICES];
	size_t n_devices;
	struct hvsim_vss_spec *vss; /* [root] and [filesystem] sections (vss-world.h), NULL if none */
};

struct hvsim_world *hvsim_world_free(struct hvsim_world *w);
static inline void hvsim_world_freep(struct hvsim_world **w)
{
	hvsim_world_free(*w);
}

/* The built-in default: a Gen2 VM with 4 CPUs on one node. */
int hvsim_world_new_default(struct hvsim_world **ret);
/*
 * Load a world file.  On failure returns -errno and, if ret_error is not
 * NULL, a malloc'd message naming the file, line, section and key
 * ("w.ini:7: [device kvp] relid: 'x' is not a number").
 */
int hvsim_world_load(const char *path, struct hvsim_world **ret, char **ret_error);
/* Same from a string; name is used in messages. */
int hvsim_world_load_string(const char *text, const char *name, struct hvsim_world **ret,
			    char **ret_error);

const struct hvsim_device *hvsim_world_find_cdev(const struct hvsim_world *w, enum hvsim_cdev_kind k);
const struct hvsim_device *hvsim_world_find_device(const struct hvsim_world *w, const char *name);
/* NUMA node of a CPU (the node whose cpulist has it), 0 if none. */
unsigned hvsim_world_cpu_node(const struct hvsim_world *w, unsigned cpu);

/* Building blocks of world-file.c. */
struct hvsim_world *hvsim_world_new_empty(void);
/* NULL when out of memory or HVSIM_MAX_DEVICES is reached. */
struct hvsim_device *hvsim_world_add_device(struct hvsim_world *w, const char *name);
void hvsim_world_remove_device(struct hvsim_world *w, size_t i);
/* Decimal digits at s, at most max; *end after them.  -EINVAL, -ERANGE. */
int hvsim_parse_uint(const char *s, const char **end, unsigned long max, unsigned long *ret);

/* GUID text <-> raw bytes, in the guid_t layout (§2.3). */
int hvsim_guid_parse(const char *s, uint8_t ret[16]);
void hvsim_guid_format(const uint8_t g[16], char buf[static 37]);
