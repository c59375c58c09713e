/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The [root] and [filesystem NAME] sections of world files (see
 * vss-world.h and man hvsim(1), VSS WORLDS).  world-file.c reads the lines
 * and hands these sections' keys here; messages name only the problem,
 * world-file.c adds file, line, section and key.
 *
 * Defaults and minimum sizes follow what mkfs accepts: mkfs.xfs (since
 * xfsprogs 5.19) refuses file systems below 300 MiB, mkfs.btrfs devices
 * below 109 MiB.  zram allocates memory only for what is written, so the
 * sizes cost little.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hvutil.h"
#include "vss-world.h"

#define MIB (UINT64_C(1) << 20)
#define MAX_SIZE (UINT64_C(64) << 30)
#define MAX_PATH_LEN 200

static const char *const hvsim_fs_type_table[_HVSIM_FS_TYPE_MAX] = {
	[HVSIM_FS_EXT4] = "ext4",
	[HVSIM_FS_XFS] = "xfs",
	[HVSIM_FS_BTRFS] = "btrfs",
};
HV_DEFINE_STRING_TABLE_LOOKUP(hvsim_fs_type, enum hvsim_fs_type);

static const struct {
	uint64_t dflt, min;
} fs_sizes[_HVSIM_FS_TYPE_MAX] = {
	[HVSIM_FS_EXT4] = { 64 * MIB, 2 * MIB },
	[HVSIM_FS_XFS] = { 320 * MIB, 300 * MIB },
	[HVSIM_FS_BTRFS] = { 128 * MIB, 109 * MIB },
};
#define LOOP_DEFAULT_SIZE (32 * MIB)

static int fail(char **ret_msg, int r, const char *fmt, ...) _printf_(3, 4);

static int fail(char **ret_msg, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_msg, fmt, ap) < 0)
		*ret_msg = NULL;
	va_end(ap);
	return r;
}

int hvsim_parse_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default:
		return -EINVAL;
	}
	/* "64M" and "64MiB" both read naturally. */
	if (shift && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = (uint64_t)v << shift;
	return 0;
}

static void fs_free(struct hvsim_vss_fs *fs)
{
	if (!fs)
		return;
	free(fs->name);
	free(fs->backing);
	free(fs->image);
	free(fs->mountpoint);
	free(fs->options);
	for (size_t i = 0; i < fs->n_subvolumes; i++)
		free(fs->subvolumes[i]);
	free(fs->subvolumes);
	for (size_t i = 0; i < fs->n_binds; i++) {
		free(fs->binds[i].subdir);
		free(fs->binds[i].target);
	}
	free(fs->binds);
	free(fs);
}

struct hvsim_vss_spec *hvsim_vss_spec_free(struct hvsim_vss_spec *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_install; i++)
		free(s->install[i]);
	free(s->install);
	for (size_t i = 0; i < s->n_fs; i++)
		fs_free(s->fs[i]);
	free(s);
	return NULL;
}

/* "filesystem NAME" -> NAME (NULL for "root"). */
static const char *fs_name_of(const char *header)
{
	if (strncmp(header, "filesystem", 10) != 0)
		return NULL;
	header += 10;
	while (*header == ' ' || *header == '\t')
		header++;
	return header;
}

bool hvsim_vss_spec_is_section(const char *header)
{
	return strcmp(header, "root") == 0 ||
	       (strncmp(header, "filesystem", 10) == 0 &&
		(header[10] == '\0' || header[10] == ' ' || header[10] == '\t'));
}

static struct hvsim_vss_fs *find_fs(const struct hvsim_vss_spec *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_fs; i++)
		if (strcmp(s->fs[i]->name, name) == 0)
			return s->fs[i];
	return NULL;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* Path characters we accept: no spaces (lists are space-separated), no
 * ':' (bind's separator), no ',' or '\\' (mount options, mountinfo
 * escapes). */
static bool path_char_ok(char c)
{
	return isgraph((unsigned char)c) && c != ':' && c != ',' && c != '\\';
}

/* An absolute path in normal form: "/a/b", no "//", ".", ".." or
 * trailing "/"; or with relative, the same without the leading "/". */
static bool valid_path(const char *s, bool relative)
{
	const char *p = s;

	if (!*s || strlen(s) > MAX_PATH_LEN)
		return false;
	if (relative == (*s == '/'))
		return false;
	if (strcmp(s, "/") == 0)
		return true; /* checked where "/" would not do */
	if (!relative)
		p++;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < len; i++)
			if (!path_char_ok(p[i]))
				return false;
		if (!e)
			return true;
		p = e + 1;
	}
}

int hvsim_vss_spec_section(struct hvsim_vss_spec **spec, const char *header, unsigned line, char **ret_msg)
{
	const char *name = fs_name_of(header);
	struct hvsim_vss_fs *fs;

	if (!*spec) {
		*spec = calloc(1, sizeof(**spec));
		if (!*spec)
			return -ENOMEM;
	}
	if (!name) {
		if ((*spec)->root_line == 0)
			(*spec)->root_line = line;
		return 0;
	}
	if (!*name)
		return fail(ret_msg, -EINVAL, "a file system section needs a name: [filesystem NAME]");
	if (!valid_name(name))
		return fail(ret_msg, -EINVAL, "'%s' is not a file system name (letters, digits, - and _, at most 32)",
			    name);
	fs = find_fs(*spec, name);
	if (fs)
		return fail(ret_msg, -EEXIST, "already defined at line %u", fs->line);
	if ((*spec)->n_fs >= HVSIM_VSS_MAX_FS)
		return fail(ret_msg, -E2BIG, "more than %d file systems", HVSIM_VSS_MAX_FS);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->name = strdup(name);
	if (!fs->name) {
		free(fs);
		return -ENOMEM;
	}
	fs->line = line;
	fs->type = _HVSIM_FS_TYPE_INVALID;
	(*spec)->fs[(*spec)->n_fs++] = fs;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0 ||
	    strcmp(v, "1") == 0) {
		*ret = true;
		return 0;
	}
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0 ||
	    strcmp(v, "0") == 0) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

/* Calls add(item) for each space-separated word of v. */
static int each_word(const char *v, int (*add)(void *ctx, const char *w, char **ret_msg), void *ctx,
		     char **ret_msg)
{
	_cleanup_free_ char *copy = strdup(v);
	char *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		r = add(ctx, w, ret_msg);
		if (r < 0)
			return r;
	}
	return 0;
}

static int push_str(char ***list, size_t *n, const char *s)
{
	char **l;

	if (*n >= HVSIM_VSS_MAX_LIST)
		return -E2BIG;
	l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	*list = l;
	l[*n] = strdup(s);
	if (!l[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int add_install(void *ctx, const char *w, char **ret_msg)
{
	struct hvsim_vss_spec *s = ctx;
	int r;

	if (w[0] == '/' ? !valid_path(w, false) || strcmp(w, "/") == 0 : (strchr(w, '/') || !path_char_ok(w[0])))
		return fail(ret_msg, -EINVAL, "'%s' is not an absolute path or a program name", w);
	r = push_str(&s->install, &s->n_install, w);
	if (r == -E2BIG)
		return fail(ret_msg, r, "more than %d programs", HVSIM_VSS_MAX_LIST);
	return r;
}

static int add_subvolume(void *ctx, const char *w, char **ret_msg)
{
	struct hvsim_vss_fs *fs = ctx;
	int r;

	if (!valid_path(w, true) || strchr(w, '/'))
		return fail(ret_msg, -EINVAL, "'%s' is not a subvolume name", w);
	for (size_t i = 0; i < fs->n_subvolumes; i++)
		if (strcmp(fs->subvolumes[i], w) == 0)
			return fail(ret_msg, -EEXIST, "'%s' twice", w);
	r = push_str(&fs->subvolumes, &fs->n_subvolumes, w);
	if (r == -E2BIG)
		return fail(ret_msg, r, "more than %d subvolumes", HVSIM_VSS_MAX_LIST);
	return r;
}

static int add_bind(void *ctx, const char *w, char **ret_msg)
{
	struct hvsim_vss_fs *fs = ctx;
	_cleanup_free_ char *subdir = NULL, *target = NULL;
	const char *colon = strchr(w, ':');
	struct hvsim_vss_bind *b;

	if (colon) {
		subdir = strndup(w, (size_t)(colon - w));
		target = strdup(colon + 1);
	} else {
		target = strdup(w);
	}
	if (!target || (colon && !subdir))
		return -ENOMEM;
	if (subdir && !valid_path(subdir, true))
		return fail(ret_msg, -EINVAL, "'%s': '%s' is not a relative path in the file system", w, subdir);
	if (!valid_path(target, false))
		return fail(ret_msg, -EINVAL, "'%s': '%s' is not an absolute path in normal form", w, target);
	if (fs->n_binds >= HVSIM_VSS_MAX_LIST)
		return fail(ret_msg, -E2BIG, "more than %d binds", HVSIM_VSS_MAX_LIST);
	b = realloc(fs->binds, (fs->n_binds + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	fs->binds = b;
	b[fs->n_binds].subdir = TAKE_PTR(subdir);
	b[fs->n_binds].target = TAKE_PTR(target);
	fs->n_binds++;
	return 0;
}

static int replace_str(char **field, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int apply_root(struct hvsim_vss_spec *s, const char *key, const char *v, char **ret_msg)
{
	if (strcmp(key, "own") == 0) {
		if (parse_bool(v, &s->own_root) < 0)
			return fail(ret_msg, -EINVAL, "'%s' is not a boolean", v);
		return 0;
	}
	if (strcmp(key, "install") == 0)
		return each_word(v, add_install, s, ret_msg);
	return fail(ret_msg, -EINVAL, "unknown key (own, install)");
}

static int apply_loop_file(struct hvsim_vss_fs *fs, const char *v, char **ret_msg)
{
	const char *colon = strchr(v, ':');
	_cleanup_free_ char *backing = NULL;

	if (!colon)
		return fail(ret_msg, -EINVAL, "'%s' is not FILESYSTEM:/PATH", v);
	backing = strndup(v, (size_t)(colon - v));
	if (!backing)
		return -ENOMEM;
	if (!valid_name(backing))
		return fail(ret_msg, -EINVAL, "'%s' is not a file system name", backing);
	if (!valid_path(colon + 1, false) || strcmp(colon + 1, "/") == 0)
		return fail(ret_msg, -EINVAL, "'%s' is not an absolute file path in normal form", colon + 1);
	if (replace_str(&fs->image, colon + 1) < 0)
		return -ENOMEM;
	free(fs->backing);
	fs->backing = TAKE_PTR(backing);
	return 0;
}

static int apply_fs(struct hvsim_vss_fs *fs, const char *key, const char *v, char **ret_msg)
{
	if (strcmp(key, "type") == 0) {
		fs->type = hvsim_fs_type_from_string(v);
		if (fs->type < 0)
			return fail(ret_msg, -EINVAL, "'%s' is not ext4, xfs or btrfs", v);
		return 0;
	}
	if (strcmp(key, "size") == 0) {
		int r = hvsim_parse_size(v, &fs->size);

		if (r < 0 || fs->size == 0)
			return fail(ret_msg, -EINVAL, "'%s' is not a size (bytes, or with K, M, G)", v);
		if (fs->size > MAX_SIZE)
			return fail(ret_msg, -ERANGE, "'%s' is more than 64G", v);
		return 0;
	}
	if (strcmp(key, "loop_file") == 0)
		return apply_loop_file(fs, v, ret_msg);
	if (strcmp(key, "mountpoint") == 0) {
		if (!valid_path(v, false))
			return fail(ret_msg, -EINVAL, "'%s' is not an absolute path in normal form", v);
		return replace_str(&fs->mountpoint, v);
	}
	if (strcmp(key, "options") == 0) {
		for (const char *c = v; *c; c++)
			if (!isgraph((unsigned char)*c))
				return fail(ret_msg, -EINVAL, "options are one comma-separated word");
		return replace_str(&fs->options, v);
	}
	if (strcmp(key, "read_only") == 0) {
		if (parse_bool(v, &fs->read_only) < 0)
			return fail(ret_msg, -EINVAL, "'%s' is not a boolean", v);
		return 0;
	}
	if (strcmp(key, "subvolumes") == 0)
		return each_word(v, add_subvolume, fs, ret_msg);
	if (strcmp(key, "bind") == 0)
		return each_word(v, add_bind, fs, ret_msg);
	return fail(ret_msg, -EINVAL,
		    "unknown key (type, size, loop_file, mountpoint, options, read_only, subvolumes, bind)");
}

int hvsim_vss_spec_apply(struct hvsim_vss_spec *spec, const char *header, const char *key, const char *value,
			 char **ret_msg)
{
	const char *name = fs_name_of(header);
	struct hvsim_vss_fs *fs;

	if (!spec)
		return -EINVAL;
	if (!name)
		return apply_root(spec, key, value, ret_msg);
	fs = find_fs(spec, name);
	if (!fs)
		return -EINVAL;
	return apply_fs(fs, key, value, ret_msg);
}

/* ---- validation ---------------------------------------------------------------- */

static int verr(struct hvsim_vss_spec_error *e, const struct hvsim_vss_fs *fs, unsigned root_line, const char *key,
		int r, const char *fmt, ...) _printf_(6, 7);

static int verr(struct hvsim_vss_spec_error *e, const struct hvsim_vss_fs *fs, unsigned root_line, const char *key,
		int r, const char *fmt, ...)
{
	va_list ap;

	if (fs) {
		snprintf(e->section, sizeof(e->section), "filesystem %s", fs->name);
		e->line = fs->line;
	} else {
		snprintf(e->section, sizeof(e->section), "root");
		e->line = root_line;
	}
	e->key = key;
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	va_end(ap);
	return r;
}

/* Paths the world itself mounts or needs as they are. */
static bool reserved_mountpoint(const char *p)
{
	static const char *const reserved[] = { "/proc", "/sys", "/dev" };

	if (strcmp(p, "/") == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
		size_t l = strlen(reserved[i]);

		if (strncmp(p, reserved[i], l) == 0 && (p[l] == '\0' || p[l] == '/'))
			return true;
	}
	return false;
}

/* Which file system already mounts something on target: an earlier one
 * (mount point or binds), or fs_index itself (its mount point when
 * checking a bind, and its binds before bind upto). */
static const char *target_owner(const struct hvsim_vss_spec *s, size_t fs_index, bool is_bind, size_t upto,
				const char *target)
{
	for (size_t i = 0; i <= fs_index; i++) {
		const struct hvsim_vss_fs *o = s->fs[i];
		size_t nb = i == fs_index ? upto : o->n_binds;

		if ((i < fs_index || is_bind) && o->mountpoint && strcmp(o->mountpoint, target) == 0)
			return o->name;
		for (size_t b = 0; b < nb; b++)
			if (strcmp(o->binds[b].target, target) == 0)
				return o->name;
	}
	return NULL;
}

static int validate_fs(struct hvsim_vss_spec *s, size_t i, struct hvsim_vss_spec_error *e)
{
	struct hvsim_vss_fs *fs = s->fs[i];
	const char *owner;

	if (fs->type < 0)
		return verr(e, fs, 0, "type", -EINVAL, "missing (ext4, xfs or btrfs)");
	if (!fs->mountpoint)
		return verr(e, fs, 0, "mountpoint", -EINVAL, "missing");
	if (reserved_mountpoint(fs->mountpoint))
		return verr(e, fs, 0, "mountpoint", -EINVAL, "'%s' is the world's own (/, /proc, /sys, /dev)",
			    fs->mountpoint);
	owner = target_owner(s, i, false, 0, fs->mountpoint);
	if (owner)
		return verr(e, fs, 0, "mountpoint", -EEXIST, "'%s' is already a mount point of [filesystem %s]",
			    fs->mountpoint, owner);
	for (size_t b = 0; b < fs->n_binds; b++) {
		if (reserved_mountpoint(fs->binds[b].target))
			return verr(e, fs, 0, "bind", -EINVAL, "'%s' is the world's own (/, /proc, /sys, /dev)",
				    fs->binds[b].target);
		owner = target_owner(s, i, true, b, fs->binds[b].target);
		if (owner)
			return verr(e, fs, 0, "bind", -EEXIST, "'%s' is already a mount point of [filesystem %s]",
				    fs->binds[b].target, owner);
	}
	if (fs->n_subvolumes > 0 && fs->type != HVSIM_FS_BTRFS)
		return verr(e, fs, 0, "subvolumes", -EINVAL, "only btrfs has subvolumes");
	if (fs->backing) {
		const struct hvsim_vss_fs *b = find_fs(s, fs->backing);

		if (!b)
			return verr(e, fs, 0, "loop_file", -ENOENT, "no [filesystem %s]", fs->backing);
		if (b == fs)
			return verr(e, fs, 0, "loop_file", -EINVAL, "an image cannot live on its own file system");
		if (b->backing)
			return verr(e, fs, 0, "loop_file", -EINVAL,
				    "[filesystem %s] is itself on a loop device; images live on zram file systems",
				    b->name);
		if (b->read_only)
			return verr(e, fs, 0, "loop_file", -EINVAL, "[filesystem %s] is read-only", b->name);
	}
	if (fs->size == 0)
		fs->size = fs->backing ? LOOP_DEFAULT_SIZE : fs_sizes[fs->type].dflt;
	if (fs->size < fs_sizes[fs->type].min)
		return verr(e, fs, 0, "size", -EINVAL, "%s needs at least %" PRIu64 "M", hvsim_fs_type_to_string(fs->type),
			    fs_sizes[fs->type].min / MIB);
	return 0;
}

int hvsim_vss_spec_validate(struct hvsim_vss_spec *s, struct hvsim_vss_spec_error *e)
{
	int r;

	*e = (struct hvsim_vss_spec_error){};
	if (!s)
		return 0;
	if (!s->own_root && s->n_install > 0)
		return verr(e, NULL, s->root_line, "install", -EINVAL,
			    "programs are copied only into a root of the world's own (own = yes)");
	if (!s->own_root && s->n_fs > 0)
		return verr(e, s->fs[0], 0, NULL, -EINVAL,
			    "test file systems need a root of the world's own: [root] own = yes");
	for (size_t i = 0; i < s->n_fs; i++) {
		r = validate_fs(s, i, e);
		if (r < 0)
			return r;
	}
	return 0;
}

void hvsim_vss_spec_print(const struct hvsim_vss_spec *s, FILE *f)
{
	if (!s || !s->own_root)
		return;
	fprintf(f, "root own");
	for (size_t i = 0; i < s->n_install; i++)
		fprintf(f, " %s", s->install[i]);
	fputc('\n', f);
	for (size_t i = 0; i < s->n_fs; i++) {
		const struct hvsim_vss_fs *fs = s->fs[i];

		fprintf(f, "filesystem %s %s size %" PRIu64 "M", fs->name, hvsim_fs_type_to_string(fs->type),
			fs->size / MIB);
		if (fs->backing)
			fprintf(f, " loop %s:%s", fs->backing, fs->image);
		else
			fprintf(f, " zram");
		fprintf(f, " mountpoint %s%s", fs->mountpoint, fs->read_only ? " read-only" : "");
		if (fs->options)
			fprintf(f, " options %s", fs->options);
		for (size_t j = 0; j < fs->n_subvolumes; j++)
			fprintf(f, " subvolume %s", fs->subvolumes[j]);
		for (size_t j = 0; j < fs->n_binds; j++)
			fprintf(f, " bind %s%s%s", fs->binds[j].subdir ? fs->binds[j].subdir : "",
				fs->binds[j].subdir ? ":" : "", fs->binds[j].target);
		fputc('\n', f);
	}
}
