/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMBus device classes (PROTOCOL.md §2.3): class GUID, the kernel's
 * enum vmbus_device_type index and the description lsvmbus prints.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto/guid.h"

enum hv_vmbus_dev_type {
	HV_VMBUS_DEV_IDE = 0,
	HV_VMBUS_DEV_SCSI = 1,
	HV_VMBUS_DEV_FC = 2,
	HV_VMBUS_DEV_NIC = 3,
	HV_VMBUS_DEV_ND = 4,
	HV_VMBUS_DEV_PCIE = 5,
	HV_VMBUS_DEV_FB = 6,
	HV_VMBUS_DEV_KBD = 7,
	HV_VMBUS_DEV_MOUSE = 8,
	HV_VMBUS_DEV_KVP = 9,
	HV_VMBUS_DEV_TS = 10,
	HV_VMBUS_DEV_HB = 11,
	HV_VMBUS_DEV_SHUTDOWN = 12,
	HV_VMBUS_DEV_FCOPY = 13,
	HV_VMBUS_DEV_BACKUP = 14,
	HV_VMBUS_DEV_DM = 15,
	HV_VMBUS_DEV_UNKNOWN = 16,
	_HV_VMBUS_DEV_MAX,
	_HV_VMBUS_DEV_INVALID = -EINVAL,
};

/* "ide", "scsi", "fc", "nic", "nd", "pcie", "fb", "kbd", "mouse", "kvp",
 * "ts", "hb", "shutdown", "fcopy", "backup", "dm", "unknown". */
const char *hv_vmbus_dev_type_to_string(enum hv_vmbus_dev_type t);
enum hv_vmbus_dev_type hv_vmbus_dev_type_from_string(const char *s);

struct hv_vmbus_class {
	const char *name;        /* kernel macro name without "_GUID": "HV_KVP", "HV_NIC", ... */
	const char *guid;        /* lower-case text, no braces */
	enum hv_vmbus_dev_type dev_type;
	const char *description; /* as lsvmbus shows it: "[Data Exchange]", "Synthetic network adapter" */
	bool supported;          /* false for AVMA1/AVMA2/RDV/IMC (kernel ignores them) */
};

/* The whole table, in §2.3 order; *ret_n gets its length. */
const struct hv_vmbus_class *hv_vmbus_class_table(size_t *ret_n);
/* Lookup by raw GUID, by text GUID (braces and either case accepted) and
 * by name (case-insensitive, "HV_KVP" or "kvp").  NULL when not found. */
const struct hv_vmbus_class *hv_vmbus_class_by_guid(const struct hv_guid *g);
const struct hv_vmbus_class *hv_vmbus_class_by_guid_string(const char *s);
const struct hv_vmbus_class *hv_vmbus_class_by_name(const char *name);
/* lsvmbus text for a class GUID string; "Unknown" when not in the table. */
const char *hv_vmbus_class_description(const char *guid);

/* Instance GUID the upstream uio fcopy tool hard-codes (§2.3). */
#define HV_FCOPY_INSTANCE_GUID "eb765408-105f-49b6-b4aa-c123b64d17d4"
