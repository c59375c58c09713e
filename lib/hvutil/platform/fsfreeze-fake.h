/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake twin of hv_fsfreeze_system for tests (not in the shipped library:
 * test programs compile fsfreeze-fake.c themselves).  It models what the
 * kernel does with FIFREEZE and FITHAW per file system (freezing a frozen
 * one is EBUSY, thawing a thawed one EINVAL), lets a test inject an error
 * for one operation on one mountpoint, and records every call as a line
 * "open /a", "freeze /a", "thaw /a" in order.
 *
 * open() hands out real descriptors (of /dev/null) so they can be
 * duplicated and passed over sockets like real ones; the fake maps each
 * number to its mountpoint until the number is handed out again.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "platform/fsfreeze.h"

#define HV_FSFREEZE_FAKE_MAX_FS 32
#define HV_FSFREEZE_FAKE_MAX_FDS 256

enum hv_fsfreeze_fake_op {
	HV_FSFREEZE_FAKE_OPEN,
	HV_FSFREEZE_FAKE_FREEZE,
	HV_FSFREEZE_FAKE_THAW,
	_HV_FSFREEZE_FAKE_OP_MAX,
};

struct hv_fsfreeze_fake_fs {
	char mountpoint[PATH_MAX];
	bool frozen;
	int error[_HV_FSFREEZE_FAKE_OP_MAX]; /* injected -errno, 0 for none */
};

struct hv_fsfreeze_fake {
	struct hv_fsfreeze_fake_fs fs[HV_FSFREEZE_FAKE_MAX_FS];
	size_t n_fs;
	int fd_fs[HV_FSFREEZE_FAKE_MAX_FDS]; /* fd number -> index in fs, -1 */
	char log[16384];
	unsigned calls[_HV_FSFREEZE_FAKE_OP_MAX];
};

void hv_fsfreeze_fake_init(struct hv_fsfreeze_fake *f);
/* ops = the fake's, userdata = f. */
struct hv_fsfreeze hv_fsfreeze_fake_get(struct hv_fsfreeze_fake *f);

/* Every later op on mountpoint fails with error (a -errno; 0 clears). */
void hv_fsfreeze_fake_set_error(struct hv_fsfreeze_fake *f, const char *mountpoint,
				enum hv_fsfreeze_fake_op op, int error);
/* A file system frozen before the test starts (a leftover). */
void hv_fsfreeze_fake_set_frozen(struct hv_fsfreeze_fake *f, const char *mountpoint, bool frozen);
bool hv_fsfreeze_fake_is_frozen(const struct hv_fsfreeze_fake *f, const char *mountpoint);
/* How many file systems are frozen. */
size_t hv_fsfreeze_fake_count_frozen(const struct hv_fsfreeze_fake *f);
/* Forget the calls recorded so far. */
void hv_fsfreeze_fake_clear_log(struct hv_fsfreeze_fake *f);

extern const struct hv_fsfreeze_ops hv_fsfreeze_fake_ops;
