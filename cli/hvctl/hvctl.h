/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl's skeleton, shared by the verb families (hvctl-<family>.c): the
 * verb table and its dispatcher, the parsed global options, exit codes
 * and the helpers that print errors the one hvctl way.
 *
 * A verb function returns either an exit status (>= 0, one of enum
 * hvctl_exit) or -errno, which hvctl_exit_status() maps.  It prints its
 * own error message before failing (once, at the layer that knows what
 * went wrong); dispatch adds nothing.  A family (e.g. "kvp get") is a
 * verb whose function calls hvctl_dispatch() with the family's own table.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

#include "base/macros.h"
#include "base/path.h"
#include "printer.h"

/* sysexits(3) codes, as documented in hvctl(8). */
enum hvctl_exit {
	HVCTL_EXIT_OK = 0,
	HVCTL_EXIT_FAILURE = 1,            /* anything without a better code */
	HVCTL_EXIT_NOTFOUND = 2,           /* a lookup found nothing (kvp get, kvp delete) */
	HVCTL_EXIT_USAGE = EX_USAGE,       /* 64: bad command line */
	HVCTL_EXIT_DATAERR = EX_DATAERR,   /* 65: malformed data */
	HVCTL_EXIT_NOINPUT = EX_NOINPUT,   /* 66: an input file or directory is missing */
	HVCTL_EXIT_UNAVAILABLE = EX_UNAVAILABLE, /* 69: not a Hyper-V guest, service not offered */
	HVCTL_EXIT_SOFTWARE = EX_SOFTWARE, /* 70: internal error (a bug) */
	HVCTL_EXIT_OSERR = EX_OSERR,       /* 71: out of memory, descriptors, ... */
	HVCTL_EXIT_IOERR = EX_IOERR,       /* 74: read or write failed */
	HVCTL_EXIT_TEMPFAIL = EX_TEMPFAIL, /* 75: busy or timed out: try again */
	HVCTL_EXIT_NOPERM = EX_NOPERM,     /* 77: permission denied */
};

/* Exit status for a verb's return value (>= 0 passes through). */
int hvctl_exit_status(int r);

enum hvctl_verb_flags {
	HVCTL_VERB_NEEDS_ROOT = 1u << 0, /* refuse early (exit 77) unless euid 0 */
};

struct hvctl_verb {
	const char *name;
	unsigned min_args; /* arguments after the verb name */
	unsigned max_args;
	unsigned flags;    /* enum hvctl_verb_flags */
	int (*fn)(int argc, char *argv[], void *userdata); /* argv[0] is the verb */
	const char *args;  /* argument synopsis for the usage text, or NULL */
	const char *help;  /* one line */
};

/*
 * Run the verb named argv[0] from verbs[] with the remaining arguments.
 * prefix names the family in messages (NULL at the top level, "kvp" for
 * "hvctl kvp ...").  Returns
 * an exit status; misuse (no verb, unknown verb, wrong number of
 * arguments) prints one line and "Try 'hvctl --help'." and gives 64.
 */
int hvctl_dispatch(const struct hvctl_verb *verbs, size_t n_verbs, const char *prefix, int argc,
		   char *argv[], void *userdata);

/* What every verb gets as userdata. */
struct hvctl_context {
	const struct hv_path *path; /* /sys and friends, HV_SYSROOT-aware */
	FILE *out;                  /* stdout, except in tests */
};

/* Parsed global options (the only globals: STYLE.md rule 22). */
extern enum hvctl_output arg_json;
extern unsigned arg_verbose;

/* The whole program: parse argv, dispatch, return the exit status. */
int hvctl_run(int argc, char *argv[]);
/* Same with a given context (tests point it at fixtures and a buffer). */
int hvctl_run_with(int argc, char *argv[], struct hvctl_context *ctx);

/* "hvctl: <message>" on stderr.  Returns r (an -errno) for chaining. */
int hvctl_error(int r, const char *format, ...) _printf_(2, 3);
/* "hvctl: <message>" then "Try 'hvctl --help'." on stderr; returns 64. */
int hvctl_usage_error(const char *format, ...) _printf_(1, 2);

/* A printer on ctx->out in the mode --json asked for. */
struct hvctl_printer *hvctl_printer_for(const struct hvctl_context *ctx);
/* Flush, reporting a failed write; returns 0 or -errno. */
int hvctl_printer_finish(struct hvctl_printer *p);

/* The verbs. */
int hvctl_verb_devices(int argc, char *argv[], void *userdata);
int hvctl_verb_kvp(int argc, char *argv[], void *userdata);
int hvctl_verb_ic(int argc, char *argv[], void *userdata);
int hvctl_verb_vss(int argc, char *argv[], void *userdata);

/*
 * Options of the kvp verbs.  Like every hvctl option they are global (the
 * table in hvctl.c, so --help lists them); hvctl-kvp.c parses their
 * values and each kvp verb refuses the ones that do not apply to it.
 */
enum {
	HVCTL_ARG_KVP_POOL = 0x200,
	HVCTL_ARG_KVP_ALL,
	HVCTL_ARG_KVP_POOL_DIR,
	HVCTL_ARG_KVP_FORCE,
	HVCTL_ARG_KVP_REPAIR,
	HVCTL_ARG_KVP_COUNT,
	HVCTL_ARG_KVP_TIMEOUT,
	_HVCTL_ARG_KVP_END,
};
/* Forget the kvp options parsed so far (each hvctl_run_with() starts afresh). */
void hvctl_kvp_reset_options(void);
/* Take one kvp option; 0, or 64 after reporting a bad value. */
int hvctl_kvp_parse_option(int option, const char *arg);
