/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon skeleton (see daemon.h), shaped after systemd-timesyncd's
 * run(): arguments, configuration, objects, loop, teardown, with forward-only
 * error labels.  Nothing here knows about a particular service.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "daemons/common/daemon.h"
#include "platform/config.h"
#include "platform/json.h"
#include "platform/sd.h"

#define EXIT_USAGE 64 /* sysexits.h EX_USAGE */

struct hv_daemon {
	const struct hv_daemon_ops *ops;
	const struct hv_config_section **sections;
	size_t n_sections;
	struct hv_path *path;
	const char *config_file; /* --config, or NULL */
	bool debug;
	struct hv_config *config;
	sd_event *event;
	void *userdata;
	bool ready;
	char *status;
	unsigned reloads;
	int exit_code; /* set by hv_daemon_exit() */
	sd_event_source *status_timer; /* a pending status file write */
	bool status_failed;            /* the last write failed (logged once) */
};

const char *hv_daemon_get_name(const struct hv_daemon *d)
{
	return d->ops->name;
}

sd_event *hv_daemon_get_event(const struct hv_daemon *d)
{
	return d->event;
}

const struct hv_path *hv_daemon_get_path(const struct hv_daemon *d)
{
	return d->path;
}

const struct hv_config *hv_daemon_get_config(const struct hv_daemon *d)
{
	return d->config;
}

const void *hv_daemon_get_section(const struct hv_daemon *d, const struct hv_config_section *section)
{
	return hv_config_get(d->config, section);
}

void hv_daemon_set_userdata(struct hv_daemon *d, void *userdata)
{
	d->userdata = userdata;
}

void *hv_daemon_get_userdata(const struct hv_daemon *d)
{
	return d->userdata;
}

bool hv_daemon_is_ready(const struct hv_daemon *d)
{
	return d->ready;
}

static void write_managed_status(struct hv_daemon *d);

const char *hv_daemon_get_status(const struct hv_daemon *d)
{
	return d->status;
}

int hv_daemon_ready(struct hv_daemon *d)
{
	int r;

	if (d->ready)
		return 0;
	d->ready = true;
	hv_log_info("Ready");
	r = hv_sd_notify_ready();
	if (r < 0)
		hv_log_warning_errno(r, "Failed to notify the service manager, ignoring: %m");
	if (d->ops->status_file) {
		/* Ready shows at once, not after the batching delay. */
		d->status_timer = sd_event_source_disable_unref(d->status_timer);
		write_managed_status(d);
	}
	return 0;
}

int hv_daemon_status(struct hv_daemon *d, const char *format, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, format);
	r = vasprintf(&s, format, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	free(d->status);
	d->status = s;
	hv_log_debug("Status: %s", s);
	r = hv_sd_notify_status("%s", s);
	if (r < 0)
		hv_log_debug_errno(r, "Failed to send STATUS=, ignoring: %m");
	hv_daemon_touch_status(d);
	return 0;
}

int hv_daemon_exit(struct hv_daemon *d, int code)
{
	d->exit_code = code;
	return sd_event_exit(d->event, code);
}

int hv_daemon_write_status_file(struct hv_daemon *d, json_object *extra)
{
	json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return -ENOMEM;
	if (json_object_object_add(o, "daemon", json_object_new_string(d->ops->name)) < 0 ||
	    json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION)) < 0 ||
	    json_object_object_add(o, "pid", json_object_new_int((int)getpid())) < 0 ||
	    json_object_object_add(o, "ready", json_object_new_boolean(d->ready)) < 0 ||
	    json_object_object_add(o, "status", d->status ? json_object_new_string(d->status) : NULL) < 0 ||
	    json_object_object_add(o, "reloads", json_object_new_int64(d->reloads)) < 0)
		r = -ENOMEM;
	if (r == 0 && extra) {
		json_object_object_foreach(extra, key, val)
		{
			if (json_object_object_add(o, key, json_object_get(val)) < 0) {
				r = -ENOMEM;
				break;
			}
		}
	}
	if (r == 0)
		r = hv_json_write_status(d->path, d->ops->name, o);
	json_object_put(o);
	return r;
}

/* The skeleton's own writes: ops->status_extra's members, and a failure is
 * logged once (a read-only /run must not flood the journal). */
static void write_managed_status(struct hv_daemon *d)
{
	json_object *extra = json_object_new_object();
	int r = extra ? 0 : -ENOMEM;

	if (r == 0 && d->ops->status_extra)
		r = d->ops->status_extra(d, extra);
	if (r == 0)
		r = hv_daemon_write_status_file(d, extra);
	json_object_put(extra);
	if (r < 0 && !d->status_failed)
		hv_log_warning_errno(r, "Failed to write the status file, ignoring: %m");
	else if (r == 0 && d->status_failed)
		hv_log_info("The status file is written again");
	d->status_failed = r < 0;
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hv_daemon *d = userdata;

	(void)usec;
	d->status_timer = sd_event_source_disable_unref(s);
	write_managed_status(d);
	return 0;
}

void hv_daemon_touch_status(struct hv_daemon *d)
{
	int r;

	if (!d->ops->status_file || !d->event || d->status_timer)
		return;
	/* The first write (ready) goes out at once, later ones are batched. */
	r = sd_event_add_time_relative(d->event, &d->status_timer, CLOCK_MONOTONIC, HV_USEC_PER_SEC, 0,
				       on_status_timer, d);
	if (r < 0) {
		hv_log_debug_errno(r, "Failed to schedule a status file write: %m");
		write_managed_status(d);
	}
}

/* ---- configuration ---- */

static int load_config(struct hv_daemon *d, struct hv_config **ret)
{
	struct hv_config_source src = { .path = d->path, .file = d->config_file };

	return hv_config_load(d->sections, d->n_sections, &src, ret);
}

static void apply_general(struct hv_daemon *d)
{
	const struct hv_config_general *g = hv_config_get(d->config, &hv_config_general_section);

	/* --debug wins over the file. */
	hv_log_set_max_level(d->debug ? HV_LOG_DEBUG : g->log_level);
}

static int on_reload(void *userdata)
{
	struct hv_daemon *d = userdata;
	struct hv_config *n = NULL;
	int r;

	hv_log_info("Reloading configuration");
	if (d->ready)
		(void)hv_sd_notify_reloading();

	r = load_config(d, &n);
	if (r < 0) {
		hv_log_err_errno(r, "Failed to reload configuration, keeping the old one: %m");
		goto finish;
	}
	if (d->ops->reload) {
		r = d->ops->reload(d, n);
		if (r < 0) {
			hv_log_err_errno(r, "The new configuration was refused, keeping the old one: %m");
			hv_config_free(n);
			goto finish;
		}
	}
	hv_config_free(d->config);
	d->config = n;
	d->reloads++;
	apply_general(d);
	hv_log_info("Configuration reloaded");

finish:
	if (d->ready) {
		(void)hv_sd_notify_ready();
		if (d->status)
			(void)hv_sd_notify_status("%s", d->status);
	}
	return r;
}

/* ---- options ---- */

static void help(const struct hv_daemon_ops *ops)
{
	printf("Usage: %s [OPTIONS]\n"
	       "%s\n\n"
	       "  -c, --config FILE  read only FILE, not hvutils.conf and its drop-ins\n"
	       "  -d, --debug        log debug messages (overrides log-level)\n"
	       "  -n, --no-daemon    accepted for compatibility; %s never forks\n"
	       "  -h, --help         show this help and exit\n"
	       "  -V, --version      show the version and exit\n"
	       "\nSee hvutils.conf(5) for the configuration files.\n",
	       ops->name, ops->description ? ops->description : "", ops->name);
}

/* 0: run; 1: done (help, version); < 0: usage error (already reported). */
static int parse_argv(struct hv_daemon *d, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "no-daemon", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *name = d->ops->name;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":c:dnhV", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			if (!optarg[0]) {
				fprintf(stderr, "%s: --config needs a file name\n", name);
				fprintf(stderr, "Try '%s --help' for more information.\n", name);
				return -EINVAL;
			}
			d->config_file = optarg;
			break;
		case 'd':
			d->debug = true;
			break;
		case 'n':
			/* The reference daemons' -n/--no-daemon: we never fork anyway. */
			break;
		case 'h':
			help(d->ops);
			return 1;
		case 'V':
			printf("%s (%s) %s\n", name, PACKAGE_NAME, PACKAGE_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "%s: option '%s' needs an argument\n", name, argv[optind - 1]);
			fprintf(stderr, "Try '%s --help' for more information.\n", name);
			return -EINVAL;
		default:
			/* A long option (also "--help=x", for which getopt sets optopt
			 * to 'h') is named as written; a short one by its letter. */
			if (strncmp(argv[optind - 1], "--", 2) == 0 || !optopt)
				fprintf(stderr, "%s: unknown option '%s'\n", name, argv[optind - 1]);
			else
				fprintf(stderr, "%s: unknown option '-%c'\n", name, optopt);
			fprintf(stderr, "Try '%s --help' for more information.\n", name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", name, argv[optind]);
		fprintf(stderr, "Try '%s --help' for more information.\n", name);
		return -EINVAL;
	}
	return 0;
}

static int build_sections(struct hv_daemon *d)
{
	size_t n = 1;

	for (const struct hv_config_section *s = d->ops->sections; s && s->name; s++)
		n++;
	d->sections = calloc(n, sizeof(*d->sections));
	if (!d->sections)
		return -ENOMEM;
	d->sections[0] = &hv_config_general_section;
	d->n_sections = 1;
	for (const struct hv_config_section *s = d->ops->sections; s && s->name; s++)
		d->sections[d->n_sections++] = s;
	return 0;
}

int hv_daemon_main(int argc, char **argv, const struct hv_daemon_ops *ops)
{
	struct hv_daemon d = { .ops = ops };
	int r, status = EXIT_FAILURE;

	if (!ops || !ops->name || !ops->start)
		return EXIT_FAILURE;

	r = parse_argv(&d, argc, argv);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;

	/* stderr for the journal, our name as the prefix on a terminal. */
	hv_log_set_sink(hv_log_stderr_sink, (void *)ops->name);
	hv_log_set_max_level(d.debug ? HV_LOG_DEBUG : HV_LOG_INFO);

	d.path = hv_path_new_from_env();
	if (!d.path || build_sections(&d) < 0) {
		hv_log_err("Out of memory");
		goto finish;
	}

	r = load_config(&d, &d.config);
	if (r < 0) {
		hv_log_err_errno(r, "Failed to load configuration: %m");
		goto finish;
	}
	apply_general(&d);

	r = sd_event_default(&d.event);
	if (r < 0) {
		hv_log_err_errno(r, "Failed to create the event loop: %m");
		goto finish;
	}
	r = hv_sd_add_signals(d.event, on_reload, &d);
	if (r < 0) {
		hv_log_err_errno(r, "Failed to set up signal handling: %m");
		goto finish;
	}
	r = hv_sd_enable_watchdog(d.event);
	if (r < 0) {
		hv_log_err_errno(r, "Failed to enable the watchdog: %m");
		goto finish;
	}
	if (r > 0)
		hv_log_debug("Watchdog enabled");

	(void)hv_daemon_status(&d, "Starting");
	r = ops->start(&d);
	if (r < 0) {
		hv_log_err_errno(r, "Failed to start: %m");
		(void)hv_sd_notifyf("ERRNO=%d", -r);
		goto stop;
	}

	r = sd_event_loop(d.event);
	if (r < 0)
		hv_log_err_errno(r, "Exiting after a failure: %m");
	else
		hv_log_info("Exiting");
	status = r < 0 ? EXIT_FAILURE : r;

stop:
	(void)hv_sd_notify_stopping();
	d.status_timer = sd_event_source_disable_unref(d.status_timer);
	if (ops->status_file && d.event) {
		d.ready = false;
		(void)hv_daemon_status(&d, "Stopped");
		d.status_timer = sd_event_source_disable_unref(d.status_timer);
		write_managed_status(&d);
	}
	if (ops->stop)
		ops->stop(&d);
finish:
	d.event = sd_event_unref(d.event);
	hv_config_free(d.config);
	free(d.sections);
	free(d.status);
	hv_path_free(d.path);
	hv_log_set_sink(NULL, NULL);
	return status;
}
