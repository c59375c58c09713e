/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services/vss-freezer on the fake fsfreeze and a fake plan (/a, /b, / in
 * that freeze order), driven through its sd-event loop: freeze order and
 * reverse thaw, a failure half way, EBUSY/EINVAL, FREEZE while frozen,
 * THAW with nothing frozen, the auto-thaw, every other operation and the
 * HOT_BACKUP reply bytes, hooks (small scripts in a temporary directory:
 * order, arguments, what is skipped, timeout, failure, output), the log
 * buffered while frozen, superseded requests, reset, shutdown, the
 * start-up thaw, the guardian's life cycle and the status JSON.  Also the
 * log buffer of base/log.h on its own.  Nothing real is frozen.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "platform/fsfreeze-fake.h"
#include "proto/hv-status.h"
#include "proto/vss.h"
#include "proto/wire.h"
#include "services/vss-freezer.h"
#include "services/vss-hooks.h"
#include "services/vss-plan.h"

static char root[] = "/tmp/hv-test-vss-freezer-XXXXXX";
static char hooks[300], hooklog[300];
static sd_event *event;
static struct hv_path *path;
static struct hv_fsfreeze_fake fake;
static struct hv_fsfreeze ff;
static struct hv_vss_freezer *freezer;

static const char *plan_mounts[8] = { "/a", "/b", "/" };
static size_t n_plan_mounts = 3;
static int plan_error;

static uint8_t replies[16][HV_VSS_MSG_SIZE];
static size_t n_replies;

/* ---- log capture ---- */

static char logbuf[65536];
static bool logged_while_frozen;

static void capture(void *userdata, int level, const char *file, int line, const char *func, const char *format,
		    va_list ap)
{
	size_t len = strlen(logbuf);

	(void)userdata;
	(void)level;
	(void)file;
	(void)line;
	(void)func;
	/* The whole point of the buffer: nothing reaches the sink while a
	 * file system is frozen. */
	if (hv_fsfreeze_fake_count_frozen(&fake) > 0)
		logged_while_frozen = true;
	vsnprintf(logbuf + len, sizeof(logbuf) - len, format, ap);
	len = strlen(logbuf);
	snprintf(logbuf + len, sizeof(logbuf) - len, "\n");
}

/* ---- fakes ---- */

static int fake_plan(void *userdata, char *const *exclude, struct hv_vss_plan **ret, char **ret_error)
{
	struct hv_vss_plan *p;

	(void)userdata;
	(void)exclude;
	if (plan_error) {
		*ret_error = strdup("fake planner failure");
		return plan_error;
	}
	p = calloc(1, sizeof(*p));
	cr_assert_not_null(p);
	/* One skipped entry after the frozen ones, as a real plan has. */
	p->entries = calloc(n_plan_mounts + 1, sizeof(*p->entries));
	p->freeze = calloc(n_plan_mounts + 1, sizeof(*p->freeze));
	cr_assert(p->entries && p->freeze);
	for (size_t i = 0; i < n_plan_mounts; i++) {
		p->entries[i] = (struct hv_vss_plan_entry){
			.mount_id = (int)(20 + i),
			.mountpoint = strdup(plan_mounts[i]),
			.fstype = strdup("ext4"),
			.source = strdup("/dev/sda1"),
			.skip = HV_VSS_SKIP_NONE,
			.order = (int)i,
		};
		p->freeze[i] = i;
	}
	p->entries[n_plan_mounts] = (struct hv_vss_plan_entry){
		.mount_id = 99,
		.mountpoint = strdup("/proc"),
		.fstype = strdup("proc"),
		.source = strdup("proc"),
		.skip = HV_VSS_SKIP_NO_BLOCK_DEVICE,
		.order = -1,
	};
	p->n_entries = n_plan_mounts + 1;
	p->n_freeze = n_plan_mounts;
	*ret = p;
	return 0;
}

static void on_reply(struct hv_vss_freezer *f, const uint8_t *msg, size_t size, void *userdata)
{
	(void)f;
	(void)userdata;
	cr_assert_eq(size, HV_VSS_MSG_SIZE);
	cr_assert_lt(n_replies, 16);
	memcpy(replies[n_replies++], msg, size);
}

static uint32_t reply_status(size_t i)
{
	cr_assert_lt(i, n_replies, "reply %zu was never sent (%zu sent)", i, n_replies);
	return hv_get_le32(replies[i]);
}

/* ---- setup ---- */

static void make_freezer(uint64_t auto_thaw_usec, uint64_t hook_timeout_usec, bool guardian, size_t log_size)
{
	struct hv_vss_freezer_config cfg = {
		.auto_thaw_timeout_usec = auto_thaw_usec,
		.hooks_directory = (char *)"/etc/hvutils/vss-hooks.d",
		.hook_timeout_usec = hook_timeout_usec,
	};
	struct hv_vss_freezer_options o = {
		.event = event,
		.path = path,
		.fsfreeze = &ff,
		.build_plan = fake_plan,
		.config = &cfg,
		.no_guardian = !guardian,
		.log_buffer_size = log_size,
		.reply = on_reply,
	};

	freezer = hv_vss_freezer_free(freezer);
	cr_assert_eq(hv_vss_freezer_new(&o, &freezer), 0);
}

static void setup(void)
{
	char cmd[400];

	cr_assert_not_null(mkdtemp(root));
	snprintf(hooks, sizeof(hooks), "%s/etc/hvutils/vss-hooks.d", root);
	snprintf(hooklog, sizeof(hooklog), "%s/hooks.log", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", hooks);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(sd_event_new(&event), 0);
	path = hv_path_new(root);
	cr_assert_not_null(path);
	hv_fsfreeze_fake_init(&fake);
	ff = hv_fsfreeze_fake_get(&fake);
	logbuf[0] = '\0';
	logged_while_frozen = false;
	hv_log_set_sink(capture, NULL);
	hv_log_set_max_level(HV_LOG_DEBUG);
	n_replies = 0;
	plan_error = 0;
	make_freezer(60 * HV_USEC_PER_SEC, 5 * HV_USEC_PER_SEC, false, 0);
}

static void teardown(void)
{
	char cmd[400];

	freezer = hv_vss_freezer_free(freezer);
	event = sd_event_unref(event);
	path = hv_path_free(path);
	hv_log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(vss_freezer, .init = setup, .fini = teardown, .timeout = 30);

static void send_op(uint8_t op)
{
	uint8_t msg[HV_VSS_MSG_SIZE];

	cr_assert_eq(hv_vss_msg_encode_request(op, 0, msg, sizeof(msg)), HV_VSS_MSG_SIZE);
	cr_assert_eq(hv_vss_freezer_process(freezer, msg, sizeof(msg)), 0);
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Run the loop until n replies were sent and the freezer is in state
 * (any state for _HV_VSS_FREEZER_STATE_INVALID); fails after 10 s. */
static void run_until(size_t n, enum hv_vss_freezer_state state)
{
	uint64_t deadline = mono_usec() + 10 * 1000000;

	while (n_replies < n || (state != _HV_VSS_FREEZER_STATE_INVALID && hv_vss_freezer_get_state(freezer) != state)) {
		cr_assert_lt(mono_usec(), deadline, "timed out waiting: %zu/%zu replies, state %s", n_replies, n,
			     hv_vss_freezer_state_to_string(hv_vss_freezer_get_state(freezer)));
		cr_assert_geq(sd_event_run(event, 20 * 1000), 0);
	}
	/* What the answer leaves for right after it (the guardian's
	 * release, the log's flush) runs before the daemon waits again. */
	while (sd_event_run(event, 0) > 0)
		;
}

/* Run the loop for a while (the timer tests need time to pass). */
static void run_for(uint64_t usec)
{
	uint64_t until = mono_usec() + usec;

	while (mono_usec() < until)
		cr_assert_geq(sd_event_run(event, 10 * 1000), 0);
}

/* FREEZE, answered, frozen. */
static void freeze(void)
{
	size_t n = n_replies;

	send_op(HV_VSS_OP_FREEZE);
	run_until(n + 1, HV_VSS_FREEZER_FROZEN);
	cr_assert_eq(reply_status(n), HV_S_OK);
}

static void thaw(void)
{
	size_t n = n_replies;

	send_op(HV_VSS_OP_THAW);
	run_until(n + 1, HV_VSS_FREEZER_IDLE);
}

static void write_hook(const char *name, const char *body, mode_t mode)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", hooks, name);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(p, mode), 0);
}

/* A hook that appends "NAME ARG" to hooks.log. */
static void write_recording_hook(const char *name, int exit_status)
{
	char body[600];

	snprintf(body, sizeof(body), "echo \"%s $1\" >> '%s'\nexit %d", name, hooklog, exit_status);
	write_hook(name, body, 0755);
}

static char *hook_log(void)
{
	char *s = NULL;

	if (hv_read_text_file(hooklog, 0, &s) < 0)
		return strdup("");
	return s;
}

/* ---- freezing and thawing ---- */

Test(vss_freezer, freezes_in_plan_order_and_thaws_in_reverse)
{
	freeze();
	cr_assert_str_eq(fake.log, "open /a\nfreeze /a\nopen /b\nfreeze /b\nopen /\nfreeze /\n");
	cr_assert_eq(hv_vss_freezer_get_n_frozen(freezer), 3);
	cr_assert_str_eq(hv_vss_freezer_get_frozen(freezer, 2), "/");
	cr_assert_eq(hv_fsfreeze_fake_count_frozen(&fake), 3);
	hv_fsfreeze_fake_clear_log(&fake);

	thaw();
	cr_assert_eq(reply_status(1), HV_S_OK);
	cr_assert_str_eq(fake.log, "thaw /\nthaw /b\nthaw /a\n");
	cr_assert_eq(hv_fsfreeze_fake_count_frozen(&fake), 0);
	cr_assert_eq(hv_vss_freezer_get_n_frozen(freezer), 0);
	cr_assert_eq(n_replies, 2, "one answer per request");
}

Test(vss_freezer, a_failure_half_way_thaws_what_was_frozen)
{
	hv_fsfreeze_fake_set_error(&fake, "/b", HV_FSFREEZE_FAKE_FREEZE, -EOPNOTSUPP);
	send_op(HV_VSS_OP_FREEZE);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_str_eq(fake.log, "open /a\nfreeze /a\nopen /b\nfreeze /b\nthaw /a\n");
	cr_assert_eq(hv_fsfreeze_fake_count_frozen(&fake), 0);
	cr_assert_not_null(strstr(logbuf, "Freeze failed: cannot freeze /b (ext4): Operation not supported"), "%s",
			   logbuf);
}

Test(vss_freezer, an_open_failure_fails_the_freeze)
{
	hv_fsfreeze_fake_set_error(&fake, "/", HV_FSFREEZE_FAKE_OPEN, -ESTALE);
	send_op(HV_VSS_OP_FREEZE);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_str_eq(fake.log, "open /a\nfreeze /a\nopen /b\nfreeze /b\nopen /\nthaw /b\nthaw /a\n");
}

Test(vss_freezer, a_plan_failure_fails_the_freeze)
{
	plan_error = -EBADMSG;
	send_op(HV_VSS_OP_FREEZE);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_str_eq(fake.log, "");
	cr_assert_not_null(strstr(logbuf, "fake planner failure"));
}

Test(vss_freezer, ebusy_and_einval_count_as_success)
{
	/* /b is frozen by someone else: EBUSY, and it is thawed with the rest. */
	hv_fsfreeze_fake_set_frozen(&fake, "/b", true);
	freeze();
	cr_assert_eq(hv_vss_freezer_get_n_frozen(freezer), 3);
	/* /a thawed behind our back: FITHAW says EINVAL. */
	hv_fsfreeze_fake_set_frozen(&fake, "/a", false);
	thaw();
	cr_assert_eq(reply_status(1), HV_S_OK);
	cr_assert_eq(hv_fsfreeze_fake_count_frozen(&fake), 0);
}

Test(vss_freezer, a_thaw_failure_carries_on_and_fails)
{
	freeze();
	hv_fsfreeze_fake_set_error(&fake, "/b", HV_FSFREEZE_FAKE_THAW, -EIO);
	hv_fsfreeze_fake_clear_log(&fake);
	thaw();
	cr_assert_eq(reply_status(1), HV_E_FAIL);
	cr_assert_str_eq(fake.log, "thaw /\nthaw /b\nthaw /a\n");
}

Test(vss_freezer, freeze_while_frozen_keeps_one_freeze)
{
	freeze();
	hv_fsfreeze_fake_clear_log(&fake);
	send_op(HV_VSS_OP_FREEZE);
	run_until(2, HV_VSS_FREEZER_FROZEN);
	cr_assert_eq(reply_status(1), HV_S_OK);
	cr_assert_str_eq(fake.log, "", "nothing frozen twice");
	thaw();
	cr_assert_str_eq(fake.log, "thaw /\nthaw /b\nthaw /a\n");
}

Test(vss_freezer, thaw_with_nothing_frozen_succeeds)
{
	thaw();
	cr_assert_eq(reply_status(0), HV_S_OK);
	cr_assert_str_eq(fake.log, "");
}

Test(vss_freezer, nothing_to_freeze_still_succeeds)
{
	n_plan_mounts = 0;
	freeze();
	cr_assert_eq(hv_vss_freezer_get_n_frozen(freezer), 0);
	thaw();
	cr_assert_eq(reply_status(1), HV_S_OK);
	cr_assert_not_null(strstr(logbuf, "Nothing to freeze"));
}

Test(vss_freezer, auto_thaw_after_the_timeout)
{
	uint64_t t0;

	make_freezer(300 * 1000, 5 * HV_USEC_PER_SEC, false, 0);
	t0 = mono_usec();
	freeze();
	hv_fsfreeze_fake_clear_log(&fake);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_geq(mono_usec() - t0, 300 * 1000, "not before the timeout");
	cr_assert_str_eq(fake.log, "thaw /\nthaw /b\nthaw /a\n");
	cr_assert_eq(n_replies, 1, "the auto-thaw answers nothing");
	cr_assert_not_null(strstr(logbuf, "No THAW came within 0.300 s"), "%s", logbuf);
	/* Logged after the thaw, from the buffer's flush on. */
	cr_assert(!logged_while_frozen);

	/* The host's late THAW: the freeze did not last, say so. */
	thaw();
	cr_assert_eq(reply_status(1), HV_E_FAIL);
	/* And the next one is an ordinary THAW with nothing frozen. */
	thaw();
	cr_assert_eq(reply_status(2), HV_S_OK);
}

Test(vss_freezer, freeze_while_frozen_restarts_the_auto_thaw)
{
	make_freezer(400 * 1000, 5 * HV_USEC_PER_SEC, false, 0);
	freeze();
	/* 300 ms in, FREEZE again: the 400 ms count starts over. */
	run_for(300 * 1000);
	cr_assert_eq(hv_vss_freezer_get_state(freezer), HV_VSS_FREEZER_FROZEN);
	send_op(HV_VSS_OP_FREEZE);
	run_until(2, HV_VSS_FREEZER_FROZEN);
	run_for(250 * 1000);
	cr_assert_eq(hv_vss_freezer_get_state(freezer), HV_VSS_FREEZER_FROZEN, "550 ms after the first FREEZE");
	run_until(2, HV_VSS_FREEZER_IDLE);
}

/* ---- the other operations ---- */

Test(vss_freezer, hot_backup_keeps_the_operation_byte)
{
	static const uint8_t expected[HV_VSS_MSG_SIZE] = { 2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0 };
	struct hv_icmsg_hdr hdr = { 0 };
	struct hv_vss_wire_reply wr;
	uint8_t host[64];
	uint32_t status;
	int n;

	send_op(HV_VSS_OP_HOT_BACKUP);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_arr_eq(replies[0], expected, HV_VSS_MSG_SIZE);

	/* Through the kernel's model: the host gets the flag. */
	n = hv_vss_wire_encode_request(&hdr, HV_VSS_OP_HOT_BACKUP, 0, HV_VSS_MSG_SIZE, host, sizeof(host));
	cr_assert_gt(n, 0);
	cr_assert_eq(hv_vss_kernel_reply_to_host(host, (size_t)n, replies[0], HV_VSS_MSG_SIZE, &status), 0);
	cr_assert_eq(hv_vss_wire_decode_reply(host, (size_t)n, &wr), 0);
	cr_assert_eq(wr.flags, HV_VSS_HBU_NO_AUTO_RECOVERY);
	cr_assert_eq(wr.status, 2, "a success HRESULT (severity bit clear)");
	cr_assert_eq(status & 0x80000000u, 0);
}

Test(vss_freezer, other_operations_are_answered_zero)
{
	static const uint8_t ops[] = { HV_VSS_OP_CREATE, HV_VSS_OP_DELETE, HV_VSS_OP_GET_DM_INFO,
				       HV_VSS_OP_BU_COMPLETE, HV_VSS_OP_AUTO_RECOVER, 42, 200 };

	for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
		send_op(ops[i]);
		run_until(i + 1, HV_VSS_FREEZER_IDLE);
		cr_assert_eq(reply_status(i), HV_S_OK, "op %u", ops[i]);
	}
	cr_assert_str_eq(fake.log, "");
	cr_assert_not_null(strstr(logbuf, "Request get-dm-info (3) is not the daemon's"));
	cr_assert_not_null(strstr(logbuf, "Request unknown (200)"));
}

Test(vss_freezer, a_short_message_is_answered_failure)
{
	uint8_t msg[4] = { HV_VSS_OP_FREEZE };

	cr_assert_eq(hv_vss_freezer_process(freezer, msg, sizeof(msg)), -EBADMSG);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_str_eq(fake.log, "");
}

/* ---- hooks ---- */

Test(vss_freezer, hooks_run_in_order_with_their_arguments)
{
	_cleanup_free_ char *got = NULL;

	write_recording_hook("20-second", 0);
	write_recording_hook("10-first", 0);
	write_recording_hook(".hidden", 0);
	write_recording_hook("old~", 0);
	write_recording_hook("x.dpkg-old", 0);
	write_recording_hook("y.rpmnew", 0);
	write_recording_hook("z.rpmsave", 0);
	write_hook("30-not-executable", "exit 1", 0644);
	freeze();
	got = hook_log();
	cr_assert_str_eq(got, "10-first freeze\n20-second freeze");
	free(got);
	thaw();
	got = hook_log();
	cr_assert_str_eq(got, "10-first freeze\n20-second freeze\n20-second thaw\n10-first thaw");
}

Test(vss_freezer, freeze_hooks_run_before_the_freeze)
{
	json_object *j = NULL, *events;
	const char *order[8];
	size_t n = 0;

	write_recording_hook("10-db", 0);
	freeze();
	cr_assert_eq(hv_vss_freezer_to_json(freezer, &j), 0);
	cr_assert(json_object_object_get_ex(json_object_object_get(j, "last"), "events", &events));
	for (size_t i = 0; i < json_object_array_length(events) && n < 8; i++)
		order[n++] = json_object_get_string(json_object_object_get(json_object_array_get_idx(events, i), "event"));
	cr_assert_geq(n, 6);
	cr_assert_str_eq(order[0], "request");
	cr_assert_str_eq(order[1], "hook");
	cr_assert_str_eq(order[2], "plan");
	cr_assert_str_eq(order[3], "freeze");
	json_object_put(j);
}

Test(vss_freezer, a_failing_freeze_hook_fails_cleanly)
{
	_cleanup_free_ char *got = NULL;

	write_recording_hook("10-ok", 0);
	write_recording_hook("20-fails", 3);
	write_recording_hook("30-never", 0);
	send_op(HV_VSS_OP_FREEZE);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_str_eq(fake.log, "", "nothing opened, nothing frozen");
	got = hook_log();
	cr_assert_str_eq(got, "10-ok freeze\n20-fails freeze\n20-fails freeze-fail\n10-ok freeze-fail");
	cr_assert_not_null(strstr(logbuf, "Freeze failed: hook 20-fails failed"), "%s", logbuf);
}

Test(vss_freezer, a_hook_past_its_timeout_is_killed_and_fails)
{
	uint64_t t0 = mono_usec();

	make_freezer(60 * HV_USEC_PER_SEC, 300 * 1000, false, 0);
	write_hook("10-slow", "sleep 30 & wait", 0755);
	send_op(HV_VSS_OP_FREEZE);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_lt(mono_usec() - t0, 5 * 1000000);
	cr_assert_not_null(strstr(logbuf, "Hook 10-slow did not finish in time, killing it"));
	cr_assert_not_null(strstr(logbuf, "hook 10-slow timed out"));
	cr_assert_str_eq(fake.log, "");
}

Test(vss_freezer, hook_output_goes_to_the_log)
{
	write_hook("10-talks", "echo hello; echo oops >&2; printf 'no newline\\033'", 0755);
	freeze();
	cr_assert_not_null(strstr(logbuf, "Hook 10-talks: hello\n"), "%s", logbuf);
	cr_assert_not_null(strstr(logbuf, "Hook 10-talks: oops\n"));
	cr_assert_not_null(strstr(logbuf, "Hook 10-talks: no newline?\n"), "control characters replaced");
	thaw();
}

Test(vss_freezer, hooks_are_listed_by_name)
{
	char **names = NULL;

	write_recording_hook("b", 0);
	write_recording_hook("a", 0);
	write_recording_hook("a.rpmsave", 0);
	cr_assert_eq(hv_vss_hooks_scan(hooks, &names), 0);
	cr_assert_str_eq(names[0], "a");
	cr_assert_str_eq(names[1], "b");
	cr_assert_null(names[2]);
	for (size_t i = 0; names[i]; i++)
		free(names[i]);
	free(names);
	cr_assert_eq(hv_vss_hooks_scan("/nonexistent-hvutils", &names), 0, "no directory, no hooks");
	cr_assert_null(names[0]);
	free(names);
}

Test(vss_freezer, a_synchronous_hook_run)
{
	struct hv_vss_hook_result r;

	write_hook("h", "exit 7", 0755);
	cr_assert_eq(hv_vss_hook_run(hooks, "h", "thaw", HV_USEC_PER_SEC, &r), 0);
	cr_assert_eq(r.status, 7);
	cr_assert(!r.timed_out);
	write_hook("s", "sleep 30", 0755);
	cr_assert_eq(hv_vss_hook_run(hooks, "s", "thaw", 200 * 1000, &r), 0);
	cr_assert(r.timed_out);
	cr_assert_eq(r.status, 128 + SIGKILL);
	cr_assert_eq(hv_vss_hook_run(hooks, "missing", "thaw", HV_USEC_PER_SEC, &r), 0);
	cr_assert_eq(r.status, -ENOENT);
}

/* ---- logging while frozen ---- */

Test(vss_freezer, nothing_is_logged_while_frozen)
{
	char *froze;

	freeze();
	cr_assert(hv_log_is_buffering());
	froze = strstr(logbuf, "Froze 3 file system(s)");
	cr_assert_null(froze, "still in the buffer");
	hv_log_info("something while frozen");
	cr_assert_null(strstr(logbuf, "something while frozen"));
	thaw();
	cr_assert(!hv_log_is_buffering());
	cr_assert(!logged_while_frozen);
	froze = strstr(logbuf, "Froze 3 file system(s)");
	cr_assert_not_null(froze, "flushed after the thaw: %s", logbuf);
	cr_assert_not_null(strstr(froze, "something while frozen"), "in order");
}

Test(vss_freezer, an_overflowing_buffer_counts_what_it_dropped)
{
	make_freezer(60 * HV_USEC_PER_SEC, 5 * HV_USEC_PER_SEC, false, 512);
	freeze();
	for (int i = 0; i < 50; i++)
		hv_log_info("message number %d while frozen", i);
	thaw();
	cr_assert(!logged_while_frozen);
	cr_assert_not_null(strstr(logbuf, "messages dropped: the log buffer was full"), "%s", logbuf);
	cr_assert_null(strstr(logbuf, "message number 49"));
}

/* ---- requests the kernel gave up on, reset, stop, start-up ---- */

Test(vss_freezer, a_request_during_freeze_hooks_supersedes_the_freeze)
{
	_cleanup_free_ char *got = NULL;
	char body[600];

	snprintf(body, sizeof(body), "sleep 0.3\necho \"10-slow $1\" >> '%s'", hooklog);
	write_hook("10-slow", body, 0755);
	send_op(HV_VSS_OP_FREEZE);
	cr_assert_eq(sd_event_run(event, 0), 0, "nothing to do yet");
	cr_assert_eq(hv_vss_freezer_get_state(freezer), HV_VSS_FREEZER_FREEZING);
	/* The kernel timed the FREEZE out; here is hibernation's THAW. */
	send_op(HV_VSS_OP_THAW);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(n_replies, 1, "only the THAW is answered");
	cr_assert_eq(reply_status(0), HV_S_OK);
	cr_assert_str_eq(fake.log, "", "the abandoned freeze froze nothing");
	got = hook_log();
	cr_assert_str_eq(got, "10-slow freeze\n10-slow freeze-fail");
}

Test(vss_freezer, a_freeze_during_thaw_hooks_waits_for_them)
{
	char body[600];

	snprintf(body, sizeof(body), "[ \"$1\" = thaw ] && sleep 0.3\necho \"h $1\" >> '%s'", hooklog);
	write_hook("10-h", body, 0755);
	freeze();
	send_op(HV_VSS_OP_THAW);
	run_until(2, HV_VSS_FREEZER_THAWING);
	cr_assert_eq(reply_status(1), HV_S_OK, "answered before the thaw hooks");
	send_op(HV_VSS_OP_FREEZE);
	run_until(3, HV_VSS_FREEZER_FROZEN);
	cr_assert_eq(reply_status(2), HV_S_OK);
	{
		_cleanup_free_ char *got = hook_log();

		cr_assert_str_eq(got, "h freeze\nh thaw\nh freeze");
	}
	thaw();
}

Test(vss_freezer, a_reset_while_frozen_thaws)
{
	freeze();
	hv_fsfreeze_fake_clear_log(&fake);
	hv_vss_freezer_reset(freezer);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_str_eq(fake.log, "thaw /\nthaw /b\nthaw /a\n");
	cr_assert_eq(n_replies, 1, "no answer after a reset");
}

Test(vss_freezer, a_reset_drops_an_answer_not_yet_sent)
{
	send_op(HV_VSS_OP_HOT_BACKUP);
	hv_vss_freezer_reset(freezer);
	run_for(50 * 1000);
	cr_assert_eq(n_replies, 0);
}

Test(vss_freezer, shutdown_while_frozen_thaws_and_runs_the_thaw_hooks)
{
	_cleanup_free_ char *got = NULL;

	write_recording_hook("10-a", 0);
	write_recording_hook("20-b", 0);
	freeze();
	hv_fsfreeze_fake_clear_log(&fake);
	hv_vss_freezer_shutdown(freezer);
	cr_assert_eq(hv_vss_freezer_get_state(freezer), HV_VSS_FREEZER_IDLE);
	cr_assert_str_eq(fake.log, "thaw /\nthaw /b\nthaw /a\n");
	got = hook_log();
	cr_assert_str_eq(got, "10-a freeze\n20-b freeze\n20-b thaw\n10-a thaw");
	cr_assert(!hv_log_is_buffering());
}

Test(vss_freezer, freeing_while_frozen_thaws)
{
	freeze();
	freezer = hv_vss_freezer_free(freezer);
	cr_assert_eq(hv_fsfreeze_fake_count_frozen(&fake), 0);
	cr_assert(!hv_log_is_buffering());
}

Test(vss_freezer, start_up_thaws_leftovers)
{
	hv_fsfreeze_fake_set_frozen(&fake, "/b", true);
	cr_assert_eq(hv_vss_freezer_thaw_leftovers(freezer), 1);
	cr_assert_str_eq(fake.log, "open /\nthaw /\nopen /b\nthaw /b\nopen /a\nthaw /a\n");
	cr_assert_eq(hv_fsfreeze_fake_count_frozen(&fake), 0);
	cr_assert_not_null(strstr(logbuf, "Thawed 1 file system(s) left frozen by an earlier run: /b"));
	cr_assert_eq(hv_vss_freezer_thaw_leftovers(freezer), 0, "nothing left the second time");
}

Test(vss_freezer, never_freezes_for_real_under_a_sysroot)
{
	struct hv_vss_freezer_options o = {
		.event = event,
		.path = path, /* a root prefix */
		.build_plan = fake_plan,
		.no_guardian = true,
		.reply = on_reply,
	};

	/* Only mountpoints that do not exist, should this test ever fail. */
	plan_mounts[0] = "/nonexistent-hvutils-test-a";
	n_plan_mounts = 1;
	freezer = hv_vss_freezer_free(freezer);
	cr_assert_eq(hv_vss_freezer_new(&o, &freezer), 0);
	send_op(HV_VSS_OP_FREEZE);
	run_until(1, HV_VSS_FREEZER_IDLE);
	cr_assert_eq(reply_status(0), HV_E_FAIL);
	cr_assert_not_null(strstr(logbuf, "real file systems are never frozen"), "%s", logbuf);
	cr_assert_eq(hv_vss_freezer_thaw_leftovers(freezer), 0);
}

/* ---- guardian and status ---- */

Test(vss_freezer, the_guardian_lives_as_long_as_the_freeze)
{
	pid_t pid;

	make_freezer(60 * HV_USEC_PER_SEC, 5 * HV_USEC_PER_SEC, true, 0);
	cr_assert_eq(hv_vss_freezer_get_guardian_pid(freezer), -1);
	freeze();
	pid = hv_vss_freezer_get_guardian_pid(freezer);
	cr_assert_gt(pid, 0);
	cr_assert_eq(kill(pid, 0), 0);
	thaw();
	cr_assert_eq(hv_vss_freezer_get_guardian_pid(freezer), -1);
	cr_assert_eq(kill(pid, 0), -1, "released and reaped");
	cr_assert_eq(errno, ESRCH);
}

Test(vss_freezer, status_json)
{
	json_object *j = NULL, *v, *last;

	send_op(HV_VSS_OP_HOT_BACKUP);
	run_until(1, HV_VSS_FREEZER_IDLE);
	freeze();
	cr_assert_eq(hv_vss_freezer_to_json(freezer, &j), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "state")), "frozen");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "request")), "freeze");
	cr_assert_gt(json_object_get_int64(json_object_object_get(j, "since")), 0);
	cr_assert_not_null(json_object_object_get(j, "auto_thaw_at"));
	v = json_object_object_get(j, "frozen");
	cr_assert_eq(json_object_array_length(v), 3);
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "/a");
	last = json_object_object_get(j, "last");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(last, "request")), "hot-backup",
			 "HOT_BACKUP then FREEZE: one backup");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(last, "outcome")), "frozen");
	json_object_put(j);

	thaw();
	cr_assert_eq(hv_vss_freezer_to_json(freezer, &j), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "state")), "idle");
	cr_assert_eq(json_object_array_length(json_object_object_get(j, "frozen")), 0);
	cr_assert_null(json_object_object_get(j, "auto_thaw_at"));
	last = json_object_object_get(j, "last");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(last, "outcome")), "thawed");
	cr_assert_not_null(json_object_object_get(last, "frozen_usec"));
	v = json_object_object_get(last, "events");
	{
		char names[512] = "";

		for (size_t i = 0; i < json_object_array_length(v); i++) {
			strcat(names, json_object_get_string(json_object_object_get(json_object_array_get_idx(v, i), "event")));
			strcat(names, " ");
		}
		cr_assert_str_eq(names, "request answer request plan freeze freeze freeze answer "
					"request thaw thaw thaw answer ");
	}
	v = json_object_array_get_idx(v, 4);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "event")), "freeze");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "target")), "/a");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "argument")), "ext4");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "result")), "ok");
	cr_assert_not_null(json_object_object_get(v, "duration_usec"));
	json_object_put(j);
}

Test(vss_freezer, config_defaults)
{
	const struct hv_config_section *const sections[] = { &hv_vss_freezer_config_sections[0] };
	struct hv_config_source src = { .path = path };
	const struct hv_vss_freezer_config *c;
	struct hv_config *cfg = NULL;

	cr_assert_eq(hv_config_load(sections, 1, &src, &cfg), 0);
	c = hv_config_get(cfg, sections[0]);
	cr_assert_null(c->exclude_mounts);
	cr_assert_eq(c->auto_thaw_timeout_usec, 60 * HV_USEC_PER_SEC);
	cr_assert_eq(c->hook_timeout_usec, 30 * HV_USEC_PER_SEC);
	cr_assert_str_eq(c->hooks_directory, SYSCONFDIR "/hvutils/vss-hooks.d");
	hv_config_free(cfg);
}

/* ---- base/log.h buffer mode ---- */

Test(vss_freezer, log_buffer_keeps_order_and_errno_text)
{
	hv_vss_freezer_free(freezer);
	freezer = NULL;
	logbuf[0] = '\0';
	cr_assert_eq(hv_log_buffer_start(4096), 0);
	cr_assert_eq(hv_log_buffer_start(4096), -EBUSY);
	hv_log_info("one");
	(void)hv_log_warning_errno(-ENOENT, "two: %m");
	hv_log_debug("three %d", 3);
	cr_assert_str_eq(logbuf, "");
	hv_log_buffer_flush();
	cr_assert_str_eq(logbuf, "one\ntwo: No such file or directory\nthree 3\n");
	cr_assert(!hv_log_is_buffering());

	logbuf[0] = '\0';
	cr_assert_eq(hv_log_buffer_start(4096), 0);
	hv_log_info("forgotten");
	hv_log_buffer_discard();
	hv_log_info("after");
	cr_assert_str_eq(logbuf, "after\n");
}
