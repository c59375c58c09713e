/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl vss in process, on a temporary sysroot: plan from a fixture mount
 * table (text table and JSON), status and last from fixture status files
 * (running, frozen, stopped, crashed, missing, no backup yet), and misuse.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "cli/hvctl/hvctl.h"
#include "platform/config.h"
#include "platform/json.h"

static char root[] = "/tmp/hv-test-hvctl-vss-XXXXXX";

/* Seven mounts: what is frozen in which order, and each way to be skipped. */
static const char mountinfo[] =
	"21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"22 21 0:21 / /proc rw,nosuid - proc proc rw\n"
	"23 21 8:17 / /data rw,relatime shared:2 - xfs /dev/sdb1 rw\n"
	"24 21 8:2 / /boot/efi rw,relatime - vfat /dev/sda2 rw\n"
	"25 21 8:33 / /mnt/ro ro,relatime - ext4 /dev/sdc1 ro\n"
	"26 21 8:17 /www /srv rw,relatime shared:2 - xfs /dev/sdb1 rw\n"
	"27 21 8:49 / /scratch rw,relatime - ext4 /dev/sdd1 rw\n";

static const char filesystems[] = "nodev\tsysfs\nnodev\tproc\nnodev\ttmpfs\n\text4\n\txfs\n\tvfat\n";

static void put_file(const char *abs, const char *text)
{
	char p[600], cmd[700];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, abs);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	cr_assert_eq(system(cmd), 0);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(root));
	put_file("/proc/self/mountinfo", mountinfo);
	put_file("/proc/filesystems", filesystems);
	cr_redirect_stderr();
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(hvctl_vss, .init = setup, .fini = teardown);

static int run(char **ret_out, enum hvctl_output mode, const char *const *args)
{
	char *argv[16], *buf = NULL;
	size_t len = 0;
	int argc = 0, r;
	struct hv_path *path = hv_path_new(root);
	struct hvctl_context ctx;

	argv[argc++] = (char *)"hvctl";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ctx = (struct hvctl_context){ .path = path, .out = open_memstream(&buf, &len) };
	arg_json = mode;
	arg_verbose = 0;
	r = hvctl_run_with(argc, argv, &ctx);
	fclose(ctx.out);
	hv_path_free(path);
	if (ret_out)
		*ret_out = buf;
	else
		free(buf);
	return r;
}

#define RUN(out, ...) run(out, HVCTL_OUTPUT_TEXT, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_JSON(out, ...) run(out, HVCTL_OUTPUT_JSON_SHORT, (const char *const[]){ __VA_ARGS__, NULL })

/* The daemon's status file with "pid" and "ready" and a "vss" object. */
static void put_status(long pid, bool ready, const char *vss)
{
	_cleanup_free_ char *file = NULL;
	char text[8192];

	cr_assert_eq(hv_json_status_path("hv-vssd", &file), 0);
	snprintf(text, sizeof(text),
		 "{ \"daemon\": \"hv-vssd\", \"version\": \"0\", \"pid\": %ld, \"ready\": %s, "
		 "\"status\": \"x\", \"reloads\": 0, \"vss\": %s }\n",
		 pid, ready ? "true" : "false", vss);
	put_file(file, text);
}

/* 2026-11-21 10:00:00 UTC */
#define T0 "1795255200000000"

static const char frozen_vss[] =
	"{ \"state\": \"frozen\", \"since\": " T0 ", \"request\": \"freeze\", "
	"\"frozen\": [ \"/data\", \"/\" ], \"auto_thaw_at\": 1795255260000000, \"last\": null }";

static const char idle_vss[] =
	"{ \"state\": \"idle\", \"since\": " T0 ", \"request\": \"thaw\", \"frozen\": [], "
	"\"auto_thaw_at\": null, \"last\": "
	"{ \"started\": " T0 ", \"request\": \"hot-backup\", \"outcome\": \"thawed\", \"frozen_usec\": 2500123, "
	"\"events\": ["
	"{ \"time\": " T0 ", \"offset_usec\": 0, \"event\": \"request\", \"target\": \"hot-backup\", "
	"\"argument\": null, \"result\": null, \"error\": null, \"status\": null, \"duration_usec\": null },"
	"{ \"time\": " T0 ", \"offset_usec\": 12, \"event\": \"answer\", \"target\": \"hot-backup\", "
	"\"argument\": null, \"result\": \"no-auto-recovery\", \"error\": null, \"status\": 2, \"duration_usec\": null },"
	"{ \"time\": " T0 ", \"offset_usec\": 1000, \"event\": \"hook\", \"target\": \"10-db\", "
	"\"argument\": \"freeze\", \"result\": \"ok\", \"error\": null, \"status\": 0, \"duration_usec\": 250000 },"
	"{ \"time\": " T0 ", \"offset_usec\": 251000, \"event\": \"freeze\", \"target\": \"/data\", "
	"\"argument\": \"xfs\", \"result\": \"ok\", \"error\": null, \"status\": null, \"duration_usec\": 1500 },"
	"{ \"time\": " T0 ", \"offset_usec\": 252600, \"event\": \"freeze\", \"target\": \"/\", "
	"\"argument\": \"ext4\", \"result\": \"failed\", \"error\": \"Operation not supported\", \"status\": null, "
	"\"duration_usec\": 40 }"
	"], \"events_dropped\": 0 } }";

/* ---- plan ---- */

Test(hvctl_vss, plan_text)
{
	/* Each line up to the reason code; the planner words the details. */
	static const char *const lines[] = {
		"ORDER  MOUNTPOINT  FSTYPE  SOURCE     ACTION  REASON\n",
		"    1  /data       xfs     /dev/sdb1  freeze\n",
		"    2  /scratch    ext4    /dev/sdd1  freeze\n",
		"    3  /           ext4    /dev/sda1  freeze  root",
		"    -  /proc       proc    proc       skip    no-block-device: ",
		"    -  /boot/efi   vfat    /dev/sda2  skip    vfat: ",
		"    -  /mnt/ro     ext4    /dev/sdc1  skip    read-only: ",
		"    -  /srv        xfs     /dev/sdb1  skip    duplicate: ",
	};
	_cleanup_free_ char *out = NULL;
	const char *line;

	cr_assert_eq(RUN(&out, "vss", "plan"), 0);
	line = out;
	for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
		cr_assert_not_null(line, "line %zu missing in:\n%s", i, out);
		cr_assert_eq(strncmp(line, lines[i], strlen(lines[i])), 0, "line %zu: want '%s' in:\n%s", i,
			     lines[i], out);
		line = strchr(line, '\n');
		line = line && line[1] ? line + 1 : NULL;
	}
	cr_assert_null(line, "more lines than mounts:\n%s", out);
}

Test(hvctl_vss, plan_json_has_every_field)
{
	_cleanup_free_ char *out = NULL;
	json_object *j, *e;

	cr_assert_eq(RUN_JSON(&out, "vss", "plan"), 0);
	j = json_tokener_parse(out);
	cr_assert_not_null(j, "%s", out);
	cr_assert_eq(json_object_array_length(j), 7, "no header row in JSON");
	e = json_object_array_get_idx(j, 0);
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "order")), 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "mountpoint")), "/data");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "action")), "freeze");
	cr_assert(json_object_object_get_ex(e, "skip", NULL));
	cr_assert_null(json_object_object_get(e, "skip"));
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "mount_id")), 23);
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "major")), 8);
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "minor")), 17);
	cr_assert(json_object_object_get_ex(e, "loop_backing_mount", NULL));
	e = json_object_array_get_idx(j, 6);
	cr_assert_null(json_object_object_get(e, "order"));
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "skip")), "duplicate");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "fstype")), "xfs");
	json_object_put(j);
}

Test(hvctl_vss, plan_honours_exclude_mounts)
{
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *dir = NULL;
	char conf[400];

	cr_assert_eq(hv_config_directory(&dir), 0);
	snprintf(conf, sizeof(conf), "%s/hvutils.conf", dir);
	put_file(conf, "[vss]\nexclude-mounts = /scratch*\n");
	cr_assert_eq(RUN(&out, "vss", "plan"), 0);
	cr_assert_not_null(strstr(out, "/scratch    ext4    /dev/sdd1  skip    excluded"), "%s", out);
	cr_assert_not_null(strstr(out, "    2  /           ext4"), "%s", out);
}

Test(hvctl_vss, plan_without_a_mount_table)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/proc/self/mountinfo", root);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(RUN(NULL, "vss", "plan"), HVCTL_EXIT_FAILURE);
}

/* ---- status ---- */

Test(hvctl_vss, status_frozen)
{
	_cleanup_free_ char *out = NULL;

	char expected[512];

	put_status(getpid(), true, frozen_vss);
	cr_assert_eq(RUN(&out, "vss", "status"), 0);
	snprintf(expected, sizeof(expected),
		 "hv-vssd: running (pid %d)\n"
		 "State:     frozen since 2026-11-21 10:00:00 UTC\n"
		 "Cause:     freeze\n"
		 "Frozen:    /data /\n"
		 "Auto-thaw: at 2026-11-21 10:01:00 UTC\n",
		 (int)getpid());
	cr_assert_str_eq(out, expected);
}

Test(hvctl_vss, status_idle_json)
{
	_cleanup_free_ char *out = NULL;
	json_object *j;

	put_status(getpid(), true, idle_vss);
	cr_assert_eq(RUN_JSON(&out, "vss", "status"), 0);
	j = json_tokener_parse(out);
	cr_assert_not_null(j, "%s", out);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "daemon")), "running");
	cr_assert_eq(json_object_get_int(json_object_object_get(j, "pid")), getpid());
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "state")), "idle");
	cr_assert_eq(json_object_get_int64(json_object_object_get(j, "since")), 1795255200000000);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "since_utc")), "2026-11-21 10:00:00 UTC");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "request")), "thaw");
	cr_assert_eq(json_object_array_length(json_object_object_get(j, "frozen")), 0);
	cr_assert(json_object_object_get_ex(j, "auto_thaw_at", NULL));
	cr_assert_null(json_object_object_get(j, "auto_thaw_at"));
	json_object_put(j);
}

Test(hvctl_vss, status_idle_text)
{
	_cleanup_free_ char *out = NULL;
	char expected[512];

	put_status(getpid(), true, idle_vss);
	cr_assert_eq(RUN(&out, "vss", "status"), 0);
	snprintf(expected, sizeof(expected),
		 "hv-vssd: running (pid %d)\n"
		 "State:     idle since 2026-11-21 10:00:00 UTC\n"
		 "Cause:     thaw\n"
		 "Frozen:    nothing\n",
		 (int)getpid());
	cr_assert_str_eq(out, expected);
}

Test(hvctl_vss, status_when_the_daemon_does_not_run)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN(&out, "vss", "status"), HVCTL_EXIT_UNAVAILABLE, "no status file");
	cr_assert_str_eq(out, "");
	/* Stopped cleanly: the skeleton's last write says ready: false. */
	put_status(0x7ffffff0, false, idle_vss);
	cr_assert_eq(RUN(NULL, "vss", "status"), HVCTL_EXIT_UNAVAILABLE);
	/* Killed: ready still true, the pid gone. */
	put_status(0x7ffffff0, true, frozen_vss);
	cr_assert_eq(RUN(NULL, "vss", "status"), HVCTL_EXIT_UNAVAILABLE);
}

Test(hvctl_vss, status_says_why_the_daemon_does_not_run)
{
	char buf[512] = "";
	FILE *err;
	size_t n;

	put_status(0x7ffffff0, true, frozen_vss);
	cr_assert_eq(RUN(NULL, "vss", "status"), HVCTL_EXIT_UNAVAILABLE);
	fflush(stderr);
	err = cr_get_redirected_stderr();
	n = fread(buf, 1, sizeof(buf) - 1, err);
	buf[n] = '\0';
	cr_assert_not_null(strstr(buf, "hv-vssd is not running (pid 2147483632 is gone; it did not stop cleanly)"),
			   "%s", buf);
}

Test(hvctl_vss, status_while_starting)
{
	_cleanup_free_ char *out = NULL;

	put_status(getpid(), false, idle_vss);
	cr_assert_eq(RUN(&out, "vss", "status"), 0);
	cr_assert_not_null(strstr(out, "starting (pid"), "%s", out);
	cr_assert_not_null(strstr(out, "not registered with the kernel yet\n"), "%s", out);
}

Test(hvctl_vss, status_file_without_vss_is_bad_data)
{
	_cleanup_free_ char *file = NULL;

	cr_assert_eq(hv_json_status_path("hv-vssd", &file), 0);
	put_file(file, "{ \"pid\": 1, \"ready\": true }\n");
	cr_assert_eq(RUN(NULL, "vss", "status"), HVCTL_EXIT_DATAERR);
	put_file(file, "not json");
	cr_assert_eq(RUN(NULL, "vss", "status"), HVCTL_EXIT_DATAERR);
}

/* ---- last ---- */

Test(hvctl_vss, last_text)
{
	_cleanup_free_ char *out = NULL;

	/* The timeline stays readable after the daemon stopped. */
	put_status(0x7ffffff0, false, idle_vss);
	cr_assert_eq(RUN(&out, "vss", "last"), 0);
	cr_assert_str_eq(out, "Backup started 2026-11-21 10:00:00 UTC by hot-backup: thawed, frozen for 2.500123 s\n"
			      "     OFFSET  EVENT    TARGET      ARGUMENT      TOOK  RESULT\n"
			      "  +0.000000  request  hot-backup                      -\n"
			      "  +0.000012  answer   hot-backup                      no-auto-recovery (status 2)\n"
			      "  +0.001000  hook     10-db       freeze    250.0 ms  ok (status 0)\n"
			      "  +0.251000  freeze   /data       xfs         1.5 ms  ok\n"
			      "  +0.252600  freeze   /           ext4         40 us  failed (Operation not supported)\n");
}

Test(hvctl_vss, last_json)
{
	_cleanup_free_ char *out = NULL;
	json_object *j, *events, *e;

	put_status(getpid(), true, idle_vss);
	cr_assert_eq(RUN_JSON(&out, "vss", "last"), 0);
	j = json_tokener_parse(out);
	cr_assert_not_null(j, "%s", out);
	cr_assert_eq(json_object_get_int64(json_object_object_get(j, "started")), 1795255200000000);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "request")), "hot-backup");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(j, "outcome")), "thawed");
	cr_assert_eq(json_object_get_int64(json_object_object_get(j, "frozen_usec")), 2500123);
	cr_assert_eq(json_object_get_int(json_object_object_get(j, "events_dropped")), 0);
	events = json_object_object_get(j, "events");
	cr_assert_eq(json_object_array_length(events), 5, "no header row in JSON");
	e = json_object_array_get_idx(events, 4);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "event")), "freeze");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "target")), "/");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "error")), "Operation not supported");
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "offset_usec")), 252600);
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "duration_usec")), 40);
	cr_assert_null(json_object_object_get(e, "status"));
	e = json_object_array_get_idx(events, 2);
	cr_assert_eq(json_object_get_int(json_object_object_get(e, "status")), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "argument")), "freeze");
	json_object_put(j);
}

Test(hvctl_vss, last_without_a_backup)
{
	_cleanup_free_ char *out = NULL, *json = NULL;
	json_object *j;

	put_status(getpid(), true, frozen_vss);
	cr_assert_eq(RUN(&out, "vss", "last"), 0);
	cr_assert_str_eq(out, "No backup since hv-vssd started\n");
	cr_assert_eq(RUN_JSON(&json, "vss", "last"), 0);
	j = json_tokener_parse(json);
	cr_assert_not_null(j);
	cr_assert_null(json_object_object_get(j, "started"));
	cr_assert_eq(json_object_array_length(json_object_object_get(j, "events")), 0);
	json_object_put(j);
}

Test(hvctl_vss, last_without_a_status_file)
{
	cr_assert_eq(RUN(NULL, "vss", "last"), HVCTL_EXIT_UNAVAILABLE);
}

/* ---- misuse ---- */

Test(hvctl_vss, misuse)
{
	cr_assert_eq(RUN(NULL, "vss"), HVCTL_EXIT_USAGE);
	cr_assert_eq(RUN(NULL, "vss", "freeze"), HVCTL_EXIT_USAGE);
	cr_assert_eq(RUN(NULL, "vss", "plan", "extra"), HVCTL_EXIT_USAGE);
}
