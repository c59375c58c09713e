/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hvsim host vss ...`, `fs` and the VSS-world lines of `status`.  See
 * client-vss.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/hvutil.h"
#include "client-vss.h"
#include "client.h"

static double ms(json_object *o, const char *k)
{
	return (double)hvsim_client_num(o, k) / 1000.0;
}

/* "HV_S_OK (0x00000000), flags 0, 0.412 ms" */
static void print_status_line(json_object *o)
{
	printf("%s (0x%08" PRIx32 "), flags %" PRId64 ", %.3f ms\n", hvsim_client_txt(o, "status"),
	       (uint32_t)hvsim_client_num(o, "status_code"), hvsim_client_num(o, "flags"), ms(o, "elapsed_us"));
}

static int print_backup(json_object *reply)
{
	json_object *steps = NULL;

	json_object_object_get_ex(reply, "steps", &steps);
	for (size_t i = 0; steps && i < json_object_array_length(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i);

		printf("%-12s ", hvsim_client_txt(s, "op"));
		if (hvsim_client_str(s, "error"))
			printf("error: %s\n", hvsim_client_str(s, "error"));
		else if (strcmp(hvsim_client_txt(s, "op"), "hold") == 0 && hvsim_client_str(s, "until_file"))
			printf("%.3f ms, until %s: %s\n", ms(s, "elapsed_us"), hvsim_client_str(s, "until_file"),
			       hvsim_client_flag(s, "file_seen") ? "it appeared" : "it did not appear in time");
		else if (strcmp(hvsim_client_txt(s, "op"), "hold") == 0)
			printf("%.3f ms\n", ms(s, "elapsed_us"));
		else
			print_status_line(s);
	}
	printf("%-12s %s (0x%08" PRIx32 ") in %.3f ms", "backup", hvsim_client_txt(reply, "status"),
	       (uint32_t)hvsim_client_num(reply, "status_code"), ms(reply, "elapsed_us"));
	if (hvsim_client_num(reply, "frozen_us") >= 0)
		printf(", frozen for %.3f ms", ms(reply, "frozen_us"));
	printf("\n");
	return hvsim_client_status_ok(reply) ? 0 : HVSIM_EXIT_FAILURE_STATUS;
}

int hvsim_client_print_vss(json_object *reply)
{
	if (json_object_object_get_ex(reply, "steps", NULL))
		return print_backup(reply);
	print_status_line(reply);
	return hvsim_client_status_ok(reply) ? 0 : HVSIM_EXIT_FAILURE_STATUS;
}

static void print_fs_line(json_object *f, const char *indent)
{
	json_object *binds = NULL;

	printf("%s%-10s %-6s %-12s %-20s %s\n", indent, hvsim_client_txt(f, "name"), hvsim_client_txt(f, "type"),
	       hvsim_client_txt(f, "device"), hvsim_client_txt(f, "mountpoint"), hvsim_client_txt(f, "outside"));
	json_object_object_get_ex(f, "binds", &binds);
	for (size_t i = 0; binds && i < json_object_array_length(binds); i++)
		printf("%s%-10s %-6s %-12s %-20s (bind)\n", indent, "", "", "",
		       json_object_get_string(json_object_array_get_idx(binds, i)));
}

static void print_fs_list(json_object *vw, const char *indent)
{
	json_object *fs = NULL;

	json_object_object_get_ex(vw, "filesystems", &fs);
	if (!fs || json_object_array_length(fs) == 0)
		return;
	printf("%s%-10s %-6s %-12s %-20s %s\n", indent, "NAME", "TYPE", "DEVICE", "IN THE WORLD", "OUTSIDE");
	for (size_t i = 0; i < json_object_array_length(fs); i++)
		print_fs_line(json_object_array_get_idx(fs, i), indent);
}

void hvsim_client_print_fs(json_object *reply)
{
	if (!hvsim_client_flag(reply, "own_root")) {
		printf("this world shares the machine's root: no test file systems\n");
		return;
	}
	print_fs_list(reply, "");
}

void hvsim_client_print_vss_status(json_object *reply)
{
	json_object *vw = NULL;

	if (!json_object_object_get_ex(reply, "vss_world", &vw) || !hvsim_client_flag(vw, "own_root"))
		return;
	printf("root of its own: %s (the command, pid %" PRId64 ", sees it as /)\n", hvsim_client_txt(vw, "root"),
	       hvsim_client_num(vw, "world_pid"));
	print_fs_list(vw, "  ");
}
