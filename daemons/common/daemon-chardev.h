/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The char-device daemons' common part: the three device descriptors, filled
 * from proto/ (the transport stays ignorant of KVP, VSS and fcopy bytes), and
 * the glue that puts a struct hv_chardev on the daemon's loop.
 *
 * hv_daemon_chardev_start() opens and registers the device and attaches it;
 * once registered it calls hv_daemon_ready().  A device that does not exist
 * yet (ENOENT: kernels since 6.13 create it only once the channel is open) is
 * waited for with a retry timer and "STATUS=Waiting for /dev/vmbus/hv_kvp",
 * both at start and when a reopen after hibernation finds it gone.  Any other
 * open failure is fatal: it is logged with the transport's explanation (for
 * EBUSY, which process holds the device) and the daemon exits with status 1,
 * so systemd's Restart= policy applies.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "daemons/common/daemon.h"
#include "proto/kvp.h"
#include "transport/chardev.h"

#define HV_DEVICE_KVP "/dev/vmbus/hv_kvp"
#define HV_DEVICE_VSS "/dev/vmbus/hv_vss"
#define HV_DEVICE_FCOPY "/dev/vmbus/hv_fcopy"

/*
 * PROTOCOL.md §5.3: 7432-byte messages; registration REGISTER1 (op 100), the
 * kernel answers a 7432-byte message with op 100 and its version string
 * ("3.1"), stored into version on every registration (the buffer must
 * outlive the chardev).
 */
int hv_daemon_chardev_new_kvp(const struct hv_path *p, char version[HV_KVP_REGISTER_VERSION_SIZE],
			      struct hv_chardev **ret);
/* §6.3: 12-byte messages; REGISTER1 (op 129) answered by a 4-byte 129. */
int hv_daemon_chardev_new_vss(const struct hv_path *p, struct hv_chardev **ret);
/* §7.2: messages of 4..6196 bytes; version 1 answered by a 4-byte 1. */
int hv_daemon_chardev_new_fcopy(const struct hv_path *p, struct hv_chardev **ret);

struct hv_daemon_chardev;

/* c stays owned by the caller and must outlive the returned object. */
int hv_daemon_chardev_start(struct hv_daemon *d, struct hv_chardev *c, uint64_t retry_usec,
			    struct hv_daemon_chardev **ret);
struct hv_daemon_chardev *hv_daemon_chardev_free(struct hv_daemon_chardev *dc);
