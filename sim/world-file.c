/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * World files.  A small INI reader of our own (not iniparser) because error
 * messages must name the line, and iniparser folds case and loses lines.
 *
 *   [world]   name, base (empty | default), hibernation
 *   [cpus]    count, online
 *   [numa]    nodeN = cpulist
 *   [kernel]  kvp_timeout, vss_timeout, vss_freeze_timeout, fcopy_timeout,
 *             device_delay (seconds, decimals allowed), uio_mask_on_interrupt
 *   [device NAME]  class, instance, relid, cpu, monitor_id, subchannels,
 *             driver, ring_size (uio_hv_generic only), remove
 *   [root], [filesystem NAME]  a root of the world's own and its test
 *             file systems (vss-spec.c)
 *
 * Parsing fills a world in two passes: keys are applied as they come (a
 * device section of the same name as one in the base world edits it), and
 * the whole is validated at the end (CPU ranges, unique relids and
 * instances, driver names for util devices).  Unknown sections and keys are
 * errors: a typo in a test world must not silently test something else.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hvutil.h"
#include "vss-world.h"
#include "world.h"

/* ---- the INI reader ------------------------------------------------------- */

struct parser {
	const char *file;
	unsigned line;
	char section[128]; /* as written, e.g. "device kvp" */
	struct hvsim_world *w;
	struct hvsim_device *dev; /* current [device NAME] */
	bool seen_device[HVSIM_MAX_DEVICES];
	char *error;
};

static int perr(struct parser *p, const char *key, int r, const char *fmt, ...) _printf_(4, 5);

static int perr(struct parser *p, const char *key, int r, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	char where[64] = "";

	if (p->error)
		return r;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	/* Validation after parsing knows the section's first line only. */
	if (p->line > 0)
		snprintf(where, sizeof(where), ":%u", p->line);
	if (key && p->section[0]) {
		if (asprintf(&p->error, "%s%s: [%s] %s: %s", p->file, where, p->section, key,
			     msg ? msg : "error") < 0)
			p->error = NULL;
	} else if (p->section[0]) {
		if (asprintf(&p->error, "%s%s: [%s]: %s", p->file, where, p->section,
			     msg ? msg : "error") < 0)
			p->error = NULL;
	} else if (key) {
		if (asprintf(&p->error, "%s%s: %s: %s", p->file, where, key, msg ? msg : "error") < 0)
			p->error = NULL;
	} else if (asprintf(&p->error, "%s%s: %s", p->file, where, msg ? msg : "error") < 0) {
		p->error = NULL;
	}
	return r;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	return -EINVAL;
}

static int parse_u32(const char *v, uint32_t max, uint32_t *ret)
{
	unsigned long x;
	const char *end;
	int r;

	r = hvsim_parse_uint(v, &end, max, &x);
	if (r < 0)
		return r;
	if (*end)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* Seconds with up to three decimals -> milliseconds. */
static int parse_seconds(const char *v, uint64_t *ret)
{
	uint64_t ms = 0, frac = 0;
	unsigned digits = 0;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		ms = ms * 10 + (uint64_t)(*p - '0');
		if (ms > UINT64_C(100000000))
			return -ERANGE;
		p++;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			if (digits < 3) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				digits++;
			}
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	while (digits < 3) {
		frac *= 10;
		digits++;
	}
	*ret = ms * 1000 + frac;
	return 0;
}

static int apply_world(struct parser *p, const char *key, const char *v)
{
	if (strcmp(key, "name") == 0) {
		char *n = strdup(v);

		if (!n)
			return -ENOMEM;
		free(p->w->name);
		p->w->name = n;
		return 0;
	}
	if (strcmp(key, "base") == 0) {
		/* Handled before any other key: see load_text(). */
		if (strcmp(v, "empty") != 0 && strcmp(v, "default") != 0)
			return perr(p, key, -EINVAL, "'%s' is not 'empty' or 'default'", v);
		return 0;
	}
	if (strcmp(key, "hibernation") == 0) {
		if (parse_bool(v, &p->w->hibernation) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a boolean", v);
		return 0;
	}
	return perr(p, key, -EINVAL, "unknown key");
}

static int apply_cpus(struct parser *p, const char *key, const char *v)
{
	if (strcmp(key, "count") == 0) {
		uint32_t n;
		int r = parse_u32(v, HVSIM_MAX_CPUS, &n);

		if (r < 0 || n == 0)
			return perr(p, key, -EINVAL, "'%s' is not a CPU count (1-%d)", v, HVSIM_MAX_CPUS);
		p->w->n_cpus = n;
		/* A new count resets online to all and the nodes to one. */
		memset(&p->w->online, 0, sizeof(p->w->online));
		memset(p->w->nodes, 0, sizeof(p->w->nodes));
		p->w->n_nodes = 0;
		for (unsigned c = 0; c < n; c++)
			hvsim_cpuset_add(&p->w->online, c);
		return 0;
	}
	if (strcmp(key, "online") == 0) {
		int r = hvsim_cpulist_parse(v, p->w->n_cpus, &p->w->online);

		if (r == -ERANGE)
			return perr(p, key, r, "'%s' names a CPU >= count (%u)", v, p->w->n_cpus);
		if (r < 0)
			return perr(p, key, r, "'%s' is not a cpulist", v);
		if (!hvsim_cpuset_has(&p->w->online, 0))
			return perr(p, key, -EINVAL, "CPU 0 cannot be offline");
		return 0;
	}
	return perr(p, key, -EINVAL, "unknown key");
}

static int apply_numa(struct parser *p, const char *key, const char *v)
{
	uint32_t n;
	int r;

	if (strncmp(key, "node", 4) != 0 || parse_u32(key + 4, HVSIM_MAX_NODES - 1, &n) < 0)
		return perr(p, key, -EINVAL, "unknown key (expected nodeN, N < %d)", HVSIM_MAX_NODES);
	r = hvsim_cpulist_parse(v, p->w->n_cpus, &p->w->nodes[n]);
	if (r == -ERANGE)
		return perr(p, key, r, "'%s' names a CPU >= count (%u)", v, p->w->n_cpus);
	if (r < 0)
		return perr(p, key, r, "'%s' is not a cpulist", v);
	if (n + 1 > p->w->n_nodes)
		p->w->n_nodes = n + 1;
	return 0;
}

/* The uio_hv_generic keys: [kernel] uio_mask_on_interrupt, [device]
 * ring_size (bytes per direction, K/M suffixes, whole 4 KiB pages). */
static int apply_uio_key(struct parser *p, const char *key, const char *v)
{
	unsigned long n;
	const char *end;

	if (!p->dev) {
		if (parse_bool(v, &p->w->kernel.uio_mask_on_interrupt) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a boolean", v);
		return 0;
	}
	if (hvsim_parse_uint(v, &end, 16UL * 1024 * 1024, &n) < 0)
		return perr(p, key, -EINVAL, "'%s' is not a ring size (e.g. 16K, 20K, 2M)", v);
	if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0)
		n *= 1024;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0)
		n *= 1024 * 1024;
	else if (*end)
		return perr(p, key, -EINVAL, "'%s' is not a ring size (e.g. 16K, 20K, 2M)", v);
	if (n < 8192 || n > 16UL * 1024 * 1024 || n % 4096)
		return perr(p, key, -EINVAL, "'%s': a ring is whole 4 KiB pages, 8K to 16M per direction", v);
	p->dev->ring_size = (uint32_t)n;
	return 0;
}

static int apply_kernel(struct parser *p, const char *key, const char *v)
{
	static const struct {
		const char *key;
		size_t offset;
	} timeouts[] = {
		{ "kvp_timeout", offsetof(struct hvsim_kernel_config, kvp_timeout_ms) },
		{ "vss_timeout", offsetof(struct hvsim_kernel_config, vss_timeout_ms) },
		{ "vss_freeze_timeout", offsetof(struct hvsim_kernel_config, vss_freeze_timeout_ms) },
		{ "fcopy_timeout", offsetof(struct hvsim_kernel_config, fcopy_timeout_ms) },
		{ "device_delay", offsetof(struct hvsim_kernel_config, cdev_delay_ms) },
	};

	if (strcmp(key, "uio_mask_on_interrupt") == 0)
		return apply_uio_key(p, key, v);
	for (size_t i = 0; i < ELEMENTSOF(timeouts); i++) {
		uint64_t ms;

		if (strcmp(key, timeouts[i].key) != 0)
			continue;
		if (parse_seconds(v, &ms) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a number of seconds", v);
		if (ms == 0 && strcmp(key, "device_delay") != 0)
			return perr(p, key, -EINVAL, "a timeout must be > 0");
		*(uint64_t *)((char *)&p->w->kernel + timeouts[i].offset) = ms;
		return 0;
	}
	return perr(p, key, -EINVAL, "unknown key");
}

static int parse_subchannels(struct parser *p, const char *key, const char *v)
{
	struct hvsim_device *d = p->dev;
	const char *s = v;

	d->n_channels = 1;
	while (*s) {
		unsigned long relid, cpu;
		const char *e;

		while (isspace((unsigned char)*s) || *s == ',')
			s++;
		if (!*s)
			break;
		if (hvsim_parse_uint(s, &e, UINT32_MAX, &relid) < 0 || *e != ':' ||
		    hvsim_parse_uint(e + 1, &e, HVSIM_MAX_CPUS, &cpu) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a list of RELID:CPU pairs", v);
		if (d->n_channels >= HVSIM_MAX_CHANNELS)
			return perr(p, key, -E2BIG, "more than %d channels", HVSIM_MAX_CHANNELS - 1);
		d->channels[d->n_channels] = (struct hvsim_channel){
			.relid = (uint32_t)relid,
			.target_cpu = (uint32_t)cpu,
			.monitor_id = -1,
			.subchannel_id = (uint32_t)d->n_channels,
		};
		d->n_channels++;
		s = e;
		while (isspace((unsigned char)*s))
			s++;
		if (*s && *s != ',')
			return perr(p, key, -EINVAL, "'%s' is not a list of RELID:CPU pairs", v);
	}
	return 0;
}

static int apply_device(struct parser *p, const char *key, const char *v)
{
	struct hvsim_device *d = p->dev;
	uint32_t n;

	if (strcmp(key, "class") == 0) {
		const struct hvsim_class *c = hvsim_class_by_name(v);
		uint8_t g[16];

		if (c) {
			hvsim_guid_parse(c->proto->guid, d->class_guid);
		} else if (hvsim_guid_parse(v, g) == 0) {
			memcpy(d->class_guid, g, 16);
			c = hvsim_class_by_guid(g);
		} else {
			return perr(p, key, -EINVAL, "'%s' is neither a known class nor a GUID", v);
		}
		d->cls = c;
		return 0;
	}
	if (strcmp(key, "instance") == 0) {
		if (hvsim_guid_parse(v, d->instance_guid) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a GUID", v);
		return 0;
	}
	if (strcmp(key, "relid") == 0) {
		if (parse_u32(v, UINT32_MAX, &n) < 0 || n == 0)
			return perr(p, key, -EINVAL, "'%s' is not a relid (a number > 0)", v);
		d->channels[0].relid = n;
		return 0;
	}
	if (strcmp(key, "cpu") == 0) {
		if (parse_u32(v, HVSIM_MAX_CPUS - 1, &n) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a CPU number", v);
		d->channels[0].target_cpu = n;
		return 0;
	}
	if (strcmp(key, "monitor_id") == 0) {
		if (strcmp(v, "none") == 0) {
			d->channels[0].monitor_id = -1;
			return 0;
		}
		if (parse_u32(v, 255, &n) < 0)
			return perr(p, key, -EINVAL, "'%s' is not a monitor id (0-255 or none)", v);
		d->channels[0].monitor_id = (int32_t)n;
		return 0;
	}
	if (strcmp(key, "subchannels") == 0)
		return parse_subchannels(p, key, v);
	if (strcmp(key, "ring_size") == 0)
		return apply_uio_key(p, key, v);
	if (strcmp(key, "driver") == 0) {
		char *s = NULL;

		if (strcmp(v, "none") != 0 && strcmp(v, "") != 0) {
			for (const char *c = v; *c; c++)
				if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
					return perr(p, key, -EINVAL, "'%s' is not a driver name", v);
			s = strdup(v);
			if (!s)
				return -ENOMEM;
		}
		free(d->driver);
		d->driver = s;
		return 0;
	}
	return perr(p, key, -EINVAL, "unknown key");
}

/* Opens [device NAME]: an existing device of that name (from the base
 * world) is edited, else a new one is added. */
static int open_device_section(struct parser *p, const char *name)
{
	size_t i;

	if (!*name)
		return perr(p, NULL, -EINVAL, "a device section needs a name: [device NAME]");
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
			return perr(p, NULL, -EINVAL, "'%s' is not a device name", name);
	for (i = 0; i < p->w->n_devices; i++)
		if (strcmp(p->w->devices[i]->name, name) == 0)
			break;
	if (i < p->w->n_devices) {
		if (p->seen_device[i])
			return perr(p, NULL, -EEXIST, "device '%s' is declared twice", name);
		p->dev = p->w->devices[i];
	} else {
		p->dev = hvsim_world_add_device(p->w, name);
		if (!p->dev)
			return perr(p, NULL, -E2BIG, "too many devices");
	}
	p->dev->line = p->line;
	p->seen_device[i] = true;
	return 0;
}

/* [root] and [filesystem NAME]: vss-spec.c. */
static int vss_section(struct parser *p)
{
	_cleanup_free_ char *msg = NULL;
	int r;

	r = hvsim_vss_spec_section(&p->w->vss, p->section, p->line, &msg);
	if (r < 0)
		return perr(p, NULL, r, "%s", msg ? msg : hv_strerror(r));
	return 0;
}

static int vss_apply(struct parser *p, const char *key, const char *v)
{
	_cleanup_free_ char *msg = NULL;
	int r;

	r = hvsim_vss_spec_apply(p->w->vss, p->section, key, v, &msg);
	if (r < 0)
		return perr(p, key, r, "%s", msg ? msg : hv_strerror(r));
	return 0;
}

static int vss_validate(struct parser *p)
{
	struct hvsim_vss_spec_error e;
	int r;

	r = hvsim_vss_spec_validate(p->w->vss, &e);
	if (r < 0) {
		snprintf(p->section, sizeof(p->section), "%.*s", (int)sizeof(p->section) - 1, e.section);
		p->line = e.line;
		r = perr(p, e.key, r, "%s", e.msg ? e.msg : hv_strerror(r));
		free(e.msg);
	}
	return r;
}

static int apply(struct parser *p, const char *key, const char *v)
{
	if (strcmp(p->section, "world") == 0)
		return apply_world(p, key, v);
	if (strcmp(p->section, "cpus") == 0)
		return apply_cpus(p, key, v);
	if (strcmp(p->section, "numa") == 0)
		return apply_numa(p, key, v);
	if (strcmp(p->section, "kernel") == 0)
		return apply_kernel(p, key, v);
	if (hvsim_vss_spec_is_section(p->section))
		return vss_apply(p, key, v);
	if (p->dev) {
		if (strcmp(key, "remove") == 0) {
			bool b;

			if (parse_bool(v, &b) < 0)
				return perr(p, key, -EINVAL, "'%s' is not a boolean", v);
			/* Marked here, removed after parsing. */
			if (b) {
				free(p->dev->name);
				p->dev->name = strdup("");
				if (!p->dev->name)
					return -ENOMEM;
			}
			return 0;
		}
		return apply_device(p, key, v);
	}
	return perr(p, key, -EINVAL, "key outside of a section");
}

static char *next_line(char **cursor)
{
	char *s = *cursor, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, '\n');
	if (e) {
		*e = '\0';
		*cursor = e + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

/* The value of [world] base, looked up before parsing proper. */
static const char *find_base(char *text_copy)
{
	char *cursor = text_copy, *line;
	bool in_world = false;

	while ((line = next_line(&cursor))) {
		char *s = strip(line), *eq;

		if (*s == '[') {
			char *e = strchr(s, ']');

			if (e)
				*e = '\0';
			in_world = strcmp(strip(s + 1), "world") == 0;
			continue;
		}
		eq = strchr(s, '=');
		if (in_world && eq) {
			*eq = '\0';
			if (strcmp(strip(s), "base") == 0)
				return strip(eq + 1);
		}
	}
	return NULL;
}

static int validate(struct parser *p)
{
	struct hvsim_world *w = p->w;
	struct hvsim_cpuset all = {};

	p->line = 0;
	if (w->n_cpus == 0)
		return perr(p, NULL, -EINVAL, "[cpus] count is missing");
	if (w->n_nodes == 0) {
		w->n_nodes = 1;
		for (unsigned c = 0; c < w->n_cpus; c++)
			hvsim_cpuset_add(&w->nodes[0], c);
	}
	snprintf(p->section, sizeof(p->section), "numa");
	for (unsigned n = 0; n < w->n_nodes; n++)
		for (unsigned c = 0; c < w->n_cpus; c++)
			if (hvsim_cpuset_has(&w->nodes[n], c)) {
				if (hvsim_cpuset_has(&all, c))
					return perr(p, NULL, -EINVAL, "CPU %u is in two nodes", c);
				hvsim_cpuset_add(&all, c);
			}
	for (unsigned c = 0; c < w->n_cpus; c++)
		if (!hvsim_cpuset_has(&all, c))
			return perr(p, NULL, -EINVAL, "CPU %u is in no node", c);

	for (size_t i = 0; i < w->n_devices;) {
		if (w->devices[i]->name[0] == '\0')
			hvsim_world_remove_device(w, i);
		else
			i++;
	}

	for (size_t i = 0; i < w->n_devices; i++) {
		struct hvsim_device *d = w->devices[i];
		static const uint8_t zero[16];

		if (snprintf(p->section, sizeof(p->section), "device %s", d->name) >= (int)sizeof(p->section))
			p->section[sizeof(p->section) - 1] = '\0';
		p->line = d->line;
		if (!d->cls && memcmp(d->class_guid, zero, 16) == 0)
			return perr(p, "class", -EINVAL, "missing");
		if (memcmp(d->instance_guid, zero, 16) == 0)
			return perr(p, "instance", -EINVAL, "missing");
		if (d->channels[0].relid == 0)
			return perr(p, "relid", -EINVAL, "missing");
		for (size_t c = 0; c < d->n_channels; c++) {
			const struct hvsim_channel *ch = &d->channels[c];
			const char *key = c == 0 ? "cpu" : "subchannels";

			if (ch->target_cpu >= w->n_cpus)
				return perr(p, key, -EINVAL, "CPU %u does not exist (count = %u)",
					    ch->target_cpu, w->n_cpus);
			if (!hvsim_cpuset_has(&w->online, ch->target_cpu))
				return perr(p, key, -EINVAL, "CPU %u is offline", ch->target_cpu);
			for (size_t j = 0; j <= i; j++) {
				const struct hvsim_device *o = w->devices[j];

				for (size_t k = 0; k < o->n_channels; k++) {
					if (j == i && k >= c)
						break;
					if (o->channels[k].relid == ch->relid)
						return perr(p, c == 0 ? "relid" : "subchannels", -EEXIST,
							    "relid %u is already used by device '%s'",
							    ch->relid, o->name);
				}
			}
		}
		for (size_t j = 0; j < i; j++)
			if (memcmp(w->devices[j]->instance_guid, d->instance_guid, 16) == 0)
				return perr(p, "instance", -EEXIST, "already used by device '%s'",
					    w->devices[j]->name);
		if (d->cls && d->cls->util && d->driver && strcmp(d->driver, "hv_utils") != 0 &&
		    strcmp(d->driver, "uio_hv_generic") != 0)
			return perr(p, "driver", -EINVAL,
				    "'%s' cannot drive a util device (hv_utils, uio_hv_generic or none)",
				    d->driver);
		if (d->ring_size && (!d->driver || strcmp(d->driver, "uio_hv_generic") != 0))
			return perr(p, "ring_size", -EINVAL, "only a device bound to uio_hv_generic has a ring file");
		if (d->cls && d->cls->cdev != _HVSIM_CDEV_INVALID) {
			for (size_t j = 0; j < i; j++)
				if (hvsim_device_cdev(w->devices[j]) != _HVSIM_CDEV_INVALID &&
				    hvsim_device_cdev(w->devices[j]) == hvsim_device_cdev(d))
					return perr(p, "driver", -EEXIST,
						    "a second %s device bound to hv_utils",
						    hvsim_cdev_kind_to_string(d->cls->cdev));
		}
	}
	return 0;
}

/* Defaults a new device section did not set: the class's driver. */
static int finish_device_defaults(struct hvsim_world *w, const bool *had_driver_key)
{
	for (size_t i = 0; i < w->n_devices; i++) {
		struct hvsim_device *d = w->devices[i];

		if (had_driver_key[i] || d->driver || !d->cls || !d->cls->driver)
			continue;
		d->driver = strdup(d->cls->driver);
		if (!d->driver)
			return -ENOMEM;
	}
	return 0;
}

static int load_text(const char *text, const char *name, struct hvsim_world **ret, char **ret_error)
{
	_cleanup_(hvsim_world_freep) struct hvsim_world *w = NULL;
	_cleanup_free_ char *copy = NULL, *copy2 = NULL;
	struct parser p = { .file = name };
	bool had_driver_key[HVSIM_MAX_DEVICES] = {};
	size_t n_base = 0;
	const char *base;
	char *cursor, *line;
	int r = 0;

	copy = strdup(text);
	copy2 = strdup(text);
	if (!copy || !copy2)
		return -ENOMEM;

	base = find_base(copy2);
	if (base && strcmp(base, "default") == 0) {
		r = hvsim_world_new_default(&w);
		if (r < 0)
			return r;
		n_base = w->n_devices;
	} else {
		w = hvsim_world_new_empty();
		if (!w)
			return -ENOMEM;
	}
	p.w = w;

	cursor = copy;
	while ((line = next_line(&cursor))) {
		char *s, *eq, *key, *value;

		p.line++;
		/* Comments: whole lines, or " ;"/" #" after a value. */
		for (char *c = line; *c; c++)
			if ((*c == ';' || *c == '#') && (c == line || isspace((unsigned char)c[-1]))) {
				*c = '\0';
				break;
			}
		s = strip(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			p.dev = NULL;
			if (!e || strip(e + 1)[0]) {
				r = perr(&p, NULL, -EINVAL, "malformed section header");
				break;
			}
			*e = '\0';
			snprintf(p.section, sizeof(p.section), "%s", strip(s + 1));
			if (strncmp(p.section, "device", 6) == 0 &&
			    (p.section[6] == ' ' || p.section[6] == '\t' || p.section[6] == '\0')) {
				char dname[128];
				size_t l = strnlen(p.section + 6, sizeof(dname) - 1);

				memcpy(dname, p.section + 6, l);
				dname[l] = '\0';
				if (snprintf(p.section, sizeof(p.section), "device %s", strip(dname)) >=
				    (int)sizeof(p.section)) {
					r = perr(&p, NULL, -EINVAL, "device name too long");
					break;
				}
				r = open_device_section(&p, strip(dname));
				if (r < 0)
					break;
				continue;
			}
			if (hvsim_vss_spec_is_section(p.section)) {
				r = vss_section(&p);
				if (r < 0)
					break;
				continue;
			}
			if (strcmp(p.section, "world") != 0 && strcmp(p.section, "cpus") != 0 &&
			    strcmp(p.section, "numa") != 0 && strcmp(p.section, "kernel") != 0) {
				r = perr(&p, NULL, -EINVAL, "unknown section");
				break;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			r = perr(&p, NULL, -EINVAL, "'%s' is not KEY = VALUE", s);
			break;
		}
		*eq = '\0';
		key = strip(s);
		value = strip(eq + 1);
		if (!p.section[0]) {
			r = perr(&p, key, -EINVAL, "key outside of a section");
			break;
		}
		if (p.dev && strcmp(key, "driver") == 0) {
			for (size_t i = 0; i < w->n_devices; i++)
				if (w->devices[i] == p.dev)
					had_driver_key[i] = true;
		}
		r = apply(&p, key, value);
		if (r < 0)
			break;
	}
	/* Devices of the base world keep their drivers (none stays none). */
	for (size_t i = 0; i < n_base; i++)
		had_driver_key[i] = true;
	if (r >= 0)
		r = finish_device_defaults(w, had_driver_key);
	if (r >= 0) {
		p.section[0] = '\0';
		r = validate(&p);
	}
	if (r >= 0)
		r = vss_validate(&p);
	if (r < 0) {
		if (ret_error) {
			*ret_error = p.error;
			p.error = NULL;
		}
		free(p.error);
		return r;
	}
	free(p.error);
	if (!w->name) {
		w->name = strdup("unnamed");
		if (!w->name)
			return -ENOMEM;
	}
	free(w->source);
	w->source = strdup(name);
	if (!w->source)
		return -ENOMEM;
	*ret = TAKE_PTR(w);
	return 0;
}

int hvsim_world_load_string(const char *text, const char *name, struct hvsim_world **ret,
			    char **ret_error)
{
	return load_text(text, name, ret, ret_error);
}

int hvsim_world_load(const char *path, struct hvsim_world **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = hv_read_text_file(path, 1024 * 1024, &text);
	if (r < 0) {
		if (ret_error && asprintf(ret_error, "%s: %s", path, hv_strerror(r)) < 0)
			*ret_error = NULL;
		return r;
	}
	return load_text(text, path, ret, ret_error);
}
