/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parts of `hvsim host` for file copy as a host sends it and for uio
 * devices: `fcopy send`, `rescind`, `offer`, and the uio lines of
 * `status`.  client.c parses the options and calls these.
 */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

/*
 * `fcopy send LOCALFILE GUESTPATH`: a "copy" request to GUESTPATH's
 * directory and file name (an absolute path; ending in '/' means the
 * local file's name in that directory).  flags: copy flags;
 * cancel_after: WRITE fragments before a CANCEL, -1 for none.  Opens the
 * local file into *pass_fd.  0, or an exit status after a message.
 */
int hvsim_client_fcopy_send_request(char **pos, int n_pos, int64_t flags, int64_t cancel_after, json_object *req,
				    int *pass_fd);
/* Prints a send result (every answer, bytes, seconds, MiB/s); returns the
 * exit status: 0 when the guest answered every request HV_S_OK. */
int hvsim_client_print_send(json_object *reply);
/* Prints what a failed copy got done (stderr). */
void hvsim_client_print_send_failure(json_object *reply);

/* `rescind DEVICE` / `offer DEVICE`: 0, or an exit status. */
int hvsim_client_device_request(const char *cmd, char **pos, int n_pos, json_object *req);
void hvsim_client_print_device_reply(const char *cmd, json_object *reply);

/* The "uio" part of a status answer. */
void hvsim_client_print_uio_status(json_object *reply);
