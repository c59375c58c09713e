/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl: global options, the verb table and dispatch (after systemd's
 * networkctl verbs[] and kmod's kmod_cmds[]).  The usage text is
 * generated from the two tables below, so a verb or an option cannot
 * exist without being in --help.
 *
 * Options are global and may come before or after the verb (getopt
 * permutes); "--" ends them.  Misuse is reported in one specific line
 * plus a pointer to --help, never by dumping the whole help, and exits
 * 64 (EX_USAGE).  Other failures map -errno to sysexits(3) codes through
 * one table (hvctl_exit_status()).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errno-util.h"
#include "base/log.h"
#include "base/macros.h"
#include "base/path.h"
#include "hvctl.h"
#include "printer.h"

enum hvctl_output arg_json = HVCTL_OUTPUT_TEXT;
unsigned arg_verbose = 0;

static const struct hvctl_verb verbs[] = {
	{ "devices", 0, 0, 0, hvctl_verb_devices, NULL,
	  "List VMBus devices and their channels (like lsvmbus)" },
	/* The family checks its own arguments (hvctl-kvp.c). */
	{ "kvp", 0, UINT_MAX, 0, hvctl_verb_kvp, NULL,
	  "KVP pools: get, set, delete, list, watch, clear, fsck" },
	{ "ic", 0, UINT_MAX, 0, hvctl_verb_ic, NULL,
	  "Integration-component devices: bind (hand fcopy to uio_hv_generic)" },
	{ "vss", 0, UINT_MAX, 0, hvctl_verb_vss, NULL, "Backup freeze: plan, status, last" },
};

enum {
	ARG_JSON = 0x100,
};

static const struct hvctl_option {
	const char *name;
	int has_arg;
	int val;
	const char *arg; /* shown after the option in the usage text */
	const char *help;
} options[] = {
	{ "help", no_argument, 'h', NULL, "Show this help and exit" },
	{ "version", no_argument, 'V', NULL, "Show the version and exit" },
	{ "verbose", no_argument, 'v', NULL, "Show more detail (repeat for more: -vv)" },
	{ "json", optional_argument, ARG_JSON, "[=MODE]",
	  "Print JSON; MODE is short (one line, the default) or pretty" },
	{ "pool", required_argument, HVCTL_ARG_KVP_POOL, "=POOL",
	  "kvp: pool 0-4 or external, guest, auto, auto-external, auto-internal" },
	{ "all", no_argument, HVCTL_ARG_KVP_ALL, NULL, "kvp: every pool" },
	{ "pool-dir", required_argument, HVCTL_ARG_KVP_POOL_DIR, "=DIR",
	  "kvp: pool directory (default: [kvp] pool-directory, /var/lib/hyperv)" },
	{ "force", no_argument, HVCTL_ARG_KVP_FORCE, NULL,
	  "kvp set/delete: write a host pool, or what the host cannot read" },
	{ "repair", no_argument, HVCTL_ARG_KVP_REPAIR, NULL, "kvp fsck: fix what is found" },
	{ "count", required_argument, HVCTL_ARG_KVP_COUNT, "=N", "kvp watch: stop after N changes" },
	{ "timeout", required_argument, HVCTL_ARG_KVP_TIMEOUT, "=SECONDS",
	  "kvp watch: stop after SECONDS" },
};

/* ---- messages ---- */

int hvctl_error(int r, const char *format, ...)
{
	int saved = errno;
	va_list ap;

	/* "%m" prints r. */
	errno = r < 0 ? -r : r;
	fputs("hvctl: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	errno = saved;
	return r;
}

int hvctl_usage_error(const char *format, ...)
{
	va_list ap;

	fputs("hvctl: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputs("\nTry 'hvctl --help'.\n", stderr);
	return HVCTL_EXIT_USAGE;
}

/* ---- exit status ---- */

static const struct {
	int error;
	int status;
} exit_table[] = {
	{ ENODEV, HVCTL_EXIT_UNAVAILABLE },
	{ ENXIO, HVCTL_EXIT_UNAVAILABLE },
	{ EOPNOTSUPP, HVCTL_EXIT_UNAVAILABLE },
	{ ENOSYS, HVCTL_EXIT_UNAVAILABLE },
	{ EACCES, HVCTL_EXIT_NOPERM },
	{ EPERM, HVCTL_EXIT_NOPERM },
	{ EIO, HVCTL_EXIT_IOERR },
	{ ENOSPC, HVCTL_EXIT_IOERR },
	{ EPIPE, HVCTL_EXIT_IOERR },
	{ EROFS, HVCTL_EXIT_IOERR },
	{ EBADMSG, HVCTL_EXIT_DATAERR },
	{ EILSEQ, HVCTL_EXIT_DATAERR },
	{ EPROTO, HVCTL_EXIT_DATAERR },
	{ E2BIG, HVCTL_EXIT_DATAERR },
	{ EAGAIN, HVCTL_EXIT_TEMPFAIL },
	{ EBUSY, HVCTL_EXIT_TEMPFAIL },
	{ ETIMEDOUT, HVCTL_EXIT_TEMPFAIL },
	{ ENOMEM, HVCTL_EXIT_OSERR },
	{ EMFILE, HVCTL_EXIT_OSERR },
	{ ENFILE, HVCTL_EXIT_OSERR },
	{ ENOTRECOVERABLE, HVCTL_EXIT_SOFTWARE },
};

int hvctl_exit_status(int r)
{
	if (r >= 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(exit_table); i++)
		if (exit_table[i].error == -r)
			return exit_table[i].status;
	return HVCTL_EXIT_FAILURE;
}

/* ---- dispatch ---- */

int hvctl_dispatch(const struct hvctl_verb *v, size_t n_verbs, const char *prefix, int argc,
		   char *argv[], void *userdata)
{
	const struct hvctl_verb *verb = NULL;
	/* "hvctl: kvp: unknown verb 'x'", "hvctl: kvp get: missing ..." */
	const char *sp = prefix && *prefix ? " " : "", *colon = prefix && *prefix ? ": " : "";
	unsigned nargs;

	if (!prefix)
		prefix = "";
	if (argc < 1 || !argv || !argv[0])
		return hvctl_usage_error("%s%smissing verb", prefix, colon);
	for (size_t i = 0; i < n_verbs; i++)
		if (strcmp(v[i].name, argv[0]) == 0) {
			verb = &v[i];
			break;
		}
	if (!verb)
		return hvctl_usage_error("%s%sunknown verb '%s'", prefix, colon, argv[0]);

	nargs = (unsigned)argc - 1;
	if (nargs < verb->min_args)
		return hvctl_usage_error("%s%s%s: missing argument (expects %s)", prefix, sp, verb->name,
					 verb->args ? verb->args : "none");
	if (nargs > verb->max_args) {
		if (verb->max_args == 0)
			return hvctl_usage_error("%s%s%s: takes no arguments, got '%s'", prefix, sp,
						 verb->name, argv[1]);
		return hvctl_usage_error("%s%s%s: too many arguments (expects %s)", prefix, sp,
					 verb->name, verb->args ? verb->args : "none");
	}
	if ((verb->flags & HVCTL_VERB_NEEDS_ROOT) && geteuid() != 0) {
		hvctl_error(-EPERM, "%s%s%s: needs root privileges", prefix, sp, verb->name);
		return HVCTL_EXIT_NOPERM;
	}
	return hvctl_exit_status(verb->fn(argc, argv, userdata));
}

/* ---- options and usage ---- */

static void help(FILE *f)
{
	size_t w = 0;

	fputs("Usage: hvctl [OPTIONS] VERB [ARGS...]\n"
	      "\n"
	      "Query and control the Hyper-V integration services of this guest.\n"
	      "\n"
	      "Verbs:\n",
	      f);
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		w = HV_MAX(w, strlen(verbs[i].name) + (verbs[i].args ? 1 + strlen(verbs[i].args) : 0));
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		int n = fprintf(f, "  %s%s%s", verbs[i].name, verbs[i].args ? " " : "",
				verbs[i].args ? verbs[i].args : "");

		fprintf(f, "%*s%s\n", (int)(w + 4 - (size_t)(n - 2)), "", verbs[i].help);
	}

	fputs("\nOptions:\n", f);
	w = 0;
	for (size_t i = 0; i < ELEMENTSOF(options); i++)
		w = HV_MAX(w, strlen(options[i].name) + (options[i].arg ? strlen(options[i].arg) : 0));
	for (size_t i = 0; i < ELEMENTSOF(options); i++) {
		int n;

		if (options[i].val < 0x100)
			n = fprintf(f, "  -%c, --%s%s", options[i].val, options[i].name,
				    options[i].arg ? options[i].arg : "");
		else
			n = fprintf(f, "      --%s%s", options[i].name, options[i].arg ? options[i].arg : "");
		fprintf(f, "%*s%s\n", (int)(w + 12 - (size_t)n), "", options[i].help);
	}

	fputs("\nExit status: 0 success, 64 usage error, 65 bad data, 66 no input (a missing\n"
	      "pool directory), 69 unavailable (not a Hyper-V guest, service not offered),\n"
	      "70 internal error, 71 system error, 74 I/O error, 75 temporary failure,\n"
	      "77 permission denied, 2 not found (kvp get, kvp delete), 1 other failure.\n"
	      "See hvctl(8) for details.\n",
	      f);
}

/* Returns 1 to go on, 0 to exit successfully (--help, --version), or an
 * exit status > 1 (usage error, already reported) negated. */
static int parse_argv(int argc, char *argv[], FILE *out)
{
	struct option longopts[ELEMENTSOF(options) + 1];
	char shortopts[2 * ELEMENTSOF(options) + 2];
	size_t k = 0;
	int c;

	/* ':' first: a missing argument is reported as ':' rather than '?'. */
	shortopts[k++] = ':';
	for (size_t i = 0; i < ELEMENTSOF(options); i++) {
		longopts[i] = (struct option){ options[i].name, options[i].has_arg, NULL, options[i].val };
		if (options[i].val < 0x100) {
			shortopts[k++] = (char)options[i].val;
			if (options[i].has_arg == required_argument)
				shortopts[k++] = ':';
		}
	}
	shortopts[k] = '\0';
	longopts[ELEMENTSOF(options)] = (struct option){ 0 };

	/* Fresh state for every call (tests run several in one process). */
	hvctl_kvp_reset_options();
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(out);
			return 0;
		case 'V':
			fprintf(out, "hvctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		case 'v':
			arg_verbose++;
			break;
		case ARG_JSON: {
			enum hvctl_output o = optarg ? hvctl_output_from_string(optarg)
						     : HVCTL_OUTPUT_JSON_SHORT;

			if (o < 0)
				return -hvctl_usage_error("invalid --json mode '%s' (expected short or pretty)",
							  optarg);
			arg_json = o;
			break;
		}
		case ':':
			return -hvctl_usage_error("option '%s' needs an argument", argv[optind - 1]);
		case '?': {
			const char *a = argv[optind - 1], *eq;

			if (strncmp(a, "--", 2) != 0)
				return -hvctl_usage_error("unknown option '-%c'", optopt);
			/* A long option: unknown, ambiguous, or given an argument
			 * it does not take. */
			eq = strchr(a, '=');
			for (size_t i = 0; eq && i < ELEMENTSOF(options); i++)
				if (options[i].has_arg == no_argument &&
				    strncmp(a + 2, options[i].name, (size_t)(eq - a - 2)) == 0 &&
				    options[i].name[eq - a - 2] == '\0')
					return -hvctl_usage_error("option '--%s' takes no argument",
								  options[i].name);
			return -hvctl_usage_error("unknown option '%s'", a);
		}
		default:
			if (c >= HVCTL_ARG_KVP_POOL && c < _HVCTL_ARG_KVP_END) {
				int r = hvctl_kvp_parse_option(c, optarg);

				if (r != 0)
					return -r;
				break;
			}
			return -hvctl_usage_error("unexpected option");
		}
	}
	return 1;
}

int hvctl_run_with(int argc, char *argv[], struct hvctl_context *ctx)
{
	int r;

	r = parse_argv(argc, argv, ctx->out);
	if (r <= 0) {
		if (fflush(ctx->out) != 0 && r == 0)
			return hvctl_exit_status(hvctl_error(hv_negative_errno(),
							     "failed to write output: %m"));
		return -r;
	}
	return hvctl_dispatch(verbs, ELEMENTSOF(verbs), NULL, argc - optind, argv + optind, ctx);
}

int hvctl_run(int argc, char *argv[])
{
	struct hvctl_context ctx = { .out = stdout };
	struct hv_path *path;
	const char *level = getenv("HV_LOG_LEVEL");
	int r;

	/* Library messages (debug details about malformed sysfs attributes,
	 * for instance) go to stderr; HV_LOG_LEVEL=debug shows them all. */
	hv_log_set_sink(hv_log_stderr_sink, (void *)"hvctl");
	hv_log_set_max_level(HV_LOG_WARNING);
	if (level && *level) {
		r = hv_log_level_from_string(level);
		if (r >= 0)
			hv_log_set_max_level(r);
	}

	path = hv_path_new_from_env();
	if (!path)
		return hvctl_exit_status(hvctl_error(-ENOMEM, "out of memory"));
	ctx.path = path;
	r = hvctl_run_with(argc, argv, &ctx);
	hv_path_free(path);
	return r;
}

/* ---- printer glue ---- */

struct hvctl_printer *hvctl_printer_for(const struct hvctl_context *ctx)
{
	return hvctl_printer_new(ctx->out, arg_json);
}

int hvctl_printer_finish(struct hvctl_printer *p)
{
	int r = hvctl_printer_flush(p);

	if (r == -ENOTRECOVERABLE || r == -ENOMEM)
		return hvctl_error(r, "cannot format output: %m");
	if (r < 0)
		return hvctl_error(r, "failed to write output: %m");
	return 0;
}
