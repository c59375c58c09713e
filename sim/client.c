/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hvsim host`.  See client.h and man hvsim(1).
 *
 * The control socket is --control, else $HVSIM_CONTROL (set inside a
 * world), else the only socket in /run/hvsim.  One request per run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "client-uio.h"
#include "client-vss.h"
#include "client.h"
#include "control.h"
#include "proto/hv-status.h"
#include "proto/kvp.h"
#include "util.h"

struct args {
	const char *control;
	bool json;
	double timeout; /* seconds, < 0 unset */
	int pool;       /* -1 unset */
	const char *type;
	int64_t index;  /* -1 unset */
	int64_t size;   /* -1 unset */
	int64_t offset; /* -1 unset */
	int64_t flags;  /* -1 unset */
	bool overwrite, create_path, dhcp;
	const char *adapter_id, *ip, *subnet, *gateway, *dns;
	int64_t family; /* -1 unset */
	int64_t keys;   /* -1 unset */
	int64_t count;  /* -1 unset */
	double seconds; /* < 0 unset */
	bool no_prepare;
	int64_t cancel_after; /* -1 unset */
	int64_t hold_ms;      /* -1 unset */
	const char *hold_file;
	char **pos;
	int n_pos;
};

int hvsim_client_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("hvsim host: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see hvsim host --help)\n", stderr);
	return HVSIM_EXIT_USAGE;
}

static void help(void)
{
	fputs("Usage: hvsim host [--control SOCKET] [--json] [--timeout SECONDS] COMMAND ...\n"
	      "\n"
	      "  status                                  devices, registration, counters\n"
	      "  wait-registered kvp|vss|fcopy           wait until a daemon registered\n"
	      "  kvp set [--pool N] [--type sz|u32|u64] KEY VALUE\n"
	      "  kvp get [--pool N] KEY\n"
	      "  kvp delete [--pool N] KEY\n"
	      "  kvp enumerate [--pool N] [--index I]    whole pool, or one index\n"
	      "  kvp get-ip-info --mac MAC [--family ipv4|ipv6|N]\n"
	      "  kvp set-ip-info --adapter-id ID [--ip LIST] [--subnet LIST] [--gateway LIST]\n"
	      "      [--dns LIST] [--dhcp] [--family N]\n"
	      "  kvp bench set|update|get|enumerate|get-ip-info [--pool N] [--keys K]\n"
	      "      [--count N] [--seconds S] [--no-prepare] [--mac MAC]   timed requests\n"
	      "  vss freeze|thaw|hot-backup|get-dm-info|create|delete|bu-complete|auto-recover\n"
	      "      [--size BYTES]                      the answer and its time from send to reply\n"
	      "  vss backup [--hold MS] [--hold-until-file PATH]   HOT_BACKUP, FREEZE, hold, THAW,\n"
	      "      BU_COMPLETE as a host does\n"
	      "  fs                                      test file systems of a root of its own\n"
	      "  vss raw CODE\n"
	      "  fcopy copy [--overwrite] [--create-path] [--flags N] [--size N] FILE DIR [NAME]\n"
	      "  fcopy start [--flags N] [--size N] DIR NAME\n"
	      "  fcopy write --offset N DATA\n"
	      "  fcopy complete | fcopy cancel\n"
	      "  fcopy send [--overwrite] [--create-path] [--cancel-after N] LOCALFILE GUESTPATH\n"
	      "                                          a whole copy, every answer and the rate\n"
	      "  rescind DEVICE | offer DEVICE           a device (uio or char) goes away / comes back\n"
	      "  raw kvp|vss|fcopy HEX                   any IC payload; prints the answer in hex\n"
	      "  ping\n",
	      stdout);
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_POOL = 256, OPT_TYPE, OPT_INDEX, OPT_SIZE, OPT_OFFSET, OPT_FLAGS, OPT_FORCE, OPT_OVERWRITE,
	       OPT_CREATE_PATH, OPT_TIMEOUT, OPT_ADAPTER, OPT_FAMILY, OPT_IP, OPT_SUBNET, OPT_GATEWAY, OPT_DNS,
	       OPT_DHCP, OPT_KEYS, OPT_COUNT, OPT_SECONDS, OPT_NO_PREPARE, OPT_CANCEL_AFTER,
	       OPT_HOLD, OPT_HOLD_FILE };
	static const struct option options[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "pool", required_argument, NULL, OPT_POOL },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "index", required_argument, NULL, OPT_INDEX },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "flags", required_argument, NULL, OPT_FLAGS },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "hold-until-file", required_argument, NULL, OPT_HOLD_FILE },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "create-path", no_argument, NULL, OPT_CREATE_PATH },
		{ "mac", required_argument, NULL, OPT_ADAPTER },
		{ "adapter-id", required_argument, NULL, OPT_ADAPTER },
		{ "family", required_argument, NULL, OPT_FAMILY },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "gateway", required_argument, NULL, OPT_GATEWAY },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ "dhcp", no_argument, NULL, OPT_DHCP },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "no-prepare", no_argument, NULL, OPT_NO_PREPARE },
		{ "cancel-after", required_argument, NULL, OPT_CANCEL_AFTER },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;
	int64_t v;

	*a = (struct args){ .timeout = -1, .pool = -1, .index = -1, .size = -1, .offset = -1, .flags = -1,
			    .family = -1, .keys = -1, .count = -1, .seconds = -1, .cancel_after = -1,
			    .hold_ms = -1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jh", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			a->control = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case OPT_TIMEOUT: {
			char *end;

			a->timeout = strtod(optarg, &end);
			if (*end || end == optarg || !(a->timeout >= 0) || a->timeout > 1e6)
				return hvsim_client_usage("--timeout: '%s' is not a number of seconds", optarg);
			break;
		}
		case OPT_POOL:
			if (parse_int(optarg, 0, 255, &v) == 0)
				a->pool = (int)v;
			else if (hv_kvp_pool_from_string(optarg) >= 0)
				a->pool = hv_kvp_pool_from_string(optarg);
			else
				return hvsim_client_usage("--pool: '%s' is not 0-255 or a pool name", optarg);
			break;
		case OPT_TYPE:
			a->type = optarg;
			break;
		case OPT_INDEX:
			if (parse_int(optarg, 0, UINT32_MAX, &a->index) < 0)
				return hvsim_client_usage("--index: '%s' is not 0-4294967295", optarg);
			break;
		case OPT_SIZE:
			if (parse_int(optarg, 0, INT64_MAX, &a->size) < 0)
				return hvsim_client_usage("--size: '%s' is not a size", optarg);
			break;
		case OPT_OFFSET:
			if (parse_int(optarg, 0, INT64_MAX, &a->offset) < 0)
				return hvsim_client_usage("--offset: '%s' is not an offset", optarg);
			break;
		case OPT_FLAGS:
			if (parse_int(optarg, 0, UINT32_MAX, &a->flags) < 0)
				return hvsim_client_usage("--flags: '%s' is not a number", optarg);
			break;
		case OPT_FORCE:
			/* Gone: a FREEZE goes only into a world whose mount
			 * table hvsim has checked (vss-world.h). */
			return hvsim_client_usage("--force is no more: vss freeze needs a world with a root of its own "
					   "([root] own = yes, hvsim(1) VSS WORLDS)");
		case OPT_HOLD:
			if (parse_int(optarg, 0, 3600 * 1000, &a->hold_ms) < 0)
				return hvsim_client_usage("--hold: '%s' is not 0-3600000 milliseconds", optarg);
			break;
		case OPT_HOLD_FILE:
			if (optarg[0] != '/')
				return hvsim_client_usage("--hold-until-file: '%s' is not an absolute path", optarg);
			a->hold_file = optarg;
			break;
		case OPT_OVERWRITE:
			a->overwrite = true;
			break;
		case OPT_CREATE_PATH:
			a->create_path = true;
			break;
		case OPT_ADAPTER:
			a->adapter_id = optarg;
			break;
		case OPT_FAMILY:
			if (strcmp(optarg, "ipv4") == 0)
				a->family = 1;
			else if (strcmp(optarg, "ipv6") == 0)
				a->family = 2;
			else if (parse_int(optarg, 0, 255, &a->family) < 0)
				return hvsim_client_usage("--family: '%s' is not ipv4, ipv6 or 0-255", optarg);
			break;
		case OPT_IP:
			a->ip = optarg;
			break;
		case OPT_SUBNET:
			a->subnet = optarg;
			break;
		case OPT_GATEWAY:
			a->gateway = optarg;
			break;
		case OPT_DNS:
			a->dns = optarg;
			break;
		case OPT_DHCP:
			a->dhcp = true;
			break;
		case OPT_KEYS:
			if (parse_int(optarg, 0, 10000000, &a->keys) < 0)
				return hvsim_client_usage("--keys: '%s' is not 0-10000000", optarg);
			break;
		case OPT_COUNT:
			if (parse_int(optarg, 0, 10000000, &a->count) < 0)
				return hvsim_client_usage("--count: '%s' is not 0-10000000", optarg);
			break;
		case OPT_SECONDS: {
			char *end;

			a->seconds = strtod(optarg, &end);
			if (*end || end == optarg || !(a->seconds >= 0) || a->seconds > 86400)
				return hvsim_client_usage("--seconds: '%s' is not a number of seconds", optarg);
			break;
		}
		case OPT_NO_PREPARE:
			a->no_prepare = true;
			break;
		case OPT_CANCEL_AFTER:
			if (parse_int(optarg, 0, INT32_MAX, &a->cancel_after) < 0)
				return hvsim_client_usage("--cancel-after: '%s' is not a number of WRITE fragments",
							  optarg);
			break;
		case 'h':
			help();
			return 1;
		default:
			return HVSIM_EXIT_USAGE;
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return 0;
}

/* ---- connection ------------------------------------------------------------- */

static int find_socket(char *buf, size_t size)
{
	DIR *d = opendir("/run/hvsim");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".sock") == 0) {
			if (n++ == 0)
				snprintf(buf, size, "/run/hvsim/%s", de->d_name);
		}
	}
	closedir(d);
	return n;
}

static int connect_control(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int send_request(int sock, json_object *req, int pass_fd)
{
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text), off = 0;
	_cleanup_free_ char *line = malloc(len + 2);

	if (!line)
		return -ENOMEM;
	memcpy(line, text, len);
	line[len++] = '\n';
	while (off < len) {
		char cbuf[CMSG_SPACE(sizeof(int))] = {};
		struct iovec iov = { .iov_base = line + off, .iov_len = len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (pass_fd >= 0 && off == 0) {
			struct cmsghdr *cm;

			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
		}
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Reads one reply line; timeout_ms < 0 waits forever. */
static int read_reply(int sock, int timeout_ms, json_object **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : hvsim_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		char *nl;
		ssize_t n;
		int r;

		if (size - len < 4096) {
			char *q = realloc(buf, size ? size * 2 : 65536);

			if (!q)
				return -ENOMEM;
			buf = q;
			size = size ? size * 2 : 65536;
		}
		r = poll(&p, 1, hvsim_poll_timeout(hvsim_now_ms(), deadline, -1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(sock, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			*ret = json_tokener_parse(buf);
			return *ret ? 0 : -EBADMSG;
		}
	}
}

/* ---- printing ------------------------------------------------------------------ */

const char *hvsim_client_str(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

const char *hvsim_client_txt(json_object *o, const char *k)
{
	const char *s = hvsim_client_str(o, k);

	return s ? s : "-";
}

int64_t hvsim_client_num(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return -1;
	return json_object_get_int64(v);
}

double hvsim_client_dbl(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return -1;
	return json_object_get_double(v);
}

bool hvsim_client_flag(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

bool hvsim_client_status_ok(json_object *reply)
{
	return hvsim_client_num(reply, "status_code") == 0 && hvsim_client_str(reply, "status");
}

static void print_status(json_object *reply)
{
	json_object *w = NULL, *devs = NULL;

	json_object_object_get_ex(reply, "world", &w);
	json_object_object_get_ex(reply, "devices", &devs);
	printf("world: %s (%s): %" PRId64 " CPUs, %" PRId64 " NUMA node(s), %" PRId64 " VMBus devices\n",
	       hvsim_client_txt(w, "name"), hvsim_client_txt(w, "source"), hvsim_client_num(w, "cpus"),
	       hvsim_client_num(w, "numa_nodes"), hvsim_client_num(w, "vmbus_devices"));
	printf("state directory: %s\n", hvsim_client_txt(w, "state_dir"));
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);

		if (!hvsim_client_flag(d, "present")) {
			printf("%-6s %-19s absent (%s)\n", hvsim_client_txt(d, "device"), hvsim_client_txt(d, "node"),
			       hvsim_client_txt(d, "why_absent"));
			continue;
		}
		printf("%-6s %-19s ", hvsim_client_txt(d, "device"), hvsim_client_txt(d, "node"));
		if (hvsim_client_flag(d, "open"))
			printf("open (pid %" PRId64 "), ", hvsim_client_num(d, "opener_pid"));
		else
			printf("closed, ");
		if (hvsim_client_flag(d, "registered"))
			printf("registered (%s), ", hvsim_client_txt(d, "registered_as") ?: "?");
		else if (hvsim_client_str(d, "registered_as"))
			printf("handshake %s in progress, ", hvsim_client_txt(d, "registered_as"));
		else
			printf("not registered, ");
		printf("state %s\n", hvsim_client_txt(d, "state"));
		printf("       negotiation %s", hvsim_client_txt(d, "negotiation"));
		if (hvsim_client_str(d, "service_version"))
			printf(" (framework %s, service %s)", hvsim_client_txt(d, "framework_version"),
			       hvsim_client_txt(d, "service_version"));
		printf("; host requests %" PRId64 ", answers %" PRId64 "; daemon read %" PRId64 ", wrote %" PRId64 "\n",
		       hvsim_client_num(d, "host_requests"), hvsim_client_num(d, "host_answers"),
		       hvsim_client_num(d, "to_daemon"), hvsim_client_num(d, "from_daemon"));
		printf("       timeouts %" PRId64 ", failed by close %" PRId64 ", busy opens %" PRId64
		       ", rejected writes %" PRId64 ", short reads %" PRId64 "\n",
		       hvsim_client_num(d, "timeouts"), hvsim_client_num(d, "reset_failures"),
		       hvsim_client_num(d, "busy_opens"), hvsim_client_num(d, "rejected_writes"),
		       hvsim_client_num(d, "short_reads"));
	}
	hvsim_client_print_uio_status(reply);
	hvsim_client_print_vss_status(reply);
}

/* Prints a host operation's answer; returns the exit status. */
static int print_answer(const char *cmd, const char *op, json_object *reply)
{
	const char *status = hvsim_client_str(reply, "status");

	if (strcmp(cmd, "raw") == 0) {
		printf("%s\n%s\n", status ? status : "-", hvsim_client_txt(reply, "hex"));
		return hvsim_client_status_ok(reply) ? 0 : HVSIM_EXIT_FAILURE_STATUS;
	}
	if (strcmp(cmd, "vss") == 0)
		return hvsim_client_print_vss(reply);
	if (strcmp(cmd, "kvp") == 0 && strcmp(op, "enumerate") == 0 &&
	    json_object_object_get_ex(reply, "items", NULL)) {
		json_object *items = NULL;

		json_object_object_get_ex(reply, "items", &items);
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *it = json_object_array_get_idx(items, i);

			printf("%s=%s\n", hvsim_client_str(it, "key"), hvsim_client_str(it, "value"));
		}
		if ((uint32_t)hvsim_client_num(reply, "status_code") == HV_S_CONT)
			return 0;
		fprintf(stderr, "hvsim host: enumeration stopped at index %" PRId64 ": %s\n",
			hvsim_client_num(reply, "end_index"), status);
		return HVSIM_EXIT_FAILURE_STATUS;
	}
	printf("%s\n", status);
	if (!hvsim_client_status_ok(reply)) {
		if (strcmp(cmd, "fcopy") == 0 && hvsim_client_str(reply, "stage"))
			fprintf(stderr, "hvsim host: file copy failed at %s after %" PRId64 " bytes\n",
				hvsim_client_str(reply, "stage"), hvsim_client_num(reply, "bytes"));
		return HVSIM_EXIT_FAILURE_STATUS;
	}
	if (strcmp(cmd, "kvp") == 0 && (strcmp(op, "get") == 0 || strcmp(op, "enumerate") == 0))
		printf("%s=%s\n", hvsim_client_str(reply, "key"), hvsim_client_str(reply, "value"));
	if (strcmp(cmd, "kvp") == 0 && strcmp(op, "get-ip-info") == 0) {
		static const char *const fields[] = { "adapter_id", "addr_family", "dhcp_enabled", "ip_addr",
						      "sub_net", "gate_way", "dns_addr" };

		for (size_t i = 0; i < ELEMENTSOF(fields); i++)
			printf("%s=%s\n", fields[i], hvsim_client_txt(reply, fields[i]));
	}
	return 0;
}

static bool is_fcopy_send(const struct args *a)
{
	return a->n_pos >= 2 && strcmp(a->pos[0], "fcopy") == 0 && strcmp(a->pos[1], "send") == 0;
}

static bool is_bench(const struct args *a)
{
	return a->n_pos >= 2 && strcmp(a->pos[0], "kvp") == 0 && strcmp(a->pos[1], "bench") == 0;
}

/* A benchmark is good only if the guest did every request it was sent. */
static int bench_exit(json_object *reply)
{
	bool all_done = hvsim_client_num(reply, "failures") == 0 && hvsim_client_num(reply, "prepare_failures") <= 0 &&
			hvsim_client_num(reply, "undo_failures") <= 0;

	return all_done ? 0 : HVSIM_EXIT_FAILURE_STATUS;
}

static void print_bench(json_object *reply)
{
	json_object *lat = NULL, *ans = NULL;

	printf("kvp bench %s: pool %" PRId64 ", %" PRId64 " keys", hvsim_client_txt(reply, "bench"),
	       hvsim_client_num(reply, "pool"), hvsim_client_num(reply, "keys"));
	if (hvsim_client_flag(reply, "prepared"))
		printf(" (set in %.3f s, %" PRId64 " failed)", hvsim_client_dbl(reply, "prepare_s"),
		       hvsim_client_num(reply, "prepare_failures"));
	printf("\n%" PRId64 " requests, %" PRId64 " failed", hvsim_client_num(reply, "ops"),
	       hvsim_client_num(reply, "failures"));
	if (hvsim_client_num(reply, "failures") > 0)
		printf(" (first: %s)", hvsim_client_txt(reply, "status"));
	if (hvsim_client_num(reply, "undo_failures") > 0)
		printf(", %" PRId64 " undoing DELETEs failed", hvsim_client_num(reply, "undo_failures"));
	printf("; %.3f s busy (%.3f s wall): %.1f ops/s\n", hvsim_client_dbl(reply, "elapsed_s"),
	       hvsim_client_dbl(reply, "wall_s"), hvsim_client_dbl(reply, "ops_per_s"));
	if (strcmp(hvsim_client_txt(reply, "bench"), "enumerate") == 0)
		printf("%" PRId64 " records, %" PRId64 " whole walks: %.1f records/s, %.3f walks/s\n",
		       hvsim_client_num(reply, "records"), hvsim_client_num(reply, "walks"),
		       hvsim_client_dbl(reply, "records_per_s"), hvsim_client_dbl(reply, "walks_per_s"));
	if (json_object_object_get_ex(reply, "answer", &ans))
		printf("last answer: ip_addr=%s sub_net=%s gate_way=%s dns_addr=%s dhcp_enabled=%" PRId64 "\n",
		       hvsim_client_txt(ans, "ip_addr"), hvsim_client_txt(ans, "sub_net"),
		       hvsim_client_txt(ans, "gate_way"), hvsim_client_txt(ans, "dns_addr"),
		       hvsim_client_num(ans, "dhcp_enabled"));
	if (json_object_object_get_ex(reply, "latency_us", &lat))
		printf("latency (us): p50 %.1f, p90 %.1f, p99 %.1f, max %.1f, mean %.1f\n",
		       hvsim_client_dbl(lat, "p50"), hvsim_client_dbl(lat, "p90"), hvsim_client_dbl(lat, "p99"),
		       hvsim_client_dbl(lat, "max"), hvsim_client_dbl(lat, "mean"));
	else
		printf("latency: no successful request\n");
}

/* ---- building requests ------------------------------------------------------------ */

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void put_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* vss backup's options (and no hold options for anything else). */
static int build_vss_backup(const struct args *a, const char *op, json_object *req)
{
	if (strcmp(op, "backup") != 0)
		return a->hold_ms >= 0 || a->hold_file
			       ? hvsim_client_usage("--hold and --hold-until-file are for vss backup")
			       : 0;
	if (a->hold_ms >= 0)
		put_int(req, "hold_ms", a->hold_ms);
	if (a->hold_file)
		put_str(req, "hold_until_file", a->hold_file);
	/* A backup has no deadline of its own unless asked for: each step is
	 * bounded by the kernel's timeouts, and the THAW must go out. */
	if (a->timeout < 0)
		put_int(req, "timeout_ms", 0);
	return 0;
}

static int build_request(const struct args *a, json_object *req, int *pass_fd)
{
	const char *cmd = a->pos[0];
	const char *op = a->n_pos > 1 ? a->pos[1] : NULL;

	put_int(req, "v", HVSIM_CONTROL_VERSION);
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "ping") == 0 || strcmp(cmd, "fs") == 0) {
		put_str(req, "cmd", cmd);
		return a->n_pos == 1 ? 0 : hvsim_client_usage("%s takes no arguments", cmd);
	}
	if (strcmp(cmd, "wait-registered") == 0) {
		if (a->n_pos != 2)
			return hvsim_client_usage("wait-registered needs a device: kvp, vss or fcopy");
		put_str(req, "cmd", cmd);
		put_str(req, "device", a->pos[1]);
		put_int(req, "timeout_ms", a->timeout >= 0 ? (int64_t)(a->timeout * 1000) : 30000);
		return 0;
	}
	if (strcmp(cmd, "raw") == 0) {
		if (a->n_pos != 3)
			return hvsim_client_usage("raw needs a device (kvp, vss, fcopy) and hex bytes");
		put_str(req, "cmd", a->pos[1]);
		put_str(req, "op", "raw");
		put_str(req, "hex", a->pos[2]);
		if (a->timeout >= 0)
			put_int(req, "timeout_ms", (int64_t)(a->timeout * 1000));
		return 0;
	}
	if (strcmp(cmd, "rescind") == 0 || strcmp(cmd, "offer") == 0)
		return hvsim_client_device_request(cmd, a->pos, a->n_pos, req);
	if (!op)
		return hvsim_client_usage("%s needs an operation", cmd);
	if (a->cancel_after >= 0 && (strcmp(cmd, "fcopy") != 0 || strcmp(op, "send") != 0))
		return hvsim_client_usage("--cancel-after is an option of fcopy send");
	put_str(req, "cmd", cmd);
	put_str(req, "op", op);
	if (a->timeout >= 0)
		put_int(req, "timeout_ms", (int64_t)(a->timeout * 1000));

	if (strcmp(cmd, "kvp") == 0) {
		put_int(req, "pool", a->pool >= 0 ? a->pool : 0);
		if (strcmp(op, "set") == 0) {
			if (a->n_pos != 4)
				return hvsim_client_usage("kvp set needs KEY VALUE");
			put_str(req, "key", a->pos[2]);
			put_str(req, "value", a->pos[3]);
			if (a->type)
				put_str(req, "type", a->type);
		} else if (strcmp(op, "get") == 0 || strcmp(op, "delete") == 0) {
			if (a->n_pos != 3)
				return hvsim_client_usage("kvp %s needs KEY", op);
			put_str(req, "key", a->pos[2]);
		} else if (strcmp(op, "enumerate") == 0) {
			if (a->n_pos != 2)
				return hvsim_client_usage("kvp enumerate takes options only");
			if (a->index >= 0)
				put_int(req, "index", a->index);
		} else if (strcmp(op, "bench") == 0) {
			if (a->n_pos != 3)
				return hvsim_client_usage("kvp bench needs one of set, update, get, enumerate, "
							  "get-ip-info");
			put_str(req, "bench", a->pos[2]);
			if (strcmp(a->pos[2], "get-ip-info") == 0 && !a->adapter_id)
				return hvsim_client_usage("kvp bench get-ip-info needs --mac MAC");
			if (a->keys >= 0)
				put_int(req, "keys", a->keys);
			if (a->count >= 0)
				put_int(req, "count", a->count);
			if (a->seconds >= 0)
				put_int(req, "duration_ms", (int64_t)(a->seconds * 1000));
			if (a->no_prepare)
				json_object_object_add(req, "prepare", json_object_new_boolean(false));
			if (a->adapter_id)
				put_str(req, "adapter_id", a->adapter_id);
			if (a->family >= 0)
				put_int(req, "addr_family", a->family);
		} else if (strcmp(op, "get-ip-info") == 0 || strcmp(op, "set-ip-info") == 0) {
			if (a->n_pos != 2 || !a->adapter_id)
				return hvsim_client_usage("kvp %s needs --mac MAC or --adapter-id ID "
							  "(and options only)", op);
			put_str(req, "adapter_id", a->adapter_id);
			if (a->family >= 0)
				put_int(req, "addr_family", a->family);
			if (a->ip)
				put_str(req, "ip_addr", a->ip);
			if (a->subnet)
				put_str(req, "sub_net", a->subnet);
			if (a->gateway)
				put_str(req, "gate_way", a->gateway);
			if (a->dns)
				put_str(req, "dns_addr", a->dns);
			if (a->dhcp)
				json_object_object_add(req, "dhcp_enabled", json_object_new_boolean(true));
		} else {
			return hvsim_client_usage("unknown kvp operation '%s'", op);
		}
		return 0;
	}
	if (strcmp(cmd, "vss") == 0) {
		if (strcmp(op, "raw") == 0) {
			int64_t code;

			if (a->n_pos != 3 || parse_int(a->pos[2], 0, 255, &code) < 0)
				return hvsim_client_usage("vss raw needs an operation code 0-255");
			put_int(req, "code", code);
		} else if (a->n_pos != 2) {
			return hvsim_client_usage("vss %s takes options only", op);
		}
		if (a->size >= 0)
			put_int(req, "size", a->size);
		return build_vss_backup(a, op, req);
	}
	if (strcmp(cmd, "fcopy") == 0) {
		int64_t flags = a->flags >= 0 ? a->flags : 0;

		if (a->overwrite)
			flags |= 1;
		if (a->create_path)
			flags |= 2;
		put_int(req, "flags", flags);
		if (a->size >= 0)
			put_int(req, "size", a->size);
		if (strcmp(op, "send") == 0)
			return hvsim_client_fcopy_send_request(a->pos, a->n_pos, flags, a->cancel_after, req, pass_fd);
		if (strcmp(op, "copy") == 0) {
			const char *name;

			if (a->n_pos != 4 && a->n_pos != 5)
				return hvsim_client_usage("fcopy copy needs FILE DIR [NAME]");
			*pass_fd = open(a->pos[2], O_RDONLY | O_CLOEXEC);
			if (*pass_fd < 0) {
				fprintf(stderr, "hvsim host: %s: %s\n", a->pos[2], strerror(errno));
				return HVSIM_EXIT_USAGE;
			}
			name = a->n_pos == 5 ? a->pos[4] : strrchr(a->pos[2], '/');
			name = name ? (name[0] == '/' ? name + 1 : name) : a->pos[2];
			put_str(req, "dir", a->pos[3]);
			put_str(req, "name", name);
		} else if (strcmp(op, "start") == 0) {
			if (a->n_pos != 4)
				return hvsim_client_usage("fcopy start needs DIR NAME");
			put_str(req, "dir", a->pos[2]);
			put_str(req, "name", a->pos[3]);
		} else if (strcmp(op, "write") == 0) {
			if (a->n_pos != 3 || a->offset < 0)
				return hvsim_client_usage("fcopy write needs --offset N DATA");
			put_int(req, "offset", a->offset);
			put_str(req, "data", a->pos[2]);
		} else if (strcmp(op, "complete") != 0 && strcmp(op, "cancel") != 0) {
			return hvsim_client_usage("unknown fcopy operation '%s'", op);
		}
		return 0;
	}
	return hvsim_client_usage("unknown command '%s'", cmd);
}

int hvsim_client_main(int argc, char **argv)
{
	struct args a;
	json_object *req = NULL, *reply = NULL;
	char found[PATH_MAX];
	const char *path;
	int r, sock = -EBADF, pass_fd = -EBADF, wait_ms;

	r = parse_args(argc, argv, &a);
	if (r != 0)
		return r == 1 ? 0 : r;
	if (a.n_pos < 1)
		return hvsim_client_usage("missing command");
	req = json_object_new_object();
	r = build_request(&a, req, &pass_fd);
	if (r != 0)
		goto out;

	path = a.control ? a.control : getenv("HVSIM_CONTROL");
	if (!path) {
		int n = find_socket(found, sizeof(found));

		if (n != 1) {
			fprintf(stderr, "hvsim host: %s; use --control SOCKET\n",
				n == 0 ? "no world is running (no socket in /run/hvsim)"
				       : "several worlds are running");
			r = HVSIM_EXIT_UNREACHABLE;
			goto out;
		}
		path = found;
	}
	sock = connect_control(path);
	if (sock < 0) {
		fprintf(stderr, "hvsim host: cannot reach %s: %s\n", path, strerror(-sock));
		r = HVSIM_EXIT_UNREACHABLE;
		goto out;
	}
	r = send_request(sock, req, pass_fd);
	if (r < 0) {
		fprintf(stderr, "hvsim host: sending to %s: %s\n", path, strerror(-r));
		r = HVSIM_EXIT_UNREACHABLE;
		goto out;
	}
	/* hvsim answers every request by its own timeout (default 60 s);
	 * ours is a safety net a little later. */
	wait_ms = a.timeout >= 0 ? (int)(a.timeout * 1000) + 5000 : 65000;
	if (strcmp(a.pos[0], "wait-registered") == 0 && a.timeout < 0)
		wait_ms = 35000;
	if (a.timeout == 0)
		wait_ms = -1; /* hvsim waits forever too */
	/* A benchmark takes as long as it takes; hvsim bounds each request. */
	if (is_bench(&a))
		wait_ms = -1;
	if (a.n_pos >= 2 && strcmp(a.pos[0], "vss") == 0 && strcmp(a.pos[1], "backup") == 0 && a.timeout < 0)
		wait_ms = -1; /* as long as the guest and the hold take */
	r = read_reply(sock, wait_ms, &reply);
	if (r < 0) {
		fprintf(stderr, "hvsim host: no answer from %s: %s\n", path, strerror(-r));
		r = r == -ETIMEDOUT ? HVSIM_EXIT_NO_ANSWER : HVSIM_EXIT_UNREACHABLE;
		goto out;
	}
	if (a.json) {
		json_object_object_del(reply, "v");
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (!hvsim_client_flag(reply, "ok")) {
		if (!a.json)
			fprintf(stderr, "hvsim host: %s\n", hvsim_client_str(reply, "error") ?: "request failed");
		if (!a.json && is_fcopy_send(&a))
			hvsim_client_print_send_failure(reply);
		r = HVSIM_EXIT_NO_ANSWER;
		goto out;
	}
	if (strcmp(a.pos[0], "status") == 0) {
		if (!a.json)
			print_status(reply);
		r = 0;
	} else if (strcmp(a.pos[0], "wait-registered") == 0 || strcmp(a.pos[0], "ping") == 0) {
		r = 0;
	} else if (strcmp(a.pos[0], "fs") == 0) {
		if (!a.json)
			hvsim_client_print_fs(reply);
		r = 0;
	} else if (strcmp(a.pos[0], "rescind") == 0 || strcmp(a.pos[0], "offer") == 0) {
		if (!a.json)
			hvsim_client_print_device_reply(a.pos[0], reply);
		r = 0;
	} else if (is_fcopy_send(&a) && !a.json) {
		r = hvsim_client_print_send(reply);
	} else if (is_bench(&a)) {
		if (!a.json)
			print_bench(reply);
		r = bench_exit(reply);
	} else if (a.json) {
		r = hvsim_client_status_ok(reply) ? 0 : HVSIM_EXIT_FAILURE_STATUS;
		if (strcmp(a.pos[0], "kvp") == 0 && strcmp(a.pos[1], "enumerate") == 0 &&
		    json_object_object_get_ex(reply, "items", NULL))
			r = (uint32_t)hvsim_client_num(reply, "status_code") == HV_S_CONT
				    ? 0
				    : HVSIM_EXIT_FAILURE_STATUS;
	} else {
		r = print_answer(a.pos[0], a.pos[1], reply);
	}
out:
	hv_safe_close(sock);
	hv_safe_close(pass_fd);
	if (req)
		json_object_put(req);
	if (reply)
		json_object_put(reply);
	return r;
}
