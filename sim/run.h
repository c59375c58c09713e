/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hvsim run`: build a world and run a command in it.  One process, one
 * poll loop: FUSE requests from the world's daemons, control requests
 * from outside, signals, and the timers of the kernel models and host
 * engines.  The command is a child in the world's mount namespace; when
 * it exits, whatever it left running in the world is terminated (hvsim is
 * a child subreaper) and hvsim exits with the command's status.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct hvsim_run_options {
	const char *world_path;   /* NULL: the built-in default */
	const char *state_dir;    /* NULL: a new directory under $TMPDIR */
	const char *control_path; /* NULL: /run/hvsim/<pid>.sock */
	bool debug;
	char **argv;              /* the command */
	char **install;           /* --install: more programs for a root of its own */
	size_t n_install;
};

/* Returns the exit status for main(): the command's, 128 + signal if it
 * was killed, or 125 (hvsim failed before it ran), 126/127 (exec failed). */
int hvsim_run(const struct hvsim_run_options *o);
