/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * platform/sd: sd_notify wrappers against a real AF_UNIX datagram socket set
 * as $NOTIFY_SOCKET, signal handling on a real sd_event loop (signals raised
 * at ourselves), the watchdog, and the io adapter, including an object that
 * reopens its fd under the same number.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/macros.h"
#include "platform/sd.h"

/* ---- a notify socket ---- */

static char sockdir[128];
static char sockpath[256];
static int sockfd = -1;

static void notify_setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };

	strcpy(sockdir, "/tmp/hv-test-sd-XXXXXX");
	cr_assert_not_null(mkdtemp(sockdir));
	snprintf(sockpath, sizeof(sockpath), "%s/notify", sockdir);
	strcpy(sa.sun_path, sockpath);
	sockfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(sockfd, 0);
	cr_assert_eq(bind(sockfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(setsockopt(sockfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	setenv("NOTIFY_SOCKET", sockpath, 1);
}

static void notify_teardown(void)
{
	close(sockfd);
	unlink(sockpath);
	rmdir(sockdir);
	unsetenv("NOTIFY_SOCKET");
}

/* Next datagram as a string; "" on timeout. */
static const char *recv_msg(int flags)
{
	static char buf[4096];
	ssize_t n = recv(sockfd, buf, sizeof(buf) - 1, flags);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

enum notify_call {
	CALL_READY,
	CALL_STOPPING,
	CALL_STATUS,
	CALL_STATUS_NEWLINE,
	CALL_RAW,
	CALL_FORMATTED,
};

struct notify_case {
	enum notify_call call;
	char expected[64]; /* the datagram, or its prefix when prefix is set */
};

static const struct notify_case notify_cases[] = {
	{ CALL_READY, "READY=1" },
	{ CALL_STOPPING, "STOPPING=1" },
	{ CALL_STATUS, "STATUS=pool 1: 412 records" },
	{ CALL_STATUS_NEWLINE, "STATUS=waiting for host" },
	{ CALL_RAW, "ERRNO=5" },
	{ CALL_FORMATTED, "EXTEND_TIMEOUT_USEC=5000000" },
};

static int do_call(enum notify_call call)
{
	switch (call) {
	case CALL_READY:
		return hv_sd_notify_ready();
	case CALL_STOPPING:
		return hv_sd_notify_stopping();
	case CALL_STATUS:
		return hv_sd_notify_status("pool %d: %d records", 1, 412);
	case CALL_STATUS_NEWLINE:
		return hv_sd_notify_status("waiting\nfor host");
	case CALL_RAW:
		return hv_sd_notify("ERRNO=5");
	case CALL_FORMATTED:
		return hv_sd_notifyf("EXTEND_TIMEOUT_USEC=%d", 5000000);
	}
	return -EINVAL;
}

ParameterizedTestParameters(sd, notify)
{
	return cr_make_param_array(struct notify_case, notify_cases, ELEMENTSOF(notify_cases));
}

ParameterizedTest(struct notify_case *nc, sd, notify, .init = notify_setup, .fini = notify_teardown)
{
	cr_assert_eq(do_call(nc->call), 1);
	cr_assert_str_eq(recv_msg(0), nc->expected);
}

ParameterizedTestParameters(sd, notify_is_noop_without_socket)
{
	return cr_make_param_array(struct notify_case, notify_cases, ELEMENTSOF(notify_cases));
}

ParameterizedTest(struct notify_case *nc, sd, notify_is_noop_without_socket, .init = notify_setup,
		  .fini = notify_teardown)
{
	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(do_call(nc->call), 0);
	cr_assert_str_eq(recv_msg(MSG_DONTWAIT), "", "nothing may be sent");
}

Test(sd, notify_reloading_carries_monotonic_usec, .init = notify_setup, .fini = notify_teardown)
{
	struct timespec ts;
	unsigned long long usec, now;
	const char *m;

	cr_assert_eq(hv_sd_notify_reloading(), 1);
	m = recv_msg(0);
	cr_assert_eq(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27), 0, "%s", m);
	usec = strtoull(m + 27, NULL, 10);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
	cr_assert(usec > 0 && usec <= now && now - usec < 5000000ULL, "%llu vs %llu", usec, now);
}

Test(sd, notify_to_a_missing_socket_fails, .init = notify_setup, .fini = notify_teardown)
{
	char missing[300];

	snprintf(missing, sizeof(missing), "%s/missing", sockdir);
	setenv("NOTIFY_SOCKET", missing, 1);
	cr_assert_lt(hv_sd_notify_ready(), 0);
	cr_assert_eq(hv_sd_notify(NULL), -EINVAL);
}

/* ---- signals ---- */

static int reloads;
static int reload_result;

static int on_reload(void *userdata)
{
	reloads++;
	cr_assert_eq(userdata, &reloads);
	return reload_result;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), -ETIMEDOUT);
}

/* Run until the loop exits or 2 s pass; returns the exit code. */
static int run_loop(sd_event *e)
{
	uint64_t now;

	cr_assert_geq(sd_event_now(e, CLOCK_MONOTONIC, &now), 0);
	cr_assert_geq(sd_event_add_time(e, NULL, CLOCK_MONOTONIC, now + 2000000, 0, on_timeout, NULL), 0);
	return sd_event_loop(e);
}

struct signal_case {
	int sig;
	int exits; /* 1: loop exits with 0; 0: loop continues (reload) */
	int reload_result;
};

static const struct signal_case signal_cases[] = {
	{ SIGTERM, 1, 0 },
	{ SIGINT, 1, 0 },
	{ SIGHUP, 0, 0 },
	{ SIGHUP, 0, -EINVAL }, /* a failed reload does not stop the loop */
};

ParameterizedTestParameters(sd, signals)
{
	return cr_make_param_array(struct signal_case, signal_cases, ELEMENTSOF(signal_cases));
}

ParameterizedTest(struct signal_case *sc, sd, signals)
{
	sd_event *e = NULL;
	int r;

	cr_assert_geq(sd_event_new(&e), 0);
	reloads = 0;
	reload_result = sc->reload_result;
	cr_assert_eq(hv_sd_add_signals(e, on_reload, &reloads), 0);
	/* Blocked now: raise() leaves it pending for the loop's signalfd. */
	cr_assert_eq(raise(sc->sig), 0);
	if (sc->exits) {
		cr_assert_eq(run_loop(e), 0);
		cr_assert_eq(reloads, 0);
	} else {
		for (int i = 0; i < 10 && reloads == 0; i++)
			cr_assert_geq(sd_event_run(e, 100000), 0);
		cr_assert_eq(reloads, 1);
		cr_assert_eq(sd_event_get_state(e) == SD_EVENT_FINISHED, 0, "SIGHUP must not end the loop");
		/* Still serving: SIGTERM ends it cleanly. */
		cr_assert_eq(raise(SIGTERM), 0);
		r = run_loop(e);
		cr_assert_eq(r, 0);
	}
	sd_event_unref(e);
}

Test(sd, sighup_without_reload_is_ignored)
{
	sd_event *e = NULL;

	cr_assert_geq(sd_event_new(&e), 0);
	cr_assert_eq(hv_sd_add_signals(e, NULL, NULL), 0);
	cr_assert_eq(raise(SIGHUP), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_geq(sd_event_run(e, 50000), 0);
	cr_assert_neq(sd_event_get_state(e), SD_EVENT_FINISHED);
	cr_assert_eq(raise(SIGINT), 0);
	cr_assert_eq(run_loop(e), 0);
	sd_event_unref(e);
}

/* ---- watchdog ---- */

Test(sd, watchdog_pings_when_requested, .init = notify_setup, .fini = notify_teardown)
{
	sd_event *e = NULL;
	char pid[32];
	uint64_t now;
	const char *m;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	cr_assert_geq(sd_event_new(&e), 0);
	cr_assert_gt(hv_sd_enable_watchdog(e), 0);
	/* Run 500 ms; the loop must ping at least once. */
	cr_assert_geq(sd_event_now(e, CLOCK_MONOTONIC, &now), 0);
	cr_assert_geq(sd_event_add_time(e, NULL, CLOCK_MONOTONIC, now + 500000, 0, on_timeout, NULL), 0);
	cr_assert_eq(sd_event_loop(e), -ETIMEDOUT);
	m = recv_msg(MSG_DONTWAIT);
	cr_assert_str_eq(m, "WATCHDOG=1");
	sd_event_unref(e);
}

Test(sd, watchdog_off_without_request, .init = notify_setup, .fini = notify_teardown)
{
	sd_event *e = NULL;

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	cr_assert_geq(sd_event_new(&e), 0);
	cr_assert_eq(hv_sd_enable_watchdog(e), 0);
	cr_assert_eq(hv_sd_enable_watchdog(NULL), -EINVAL);
	sd_event_unref(e);
}

/* ---- io adapter ---- */

struct obj {
	int fd;
	uint32_t events;
	uint64_t generation;
	int dispatched;
	int reopen_at; /* reopen inside the dispatch with this count */
	int fail_at;   /* return -EIO from the dispatch with this count */
	int close_at;  /* close (fd -1) inside the dispatch with this count */
};

static int obj_get_fd(void *o)
{
	return ((struct obj *)o)->fd;
}

static uint32_t obj_get_events(void *o)
{
	return ((struct obj *)o)->events;
}

static uint64_t obj_get_generation(void *o)
{
	return ((struct obj *)o)->generation;
}

static void obj_open(struct obj *o)
{
	o->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cr_assert_geq(o->fd, 0);
	o->generation++;
}

static void obj_kick(struct obj *o)
{
	uint64_t one = 1;

	cr_assert_eq(write(o->fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

static int obj_dispatch(void *userdata, uint32_t revents)
{
	struct obj *o = userdata;
	uint64_t v;

	cr_assert(revents & EPOLLIN);
	cr_assert_eq(read(o->fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	o->dispatched++;
	if (o->dispatched == o->fail_at)
		return -EIO;
	if (o->dispatched == o->reopen_at) {
		int old = o->fd;

		/* Like a device reopen after hibernation: close, then open. */
		close(o->fd);
		obj_open(o);
		cr_assert_eq(o->fd, old, "the test wants the same fd number back");
		obj_kick(o);
	}
	if (o->dispatched == o->close_at) {
		close(o->fd);
		o->fd = -1;
	}
	return 0;
}

static const struct hv_sd_io_ops obj_ops = {
	.get_fd = obj_get_fd,
	.get_events = obj_get_events,
	.get_generation = obj_get_generation,
	.dispatch = obj_dispatch,
};

static void run_until(sd_event *e, const int *counter, int want)
{
	for (int i = 0; i < 20 && *counter < want; i++)
		cr_assert_geq(sd_event_run(e, 50000), 0);
}

Test(sd, io_dispatches)
{
	struct obj o = { .events = EPOLLIN };
	struct hv_sd_io *io = NULL;
	sd_event *e = NULL;

	cr_assert_geq(sd_event_new(&e), 0);
	obj_open(&o);
	cr_assert_eq(hv_sd_io_attach(e, &obj_ops, &o, &io), 0);
	cr_assert_not_null(hv_sd_io_get_source(io));
	obj_kick(&o);
	run_until(e, &o.dispatched, 1);
	cr_assert_eq(o.dispatched, 1);
	obj_kick(&o);
	run_until(e, &o.dispatched, 2);
	cr_assert_eq(o.dispatched, 2);
	hv_sd_io_free(io);
	close(o.fd);
	sd_event_unref(e);
}

Test(sd, io_follows_a_reopen_under_the_same_fd_number)
{
	struct obj o = { .events = EPOLLIN, .reopen_at = 1 };
	struct hv_sd_io *io = NULL;
	sd_event *e = NULL;

	cr_assert_geq(sd_event_new(&e), 0);
	obj_open(&o);
	cr_assert_eq(hv_sd_io_attach(e, &obj_ops, &o, &io), 0);
	obj_kick(&o);
	/* The first dispatch reopens and makes the new fd readable at once. */
	run_until(e, &o.dispatched, 2);
	cr_assert_eq(o.dispatched, 2, "the reopened fd must be watched");
	hv_sd_io_free(io);
	close(o.fd);
	sd_event_unref(e);
}

Test(sd, io_without_fd_is_parked_until_refresh)
{
	struct obj o = { .events = EPOLLIN, .close_at = 1 };
	struct hv_sd_io *io = NULL;
	sd_event *e = NULL;

	cr_assert_geq(sd_event_new(&e), 0);
	obj_open(&o);
	cr_assert_eq(hv_sd_io_attach(e, &obj_ops, &o, &io), 0);
	obj_kick(&o);
	run_until(e, &o.dispatched, 1);
	cr_assert_eq(o.dispatched, 1);
	cr_assert_null(hv_sd_io_get_source(io));
	/* The owner reopens outside a dispatch and tells the adapter. */
	obj_open(&o);
	obj_kick(&o);
	cr_assert_eq(hv_sd_io_refresh(io), 0);
	cr_assert_not_null(hv_sd_io_get_source(io));
	run_until(e, &o.dispatched, 2);
	cr_assert_eq(o.dispatched, 2);
	hv_sd_io_free(io);
	close(o.fd);
	sd_event_unref(e);
}

Test(sd, io_events_change_is_applied)
{
	struct obj o = { .events = EPOLLIN };
	struct hv_sd_io *io = NULL;
	sd_event *e = NULL;
	uint32_t ev = 0;

	cr_assert_geq(sd_event_new(&e), 0);
	obj_open(&o);
	cr_assert_eq(hv_sd_io_attach(e, &obj_ops, &o, &io), 0);
	o.events = EPOLLIN | EPOLLPRI;
	cr_assert_eq(hv_sd_io_refresh(io), 0);
	cr_assert_geq(sd_event_source_get_io_events(hv_sd_io_get_source(io), &ev), 0);
	cr_assert_eq(ev, EPOLLIN | EPOLLPRI);
	hv_sd_io_free(io);
	close(o.fd);
	sd_event_unref(e);
}

Test(sd, io_dispatch_error_ends_the_loop)
{
	struct obj o = { .events = EPOLLIN, .fail_at = 1 };
	struct hv_sd_io *io = NULL;
	sd_event *e = NULL;

	cr_assert_geq(sd_event_new(&e), 0);
	obj_open(&o);
	cr_assert_eq(hv_sd_io_attach(e, &obj_ops, &o, &io), 0);
	obj_kick(&o);
	cr_assert_eq(run_loop(e), -EIO);
	hv_sd_io_free(io);
	close(o.fd);
	sd_event_unref(e);
}

Test(sd, io_attach_checks_arguments)
{
	struct obj o = { .fd = -1, .events = EPOLLIN };
	struct hv_sd_io_ops no_dispatch = obj_ops;
	struct hv_sd_io *io = NULL;
	sd_event *e = NULL;

	cr_assert_geq(sd_event_new(&e), 0);
	no_dispatch.dispatch = NULL;
	cr_assert_eq(hv_sd_io_attach(e, &no_dispatch, &o, &io), -EINVAL);
	cr_assert_eq(hv_sd_io_attach(NULL, &obj_ops, &o, &io), -EINVAL);
	/* An object without an fd yet attaches parked. */
	cr_assert_eq(hv_sd_io_attach(e, &obj_ops, &o, &io), 0);
	cr_assert_null(hv_sd_io_get_source(io));
	cr_assert_null(hv_sd_io_free(io));
	cr_assert_null(hv_sd_io_free(NULL));
	sd_event_unref(e);
}
