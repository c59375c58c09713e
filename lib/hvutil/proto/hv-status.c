/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one -errno <-> HRESULT table (PROTOCOL.md §0; STYLE.md rule 8).
 * Rows are searched in order: the first row with a given status is the
 * one hv_status_to_errno() answers, every row maps its errno to its
 * status.  The mapping choices are documented in hv-status.h.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/macros.h"
#include "proto/hv-status.h"

static const struct {
	uint32_t status;
	int error; /* positive errno; 0 for HV_S_OK */
	const char *name;
} status_table[] = {
	{ HV_S_OK, 0, "HV_S_OK" },
	{ HV_S_CONT, ENODATA, "HV_S_CONT" },
	{ HV_S_CONT, ENOENT, "HV_S_CONT" },
	{ HV_ERROR_NOT_SUPPORTED, EOPNOTSUPP, "HV_ERROR_NOT_SUPPORTED" },
	{ HV_ERROR_MACHINE_LOCKED, EBUSY, "HV_ERROR_MACHINE_LOCKED" },
	{ HV_ERROR_DEVICE_NOT_CONNECTED, ENOTCONN, "HV_ERROR_DEVICE_NOT_CONNECTED" },
	{ HV_INVALIDARG, EINVAL, "HV_INVALIDARG" },
	{ HV_GUID_NOTFOUND, ENXIO, "HV_GUID_NOTFOUND" },
	{ HV_ERROR_ALREADY_EXISTS, EEXIST, "HV_ERROR_ALREADY_EXISTS" },
	{ HV_ERROR_DISK_FULL, ENOSPC, "HV_ERROR_DISK_FULL" },
	{ HV_ERROR_DISK_FULL, EDQUOT, "HV_ERROR_DISK_FULL" },
	{ HV_E_FAIL, EIO, "HV_E_FAIL" },
};

uint32_t hv_status_from_errno(int r)
{
	int e = r < 0 ? -r : r;

	for (size_t i = 0; i < ELEMENTSOF(status_table); i++)
		if (status_table[i].error == e)
			return status_table[i].status;
	return HV_E_FAIL;
}

int hv_status_to_errno(uint32_t status)
{
	for (size_t i = 0; i < ELEMENTSOF(status_table); i++)
		if (status_table[i].status == status)
			return -status_table[i].error;
	return -EIO;
}

const char *hv_status_to_string(uint32_t status)
{
	for (size_t i = 0; i < ELEMENTSOF(status_table); i++)
		if (status_table[i].status == status)
			return status_table[i].name;
	return NULL;
}

int hv_status_from_string(const char *s, uint32_t *ret)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(status_table); i++)
		if (strcmp(status_table[i].name, s) == 0) {
			*ret = status_table[i].status;
			return 0;
		}
	return -EINVAL;
}
