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
/*
 * The same, but the messages are read and handled on a thread of the daemon's
 * own, the reader, which blocks in read() as the kernel's daemon devices are
 * made for: one message per read, O_NONBLOCK ignored (PROTOCOL.md §4,
 * §11.24).  A loop polls before each read, and a poll is a second trip into
 * the device per message; for file copy, 6 KiB per message, that is as much
 * as the read and the reply together (bench/README.md, bench/fcopy).
 *
 * Opening, registering, READY=1 and waiting for a missing device stay on the
 * loop, as with hv_daemon_chardev_start(); once registered the device belongs
 * to the reader, and the loop must not touch c until the object is freed.
 * The chardev's callbacks (on_message, on_reset) run on the reader: what
 * they share with the loop's handlers (stop, reload, status) the daemon
 * guards with a lock of its own, and they must not call sd-event or
 * hv_daemon functions; the status file is touched for them, once a second
 * at most, while messages come.  The reader blocks every signal; a device
 * that fails and cannot be reopened ends it, and the loop takes over as
 * hv_daemon_chardev_start() does (waiting for ENOENT, else exiting).
 *
 * hv_daemon_chardev_free() stops the reader before it returns: a read() it
 * waits in ends with EINTR (a signal of its own, SIGRTMIN+7, whose handler
 * does nothing; daemons must leave that signal alone), and a message it is
 * handling is finished first; so a daemon frees the object first and then,
 * without the lock, cleans up what the messages left.
 */
int hv_daemon_chardev_start_reader(struct hv_daemon *d, struct hv_chardev *c, uint64_t retry_usec,
				   struct hv_daemon_chardev **ret);
struct hv_daemon_chardev *hv_daemon_chardev_free(struct hv_daemon_chardev *dc);
