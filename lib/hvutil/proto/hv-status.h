/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's status codes (HRESULTs, PROTOCOL.md §0) and the one table that
 * maps them to and from -errno (STYLE.md rule 8).  Library code returns
 * -errno; only the point that answers the host converts.
 *
 * errno -> status (hv_status_from_errno):
 *   0                   HV_S_OK
 *   -ENODATA, -ENOENT   HV_S_CONT   ("no more items": end of a KVP
 *                                    enumeration, and "key not found" for
 *                                    GET/DELETE, which the reference daemon
 *                                    also answers with HV_S_CONT, §5.3)
 *   -EOPNOTSUPP         HV_ERROR_NOT_SUPPORTED (== -ENOTSUP on Linux)
 *   -EBUSY              HV_ERROR_MACHINE_LOCKED
 *   -ENOTCONN           HV_ERROR_DEVICE_NOT_CONNECTED
 *   -EINVAL             HV_INVALIDARG
 *   -ENXIO              HV_GUID_NOTFOUND (no NIC with that adapter id)
 *   -EEXIST             HV_ERROR_ALREADY_EXISTS
 *   -ENOSPC, -EDQUOT    HV_ERROR_DISK_FULL
 *   anything else       HV_E_FAIL (including -EIO and -EBADMSG)
 *
 * status -> errno (hv_status_to_errno) takes the first row for a status:
 * HV_S_CONT -> -ENODATA, HV_ERROR_DISK_FULL -> -ENOSPC, HV_E_FAIL -> -EIO,
 * HV_S_OK -> 0, an unknown status -> -EIO.
 */
#pragma once

#include <stdint.h>

#define HV_S_OK 0x00000000u
#define HV_E_FAIL 0x80004005u
#define HV_S_CONT 0x80070103u
#define HV_ERROR_NOT_SUPPORTED 0x80070032u
#define HV_ERROR_MACHINE_LOCKED 0x800704F7u
#define HV_ERROR_DEVICE_NOT_CONNECTED 0x8007048Fu
#define HV_INVALIDARG 0x80070057u
#define HV_GUID_NOTFOUND 0x80041002u
#define HV_ERROR_ALREADY_EXISTS 0x80070050u
#define HV_ERROR_DISK_FULL 0x80070070u

/* r is 0 or -errno (a positive errno is accepted too). */
uint32_t hv_status_from_errno(int r);
/* 0 for HV_S_OK, else a negative errno (-EIO for unknown codes). */
int hv_status_to_errno(uint32_t status);
/* "HV_E_FAIL" etc., NULL for a code not in the table. */
const char *hv_status_to_string(uint32_t status);
/* Inverse of hv_status_to_string(); -EINVAL when unknown, else 0 and *ret. */
int hv_status_from_string(const char *s, uint32_t *ret);
