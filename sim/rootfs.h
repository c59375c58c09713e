/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filling a VSS world's root: programs are copied to the same paths they
 * have on the machine, with what they need to start there:
 *
 *   - every symlink on the way (/bin -> usr/bin, /lib64 -> usr/lib64, ...)
 *     is recreated as it is, and its target copied too;
 *   - an ELF program brings its dynamic loader (PT_INTERP) and the shared
 *     libraries that loader resolves (`<ld.so> --list PROGRAM`);
 *   - a script brings its interpreter (and for "#!/usr/bin/env NAME",
 *     NAME as found in $PATH);
 *   - a libtool wrapper of the build tree (a script standing in for
 *     .libs/PROGRAM) is replaced in the world by a three-line sh script
 *     that sets the wrapper's LD_LIBRARY_PATH and execs the real binary,
 *     which is installed with its libraries.
 *
 * A directory is copied whole (e.g. a Python library directory).  Files
 * keep their permission bits, minus set-id bits.
 */
#pragma once

#include <stddef.h>

struct hvsim_rootfs;

/* root: an empty directory (the world's tmpfs). */
int hvsim_rootfs_new(const char *root, struct hvsim_rootfs **ret);
struct hvsim_rootfs *hvsim_rootfs_free(struct hvsim_rootfs *r);

/* Copy abs (file, or directory with everything in it) into the root. */
int hvsim_rootfs_copy(struct hvsim_rootfs *r, const char *abs);
/* Make directory abs exist in the root as it is on the machine (only the
 * directories and symlinks along the way, no contents). */
int hvsim_rootfs_copy_dirs(struct hvsim_rootfs *r, const char *abs);
/* Install a program (a path, or a name looked up in $PATH) as described
 * above.  *ret_path (may be NULL): where it is in the world, malloc'd. */
int hvsim_rootfs_install(struct hvsim_rootfs *r, const char *program, char **ret_path);
/* Bytes copied so far. */
size_t hvsim_rootfs_bytes(const struct hvsim_rootfs *r);

/* ---- pure helpers (unit tests) ------------------------------------------------ */

/* The library paths in the output of `ld.so --list`, in order, the loader
 * itself included; the vDSO is skipped.  -ENOENT with *ret_missing (a
 * malloc'd library name) when one was "not found"; -EBADMSG for a line
 * of another shape. */
int hvsim_ldso_list_parse(const char *text, char ***ret_paths, size_t *ret_n, char **ret_missing);
/* A libtool wrapper script?  1 and the real program's file name in
 * .libs/ and the library path the wrapper sets (may be ""), both
 * malloc'd; 0 if text is not a libtool wrapper. */
int hvsim_libtool_wrapper_parse(const char *text, char **ret_program, char **ret_libpath);
/* Lexically normalised absolute path ("/a/./b/../c" -> "/a/c");
 * malloc'd, NULL on OOM or a relative path. */
char *hvsim_path_normalize(const char *abs);
