/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VSS freezer state machine (see vss-freezer.h).  Everything slow but
 * the ioctls runs on the loop: hooks are asynchronous, so the loop keeps
 * answering the watchdog and signals while a hook works; FIFREEZE and
 * FITHAW are called in line, in the order of the plan.
 *
 * Invariants:
 *  - anything frozen <=> f->n_frozen > 0 => the log is buffered;
 *  - the guardian exists from before the first FIFREEZE until every held
 *    descriptor was thawed;
 *  - after a thaw, the guardian's release (which waits for it to exit) and
 *    the log's flush wait for the answer: they run from an idle-priority
 *    defer source (retire()), which the loop dispatches after the answer's,
 *    so the host is not kept waiting for them; anything that needs them
 *    done (a new freeze, stop, free) calls retire() first;
 *  - at most one answer per kernel request: awaiting_reply is set when a
 *    request arrives and cleared by answer() or when the request is
 *    superseded; the answer itself leaves from a defer source, so the
 *    daemon's write (and a device reset it may cause) never runs inside
 *    this file's own code.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/string-table.h"
#include "proto/hv-status.h"
#include "proto/vss.h"
#include "services/vss-freezer.h"
#include "services/vss-guardian.h"
#include "services/vss-hooks.h"
#include "services/vss-plan.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* ---- configuration ---- */

static const struct hv_config_item vss_config_items[] = {
	HV_CONFIG_GLOBS("exclude-mounts", struct hv_vss_freezer_config, exclude_mounts, NULL,
			"Mountpoints never frozen (glob patterns on the whole mountpoint)"),
	HV_CONFIG_DURATION("auto-thaw-timeout", struct hv_vss_freezer_config, auto_thaw_timeout_usec, "60s",
			   "Thaw everything when no THAW came this long after a freeze completed",
			   HV_USEC_PER_SEC, 24 * 3600 * HV_USEC_PER_SEC),
	HV_CONFIG_PATH("hooks-directory", struct hv_vss_freezer_config, hooks_directory,
		       SYSCONFDIR "/hvutils/vss-hooks.d",
		       "Executables run with freeze before a freeze, thaw after the thaw, freeze-fail after a failed freeze"),
	HV_CONFIG_DURATION("hook-timeout", struct hv_vss_freezer_config, hook_timeout_usec, "30s",
			   "Longest a hook may run; it is then killed and counts as failed",
			   HV_USEC_PER_SEC, 15 * 60 * HV_USEC_PER_SEC),
};

const struct hv_config_section hv_vss_freezer_config_sections[2] = {
	{
		.name = "vss",
		.size = sizeof(struct hv_vss_freezer_config),
		.items = vss_config_items,
		.n_items = ELEMENTSOF(vss_config_items),
	},
	{},
};

static const char *const hv_vss_freezer_state_table[_HV_VSS_FREEZER_STATE_MAX] = {
	[HV_VSS_FREEZER_IDLE] = "idle",
	[HV_VSS_FREEZER_FREEZING] = "freezing",
	[HV_VSS_FREEZER_FROZEN] = "frozen",
	[HV_VSS_FREEZER_THAWING] = "thawing",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_vss_freezer_state, enum hv_vss_freezer_state);

/* ---- the object ---- */

enum hook_pass {
	PASS_NONE,
	PASS_FREEZE,
	PASS_THAW,
	PASS_FREEZE_FAIL,
	_PASS_MAX,
};

static const char *const pass_argument[_PASS_MAX] = {
	[PASS_FREEZE] = "freeze",
	[PASS_THAW] = "thaw",
	[PASS_FREEZE_FAIL] = "freeze-fail",
};

struct tl_event {
	uint64_t time_usec, mono_usec;
	const char *event;  /* "request", "hook", "plan", "guardian", "freeze", "thaw", ... */
	char *target;       /* request name, hook, mountpoint */
	char *argument;     /* hook argument, fstype */
	const char *result; /* "ok", "failed", "already-frozen", ... */
	char *error;        /* why, or NULL */
	int64_t status;
	bool has_status;
	uint64_t duration_usec;
	bool has_duration;
};

struct timeline {
	uint64_t start_usec, start_mono;
	const char *request;
	const char *outcome;
	uint64_t frozen_mono;  /* when the freeze completed, 0 if never */
	uint64_t frozen_usec;  /* how long it stayed frozen, once thawed */
	bool frozen_done;
	uint8_t last_op;
	struct tl_event *events;
	size_t n_events;
	unsigned long dropped;
};

struct frozen_fs {
	char *mountpoint;
	char *fstype;
	int fd;
};

struct hv_vss_freezer {
	sd_event *event;
	const struct hv_path *path;
	struct hv_fsfreeze ff;
	hv_vss_freezer_plan_fn build_plan;
	void *plan_userdata;
	bool no_guardian;
	size_t log_buffer_size;
	hv_vss_freezer_reply_fn reply;
	hv_vss_freezer_changed_fn changed;
	void *userdata;

	/* [vss] */
	char **exclude;
	uint64_t auto_thaw_usec;
	char *hooks_directory;
	uint64_t hook_timeout_usec;

	enum hv_vss_freezer_state state;
	uint64_t since_usec;
	const char *cause;

	struct frozen_fs *frozen;
	size_t n_frozen;
	struct hv_vss_guardian *guardian;
	struct hv_vss_guardian *retiring; /* thawed, released by retire() */
	sd_event_source *retire_source;
	sd_event_source *auto_thaw;
	uint64_t auto_thaw_at; /* CLOCK_REALTIME usec, 0 when not armed */
	bool auto_thawed;      /* the last freeze ended by the timer */

	char **hooks; /* the list taken at FREEZE */
	char *hooks_dir; /* resolved */
	size_t n_hooks, n_hooks_frozen, hook_next;
	enum hook_pass pass;
	struct hv_vss_hook *hook;

	bool awaiting_reply;
	uint8_t cur_op;
	bool abort_freeze;
	bool queued_freeze;
	uint8_t reply_msg[HV_VSS_MSG_SIZE];
	bool reply_pending;
	sd_event_source *reply_source;

	struct timeline *last;
};

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000;
}

static const char *op_name(uint8_t op)
{
	return hv_vss_op_to_string(op) ?: "unknown";
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int strv_copy(char *const *v, char ***ret)
{
	size_t n = 0;
	char **c;

	if (!v) {
		*ret = NULL;
		return 0;
	}
	while (v[n])
		n++;
	c = calloc(n + 1, sizeof(char *));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			strv_free(c);
			return -ENOMEM;
		}
	}
	*ret = c;
	return 0;
}

static void notify_changed(struct hv_vss_freezer *f)
{
	if (f->changed)
		f->changed(f, f->userdata);
}

static void set_state(struct hv_vss_freezer *f, enum hv_vss_freezer_state s, const char *cause)
{
	f->state = s;
	f->cause = cause;
	f->since_usec = now_usec(CLOCK_REALTIME);
	notify_changed(f);
}

/* ---- timeline ---- */

static void event_done(struct tl_event *e)
{
	free(e->target);
	free(e->argument);
	free(e->error);
}

static struct timeline *timeline_free(struct timeline *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_events; i++)
		event_done(&t->events[i]);
	free(t->events);
	free(t);
	return NULL;
}

static void timeline_start(struct hv_vss_freezer *f, const char *request)
{
	struct timeline *t = calloc(1, sizeof(*t));

	/* Out of memory: keep the old one rather than fail the backup. */
	if (!t)
		return;
	t->events = calloc(HV_VSS_FREEZER_MAX_EVENTS, sizeof(*t->events));
	if (!t->events) {
		free(t);
		return;
	}
	t->start_usec = now_usec(CLOCK_REALTIME);
	t->start_mono = now_usec(CLOCK_MONOTONIC);
	t->request = request;
	t->outcome = "in-progress";
	timeline_free(f->last);
	f->last = t;
}

/* A new event (or NULL when there is no timeline or no room); strings
 * are copied and may be NULL. */
static struct tl_event *tl_add(struct hv_vss_freezer *f, const char *event, const char *target,
			       const char *argument, const char *result)
{
	struct timeline *t = f->last;
	struct tl_event *e;

	if (!t)
		return NULL;
	if (t->n_events >= HV_VSS_FREEZER_MAX_EVENTS) {
		t->dropped++;
		return NULL;
	}
	e = &t->events[t->n_events++];
	*e = (struct tl_event){
		.time_usec = now_usec(CLOCK_REALTIME),
		.mono_usec = now_usec(CLOCK_MONOTONIC),
		.event = event,
		.target = target ? strdup(target) : NULL,
		.argument = argument ? strdup(argument) : NULL,
		.result = result,
	};
	return e;
}

static void tl_set_error(struct tl_event *e, int r)
{
	if (e && r < 0) {
		free(e->error);
		e->error = strdup(strerror(-r));
	}
}

static void tl_set_duration(struct tl_event *e, uint64_t start_mono)
{
	if (e) {
		e->duration_usec = now_usec(CLOCK_MONOTONIC) - start_mono;
		e->has_duration = true;
	}
}

static void tl_outcome(struct hv_vss_freezer *f, const char *outcome)
{
	if (f->last)
		f->last->outcome = outcome;
}

/* The timeline a request belongs to (see the header for the rule). */
static void tl_request(struct hv_vss_freezer *f, uint8_t op, const char *result)
{
	bool idle = f->state == HV_VSS_FREEZER_IDLE;
	bool fresh = !f->last || (idle && op == HV_VSS_OP_HOT_BACKUP) ||
		     (idle && op == HV_VSS_OP_FREEZE && f->last->last_op != HV_VSS_OP_HOT_BACKUP);

	if (fresh)
		timeline_start(f, op_name(op));
	if (f->last)
		f->last->last_op = op;
	(void)tl_add(f, "request", op_name(op), NULL, result);
}

/* ---- answers ---- */

static int on_reply(sd_event_source *s, void *userdata)
{
	struct hv_vss_freezer *f = userdata;

	(void)s;
	f->reply_source = sd_event_source_disable_unref(f->reply_source);
	if (!f->reply_pending)
		return 0;
	f->reply_pending = false;
	if (f->reply)
		f->reply(f, f->reply_msg, sizeof(f->reply_msg), f->userdata);
	return 0;
}

static void answer(struct hv_vss_freezer *f, uint32_t status)
{
	struct tl_event *e;
	char hex[32];
	int r;

	if (!f->awaiting_reply)
		return;
	f->awaiting_reply = false;
	if (f->cur_op == HV_VSS_OP_HOT_BACKUP && status == HV_S_OK) {
		/* Byte 0 stays HOT_BACKUP (see the header). */
		(void)hv_vss_msg_encode_reply(HV_VSS_OP_HOT_BACKUP, HV_VSS_HBU_NO_AUTO_RECOVERY, f->reply_msg,
					      sizeof(f->reply_msg));
		status = HV_VSS_OP_HOT_BACKUP;
	} else
		(void)hv_vss_msg_encode_reply(status, 0, f->reply_msg, sizeof(f->reply_msg));

	snprintf(hex, sizeof(hex), "0x%08x", (unsigned)status);
	e = tl_add(f, "answer", op_name(f->cur_op), NULL,
		   f->cur_op == HV_VSS_OP_HOT_BACKUP && status == HV_VSS_OP_HOT_BACKUP
			   ? "no-auto-recovery"
			   : hv_status_to_string(status) ?: "other");
	if (e) {
		e->status = status;
		e->has_status = true;
		e->error = status == HV_S_OK || status == HV_VSS_OP_HOT_BACKUP ? NULL : strdup(hex);
	}
	hv_log_debug("Answering %s with 0x%08x", op_name(f->cur_op), (unsigned)status);

	f->reply_pending = true;
	if (!f->reply_source) {
		r = sd_event_add_defer(f->event, &f->reply_source, on_reply, f);
		if (r < 0) {
			/* No loop to defer to: answer now. */
			hv_log_debug_errno(r, "Failed to defer the answer, sending it now: %m");
			(void)on_reply(NULL, f);
		}
	}
	notify_changed(f);
}

/* ---- thawing ---- */

static void auto_thaw_disarm(struct hv_vss_freezer *f)
{
	f->auto_thaw = sd_event_source_disable_unref(f->auto_thaw);
	f->auto_thaw_at = 0;
}

/* The guardian of a freeze that was thawed goes, and the log may reach the
 * journal again: once the answer is out (see the invariants above). */
static void retire(struct hv_vss_freezer *f)
{
	f->retire_source = sd_event_source_disable_unref(f->retire_source);
	if (f->retiring) {
		int r = hv_vss_guardian_release(f->retiring);

		f->retiring = NULL;
		if (r < 0)
			hv_log_debug_errno(r, "The guardian could not be told to stand down: %m");
	}
	if (f->n_frozen == 0)
		hv_log_buffer_flush();
}

static int on_retire(sd_event_source *s, void *userdata)
{
	(void)s;
	retire(userdata);
	return 0;
}

static void retire_later(struct hv_vss_freezer *f)
{
	int r;

	if (f->retire_source)
		return;
	r = sd_event_add_defer(f->event, &f->retire_source, on_retire, f);
	if (r >= 0)
		r = sd_event_source_set_priority(f->retire_source, SD_EVENT_PRIORITY_IDLE);
	if (r < 0)
		/* No loop (stopping): now. */
		retire(f);
}

/* Thaw every held file system, last frozen first, carrying on past
 * failures; the guardian's release and the log's flush follow the answer
 * (retire_later()).  Returns the number that failed to thaw; *ret_error
 * the first error. */
static unsigned thaw_all(struct hv_vss_freezer *f, int *ret_error)
{
	unsigned failed = 0;
	int first = 0;

	auto_thaw_disarm(f);
	for (size_t i = f->n_frozen; i > 0; i--) {
		struct frozen_fs *fs = &f->frozen[i - 1];
		uint64_t start = now_usec(CLOCK_MONOTONIC);
		struct tl_event *e;
		int r;

		r = hv_fsfreeze_thaw(&f->ff, fs->fd);
		e = tl_add(f, "thaw", fs->mountpoint, fs->fstype,
			   r == HV_FSFREEZE_DONE ? "ok" : r == HV_FSFREEZE_ALREADY ? "not-frozen" : "failed");
		tl_set_error(e, r);
		tl_set_duration(e, start);
		if (r < 0) {
			hv_log_err_errno(r, "Failed to thaw %s: %m", fs->mountpoint);
			if (!failed)
				first = r;
			failed++;
		} else
			hv_log_debug("Thawed %s%s", fs->mountpoint,
				     r == HV_FSFREEZE_ALREADY ? " (it was not frozen)" : "");
		fs->fd = hv_safe_close(fs->fd);
		free(fs->mountpoint);
		free(fs->fstype);
	}
	f->n_frozen = 0;
	if (f->guardian) {
		if (f->retiring)
			retire(f);
		f->retiring = TAKE_PTR(f->guardian);
	}
	if (f->last && f->last->frozen_mono && !f->last->frozen_done) {
		f->last->frozen_usec = now_usec(CLOCK_MONOTONIC) - f->last->frozen_mono;
		f->last->frozen_done = true;
	}
	/* Nothing is frozen: the log may reach the journal again, right
	 * after the answer. */
	retire_later(f);
	if (ret_error)
		*ret_error = first;
	return failed;
}

static void run_hooks(struct hv_vss_freezer *f);

static void start_pass(struct hv_vss_freezer *f, enum hook_pass pass)
{
	f->pass = pass;
	f->hook_next = pass == PASS_FREEZE ? 0 : f->n_hooks_frozen;
	run_hooks(f);
}

static void do_thaw(struct hv_vss_freezer *f, const char *cause, const char *outcome)
{
	size_t n = f->n_frozen;
	unsigned failed;
	int error;

	set_state(f, HV_VSS_FREEZER_THAWING, cause);
	failed = thaw_all(f, &error);
	tl_outcome(f, outcome);
	if (failed)
		hv_log_err_errno(error, "Thawed %zu file system(s), %u failed: %m", n - failed, failed);
	else
		hv_log_info("Thawed %zu file system(s)", n);
	answer(f, failed ? HV_E_FAIL : HV_S_OK);
	start_pass(f, PASS_THAW);
}

static void freeze_failed(struct hv_vss_freezer *f, const char *why)
{
	bool aborted = f->abort_freeze;

	f->abort_freeze = false;
	(void)thaw_all(f, NULL);
	if (aborted)
		hv_log_notice("Freeze abandoned: %s", why);
	else
		hv_log_err("Freeze failed: %s", why);
	(void)tl_add(f, "freeze-failed", NULL, NULL, aborted ? "aborted" : "failed");
	tl_outcome(f, aborted ? "aborted" : "failed");
	/* An abandoned FREEZE is owed no answer: what is awaited now is the
	 * request that superseded it. */
	if (!aborted)
		answer(f, HV_E_FAIL);
	set_state(f, HV_VSS_FREEZER_THAWING, "freeze-fail");
	start_pass(f, PASS_FREEZE_FAIL);
}

static void start_freeze(struct hv_vss_freezer *f);

static void pass_done(struct hv_vss_freezer *f)
{
	f->pass = PASS_NONE;
	strv_free(f->hooks);
	f->hooks = NULL;
	f->n_hooks = f->n_hooks_frozen = f->hook_next = 0;
	if (f->state == HV_VSS_FREEZER_THAWING)
		set_state(f, HV_VSS_FREEZER_IDLE, f->cause);
	else
		notify_changed(f);
	if (f->queued_freeze && f->state == HV_VSS_FREEZER_IDLE) {
		f->queued_freeze = false;
		start_freeze(f);
	}
}

/* ---- freezing ---- */

static int on_auto_thaw(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hv_vss_freezer *f = userdata;
	uint64_t after = f->auto_thaw_usec;

	(void)s;
	(void)usec;
	f->auto_thaw = sd_event_source_disable_unref(f->auto_thaw);
	if (f->state != HV_VSS_FREEZER_FROZEN)
		return 0;
	(void)tl_add(f, "auto-thaw", NULL, NULL, "ok");
	f->auto_thawed = true;
	do_thaw(f, "auto-thaw", "auto-thawed");
	/* After the thaw, so this reaches the journal. */
	hv_log_warning("No THAW came within %" PRIu64 ".%03" PRIu64 " s of the freeze: thawed everything",
		       after / HV_USEC_PER_SEC, after % HV_USEC_PER_SEC / 1000);
	return 0;
}

static int auto_thaw_arm(struct hv_vss_freezer *f)
{
	int r;

	auto_thaw_disarm(f);
	if (f->auto_thaw_usec == 0)
		return 0;
	r = sd_event_add_time_relative(f->event, &f->auto_thaw, CLOCK_MONOTONIC, f->auto_thaw_usec,
				       10 * 1000, on_auto_thaw, f);
	if (r < 0)
		return r;
	f->auto_thaw_at = now_usec(CLOCK_REALTIME) + f->auto_thaw_usec;
	return 0;
}

/*
 * A path context with a root prefix (HV_SYSROOT) means a fixture tree: its
 * mount table describes no mount of this machine, and the real FIFREEZE on
 * what it names would hit the machine's own file systems.  Never.
 */
static bool refuse_real_freeze(const struct hv_vss_freezer *f)
{
	return f->ff.ops == &hv_fsfreeze_system_ops && strcmp(hv_path_root(f->path), "/") != 0;
}

static int build_plan(struct hv_vss_freezer *f, struct hv_vss_plan **ret, char **ret_error)
{
	if (f->build_plan)
		return f->build_plan(f->plan_userdata, f->exclude, ret, ret_error);
	return hv_vss_plan_build_system(f->path, f->exclude, ret, ret_error);
}

static int hold(struct hv_vss_freezer *f, const struct hv_vss_plan_entry *e, int fd)
{
	_cleanup_free_ char *mountpoint = strdup(e->mountpoint), *fstype = NULL;
	struct frozen_fs *n;

	if (e->fstype)
		fstype = strdup(e->fstype);
	if (!mountpoint || (e->fstype && !fstype))
		return -ENOMEM;
	n = realloc(f->frozen, (f->n_frozen + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	f->frozen = n;
	f->frozen[f->n_frozen++] = (struct frozen_fs){
		.mountpoint = TAKE_PTR(mountpoint),
		.fstype = TAKE_PTR(fstype),
		.fd = fd,
	};
	return 0;
}

/* Freeze one entry; on failure *why says what went wrong. */
static int freeze_one(struct hv_vss_freezer *f, const struct hv_vss_plan_entry *e, char **why)
{
	uint64_t start = now_usec(CLOCK_MONOTONIC);
	struct tl_event *ev;
	int fd, r;

	fd = hv_fsfreeze_open(&f->ff, e->mountpoint, e->mount_id);
	if (fd < 0) {
		ev = tl_add(f, "freeze", e->mountpoint, e->fstype, "failed");
		tl_set_error(ev, fd);
		tl_set_duration(ev, start);
		if (asprintf(why, "cannot open %s: %s", e->mountpoint, strerror(-fd)) < 0)
			*why = NULL;
		return fd;
	}
	r = hv_fsfreeze_freeze(&f->ff, fd);
	if (r < 0) {
		close(fd);
		ev = tl_add(f, "freeze", e->mountpoint, e->fstype, "failed");
		tl_set_error(ev, r);
		tl_set_duration(ev, start);
		if (asprintf(why, "cannot freeze %s (%s): %s", e->mountpoint, e->fstype ?: "?", strerror(-r)) < 0)
			*why = NULL;
		return r;
	}
	ev = tl_add(f, "freeze", e->mountpoint, e->fstype, r == HV_FSFREEZE_ALREADY ? "already-frozen" : "ok");
	tl_set_duration(ev, start);
	hv_log_debug("Froze %s%s", e->mountpoint, r == HV_FSFREEZE_ALREADY ? " (it was frozen already)" : "");
	/* Held from here on, so it is thawed whatever happens next. */
	r = hold(f, e, fd);
	if (r < 0) {
		(void)hv_fsfreeze_thaw(&f->ff, fd);
		close(fd);
		*why = NULL;
		return r;
	}
	if (f->guardian) {
		r = hv_vss_guardian_hold(f->guardian, fd);
		if (r < 0) {
			ev = tl_add(f, "guardian", NULL, NULL, "failed");
			tl_set_error(ev, r);
			if (asprintf(why, "cannot hand %s to the guardian: %s", e->mountpoint, strerror(-r)) < 0)
				*why = NULL;
			return r;
		}
	}
	return 0;
}

static void freeze_filesystems(struct hv_vss_freezer *f)
{
	struct hv_vss_plan *plan = NULL;
	_cleanup_free_ char *plan_error = NULL, *why = NULL;
	struct tl_event *ev;
	char count[64];
	int r;

	/* The last thaw's guardian and log first, if the loop has not yet. */
	retire(f);
	if (refuse_real_freeze(f)) {
		freeze_failed(f, "the path context has a root prefix (HV_SYSROOT): real file systems are never "
				 "frozen for a fixture tree");
		return;
	}
	r = build_plan(f, &plan, &plan_error);
	if (r < 0) {
		ev = tl_add(f, "plan", NULL, NULL, "failed");
		tl_set_error(ev, r);
		if (asprintf(&why, "no freeze plan: %s", plan_error ?: strerror(-r)) < 0)
			why = NULL;
		freeze_failed(f, why ?: "no freeze plan");
		return;
	}
	snprintf(count, sizeof(count), "%zu to freeze, %zu skipped", plan->n_freeze,
		 plan->n_entries - plan->n_freeze);
	(void)tl_add(f, "plan", count, NULL, "ok");

	if (plan->n_freeze > 0 && !f->no_guardian) {
		char pid[32] = "";

		r = hv_vss_guardian_start(&f->ff, &f->guardian);
		if (r >= 0)
			snprintf(pid, sizeof(pid), "pid %d", (int)hv_vss_guardian_get_pid(f->guardian));
		ev = tl_add(f, "guardian", NULL, r >= 0 ? pid : NULL, r < 0 ? "failed" : "ok");
		tl_set_error(ev, r);
		if (r < 0) {
			hv_vss_plan_free(plan);
			if (asprintf(&why, "cannot start the guardian: %s", strerror(-r)) < 0)
				why = NULL;
			freeze_failed(f, why ?: "cannot start the guardian");
			return;
		}
	}

	if (plan->n_freeze > 0) {
		r = hv_log_buffer_start(f->log_buffer_size);
		if (r < 0 && r != -EBUSY) {
			hv_vss_plan_free(plan);
			freeze_failed(f, "cannot set up the log buffer");
			return;
		}
	}
	for (size_t i = 0; i < plan->n_freeze; i++) {
		size_t idx = plan->freeze[i];

		if (idx >= plan->n_entries)
			continue;
		r = freeze_one(f, &plan->entries[idx], &why);
		if (r < 0) {
			hv_vss_plan_free(plan);
			freeze_failed(f, why ?: "out of memory");
			return;
		}
	}
	hv_vss_plan_free(plan);

	if (f->last)
		f->last->frozen_mono = now_usec(CLOCK_MONOTONIC);
	tl_outcome(f, "frozen");
	r = auto_thaw_arm(f);
	if (r < 0) {
		/* No watchdog, no freeze. */
		freeze_failed(f, "cannot arm the auto-thaw timer");
		return;
	}
	if (f->n_frozen == 0)
		hv_log_warning("Nothing to freeze: no mounted file system qualifies (see 'hvctl vss plan')");
	hv_log_info("Froze %zu file system(s)", f->n_frozen);
	set_state(f, HV_VSS_FREEZER_FROZEN, "freeze");
	answer(f, HV_S_OK);
}

static void on_hook_done(struct hv_vss_hook *h, const struct hv_vss_hook_result *res, void *userdata);

static void record_hook(struct hv_vss_freezer *f, const char *name, const char *argument,
			const struct hv_vss_hook_result *res)
{
	struct tl_event *e;

	e = tl_add(f, "hook", name, argument,
		   res->status < 0 ? "not-started" : res->timed_out ? "timed-out" : res->status == 0 ? "ok" : "failed");
	if (!e)
		return;
	if (res->status >= 0) {
		e->status = res->status;
		e->has_status = true;
	} else
		tl_set_error(e, res->status);
	e->time_usec = res->start_usec;
	e->duration_usec = res->duration_usec;
	e->has_duration = true;
	if (res->status > 0 && !res->timed_out)
		hv_log_warning("Hook %s %s exited with status %d", name, argument, res->status);
}

static void run_hooks(struct hv_vss_freezer *f)
{
	for (;;) {
		struct hv_vss_hook_result res;
		size_t idx;
		int r;

		if (f->pass == PASS_FREEZE) {
			if (f->abort_freeze) {
				freeze_failed(f, "the kernel gave up on the FREEZE request");
				return;
			}
			if (f->hook_next >= f->n_hooks) {
				freeze_filesystems(f);
				return;
			}
			idx = f->hook_next;
			f->n_hooks_frozen = idx + 1;
		} else {
			if (f->hook_next == 0) {
				pass_done(f);
				return;
			}
			idx = --f->hook_next;
		}
		hv_log_debug("Running hook %s %s", f->hooks[idx], pass_argument[f->pass]);
		r = hv_vss_hook_start(f->event, f->hooks_dir, f->hooks[idx], pass_argument[f->pass],
				      f->hook_timeout_usec, on_hook_done, f, &f->hook);
		if (r >= 0)
			return; /* on_hook_done() goes on */
		res = (struct hv_vss_hook_result){ .status = r, .start_usec = now_usec(CLOCK_REALTIME) };
		record_hook(f, f->hooks[idx], pass_argument[f->pass], &res);
		if (f->pass == PASS_FREEZE) {
			freeze_failed(f, "a freeze hook could not be started");
			return;
		}
	}
}

static void on_hook_done(struct hv_vss_hook *h, const struct hv_vss_hook_result *res, void *userdata)
{
	struct hv_vss_freezer *f = userdata;
	_cleanup_free_ char *why = NULL;

	record_hook(f, hv_vss_hook_get_name(h), pass_argument[f->pass], res);
	if (f->pass == PASS_FREEZE && !hv_vss_hook_result_ok(res)) {
		if (asprintf(&why, "hook %s %s", hv_vss_hook_get_name(h),
			     res->timed_out ? "timed out" : res->status < 0 ? "could not be started" : "failed") < 0)
			why = NULL;
	}
	f->hook = hv_vss_hook_free(h);
	notify_changed(f);
	if (f->pass == PASS_FREEZE) {
		if (why || !hv_vss_hook_result_ok(res)) {
			freeze_failed(f, why ?: "a freeze hook failed");
			return;
		}
		f->hook_next++;
	}
	run_hooks(f);
}

static void start_freeze(struct hv_vss_freezer *f)
{
	char **hooks = NULL;
	int r;

	tl_request(f, HV_VSS_OP_FREEZE, NULL);
	tl_outcome(f, "in-progress");
	f->auto_thawed = false;
	f->abort_freeze = false;
	set_state(f, HV_VSS_FREEZER_FREEZING, "freeze");

	free(f->hooks_dir);
	f->hooks_dir = f->hooks_directory ? hv_path_get(f->path, f->hooks_directory) : NULL;
	if (f->hooks_directory && !f->hooks_dir) {
		freeze_failed(f, "out of memory");
		return;
	}
	if (f->hooks_dir) {
		r = hv_vss_hooks_scan(f->hooks_dir, &hooks);
		if (r < 0) {
			_cleanup_free_ char *why = NULL;

			if (asprintf(&why, "cannot read the hooks directory %s: %s", f->hooks_directory,
				     strerror(-r)) < 0)
				why = NULL;
			freeze_failed(f, why ?: "cannot read the hooks directory");
			return;
		}
	}
	strv_free(f->hooks);
	f->hooks = hooks;
	f->n_hooks = 0;
	while (hooks && hooks[f->n_hooks])
		f->n_hooks++;
	f->n_hooks_frozen = 0;
	start_pass(f, PASS_FREEZE);
}

/* ---- requests ---- */

/* A new request while one is unanswered: the kernel gave up on that one. */
static void supersede(struct hv_vss_freezer *f)
{
	if (f->awaiting_reply || f->queued_freeze) {
		hv_log_warning("The kernel gave up on the %s request before it was answered", op_name(f->cur_op));
		(void)tl_add(f, "superseded", op_name(f->cur_op), NULL, "no-answer");
	}
	f->awaiting_reply = false;
	f->queued_freeze = false;
	f->reply_pending = false;
	if (f->state == HV_VSS_FREEZER_FREEZING)
		f->abort_freeze = true;
}

int hv_vss_freezer_process(struct hv_vss_freezer *f, const void *msg, size_t size)
{
	struct hv_vss_msg m;
	int r;

	if (!f)
		return -EINVAL;
	supersede(f);
	f->awaiting_reply = true;
	r = hv_vss_msg_decode(msg, size, &m);
	if (r < 0) {
		f->cur_op = UINT8_MAX;
		hv_log_warning("A VSS message of %zu bytes is too short, answering failure", size);
		answer(f, HV_E_FAIL);
		return -EBADMSG;
	}
	f->cur_op = m.op;
	hv_log_debug("Request %s (%u) in state %s", op_name(m.op), m.op, hv_vss_freezer_state_table[f->state]);

	switch (m.op) {
	case HV_VSS_OP_FREEZE:
		switch (f->state) {
		case HV_VSS_FREEZER_IDLE:
			start_freeze(f);
			break;
		case HV_VSS_FREEZER_FROZEN:
			tl_request(f, m.op, "already-frozen");
			hv_log_notice("FREEZE while frozen: keeping the freeze in place");
			if (auto_thaw_arm(f) < 0)
				hv_log_warning("Failed to restart the auto-thaw timer, keeping the old one");
			answer(f, HV_S_OK);
			break;
		case HV_VSS_FREEZER_FREEZING:
		case HV_VSS_FREEZER_THAWING:
			/* The previous cycle ends first (hooks are running). */
			(void)tl_add(f, "request", op_name(m.op), NULL, "queued");
			f->queued_freeze = true;
			break;
		case _HV_VSS_FREEZER_STATE_MAX:
		case _HV_VSS_FREEZER_STATE_INVALID:
			break;
		}
		break;
	case HV_VSS_OP_THAW:
		tl_request(f, m.op, NULL);
		if (f->state == HV_VSS_FREEZER_FROZEN) {
			do_thaw(f, "thaw", "thawed");
		} else if (f->auto_thawed) {
			f->auto_thawed = false;
			hv_log_warning("THAW after the auto-thaw: the freeze did not last, answering failure");
			answer(f, HV_E_FAIL);
		} else {
			hv_log_info("THAW with nothing frozen");
			answer(f, HV_S_OK);
		}
		break;
	case HV_VSS_OP_HOT_BACKUP:
		tl_request(f, m.op, NULL);
		hv_log_info("HOT_BACKUP: answering success with no auto-recovery");
		answer(f, HV_S_OK);
		break;
	default:
		/* GET_DM_INFO, BU_COMPLETE, AUTO_RECOVER, CREATE, DELETE and
		 * unknown ones: the kernel answers them itself (§6.2). */
		tl_request(f, m.op, NULL);
		hv_log_info("Request %s (%u) is not the daemon's: answering success", op_name(m.op), m.op);
		answer(f, HV_S_OK);
		break;
	}
	return 0;
}

void hv_vss_freezer_reset(struct hv_vss_freezer *f)
{
	if (!f)
		return;
	if (f->awaiting_reply || f->reply_pending || f->queued_freeze)
		(void)tl_add(f, "reset", op_name(f->cur_op), NULL, "no-answer");
	f->awaiting_reply = false;
	f->reply_pending = false;
	f->queued_freeze = false;
	f->reply_source = sd_event_source_disable_unref(f->reply_source);
	switch (f->state) {
	case HV_VSS_FREEZER_FREEZING:
		f->abort_freeze = true;
		break;
	case HV_VSS_FREEZER_FROZEN:
		(void)tl_add(f, "reset", NULL, NULL, "thaw");
		do_thaw(f, "reset", "reset");
		hv_log_warning("The VSS device was reset while frozen: thawed everything");
		break;
	case HV_VSS_FREEZER_IDLE:
	case HV_VSS_FREEZER_THAWING:
	case _HV_VSS_FREEZER_STATE_MAX:
	case _HV_VSS_FREEZER_STATE_INVALID:
		break;
	}
}

/* ---- stopping ---- */

static void run_hooks_sync(struct hv_vss_freezer *f)
{
	while (f->hook_next > 0) {
		struct hv_vss_hook_result res;
		size_t idx = --f->hook_next;

		if (hv_vss_hook_run(f->hooks_dir, f->hooks[idx], pass_argument[f->pass], f->hook_timeout_usec,
				    &res) < 0)
			continue;
		record_hook(f, f->hooks[idx], pass_argument[f->pass], &res);
	}
}

void hv_vss_freezer_shutdown(struct hv_vss_freezer *f)
{
	if (!f)
		return;
	f->awaiting_reply = false;
	f->reply_pending = false;
	f->queued_freeze = false;
	f->reply_source = sd_event_source_disable_unref(f->reply_source);

	if (f->hook) {
		struct hv_vss_hook_result res;

		/* Let it finish (bounded by hook-timeout): killing a hook half
		 * way could leave an application half quiesced. */
		if (hv_vss_hook_wait(f->hook, &res) >= 0)
			record_hook(f, hv_vss_hook_get_name(f->hook), pass_argument[f->pass], &res);
		f->hook = hv_vss_hook_free(f->hook);
	}
	if (f->n_frozen > 0) {
		size_t n = f->n_frozen;
		unsigned failed;
		int error;

		(void)tl_add(f, "stop", NULL, NULL, "thaw");
		failed = thaw_all(f, &error);
		/* No answer to wait for: the guardian goes, the log flows. */
		retire(f);
		tl_outcome(f, "stopped");
		if (failed)
			hv_log_err_errno(error, "Stopping: thawed %zu file system(s), %u failed: %m", n - failed,
					 failed);
		else
			hv_log_notice("Stopping: thawed %zu file system(s)", n);
		f->pass = PASS_THAW;
		f->hook_next = f->n_hooks_frozen;
	} else if (f->pass == PASS_FREEZE) {
		tl_outcome(f, "aborted");
		f->pass = PASS_FREEZE_FAIL;
		f->hook_next = f->n_hooks_frozen;
	}
	if (f->pass != PASS_NONE && f->hooks_dir)
		run_hooks_sync(f);
	f->pass = PASS_NONE;
	strv_free(f->hooks);
	f->hooks = NULL;
	f->n_hooks = f->n_hooks_frozen = f->hook_next = 0;
	auto_thaw_disarm(f);
	retire(f);
	set_state(f, HV_VSS_FREEZER_IDLE, "stop");
}

/* ---- start-up ---- */

int hv_vss_freezer_thaw_leftovers(struct hv_vss_freezer *f)
{
	struct hv_vss_plan *plan = NULL;
	_cleanup_free_ char *error = NULL;
	size_t len = 0;
	char list[1024] = "";
	int r, thawed = 0, failed = 0, first_error = 0;

	if (!f)
		return -EINVAL;
	if (refuse_real_freeze(f))
		return 0;
	r = build_plan(f, &plan, &error);
	if (r < 0)
		return hv_log_warning_errno(r, "Cannot check for file systems left frozen: %s",
					    error ?: strerror(-r));
	/* Nothing is logged before the pass: a frozen file system under the
	 * journal would block the message. */
	for (size_t i = plan->n_freeze; i > 0; i--) {
		const struct hv_vss_plan_entry *e;
		int fd;

		if (plan->freeze[i - 1] >= plan->n_entries)
			continue;
		e = &plan->entries[plan->freeze[i - 1]];
		fd = hv_fsfreeze_open(&f->ff, e->mountpoint, e->mount_id);
		if (fd < 0)
			continue;
		r = hv_fsfreeze_thaw(&f->ff, fd);
		close(fd);
		if (r == HV_FSFREEZE_DONE) {
			thawed++;
			if (len < sizeof(list))
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
							e->mountpoint);
		} else if (r < 0) {
			failed++;
			if (!first_error)
				first_error = r;
		}
	}
	hv_vss_plan_free(plan);
	if (thawed > 0)
		hv_log_warning("Thawed %d file system(s) left frozen by an earlier run: %s", thawed, list);
	if (failed > 0)
		hv_log_warning_errno(first_error, "Could not check %d file system(s) for a leftover freeze, ignoring: %m",
				     failed);
	return thawed;
}

/* ---- life cycle ---- */

int hv_vss_freezer_set_config(struct hv_vss_freezer *f, const struct hv_vss_freezer_config *c)
{
	_cleanup_free_ char *dir = NULL;
	char **exclude = NULL;
	int r;

	if (!f)
		return -EINVAL;
	if (!c) {
		f->auto_thaw_usec = HV_VSS_FREEZER_DEFAULT_AUTO_THAW_USEC;
		f->hook_timeout_usec = HV_VSS_FREEZER_DEFAULT_HOOK_TIMEOUT_USEC;
		strv_free(f->exclude);
		f->exclude = NULL;
		free(f->hooks_directory);
		f->hooks_directory = strdup(SYSCONFDIR "/hvutils/vss-hooks.d");
		return f->hooks_directory ? 0 : -ENOMEM;
	}
	r = strv_copy(c->exclude_mounts, &exclude);
	if (r < 0)
		return r;
	if (c->hooks_directory) {
		dir = strdup(c->hooks_directory);
		if (!dir) {
			strv_free(exclude);
			return -ENOMEM;
		}
	}
	strv_free(f->exclude);
	f->exclude = exclude;
	free(f->hooks_directory);
	f->hooks_directory = TAKE_PTR(dir);
	f->auto_thaw_usec = c->auto_thaw_timeout_usec;
	f->hook_timeout_usec = c->hook_timeout_usec ?: HV_VSS_FREEZER_DEFAULT_HOOK_TIMEOUT_USEC;
	return 0;
}

int hv_vss_freezer_new(const struct hv_vss_freezer_options *o, struct hv_vss_freezer **ret)
{
	struct hv_vss_freezer *f;
	int r;

	if (!o || !o->event || !ret)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->event = sd_event_ref(o->event);
	f->path = o->path;
	f->ff = o->fsfreeze && o->fsfreeze->ops ? *o->fsfreeze : hv_fsfreeze_system;
	f->build_plan = o->build_plan;
	f->plan_userdata = o->plan_userdata;
	f->no_guardian = o->no_guardian;
	f->log_buffer_size = o->log_buffer_size ?: HV_VSS_FREEZER_LOG_BUFFER_SIZE;
	f->reply = o->reply;
	f->changed = o->changed;
	f->userdata = o->userdata;
	f->state = HV_VSS_FREEZER_IDLE;
	f->cause = "start";
	f->since_usec = now_usec(CLOCK_REALTIME);
	r = hv_vss_freezer_set_config(f, o->config);
	if (r < 0) {
		hv_vss_freezer_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

struct hv_vss_freezer *hv_vss_freezer_free(struct hv_vss_freezer *f)
{
	if (!f)
		return NULL;
	f->hook = hv_vss_hook_free(f->hook);
	if (f->n_frozen > 0)
		(void)thaw_all(f, NULL);
	if (f->guardian)
		(void)hv_vss_guardian_release(f->guardian);
	retire(f);
	auto_thaw_disarm(f);
	sd_event_source_disable_unref(f->reply_source);
	free(f->frozen);
	strv_free(f->hooks);
	free(f->hooks_dir);
	strv_free(f->exclude);
	free(f->hooks_directory);
	timeline_free(f->last);
	sd_event_unref(f->event);
	free(f);
	return NULL;
}

enum hv_vss_freezer_state hv_vss_freezer_get_state(const struct hv_vss_freezer *f)
{
	return f ? f->state : _HV_VSS_FREEZER_STATE_INVALID;
}

size_t hv_vss_freezer_get_n_frozen(const struct hv_vss_freezer *f)
{
	return f ? f->n_frozen : 0;
}

const char *hv_vss_freezer_get_frozen(const struct hv_vss_freezer *f, size_t i)
{
	return f && i < f->n_frozen ? f->frozen[i].mountpoint : NULL;
}

int hv_vss_freezer_get_guardian_pid(const struct hv_vss_freezer *f)
{
	return f && f->guardian ? (int)hv_vss_guardian_get_pid(f->guardian) : -1;
}

/* ---- JSON ---- */

static int add(json_object *o, const char *key, json_object *v)
{
	/* A NULL value is JSON null; a failed allocation of one that should
	 * not be NULL is caught by the caller's checks of the strings. */
	return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int event_to_json(const struct timeline *t, const struct tl_event *e, json_object **ret)
{
	json_object *o = json_object_new_object();
	int r = o ? 0 : -ENOMEM;

	if (r == 0)
		r = add(o, "time", json_object_new_int64((int64_t)e->time_usec));
	if (r == 0)
		r = add(o, "offset_usec",
			json_object_new_int64(e->mono_usec >= t->start_mono ? (int64_t)(e->mono_usec - t->start_mono) : 0));
	if (r == 0)
		r = add(o, "event", json_object_new_string(e->event));
	if (r == 0)
		r = add(o, "target", str_or_null(e->target));
	if (r == 0)
		r = add(o, "argument", str_or_null(e->argument));
	if (r == 0)
		r = add(o, "result", str_or_null(e->result));
	if (r == 0)
		r = add(o, "error", str_or_null(e->error));
	if (r == 0)
		r = add(o, "status", e->has_status ? json_object_new_int64(e->status) : NULL);
	if (r == 0)
		r = add(o, "duration_usec", e->has_duration ? json_object_new_int64((int64_t)e->duration_usec) : NULL);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

static int timeline_to_json(const struct timeline *t, json_object **ret)
{
	json_object *o, *events;
	int r;

	if (!t) {
		*ret = NULL;
		return 0;
	}
	o = json_object_new_object();
	events = json_object_new_array();
	r = o && events ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < t->n_events; i++) {
		json_object *e;

		r = event_to_json(t, &t->events[i], &e);
		if (r == 0 && json_object_array_add(events, e) < 0) {
			json_object_put(e);
			r = -ENOMEM;
		}
	}
	if (r == 0)
		r = add(o, "started", json_object_new_int64((int64_t)t->start_usec));
	if (r == 0)
		r = add(o, "request", str_or_null(t->request));
	if (r == 0)
		r = add(o, "outcome", str_or_null(t->outcome));
	if (r == 0)
		r = add(o, "frozen_usec", t->frozen_done ? json_object_new_int64((int64_t)t->frozen_usec) : NULL);
	if (r == 0) {
		r = add(o, "events", events);
		events = NULL;
	}
	if (r == 0)
		r = add(o, "events_dropped", json_object_new_int64((int64_t)t->dropped));
	json_object_put(events);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

int hv_vss_freezer_to_json(const struct hv_vss_freezer *f, json_object **ret)
{
	json_object *o, *frozen, *last = NULL;
	int r;

	if (!f || !ret)
		return -EINVAL;
	o = json_object_new_object();
	frozen = json_object_new_array();
	r = o && frozen ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < f->n_frozen; i++) {
		json_object *s = json_object_new_string(f->frozen[i].mountpoint);

		if (!s || json_object_array_add(frozen, s) < 0) {
			json_object_put(s);
			r = -ENOMEM;
		}
	}
	if (r == 0)
		r = timeline_to_json(f->last, &last);
	if (r == 0)
		r = add(o, "state", json_object_new_string(hv_vss_freezer_state_table[f->state]));
	if (r == 0)
		r = add(o, "since", json_object_new_int64((int64_t)f->since_usec));
	if (r == 0)
		r = add(o, "request", str_or_null(f->cause));
	if (r == 0) {
		r = add(o, "frozen", frozen);
		frozen = NULL;
	}
	if (r == 0)
		r = add(o, "auto_thaw_at", f->auto_thaw_at ? json_object_new_int64((int64_t)f->auto_thaw_at) : NULL);
	if (r == 0) {
		r = add(o, "last", last);
		last = NULL;
	}
	json_object_put(frozen);
	json_object_put(last);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}
