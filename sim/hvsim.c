/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvsim: the Hyper-V host and kernel simulator.  Verbs:
 *
 *   run    build a world and run a command in it (run.c)
 *   host   act as the host on a running world (client.c)
 *   world  check and print a world file (or the built-in default)
 *
 * See man hvsim(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hvutil.h"
#include "client.h"
#include "proto/guid.h"
#include "run.h"
#include "vss-world.h"
#include "world.h"

static void help(void)
{
	fputs("Usage: hvsim run [--world FILE] [--state DIR] [--control SOCKET] [--install PROGRAM]... [--debug]\n"
	      "                 -- COMMAND...\n"
	      "       hvsim host [--control SOCKET] [--json] [--timeout S] COMMAND ...\n"
	      "       hvsim world [FILE]\n"
	      "       hvsim --help | --version\n"
	      "\n"
	      "Simulates a Hyper-V host and the guest kernel's side of VMBus so that the\n"
	      "integration-service daemons run unmodified on any Linux machine.\n"
	      "See hvsim(1), and `hvsim host --help` for the host commands.\n",
	      stdout);
}

static int verb_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "world", required_argument, NULL, 'w' },
		{ "state", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "install", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct hvsim_run_options o = {};
	_cleanup_free_ char **install = calloc((size_t)argc, sizeof(char *));
	int c;

	if (!install)
		return 1;
	o.install = install;

	optind = 1;
	/* "+": options end at the command. */
	while ((c = getopt_long(argc, argv, "+w:s:c:di:h", options, NULL)) >= 0) {
		switch (c) {
		case 'w':
			o.world_path = optarg;
			break;
		case 's':
			o.state_dir = optarg;
			break;
		case 'c':
			o.control_path = optarg;
			break;
		case 'd':
			o.debug = true;
			break;
		case 'i':
			/* A root of its own gets a copy (vss-world.h). */
			o.install[o.n_install++] = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fputs("hvsim run: missing command (hvsim run [OPTIONS] -- COMMAND...)\n", stderr);
		return 2;
	}
	if (o.debug)
		hv_log_set_max_level(HV_LOG_DEBUG);
	o.argv = argv + optind;
	return hvsim_run(&o);
}

static void print_world(const struct hvsim_world *w)
{
	char list[4096];

	printf("world %s (%s)\n", w->name, w->source);
	hvsim_cpulist_format(&w->online, list, sizeof(list));
	printf("cpus %u online %s\n", w->n_cpus, list);
	for (unsigned n = 0; n < w->n_nodes; n++) {
		hvsim_cpulist_format(&w->nodes[n], list, sizeof(list));
		printf("node%u %s\n", n, list);
	}
	printf("kernel kvp_timeout %.3f vss_timeout %.3f vss_freeze_timeout %.3f fcopy_timeout %.3f "
	       "device_delay %.3f\n",
	       (double)w->kernel.kvp_timeout_ms / 1000, (double)w->kernel.vss_timeout_ms / 1000,
	       (double)w->kernel.vss_freeze_timeout_ms / 1000, (double)w->kernel.fcopy_timeout_ms / 1000,
	       (double)w->kernel.cdev_delay_ms / 1000);
	for (size_t i = 0; i < w->n_devices; i++) {
		const struct hvsim_device *d = w->devices[i];
		enum hvsim_cdev_kind k = hvsim_device_cdev(d);
		char cls[HV_GUID_STRING_MAX], inst[HV_GUID_STRING_MAX];

		hvsim_guid_format(d->class_guid, cls);
		hvsim_guid_format(d->instance_guid, inst);
		printf("device %s class %s {%s} instance %s driver %s", d->name, d->cls ? d->cls->name : "unknown",
		       cls, inst, d->driver ? d->driver : "none");
		if (k != _HVSIM_CDEV_INVALID)
			printf(" node /dev/vmbus/%s", hvsim_cdev_kind_node_name(k));
		printf("\n ");
		for (size_t c = 0; c < d->n_channels; c++) {
			printf(" %u:%u", d->channels[c].relid, d->channels[c].target_cpu);
			if (d->channels[c].monitor_id >= 0)
				printf("(monitor %d)", d->channels[c].monitor_id);
		}
		printf("\n");
	}
	hvsim_vss_spec_print(w->vss, stdout);
}

static int verb_world(int argc, char **argv)
{
	_cleanup_(hvsim_world_freep) struct hvsim_world *w = NULL;
	_cleanup_free_ char *error = NULL;
	int r;

	if (argc > 2) {
		fputs("hvsim world: at most one FILE\n", stderr);
		return 2;
	}
	if (argc == 2)
		r = hvsim_world_load(argv[1], &w, &error);
	else
		r = hvsim_world_new_default(&w);
	if (r < 0) {
		fprintf(stderr, "hvsim: %s\n", error ? error : hv_strerror(r));
		return 1;
	}
	print_world(w);
	return 0;
}

int main(int argc, char **argv)
{
	hv_log_set_sink(hv_log_stderr_sink, (void *)"hvsim");
	if (argc < 2) {
		help();
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("hvsim %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return verb_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "host") == 0)
		return hvsim_client_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "world") == 0)
		return verb_world(argc - 1, argv + 1);
	fprintf(stderr, "hvsim: unknown verb '%s' (run, host, world)\n", argv[1]);
	return 2;
}
