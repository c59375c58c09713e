/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMBus class table (PROTOCOL.md §2.3).  Descriptions are the texts the
 * reference lsvmbus prints, so `hvctl devices` output can be compared
 * line by line; classes lsvmbus does not know print "Unknown" there.
 */
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "base/macros.h"
#include "base/string-table.h"
#include "proto/vmbus-class.h"

static const char *const hv_vmbus_dev_type_table[_HV_VMBUS_DEV_MAX] = {
	[HV_VMBUS_DEV_IDE] = "ide",       [HV_VMBUS_DEV_SCSI] = "scsi",
	[HV_VMBUS_DEV_FC] = "fc",         [HV_VMBUS_DEV_NIC] = "nic",
	[HV_VMBUS_DEV_ND] = "nd",         [HV_VMBUS_DEV_PCIE] = "pcie",
	[HV_VMBUS_DEV_FB] = "fb",         [HV_VMBUS_DEV_KBD] = "kbd",
	[HV_VMBUS_DEV_MOUSE] = "mouse",   [HV_VMBUS_DEV_KVP] = "kvp",
	[HV_VMBUS_DEV_TS] = "ts",         [HV_VMBUS_DEV_HB] = "hb",
	[HV_VMBUS_DEV_SHUTDOWN] = "shutdown", [HV_VMBUS_DEV_FCOPY] = "fcopy",
	[HV_VMBUS_DEV_BACKUP] = "backup", [HV_VMBUS_DEV_DM] = "dm",
	[HV_VMBUS_DEV_UNKNOWN] = "unknown",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_vmbus_dev_type, enum hv_vmbus_dev_type);

static const struct hv_vmbus_class class_table[] = {
	{ "HV_SHUTDOWN", "0e0b6031-5213-4934-818b-38d90ced39db", HV_VMBUS_DEV_SHUTDOWN,
	  "[Operating system shutdown]", true },
	{ "HV_TS", "9527e630-d0ae-497b-adce-e80ab0175caf", HV_VMBUS_DEV_TS, "[Time Synchronization]", true },
	{ "HV_HEART_BEAT", "57164f39-9115-4e78-ab55-382f3bd5422d", HV_VMBUS_DEV_HB, "[Heartbeat]", true },
	{ "HV_KVP", "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", HV_VMBUS_DEV_KVP, "[Data Exchange]", true },
	{ "HV_VSS", "35fa2e29-ea23-4236-96ae-3a6ebacba440", HV_VMBUS_DEV_BACKUP, "[Backup (volume checkpoint)]",
	  true },
	{ "HV_FCOPY", "34d14be3-dee4-41c8-9ae7-6b174977c192", HV_VMBUS_DEV_FCOPY, "[Guest services]", true },
	{ "HV_DM", "525074dc-8985-46e2-8057-a307dc18a502", HV_VMBUS_DEV_DM, "[Dynamic Memory]", true },
	{ "HV_NIC", "f8615163-df3e-46c5-913f-f2d2f965ed0e", HV_VMBUS_DEV_NIC, "Synthetic network adapter", true },
	{ "HV_SCSI", "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", HV_VMBUS_DEV_SCSI, "Synthetic SCSI Controller", true },
	{ "HV_IDE", "32412632-86cb-44a2-9b5c-50d1417354f5", HV_VMBUS_DEV_IDE, "Synthetic IDE Controller", true },
	{ "HV_MOUSE", "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a", HV_VMBUS_DEV_MOUSE, "Synthetic mouse", true },
	{ "HV_KBD", "f912ad6d-2b17-48ea-bd65-f927a61c7684", HV_VMBUS_DEV_KBD, "Synthetic keyboard", true },
	{ "HV_SYNTHVID", "da0a7802-e377-4aac-8e77-0558eb1073f8", HV_VMBUS_DEV_FB, "Synthetic framebuffer adapter",
	  true },
	{ "HV_SYNTHFC", "2f9bcc4a-0069-4af3-b76b-6fd0be528cda", HV_VMBUS_DEV_FC, "Synthetic fiber channel adapter",
	  true },
	{ "HV_ND", "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501", HV_VMBUS_DEV_ND, "Synthetic RDMA adapter", true },
	{ "HV_PCIE", "44c4f61d-4444-4400-9d52-802e27ede19f", HV_VMBUS_DEV_PCIE, "PCI Express pass-through", true },
	{ "HV_AVMA1", "f8e65716-3cb3-4a06-9a60-1889c5cccab5", HV_VMBUS_DEV_UNKNOWN, "[Reserved system device]",
	  false },
	{ "HV_AVMA2", "3375baf4-9e15-4b30-b765-67acb10d607b", HV_VMBUS_DEV_UNKNOWN, "[Reserved system device]",
	  false },
	{ "HV_RDV", "276aacf4-ac15-426c-98dd-7521ad3f01fe", HV_VMBUS_DEV_UNKNOWN, "[Reserved system device]",
	  false },
	/* Not in lsvmbus's table: it prints "Unknown" for this one. */
	{ "HV_IMC", "c376c1c3-d276-48d2-90a9-c04748072c60", HV_VMBUS_DEV_UNKNOWN, "Unknown", false },
};

const struct hv_vmbus_class *hv_vmbus_class_table(size_t *ret_n)
{
	if (ret_n)
		*ret_n = ELEMENTSOF(class_table);
	return class_table;
}

const struct hv_vmbus_class *hv_vmbus_class_by_guid(const struct hv_guid *g)
{
	for (size_t i = 0; i < ELEMENTSOF(class_table); i++) {
		struct hv_guid c;

		if (hv_guid_from_string(class_table[i].guid, &c) == 0 && hv_guid_equal(&c, g))
			return &class_table[i];
	}
	return NULL;
}

const struct hv_vmbus_class *hv_vmbus_class_by_guid_string(const char *s)
{
	struct hv_guid g;

	if (hv_guid_from_string(s, &g) < 0)
		return NULL;
	return hv_vmbus_class_by_guid(&g);
}

const struct hv_vmbus_class *hv_vmbus_class_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(class_table); i++) {
		const char *n = class_table[i].name;

		/* "HV_KVP" or, without the prefix, "kvp" */
		if (strcasecmp(n, name) == 0 || strcasecmp(n + STRLEN("HV_"), name) == 0)
			return &class_table[i];
	}
	return NULL;
}

const char *hv_vmbus_class_description(const char *guid)
{
	const struct hv_vmbus_class *c = hv_vmbus_class_by_guid_string(guid);

	return c ? c->description : "Unknown";
}
