/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one daemon skeleton (DESIGN.md §1, §3; STYLE.md rules 2, 15, 26).  A
 * daemon's main.c is:
 *
 *   static const struct hv_daemon_ops ops = {
 *           .name = "hv-kvpd", .description = "...", .sections = kvp_sections,
 *           .start = kvpd_start, .stop = kvpd_stop, .reload = kvpd_reload,
 *   };
 *   int main(int argc, char **argv) { return hv_daemon_main(argc, argv, &ops); }
 *
 * hv_daemon_main() does, in order: options (--config FILE, --debug, --help,
 * --version; -n/--no-daemon accepted and ignored, for the reference daemons'
 * unit files), the log sink (stderr, "<N>" priorities under the journal,
 * the program name as prefix otherwise), the path context ($HV_SYSROOT),
 * configuration ([general] plus the daemon's sections), the sd-event loop with
 * SIGTERM/SIGINT (clean exit, status 0), SIGHUP (reload) and the watchdog,
 * then ops->start().  The service calls hv_daemon_ready() once it is
 * registered with the kernel: that sends READY=1.  When the loop ends:
 * STOPPING=1, ops->stop(), teardown.
 *
 * SIGHUP: RELOADING=1, load the configuration again from the same files; on
 * any error log why and keep the old one; else offer it to ops->reload(),
 * which may refuse it (keep the old one) and must not keep pointers into the
 * old one; then READY=1.
 *
 * Exit status: 0 after SIGTERM/SIGINT or hv_daemon_exit(d, 0); 64 (EX_USAGE)
 * for bad options; 1 for any failure.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "base/log.h"
#include "platform/config.h"

struct hv_path;
struct hv_daemon;

struct hv_daemon_ops {
	const char *name;        /* binary name: log prefix, status file, --help */
	const char *description; /* one line for --help */
	/* The daemon's own sections, an array ended by an entry whose name is
	 * NULL; may be NULL.  [general] is always loaded as well. */
	const struct hv_config_section *sections;
	/* Open devices, attach them to the loop; < 0 is fatal (exit 1). */
	int (*start)(struct hv_daemon *d);
	/* After the loop ended, and also after a failed start (so it must cope
	 * with a half-started service); may be NULL. */
	void (*stop)(struct hv_daemon *d);
	/* Accept (0) or refuse (< 0) a new configuration; may be NULL (accept). */
	int (*reload)(struct hv_daemon *d, const struct hv_config *new_config);
	/* Keep RUNSTATEDIR/hvutils/<name>.json up to date (`hvctl status`):
	 * written once ready, after STATUS= changes and hv_daemon_touch_status()
	 * (at most once a second), and at exit with "ready": false. */
	bool status_file;
	/* Members added to every status file write; may be NULL. */
	int (*status_extra)(struct hv_daemon *d, json_object *extra);
};

int hv_daemon_main(int argc, char **argv, const struct hv_daemon_ops *ops);

const char *hv_daemon_get_name(const struct hv_daemon *d);
sd_event *hv_daemon_get_event(const struct hv_daemon *d);
const struct hv_path *hv_daemon_get_path(const struct hv_daemon *d);
const struct hv_config *hv_daemon_get_config(const struct hv_daemon *d);
/* Shorthand for hv_config_get(hv_daemon_get_config(d), section). */
const void *hv_daemon_get_section(const struct hv_daemon *d, const struct hv_config_section *section);
void hv_daemon_set_userdata(struct hv_daemon *d, void *userdata);
void *hv_daemon_get_userdata(const struct hv_daemon *d);

/* READY=1, once; later calls do nothing.  Logs "Ready" at info. */
int hv_daemon_ready(struct hv_daemon *d);
bool hv_daemon_is_ready(const struct hv_daemon *d);
/* STATUS=<text>, also kept for the status file and logged at debug level. */
int hv_daemon_status(struct hv_daemon *d, const char *format, ...) _printf_(2, 3);
const char *hv_daemon_get_status(const struct hv_daemon *d);
/* Leave the loop: code >= 0 is the exit status, < 0 means failure (1). */
int hv_daemon_exit(struct hv_daemon *d, int code);

/*
 * Write RUNSTATEDIR/hvutils/<name>.json atomically: {"daemon", "version",
 * "pid", "ready", "status", "reloads"} plus the members of extra (may be
 * NULL; not consumed).  For `hvctl status`.
 */
int hv_daemon_write_status_file(struct hv_daemon *d, json_object *extra);

/* Something in the status file changed: rewrite it within a second (only
 * with ops->status_file; cheap to call after every request). */
void hv_daemon_touch_status(struct hv_daemon *d);
