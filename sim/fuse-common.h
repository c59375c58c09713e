/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the two FUSE adapters (fuse-dev.c for the hv_utils char devices,
 * fuse-uio.c for /dev/uioN) share: the queue of reads that found nothing
 * to return, the session's dispatch loop and the operations that are the
 * same in both.
 *
 * A queue keeps blocked reads in arrival order.  Retrying it offers each
 * read to the adapter in that order, as the kernel's woken readers
 * re-check their wait condition; the ones the adapter answers leave it.
 * A FUSE interrupt (a signal in the reader) marks its read; the read is
 * answered EINTR after libfuse's interrupt callback returned, never from
 * inside it (libfuse may hold the request's lock there), by
 * hvsim_fuse_queue_flush_interrupts(), which the dispatch loop calls
 * after every request.
 */
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 34
#endif

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>

struct hvsim_fuse_reader {
	struct hvsim_fuse_reader *next;
	fuse_req_t req;
	size_t size; /* of the reader's buffer */
	void *file;  /* the adapter's per-file state, or NULL */
	bool interrupted;
};

/*
 * Answer r now if it can be (fuse_reply_buf() or fuse_reply_err()): true
 * if it was answered, false to keep it waiting.  Not called for an
 * interrupted read.
 */
typedef bool (*hvsim_fuse_try_fn)(const struct hvsim_fuse_reader *r, void *userdata);

struct hvsim_fuse_queue {
	struct hvsim_fuse_reader *head;
	hvsim_fuse_try_fn try_read;
	void *userdata;
	bool have_interrupts;
};

void hvsim_fuse_queue_init(struct hvsim_fuse_queue *q, hvsim_fuse_try_fn try_read, void *userdata);

/*
 * A read request: answered now if try_read() can, else EAGAIN when
 * nonblock, else queued until a retry answers it or it is interrupted.
 */
void hvsim_fuse_queue_read(struct hvsim_fuse_queue *q, fuse_req_t req, size_t size, void *file, bool nonblock);

/* Offer every queued read to try_read() again, in arrival order. */
void hvsim_fuse_queue_run(struct hvsim_fuse_queue *q);

/* Answer the interrupted reads EINTR. */
void hvsim_fuse_queue_flush_interrupts(struct hvsim_fuse_queue *q);

/* Answer the queued reads of file (NULL: every one) with error and drop them. */
void hvsim_fuse_queue_cancel(struct hvsim_fuse_queue *q, const void *file, int error);

unsigned hvsim_fuse_queue_length(const struct hvsim_fuse_queue *q);

/*
 * Read and handle the requests available on se's non-blocking descriptor
 * now (at most 64 a call, so other sources get their turn), calling
 * flush_interrupts(userdata) after each.  0, or -ENODEV once the
 * connection is gone, or another -errno from libfuse.
 */
int hvsim_fuse_session_dispatch(struct fuse_session *se, struct fuse_buf *buf,
				void (*flush_interrupts)(void *userdata), void *userdata);

/* .init: nothing spliced, every byte goes through the adapter. */
void hvsim_fuse_op_init(void *userdata, struct fuse_conn_info *conn);
/* .flush: nothing to do. */
void hvsim_fuse_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
