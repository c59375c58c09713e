/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl vss: the backup freeze from the guest's side.
 *
 *   plan     what hv-vssd would freeze, in which order, and why every other
 *            mount is skipped (services/vss-plan.h on this machine's mount
 *            table, with [vss] exclude-mounts); a dry run, nothing frozen
 *   status   the daemon's state from /run/hvutils/hv-vssd.json: idle or
 *            frozen since when, by which request, what is frozen
 *   last     the timeline of the last backup from the same file
 *
 * Text tables get a header row that only text mode prints (it joins the
 * columns so the widths fit it); every value goes through the one
 * printer, so JSON carries the same fields (plus raw numbers where the
 * text shows them formatted: "offset" and "offset_usec").  Times are
 * shown in UTC.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/errno-util.h"
#include "base/macros.h"
#include "base/path.h"
#include "hvctl.h"
#include "platform/config.h"
#include "platform/json.h"
#include "printer.h"
#include "services/vss-freezer.h"
#include "services/vss-plan.h"

#define VSSD "hv-vssd"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_vss_plan *, hv_vss_plan_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* ---- formatting ---- */

/* "2026-11-21 10:00:00 UTC" for CLOCK_REALTIME microseconds. */
static void format_time(int64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (usec <= 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "?");
}

/* "1.234567 s" */
static void format_seconds(int64_t usec, char *buf, size_t size)
{
	if (usec < 0)
		usec = 0;
	snprintf(buf, size, "%" PRId64 ".%06" PRId64 " s", usec / 1000000, usec % 1000000);
}

/* "1.2 ms", "340 us", "2.501 s": durations of single steps. */
static void format_duration(int64_t usec, char *buf, size_t size)
{
	if (usec < 1000)
		snprintf(buf, size, "%" PRId64 " us", usec);
	else if (usec < 1000000)
		snprintf(buf, size, "%" PRId64 ".%01" PRId64 " ms", usec / 1000, usec % 1000 / 100);
	else
		snprintf(buf, size, "%" PRId64 ".%03" PRId64 " s", usec / 1000000, usec % 1000000 / 1000);
}

/* ---- plan ---- */

/* The schema must outlive the loaded config. */
static const struct hv_config_section *const config_sections[] = { &hv_vss_freezer_config_sections[0] };

/* [vss] exclude-mounts from hvutils.conf; a config that does not load is
 * the daemon's problem: warn and plan without exclusions. */
static int load_config(const struct hvctl_context *ctx, struct hv_config **ret)
{
	struct hv_config_source src = { .path = ctx->path };
	int r;

	r = hv_config_load(config_sections, ELEMENTSOF(config_sections), &src, ret);
	if (r < 0) {
		hvctl_error(r, "warning: cannot read the configuration, planning without exclude-mounts");
		*ret = NULL;
	}
	return 0;
}

static void print_plan_header(struct hvctl_printer *p)
{
	/* Text only: a row of the table, so the columns fit the words. */
	hvctl_print_open_object(p, NULL);
	hvctl_print_string(p, "order", "%>s  ", "ORDER");
	hvctl_print_string(p, "mountpoint", "%<s  ", "MOUNTPOINT");
	hvctl_print_string(p, "fstype", "%<s  ", "FSTYPE");
	hvctl_print_string(p, "source", "%<s  ", "SOURCE");
	hvctl_print_string(p, "action", "%<s", "ACTION");
	hvctl_print_string(p, "skip", "  %s\n", "REASON");
	hvctl_print_close_object(p);
}

static void print_plan_entry(struct hvctl_printer *p, const struct hv_vss_plan_entry *e)
{
	bool frozen = e->skip == HV_VSS_SKIP_NONE;

	hvctl_print_open_object(p, NULL);
	if (frozen && e->order >= 0)
		hvctl_print_uint(p, "order", "%>s  ", (uint64_t)e->order + 1);
	else
		hvctl_print_null(p, "order", "%>s  ", "-");
	hvctl_print_data(p, "mountpoint", "%<s  ", e->mountpoint, e->mountpoint ? strlen(e->mountpoint) : 0);
	hvctl_print_data(p, "fstype", "%<s  ", e->fstype, e->fstype ? strlen(e->fstype) : 0);
	hvctl_print_data(p, "source", "%<s  ", e->source, e->source ? strlen(e->source) : 0);
	hvctl_print_string(p, "action", "%<s", frozen ? "freeze" : "skip");
	if (frozen)
		hvctl_print_null(p, "skip", "", NULL);
	else
		hvctl_print_string(p, "skip", "  %s", hv_vss_skip_to_string(e->skip));
	if (e->detail)
		hvctl_print_data(p, "detail", frozen ? "  %s" : ": %s", e->detail, strlen(e->detail));
	else
		hvctl_print_null(p, "detail", "", NULL);
	hvctl_print_text(p, "\n");
	hvctl_print_int(p, "mount_id", NULL, e->mount_id);
	hvctl_print_uint(p, "major", NULL, e->major);
	hvctl_print_uint(p, "minor", NULL, e->minor);
	if (e->loop_backing_mount)
		hvctl_print_data(p, "loop_backing_mount", NULL, e->loop_backing_mount, strlen(e->loop_backing_mount));
	else
		hvctl_print_null(p, "loop_backing_mount", NULL, NULL);
	hvctl_print_close_object(p);
}

static int verb_plan(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	_cleanup_(hv_vss_plan_freep) struct hv_vss_plan *plan = NULL;
	_cleanup_free_ char *error = NULL;
	const struct hv_vss_freezer_config *c = NULL;
	struct hv_config *cfg = NULL;
	int r;

	(void)argc;
	(void)argv;
	(void)load_config(ctx, &cfg);
	if (cfg)
		c = hv_config_get(cfg, &hv_vss_freezer_config_sections[0]);
	r = hv_vss_plan_build_system(ctx->path, c ? c->exclude_mounts : NULL, &plan, &error);
	hv_config_free(cfg);
	if (r < 0) {
		if (error)
			return hvctl_error(r, "vss plan: cannot plan: %s", error);
		return hvctl_error(r, "vss plan: cannot read the mount table: %m");
	}

	p = hvctl_printer_for(ctx);
	if (!p)
		return hvctl_error(-ENOMEM, "out of memory");
	hvctl_print_open_array(p, NULL);
	if (!hvctl_printer_is_json(p))
		print_plan_header(p);
	/* What is frozen, in freeze order, then the rest as the table has it. */
	for (size_t i = 0; i < plan->n_freeze; i++)
		if (plan->freeze[i] < plan->n_entries)
			print_plan_entry(p, &plan->entries[plan->freeze[i]]);
	for (size_t i = 0; i < plan->n_entries; i++)
		if (plan->entries[i].skip != HV_VSS_SKIP_NONE)
			print_plan_entry(p, &plan->entries[i]);
	hvctl_print_close_array(p);
	return hvctl_printer_finish(p);
}

/* ---- the status file ---- */

enum daemon_run {
	DAEMON_RUNNING,
	DAEMON_STARTING, /* alive, not registered with the kernel yet */
	DAEMON_STOPPED,  /* stopped cleanly */
	DAEMON_GONE,     /* its pid is gone without a clean stop */
};

/* Read /run/hvutils/hv-vssd.json; an exit status after saying why. */
static int read_status(const struct hvctl_context *ctx, const char *verb, json_object **ret,
		       enum daemon_run *ret_run)
{
	_cleanup_free_ char *file = NULL;
	json_object *o = NULL, *v;
	bool ready = false;
	int64_t pid = 0;
	int r;

	r = hv_json_status_path(VSSD, &file);
	if (r < 0)
		return hvctl_error(r, "out of memory");
	r = hv_json_read_file(ctx->path, file, &o);
	if (r == -ENOENT) {
		hvctl_error(r, "vss %s: " VSSD " is not running (no %s)", verb, file);
		return HVCTL_EXIT_UNAVAILABLE;
	}
	if (r < 0)
		return hvctl_error(r, "vss %s: cannot read %s: %m", verb, file);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "vss", &v) || !json_object_is_type(v, json_type_object)) {
		json_object_put(o);
		return hvctl_error(-EBADMSG, "vss %s: %s has no \"vss\" object", verb, file);
	}
	if (json_object_object_get_ex(o, "ready", &v))
		ready = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "pid", &v))
		pid = json_object_get_int64(v);
	if (pid <= 0 || pid > INT32_MAX || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		*ret_run = ready ? DAEMON_GONE : DAEMON_STOPPED;
	else
		*ret_run = ready ? DAEMON_RUNNING : DAEMON_STARTING;
	*ret = o;
	return 0;
}

static const char *member_string(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer member, or -1 when missing or null. */
static int64_t member_int(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* A time as <key> (microseconds, JSON only) and <key>_utc (text, shown
 * with the template); both null, and no text, when usec < 0. */
static void print_time_field(struct hvctl_printer *p, const char *key, const char *text, int64_t usec)
{
	char buf[64], utc[64];

	snprintf(utc, sizeof(utc), "%s_utc", key);
	if (usec < 0) {
		hvctl_print_null(p, key, NULL, NULL);
		hvctl_print_null(p, utc, NULL, NULL);
		return;
	}
	hvctl_print_int(p, key, NULL, usec);
	format_time(usec, buf, sizeof(buf));
	hvctl_print_string(p, utc, text, buf);
}

static int verb_status(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	enum daemon_run run;
	json_object *vss, *frozen;
	const char *state;
	size_t n;
	int r;

	(void)argc;
	(void)argv;
	r = read_status(ctx, "status", &o, &run);
	if (r != 0)
		return r;
	if (run == DAEMON_STOPPED || run == DAEMON_GONE) {
		hvctl_error(-ESRCH, run == DAEMON_STOPPED ? "vss status: " VSSD " is not running (stopped)"
							  : "vss status: " VSSD " is not running (pid %" PRId64
							    " is gone; it did not stop cleanly)",
			    member_int(o, "pid"));
		return HVCTL_EXIT_UNAVAILABLE;
	}
	vss = json_object_object_get(o, "vss");
	state = member_string(vss, "state");

	p = hvctl_printer_for(ctx);
	if (!p)
		return hvctl_error(-ENOMEM, "out of memory");
	hvctl_print_open_object(p, NULL);
	hvctl_print_string(p, "daemon", VSSD ": %s", run == DAEMON_RUNNING ? "running" : "starting");
	hvctl_print_int(p, "pid", " (pid %s)", member_int(o, "pid"));
	if (run == DAEMON_STARTING)
		hvctl_print_text(p, ", not registered with the kernel yet");
	hvctl_print_text(p, "\n");
	hvctl_print_string(p, "state", "State:     %s", state);
	print_time_field(p, "since", " since %s\n", member_int(vss, "since"));
	hvctl_print_string(p, "request", "Cause:     %s\n", member_string(vss, "request"));
	frozen = json_object_object_get(vss, "frozen");
	n = json_object_is_type(frozen, json_type_array) ? json_object_array_length(frozen) : 0;
	hvctl_print_text(p, n ? "Frozen:   " : "Frozen:    nothing\n");
	hvctl_print_open_array(p, "frozen");
	for (size_t i = 0; i < n; i++) {
		const char *m = json_object_get_string(json_object_array_get_idx(frozen, i));

		hvctl_print_data(p, NULL, " %s", m, m ? strlen(m) : 0);
	}
	hvctl_print_close_array(p);
	if (n)
		hvctl_print_text(p, "\n");
	print_time_field(p, "auto_thaw_at", "Auto-thaw: at %s\n", member_int(vss, "auto_thaw_at"));
	hvctl_print_close_object(p);
	return hvctl_printer_finish(p);
}

/* ---- last ---- */

static void print_event_header(struct hvctl_printer *p)
{
	hvctl_print_open_object(p, NULL);
	hvctl_print_string(p, "offset", "  %>s  ", "OFFSET");
	hvctl_print_string(p, "event", "%<s  ", "EVENT");
	hvctl_print_string(p, "target", "%<s  ", "TARGET");
	hvctl_print_string(p, "argument", "%<s  ", "ARGUMENT");
	hvctl_print_string(p, "duration", "%>s  ", "TOOK");
	hvctl_print_string(p, "result", "%s", "RESULT");
	hvctl_print_text(p, "\n");
	hvctl_print_close_object(p);
}

static void print_optional_data(struct hvctl_printer *p, const char *key, const char *text, const char *s)
{
	if (s)
		hvctl_print_data(p, key, text, s, strlen(s));
	else
		hvctl_print_null(p, key, text, "");
}

static void print_event(struct hvctl_printer *p, json_object *e)
{
	int64_t offset = member_int(e, "offset_usec"), duration = member_int(e, "duration_usec");
	int64_t status = member_int(e, "status");
	const char *error = member_string(e, "error");
	char buf[64];

	if (offset < 0)
		offset = 0;
	hvctl_print_open_object(p, NULL);
	/* Seconds since the backup started, "+0.000123". */
	snprintf(buf, sizeof(buf), "+%" PRId64 ".%06" PRId64, offset / 1000000, offset % 1000000);
	hvctl_print_string(p, "offset", "  %>s  ", buf);
	hvctl_print_int(p, "offset_usec", NULL, offset);
	if (member_int(e, "time") >= 0)
		hvctl_print_int(p, "time", NULL, member_int(e, "time"));
	else
		hvctl_print_null(p, "time", NULL, NULL);
	print_optional_data(p, "event", "%<s  ", member_string(e, "event"));
	print_optional_data(p, "target", "%<s  ", member_string(e, "target"));
	print_optional_data(p, "argument", "%<s  ", member_string(e, "argument"));
	if (duration >= 0) {
		format_duration(duration, buf, sizeof(buf));
		hvctl_print_string(p, "duration", "%>s  ", buf);
		hvctl_print_int(p, "duration_usec", NULL, duration);
	} else {
		hvctl_print_null(p, "duration", "%>s  ", "");
		hvctl_print_null(p, "duration_usec", NULL, NULL);
	}
	if (member_string(e, "result"))
		print_optional_data(p, "result", "%s", member_string(e, "result"));
	else
		hvctl_print_null(p, "result", "%s", "-");
	if (status >= 0)
		hvctl_print_int(p, "status", " (status %s)", status);
	else
		hvctl_print_null(p, "status", NULL, NULL);
	print_optional_data(p, "error", error ? " (%s)" : NULL, error);
	hvctl_print_text(p, "\n");
	hvctl_print_close_object(p);
}

static int verb_last(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	json_object *last, *events;
	enum daemon_run run;
	int64_t frozen_usec;
	size_t n;
	char buf[64];
	int r;

	(void)argc;
	(void)argv;
	/* The last timeline outlives the daemon in its status file. */
	r = read_status(ctx, "last", &o, &run);
	if (r != 0)
		return r;
	last = json_object_object_get(json_object_object_get(o, "vss"), "last");

	p = hvctl_printer_for(ctx);
	if (!p)
		return hvctl_error(-ENOMEM, "out of memory");
	hvctl_print_open_object(p, NULL);
	if (!json_object_is_type(last, json_type_object)) {
		hvctl_print_text(p, "No backup since " VSSD " started\n");
		print_time_field(p, "started", NULL, -1);
		hvctl_print_null(p, "request", NULL, NULL);
		hvctl_print_null(p, "outcome", NULL, NULL);
		hvctl_print_null(p, "frozen_usec", NULL, NULL);
		hvctl_print_open_array(p, "events");
		hvctl_print_close_array(p);
		hvctl_print_close_object(p);
		return hvctl_printer_finish(p);
	}
	print_time_field(p, "started", "Backup started %s", member_int(last, "started"));
	hvctl_print_string(p, "request", " by %s", member_string(last, "request"));
	hvctl_print_string(p, "outcome", ": %s", member_string(last, "outcome"));
	frozen_usec = member_int(last, "frozen_usec");
	if (frozen_usec >= 0) {
		format_seconds(frozen_usec, buf, sizeof(buf));
		hvctl_print_int(p, "frozen_usec", NULL, frozen_usec);
		hvctl_print_string(p, "frozen", ", frozen for %s", buf);
	} else {
		hvctl_print_null(p, "frozen_usec", NULL, NULL);
		hvctl_print_null(p, "frozen", NULL, NULL);
	}
	hvctl_print_text(p, "\n");
	events = json_object_object_get(last, "events");
	n = json_object_is_type(events, json_type_array) ? json_object_array_length(events) : 0;
	hvctl_print_open_array(p, "events");
	if (!hvctl_printer_is_json(p))
		print_event_header(p);
	for (size_t i = 0; i < n; i++)
		print_event(p, json_object_array_get_idx(events, i));
	hvctl_print_close_array(p);
	if (member_int(last, "events_dropped") > 0)
		hvctl_print_int(p, "events_dropped", "(%s more events were not kept)\n",
				member_int(last, "events_dropped"));
	else
		hvctl_print_int(p, "events_dropped", NULL, 0);
	hvctl_print_close_object(p);
	return hvctl_printer_finish(p);
}

/* ---- the family ---- */

static const struct hvctl_verb vss_verbs[] = {
	{ "plan", 0, 0, 0, verb_plan, NULL, "What would be frozen, in which order, and why not the rest" },
	{ "status", 0, 0, 0, verb_status, NULL, "hv-vssd's state: idle or frozen since when, what is frozen" },
	{ "last", 0, 0, 0, verb_last, NULL, "The timeline of the last backup" },
};

int hvctl_verb_vss(int argc, char *argv[], void *userdata)
{
	return hvctl_dispatch(vss_verbs, ELEMENTSOF(vss_verbs), "vss", argc - 1, argv + 1, userdata);
}
