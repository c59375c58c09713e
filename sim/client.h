/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hvsim host ...`: the command-line client of a world's control socket
 * (control.h).  Builds one request from the arguments, waits for its
 * answer, prints it as text or --json.
 *
 * Exit status: 0 the guest answered HV_S_OK (or, for a whole-pool KVP
 * enumeration, ended it with HV_S_CONT; for a KVP benchmark, succeeded
 * every request); 1 the guest answered another status (a benchmark: any
 * request failed); 2 usage error; 3 no answer (timeout, no daemon, request
 * refused by hvsim); 4 cannot reach the world.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/macros.h"

#define HVSIM_EXIT_FAILURE_STATUS 1
#define HVSIM_EXIT_USAGE 2
#define HVSIM_EXIT_NO_ANSWER 3
#define HVSIM_EXIT_UNREACHABLE 4

/* argv[0] is "host". */
int hvsim_client_main(int argc, char **argv);

/*
 * Shared by client.c and its client-*.c parts.  A usage error: "hvsim host:
 * <message> (see hvsim host --help)" on stderr; returns HVSIM_EXIT_USAGE.
 */
int hvsim_client_usage(const char *fmt, ...) _printf_(1, 2);

/*
 * Fields of an answer; o may be NULL.  A missing field reads as NULL
 * (str), "-" (txt, for printing: never NULL), -1 (num, dbl) or false (flag).
 */
const char *hvsim_client_str(json_object *o, const char *k);
const char *hvsim_client_txt(json_object *o, const char *k);
int64_t hvsim_client_num(json_object *o, const char *k);
double hvsim_client_dbl(json_object *o, const char *k);
bool hvsim_client_flag(json_object *o, const char *k);
/* The guest answered HV_S_OK (status_code 0, with a status name). */
bool hvsim_client_status_ok(json_object *reply);
