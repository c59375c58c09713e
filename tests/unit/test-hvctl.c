/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvctl's skeleton and the devices verb, in process: option parsing,
 * dispatch and its misuse messages, exit codes, and `devices` against
 * the fixture trees (the golden files in tests/golden/hvctl/ cover the
 * full outputs; these check the joins and the text/JSON agreement).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "cli/hvctl/hvctl.h"

#ifndef HV_TOP_SRCDIR_DEFAULT
#define HV_TOP_SRCDIR_DEFAULT "."
#endif

static void redirect_all(void)
{
	cr_redirect_stderr();
}

/* Runs hvctl with argv (NULL-terminated) against a fixture scenario
 * (NULL: the real root); stdout goes to *ret_out. */
static int run(const char *scenario, char **ret_out, const char *const *args)
{
	char *argv[16], *buf = NULL, *root = NULL;
	size_t len = 0;
	int argc = 0, r;
	struct hv_path *path;
	struct hvctl_context ctx;

	argv[argc++] = (char *)"hvctl";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;

	if (scenario) {
		const char *top = getenv("HV_TOP_SRCDIR");

		cr_assert(asprintf(&root, "%s/tests/fixtures/sysroot/%s",
				   top && *top ? top : HV_TOP_SRCDIR_DEFAULT, scenario) > 0);
	}
	path = hv_path_new(root);
	ctx = (struct hvctl_context){ .path = path, .out = open_memstream(&buf, &len) };
	arg_json = HVCTL_OUTPUT_TEXT;
	arg_verbose = 0;
	r = hvctl_run_with(argc, argv, &ctx);
	fclose(ctx.out);
	hv_path_free(path);
	free(root);
	if (ret_out)
		*ret_out = buf;
	else
		free(buf);
	return r;
}

#define RUN(scenario, out, ...) run(scenario, out, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- exit codes ---- */

Test(hvctl, exit_status_table)
{
	static const struct {
		int r, status;
	} cases[] = {
		{ 0, 0 },
		{ 64, 64 },
		{ 3, 3 },
		{ -ENODEV, 69 },
		{ -EOPNOTSUPP, 69 },
		{ -EACCES, 77 },
		{ -EPERM, 77 },
		{ -EIO, 74 },
		{ -ENOSPC, 74 },
		{ -EBADMSG, 65 },
		{ -E2BIG, 65 },
		{ -ENOMEM, 71 },
		{ -EBUSY, 75 },
		{ -ETIMEDOUT, 75 },
		{ -ENOTRECOVERABLE, 70 },
		{ -EINVAL, 1 },
		{ -ENOENT, 1 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		cr_assert_eq(hvctl_exit_status(cases[i].r), cases[i].status, "%d -> %d, want %d",
			     cases[i].r, hvctl_exit_status(cases[i].r), cases[i].status);
}

/* ---- dispatch, with a table of its own ---- */

static int seen_argc;

static int verb_ok(int argc, char *argv[], void *userdata)
{
	seen_argc = argc;
	return *(int *)userdata;
}

static const struct hvctl_verb test_verbs[] = {
	{ "none", 0, 0, 0, verb_ok, NULL, "takes nothing" },
	{ "some", 1, 2, 0, verb_ok, "KEY [VALUE]", "takes one or two" },
	{ "root", 0, 0, HVCTL_VERB_NEEDS_ROOT, verb_ok, NULL, "needs root" },
};

static int dispatch(int ret, const char *const *args)
{
	char *argv[8];
	int argc = 0;

	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	seen_argc = -1;
	return hvctl_dispatch(test_verbs, ELEMENTSOF(test_verbs), "x", argc, argv, &ret);
}

#define DISPATCH(ret, ...) dispatch(ret, (const char *const[]){ __VA_ARGS__, NULL })

Test(hvctl, dispatch_runs_verbs_and_maps_errors)
{
	cr_assert_eq(DISPATCH(0, "none"), 0);
	cr_assert_eq(seen_argc, 1);
	cr_assert_eq(DISPATCH(0, "some", "k"), 0);
	cr_assert_eq(DISPATCH(0, "some", "k", "v"), 0);
	cr_assert_eq(seen_argc, 3);
	cr_assert_eq(DISPATCH(-ENODEV, "none"), 69);
	cr_assert_eq(DISPATCH(2, "none"), 2, "exit statuses pass through");
}

Test(hvctl, dispatch_unknown_verb, .init = redirect_all)
{
	cr_assert_eq(DISPATCH(0, "bogus"), 64);
	cr_assert_eq(seen_argc, -1, "nothing ran");
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: x: unknown verb 'bogus'\nTry 'hvctl --help'.\n");
}

Test(hvctl, dispatch_missing_verb, .init = redirect_all)
{
	cr_assert_eq(hvctl_dispatch(test_verbs, ELEMENTSOF(test_verbs), "x", 0, NULL, NULL), 64);
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: x: missing verb\nTry 'hvctl --help'.\n");
}

Test(hvctl, dispatch_too_few, .init = redirect_all)
{
	cr_assert_eq(DISPATCH(0, "some"), 64);
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: x some: missing argument (expects KEY [VALUE])\n"
				"Try 'hvctl --help'.\n");
}

Test(hvctl, dispatch_too_many, .init = redirect_all)
{
	cr_assert_eq(DISPATCH(0, "some", "a", "b", "c"), 64);
	cr_assert_eq(DISPATCH(0, "none", "extra"), 64);
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: x some: too many arguments (expects KEY [VALUE])\n"
				"Try 'hvctl --help'.\n"
				"hvctl: x none: takes no arguments, got 'extra'\n"
				"Try 'hvctl --help'.\n");
	cr_assert_eq(seen_argc, -1);
}

Test(hvctl, dispatch_needs_root, .init = redirect_all)
{
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to drop privileges");
	cr_assert_eq(DISPATCH(0, "root"), 0, "root may");
	cr_assert_eq(seteuid(65534), 0, "%m");
	r = DISPATCH(0, "root");
	/* Back to root before anything can fail: the leak checker at exit
	 * needs a dumpable process. */
	cr_assert_eq(seteuid(0), 0, "%m");
	cr_assert_eq(r, 77);
	cr_assert_eq(seen_argc, -1, "refused before running");
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: x root: needs root privileges\n");
}

/* ---- global options ---- */

Test(hvctl, help_is_generated_from_the_tables)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN(NULL, &out, "--help"), 0);
	cr_assert_not_null(strstr(out, "Usage: hvctl [OPTIONS] VERB [ARGS...]\n"), "%s", out);
	cr_assert_not_null(strstr(out, "\n  devices    List VMBus devices"), "%s", out);
	cr_assert_not_null(strstr(out, "  -h, --help "), "%s", out);
	cr_assert_not_null(strstr(out, "  -v, --verbose "), "%s", out);
	cr_assert_not_null(strstr(out, "      --json[=MODE] "), "%s", out);
	cr_assert_not_null(strstr(out, "64 usage error"), "%s", out);
	free(out);
	cr_assert_eq(RUN(NULL, &out, "devices", "-h"), 0, "help wins wherever it is");
	cr_assert_not_null(strstr(out, "Usage:"));
}

Test(hvctl, version)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN(NULL, &out, "-V"), 0);
	cr_assert_str_eq(out, "hvctl (" PACKAGE_NAME ") " PACKAGE_VERSION "\n");
}

struct misuse_case {
	const char *args[5];
	const char *err;
};

Test(hvctl, misuse_is_one_line_and_exit_64, .init = redirect_all)
{
	static const struct misuse_case cases[] = {
		{ { NULL }, "hvctl: missing verb\n" },
		{ { "--bogus", NULL }, "hvctl: unknown option '--bogus'\n" },
		{ { "-x", "devices", NULL }, "hvctl: unknown option '-x'\n" },
		{ { "--help=yes", NULL }, "hvctl: option '--help' takes no argument\n" },
		{ { "--ver", "devices", NULL }, "hvctl: unknown option '--ver'\n" },
		{ { "-vx", "devices", NULL }, "hvctl: unknown option '-x'\n" },
		{ { "--json=tall", "devices", NULL },
		  "hvctl: invalid --json mode 'tall' (expected short or pretty)\n" },
		{ { "frobnicate", NULL }, "hvctl: unknown verb 'frobnicate'\n" },
		{ { "devices", "all", NULL }, "hvctl: devices: takes no arguments, got 'all'\n" },
	};
	char *want = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&want, &len);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *out = NULL;

		cr_assert_eq(run("gen2-vm", &out, cases[i].args), 64, "case %zu", i);
		cr_assert_str_eq(out, "", "case %zu: nothing on stdout", i);
		free(out);
		fprintf(w, "%sTry 'hvctl --help'.\n", cases[i].err);
	}
	fclose(w);
	fflush(stderr);
	cr_assert_stderr_eq_str(want);
	free(want);
}

Test(hvctl, options_anywhere)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	cr_assert_eq(RUN("gen2-vm", &a, "-vv", "devices"), 0);
	cr_assert_eq(RUN("gen2-vm", &b, "devices", "-v", "--verbose"), 0);
	cr_assert_str_eq(a, b);
	cr_assert_eq(RUN("gen2-vm", &c, "--json", "devices"), 0);
	cr_assert_eq(c[0], '[', "--json does not take 'devices' as its MODE");
}

/* ---- devices ---- */

Test(hvctl, devices_no_vmbus, .init = redirect_all)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN("no-vmbus", &out, "devices"), 69);
	cr_assert_str_eq(out, "", "not an empty table");
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"hvctl: no VMBus found (/sys/bus/vmbus does not exist): this is not a Hyper-V guest\n");
}

Test(hvctl, devices_no_vmbus_json_too, .init = redirect_all)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN("no-vmbus", &out, "--json", "devices"), 69);
	cr_assert_str_eq(out, "");
}

Test(hvctl, devices_text_lines)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN("gen2-vm", &out, "devices"), 0);
	cr_assert(strncmp(out, "VMBUS ID  2: [Time Synchronization]\n", 36) == 0, "%s", out);
	cr_assert_not_null(strstr(out, "VMBUS ID  7: [Operating system shutdown]\nVMBUS ID 10: "
				       "Synthetic SCSI Controller\n"),
			   "numeric order, aligned ids: %s", out);
	cr_assert_null(strstr(out, "Rel_ID"), "channels only with -v");
}

Test(hvctl, devices_unknown_class_shows_guid)
{
	_cleanup_free_ char *out = NULL;

	cr_assert_eq(RUN("unknown-class", &out, "devices"), 0);
	cr_assert_str_eq(out, "VMBUS ID  4: [Data Exchange]\n"
			      "VMBUS ID  9: Unknown class {d1a0b5e9-7c3f-4b2e-9f1d-3c5a7e9b1d2f}\n");
}

/* The point of the one printer: text and JSON list the same devices in
 * the same order with the same ids, descriptions and channels. */
Test(hvctl, devices_text_and_json_agree)
{
	static const char *const scenarios[] = { "gen2-vm", "unknown-class", "malformed" };

	for (size_t s = 0; s < ELEMENTSOF(scenarios); s++) {
		_cleanup_free_ char *text = NULL, *json = NULL;
		char *line, *save = NULL;
		json_object *doc;
		size_t i = 0;

		cr_assert_eq(RUN(scenarios[s], &text, "-v", "devices"), 0);
		cr_assert_eq(RUN(scenarios[s], &json, "devices", "--json=pretty"), 0);
		doc = json_tokener_parse(json);
		cr_assert(json_object_is_type(doc, json_type_array), "%s: %s", scenarios[s], json);

		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_object *dev, *v, *chans;
			char want[256];
			const char *desc;

			if (strncmp(line, "VMBUS ID", 8) != 0)
				continue;
			cr_assert_lt(i, json_object_array_length(doc));
			dev = json_object_array_get_idx(doc, i++);
			json_object_object_get_ex(dev, "description", &v);
			desc = v ? json_object_get_string(v) : NULL;
			json_object_object_get_ex(dev, "vmbus_id", &v);
			if (v)
				snprintf(want, sizeof(want), "VMBUS ID %2d: ", json_object_get_int(v));
			else
				snprintf(want, sizeof(want), "VMBUS ID  ?: ");
			cr_assert(strncmp(line, want, strlen(want)) == 0, "'%s' vs '%s'", line, want);
			if (desc)
				cr_assert_not_null(strstr(line, desc), "'%s' lacks '%s'", line, desc);
			json_object_object_get_ex(dev, "channels", &chans);
			for (size_t c = 0; c < json_object_array_length(chans); c++) {
				json_object *ch = json_object_array_get_idx(chans, c), *relid;

				line = strtok_r(NULL, "\n", &save);
				json_object_object_get_ex(ch, "relid", &relid);
				snprintf(want, sizeof(want), "\tRel_ID=%d, ", json_object_get_int(relid));
				cr_assert(line && strncmp(line, want, strlen(want)) == 0, "'%s' vs '%s'", line,
					  want);
			}
		}
		cr_assert_eq(i, json_object_array_length(doc), "%s: as many devices", scenarios[s]);
		json_object_put(doc);
	}
}

Test(hvctl, devices_json_has_every_field_without_v)
{
	static const char *const keys[] = { "vmbus_id", "class_id", "description", "device_id",
					     "sysfs_path", "device_type", "driver", "numa_node",
					     "channels" };
	_cleanup_free_ char *json = NULL;
	json_object *doc, *dev, *ch;

	cr_assert_eq(RUN("gen2-vm", &json, "--json", "devices"), 0);
	doc = json_tokener_parse(json);
	cr_assert_eq(json_object_array_length(doc), 9);
	dev = json_object_array_get_idx(doc, 7);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		cr_assert(json_object_object_get_ex(dev, keys[i], NULL), "%s missing", keys[i]);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(dev, "device_type")), "nic");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(dev, "driver")), "hv_netvsc");
	ch = json_object_array_get_idx(json_object_object_get(dev, "channels"), 3);
	cr_assert_eq(json_object_get_int(json_object_object_get(ch, "relid")), 32);
	cr_assert_eq(json_object_get_int(json_object_object_get(ch, "subchannel_id")), 3);
	cr_assert_eq(json_object_get_int(json_object_object_get(ch, "target_cpu")), 3);
	cr_assert_eq(json_object_get_int(json_object_object_get(ch, "interrupts")), 405);
	cr_assert_eq(json_object_get_int(json_object_object_get(ch, "events")), 470);
	json_object_put(doc);
}

Test(hvctl, devices_write_error_is_exit_74, .init = redirect_all)
{
	struct hv_path *path;
	struct hvctl_context ctx;
	char *argv[] = { (char *)"hvctl", (char *)"devices", NULL };
	const char *top = getenv("HV_TOP_SRCDIR");
	_cleanup_free_ char *root = NULL;

	cr_assert(asprintf(&root, "%s/tests/fixtures/sysroot/gen2-vm",
			   top && *top ? top : HV_TOP_SRCDIR_DEFAULT) > 0);
	path = hv_path_new(root);
	ctx = (struct hvctl_context){ .path = path, .out = fopen("/dev/full", "we") };
	cr_assert_not_null(ctx.out);
	cr_assert_eq(hvctl_run_with(2, argv, &ctx), 74);
	fclose(ctx.out);
	hv_path_free(path);
	fflush(stderr);
	cr_assert_stderr_eq_str("hvctl: failed to write output: No space left on device\n");
}
