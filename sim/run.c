/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hvsim run`.  See run.h.
 *
 * Order of setup matters: the control socket is bound before unsharing
 * (it must be reachable from the machine), the state directory is opened
 * before /var/lib is mirrored, /dev is prepared before FUSE opens
 * /dev/fuse, and the command starts only when /dev/vmbus is served.
 *
 * Shutdown: once the command exited, everything else still running in
 * the world gets SIGTERM, then SIGKILL after two seconds.  FUSE requests
 * keep being answered meanwhile (a process blocked in a FUSE read cannot
 * die until its request is answered or interrupted).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "chardev-model.h"
#include "control.h"
#include "fuse-dev.h"
#include "host.h"
#include "ns.h"
#include "run.h"
#include "uio-world.h"
#include "util.h"
#include "vss-world.h"
#include "world.h"

#define MAX_POLLFDS 256
#define DRAIN_GRACE_MS 2000
#define EXIT_SETUP_FAILED 125

struct waiter {
	struct waiter *next;
	struct hvsim_control_conn *conn;
	enum hvsim_cdev_kind kind;
	uint64_t deadline;
};

struct runtime {
	struct hvsim_world *world;
	char *state_dir;
	bool state_dir_made; /* the default one, made by us */
	char *control_path;
	struct hvsim_control *control;
	struct hvsim_cdev *cdevs[_HVSIM_CDEV_MAX];
	struct hvsim_fuse *fuse;
	struct hvsim_host *host;
	struct hvsim_uio_world *uio; /* /dev/uioN, rings (uio-world.c) */
	struct hvsim_vss_world *vss; /* a root of its own (vss-world.c), NULL: the machine's */
	struct waiter *waiters;
	int sigfd;
	int run_dirfd; /* the machine's /run, to remove /run/hvsim at the end */
	pid_t child;
	int child_status;
	bool child_done;
};

/* ---- glue between the models, FUSE and the host -------------------------------- */

static void on_host_reply(struct hvsim_cdev *c, uint64_t cookie, const uint8_t *payload, size_t len,
			  void *userdata)
{
	struct runtime *rt = userdata;

	hvsim_host_on_reply(rt->host, hvsim_cdev_kind(c), cookie, payload, len, hvsim_now_ms());
}

static void on_readable(struct hvsim_cdev *c, void *userdata)
{
	struct runtime *rt = userdata;

	hvsim_fuse_readable(rt->fuse, hvsim_cdev_kind(c));
}

/* ---- control requests ---------------------------------------------------------- */

static const char *registered_as(enum hvsim_cdev_kind k, int op)
{
	switch (k) {
	case HVSIM_CDEV_KVP:
		return op == 100 ? "REGISTER1" : op == 4 ? "REGISTER" : NULL;
	case HVSIM_CDEV_VSS:
		return op == 129 ? "REGISTER1" : op == 128 ? "REGISTER" : NULL;
	case HVSIM_CDEV_FCOPY:
		return op == 1 ? "VERSION_1" : op == 0 ? "VERSION_0" : NULL;
	case _HVSIM_CDEV_MAX:
	case _HVSIM_CDEV_INVALID:
		break;
	}
	return NULL;
}

static bool cdev_registered(const struct hvsim_cdev *c)
{
	return c && hvsim_cdev_is_open(c) && hvsim_cdev_state(c) >= HVSIM_UTIL_READY;
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static json_object *device_status(struct runtime *rt, enum hvsim_cdev_kind k)
{
	json_object *o = json_object_new_object();
	const struct hvsim_cdev *c = rt->cdevs[k];
	const struct hvsim_device *d = hvsim_world_find_cdev(rt->world, k);
	const struct hvsim_cdev_stats *st;
	struct hv_ic_version fw, srv;
	char node[64], v[32];
	const char *as;

	snprintf(node, sizeof(node), "/dev/vmbus/%s", hvsim_cdev_kind_node_name(k));
	json_object_object_add(o, "device", json_object_new_string(hvsim_cdev_kind_to_string(k)));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "present", json_object_new_boolean(c != NULL));
	if (!c) {
		const struct hvsim_device *any = NULL;

		for (size_t i = 0; i < rt->world->n_devices; i++)
			if (rt->world->devices[i]->cls && rt->world->devices[i]->cls->cdev == k)
				any = rt->world->devices[i];
		json_object_object_add(o, "why_absent",
				       json_object_new_string(any ? (any->driver ? "bound to uio_hv_generic"
										 : "bound to no driver")
								  : "not offered by the host"));
		return o;
	}
	if (d)
		json_object_object_add(o, "world_device", json_object_new_string(d->name));
	json_object_object_add(o, "open", json_object_new_boolean(hvsim_cdev_is_open(c)));
	add_u64(o, "opener_pid", (uint64_t)hvsim_fuse_opener(rt->fuse, k));
	json_object_object_add(o, "registered", json_object_new_boolean(cdev_registered(c)));
	add_u64(o, "registered_op", (uint64_t)(int64_t)hvsim_cdev_registered_op(c));
	as = registered_as(k, hvsim_cdev_registered_op(c));
	if (as)
		json_object_object_add(o, "registered_as", json_object_new_string(as));
	json_object_object_add(o, "state", json_object_new_string(hvsim_util_state_to_string(hvsim_cdev_state(c))));
	json_object_object_add(o, "waiting_on_daemon", json_object_new_boolean(hvsim_cdev_busy(c)));
	add_u64(o, "pending_message_bytes", hvsim_cdev_pending(c));
	add_u64(o, "blocked_reads", hvsim_fuse_waiting_readers(rt->fuse, k));
	add_u64(o, "polls", hvsim_fuse_polls(rt->fuse, k));
	json_object_object_add(o, "rescinded", json_object_new_boolean(!hvsim_fuse_is_offered(rt->fuse, k)));
	add_u64(o, "host_queued", hvsim_cdev_host_queued(c));
	if (hvsim_cdev_negotiated(c, &fw, &srv)) {
		snprintf(v, sizeof(v), "%u.%u", fw.major, fw.minor);
		json_object_object_add(o, "framework_version", json_object_new_string(v));
		snprintf(v, sizeof(v), "%u.%u", srv.major, srv.minor);
		json_object_object_add(o, "service_version", json_object_new_string(v));
	}
	st = hvsim_cdev_stats(c);
	add_u64(o, "opens", st->opens);
	add_u64(o, "busy_opens", st->busy_opens);
	add_u64(o, "releases", st->releases);
	add_u64(o, "registrations", st->registrations);
	add_u64(o, "host_packets", st->host_packets);
	add_u64(o, "host_replies", st->host_replies);
	add_u64(o, "host_dropped", st->host_dropped);
	add_u64(o, "negotiations", st->negotiations);
	add_u64(o, "to_daemon", st->to_daemon);
	add_u64(o, "from_daemon", st->from_daemon);
	add_u64(o, "rejected_writes", st->rejected_writes);
	add_u64(o, "short_reads", st->short_reads);
	add_u64(o, "timeouts", st->timeouts);
	add_u64(o, "reset_failures", st->reset_failures);
	add_u64(o, "send_failures", st->send_failures);
	add_u64(o, "no_daemon_failures", st->no_daemon);
	hvsim_host_describe(rt->host, k, o);
	return o;
}

static void reply_status(struct runtime *rt, struct hvsim_control_conn *conn)
{
	json_object *o = json_object_new_object(), *w = json_object_new_object(), *devs = json_object_new_array();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(w, "name", json_object_new_string(rt->world->name));
	json_object_object_add(w, "source", json_object_new_string(rt->world->source));
	add_u64(w, "cpus", rt->world->n_cpus);
	add_u64(w, "numa_nodes", rt->world->n_nodes);
	add_u64(w, "vmbus_devices", rt->world->n_devices);
	json_object_object_add(w, "state_dir", json_object_new_string(rt->state_dir));
	json_object_object_add(w, "control", json_object_new_string(rt->control_path));
	add_u64(w, "hvsim_pid", (uint64_t)getpid());
	add_u64(w, "command_pid", (uint64_t)rt->child);
	json_object_object_add(o, "world", w);
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
		json_object_array_add(devs, device_status(rt, (enum hvsim_cdev_kind)k));
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "uio", hvsim_uio_world_status(rt->uio));
	json_object_object_add(o, "vss_world", hvsim_vss_world_describe(rt->vss));
	hvsim_control_reply(conn, o);
}

/* rescind/offer of a char device (kvp, vss, fcopy); false: not one. */
static bool cdev_offer_request(struct runtime *rt, struct hvsim_control_conn *conn, const char *cmd,
			       json_object *req)
{
	bool offer = strcmp(cmd, "offer") == 0;
	const char *name = NULL;
	enum hvsim_cdev_kind k;
	char node[64];
	json_object *o, *v;
	int r;

	if (!offer && strcmp(cmd, "rescind") != 0)
		return false;
	if (json_object_object_get_ex(req, "device", &v))
		name = json_object_get_string(v);
	if (!name)
		return false;
	k = hvsim_cdev_kind_from_string(name);
	if (k < 0 || !rt->cdevs[k])
		return false; /* perhaps a uio device */
	r = hvsim_fuse_set_offered(rt->fuse, k, offer, hvsim_now_ms());
	if (r == -EALREADY) {
		hvsim_control_reply_error(conn, "%s: device '%s' is %s already", cmd, name, offer ? "offered" : "rescinded");
		return true;
	}
	if (r < 0) {
		hvsim_control_reply_error(conn, "%s of '%s' failed: %s", cmd, name, hv_strerror(r));
		return true;
	}
	snprintf(node, sizeof(node), "/dev/vmbus/%s", hvsim_cdev_kind_node_name(k));
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "device", json_object_new_string(hvsim_cdev_kind_to_string(k)));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "present", json_object_new_boolean(offer));
	hvsim_control_reply(conn, o);
	return true;
}

static void reply_registered(struct hvsim_control_conn *conn, enum hvsim_cdev_kind k, bool ok)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "device", json_object_new_string(hvsim_cdev_kind_to_string(k)));
	if (!ok)
		json_object_object_add(o, "error", json_object_new_string("timeout: no daemon registered"));
	hvsim_control_reply(conn, o);
}

static void host_done(json_object *result, void *userdata)
{
	hvsim_control_reply(userdata, result);
}

/* A FREEZE goes only into a world whose mount table is the test's own
 * (vss-world.c); true when the request was refused (and answered). */
static bool refuse_freeze(struct runtime *rt, struct hvsim_control_conn *conn, json_object *req)
{
	_cleanup_free_ char *why = NULL;
	pid_t daemon = rt->fuse ? hvsim_fuse_opener(rt->fuse, HVSIM_CDEV_VSS) : 0;

	if (!hvsim_vss_request_freezes(req) || hvsim_vss_world_check_freeze(rt->vss, daemon, &why) == 0)
		return false;
	hvsim_control_reply_error(conn, "%s", why ? why : "vss freeze: refusing");
	return true;
}

static void on_request(struct hvsim_control_conn *conn, json_object *req, int fd, void *userdata)
{
	struct runtime *rt = userdata;
	const char *cmd = NULL;
	json_object *v;

	if (json_object_object_get_ex(req, "cmd", &v))
		cmd = json_object_get_string(v);
	if (!cmd) {
		hv_safe_close(fd);
		hvsim_control_reply_error(conn, "missing cmd");
		return;
	}
	if (strcmp(cmd, "ping") == 0) {
		json_object *o = json_object_new_object();

		hv_safe_close(fd);
		json_object_object_add(o, "ok", json_object_new_boolean(true));
		hvsim_control_reply(conn, o);
		return;
	}
	if (strcmp(cmd, "status") == 0) {
		hv_safe_close(fd);
		reply_status(rt, conn);
		return;
	}
	if (strcmp(cmd, "wait-registered") == 0) {
		const char *dev = NULL;
		enum hvsim_cdev_kind k;
		int64_t timeout = 30000;
		struct waiter *w;

		hv_safe_close(fd);
		if (json_object_object_get_ex(req, "device", &v))
			dev = json_object_get_string(v);
		if (json_object_object_get_ex(req, "timeout_ms", &v))
			timeout = json_object_get_int64(v);
		k = dev ? hvsim_cdev_kind_from_string(dev) : -EINVAL;
		if (k < 0) {
			hvsim_control_reply_error(conn, "unknown device '%s' (kvp, vss, fcopy)", dev ? dev : "");
			return;
		}
		if (!rt->cdevs[k] && hvsim_uio_world_wait(rt->uio, conn, k, timeout))
			return;
		if (!rt->cdevs[k]) {
			hvsim_control_reply_error(conn, "this world has no %s char device", dev);
			return;
		}
		if (cdev_registered(rt->cdevs[k])) {
			reply_registered(conn, k, true);
			return;
		}
		w = calloc(1, sizeof(*w));
		if (!w) {
			hvsim_control_reply_error(conn, "out of memory");
			return;
		}
		w->conn = conn;
		w->kind = k;
		w->deadline = timeout > 0 ? hvsim_now_ms() + (uint64_t)timeout : UINT64_MAX;
		w->next = rt->waiters;
		rt->waiters = w;
		return;
	}
	if (strcmp(cmd, "vss") == 0 && refuse_freeze(rt, conn, req)) {
		hv_safe_close(fd);
		return;
	}
	if (strcmp(cmd, "fs") == 0) {
		json_object *o = hvsim_vss_world_describe(rt->vss);

		hv_safe_close(fd);
		json_object_object_add(o, "ok", json_object_new_boolean(true));
		hvsim_control_reply(conn, o);
		return;
	}
	if (strcmp(cmd, "kvp") == 0 || strcmp(cmd, "vss") == 0 || strcmp(cmd, "fcopy") == 0) {
		_cleanup_free_ char *error = NULL;

		if (hvsim_host_submit(rt->host, req, fd, hvsim_now_ms(), host_done, conn, &error) < 0)
			hvsim_control_reply_error(conn, "%s", error ? error : "invalid request");
		return;
	}
	hv_safe_close(fd);
	if (cdev_offer_request(rt, conn, cmd, req))
		return;
	if (hvsim_uio_world_request(rt->uio, conn, cmd, req))
		return;
	hvsim_control_reply_error(conn, "unknown cmd '%s'", cmd);
}

static void on_closed(struct hvsim_control_conn *conn, void *userdata)
{
	struct runtime *rt = userdata;

	hvsim_host_forget_owner(rt->host, conn);
	hvsim_uio_world_forget(rt->uio, conn);
	for (struct waiter **pp = &rt->waiters; *pp;) {
		struct waiter *w = *pp;

		if (w->conn == conn) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static void check_waiters(struct runtime *rt, uint64_t now)
{
	for (struct waiter **pp = &rt->waiters; *pp;) {
		struct waiter *w = *pp;
		bool ok = cdev_registered(rt->cdevs[w->kind]);

		if (ok || now >= w->deadline) {
			*pp = w->next;
			reply_registered(w->conn, w->kind, ok);
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

/* ---- processes --------------------------------------------------------------------- */

static void child_exec(struct runtime *rt, char **argv, const sigset_t *oldmask)
{
	/* The world's processes die with hvsim rather than outlive it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(EXIT_SETUP_FAILED);
	for (int s = 1; s < NSIG; s++)
		(void)signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	setenv("HVSIM_CONTROL", rt->control_path, 1);
	setenv("HVSIM_STATE_DIR", rt->state_dir, 1);
	if (rt->vss && hvsim_vss_world_enter(rt->vss) < 0)
		_exit(EXIT_SETUP_FAILED);
	execvp(argv[0], argv);
	fprintf(stderr, "hvsim: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Direct children of ours (orphans of the world were reparented to us). */
static size_t list_children(pid_t *pids, size_t max)
{
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char path[300], buf[512], *p;
		ssize_t len;
		int fd;
		long ppid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
			continue;
		if (ppid == self)
			pids[n++] = (pid_t)atol(de->d_name);
	}
	closedir(d);
	return n;
}

static void signal_children(int sig)
{
	pid_t pids[256];
	size_t n = list_children(pids, ELEMENTSOF(pids));

	for (size_t i = 0; i < n; i++)
		(void)kill(pids[i], sig);
}

static void reap(struct runtime *rt)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		if (pid == rt->child) {
			rt->child_status = status;
			rt->child_done = true;
		}
	}
}

/* ---- setup ------------------------------------------------------------------------------ */

static int prepare_state_dir(struct runtime *rt, const char *path, bool debug)
{
	if (path) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return hv_log_err_errno(-errno, "state directory %s: %m", path);
		rt->state_dir = realpath(path, NULL);
		if (!rt->state_dir)
			return hv_log_err_errno(-errno, "state directory %s: %m", path);
	} else {
		const char *tmp = getenv("TMPDIR");
		char tmpl[PATH_MAX];

		snprintf(tmpl, sizeof(tmpl), "%s/hvsim-state.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl))
			return hv_log_err_errno(-errno, "creating a state directory in %s: %m", tmpl);
		(void)chmod(tmpl, 0755);
		rt->state_dir_made = true;
		rt->state_dir = strdup(tmpl);
		if (!rt->state_dir)
			return -ENOMEM;
	}
	if (debug)
		fprintf(stderr, "hvsim: state directory (/var/lib/hyperv in the world): %s\n", rt->state_dir);
	return 0;
}

static int prepare_control(struct runtime *rt, const char *path)
{
	static const struct hvsim_control_ops ops = { .request = on_request, .closed = on_closed };
	char buf[PATH_MAX];

	if (!path) {
		if (mkdir("/run/hvsim", 0755) < 0 && errno != EEXIST)
			return hv_log_err_errno(-errno, "mkdir /run/hvsim: %m");
		/* In the world /run/hvsim may become a mount point (when /run
		 * is mirrored), where rmdir fails: remove it through the
		 * machine's /run instead. */
		rt->run_dirfd = open("/run", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(buf, sizeof(buf), "/run/hvsim/%d.sock", (int)getpid());
		path = buf;
	}
	if (path[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);

		if (!cwd)
			return -errno;
		if (asprintf(&rt->control_path, "%s/%s", cwd, path) < 0)
			return -ENOMEM;
	} else {
		rt->control_path = strdup(path);
		if (!rt->control_path)
			return -ENOMEM;
	}
	return hvsim_control_new(rt->control_path, &ops, rt, &rt->control);
}

/* A world on the machine's root: /dev, /sys, /var/lib/hyperv and
 * /run/hvutils of its own in hvsim's namespace. */
static int setup_shared_root(struct runtime *rt)
{
	int r;

	r = hvsim_ns_setup_dev();
	if (r < 0)
		return r;
	r = hvsim_ns_setup_sys(rt->world);
	if (r < 0)
		return r;
	r = hvsim_ns_setup_state(rt->state_dir);
	if (r < 0)
		return r;
	return hvsim_ns_setup_run();
}

static int setup_world(struct runtime *rt)
{
	static const struct hvsim_cdev_callbacks cb = { .host_reply = on_host_reply, .readable = on_readable };
	const char *vmbus_dir = "/dev/vmbus";
	int r;

	r = hvsim_ns_enter();
	if (r < 0)
		return r;
	if (rt->vss)
		r = hvsim_vss_world_build(rt->vss, rt->world, &vmbus_dir);
	else
		r = setup_shared_root(rt);
	if (r < 0)
		return r;

	for (int k = 0; k < _HVSIM_CDEV_MAX; k++) {
		if (!hvsim_world_find_cdev(rt->world, (enum hvsim_cdev_kind)k))
			continue;
		rt->cdevs[k] = hvsim_cdev_new((enum hvsim_cdev_kind)k, &rt->world->kernel, &cb, rt);
		if (!rt->cdevs[k])
			return -ENOMEM;
	}
	rt->host = hvsim_host_new(rt->cdevs);
	if (!rt->host)
		return -ENOMEM;
	r = hvsim_fuse_new(vmbus_dir, rt->cdevs, hvsim_now_ms() + rt->world->kernel.cdev_delay_ms, &rt->fuse);
	if (r < 0)
		return hv_log_err_errno(r, "serving /dev/vmbus through FUSE failed");
	r = hvsim_uio_world_new(rt->world, rt->host, vmbus_dir, &rt->uio);
	if (r < 0)
		return hv_log_err_errno(r, "serving the uio devices failed: %m");
	hvsim_host_start(rt->host, hvsim_now_ms());
	return 0;
}

/* ---- the loop ------------------------------------------------------------------------------ */

static uint64_t next_deadline(const struct runtime *rt)
{
	uint64_t d = hvsim_host_next_deadline(rt->host);

	for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
		if (rt->cdevs[k] && hvsim_cdev_next_deadline(rt->cdevs[k]) < d)
			d = hvsim_cdev_next_deadline(rt->cdevs[k]);
	for (const struct waiter *w = rt->waiters; w; w = w->next)
		if (w->deadline < d)
			d = w->deadline;
	if (hvsim_uio_world_next_deadline(rt->uio) < d)
		d = hvsim_uio_world_next_deadline(rt->uio);
	return d;
}

static void handle_signals(struct runtime *rt)
{
	struct signalfd_siginfo si;

	while (read(rt->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(rt);
			continue;
		}
		/* Forwarded to the command, as a shell would. */
		if (!rt->child_done && rt->child > 0)
			(void)kill(rt->child, (int)si.ssi_signo);
	}
}

static int loop(struct runtime *rt)
{
	enum { RUNNING, DRAIN_TERM, DRAIN_KILL } phase = RUNNING;
	uint64_t drain_deadline = 0;

	for (;;) {
		struct pollfd pfds[MAX_POLLFDS];
		size_t n = 0, n_ctl, n_uio;
		uint64_t now = hvsim_now_ms(), d;
		int timeout;

		if (rt->child_done && phase == RUNNING) {
			pid_t pids[1];

			/* Nothing may be left blocked on a frozen file system. */
			hvsim_vss_world_thaw_all(rt->vss);

			if (list_children(pids, 1) == 0)
				return 0;
			signal_children(SIGTERM);
			phase = DRAIN_TERM;
			drain_deadline = now + DRAIN_GRACE_MS;
		}
		if (phase != RUNNING) {
			pid_t pids[1];

			reap(rt);
			if (list_children(pids, 1) == 0)
				return 0;
			if (now >= drain_deadline) {
				if (phase == DRAIN_KILL) {
					hv_log_warning("processes of the world did not die, leaving");
					return 0;
				}
				signal_children(SIGKILL);
				phase = DRAIN_KILL;
				drain_deadline = now + DRAIN_GRACE_MS;
			}
		}

		pfds[n++] = (struct pollfd){ .fd = rt->sigfd, .events = POLLIN };
		pfds[n++] = (struct pollfd){ .fd = rt->fuse ? hvsim_fuse_fd(rt->fuse) : -1, .events = POLLIN };
		n_ctl = hvsim_control_pollfds(rt->control, pfds + n, MAX_POLLFDS - n);
		n_uio = hvsim_uio_world_pollfds(rt->uio, pfds + n + n_ctl, MAX_POLLFDS - n - n_ctl);
		d = next_deadline(rt);
		timeout = hvsim_poll_timeout(now, d, phase == RUNNING ? 60000 : 100);
		if (poll(pfds, n + n_ctl + n_uio, timeout) < 0 && errno != EINTR)
			return hv_log_err_errno(-errno, "poll: %m");

		if (pfds[0].revents & POLLIN)
			handle_signals(rt);
		if (rt->fuse && (pfds[1].revents & (POLLIN | POLLERR | POLLHUP))) {
			if (hvsim_fuse_dispatch(rt->fuse) == -ENODEV) {
				hv_log_warning("/dev/vmbus was unmounted; the char devices are gone");
				rt->fuse = hvsim_fuse_free(rt->fuse);
			}
		}
		hvsim_uio_world_dispatch(rt->uio, pfds + n + n_ctl, n_uio);
		hvsim_control_dispatch(rt->control, pfds + n, n_ctl);
		now = hvsim_now_ms();
		for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
			if (rt->cdevs[k])
				hvsim_cdev_tick(rt->cdevs[k], now);
		hvsim_host_tick(rt->host, now);
		hvsim_uio_world_tick(rt->uio, now);
		check_waiters(rt, now);
	}
}

/* A world with a root of its own: its devices and file systems are made
 * now, on the machine, before hvsim leaves the machine's namespace. */
static int prepare_vss(struct runtime *rt, const struct hvsim_run_options *o)
{
	if (!hvsim_vss_world_wanted(rt->world)) {
		if (o->n_install > 0)
			return hv_log_err_errno(-EINVAL, "--install needs a world with a root of its own "
							 "([root] own = yes, hvsim(1) VSS WORLDS)");
		return 0;
	}
	return hvsim_vss_world_create(rt->world, rt->state_dir, o->argv, o->install, o->n_install, &rt->vss);
}

int hvsim_run(const struct hvsim_run_options *o)
{
	struct runtime rt = { .sigfd = -EBADF, .run_dirfd = -EBADF, .child = -1 };
	sigset_t mask, oldmask;
	int r, ret = EXIT_SETUP_FAILED;

	if (geteuid() != 0) {
		hv_log_err("hvsim run needs root (it unshares a mount namespace and mounts FUSE)");
		return EXIT_SETUP_FAILED;
	}
	if (o->world_path) {
		_cleanup_free_ char *error = NULL;

		r = hvsim_world_load(o->world_path, &rt.world, &error);
		if (r < 0) {
			hv_log_err("%s", error ? error : hv_strerror(r));
			return EXIT_SETUP_FAILED;
		}
	} else if (hvsim_world_new_default(&rt.world) < 0) {
		return EXIT_SETUP_FAILED;
	}
	if (prepare_state_dir(&rt, o->state_dir, o->debug) < 0)
		goto out;
	if (prepare_control(&rt, o->control_path) < 0)
		goto out;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	rt.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (rt.sigfd < 0) {
		hv_log_err_errno(-errno, "signalfd: %m");
		goto out;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		hv_log_warning("cannot become a child subreaper (%m): orphans of the world may survive it");

	if (prepare_vss(&rt, o) < 0)
		goto out;
	if (setup_world(&rt) < 0)
		goto out;
	hv_log_debug("world '%s' ready: control %s", rt.world->name, rt.control_path);

	rt.child = fork();
	if (rt.child < 0) {
		hv_log_err_errno(-errno, "fork: %m");
		goto out;
	}
	if (rt.child == 0)
		child_exec(&rt, o->argv, &oldmask);
	if (rt.vss)
		(void)hvsim_vss_world_started(rt.vss, rt.child);

	if (loop(&rt) < 0 && !rt.child_done)
		goto out;
	if (rt.child_done) {
		if (WIFEXITED(rt.child_status))
			ret = WEXITSTATUS(rt.child_status);
		else if (WIFSIGNALED(rt.child_status))
			ret = 128 + WTERMSIG(rt.child_status);
	}
out:
	if (rt.child > 0 && !rt.child_done) {
		(void)kill(rt.child, SIGKILL);
		(void)waitpid(rt.child, NULL, 0);
	}
	/* Clients still waiting get an answer rather than a reset. */
	if (rt.host)
		hvsim_host_abort(rt.host, "the world ended before the guest answered");
	while (rt.waiters) {
		struct waiter *w = rt.waiters;

		rt.waiters = w->next;
		hvsim_control_reply_error(w->conn, "the world ended before a daemon registered");
		free(w);
	}
	hvsim_uio_world_free(rt.uio);
	hvsim_control_free(rt.control);
	hvsim_fuse_free(rt.fuse);
	hvsim_host_free(rt.host);
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
		hvsim_cdev_free(rt.cdevs[k]);
	/* Back in the machine's namespace after this. */
	rt.vss = hvsim_vss_world_free(rt.vss);
	if (rt.run_dirfd >= 0)
		(void)unlinkat(rt.run_dirfd, "hvsim", AT_REMOVEDIR); /* fails while other worlds use it */
	hv_safe_close(rt.run_dirfd);
	/* A default state directory nobody wrote to has nothing to show. */
	if (rt.state_dir_made && !o->debug)
		(void)rmdir(rt.state_dir);
	if (o->debug && rt.state_dir)
		fprintf(stderr, "hvsim: state directory kept: %s\n", rt.state_dir);
	hv_safe_close(rt.sigfd);
	free(rt.state_dir);
	free(rt.control_path);
	hvsim_world_free(rt.world);
	return ret;
}
