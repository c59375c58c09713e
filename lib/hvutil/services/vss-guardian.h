/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The freeze guardian: a child process whose only job is to make sure file
 * systems hv-vssd froze do not stay frozen when hv-vssd dies (a crash, an
 * OOM kill, SIGKILL, a watchdog abort), which would leave the machine with
 * a root that blocks every writer until someone thaws it by hand
 * (ECOSYSTEM.md §3 row 5).
 *
 * The freezer starts it before its first FIFREEZE and hands it a duplicate
 * of each frozen file system's descriptor as soon as that freeze succeeded
 * (SCM_RIGHTS over a SOCK_SEQPACKET socketpair).  The guardian closes every
 * other descriptor it inherited (the VSS device among them: a dead daemon
 * must release it so the kernel fails the host's transaction), sets
 * PR_SET_PDEATHSIG, and waits on the socket and a signalfd:
 *
 *  - end of file on the socket (the daemon exited, however it died): FITHAW
 *    every descriptor it holds, last received first, at once, then log one
 *    line to stderr (only now that nothing is frozen) and exit;
 *  - SIGTERM, SIGINT, SIGHUP (systemd stopping the unit's control group)
 *    or the parent-death signal: the same;
 *  - a "release" message (the daemon thawed everything itself): close the
 *    descriptors and exit 0 quietly.
 *
 * Until it thaws it writes nothing anywhere: messages the daemon had
 * buffered (base/log.h buffer mode) are discarded in the child, not
 * repeated.  Which FITHAW it calls comes from the struct hv_fsfreeze given
 * at start (the fake one in tests, where a recorder stands in for the
 * ioctl; unit tests never thaw or freeze anything real).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "platform/fsfreeze.h"

struct hv_vss_guardian;

/* Fork the guardian.  ff NULL: the system's FITHAW.  ff is copied; its
 * userdata must stay valid in the child (it is the parent's memory as of
 * the fork). */
int hv_vss_guardian_start(const struct hv_fsfreeze *ff, struct hv_vss_guardian **ret);

/* Hand the guardian a duplicate of fd (a frozen file system). */
int hv_vss_guardian_hold(struct hv_vss_guardian *g, int fd);

/*
 * Everything it holds was thawed by the daemon: tell it to drop the
 * descriptors and exit, and reap it (waiting at most a couple of seconds).
 * The object is freed; returns 0, or -errno when the guardian could not be
 * told (it then thaws on its own when the socket closes, which does no harm).
 */
int hv_vss_guardian_release(struct hv_vss_guardian *g);

/* Close the socket without a release: the guardian thaws what it holds and
 * exits; reap it if it does so within a couple of seconds. */
struct hv_vss_guardian *hv_vss_guardian_free(struct hv_vss_guardian *g);

pid_t hv_vss_guardian_get_pid(const struct hv_vss_guardian *g);
/* Descriptors handed over so far. */
size_t hv_vss_guardian_get_held(const struct hv_vss_guardian *g);
