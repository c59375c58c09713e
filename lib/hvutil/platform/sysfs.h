/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMBus devices and their channels as sysfs shows them (PROTOCOL.md §9).
 *
 * A load takes one snapshot of /sys/bus/vmbus/devices into plain structs:
 * no handles stay open and nothing is read lazily, so callers (hvctl, the
 * channel balancer, uio discovery) can sort, filter and print at leisure.
 * Every path goes through the path context, so the same code reads the
 * real /sys, hvsim's fake tree and the fixture trees of the unit tests.
 *
 * What is known is reported and what is not is marked unknown (-1, "" or
 * NULL): a device whose attributes are missing or malformed is still
 * listed, because hiding it would hide the very problem someone is
 * looking for.  `malformed` says which attributes were present but not
 * parsable.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/guid-text.h"
#include "base/macros.h"
#include "base/path.h"

#define HV_VMBUS_SYSFS_BUS "/sys/bus/vmbus"
#define HV_VMBUS_SYSFS_DEVICES "/sys/bus/vmbus/devices"

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL. */
#define HV_VMBUS_GUID_STRING_MAX HV_GUID_TEXT_MAX

/* Hard caps: more than this is not a VMBus we know, and we stop (-E2BIG)
 * rather than allocate without bound. */
#define HV_VMBUS_MAX_DEVICES 4096
#define HV_VMBUS_MAX_CHANNELS 4096 /* per device, primary included */

/* Bits of hv_vmbus_device.malformed: attributes present but not parsable. */
enum hv_vmbus_attr {
	HV_VMBUS_ATTR_ID = 1u << 0,
	HV_VMBUS_ATTR_CLASS_ID = 1u << 1,
	HV_VMBUS_ATTR_DEVICE_ID = 1u << 2,
	HV_VMBUS_ATTR_DEVICE = 1u << 3,
	HV_VMBUS_ATTR_NUMA_NODE = 1u << 4,
	HV_VMBUS_ATTR_CHANNEL_VP_MAPPING = 1u << 5,
	HV_VMBUS_ATTR_CHANNELS = 1u << 6, /* an entry or attribute under channels/ */
};

struct hv_vmbus_channel {
	uint32_t relid;        /* channels/<relid>/ or channel_vp_mapping */
	int64_t target_cpu;    /* channels/<relid>/cpu, else channel_vp_mapping; -1 unknown */
	int64_t subchannel_id; /* 0 for the primary channel; -1 unknown */
	int64_t interrupts;    /* host-to-guest interrupts; -1 unknown */
	int64_t events;        /* guest-to-host signals; -1 unknown */
};

struct hv_vmbus_device {
	char *name;       /* directory name: the instance GUID as the kernel names it */
	char *sysfs_path; /* "/sys/bus/vmbus/devices/<name>", without the path prefix */
	int64_t id;       /* `id`: the primary channel's relid; -1 unknown */
	/* Lower case, no braces; "" unknown. */
	char class_id[HV_VMBUS_GUID_STRING_MAX];
	/* `device_id`, else the directory name when that is a GUID; "" unknown. */
	char device_id[HV_VMBUS_GUID_STRING_MAX];
	int device_type;  /* `device`: the kernel's vmbus_device_type index; -1 unknown */
	char *driver;     /* bound driver (`driver` link, else uevent DRIVER=); NULL: unbound */
	int numa_node;    /* -1 unknown (no attribute, or NUMA_NO_NODE) */
	struct hv_vmbus_channel *channels; /* sorted by relid */
	size_t n_channels;
	unsigned malformed; /* enum hv_vmbus_attr bits */
};

struct hv_vmbus_device_list {
	/* Sorted by numeric id; devices with an unknown id come last, by name. */
	struct hv_vmbus_device *devices;
	size_t n_devices;
};

/*
 * Snapshot every VMBus device.  -ENODEV when there is no VMBus at all
 * (/sys/bus/vmbus/devices does not exist: not a Hyper-V guest, or the
 * vmbus driver is not loaded), which is not the same as an empty list.
 * Other -errno values when the directory cannot be read.
 */
int hv_vmbus_device_list_load(const struct hv_path *path, struct hv_vmbus_device_list **ret);
struct hv_vmbus_device_list *hv_vmbus_device_list_free(struct hv_vmbus_device_list *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_vmbus_device_list *, hv_vmbus_device_list_free);

/* NULL when not in the list. */
const struct hv_vmbus_device *hv_vmbus_device_list_find_by_id(const struct hv_vmbus_device_list *l,
							      uint32_t id);
const struct hv_vmbus_device *hv_vmbus_device_list_find_by_name(const struct hv_vmbus_device_list *l,
								const char *name);

/* Snapshot one device by directory name; -ENODEV when it does not exist,
 * -EINVAL for a name that cannot be a directory entry. */
int hv_vmbus_device_load(const struct hv_path *path, const char *name, struct hv_vmbus_device **ret);
struct hv_vmbus_device *hv_vmbus_device_free(struct hv_vmbus_device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_vmbus_device *, hv_vmbus_device_free);

/* The channel with this relid, or NULL. */
const struct hv_vmbus_channel *hv_vmbus_device_find_channel(const struct hv_vmbus_device *d,
							     uint32_t relid);
