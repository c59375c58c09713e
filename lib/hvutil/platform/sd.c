/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sd-event adapter for loop-agnostic objects, signal and watchdog setup,
 * sd_notify wrappers (see sd.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "platform/sd.h"

struct hv_sd_io {
	sd_event *event;
	const struct hv_sd_io_ops *ops;
	void *object;
	sd_event_source *source;
	int fd;
	uint32_t events;
	uint64_t generation;
};

static int io_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static uint64_t io_generation(const struct hv_sd_io *io)
{
	return io->ops->get_generation ? io->ops->get_generation(io->object) : 0;
}

static int io_add_source(struct hv_sd_io *io)
{
	sd_event_source *s = NULL;
	int r;

	r = sd_event_add_io(io->event, &s, io->fd, io->events, io_handler, io);
	if (r < 0)
		return r;
	io->source = s;
	return 0;
}

int hv_sd_io_refresh(struct hv_sd_io *io)
{
	int fd = io->ops->get_fd(io->object);
	uint32_t events = io->ops->get_events(io->object);
	uint64_t gen = io_generation(io);
	int r;

	if (fd < 0) {
		/* Nothing to watch (device closed): drop the source until a refresh. */
		io->source = sd_event_source_disable_unref(io->source);
		io->fd = -EBADF;
		io->generation = gen;
		return 0;
	}
	if (!io->source || fd != io->fd || gen != io->generation) {
		/* A new fd, maybe under the old number: register it from scratch. */
		io->source = sd_event_source_disable_unref(io->source);
		io->fd = fd;
		io->events = events;
		io->generation = gen;
		return io_add_source(io);
	}
	if (events != io->events) {
		r = sd_event_source_set_io_events(io->source, events);
		if (r < 0)
			return r;
		io->events = events;
	}
	return 0;
}

static int io_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct hv_sd_io *io = userdata;
	int r;

	r = io->ops->dispatch(io->object, revents);
	if (r < 0) {
		hv_log_debug_errno(r, "dispatch on fd %d failed, leaving the loop: %m", fd);
		return sd_event_exit(io->event, r);
	}
	r = hv_sd_io_refresh(io);
	if (r < 0) {
		hv_log_debug_errno(r, "cannot watch the new fd, leaving the loop: %m");
		return sd_event_exit(io->event, r);
	}
	return 0;
}

int hv_sd_io_attach(sd_event *e, const struct hv_sd_io_ops *ops, void *object, struct hv_sd_io **ret)
{
	struct hv_sd_io *io;
	int r;

	if (!e || !ops || !ops->get_fd || !ops->get_events || !ops->dispatch || !ret)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->event = sd_event_ref(e);
	io->ops = ops;
	io->object = object;
	io->fd = -EBADF;
	r = hv_sd_io_refresh(io);
	if (r < 0) {
		hv_sd_io_free(io);
		return r;
	}
	*ret = io;
	return 0;
}

sd_event_source *hv_sd_io_get_source(const struct hv_sd_io *io)
{
	return io ? io->source : NULL;
}

struct hv_sd_io *hv_sd_io_free(struct hv_sd_io *io)
{
	if (!io)
		return NULL;
	sd_event_source_disable_unref(io->source);
	sd_event_unref(io->event);
	free(io);
	return NULL;
}

/* ---- signals ---- */

struct reload_ctx {
	hv_sd_reload_fn fn;
	void *userdata;
};

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	hv_log_debug("received %s, leaving the loop", strsignal((int)si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct reload_ctx *ctx = userdata;
	int r;

	if (!ctx->fn) {
		hv_log_debug("received SIGHUP, nothing to reload");
		return 0;
	}
	r = ctx->fn(ctx->userdata);
	if (r < 0)
		hv_log_debug_errno(r, "reload failed: %m");
	/* A failed reload never stops the loop. */
	return 0;
}

static void reload_ctx_destroy(void *userdata)
{
	free(userdata);
}

int hv_sd_add_signals(sd_event *e, hv_sd_reload_fn reload, void *userdata)
{
	static const int exit_signals[] = { SIGTERM, SIGINT };
	sd_event_source *s = NULL;
	struct reload_ctx *ctx;
	sigset_t mask;
	int r;

	if (!e)
		return -EINVAL;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* sd-event (systemd < 253) requires the signals blocked beforehand. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return hv_negative_errno();

	for (size_t i = 0; i < ELEMENTSOF(exit_signals); i++) {
		r = sd_event_add_signal(e, NULL, exit_signals[i], on_exit_signal, NULL);
		if (r < 0)
			return r;
	}

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->fn = reload;
	ctx->userdata = userdata;
	r = sd_event_add_signal(e, &s, SIGHUP, on_reload_signal, ctx);
	if (r < 0) {
		free(ctx);
		return r;
	}
	/* Owned by the loop from here on; ctx goes with the source. */
	r = sd_event_source_set_destroy_callback(s, reload_ctx_destroy);
	if (r < 0) {
		sd_event_source_unref(s);
		free(ctx);
		return r;
	}
	r = sd_event_source_set_floating(s, 1);
	sd_event_source_unref(s);
	return r < 0 ? r : 0;
}

int hv_sd_enable_watchdog(sd_event *e)
{
	if (!e)
		return -EINVAL;
	return sd_event_set_watchdog(e, 1);
}

/* ---- notify ---- */

int hv_sd_notify(const char *state)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	if (!state)
		return -EINVAL;
	if (!sock || !*sock)
		return 0;
	return sd_notify(0, state);
}

static int notify_va(const char *prefix, const char *format, va_list ap)
{
	_cleanup_free_ char *text = NULL, *msg = NULL;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	if (vasprintf(&text, format, ap) < 0)
		return -ENOMEM;
	if (prefix) {
		/* One STATUS= line: a newline would start another assignment. */
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = ' ';
		if (asprintf(&msg, "%s%s", prefix, text) < 0)
			return -ENOMEM;
		return hv_sd_notify(msg);
	}
	return hv_sd_notify(text);
}

int hv_sd_notifyf(const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = notify_va(NULL, format, ap);
	va_end(ap);
	return r;
}

int hv_sd_notify_status(const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = notify_va("STATUS=", format, ap);
	va_end(ap);
	return r;
}

int hv_sd_notify_ready(void)
{
	return hv_sd_notify("READY=1");
}

int hv_sd_notify_stopping(void)
{
	return hv_sd_notify("STOPPING=1");
}

int hv_sd_notify_reloading(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return hv_negative_errno();
	return hv_sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
			     (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
}
