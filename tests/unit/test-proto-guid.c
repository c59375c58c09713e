/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto/guid and proto/vmbus-class (PROTOCOL.md §2.3). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/macros.h"
#include "proto/guid.h"
#include "proto/vmbus-class.h"

/*
 * Criterion hands parameters to a re-executed test process, where pointers
 * taken in the parent are not valid: tests get an index into a static table.
 */
#define PARAM_INDICES(table)                                                 \
	do {                                                                 \
		static size_t idx_[ELEMENTSOF(table)];                       \
		for (size_t i_ = 0; i_ < ELEMENTSOF(table); i_++)            \
			idx_[i_] = i_;                                       \
		return cr_make_param_array(size_t, idx_, ELEMENTSOF(idx_));  \
	} while (0)


struct class_case {
	const char *name;
	const char *guid;
	const char *modalias;
	int dev_type;
	const char *description;
};

/* The whole §2.3 table, with the modalias suffixes it lists. */
static struct class_case class_cases[] = {
	{ "HV_SHUTDOWN", "0e0b6031-5213-4934-818b-38d90ced39db", "31600b0e13523449818b38d90ced39db",
	  HV_VMBUS_DEV_SHUTDOWN, "[Operating system shutdown]" },
	{ "HV_TS", "9527e630-d0ae-497b-adce-e80ab0175caf", "30e62795aed07b49adcee80ab0175caf", HV_VMBUS_DEV_TS,
	  "[Time Synchronization]" },
	{ "HV_HEART_BEAT", "57164f39-9115-4e78-ab55-382f3bd5422d", "394f16571591784eab55382f3bd5422d",
	  HV_VMBUS_DEV_HB, "[Heartbeat]" },
	{ "HV_KVP", "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", "e7f4a0a9455a964db8278a841e8c03e6", HV_VMBUS_DEV_KVP,
	  "[Data Exchange]" },
	{ "HV_VSS", "35fa2e29-ea23-4236-96ae-3a6ebacba440", "292efa3523ea364296ae3a6ebacba440",
	  HV_VMBUS_DEV_BACKUP, "[Backup (volume checkpoint)]" },
	{ "HV_FCOPY", "34d14be3-dee4-41c8-9ae7-6b174977c192", "e34bd134e4dec8419ae76b174977c192",
	  HV_VMBUS_DEV_FCOPY, "[Guest services]" },
	{ "HV_DM", "525074dc-8985-46e2-8057-a307dc18a502", "dc7450528589e2468057a307dc18a502", HV_VMBUS_DEV_DM,
	  "[Dynamic Memory]" },
	{ "HV_NIC", "f8615163-df3e-46c5-913f-f2d2f965ed0e", "635161f83edfc546913ff2d2f965ed0e", HV_VMBUS_DEV_NIC,
	  "Synthetic network adapter" },
	{ "HV_SCSI", "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", "d96361baa104294db60572e2ffb1dc7f",
	  HV_VMBUS_DEV_SCSI, "Synthetic SCSI Controller" },
	{ "HV_IDE", "32412632-86cb-44a2-9b5c-50d1417354f5", "32264132cb86a2449b5c50d1417354f5", HV_VMBUS_DEV_IDE,
	  "Synthetic IDE Controller" },
	{ "HV_MOUSE", "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a", "9eb6a8cf4a5bc04cb98b8ba1a1f3f95a",
	  HV_VMBUS_DEV_MOUSE, "Synthetic mouse" },
	{ "HV_KBD", "f912ad6d-2b17-48ea-bd65-f927a61c7684", "6dad12f9172bea48bd65f927a61c7684", HV_VMBUS_DEV_KBD,
	  "Synthetic keyboard" },
	{ "HV_SYNTHVID", "da0a7802-e377-4aac-8e77-0558eb1073f8", "02780ada77e3ac4a8e770558eb1073f8",
	  HV_VMBUS_DEV_FB, "Synthetic framebuffer adapter" },
	{ "HV_SYNTHFC", "2f9bcc4a-0069-4af3-b76b-6fd0be528cda", "4acc9b2f6900f34ab76b6fd0be528cda",
	  HV_VMBUS_DEV_FC, "Synthetic fiber channel adapter" },
	{ "HV_ND", "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501", "3daf2e8ca732094bab99bd1f1c86b501", HV_VMBUS_DEV_ND,
	  "Synthetic RDMA adapter" },
	{ "HV_PCIE", "44c4f61d-4444-4400-9d52-802e27ede19f", "1df6c444444400449d52802e27ede19f",
	  HV_VMBUS_DEV_PCIE, "PCI Express pass-through" },
};

ParameterizedTestParameters(guid, class_table)
{
	PARAM_INDICES(class_cases);
}

ParameterizedTest(size_t *ci, guid, class_table)
{
	const struct class_case *c = &class_cases[*ci];
	char text[HV_GUID_STRING_MAX], alias[HV_GUID_MODALIAS_MAX], want_alias[64], braced[64];
	const struct hv_vmbus_class *cls;
	struct hv_guid g, g2;

	cr_assert_eq(hv_guid_from_string(c->guid, &g), 0);
	cr_assert_str_eq(hv_guid_to_string(&g, text), c->guid);
	snprintf(want_alias, sizeof(want_alias), "vmbus:%s", c->modalias);
	cr_assert_str_eq(hv_guid_to_modalias(&g, alias), want_alias);
	cr_assert_eq(hv_guid_from_modalias(alias, &g2), 0);
	cr_assert(hv_guid_equal(&g, &g2));

	cls = hv_vmbus_class_by_guid(&g);
	cr_assert_not_null(cls, "%s", c->name);
	cr_assert_str_eq(cls->name, c->name);
	cr_assert_eq((int)cls->dev_type, c->dev_type);
	cr_assert_str_eq(cls->description, c->description);
	cr_assert(cls->supported);
	cr_assert_eq(hv_vmbus_class_by_name(c->name), cls);
	cr_assert_eq(hv_vmbus_class_by_name(c->name + 3), cls, "name without HV_ prefix");
	snprintf(braced, sizeof(braced), "{%s}", c->guid);
	cr_assert_eq(hv_vmbus_class_by_guid_string(braced), cls);
	cr_assert_str_eq(hv_vmbus_class_description(braced), c->description);
}

Test(guid, raw_byte_order_is_little_endian_in_first_three_fields)
{
	static const uint8_t want[16] = { 0xe7, 0xf4, 0xa0, 0xa9, 0x45, 0x5a, 0x96, 0x4d,
					  0xb8, 0x27, 0x8a, 0x84, 0x1e, 0x8c, 0x03, 0xe6 };
	struct hv_guid g;

	cr_assert_eq(hv_guid_from_string("A9A0F4E7-5A45-4D96-B827-8A841E8C03E6", &g), 0, "upper case accepted");
	cr_assert_arr_eq(g.b, want, 16);
}

Test(guid, parse_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"a9a0f4e7-5a45-4d96-b827-8a841e8c03e",   /* short */
		"a9a0f4e7-5a45-4d96-b827-8a841e8c03e6a", /* long */
		"a9a0f4e7x5a45-4d96-b827-8a841e8c03e6",  /* separator */
		"a9a0f4e7-5a45-4d96-b827-8a841e8c03eg",  /* not hex */
		"{a9a0f4e7-5a45-4d96-b827-8a841e8c03e6",  /* one brace */
		"(a9a0f4e7-5a45-4d96-b827-8a841e8c03e6)",
		"a9a0f4e75a454d96b8278a841e8c03e6",
	};
	struct hv_guid g = { .b = { 1 } };

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		cr_assert_eq(hv_guid_from_string(bad[i], &g), -EINVAL, "%s", bad[i]);
	cr_assert_eq(hv_guid_from_string(NULL, &g), -EINVAL);
	cr_assert_eq(g.b[0], 1, "ret untouched on failure");
	cr_assert_eq(hv_guid_from_modalias("vmbus:e7f4a0a9455a964db8278a841e8c03e", &g), -EINVAL);
	cr_assert_eq(hv_guid_from_modalias("vmbus:e7f4a0a9455a964db8278a841e8c03ez", &g), -EINVAL);
	cr_assert_eq(hv_guid_from_modalias("e7f4a0a9455a964db8278a841e8c03e6", &g), 0, "bare hex accepted");
	cr_assert_eq(g.b[0], 0xe7);
}

Test(guid, null_and_equal)
{
	struct hv_guid z = { 0 }, a;

	cr_assert(hv_guid_is_null(&z));
	cr_assert_eq(hv_guid_from_string("00000000-0000-0000-0000-000000000001", &a), 0);
	cr_assert_not(hv_guid_is_null(&a));
	cr_assert_not(hv_guid_equal(&a, &z));
	cr_assert_eq(a.b[15], 1);
}

Test(vmbus_class, unsupported_and_unknown)
{
	const struct hv_vmbus_class *c;
	size_t n = 0;

	cr_assert_not_null(hv_vmbus_class_table(&n));
	cr_assert_eq(n, 20, "16 supported + AVMA1, AVMA2, RDV, IMC");
	c = hv_vmbus_class_by_guid_string("f8e65716-3cb3-4a06-9a60-1889c5cccab5");
	cr_assert_not_null(c);
	cr_assert_str_eq(c->name, "HV_AVMA1");
	cr_assert_not(c->supported);
	cr_assert_eq(c->dev_type, HV_VMBUS_DEV_UNKNOWN);
	cr_assert_str_eq(c->description, "[Reserved system device]");
	cr_assert_str_eq(hv_vmbus_class_description("276aacf4-ac15-426c-98dd-7521ad3f01fe"),
			 "[Reserved system device]");
	cr_assert_str_eq(hv_vmbus_class_description("3375baf4-9e15-4b30-b765-67acb10d607b"),
			 "[Reserved system device]");
	/* IMC is not in lsvmbus's table. */
	cr_assert_str_eq(hv_vmbus_class_description("c376c1c3-d276-48d2-90a9-c04748072c60"), "Unknown");
	cr_assert_str_eq(hv_vmbus_class_description("00000000-0000-0000-0000-000000000000"), "Unknown");
	cr_assert_str_eq(hv_vmbus_class_description("garbage"), "Unknown");
	cr_assert_null(hv_vmbus_class_by_name("HV_NOPE"));
	cr_assert_null(hv_vmbus_class_by_name(NULL));
	cr_assert_eq(hv_vmbus_class_by_name("kvp"), hv_vmbus_class_by_name("HV_KVP"));
}

Test(vmbus_class, dev_type_strings)
{
	cr_assert_str_eq(hv_vmbus_dev_type_to_string(HV_VMBUS_DEV_BACKUP), "backup");
	cr_assert_str_eq(hv_vmbus_dev_type_to_string(HV_VMBUS_DEV_UNKNOWN), "unknown");
	cr_assert_eq(HV_VMBUS_DEV_UNKNOWN, 16);
	cr_assert_eq(hv_vmbus_dev_type_from_string("fcopy"), HV_VMBUS_DEV_FCOPY);
	cr_assert_eq(hv_vmbus_dev_type_from_string("nope"), -EINVAL);
	cr_assert_null(hv_vmbus_dev_type_to_string(_HV_VMBUS_DEV_MAX));
}
