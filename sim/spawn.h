/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running helper programs (mkfs, the dynamic loader's --list) from hvsim:
 * posix_spawn with a clean signal state, stdin from /dev/null, stdout and
 * stderr captured, and a time limit.  No shell is involved.
 */
#pragma once

#include <stddef.h>

/*
 * Run argv[0] (an absolute path) with envp (NULL: an empty environment).
 * On return *ret_out and *ret_err (either may be NULL: discarded) hold
 * what it printed (at most 1 MiB each, NUL-terminated), *ret_status its
 * wait status.  -errno when it could not be started; -ETIME when it ran
 * longer than timeout_ms and was killed.
 */
int hvsim_spawn(char *const argv[], char *const envp[], int timeout_ms, char **ret_out, char **ret_err,
		int *ret_status);

/* name if it contains a '/', else the first executable file of that
 * name in $PATH or, failing that, the usual system directories.
 * malloc'd; -ENOENT. */
int hvsim_find_program(const char *name, char **ret);

/* The first line of text (for error messages), at most 200 bytes, in a
 * static buffer; "" for NULL. */
const char *hvsim_first_line(const char *text);
