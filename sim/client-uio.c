/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hvsim host fcopy send`, `rescind`, `offer` and the uio part of
 * `status`.  See client-uio.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hvutil.h"
#include "client-uio.h"
#include "client.h"
#include "control.h"

/* ---- fcopy send ----------------------------------------------------------------- */

int hvsim_client_fcopy_send_request(char **pos, int n_pos, int64_t flags, int64_t cancel_after, json_object *req,
				    int *pass_fd)
{
	_cleanup_free_ char *dir = NULL;
	const char *local, *guest, *slash, *name;
	size_t dlen;

	if (n_pos != 4)
		return hvsim_client_usage("fcopy send needs LOCALFILE GUESTPATH");
	local = pos[2];
	guest = pos[3];
	if (guest[0] != '/')
		return hvsim_client_usage("fcopy send: the guest path '%s' is not absolute", guest);
	slash = strrchr(guest, '/');
	name = slash[1] ? slash + 1 : NULL;
	if (!name) {
		/* A directory: the local file's own name in it. */
		name = strrchr(local, '/');
		name = name ? name + 1 : local;
		if (!*name)
			return hvsim_client_usage("fcopy send: '%s' has no file name", local);
	}
	/* The directory without its trailing '/', except for the root. */
	dlen = (size_t)(slash - guest);
	dir = strndup(guest, dlen ? dlen : 1);
	if (!dir)
		return hvsim_client_usage("out of memory");
	*pass_fd = open(local, O_RDONLY | O_CLOEXEC);
	if (*pass_fd < 0) {
		fprintf(stderr, "hvsim host: %s: %s\n", local, strerror(errno));
		return HVSIM_EXIT_USAGE;
	}
	json_object_object_add(req, "op", json_object_new_string("copy"));
	json_object_object_add(req, "dir", json_object_new_string(dir));
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "flags", json_object_new_int64(flags));
	if (cancel_after >= 0)
		json_object_object_add(req, "cancel_after", json_object_new_int64(cancel_after));
	return 0;
}

static bool print_replies(json_object *reply, FILE *out)
{
	json_object *runs = NULL;
	bool all_ok = true;

	json_object_object_get_ex(reply, "replies", &runs);
	for (size_t i = 0; runs && i < json_object_array_length(runs); i++) {
		json_object *r = json_object_array_get_idx(runs, i);
		int64_t count = hvsim_client_num(r, "count");

		if (count > 1)
			fprintf(out, "%s x%" PRId64 ": %s\n", hvsim_client_txt(r, "op"), count,
				hvsim_client_txt(r, "status"));
		else
			fprintf(out, "%s: %s\n", hvsim_client_txt(r, "op"), hvsim_client_txt(r, "status"));
		if (hvsim_client_num(r, "status_code") != 0)
			all_ok = false;
	}
	return all_ok;
}

static void print_totals(json_object *reply, FILE *out)
{
	fprintf(out, "%" PRId64 " of %" PRId64 " bytes in %.3f s: %.2f MiB/s%s\n", hvsim_client_num(reply, "bytes"),
		hvsim_client_num(reply, "size"), hvsim_client_dbl(reply, "elapsed_s"),
		hvsim_client_dbl(reply, "mib_per_s"), hvsim_client_flag(reply, "cancelled") ? " (cancelled)" : "");
}

int hvsim_client_print_send(json_object *reply)
{
	bool ok = print_replies(reply, stdout);

	print_totals(reply, stdout);
	return ok && hvsim_client_num(reply, "status_code") == 0 ? 0 : HVSIM_EXIT_FAILURE_STATUS;
}

void hvsim_client_print_send_failure(json_object *reply)
{
	if (!hvsim_client_str(reply, "stage"))
		return;
	print_replies(reply, stderr);
	fprintf(stderr, "failed at %s: ", hvsim_client_txt(reply, "stage"));
	print_totals(reply, stderr);
}

/* ---- rescind, offer ---------------------------------------------------------------- */

int hvsim_client_device_request(const char *cmd, char **pos, int n_pos, json_object *req)
{
	if (n_pos != 2)
		return hvsim_client_usage("%s needs a device (its world name, e.g. fcopy, or uioN)", cmd);
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "device", json_object_new_string(pos[1]));
	return 0;
}

void hvsim_client_print_device_reply(const char *cmd, json_object *reply)
{
	printf("%s %s: %s\n", hvsim_client_txt(reply, "device"), strcmp(cmd, "rescind") == 0 ? "rescinded" : "offered",
	       hvsim_client_flag(reply, "present") ? hvsim_client_txt(reply, "node") : "gone");
}

/* ---- status ------------------------------------------------------------------------ */

static void print_ring(const char *name, json_object *r)
{
	printf(" %s w %" PRId64 " r %" PRId64 " mask %" PRId64 " pending %" PRId64 ";", name,
	       hvsim_client_num(r, "write_index"), hvsim_client_num(r, "read_index"),
	       hvsim_client_num(r, "interrupt_mask"), hvsim_client_num(r, "pending_send_sz"));
}

void hvsim_client_print_uio_status(json_object *reply)
{
	json_object *devs = NULL;

	if (!json_object_object_get_ex(reply, "uio", &devs))
		return;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i), *tx = NULL, *rx = NULL;

		printf("%-6s %-19s uio_hv_generic, ", hvsim_client_txt(d, "device"), hvsim_client_txt(d, "node"));
		if (!hvsim_client_flag(d, "present"))
			printf("rescinded");
		else if (hvsim_client_flag(d, "open"))
			printf("open (%" PRId64 " files)", hvsim_client_num(d, "open_files"));
		else
			printf("closed");
		printf(", ring %" PRId64 " bytes x 2, events %" PRId64 "\n", hvsim_client_num(d, "ring_size"),
		       hvsim_client_num(d, "event_count"));
		if (hvsim_client_str(d, "negotiation")) {
			printf("       negotiation %s", hvsim_client_txt(d, "negotiation"));
			if (hvsim_client_str(d, "host_service_version"))
				printf(" (framework %s, service %s)", hvsim_client_txt(d, "host_framework_version"),
				       hvsim_client_txt(d, "host_service_version"));
			printf("; host requests %" PRId64 ", answers %" PRId64 ", timeouts %" PRId64 "\n",
			       hvsim_client_num(d, "host_requests"), hvsim_client_num(d, "host_answers"),
			       hvsim_client_num(d, "ring_timeouts"));
		}
		printf("      ");
		if (json_object_object_get_ex(d, "tx", &tx) && json_object_object_get_ex(d, "rx", &rx)) {
			print_ring("tx", tx);
			print_ring("rx", rx);
		}
		printf(" opens %" PRId64 ", unmasks %" PRId64 ", masks %" PRId64 ", interrupts %" PRId64
		       ", bad reads %" PRId64 ", bad writes %" PRId64 ", EIO %" PRId64 "\n",
		       hvsim_client_num(d, "opens"), hvsim_client_num(d, "unmasks"), hvsim_client_num(d, "masks"),
		       hvsim_client_num(d, "interrupts"), hvsim_client_num(d, "bad_reads"),
		       hvsim_client_num(d, "bad_writes"), hvsim_client_num(d, "eio"));
		if (hvsim_client_str(d, "ring_error"))
			printf("       ring error: %s\n", hvsim_client_txt(d, "ring_error"));
	}
}
