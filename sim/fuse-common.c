/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blocked-read queue, dispatch loop and common operations of the FUSE
 * adapters.  See fuse-common.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "fuse-common.h"

void hvsim_fuse_queue_init(struct hvsim_fuse_queue *q, hvsim_fuse_try_fn try_read, void *userdata)
{
	*q = (struct hvsim_fuse_queue){ .try_read = try_read, .userdata = userdata };
}

/* True if r was answered. */
static bool reader_try(struct hvsim_fuse_queue *q, struct hvsim_fuse_reader *r)
{
	if (r->interrupted) {
		fuse_reply_err(r->req, EINTR);
		return true;
	}
	return q->try_read(r, q->userdata);
}

/* Drop the readers pick() answered (pick() replies to the ones it returns true for). */
static void queue_remove_if(struct hvsim_fuse_queue *q, bool (*pick)(struct hvsim_fuse_queue *q,
								       struct hvsim_fuse_reader *r, const void *arg),
			    const void *arg)
{
	struct hvsim_fuse_reader **pp = &q->head;

	while (*pp) {
		struct hvsim_fuse_reader *r = *pp;

		if (pick(q, r, arg)) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
}

static void on_interrupt(fuse_req_t req, void *data)
{
	struct hvsim_fuse_queue *q = data;

	for (struct hvsim_fuse_reader *r = q->head; r; r = r->next)
		if (r->req == req) {
			r->interrupted = true;
			q->have_interrupts = true;
		}
}

void hvsim_fuse_queue_read(struct hvsim_fuse_queue *q, fuse_req_t req, size_t size, void *file, bool nonblock)
{
	struct hvsim_fuse_reader *r, **pp;

	r = calloc(1, sizeof(*r));
	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r->req = req;
	r->size = size;
	r->file = file;
	if (reader_try(q, r)) {
		free(r);
		return;
	}
	if (nonblock) {
		free(r);
		fuse_reply_err(req, EAGAIN);
		return;
	}
	for (pp = &q->head; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	fuse_req_interrupt_func(req, on_interrupt, q);
}

static bool pick_answered(struct hvsim_fuse_queue *q, struct hvsim_fuse_reader *r, const void *arg)
{
	return reader_try(q, r);
}

void hvsim_fuse_queue_run(struct hvsim_fuse_queue *q)
{
	queue_remove_if(q, pick_answered, NULL);
}

static bool pick_interrupted(struct hvsim_fuse_queue *q, struct hvsim_fuse_reader *r, const void *arg)
{
	if (!r->interrupted)
		return false;
	fuse_reply_err(r->req, EINTR);
	return true;
}

void hvsim_fuse_queue_flush_interrupts(struct hvsim_fuse_queue *q)
{
	if (!q->have_interrupts)
		return;
	q->have_interrupts = false;
	queue_remove_if(q, pick_interrupted, NULL);
}

struct cancel {
	const void *file;
	int error;
};

static bool pick_cancelled(struct hvsim_fuse_queue *q, struct hvsim_fuse_reader *r, const void *arg)
{
	const struct cancel *c = arg;

	if (c->file && r->file != c->file)
		return false;
	fuse_reply_err(r->req, c->error);
	return true;
}

void hvsim_fuse_queue_cancel(struct hvsim_fuse_queue *q, const void *file, int error)
{
	struct cancel c = { .file = file, .error = error };

	queue_remove_if(q, pick_cancelled, &c);
}

unsigned hvsim_fuse_queue_length(const struct hvsim_fuse_queue *q)
{
	unsigned n = 0;

	for (const struct hvsim_fuse_reader *r = q->head; r; r = r->next)
		n++;
	return n;
}

int hvsim_fuse_session_dispatch(struct fuse_session *se, struct fuse_buf *buf,
				void (*flush_interrupts)(void *userdata), void *userdata)
{
	for (int i = 0; i < 64; i++) {
		int r;

		if (fuse_session_exited(se))
			return -ENODEV;
		r = fuse_session_receive_buf(se, buf);
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			break;
		if (r == 0)
			return -ENODEV;
		if (r < 0)
			return r;
		fuse_session_process_buf(se, buf);
		flush_interrupts(userdata);
	}
	flush_interrupts(userdata);
	return 0;
}

void hvsim_fuse_op_init(void *userdata, struct fuse_conn_info *conn)
{
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

void hvsim_fuse_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}
