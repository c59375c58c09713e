/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl kvp: the KVP pool files (PROTOCOL.md §5.4) from the guest's side.
 *
 *   get KEY          the value of KEY (first pool that has it, 0 to 4,
 *                    unless --pool says which)
 *   set KEY VALUE    add or update KEY in the guest pool (1)
 *   delete KEY       remove KEY from the guest pool
 *   list             every record of every pool (or of --pool)
 *   watch            follow changes until interrupted, --count, --timeout
 *   clear            empty the guest pool (--pool, --all: others)
 *   fsck             check the pools; --repair fixes them
 *
 * Every access goes through the store (services/kvp-store.h) or the
 * checker (services/kvp-fsck.h), so hvctl takes the daemon's locks (flock
 * and an OFD fcntl lock), finishes an interrupted daemon change before
 * writing, and a running hv-kvpd notices what hvctl wrote (it compares
 * inode, size and times under the same locks).  Reads open the store
 * read-only: shared locks, nothing created.
 *
 * Pools 0 and 3 belong to the host (hv-kvpd writes what the host sets),
 * 2 is answered live by the daemon and 4 is unused: set and delete write
 * the guest pool, and another one only with --force.  Values the host
 * could not read back (more than 254 UTF-16 units of key, 1022 of value,
 * §5.2; cloud-init keeps to 1024 bytes for that reason) also need --force.
 *
 * Text output escapes control characters (printer.h, hvctl_print_data()):
 * keys and values are anyone's data and must not reach the terminal raw.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/macros.h"
#include "base/path.h"
#include "base/utf16.h"
#include "hvctl.h"
#include "platform/config.h"
#include "printer.h"
#include "proto/kvp.h"
#include "services/kvp-fsck.h"
#include "services/kvp-service.h"
#include "services/kvp-store.h"

#define ALL_POOLS ((1u << HV_KVP_POOL_COUNT) - 1)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_kvp_store *, hv_kvp_store_free);
#define OPT(o) (1u << ((o) - HVCTL_ARG_KVP_POOL))

/* ---- options --------------------------------------------------------- */

static unsigned arg_kvp_pools; /* bit per --pool */
static bool arg_kvp_all;
static const char *arg_kvp_pool_dir;
static bool arg_kvp_force;
static bool arg_kvp_repair;
static uint64_t arg_kvp_count;        /* 0: no limit */
static uint64_t arg_kvp_timeout_usec; /* 0: none */
static unsigned arg_kvp_given;        /* OPT() of each option seen */

static const char *const option_names[_HVCTL_ARG_KVP_END - HVCTL_ARG_KVP_POOL] = {
	[HVCTL_ARG_KVP_POOL - HVCTL_ARG_KVP_POOL] = "pool",
	[HVCTL_ARG_KVP_ALL - HVCTL_ARG_KVP_POOL] = "all",
	[HVCTL_ARG_KVP_POOL_DIR - HVCTL_ARG_KVP_POOL] = "pool-dir",
	[HVCTL_ARG_KVP_FORCE - HVCTL_ARG_KVP_POOL] = "force",
	[HVCTL_ARG_KVP_REPAIR - HVCTL_ARG_KVP_POOL] = "repair",
	[HVCTL_ARG_KVP_COUNT - HVCTL_ARG_KVP_POOL] = "count",
	[HVCTL_ARG_KVP_TIMEOUT - HVCTL_ARG_KVP_POOL] = "timeout",
};

void hvctl_kvp_reset_options(void)
{
	arg_kvp_pools = 0;
	arg_kvp_all = false;
	arg_kvp_pool_dir = NULL;
	arg_kvp_force = false;
	arg_kvp_repair = false;
	arg_kvp_count = 0;
	arg_kvp_timeout_usec = 0;
	arg_kvp_given = 0;
}

/* A pool number 0-4 or its name; -EINVAL otherwise. */
static int parse_pool(const char *s)
{
	if (s[0] >= '0' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	return hv_kvp_pool_from_string(s);
}

int hvctl_kvp_parse_option(int option, const char *arg)
{
	switch (option) {
	case HVCTL_ARG_KVP_POOL: {
		int pool = parse_pool(arg);

		if (pool < 0)
			return hvctl_usage_error("invalid pool '%s' (expected 0-4 or external, guest, auto, "
						 "auto-external, auto-internal)", arg);
		arg_kvp_pools |= 1u << pool;
		break;
	}
	case HVCTL_ARG_KVP_ALL:
		arg_kvp_all = true;
		break;
	case HVCTL_ARG_KVP_POOL_DIR:
		if (!arg[0])
			return hvctl_usage_error("option '--pool-dir' needs a directory");
		arg_kvp_pool_dir = arg;
		break;
	case HVCTL_ARG_KVP_FORCE:
		arg_kvp_force = true;
		break;
	case HVCTL_ARG_KVP_REPAIR:
		arg_kvp_repair = true;
		break;
	case HVCTL_ARG_KVP_COUNT: {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(arg, &end, 10);
		if (arg[0] < '0' || arg[0] > '9' || *end || errno || n == 0 || n > UINT32_MAX)
			return hvctl_usage_error("invalid --count '%s' (expected a number of changes, 1 or more)",
						 arg);
		arg_kvp_count = n;
		break;
	}
	case HVCTL_ARG_KVP_TIMEOUT: {
		uint64_t usec = 0;
		char *end;
		double secs;

		/* Seconds, fractions allowed ("0.5"), or hvutils.conf's
		 * duration syntax ("500ms", "2min"). */
		errno = 0;
		secs = strtod(arg, &end);
		if (arg[0] >= '0' && arg[0] <= '9' && !*end && !errno && secs < 1e9)
			usec = (uint64_t)(secs * 1e6);
		else if (hv_config_parse_duration(arg, &usec) < 0)
			usec = 0;
		if (usec == 0)
			return hvctl_usage_error("invalid --timeout '%s' (expected seconds such as 1.5, "
						 "or a duration such as 500ms or 2min)", arg);
		arg_kvp_timeout_usec = usec;
		break;
	}
	default:
		return hvctl_usage_error("unexpected option");
	}
	arg_kvp_given |= OPT(option);
	return 0;
}

/* Refuses options that mean nothing to the verb, and a --pool list where
 * one pool is needed.  Returns 0 or 64 (reported). */
static int check_options(const char *verb, unsigned allowed, bool one_pool)
{
	for (int o = HVCTL_ARG_KVP_POOL; o < _HVCTL_ARG_KVP_END; o++)
		if ((arg_kvp_given & OPT(o)) && !(allowed & OPT(o)))
			return hvctl_usage_error("kvp %s: option '--%s' does not apply",
						 verb, option_names[o - HVCTL_ARG_KVP_POOL]);
	if (one_pool && arg_kvp_pools & (arg_kvp_pools - 1))
		return hvctl_usage_error("kvp %s: works on one pool, got several --pool", verb);
	if (arg_kvp_all && arg_kvp_pools)
		return hvctl_usage_error("kvp %s: --all and --pool do not go together", verb);
	return 0;
}

/* The pools a verb works on: --all, --pool, or its default. */
static unsigned pools_or(unsigned def)
{
	if (arg_kvp_all)
		return ALL_POOLS;
	return arg_kvp_pools ? arg_kvp_pools : def;
}

static unsigned single_pool(unsigned def)
{
	unsigned set = pools_or(1u << def);

	for (unsigned p = 0; p < HV_KVP_POOL_COUNT; p++)
		if (set & (1u << p))
			return p;
	return def;
}

/* ---- the pool directory ---------------------------------------------- */

struct pool_dir {
	char *path;  /* what we open (with the sysroot prefix) */
	char *shown; /* what messages say (the guest's path) */
};

static void pool_dir_done(struct pool_dir *d)
{
	free(d->path);
	free(d->shown);
}

/*
 * --pool-dir is taken literally (like --config FILE: a copy of a pool
 * directory somewhere); otherwise [kvp] pool-directory from hvutils.conf,
 * resolved through the path context like every system path.  A config
 * that does not load is the daemon's problem: warn, use the default.
 * Returns 0, or an exit status after saying why (66: no such directory).
 */
static int pool_dir_get(const struct hvctl_context *ctx, struct pool_dir *ret)
{
	const struct hv_config_section *const sections[] = { &hv_kvp_service_config_sections[0] };
	struct hv_config_source src = { .path = ctx->path };
	struct hv_config *cfg = NULL;
	struct stat st;
	int r;

	*ret = (struct pool_dir){};
	if (arg_kvp_pool_dir) {
		ret->path = strdup(arg_kvp_pool_dir);
		ret->shown = strdup(arg_kvp_pool_dir);
	} else {
		const char *dir = HV_KVP_SERVICE_DEFAULT_POOL_DIRECTORY;
		const struct hv_kvp_service_config *c;

		r = hv_config_load(sections, ELEMENTSOF(sections), &src, &cfg);
		if (r < 0)
			hvctl_error(r, "warning: cannot read the configuration, using %s", dir);
		else if ((c = hv_config_get(cfg, sections[0])) && c->pool_directory && c->pool_directory[0])
			dir = c->pool_directory;
		ret->shown = strdup(dir);
		ret->path = hv_path_get(ctx->path, dir);
		hv_config_free(cfg);
	}
	if (!ret->path || !ret->shown) {
		pool_dir_done(ret);
		return hvctl_exit_status(hvctl_error(-ENOMEM, "out of memory"));
	}
	if (stat(ret->path, &st) < 0)
		r = hv_negative_errno();
	else
		r = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (r < 0) {
		if (r == -ENOENT || r == -ENOTDIR) {
			hvctl_error(r, "no KVP pool directory %s (is hv-kvpd running?)", ret->shown);
			r = HVCTL_EXIT_NOINPUT;
		} else
			r = hvctl_exit_status(hvctl_error(r, "cannot use the pool directory %s: %m", ret->shown));
		pool_dir_done(ret);
		return r;
	}
	return 0;
}

static int store_open(const struct pool_dir *d, unsigned pool, bool writable, struct hv_kvp_store **ret)
{
	struct hv_kvp_store_options o = { .read_only = !writable };
	int r = hv_kvp_store_open(d->path, pool, &o, ret);

	if (r < 0)
		return hvctl_error(r, "cannot open the %s pool (%u) in %s: %m",
				   hv_kvp_pool_to_string(pool), pool, d->shown);
	return 0;
}

static bool pool_file_exists(const struct pool_dir *d, unsigned pool)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/.kvp_pool_%u", d->path, pool) < 0)
		return true; /* let the store say what is wrong */
	return access(p, F_OK) == 0;
}

/* ---- command-line strings -------------------------------------------- */

/* what is "key" or "value"; size the field (with its NUL).  0 or 65. */
static int check_arg(const char *verb, const char *what, const char *s, size_t size)
{
	size_t len = strlen(s);

	if (len == 0 && strcmp(what, "key") == 0) {
		hvctl_error(-EINVAL, "kvp %s: the key is empty", verb);
		return HVCTL_EXIT_DATAERR;
	}
	if (len >= size) {
		hvctl_error(-E2BIG, "kvp %s: the %s is %zu bytes long; a pool record holds at most %zu",
			    verb, what, len, size - 1);
		return HVCTL_EXIT_DATAERR;
	}
	if (!hv_utf8_is_valid(s, len)) {
		hvctl_error(-EILSEQ, "kvp %s: the %s is not valid UTF-8", verb, what);
		return HVCTL_EXIT_DATAERR;
	}
	return 0;
}

/* The host gets keys and values through the kernel's UTF-16 conversion,
 * which fails the host's ENUMERATE above these lengths (§5.2). */
static int check_host_readable(const char *what, const char *s, int max)
{
	int units = hv_utf8_utf16_units(s, strlen(s));

	if (units > max && !arg_kvp_force) {
		hvctl_error(-E2BIG, "kvp set: the %s is %d UTF-16 code units long; the host reads at most %d "
			    "(--force stores it anyway)", what, units, max);
		return HVCTL_EXIT_DATAERR;
	}
	return 0;
}

/* Only the guest pool is the guest's to write. */
static int check_guest_pool(const char *verb, unsigned pool)
{
	if (pool == HV_KVP_POOL_GUEST || arg_kvp_force)
		return 0;
	return hvctl_usage_error("kvp %s: the %s pool (%u) is not the guest's to write (the host and "
				 "hv-kvpd fill it); --force writes it anyway",
				 verb, hv_kvp_pool_to_string(pool), pool);
}

static void print_record(struct hvctl_printer *p, unsigned pool, uint32_t index, const char *key,
			 const char *value, const char *text_pool, const char *text_key,
			 const char *text_value)
{
	hvctl_print_uint(p, "pool", NULL, pool);
	hvctl_print_string(p, "pool_name", text_pool, hv_kvp_pool_to_string(pool));
	hvctl_print_uint(p, "index", NULL, index);
	hvctl_print_data(p, "key", text_key, key, strlen(key));
	hvctl_print_data(p, "value", text_value, value, strlen(value));
}

/* ---- get, set, delete -------------------------------------------------- */

static int verb_get(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	_cleanup_free_ char *shown = NULL;
	const char *key = argv[1];
	unsigned pools;
	struct pool_dir d;
	int r;

	r = check_options("get", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_POOL_DIR), false);
	if (r == 0)
		r = check_arg("get", "key", key, HV_KVP_RECORD_KEY_SIZE);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;

	/* In pool order: with no --pool, the first pool holding the key
	 * wins, as the first record does within a pool. */
	pools = pools_or(ALL_POOLS);
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		_cleanup_(hv_kvp_store_freep) struct hv_kvp_store *s = NULL;
		const char *k, *v;

		if (!(pools & (1u << pool)))
			continue;
		r = store_open(&d, pool, false, &s);
		if (r < 0)
			goto out;
		for (uint32_t i = 0; (r = hv_kvp_store_enumerate(s, i, &k, &v)) == 0; i++) {
			if (strcmp(k, key) != 0)
				continue;
			p = hvctl_printer_for(ctx);
			if (!p) {
				r = hvctl_error(-ENOMEM, "out of memory");
				goto out;
			}
			hvctl_print_open_object(p, NULL);
			print_record(p, pool, i, k, v, NULL, NULL, "%s\n");
			hvctl_print_close_object(p);
			r = hvctl_printer_finish(p);
			goto out;
		}
		if (r != -ENOENT) {
			hvctl_error(r, "cannot read the %s pool in %s: %m", hv_kvp_pool_to_string(pool), d.shown);
			goto out;
		}
	}
	shown = hvctl_escape_data(key, strlen(key));
	if (pools == ALL_POOLS)
		hvctl_error(-ENOENT, "kvp get: no key '%s' in any pool", shown ?: "?");
	else if (!(pools & (pools - 1)))
		hvctl_error(-ENOENT, "kvp get: no key '%s' in the %s pool", shown ?: "?",
			    hv_kvp_pool_to_string(single_pool(0)));
	else
		hvctl_error(-ENOENT, "kvp get: no key '%s' in the pools given", shown ?: "?");
	r = HVCTL_EXIT_NOTFOUND;
out:
	pool_dir_done(&d);
	return r;
}

static int verb_set(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hv_kvp_store_freep) struct hv_kvp_store *s = NULL;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	const char *key = argv[1], *value = argv[2];
	unsigned pool = single_pool(HV_KVP_POOL_GUEST);
	struct pool_dir d;
	int r;

	r = check_options("set", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_POOL_DIR) |
				       OPT(HVCTL_ARG_KVP_FORCE), true);
	if (r == 0)
		r = check_guest_pool("set", pool);
	if (r == 0)
		r = check_arg("set", "key", key, HV_KVP_RECORD_KEY_SIZE);
	if (r == 0)
		r = check_arg("set", "value", value, HV_KVP_RECORD_VALUE_SIZE);
	if (r == 0)
		r = check_host_readable("key", key, HV_KVP_FSCK_HOST_KEY_UNITS);
	if (r == 0)
		r = check_host_readable("value", value, HV_KVP_FSCK_HOST_VALUE_UNITS);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;

	r = store_open(&d, pool, true, &s);
	if (r < 0)
		goto out;
	r = hv_kvp_store_set(s, key, strlen(key), value, strlen(value));
	if (r == -ENOSPC) {
		hvctl_error(r, "kvp set: the %s pool is full (%d records)", hv_kvp_pool_to_string(pool),
			    hv_kvp_store_count(s));
		goto out;
	}
	if (r < 0) {
		hvctl_error(r, "kvp set: cannot write %s: %m", hv_kvp_store_path(s));
		goto out;
	}
	/* Text says nothing on success; JSON tells what happened. */
	p = hvctl_printer_for(ctx);
	if (!p) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	hvctl_print_open_object(p, NULL);
	hvctl_print_uint(p, "pool", NULL, pool);
	hvctl_print_string(p, "pool_name", NULL, hv_kvp_pool_to_string(pool));
	hvctl_print_data(p, "key", NULL, key, strlen(key));
	hvctl_print_data(p, "value", NULL, value, strlen(value));
	hvctl_print_bool(p, "created", NULL, r == 1);
	hvctl_print_close_object(p);
	r = hvctl_printer_finish(p);
out:
	pool_dir_done(&d);
	return r;
}

static int verb_delete(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hv_kvp_store_freep) struct hv_kvp_store *s = NULL;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	const char *key = argv[1];
	unsigned pool = single_pool(HV_KVP_POOL_GUEST);
	struct pool_dir d;
	int r;

	r = check_options("delete", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_POOL_DIR) |
					  OPT(HVCTL_ARG_KVP_FORCE), true);
	if (r == 0)
		r = check_guest_pool("delete", pool);
	if (r == 0)
		r = check_arg("delete", "key", key, HV_KVP_RECORD_KEY_SIZE);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;

	if (!pool_file_exists(&d, pool)) {
		r = -ENOENT;
	} else {
		r = store_open(&d, pool, true, &s);
		if (r < 0)
			goto out;
		r = hv_kvp_store_delete(s, key, strlen(key));
	}
	if (r == -ENOENT) {
		_cleanup_free_ char *shown = hvctl_escape_data(key, strlen(key));

		hvctl_error(r, "kvp delete: no key '%s' in the %s pool", shown ?: "?",
			    hv_kvp_pool_to_string(pool));
		r = HVCTL_EXIT_NOTFOUND;
		goto out;
	}
	if (r < 0) {
		hvctl_error(r, "kvp delete: cannot write %s: %m", hv_kvp_store_path(s));
		goto out;
	}
	p = hvctl_printer_for(ctx);
	if (!p) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	hvctl_print_open_object(p, NULL);
	hvctl_print_uint(p, "pool", NULL, pool);
	hvctl_print_string(p, "pool_name", NULL, hv_kvp_pool_to_string(pool));
	hvctl_print_data(p, "key", NULL, key, strlen(key));
	hvctl_print_bool(p, "deleted", NULL, true);
	hvctl_print_close_object(p);
	r = hvctl_printer_finish(p);
out:
	pool_dir_done(&d);
	return r;
}

/* ---- list ------------------------------------------------------------------ */

static int verb_list(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	unsigned pools;
	bool one;
	struct pool_dir d;
	int r;

	r = check_options("list", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_ALL) |
					OPT(HVCTL_ARG_KVP_POOL_DIR), false);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;
	pools = pools_or(ALL_POOLS);
	/* One pool: "key=value" lines; several: the pool name first. */
	one = !(pools & (pools - 1));

	p = hvctl_printer_for(ctx);
	if (!p) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	hvctl_print_open_array(p, NULL);
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		_cleanup_(hv_kvp_store_freep) struct hv_kvp_store *s = NULL;
		const char *k, *v;

		if (!(pools & (1u << pool)))
			continue;
		r = store_open(&d, pool, false, &s);
		if (r < 0)
			goto out;
		for (uint32_t i = 0; (r = hv_kvp_store_enumerate(s, i, &k, &v)) == 0; i++) {
			hvctl_print_open_object(p, NULL);
			print_record(p, pool, i, k, v, one ? NULL : "%<s  ", "%s=", "%s\n");
			hvctl_print_close_object(p);
		}
		if (r != -ENOENT) {
			hvctl_error(r, "cannot read the %s pool in %s: %m", hv_kvp_pool_to_string(pool), d.shown);
			goto out;
		}
	}
	hvctl_print_close_array(p);
	r = hvctl_printer_finish(p);
out:
	pool_dir_done(&d);
	return r;
}

/* ---- clear ----------------------------------------------------------------- */

static int verb_clear(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	unsigned pools;
	struct pool_dir d;
	int r;

	r = check_options("clear", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_ALL) |
					 OPT(HVCTL_ARG_KVP_POOL_DIR), false);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;
	/* The guest pool by default; host pools when asked: after a
	 * deprovisioning the old host's pool 3 is what misleads the next
	 * boot (ECOSYSTEM.md §3 row 9), and the host pushes it again. */
	pools = pools_or(1u << HV_KVP_POOL_GUEST);

	p = hvctl_printer_for(ctx);
	if (!p) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	hvctl_print_open_array(p, NULL);
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		_cleanup_(hv_kvp_store_freep) struct hv_kvp_store *s = NULL;
		int n = 0;

		if (!(pools & (1u << pool)))
			continue;
		/* Nothing to clear, and no file to create behind the daemon. */
		if (pool_file_exists(&d, pool)) {
			r = store_open(&d, pool, true, &s);
			if (r < 0)
				goto out;
			n = hv_kvp_store_count(s);
			r = n < 0 ? n : hv_kvp_store_clear(s);
			if (r < 0) {
				hvctl_error(r, "kvp clear: cannot clear %s: %m", hv_kvp_store_path(s));
				goto out;
			}
		}
		hvctl_print_open_object(p, NULL);
		hvctl_print_uint(p, "pool", NULL, pool);
		hvctl_print_string(p, "pool_name", "%s: ", hv_kvp_pool_to_string(pool));
		hvctl_print_uint(p, "removed", n == 1 ? "%s record removed\n" : "%s records removed\n",
				 (uint64_t)n);
		hvctl_print_close_object(p);
	}
	hvctl_print_close_array(p);
	r = hvctl_printer_finish(p);
out:
	pool_dir_done(&d);
	return r;
}

/* ---- fsck ------------------------------------------------------------------ */

static const char *const issue_text[_HV_KVP_FSCK_KIND_MAX] = {
	[HV_KVP_FSCK_PARTIAL_RECORD] = "a partial record",
	[HV_KVP_FSCK_KEY_UNTERMINATED] = "the key has no NUL",
	[HV_KVP_FSCK_VALUE_UNTERMINATED] = "the value has no NUL",
	[HV_KVP_FSCK_KEY_BAD_UTF8] = "the key is not valid UTF-8",
	[HV_KVP_FSCK_VALUE_BAD_UTF8] = "the value is not valid UTF-8",
	[HV_KVP_FSCK_EMPTY_KEY] = "empty key",
	[HV_KVP_FSCK_DUPLICATE_KEY] = "duplicate key",
	[HV_KVP_FSCK_STALE_BYTES] = "non-zero bytes after a NUL (warning)",
	[HV_KVP_FSCK_HOST_UNREADABLE] = "too long for the host to read (warning)",
};

static void print_issue(struct hvctl_printer *p, const struct hv_kvp_fsck_issue *is)
{
	bool partial = is->kind == HV_KVP_FSCK_PARTIAL_RECORD;

	/* "  record 5 'dup': duplicate key, first in record 1" */
	hvctl_print_open_object(p, NULL);
	hvctl_print_text(p, partial ? "  end" : "  record ");
	hvctl_print_uint(p, "record", partial ? NULL : "%s", is->record);
	hvctl_print_string(p, "kind", NULL, hv_kvp_fsck_kind_to_string(is->kind));
	hvctl_print_string(p, "severity", NULL, hv_kvp_fsck_kind_is_error(is->kind) ? "error" : "warning");
	if (is->key)
		hvctl_print_data(p, "key", is->key[0] ? " '%s'" : NULL, is->key, strlen(is->key));
	hvctl_print_text(p, ": ");
	hvctl_print_text(p, issue_text[is->kind]);
	if (partial)
		hvctl_print_uint(p, "bytes", " of %s bytes", is->bytes);
	if (is->kind == HV_KVP_FSCK_DUPLICATE_KEY)
		hvctl_print_uint(p, "first_record", ", first in record %s", is->first_record);
	hvctl_print_text(p, "\n");
	hvctl_print_close_object(p);
}

static void print_fsck(struct hvctl_printer *p, unsigned pool, const char *path,
		       const struct hv_kvp_fsck_report *rep)
{
	hvctl_print_open_object(p, NULL);
	hvctl_print_uint(p, "pool", NULL, pool);
	hvctl_print_string(p, "pool_name", "%s: ", hv_kvp_pool_to_string(pool));
	hvctl_print_string(p, "path", NULL, path);
	hvctl_print_bool(p, "exists", NULL, rep->exists);
	if (!rep->exists)
		hvctl_print_text(p, "no pool file\n");
	hvctl_print_uint(p, "size", NULL, rep->size);
	hvctl_print_uint(p, "records", !rep->exists ? NULL : rep->records == 1 ? "%s record" : "%s records",
			 rep->records);
	hvctl_print_uint(p, "trailing_bytes", rep->trailing_bytes ? " + %s bytes" : NULL,
			 rep->trailing_bytes);
	hvctl_print_uint(p, "errors", !rep->exists ? NULL : rep->errors == 1 ? ", %s error" : ", %s errors",
			 rep->errors);
	hvctl_print_uint(p, "warnings", !rep->exists ? NULL : rep->warnings == 1 ? ", %s warning\n"
										: ", %s warnings\n",
			 rep->warnings);
	hvctl_print_open_array(p, "issues");
	for (size_t i = 0; i < rep->n_issues; i++)
		print_issue(p, &rep->issues[i]);
	hvctl_print_close_array(p);
	hvctl_print_bool(p, "repaired", NULL, rep->repaired);
	hvctl_print_uint(p, "records_after", NULL, rep->records_after);
	hvctl_print_uint(p, "size_after", NULL, rep->size_after);
	if (rep->repaired) {
		char line[96];

		snprintf(line, sizeof(line), "  repaired: %" PRIu32 " record%s kept, %" PRIu64 " bytes\n",
			 rep->records_after, rep->records_after == 1 ? "" : "s", rep->size_after);
		hvctl_print_text(p, line);
	}
	hvctl_print_close_object(p);
}

static int verb_fsck(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	_cleanup_(hvctl_printer_freep) struct hvctl_printer *p = NULL;
	struct hv_kvp_fsck_options o = { .repair = arg_kvp_repair };
	unsigned pools, with_errors = 0;
	struct pool_dir d;
	int r;

	r = check_options("fsck", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_ALL) |
					OPT(HVCTL_ARG_KVP_POOL_DIR) | OPT(HVCTL_ARG_KVP_REPAIR), false);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;
	pools = pools_or(ALL_POOLS);

	p = hvctl_printer_for(ctx);
	if (!p) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	hvctl_print_open_array(p, NULL);
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		struct hv_kvp_fsck_report *rep = NULL;
		_cleanup_free_ char *path = NULL;

		if (!(pools & (1u << pool)))
			continue;
		r = hv_kvp_fsck_file(d.path, pool, &o, &rep);
		if (r < 0) {
			hvctl_error(r, "kvp fsck: cannot %s the %s pool in %s: %m", o.repair ? "repair" : "check",
				    hv_kvp_pool_to_string(pool), d.shown);
			goto out;
		}
		/* The file as the guest names it, whatever the sysroot. */
		if (asprintf(&path, "%s/.kvp_pool_%u", d.shown, pool) < 0)
			path = NULL;
		print_fsck(p, pool, path, rep);
		if (rep->errors > 0 && !rep->repaired)
			with_errors++;
		hv_kvp_fsck_report_free(rep);
	}
	hvctl_print_close_array(p);
	r = hvctl_printer_finish(p);
	if (r == 0 && with_errors > 0) {
		hvctl_error(-EBADMSG, "kvp fsck: %u pool%s with errors; 'hvctl kvp fsck --repair' fixes them",
			    with_errors, with_errors == 1 ? "" : "s");
		r = HVCTL_EXIT_DATAERR;
	}
out:
	pool_dir_done(&d);
	return r;
}

/* ---- watch ----------------------------------------------------------------- */

/* A pool as last seen: its keys in file order, first record of a key only
 * (what a GET answers, so what a change is about). */
struct entry {
	char *key, *value;
	uint32_t index;
};

struct snapshot {
	struct entry *e;
	size_t n;
};

static void snapshot_done(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].key);
		free(s->e[i].value);
	}
	free(s->e);
	*s = (struct snapshot){};
}

/* Open addressing over entry indices + 1, for the diff. */
struct key_index {
	uint32_t *slot;
	size_t mask;
};

static size_t hash_str(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Returns the entry with key, or NULL after inserting e (when e is set). */
static struct entry *key_index_find(struct key_index *x, struct entry *base, const char *key, size_t add)
{
	size_t i = hash_str(key) & x->mask;

	for (; x->slot[i]; i = (i + 1) & x->mask)
		if (strcmp(base[x->slot[i] - 1].key, key) == 0)
			return &base[x->slot[i] - 1];
	if (add)
		x->slot[i] = (uint32_t)add;
	return NULL;
}

static int key_index_init(struct key_index *x, size_t n)
{
	size_t want = 16;

	while (want < 2 * n + 2)
		want <<= 1;
	x->slot = calloc(want, sizeof(*x->slot));
	x->mask = want - 1;
	return x->slot ? 0 : -ENOMEM;
}

static int snapshot_take(struct hv_kvp_store *s, struct snapshot *ret)
{
	struct snapshot snap = {};
	struct key_index x = {};
	const char *k, *v;
	int n, r;

	n = hv_kvp_store_count(s);
	if (n < 0)
		return n;
	snap.e = calloc((size_t)n + 1, sizeof(*snap.e));
	r = key_index_init(&x, (size_t)n);
	if (!snap.e || r < 0) {
		free(x.slot);
		free(snap.e);
		return -ENOMEM;
	}
	for (uint32_t i = 0; (int)i < n && (r = hv_kvp_store_enumerate(s, i, &k, &v)) == 0; i++) {
		struct entry *e = &snap.e[snap.n];

		if (key_index_find(&x, snap.e, k, 0))
			continue; /* a later duplicate: GET never sees it */
		e->key = strdup(k);
		e->value = strdup(v);
		e->index = i;
		if (!e->key || !e->value) {
			snap.n++;
			r = -ENOMEM;
			break;
		}
		key_index_find(&x, snap.e, k, ++snap.n);
	}
	free(x.slot);
	if (r < 0 && r != -ENOENT) {
		snapshot_done(&snap);
		return r;
	}
	*ret = snap;
	return 0;
}

struct watch {
	const struct hvctl_context *ctx;
	struct hvctl_printer *p;
	struct hv_kvp_store *stores[HV_KVP_POOL_COUNT];
	struct snapshot snaps[HV_KVP_POOL_COUNT];
	uint64_t events;
};

static bool watch_done(const struct watch *w)
{
	return arg_kvp_count > 0 && w->events >= arg_kvp_count;
}

static int emit(struct watch *w, unsigned pool, const char *event, const struct entry *e,
		const char *old_value)
{
	static const char *const marks[] = { "+ ", "~ ", "- " };
	const char *mark = event[0] == 'a' ? marks[0] : event[0] == 'c' ? marks[1] : marks[2];

	if (watch_done(w))
		return 0;
	hvctl_print_open_object(w->p, NULL);
	hvctl_print_string(w->p, "event", NULL, event);
	hvctl_print_text(w->p, mark);
	print_record(w->p, pool, e->index, e->key, e->value, "%s ", "%s=", "%s\n");
	if (old_value)
		hvctl_print_data(w->p, "old_value", NULL, old_value, strlen(old_value));
	hvctl_print_close_object(w->p);
	w->events++;
	/* One line (one JSON document) per change, out at once. */
	return hvctl_printer_finish(w->p);
}

/* Re-read a pool and report how it differs from the last snapshot. */
static int watch_pool(struct watch *w, unsigned pool)
{
	struct snapshot old = w->snaps[pool], now = {};
	struct key_index xo = {}, xn = {};
	int r;

	r = snapshot_take(w->stores[pool], &now);
	if (r < 0)
		return hvctl_error(r, "kvp watch: cannot read the %s pool: %m", hv_kvp_pool_to_string(pool));
	if (key_index_init(&xo, old.n) < 0 || key_index_init(&xn, now.n) < 0) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < old.n; i++)
		key_index_find(&xo, old.e, old.e[i].key, i + 1);
	for (size_t i = 0; i < now.n; i++)
		key_index_find(&xn, now.e, now.e[i].key, i + 1);

	/* Removals in the old order, then additions and changes in the new. */
	for (size_t i = 0; i < old.n && r >= 0; i++)
		if (!key_index_find(&xn, now.e, old.e[i].key, 0))
			r = emit(w, pool, "removed", &old.e[i], NULL);
	for (size_t i = 0; i < now.n && r >= 0; i++) {
		const struct entry *o = key_index_find(&xo, old.e, now.e[i].key, 0);

		if (!o)
			r = emit(w, pool, "added", &now.e[i], NULL);
		else if (strcmp(o->value, now.e[i].value) != 0)
			r = emit(w, pool, "changed", &now.e[i], o->value);
	}
out:
	free(xo.slot);
	free(xn.slot);
	snapshot_done(&w->snaps[pool]);
	w->snaps[pool] = now;
	return r < 0 ? r : 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Which watched pool an inotify event names, or -1. */
static int event_pool(const struct inotify_event *ev, unsigned pools)
{
#define POOL_PREFIX ".kvp_pool_"
	const char *n = ev->name + STRLEN(POOL_PREFIX);

	if (ev->len == 0 || strncmp(ev->name, POOL_PREFIX, STRLEN(POOL_PREFIX)) != 0)
		return -1;
#undef POOL_PREFIX
	if (n[0] < '0' || n[0] > '4' || n[1] != '\0' || !(pools & (1u << (n[0] - '0'))))
		return -1;
	return n[0] - '0';
}

static int watch_loop(struct watch *w, const struct pool_dir *d, unsigned pools)
{
	_cleanup_close_ int ifd = -EBADF, sfd = -EBADF;
	uint64_t deadline = arg_kvp_timeout_usec ? now_usec() + arg_kvp_timeout_usec : 0;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return hvctl_error(hv_negative_errno(), "kvp watch: cannot block signals: %m");
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (sfd < 0 || ifd < 0)
		return hvctl_error(hv_negative_errno(), "kvp watch: %m");
	if (inotify_add_watch(ifd, d->path, IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE |
						    IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
						    IN_MOVE_SELF | IN_ONLYDIR) < 0)
		return hvctl_error(hv_negative_errno(), "kvp watch: cannot watch %s: %m", d->shown);

	/* The snapshots were taken before the watch existed: whatever
	 * changed in between is a change too. */
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++)
		if (pools & (1u << pool)) {
			r = watch_pool(w, pool);
			if (r < 0)
				return r;
		}

	while (!watch_done(w)) {
		struct pollfd pfd[2] = { { .fd = ifd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		_Alignas(struct inotify_event) char buf[4096];
		unsigned dirty = 0;
		int timeout_ms = -1;
		ssize_t n;

		if (deadline) {
			uint64_t t = now_usec();

			if (t >= deadline)
				break;
			timeout_ms = (int)HV_MIN((deadline - t + 999) / 1000, (uint64_t)INT32_MAX);
		}
		if (poll(pfd, 2, timeout_ms) < 0) {
			if (errno == EINTR)
				continue;
			return hvctl_error(hv_negative_errno(), "kvp watch: %m");
		}
		if (pfd[1].revents)
			return 0; /* SIGINT or SIGTERM: a normal end */
		if (!pfd[0].revents)
			continue;
		while ((n = read(ifd, buf, sizeof(buf))) > 0) {
			for (char *q = buf; q < buf + n;) {
				const struct inotify_event *ev = (const struct inotify_event *)q;
				int pool;

				if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
					hvctl_error(-ENOENT, "kvp watch: %s went away", d->shown);
					return HVCTL_EXIT_NOINPUT;
				}
				pool = event_pool(ev, pools);
				if (pool >= 0)
					dirty |= 1u << pool;
				q += sizeof(*ev) + ev->len;
			}
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return hvctl_error(hv_negative_errno(), "kvp watch: %m");
		for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT && !watch_done(w); pool++)
			if (dirty & (1u << pool)) {
				r = watch_pool(w, pool);
				if (r < 0)
					return r;
			}
	}
	if (arg_kvp_count > 0 && !watch_done(w)) {
		hvctl_error(-ETIMEDOUT, "kvp watch: timed out after %" PRIu64 " of %" PRIu64 " changes",
			    w->events, arg_kvp_count);
		return HVCTL_EXIT_TEMPFAIL;
	}
	return 0;
}

static int verb_watch(int argc, char *argv[], void *userdata)
{
	const struct hvctl_context *ctx = userdata;
	struct watch w = { .ctx = ctx };
	unsigned pools;
	struct pool_dir d;
	int r;

	r = check_options("watch", OPT(HVCTL_ARG_KVP_POOL) | OPT(HVCTL_ARG_KVP_ALL) |
					 OPT(HVCTL_ARG_KVP_POOL_DIR) | OPT(HVCTL_ARG_KVP_COUNT) |
					 OPT(HVCTL_ARG_KVP_TIMEOUT), false);
	if (r != 0)
		return r;
	r = pool_dir_get(ctx, &d);
	if (r != 0)
		return r;
	pools = pools_or(ALL_POOLS);

	w.p = hvctl_printer_for(ctx);
	if (!w.p) {
		r = hvctl_error(-ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		if (!(pools & (1u << pool)))
			continue;
		r = store_open(&d, pool, false, &w.stores[pool]);
		if (r < 0)
			goto out;
		r = snapshot_take(w.stores[pool], &w.snaps[pool]);
		if (r < 0) {
			hvctl_error(r, "kvp watch: cannot read the %s pool: %m", hv_kvp_pool_to_string(pool));
			goto out;
		}
	}
	r = watch_loop(&w, &d, pools);
out:
	for (unsigned pool = 0; pool < HV_KVP_POOL_COUNT; pool++) {
		hv_kvp_store_free(w.stores[pool]);
		snapshot_done(&w.snaps[pool]);
	}
	hvctl_printer_free(w.p);
	pool_dir_done(&d);
	return r;
}

/* ---- the family -------------------------------------------------------- */

static const struct hvctl_verb kvp_verbs[] = {
	{ "get", 1, 1, 0, verb_get, "KEY", "Print the value of KEY" },
	{ "set", 2, 2, 0, verb_set, "KEY VALUE", "Add or update KEY in the guest pool" },
	{ "delete", 1, 1, 0, verb_delete, "KEY", "Remove KEY from the guest pool" },
	{ "list", 0, 0, 0, verb_list, NULL, "List the records of every pool" },
	{ "watch", 0, 0, 0, verb_watch, NULL, "Print changes to the pools as they happen" },
	{ "clear", 0, 0, 0, verb_clear, NULL, "Remove every record of the guest pool" },
	{ "fsck", 0, 0, 0, verb_fsck, NULL, "Check the pool files; --repair fixes them" },
};

int hvctl_verb_kvp(int argc, char *argv[], void *userdata)
{
	return hvctl_dispatch(kvp_verbs, ELEMENTSOF(kvp_verbs), "kvp", argc - 1, argv + 1, userdata);
}
