/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake twin of hv_netmgr_system_ops for tests (not in the shipped
 * library: test programs compile netmgr-fake.c themselves).  Answers come
 * from the struct, every call is recorded in it.  spawn runs the real
 * hv_netmgr_spawn() when spawn_real is set (tests that run a recording
 * script), else answers spawn_result.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/netmgr.h"

#define HV_NETMGR_FAKE_MAX_ARGS 8

struct hv_netmgr_fake {
	/* answers */
	int manages[_HV_NETMGR_KIND_MAX]; /* 1, 0 or -errno */
	int nm_activate_result;
	int networkd_result;
	bool spawn_real;
	int spawn_result;
	/* records */
	unsigned n_manages, n_nm_activate, n_networkd, n_spawn;
	char nm_files[HV_NETMGR_FAKE_MAX_ARGS][PATH_MAX];
	size_t n_nm_files;
	char nm_uuid[64]; /* "" for NULL */
	char nm_ifname[32];
	int networkd_ifindex;
	char spawn_argv[HV_NETMGR_FAKE_MAX_ARGS][PATH_MAX];
	size_t spawn_argc;
	uint64_t last_timeout_usec;
};

/* Everything zero, manages = -ENOTCONN for both (no bus: look at /run). */
void hv_netmgr_fake_init(struct hv_netmgr_fake *f);

/* userdata: a struct hv_netmgr_fake. */
extern const struct hv_netmgr_ops hv_netmgr_fake_ops;
