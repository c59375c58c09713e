/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VSS freezer: what hv-vssd does with the kernel's requests
 * (PROTOCOL.md §6, DESIGN.md §4 "VSS"), kept out of the daemon so it runs
 * on fakes in tests.  The daemon hands it each 12-byte message; the answer
 * comes back through the reply callback (from the loop, never from inside
 * hv_vss_freezer_process()), possibly much later: hooks run asynchronously.
 *
 * States: IDLE -> FREEZING (freeze hooks, then the freeze itself) ->
 * FROZEN -> THAWING (the thaw, then the thaw hooks) -> IDLE.  A failed
 * freeze goes FREEZING -> THAWING (what was frozen is thawed, then the
 * freeze-fail hooks) -> IDLE.
 *
 * Requests and answers (the status is the 32-bit `error` of the reply):
 *  - FREEZE: run the hooks with "freeze" in name order (the first failure
 *    ends the freeze), build the plan (services/vss-plan.h), start the
 *    guardian (services/vss-guardian.h), then freeze in plan order.  Any
 *    failure thaws what was frozen, last first, answers HV_E_FAIL and runs
 *    "freeze-fail" on the hooks that had run "freeze", in reverse.  Success
 *    answers HV_S_OK.  EBUSY (frozen already) counts as frozen, and such a
 *    file system is thawed with the others.
 *  - FREEZE while frozen: HV_S_OK; the freeze in place is kept (nothing is
 *    frozen twice, no hook runs again) and the auto-thaw timer starts over,
 *    since the host's THAW is due after its latest FREEZE.  The reference
 *    walks the mounts again and passes on EBUSY: the same answer.
 *  - THAW: thaw in reverse freeze order, carrying on past failures;
 *    HV_S_OK, or HV_E_FAIL when a thaw failed (EINVAL, not frozen, is not
 *    a failure).  The answer goes out once the file systems are thawed; the
 *    hooks then run with "thaw" in reverse name order.
 *  - THAW with nothing frozen: HV_S_OK (the reference passes on EINVAL),
 *    except after an auto-thaw of the current freeze: HV_E_FAIL, since the
 *    freeze did not last until the host's THAW and the snapshot may not be
 *    consistent.
 *  - HOT_BACKUP: success, answered with the operation byte kept.  `error`
 *    shares bytes 0..3 with the operation byte (§6.1), so a reply of
 *    error = 0 clobbers it and the kernel's "HOT_BACKUP -> vss_cf.flags =
 *    VSS_HBU_NO_AUTO_RECOVERY" path never runs (§6.2, §11.13).  The reply
 *    is the 12 bytes 02 00 00 00 | 00 00 00 00 | 05 00 00 00: byte 0 = 2
 *    (HOT_BACKUP), so the kernel sets the host's flags to 5; the host's
 *    status is 0x00000002, a success HRESULT (severity bit clear); bytes
 *    8..11 (flags = 5) are not read by the kernel and only say what is meant.
 *  - GET_DM_INFO, BU_COMPLETE, AUTO_RECOVER, CREATE, DELETE and unknown
 *    operations: HV_S_OK, logged (the kernel answers these itself, §6.2).
 *
 * A request that arrives while the previous one is unanswered means the
 * kernel gave up on that one (its timeout, or hibernation's fake THAW): the
 * old answer is never sent (it would answer the new request), a freeze
 * still in its hooks stops there (freeze-fail hooks, nothing frozen), and
 * the new request is handled; a FREEZE that arrives while hooks of the
 * previous cycle still run waits for them.  hv_vss_freezer_reset() is the
 * same without a new request (the device was reopened): a freeze in place
 * is thawed, as the reference does on reopen.
 *
 * Safety:
 *  - auto-thaw: auto_thaw_usec after the freeze completed without a THAW,
 *    everything is thawed (then logged, then the thaw hooks), and it is
 *    recorded in the timeline;
 *  - the guardian thaws if the daemon dies while frozen;
 *  - nothing is logged while anything is frozen: the log goes into a
 *    bounded memory buffer (base/log.h buffer mode) from just before the
 *    first FIFREEZE until the last FITHAW, then is flushed.  The freezer
 *    writes no file; the daemon's status file lives in /run (tmpfs);
 *  - with the system's fsfreeze and a path context that has a root prefix
 *    (HV_SYSROOT: a fixture tree, whose mount table is not this machine's),
 *    every FREEZE fails and the start-up thaw does nothing.
 *
 * Timeline: the last backup is kept in memory (at most
 * HV_VSS_FREEZER_MAX_EVENTS events, the rest counted): each request, hook
 * run (argument, exit status, duration), the plan, every freeze and thaw
 * (mountpoint, result, duration in microseconds), the auto-thaw and every
 * answer.  A backup starts with a HOT_BACKUP, or with a FREEZE that does
 * not follow a HOT_BACKUP; other requests add to the current one.
 * hv_vss_freezer_to_json() gives it with the state for the status file.
 *
 * [vss] keys (hv_vss_freezer_config_sections):
 *   exclude-mounts     globs on mountpoints, passed to the planner (none)
 *   auto-thaw-timeout  duration, default 60 s (1 s to 24 h)
 *   hooks-directory    default /etc/hvutils/vss-hooks.d (path context)
 *   hook-timeout       duration, default 30 s (1 s to 15 min)
 */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "platform/config.h"
#include "platform/fsfreeze.h"

struct hv_path;
struct hv_vss_plan;
struct hv_vss_freezer;

#define HV_VSS_FREEZER_MAX_EVENTS 256
#define HV_VSS_FREEZER_LOG_BUFFER_SIZE (256 * 1024)
#define HV_VSS_FREEZER_DEFAULT_AUTO_THAW_USEC (60 * UINT64_C(1000000))
#define HV_VSS_FREEZER_DEFAULT_HOOK_TIMEOUT_USEC (30 * UINT64_C(1000000))

enum hv_vss_freezer_state {
	HV_VSS_FREEZER_IDLE,
	HV_VSS_FREEZER_FREEZING,
	HV_VSS_FREEZER_FROZEN,
	HV_VSS_FREEZER_THAWING,
	_HV_VSS_FREEZER_STATE_MAX,
	_HV_VSS_FREEZER_STATE_INVALID = -EINVAL,
};

/* "idle", "freezing", "frozen", "thawing" */
const char *hv_vss_freezer_state_to_string(enum hv_vss_freezer_state s);
enum hv_vss_freezer_state hv_vss_freezer_state_from_string(const char *s);

/* [vss] */
struct hv_vss_freezer_config {
	char **exclude_mounts; /* NULL-terminated, or NULL */
	uint64_t auto_thaw_timeout_usec;
	char *hooks_directory;
	uint64_t hook_timeout_usec;
};
extern const struct hv_config_section hv_vss_freezer_config_sections[2];

/* Plan source: hv_vss_plan_build_system() unless a test gives its own. */
typedef int (*hv_vss_freezer_plan_fn)(void *userdata, char *const *exclude, struct hv_vss_plan **ret,
				      char **ret_error);

typedef void (*hv_vss_freezer_reply_fn)(struct hv_vss_freezer *f, const uint8_t *msg, size_t size,
					void *userdata);
typedef void (*hv_vss_freezer_changed_fn)(struct hv_vss_freezer *f, void *userdata);

struct hv_vss_freezer_options {
	sd_event *event;                    /* required */
	const struct hv_path *path;         /* resolves hooks-directory; the system plan */
	const struct hv_fsfreeze *fsfreeze; /* NULL: the system's (FIFREEZE); copied */
	hv_vss_freezer_plan_fn build_plan;  /* NULL: hv_vss_plan_build_system(path) */
	void *plan_userdata;
	/* Values of [vss]; NULL: the defaults.  Copied. */
	const struct hv_vss_freezer_config *config;
	bool no_guardian;       /* tests of everything but the guardian */
	size_t log_buffer_size; /* 0: HV_VSS_FREEZER_LOG_BUFFER_SIZE */
	hv_vss_freezer_reply_fn reply;     /* the answer to the current request (12 bytes) */
	hv_vss_freezer_changed_fn changed; /* state or timeline changed; may be NULL */
	void *userdata;
};

int hv_vss_freezer_new(const struct hv_vss_freezer_options *o, struct hv_vss_freezer **ret);
/* Thaws anything still frozen (no hooks), kills a running hook. */
struct hv_vss_freezer *hv_vss_freezer_free(struct hv_vss_freezer *f);

/* New [vss] values (reload); they apply from the next request on. */
int hv_vss_freezer_set_config(struct hv_vss_freezer *f, const struct hv_vss_freezer_config *c);

/* One message from the kernel.  -EBADMSG for fewer than 12 bytes (then
 * answered HV_E_FAIL). */
int hv_vss_freezer_process(struct hv_vss_freezer *f, const void *msg, size_t size);

/* The device was reset: no answer is owed any more; a freeze in place is thawed. */
void hv_vss_freezer_reset(struct hv_vss_freezer *f);

/*
 * The daemon is stopping (its loop is gone): end whatever is in progress
 * synchronously: thaw what is frozen, let a running hook end, run the thaw
 * (or freeze-fail) hooks still due.  Ends IDLE.
 */
void hv_vss_freezer_shutdown(struct hv_vss_freezer *f);

/*
 * Start-up: thaw every file system the plan would freeze, last first
 * (EINVAL, not frozen, is the normal case), so that a run that died
 * before its guardian existed leaves nothing frozen.  Logs what it
 * thawed.  Returns how many were thawed, or -errno when there is no plan.
 */
int hv_vss_freezer_thaw_leftovers(struct hv_vss_freezer *f);

enum hv_vss_freezer_state hv_vss_freezer_get_state(const struct hv_vss_freezer *f);
size_t hv_vss_freezer_get_n_frozen(const struct hv_vss_freezer *f);
const char *hv_vss_freezer_get_frozen(const struct hv_vss_freezer *f, size_t i);
/* The guardian of the freeze in place, or -1. */
int hv_vss_freezer_get_guardian_pid(const struct hv_vss_freezer *f);

/*
 * {"state", "since" (CLOCK_REALTIME usec), "request" (what started the
 * state: a request name, "auto-thaw", "reset", "stop"), "frozen"
 * [mountpoints], "auto_thaw_at" (usec or null), "last" (the timeline or
 * null)}.  The layout is in hv-vssd(8) and read by `hvctl vss`.
 */
int hv_vss_freezer_to_json(const struct hv_vss_freezer *f, json_object **ret);
