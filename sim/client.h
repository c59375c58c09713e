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

#define HVSIM_EXIT_FAILURE_STATUS 1
#define HVSIM_EXIT_USAGE 2
#define HVSIM_EXIT_NO_ANSWER 3
#define HVSIM_EXIT_UNREACHABLE 4

/* argv[0] is "host". */
int hvsim_client_main(int argc, char **argv);
