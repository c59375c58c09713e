/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts of `hvsim host` for VSS and VSS worlds: how a VSS answer, a
 * whole backup and the test file systems (`fs`, and the file-system lines
 * of `status`) print.  client.c parses the options and calls these.
 */
#pragma once

#include <json-c/json.h>

/* One VSS answer ("HV_S_OK (0x00000000), flags 0, 0.412 ms") or a whole
 * backup (a line per step and a summary); returns the exit status: 0 when
 * the guest answered HV_S_OK (every step of a backup). */
int hvsim_client_print_vss(json_object *reply);
/* `fs`: the test file systems of a world with a root of its own. */
void hvsim_client_print_fs(json_object *reply);
/* The "vss_world" part of a status answer. */
void hvsim_client_print_vss_status(json_object *reply);
