/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sd-event and sd_notify glue.
 *
 * Library objects are loop-agnostic (STYLE.md rule 6): they expose an fd, the
 * poll events they want and a dispatch function.  hv_sd_io_attach() is the
 * one adapter that puts such an object on an sd_event loop.  After every
 * dispatch, and whenever the owner calls hv_sd_io_refresh(), the adapter
 * re-reads fd, events and generation: an object that reopened its device
 * (chardev after hibernation) gets a fresh event source even when the new fd
 * has the same number as the old one (epoll forgets a closed fd, and
 * sd_event_source_set_io_fd() does nothing for an unchanged number).  An
 * object without an fd (fd < 0) has its source switched off until a refresh.
 *
 * Signals arrive through sd_event_add_signal() (blocked first, as sd-event
 * requires): SIGTERM and SIGINT end the loop with exit code 0, SIGHUP calls
 * the reload callback.  The watchdog is sd_event_set_watchdog().
 *
 * The notify wrappers are no-ops returning 0 when $NOTIFY_SOCKET is unset
 * (not started by systemd), 1 when the message was sent, -errno on failure.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

struct hv_sd_io_ops {
	int (*get_fd)(void *object);          /* < 0: nothing to watch now */
	uint32_t (*get_events)(void *object); /* EPOLLIN etc. (POLLIN has the same value) */
	/* Optional: changes whenever the object opened a new fd. */
	uint64_t (*get_generation)(void *object);
	/* < 0 is fatal: the loop exits with that code. */
	int (*dispatch)(void *object, uint32_t revents);
};

struct hv_sd_io;

int hv_sd_io_attach(sd_event *e, const struct hv_sd_io_ops *ops, void *object, struct hv_sd_io **ret);
int hv_sd_io_refresh(struct hv_sd_io *io);
/* The current event source, or NULL while the object has no fd. */
sd_event_source *hv_sd_io_get_source(const struct hv_sd_io *io);
struct hv_sd_io *hv_sd_io_free(struct hv_sd_io *io);

typedef int (*hv_sd_reload_fn)(void *userdata);

/*
 * Block SIGTERM, SIGINT and SIGHUP and add their sources to e (owned by e).
 * SIGTERM/SIGINT: sd_event_exit(e, 0).  SIGHUP: reload(userdata) if reload is
 * set (its return value is only logged at debug level: the callback logs
 * what went wrong), else ignored.
 */
int hv_sd_add_signals(sd_event *e, hv_sd_reload_fn reload, void *userdata);

/* sd_event_set_watchdog(e, true): > 0 when the service manager asked for a
 * watchdog (WATCHDOG_USEC), 0 when not, -errno on failure. */
int hv_sd_enable_watchdog(sd_event *e);

int hv_sd_notify(const char *state);
int hv_sd_notifyf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int hv_sd_notify_ready(void);
int hv_sd_notify_stopping(void);
/* RELOADING=1 with MONOTONIC_USEC= (what Type=notify-reload expects). */
int hv_sd_notify_reloading(void);
/* STATUS=<text>; newlines in the text are replaced by spaces. */
int hv_sd_notify_status(const char *format, ...) __attribute__((format(printf, 1, 2)));
