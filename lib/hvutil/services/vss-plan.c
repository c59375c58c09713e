/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The freeze planner; the policy is in vss-plan.h.  Layout: the pure
 * planner (classify each mount, pick one mount per superblock, order the
 * picks), then the system facts read through the path context.
 *
 * Why each rule:
 *  - FIFREEZE acts on a superblock, whatever mount it is reached through,
 *    so freezing a file system twice is at best an EBUSY and at worst a
 *    confusing timeline: one entry per superblock (mountinfo major:minor).
 *  - A file system on a loop device writes its blocks into a file on
 *    another file system.  If that one is frozen first, the loop device's
 *    writes block, and freezing the inner file system (which syncs) never
 *    returns.  So the inner one goes first.
 *  - "/" goes last (as late as the loop rule allows) so that everything
 *    the freezer touches on the way stays writable as long as possible.
 *  - The reason for each skip is spelled out so `hvctl vss plan` explains
 *    itself; the precedence is: the file system's kind (network, FUSE,
 *    overlay, vfat, no block device), then an exclusion glob, then
 *    read-only, then "duplicate".  When a superblock is frozen through one
 *    mount, all its other non-type-skipped mounts are "duplicate", even
 *    read-only or excluded ones, because their data is frozen all the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/errno-util.h"
#include "base/macros.h"
#include "base/mountinfo.h"
#include "base/path.h"
#include "base/string-table.h"
#include "services/vss-plan.h"

#define NONE SIZE_MAX
/* /proc/self/mountinfo of a busy container host runs to megabytes. */
#define MOUNTINFO_MAX (16u * 1024 * 1024)
/* dm on loop on a partition on dm ...: deeper than this is a loop. */
#define STACK_MAX_DEPTH 16

static const char *const hv_vss_skip_table[_HV_VSS_SKIP_MAX] = {
	[HV_VSS_SKIP_NONE] = "frozen",
	[HV_VSS_SKIP_READ_ONLY] = "read-only",
	[HV_VSS_SKIP_NO_BLOCK_DEVICE] = "no-block-device",
	[HV_VSS_SKIP_NETWORK] = "network",
	[HV_VSS_SKIP_FUSE] = "fuse",
	[HV_VSS_SKIP_OVERLAY] = "overlay",
	[HV_VSS_SKIP_VFAT] = "vfat",
	[HV_VSS_SKIP_EXCLUDED] = "excluded",
	[HV_VSS_SKIP_DUPLICATE] = "duplicate",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_vss_skip, enum hv_vss_skip);

/* Kernel file systems whose data lives on another machine. */
static const char *const network_types[] = {
	"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs",
	"ncpfs", "ncp", "lustre", "gpfs", "coda", "orangefs", "pvfs2", "beegfs",
};

/* FUSE subtypes (fuse.<name>) whose data lives on another machine. */
static const char *const network_fuse_types[] = {
	"sshfs", "glusterfs", "ceph-fuse", "cephfs", "s3fs", "rclone", "gcsfuse", "blobfuse",
	"blobfuse2", "goofys", "juicefs", "davfs", "davfs2", "curlftpfs", "lizardfs", "moosefs",
	"mfs", "seaweedfs", "smbnetfs", "afpfs",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Distinct file system types in one table stay few; more are just asked again. */
#define NODEV_CACHE 32

struct planner {
	const struct hv_vss_plan_facts *facts;
	char *const *exclude;
	const struct hv_mountinfo *mi;
	struct hv_vss_plan *plan;
	size_t n;
	size_t *by_dev;         /* entry indexes sorted by (major, minor, index) */
	size_t *group_start;    /* per entry: its first position in by_dev */
	size_t *winner;         /* per entry: the planned entry of its superblock, or NONE */
	const char **excluded;  /* per entry: the glob it matches, or NULL */
	bool *hidden;           /* per entry: covered by a later mount at the same path */
	int *is_dir;            /* per entry: 1, 0, < 0 unknown (asked lazily) */
	size_t *edge;           /* per planned entry: the planned entry it must precede */
	struct {
		const char *fstype;
		int nodev;
	} nodev_cache[NODEV_CACHE]; /* fs_is_nodev() answers: it may read a file each time */
	size_t n_nodev_cache;
};

static void planner_done(struct planner *pl)
{
	free(pl->by_dev);
	free(pl->group_start);
	free(pl->winner);
	free(pl->excluded);
	free(pl->hidden);
	free(pl->is_dir);
	free(pl->edge);
}

static int vset_detail(struct hv_vss_plan_entry *e, const char *fmt, va_list ap) _printf_(2, 0);
static int vset_detail(struct hv_vss_plan_entry *e, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	free(e->detail);
	e->detail = s;
	return 0;
}

static int set_detail(struct hv_vss_plan_entry *e, const char *fmt, ...) _printf_(2, 3);
static int set_detail(struct hv_vss_plan_entry *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset_detail(e, fmt, ap);
	va_end(ap);
	return r;
}

static int skip(struct hv_vss_plan_entry *e, enum hv_vss_skip why, const char *fmt, ...) _printf_(3, 4);
static int skip(struct hv_vss_plan_entry *e, enum hv_vss_skip why, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset_detail(e, fmt, ap);
	va_end(ap);
	if (r >= 0)
		e->skip = why;
	return r;
}

static int fs_is_nodev(struct planner *pl, const char *fstype)
{
	int r;

	if (!pl->facts || !pl->facts->fs_is_nodev)
		return -ENOSYS;
	for (size_t k = 0; k < pl->n_nodev_cache; k++)
		if (strcmp(pl->nodev_cache[k].fstype, fstype) == 0)
			return pl->nodev_cache[k].nodev;
	r = pl->facts->fs_is_nodev(pl->facts->userdata, fstype);
	if (pl->n_nodev_cache < NODEV_CACHE) {
		pl->nodev_cache[pl->n_nodev_cache].fstype = fstype;
		pl->nodev_cache[pl->n_nodev_cache++].nodev = r;
	}
	return r;
}

static bool is_dev_node(const char *source)
{
	return strncmp(source, "/dev/", 5) == 0 && source[5] != '\0';
}

/* The file system's kind, then exclusion, then read-only (see the top). */
static int classify(struct planner *pl, size_t i)
{
	const struct hv_mountinfo_entry *m = &pl->mi->entries[i];
	struct hv_vss_plan_entry *e = &pl->plan->entries[i];
	const char *sub = strncmp(m->fstype, "fuse.", 5) == 0 ? m->fstype + 5 : NULL;

	if (in_list(network_types, ELEMENTSOF(network_types), m->fstype))
		return skip(e, HV_VSS_SKIP_NETWORK, "%s is a network file system", m->fstype);
	if (sub && in_list(network_fuse_types, ELEMENTSOF(network_fuse_types), sub))
		return skip(e, HV_VSS_SKIP_NETWORK, "%s is a network file system (FUSE)", m->fstype);
	if (sub || strcmp(m->fstype, "fuse") == 0 || strcmp(m->fstype, "fuseblk") == 0)
		return skip(e, HV_VSS_SKIP_FUSE, "%s is a FUSE file system (served by a user-space process)",
			    m->fstype);
	if (strcmp(m->fstype, "overlay") == 0 || strcmp(m->fstype, "overlayfs") == 0 ||
	    strcmp(m->fstype, "aufs") == 0)
		return skip(e, HV_VSS_SKIP_OVERLAY,
			    "%s has no device of its own; its layers are frozen with the file systems holding them",
			    m->fstype);
	if (strcmp(m->fstype, "vfat") == 0)
		return skip(e, HV_VSS_SKIP_VFAT, "vfat cannot be frozen (no freeze support in its driver)");
	if (fs_is_nodev(pl, m->fstype) == 1)
		return skip(e, HV_VSS_SKIP_NO_BLOCK_DEVICE, "%s has no block device (nodev)", m->fstype);
	if (!is_dev_node(m->source))
		return skip(e, HV_VSS_SKIP_NO_BLOCK_DEVICE, "source \"%s\" is not a /dev/ node", m->source);

	for (char *const *g = pl->exclude; g && *g; g++)
		if (fnmatch(*g, m->mountpoint, 0) == 0) {
			pl->excluded[i] = *g;
			return skip(e, HV_VSS_SKIP_EXCLUDED, "matches exclude-mounts glob %s", *g);
		}

	if (hv_mountinfo_has_option(m->super_options, "ro"))
		return skip(e, HV_VSS_SKIP_READ_ONLY, "read-only file system");
	if (hv_mountinfo_has_option(m->options, "ro"))
		return skip(e, HV_VSS_SKIP_READ_ONLY, "read-only mount");
	return 0;
}

/* ---- superblocks ---- */

static int cmp_dev(const void *a, const void *b, void *userdata)
{
	const struct hv_mountinfo *mi = userdata;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct hv_mountinfo_entry *ex = &mi->entries[x], *ey = &mi->entries[y];

	if (ex->major != ey->major)
		return ex->major < ey->major ? -1 : 1;
	if (ex->minor != ey->minor)
		return ex->minor < ey->minor ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int cmp_mountpoint(const void *a, const void *b, void *userdata)
{
	const struct hv_mountinfo *mi = userdata;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(mi->entries[x].mountpoint, mi->entries[y].mountpoint);

	if (c)
		return c;
	if (mi->entries[x].mount_id != mi->entries[y].mount_id)
		return mi->entries[x].mount_id < mi->entries[y].mount_id ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The first position in idx[a..b) (sorted by mount id) holding mount id,
 * or NONE. */
static size_t find_mount_id(const struct hv_mountinfo *mi, const size_t *idx, size_t a, size_t b, int id)
{
	size_t lo = a, hi = b;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mi->entries[idx[mid]].mount_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b && mi->entries[idx[lo]].mount_id == id ? lo : NONE;
}

/* hidden[i]: a mount at the same path sits on top of mount i, so opening
 * the path reaches that one, not i. */
static int find_hidden(struct planner *pl)
{
	_cleanup_free_ size_t *idx = malloc(HV_MAX(pl->n, 1) * sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < pl->n; i++)
		idx[i] = i;
	qsort_r(idx, pl->n, sizeof(*idx), cmp_mountpoint, (void *)pl->mi);
	for (size_t a = 0, b; a < pl->n; a = b) {
		const char *mp = pl->mi->entries[idx[a]].mountpoint;

		for (b = a + 1; b < pl->n && strcmp(pl->mi->entries[idx[b]].mountpoint, mp) == 0; b++)
			;
		/* y on top of x: y's parent is x, at the same path. */
		for (size_t y = a; y < b && b - a > 1; y++) {
			const struct hv_mountinfo_entry *top = &pl->mi->entries[idx[y]];
			size_t x = find_mount_id(pl->mi, idx, a, b, top->parent_id);

			for (; x != NONE && x < b && pl->mi->entries[idx[x]].mount_id == top->parent_id; x++)
				if (x != y)
					pl->hidden[idx[x]] = true;
		}
	}
	return 0;
}

/* The group of by_dev positions holding major:minor, or false. */
static bool find_group(const struct planner *pl, unsigned major, unsigned minor, size_t *ret_start)
{
	size_t lo = 0, hi = pl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hv_mountinfo_entry *m = &pl->mi->entries[pl->by_dev[mid]];

		if (m->major < major || (m->major == major && m->minor < minor))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == pl->n || pl->mi->entries[pl->by_dev[lo]].major != major ||
	    pl->mi->entries[pl->by_dev[lo]].minor != minor)
		return false;
	*ret_start = lo;
	return true;
}

static int mountpoint_is_dir(struct planner *pl, size_t i)
{
	if (pl->is_dir[i] == -ENOSYS && pl->facts && pl->facts->mountpoint_is_dir)
		pl->is_dir[i] = pl->facts->mountpoint_is_dir(pl->facts->userdata,
							      pl->mi->entries[i].mountpoint);
	return pl->is_dir[i];
}

/* "/a" + "/b" without a doubled or missing slash; rest is "" or "/...". */
static char *join(const char *a, const char *rest)
{
	char *r;

	if (!*rest)
		return strdup(a);
	if (strcmp(a, "/") == 0)
		return strdup(rest);
	return asprintf(&r, "%s%s", a, rest) < 0 ? NULL : r;
}

/* Where mount m's root is visible through mount w of the same file system
 * (NULL with *ret_nomem false when w's root does not contain it). */
static char *visible_path(const struct hv_mountinfo_entry *m, const struct hv_mountinfo_entry *w, bool *ret_nomem)
{
	size_t len = strlen(w->root);
	const char *rest;
	char *r;

	if (m->root[0] != '/') {
		*ret_nomem = false;
		return NULL;
	}
	if (strcmp(w->root, "/") == 0)
		rest = strcmp(m->root, "/") == 0 ? "" : m->root;
	else if (strncmp(m->root, w->root, len) == 0 && (m->root[len] == '\0' || m->root[len] == '/'))
		rest = m->root + len;
	else {
		*ret_nomem = false;
		return NULL;
	}
	r = join(w->mountpoint, rest);
	*ret_nomem = !r;
	return r;
}

static int mark_duplicate(struct planner *pl, size_t i, size_t w)
{
	const struct hv_mountinfo_entry *m = &pl->mi->entries[i], *wm = &pl->mi->entries[w];
	struct hv_vss_plan_entry *e = &pl->plan->entries[i];
	_cleanup_free_ char *where = NULL, *base = NULL;
	bool nomem;
	int r;

	where = visible_path(m, wm, &nomem);
	if (nomem)
		return -ENOMEM;
	if (strcmp(m->fstype, "btrfs") == 0 && strcmp(m->root, wm->root) != 0 && !where)
		r = asprintf(&base, "btrfs subvolume %s (same file system as %s, %u:%u)", m->root, wm->mountpoint,
			     m->major, m->minor);
	else if (!where)
		r = asprintf(&base, "bind mount of %s inside the file system at %s (same file system %u:%u)",
			     m->root, wm->mountpoint, m->major, m->minor);
	else if (pl->is_dir[i] == 0)
		r = asprintf(&base, "bind-mounted file %s (same file system %u:%u)", where, m->major, m->minor);
	else
		r = asprintf(&base, "bind mount of %s (same file system %u:%u)", where, m->major, m->minor);
	if (r < 0)
		return -ENOMEM;
	if (pl->excluded[i])
		return skip(e, HV_VSS_SKIP_DUPLICATE, "%s; matches exclude-mounts glob %s, but the file system is frozen through %s",
			    base, pl->excluded[i], wm->mountpoint);
	return skip(e, HV_VSS_SKIP_DUPLICATE, "%s", base);
}

static bool is_candidate(const struct planner *pl, size_t i)
{
	return pl->plan->entries[i].skip == HV_VSS_SKIP_NONE;
}

static bool is_type_skip(enum hv_vss_skip s)
{
	switch (s) {
	case HV_VSS_SKIP_NETWORK:
	case HV_VSS_SKIP_FUSE:
	case HV_VSS_SKIP_OVERLAY:
	case HV_VSS_SKIP_VFAT:
	case HV_VSS_SKIP_NO_BLOCK_DEVICE:
		return true;
	case HV_VSS_SKIP_NONE:
	case HV_VSS_SKIP_READ_ONLY:
	case HV_VSS_SKIP_EXCLUDED:
	case HV_VSS_SKIP_DUPLICATE:
	case _HV_VSS_SKIP_MAX:
		break;
	}
	return false;
}

/*
 * One superblock's mounts (by_dev[a..b)): plan the first candidate whose
 * mount point is a visible directory; failing that, a visible file, then
 * a covered one.  The stat behind "directory" is only asked for when
 * there is a choice to make.
 */
static int pick_winner(struct planner *pl, size_t a, size_t b)
{
	size_t n_cand = 0, w = NONE;
	int best = 4;
	int r;

	for (size_t k = a; k < b; k++)
		if (is_candidate(pl, pl->by_dev[k]))
			n_cand++;
	for (size_t k = a; k < b && n_cand > 0; k++) {
		size_t i = pl->by_dev[k];
		int score;

		if (!is_candidate(pl, i))
			continue;
		score = (pl->hidden[i] ? 2 : 0) + (n_cand > 1 && mountpoint_is_dir(pl, i) == 0 ? 1 : 0);
		/* by_dev keeps mount order inside a group: first wins a tie. */
		if (score < best) {
			best = score;
			w = i;
		}
		if (score == 0)
			break;
	}
	if (w == NONE)
		return 0;
	for (size_t k = a; k < b; k++) {
		size_t i = pl->by_dev[k];

		pl->winner[i] = w;
		if (i == w || is_type_skip(pl->plan->entries[i].skip))
			continue;
		r = mark_duplicate(pl, i, w);
		if (r < 0)
			return r;
	}
	if (pl->hidden[w])
		return set_detail(&pl->plan->entries[w],
				  "mount point covered by a later mount at the same path: the freezer may not reach it");
	return 0;
}

static int plan_superblocks(struct planner *pl)
{
	int r;

	qsort_r(pl->by_dev, pl->n, sizeof(*pl->by_dev), cmp_dev, (void *)pl->mi);
	for (size_t a = 0, b; a < pl->n; a = b) {
		const struct hv_mountinfo_entry *m = &pl->mi->entries[pl->by_dev[a]];

		for (b = a + 1; b < pl->n; b++) {
			const struct hv_mountinfo_entry *o = &pl->mi->entries[pl->by_dev[b]];

			if (o->major != m->major || o->minor != m->minor)
				break;
		}
		for (size_t k = a; k < b; k++)
			pl->group_start[pl->by_dev[k]] = a;
		r = pick_winner(pl, a, b);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- loop devices ---- */

/* Record what the loop facts say about planned entry i: edge[i] is the
 * planned entry holding its backing file. */
static int plan_loop(struct planner *pl, size_t i)
{
	const struct hv_mountinfo_entry *m = &pl->mi->entries[i];
	struct hv_vss_plan_entry *e = &pl->plan->entries[i];
	const struct hv_mountinfo_entry *bm;
	size_t g, holder;
	dev_t dev;
	int r;

	if (!pl->facts || !pl->facts->loop_backing_dev)
		return 0;
	r = pl->facts->loop_backing_dev(pl->facts->userdata, m->major, m->minor, &dev);
	if (r == 0)
		return 0;
	if (r == -EXDEV)
		return set_detail(e, "on %s, stacked on loop devices whose backing files are on different file systems; mount order kept",
				  m->source);
	if (r < 0)
		return set_detail(e, "on %s, a loop device whose backing file system is unknown (%s); mount order kept",
				  m->source, hv_strerror(r));
	if (!find_group(pl, major(dev), minor(dev), &g))
		return set_detail(e, "on %s, backing file on device %u:%u, which has no mount; mount order kept",
				  m->source, major(dev), minor(dev));
	holder = pl->winner[pl->by_dev[g]];
	bm = &pl->mi->entries[holder != NONE ? holder : pl->by_dev[g]];
	e->loop_backing_mount = strdup(bm->mountpoint);
	if (!e->loop_backing_mount)
		return -ENOMEM;
	if (holder == NONE)
		return set_detail(e, "on %s, backing file on %s (%s, not frozen)", m->source, bm->mountpoint,
				  hv_vss_skip_to_string(pl->plan->entries[pl->by_dev[g]].skip));
	pl->edge[i] = holder;
	return set_detail(e, "on %s, backing file on %s", m->source, bm->mountpoint);
}

/* Loop chains are a functional graph (one edge out of each entry at most):
 * walk each chain, and where it closes on itself drop the cycle's edges. */
static int break_cycles(struct planner *pl)
{
	_cleanup_free_ unsigned char *state = calloc(HV_MAX(pl->n, 1), 1); /* 0 new, 1 on the walk, 2 done */

	if (!state)
		return -ENOMEM;
	for (size_t s = 0; s < pl->n; s++) {
		size_t i;

		for (i = s; i != NONE && state[i] == 0; i = pl->edge[i])
			state[i] = 1;
		if (i != NONE && state[i] == 1) {
			_cleanup_free_ char *ring = strdup(pl->mi->entries[i].mountpoint);
			size_t j = i;
			int r;

			do {
				char *more;

				j = pl->edge[j];
				if (!ring || asprintf(&more, "%s -> %s", ring, pl->mi->entries[j].mountpoint) < 0)
					return -ENOMEM;
				free(ring);
				ring = more;
			} while (j != i);
			do {
				size_t next = pl->edge[j];

				r = set_detail(&pl->plan->entries[j],
					       "loop backing files form a cycle (%s); mount order kept", ring);
				if (r < 0)
					return r;
				pl->edge[j] = NONE;
				state[j] = 2;
				j = next;
			} while (j != i);
		}
		for (i = s; i != NONE && state[i] == 1; i = pl->edge[i])
			state[i] = 2;
	}
	return 0;
}

/* ---- order ---- */

struct heap {
	size_t *v;
	size_t n;
	const struct hv_mountinfo *mi;
};

/* "/" sorts after everything, then mount order. */
static bool before(const struct heap *h, size_t x, size_t y)
{
	bool rx = strcmp(h->mi->entries[x].mountpoint, "/") == 0, ry = strcmp(h->mi->entries[y].mountpoint, "/") == 0;

	return rx != ry ? ry : x < y;
}

static void heap_push(struct heap *h, size_t x)
{
	size_t k = h->n++;

	while (k > 0 && before(h, x, h->v[(k - 1) / 2])) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = x;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], last = h->v[--h->n], k = 0;

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h, h->v[c + 1], h->v[c]))
			c++;
		if (!before(h, h->v[c], last))
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n > 0)
		h->v[k] = last;
	return top;
}

/* Stable topological sort: of the entries whose loop successors allow it,
 * always the earliest mount, "/" only when nothing else is ready. */
static int order(struct planner *pl)
{
	_cleanup_free_ size_t *indeg = calloc(HV_MAX(pl->n, 1), sizeof(size_t));
	struct heap h = { .mi = pl->mi };
	struct hv_vss_plan *plan = pl->plan;

	h.v = malloc(HV_MAX(pl->n, 1) * sizeof(size_t));
	if (!indeg || !h.v) {
		free(h.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pl->n; i++)
		if (is_candidate(pl, i) && pl->edge[i] != NONE)
			indeg[pl->edge[i]]++;
	for (size_t i = 0; i < pl->n; i++)
		if (is_candidate(pl, i) && indeg[i] == 0)
			heap_push(&h, i);
	while (h.n > 0) {
		size_t i = heap_pop(&h);

		plan->entries[i].order = (int)plan->n_freeze;
		plan->freeze[plan->n_freeze++] = i;
		if (pl->edge[i] != NONE && --indeg[pl->edge[i]] == 0)
			heap_push(&h, pl->edge[i]);
	}
	free(h.v);
	return 0;
}

/* ---- the plan ---- */

struct hv_vss_plan *hv_vss_plan_free(struct hv_vss_plan *plan)
{
	if (!plan)
		return NULL;
	for (size_t i = 0; i < plan->n_entries; i++) {
		struct hv_vss_plan_entry *e = &plan->entries[i];

		free(e->mountpoint);
		free(e->fstype);
		free(e->source);
		free(e->detail);
		free(e->loop_backing_mount);
	}
	free(plan->entries);
	free(plan->freeze);
	free(plan);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_vss_plan *, hv_vss_plan_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hv_mountinfo *, hv_mountinfo_free);

static int plan_new(const struct hv_mountinfo *mi, struct hv_vss_plan **ret)
{
	_cleanup_(hv_vss_plan_freep) struct hv_vss_plan *plan = calloc(1, sizeof(*plan));
	size_t n = mi->n_entries;

	if (!plan)
		return -ENOMEM;
	plan->entries = calloc(n ? n : 1, sizeof(*plan->entries));
	plan->freeze = calloc(n ? n : 1, sizeof(*plan->freeze));
	if (!plan->entries || !plan->freeze)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct hv_mountinfo_entry *m = &mi->entries[i];
		struct hv_vss_plan_entry *e = &plan->entries[i];

		plan->n_entries++;
		e->mount_id = m->mount_id;
		e->major = m->major;
		e->minor = m->minor;
		e->order = -1;
		e->mountpoint = strdup(m->mountpoint);
		e->fstype = strdup(m->fstype);
		e->source = strdup(m->source);
		if (!e->mountpoint || !e->fstype || !e->source)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(plan);
	return 0;
}

static int planner_init(struct planner *pl, size_t n)
{
	size_t k = n ? n : 1;

	pl->n = n;
	pl->by_dev = malloc(k * sizeof(size_t));
	pl->group_start = calloc(k, sizeof(size_t));
	pl->winner = malloc(k * sizeof(size_t));
	pl->excluded = calloc(k, sizeof(char *));
	pl->hidden = calloc(k, sizeof(bool));
	pl->is_dir = malloc(k * sizeof(int));
	pl->edge = malloc(k * sizeof(size_t));
	if (!pl->by_dev || !pl->group_start || !pl->winner || !pl->excluded || !pl->hidden || !pl->is_dir ||
	    !pl->edge)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pl->by_dev[i] = i;
		pl->winner[i] = NONE;
		pl->is_dir[i] = -ENOSYS;
		pl->edge[i] = NONE;
	}
	return 0;
}

static int plan_all(struct planner *pl)
{
	int r;

	for (size_t i = 0; i < pl->n; i++) {
		r = classify(pl, i);
		if (r < 0)
			return r;
	}
	r = find_hidden(pl);
	if (r < 0)
		return r;
	r = plan_superblocks(pl);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pl->n; i++)
		if (is_candidate(pl, i)) {
			r = plan_loop(pl, i);
			if (r < 0)
				return r;
		}
	r = break_cycles(pl);
	if (r < 0)
		return r;
	r = order(pl);
	if (r < 0)
		return r;
	/* Say why "/" is where it is, unless a loop note already does. */
	if (pl->plan->n_freeze > 0) {
		struct hv_vss_plan_entry *last = &pl->plan->entries[pl->plan->freeze[pl->plan->n_freeze - 1]];

		if (strcmp(last->mountpoint, "/") == 0 && !last->detail)
			return set_detail(last, "root file system, frozen last");
	}
	return 0;
}

int hv_vss_plan_build(const char *mountinfo, const struct hv_vss_plan_facts *facts, char *const *exclude,
		      struct hv_vss_plan **ret, char **ret_error)
{
	_cleanup_(hv_mountinfo_freep) struct hv_mountinfo *mi = NULL;
	_cleanup_(hv_vss_plan_freep) struct hv_vss_plan *plan = NULL;
	_cleanup_free_ char *err = NULL;
	struct planner pl = { .facts = facts, .exclude = exclude };
	int r;

	r = hv_mountinfo_parse(mountinfo, &mi, &err);
	if (r < 0) {
		if (r == -EINVAL && ret_error && asprintf(ret_error, "mountinfo %s", err ? err : "malformed") < 0) {
			*ret_error = NULL;
			return -ENOMEM;
		}
		return r;
	}
	r = plan_new(mi, &plan);
	if (r < 0)
		return r;
	pl.mi = mi;
	pl.plan = plan;
	r = planner_init(&pl, mi->n_entries);
	if (r >= 0)
		r = plan_all(&pl);
	planner_done(&pl);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(plan);
	return 0;
}

/* ---- facts from the system ---- */

/* 1/0 for a "nodev\tname" / "\tname" line of /proc/filesystems naming
 * name[0..len), -ENOENT when none does. */
static int filesystems_lookup(const char *text, const char *name, size_t len)
{
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n'), *tab = memchr(p, '\t', (size_t)(end - p));

		if (tab && (size_t)(end - tab - 1) == len && memcmp(tab + 1, name, len) == 0)
			return tab - p == 5 && memcmp(p, "nodev", 5) == 0;
		p = *end ? end + 1 : end;
	}
	return -ENOENT;
}

static int system_fs_is_nodev(void *userdata, const char *fstype)
{
	const struct hv_path *p = userdata;
	_cleanup_free_ char *text = NULL;
	const char *dot;
	int r;

	r = hv_path_read_text(p, "/proc/filesystems", 0, &text);
	if (r < 0)
		return r;
	r = filesystems_lookup(text, fstype, strlen(fstype));
	/* "fuse.sshfs" is registered as "fuse". */
	dot = strchr(fstype, '.');
	if (r == -ENOENT && dot)
		r = filesystems_lookup(text, fstype, (size_t)(dot - fstype));
	return r;
}

static int read_devnum(const struct hv_path *p, const char *abs, unsigned *ret_major, unsigned *ret_minor)
{
	_cleanup_free_ char *text = NULL;
	unsigned ma, mi;
	int r, n = 0;

	r = hv_path_read_text(p, abs, 64, &text);
	if (r < 0)
		return r;
	if (sscanf(text, "%u:%u%n", &ma, &mi, &n) != 2 || text[n] != '\0')
		return -EBADMSG;
	*ret_major = ma;
	*ret_minor = mi;
	return 0;
}

/* The device of the mount holding path, by mount id where the kernel
 * tells it (btrfs subvolumes report an st_dev of their own, which no
 * mountinfo line carries), else st_dev. */
static int backing_file_dev(const struct hv_path *p, const char *file, dev_t *ret)
{
	_cleanup_(hv_mountinfo_freep) struct hv_mountinfo *mi = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct statx sx;
	size_t len = strlen(file);

	if (len == 0 || file[0] != '/')
		return -EBADMSG;
	/* The kernel's d_path() of an unlinked backing file. */
	if (len >= STRLEN(" (deleted)") && strcmp(file + len - STRLEN(" (deleted)"), " (deleted)") == 0)
		return -ENOENT;
	path = hv_path_get(p, file);
	if (!path)
		return -ENOMEM;
	/* DONT_SYNC: a backing file on NFS must not make planning hang. */
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) < 0)
		return hv_negative_errno();
	if ((sx.stx_mask & STATX_MNT_ID) &&
	    hv_path_read_text(p, "/proc/self/mountinfo", MOUNTINFO_MAX, &text) >= 0 &&
	    hv_mountinfo_parse(text, &mi, NULL) >= 0)
		for (size_t i = 0; i < mi->n_entries; i++)
			if ((uint64_t)mi->entries[i].mount_id == sx.stx_mnt_id) {
				*ret = makedev(mi->entries[i].major, mi->entries[i].minor);
				return 1;
			}
	*ret = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	return 1;
}

static int stacked_backing_dev(const struct hv_path *p, unsigned major, unsigned minor, unsigned depth,
			       dev_t *ret);

/* Every slave of a stacked device (dm, md): all loop-backed ones must
 * agree on one backing file system. */
static int slaves_backing_dev(const struct hv_path *p, const char *dir, unsigned depth, dev_t *ret)
{
	_cleanup_free_ char *slaves = NULL;
	DIR *d;
	struct dirent *de;
	bool found = false;
	dev_t dev = 0;
	int r = 0, unknown = 0;

	if (asprintf(&slaves, "%s/slaves", dir) < 0)
		return -ENOMEM;
	d = hv_path_opendir(p, slaves);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : hv_negative_errno();
	while ((de = readdir(d))) {
		_cleanup_free_ char *devfile = NULL;
		unsigned ma, mi;
		dev_t one;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&devfile, "%s/%s/dev", slaves, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = read_devnum(p, devfile, &ma, &mi);
		if (r >= 0)
			r = stacked_backing_dev(p, ma, mi, depth + 1, &one);
		if (r < 0) {
			unknown = r;
			r = 0;
			continue;
		}
		if (r == 1) {
			if (found && one != dev) {
				r = -EXDEV;
				break;
			}
			found = true;
			dev = one;
		}
		r = 0;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (unknown < 0)
		return unknown;
	if (!found)
		return 0;
	*ret = dev;
	return 1;
}

static int stacked_backing_dev(const struct hv_path *p, unsigned major, unsigned minor, unsigned depth,
			       dev_t *ret)
{
	_cleanup_free_ char *dir = NULL, *attr = NULL, *backing = NULL;
	unsigned ma, mi;
	int r;

	if (depth > STACK_MAX_DEPTH)
		return -ELOOP;
	if (asprintf(&dir, "/sys/dev/block/%u:%u", major, minor) < 0)
		return -ENOMEM;
	r = hv_path_access(p, dir, F_OK);
	if (r == -ENOENT)
		return 0; /* not a block device (btrfs's anonymous 0:N, tmpfs, ...) */
	if (r < 0)
		return r;

	if (asprintf(&attr, "%s/loop/backing_file", dir) < 0)
		return -ENOMEM;
	r = hv_path_read_text(p, attr, 0, &backing);
	if (r >= 0)
		return backing_file_dev(p, backing, ret);
	if (r != -ENOENT)
		return r;

	/* A partition: its disk is the parent directory. */
	free(attr);
	if (asprintf(&attr, "%s/partition", dir) < 0)
		return -ENOMEM;
	if (hv_path_access(p, attr, F_OK) == 0) {
		free(attr);
		if (asprintf(&attr, "%s/../dev", dir) < 0)
			return -ENOMEM;
		r = read_devnum(p, attr, &ma, &mi);
		if (r < 0)
			return r;
		return stacked_backing_dev(p, ma, mi, depth + 1, ret);
	}
	return slaves_backing_dev(p, dir, depth, ret);
}

static int system_loop_backing_dev(void *userdata, unsigned major, unsigned minor, dev_t *ret_dev)
{
	return stacked_backing_dev(userdata, major, minor, 0, ret_dev);
}

static int system_mountpoint_is_dir(void *userdata, const char *mountpoint)
{
	_cleanup_free_ char *path = hv_path_get(userdata, mountpoint);
	struct stat st;

	if (!path)
		return -ENOMEM;
	if (stat(path, &st) < 0)
		return hv_negative_errno();
	return S_ISDIR(st.st_mode);
}

void hv_vss_plan_facts_system(const struct hv_path *p, struct hv_vss_plan_facts *ret)
{
	*ret = (struct hv_vss_plan_facts){
		.fs_is_nodev = system_fs_is_nodev,
		.loop_backing_dev = system_loop_backing_dev,
		.mountpoint_is_dir = system_mountpoint_is_dir,
		.userdata = (void *)p,
	};
}

int hv_vss_plan_build_system(const struct hv_path *p, char *const *exclude, struct hv_vss_plan **ret,
			     char **ret_error)
{
	struct hv_vss_plan_facts facts;
	_cleanup_free_ char *text = NULL;
	int r;

	r = hv_path_read_text(p, "/proc/self/mountinfo", MOUNTINFO_MAX, &text);
	if (r < 0)
		return r;
	hv_vss_plan_facts_system(p, &facts);
	return hv_vss_plan_build(text, &facts, exclude, ret, ret_error);
}
