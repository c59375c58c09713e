/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File copy service: the protocol state machine of hv-fcopyd (PROTOCOL.md
 * §7, §11.16-§11.20), independent of the transport.  The daemon hands it
 * either a decoded struct hv_fcopy_msg or the raw bytes of one of the two
 * transports (the host's IC payload over uio, the kernel's daemon ABI over
 * /dev/vmbus/hv_fcopy) and gets back the HRESULT to answer with.  Files are
 * written by services/fcopy-writer.h.
 *
 * States: idle, or one copy open.  START opens, WRITE adds data, COMPLETE
 * puts the file in place, CANCEL drops it.  Rule: any failure while a copy
 * is open ends that copy and removes its temporary file, so a copy that
 * went wrong anywhere can never be completed.  In particular:
 *   - WRITE, COMPLETE or CANCEL with no copy open: HV_E_FAIL (nothing to
 *     do; the reference daemon acted on fd 0, §11.18);
 *   - START while a copy is open: the open copy is cancelled and the new
 *     START fails (HV_E_FAIL): the host lost track, neither is trusted;
 *   - WRITE with size > 6144 (or, from raw bytes, more than the packet
 *     holds: the codec refuses it, §11.16), offset + size overflowing, or
 *     data past the file_size that START announced (when that is not 0):
 *     HV_E_FAIL.  The last is a choice: the host said how big the file is,
 *     so more is a confused or hostile host; a file_size of 0 sets no
 *     limit, in case a host leaves it unset;
 *   - a message that does not decode, an unknown operation: HV_E_FAIL.
 * Statuses are those of §7.1 only: HV_S_OK, HV_ERROR_ALREADY_EXISTS,
 * HV_ERROR_DISK_FULL (ENOSPC, EDQUOT, also when fsync reports it; START
 * reserves the file_size it announces, so a file that cannot fit is
 * refused there, before its data is sent) and
 * HV_E_FAIL for everything else; the errno -> status mapping itself is
 * proto/hv-status's table.  Unknown copy_flags bits are ignored.
 *
 * Every copy is logged once at its end (info on success with bytes,
 * fragments and duration; warning or notice with the reason otherwise),
 * and counted for the status file.  Requests refused with no copy open
 * are logged as warnings up to 20 times, then at debug level (a host
 * sending nonsense in a loop must not flood the journal).  Names from the
 * host are logged with control characters replaced by '?'.
 *
 * [fcopy] keys (hv_fcopy_service_config_sections):
 *   transport       auto (char device if present, else uio), chardev, uio
 *   roots           directories copies may land in, default "/"
 *   file-mode       mode of copied files, default 0644 (the reference
 *                   uses 0744: a copied file is data, not a program; set
 *                   0755 to copy scripts)
 *   directory-mode  mode of directories CREATE_PATH makes, default 0755
 *   owner, group    of copied files and created directories, a name or a
 *                   number, default root
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "proto/fcopy.h"
#include "services/fcopy-writer.h"

struct hv_path;
struct hv_fcopy_service;

/* [fcopy] transport: which device hv-fcopyd talks through. */
enum hv_fcopy_transport {
	HV_FCOPY_TRANSPORT_AUTO,
	HV_FCOPY_TRANSPORT_CHARDEV,
	HV_FCOPY_TRANSPORT_UIO,
	_HV_FCOPY_TRANSPORT_MAX,
	_HV_FCOPY_TRANSPORT_INVALID = -EINVAL,
};
extern const char *const hv_fcopy_transport_table[_HV_FCOPY_TRANSPORT_MAX];
const char *hv_fcopy_transport_to_string(enum hv_fcopy_transport t); /* "auto", "chardev", "uio" */
enum hv_fcopy_transport hv_fcopy_transport_from_string(const char *s);

/* [fcopy] in hvutils.conf. */
struct hv_fcopy_service_config {
	int transport;           /* enum hv_fcopy_transport */
	char **roots;            /* NULL-terminated absolute paths, normalised */
	unsigned file_mode;      /* 0..0777 */
	unsigned directory_mode; /* 0..0777 */
	char *owner;             /* user name or number */
	char *group;             /* group name or number */
};
/* The schema: [0] is [fcopy], [1] the terminator (a daemon's ops->sections). */
extern const struct hv_config_section hv_fcopy_service_config_sections[2];

/*
 * The writer options a [fcopy] section asks for: roots (borrowed from
 * cfg), modes, and owner and group looked up in the user database.
 * -ENOENT (logged) for an unknown user or group.
 */
int hv_fcopy_service_writer_options_from_config(const struct hv_fcopy_service_config *cfg,
						 const struct hv_path *path, struct hv_fcopy_writer_options *ret);

struct hv_fcopy_service_options {
	struct hv_fcopy_writer_options writer;
	/* Monotonic clock in microseconds for durations; NULL: CLOCK_MONOTONIC. */
	uint64_t (*now_usec)(void *userdata);
	void *userdata;
};

int hv_fcopy_service_new(const struct hv_fcopy_service_options *o, struct hv_fcopy_service **ret);
/* Cancels an open copy. */
struct hv_fcopy_service *hv_fcopy_service_free(struct hv_fcopy_service *s);

/*
 * New writer options (a reload): the roots are opened now; an open copy
 * finishes with the old ones, the next copy uses the new.  -errno keeps
 * the old options.
 */
int hv_fcopy_service_reconfigure(struct hv_fcopy_service *s, const struct hv_fcopy_writer_options *o);

/* One decoded message; returns the HRESULT for the host. */
uint32_t hv_fcopy_service_handle(struct hv_fcopy_service *s, const struct hv_fcopy_msg *m);
/* A host FCOPY payload (28-byte IC header included, uio transport). */
uint32_t hv_fcopy_service_process_wire(struct hv_fcopy_service *s, const uint8_t *payload, size_t len);
/* A message of the kernel's daemon ABI (char device, kernels <= 6.9). */
uint32_t hv_fcopy_service_process_daemon(struct hv_fcopy_service *s, const uint8_t *msg, size_t len);

/* The channel is gone or the daemon stops: cancel the open copy, if any,
 * logging why.  Returns true when a copy was open. */
bool hv_fcopy_service_cancel(struct hv_fcopy_service *s, const char *why);

bool hv_fcopy_service_is_open(const struct hv_fcopy_service *s);

/* One copy: the open one or the last one that ended. */
struct hv_fcopy_copy_info {
	const char *target;     /* "/dir/name" (valid until the next request) */
	uint64_t file_size;     /* as START announced it */
	uint64_t bytes;         /* written so far */
	uint64_t fragments;     /* WRITEs */
	uint64_t duration_usec; /* since START (open) or START to the end */
	uint32_t status;        /* how it ended (HV_S_OK, ...); HV_S_OK while open */
};
/* -ENOENT when no copy is open / none has ended yet. */
int hv_fcopy_service_get_current(const struct hv_fcopy_service *s, struct hv_fcopy_copy_info *ret);
int hv_fcopy_service_get_last(const struct hv_fcopy_service *s, struct hv_fcopy_copy_info *ret);

struct hv_fcopy_service_stats {
	uint64_t requests;        /* messages handled */
	uint64_t rejected;        /* malformed, unknown or out of order */
	uint64_t copies_ok;
	uint64_t copies_failed;   /* START refused, or ended by an error */
	uint64_t copies_cancelled; /* by the host's CANCEL or a lost channel */
	uint64_t bytes;           /* written by copies that completed */
};
void hv_fcopy_service_get_stats(const struct hv_fcopy_service *s, struct hv_fcopy_service_stats *ret);
