/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto/hv-status: the one -errno <-> HRESULT table (PROTOCOL.md §0). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "base/macros.h"
#include "proto/hv-status.h"

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


Test(status, constants_match_protocol)
{
	cr_assert_eq(HV_S_OK, 0x00000000u);
	cr_assert_eq(HV_E_FAIL, 0x80004005u);
	cr_assert_eq(HV_S_CONT, 0x80070103u);
	cr_assert_eq(HV_ERROR_NOT_SUPPORTED, 0x80070032u);
	cr_assert_eq(HV_ERROR_MACHINE_LOCKED, 0x800704F7u);
	cr_assert_eq(HV_ERROR_DEVICE_NOT_CONNECTED, 0x8007048Fu);
	cr_assert_eq(HV_INVALIDARG, 0x80070057u);
	cr_assert_eq(HV_GUID_NOTFOUND, 0x80041002u);
	cr_assert_eq(HV_ERROR_ALREADY_EXISTS, 0x80070050u);
	cr_assert_eq(HV_ERROR_DISK_FULL, 0x80070070u);
}

struct from_errno_case {
	int r;
	uint32_t status;
};

static struct from_errno_case from_errno_cases[] = {
	{ 0, HV_S_OK },
	{ -ENODATA, HV_S_CONT },
	{ -ENOENT, HV_S_CONT },
	{ -EOPNOTSUPP, HV_ERROR_NOT_SUPPORTED },
	{ -ENOTSUP, HV_ERROR_NOT_SUPPORTED },
	{ -EBUSY, HV_ERROR_MACHINE_LOCKED },
	{ -ENOTCONN, HV_ERROR_DEVICE_NOT_CONNECTED },
	{ -EINVAL, HV_INVALIDARG },
	{ -ENXIO, HV_GUID_NOTFOUND },
	{ -EEXIST, HV_ERROR_ALREADY_EXISTS },
	{ -ENOSPC, HV_ERROR_DISK_FULL },
	{ -EDQUOT, HV_ERROR_DISK_FULL },
	{ -EIO, HV_E_FAIL },
	{ -EBADMSG, HV_E_FAIL },
	{ -EACCES, HV_E_FAIL },
	{ -ENOMEM, HV_E_FAIL },
	{ ENOSPC, HV_ERROR_DISK_FULL }, /* a positive errno is accepted */
	{ -99999, HV_E_FAIL },
};

ParameterizedTestParameters(status, from_errno)
{
	PARAM_INDICES(from_errno_cases);
}

ParameterizedTest(size_t *ci, status, from_errno)
{
	const struct from_errno_case *c = &from_errno_cases[*ci];
	cr_assert_eq(hv_status_from_errno(c->r), c->status, "errno %d: got 0x%08x want 0x%08x", c->r,
		     hv_status_from_errno(c->r), c->status);
}

struct to_errno_case {
	uint32_t status;
	int r;
	const char *name;
};

static struct to_errno_case to_errno_and_name_cases[] = {
	{ HV_S_OK, 0, "HV_S_OK" },
	{ HV_S_CONT, -ENODATA, "HV_S_CONT" },
	{ HV_ERROR_NOT_SUPPORTED, -EOPNOTSUPP, "HV_ERROR_NOT_SUPPORTED" },
	{ HV_ERROR_MACHINE_LOCKED, -EBUSY, "HV_ERROR_MACHINE_LOCKED" },
	{ HV_ERROR_DEVICE_NOT_CONNECTED, -ENOTCONN, "HV_ERROR_DEVICE_NOT_CONNECTED" },
	{ HV_INVALIDARG, -EINVAL, "HV_INVALIDARG" },
	{ HV_GUID_NOTFOUND, -ENXIO, "HV_GUID_NOTFOUND" },
	{ HV_ERROR_ALREADY_EXISTS, -EEXIST, "HV_ERROR_ALREADY_EXISTS" },
	{ HV_ERROR_DISK_FULL, -ENOSPC, "HV_ERROR_DISK_FULL" },
	{ HV_E_FAIL, -EIO, "HV_E_FAIL" },
	{ 0x80070005u, -EIO, NULL }, /* E_ACCESSDENIED: not in the table */
	{ 0x00000001u, -EIO, NULL },
};

ParameterizedTestParameters(status, to_errno_and_name)
{
	PARAM_INDICES(to_errno_and_name_cases);
}

ParameterizedTest(size_t *ci, status, to_errno_and_name)
{
	const struct to_errno_case *c = &to_errno_and_name_cases[*ci];
	uint32_t back = 0xdeadbeef;

	cr_assert_eq(hv_status_to_errno(c->status), c->r, "0x%08x", c->status);
	if (!c->name) {
		cr_assert_null(hv_status_to_string(c->status));
		return;
	}
	cr_assert_str_eq(hv_status_to_string(c->status), c->name);
	cr_assert_eq(hv_status_from_string(c->name, &back), 0);
	cr_assert_eq(back, c->status);
	/* Round trip through errno for every named status. */
	cr_assert_eq(hv_status_from_errno(hv_status_to_errno(c->status)), c->status);
}

Test(status, from_string_rejects_unknown)
{
	uint32_t v = 7;

	cr_assert_eq(hv_status_from_string("HV_E_NOPE", &v), -EINVAL);
	cr_assert_eq(hv_status_from_string("hv_e_fail", &v), -EINVAL);
	cr_assert_eq(hv_status_from_string(NULL, &v), -EINVAL);
	cr_assert_eq(v, 7, "ret written only on success");
}
