/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A parser for /proc/<pid>/mountinfo text (proc(5), the kernel's
 * show_mountinfo()):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2) (3)   (4)   (5)      (6)      (7)   (8) (9)    (10)       (11)
 *
 * mount id, parent id, major:minor of the superblock (st_dev of its root
 * on most file systems), root of the mount inside the file system, mount
 * point, per-mount options, zero or more optional fields ending at "-",
 * file system type, source, per-superblock options.
 *
 * Pure: text in, entries out, no I/O, no logging, fuzzed (through the
 * freeze planner, tests/fuzz/fuzz-mountinfo.c).  It lives in base/ and not
 * in services/ so that the platform layer (a mounts adapter) can share it
 * without an upward include; it needs nothing but libc.
 *
 * The kernel escapes space, tab, newline, backslash (and '#' since 5.x) in
 * the path-like fields as a backslash and three octal digits; every
 * string field is decoded.  A line that does not have this shape is
 * rejected with a message naming its line number; nothing is guessed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct hv_mountinfo_entry {
	int mount_id;
	int parent_id;
	unsigned major, minor;
	char *root;          /* decoded */
	char *mountpoint;    /* decoded */
	char *options;       /* per-mount options, decoded */
	char *optional;      /* optional fields joined by ' ' ("" when none), decoded */
	char *fstype;        /* decoded; "fuse.sshfs" keeps its subtype */
	char *source;        /* decoded; may be "" */
	char *super_options; /* decoded */
};

struct hv_mountinfo {
	struct hv_mountinfo_entry *entries; /* in file order */
	size_t n_entries;
};

/*
 * Parse the whole text.  Empty lines are ignored; anything else must be a
 * well-formed line.  0 on success; -EINVAL on a malformed line, with
 * *ret_error (when ret_error is not NULL) set to a malloc'd message such
 * as "line 3: no \"-\" separator"; -ENOMEM.
 */
int hv_mountinfo_parse(const char *text, struct hv_mountinfo **ret, char **ret_error);

struct hv_mountinfo *hv_mountinfo_free(struct hv_mountinfo *mi);

/* Is name exactly one of the comma-separated options ("ro" is not
 * "rootcontext=...")?  Commas inside double quotes (SELinux contexts) do
 * not split. */
bool hv_mountinfo_has_option(const char *options, const char *name);

/* Decode the kernel's \ooo escapes of a field of len bytes into a new
 * string.  NULL on OOM or when an escape decodes to NUL (-EINVAL through
 * errno).  A backslash not followed by three octal digits stays as is. */
char *hv_mountinfo_unescape(const char *s, size_t len);
