/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GUIDs as VMBus stores them (PROTOCOL.md §2.3, §9): 16 raw bytes whose
 * first three fields (u32, u16, u16) are little-endian and the last eight
 * bytes are in text order.  Text form is the usual
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case on output, either
 * case on input, optional surrounding braces accepted as sysfs class_id
 * shows them); the modalias form is "vmbus:" + 32 lower-case hex digits of
 * the raw bytes in storage order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_GUID_SIZE 16
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" without and with NUL. */
#define HV_GUID_STRING_LEN 36
#define HV_GUID_STRING_MAX (HV_GUID_STRING_LEN + 1)
/* "vmbus:" + 32 hex digits, without and with NUL. */
#define HV_GUID_MODALIAS_PREFIX "vmbus:"
#define HV_GUID_MODALIAS_LEN (6 + 32)
#define HV_GUID_MODALIAS_MAX (HV_GUID_MODALIAS_LEN + 1)

struct hv_guid {
	uint8_t b[HV_GUID_SIZE];
};

/* Text (optionally in braces) -> raw bytes. -EINVAL on anything else. */
int hv_guid_from_string(const char *s, struct hv_guid *ret);
/* Raw bytes -> lower-case text; buf must hold HV_GUID_STRING_MAX. Returns buf. */
char *hv_guid_to_string(const struct hv_guid *g, char buf[static HV_GUID_STRING_MAX]);
/* Raw bytes -> "vmbus:<32 hex>"; buf must hold HV_GUID_MODALIAS_MAX. Returns buf. */
char *hv_guid_to_modalias(const struct hv_guid *g, char buf[static HV_GUID_MODALIAS_MAX]);
/* "vmbus:<32 hex>" (or the 32 hex digits alone) -> raw bytes. -EINVAL otherwise. */
int hv_guid_from_modalias(const char *s, struct hv_guid *ret);
bool hv_guid_equal(const struct hv_guid *a, const struct hv_guid *b);
bool hv_guid_is_null(const struct hv_guid *g);
