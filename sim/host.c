/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host engine core.  See host.h; the services are in host-kvp.c,
 * host-vss.c and host-fcopy.c (host-internal.h between them).
 *
 * Replies from the models are copied into an inbox and handled from
 * hvsim_host_tick(), never inside the model's callback: a reply may finish
 * a job, and a job's next packet may be answered by the model before
 * hvsim_cdev_host_send() returns (VSS ops the kernel answers itself), so
 * handling replies in place would re-enter the job that is sending.
 *
 * A job whose owner's timeout passes is answered "timeout" at once; its
 * packet is withdrawn from the ring if the kernel has not read it yet
 * (nothing was delivered: realistic for a KVP request before any daemon
 * registered), else the job stays "abandoned" until its answer comes and
 * is then dropped.
 *
 * Each channel talks through a link (struct hvsim_host_link_ops): the
 * char-device models here, the uio ring in host-ring.c.  Failures a link
 * reports (its own timeout, a malformed reply) go through the inbox too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hvutil.h"
#include "host-internal.h"
#include "proto/hv-status.h"
#include "proto/icmsg.h"

#define DEFAULT_TIMEOUT_MS (60 * 1000)

struct inbox {
	struct inbox *next;
	enum hvsim_cdev_kind kind;
	uint64_t cookie;
	char *error; /* a failure instead of an answer */
	size_t len;
	uint8_t data[];
};

struct channel {
	const struct hvsim_host_link_ops *ops; /* NULL: no such channel */
	void *link;
	const char *transport;   /* "hv_utils", "uio" */
	const char *closed_hint; /* why requests fail while closed */
	bool open;               /* the guest side has it open */
	uint64_t opens, closes;
	char *negotiate_error;
	bool negotiated;
	int negotiate_result; /* 0, -EPROTO, -EBADMSG; 1 = pending */
	struct hv_ic_version fw, srv;
	uint64_t requests, answers, timeouts;
	uint32_t last_status;
	bool have_last;
};

struct hvsim_host {
	struct channel ch[_HVSIM_CDEV_MAX];
	struct hvsim_host_job *jobs;
	struct inbox *inbox, *inbox_tail;
	uint64_t next_cookie;
};

static const struct hvsim_host_service *const services[_HVSIM_CDEV_MAX] = {
	[HVSIM_CDEV_KVP] = &hvsim_host_kvp_service,
	[HVSIM_CDEV_VSS] = &hvsim_host_vss_service,
	[HVSIM_CDEV_FCOPY] = &hvsim_host_fcopy_service,
};

/* Host offers: framework 3.0 and 1.0, services per §2.2 (the newest a
 * host of today speaks first). */
static const struct hv_ic_version host_fw[] = { { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version host_kvp[] = { { 4, 0 }, { 3, 0 }, { 1, 0 } };
static const struct hv_ic_version host_vss[] = { { 5, 0 }, { 4, 0 } };
static const struct hv_ic_version host_fcopy[] = { { 1, 1 }, { 1, 0 } };
static const struct {
	const struct hv_ic_version *v;
	size_t n;
	struct hv_ic_version fallback; /* used before negotiation completes */
} offers[_HVSIM_CDEV_MAX] = {
	[HVSIM_CDEV_KVP] = { host_kvp, ELEMENTSOF(host_kvp), { 4, 0 } },
	[HVSIM_CDEV_VSS] = { host_vss, ELEMENTSOF(host_vss), { 5, 0 } },
	[HVSIM_CDEV_FCOPY] = { host_fcopy, ELEMENTSOF(host_fcopy), { 1, 1 } },
};

static void job_free(struct hvsim_host_job *j)
{
	if (!j)
		return;
	if (j->fcopy.replies)
		json_object_put(j->fcopy.replies);
	free(j->raw);
	free(j->kvp.key);
	free(j->kvp.value);
	free(j->kvp.ip);
	hvsim_host_kvp_bench_free(j->kvp.bench);
	hvsim_host_vss_backup_free(j->vss.backup);
	if (j->kvp.items)
		json_object_put(j->kvp.items);
	free(j->fcopy.dir);
	free(j->fcopy.name);
	free(j->fcopy.data);
	hv_safe_close(j->fcopy.fd);
	free(j);
}

static struct hvsim_host_job *job_new(enum hvsim_cdev_kind kind)
{
	struct hvsim_host_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->fcopy.fd = -EBADF;
	j->deadline = UINT64_MAX;
	return j;
}

/* ---- links ------------------------------------------------------------------ */

static int cdev_link_send(void *link, const uint8_t *payload, size_t len, uint64_t cookie, uint64_t now)
{
	return hvsim_cdev_host_send(link, payload, len, cookie, now);
}

static bool cdev_link_cancel(void *link, uint64_t cookie)
{
	return hvsim_cdev_host_cancel(link, cookie);
}

static const struct hvsim_host_link_ops cdev_link_ops = {
	.send = cdev_link_send,
	.cancel = cdev_link_cancel,
};

struct hvsim_host *hvsim_host_new(struct hvsim_cdev *const cdevs[_HVSIM_CDEV_MAX])
{
	struct hvsim_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++) {
		h->ch[k].negotiate_result = 1;
		if (!cdevs[k])
			continue;
		/* hv_utils opens its channels at probe, before any daemon. */
		h->ch[k].ops = &cdev_link_ops;
		h->ch[k].link = cdevs[k];
		h->ch[k].transport = "hv_utils";
		h->ch[k].open = true;
		h->ch[k].opens = 1;
	}
	return h;
}

void hvsim_host_set_link(struct hvsim_host *h, enum hvsim_cdev_kind k, const struct hvsim_host_link_ops *ops,
			 void *link, const char *transport, const char *closed_hint)
{
	struct channel *ch = &h->ch[k];

	ch->ops = ops;
	ch->link = link;
	ch->transport = transport;
	ch->closed_hint = closed_hint;
	ch->open = false;
	ch->negotiated = false;
	ch->negotiate_result = 1;
}

bool hvsim_host_has_channel(const struct hvsim_host *h, enum hvsim_cdev_kind k)
{
	return k >= 0 && k < _HVSIM_CDEV_MAX && h->ch[k].ops;
}

bool hvsim_host_negotiated(const struct hvsim_host *h, enum hvsim_cdev_kind k)
{
	return hvsim_host_has_channel(h, k) && h->ch[k].open && h->ch[k].negotiated;
}

struct hvsim_host *hvsim_host_free(struct hvsim_host *h)
{
	if (!h)
		return NULL;
	while (h->jobs) {
		struct hvsim_host_job *j = h->jobs;

		h->jobs = j->next;
		job_free(j);
	}
	while (h->inbox) {
		struct inbox *i = h->inbox;

		h->inbox = i->next;
		free(i->error);
		free(i);
	}
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
		free(h->ch[k].negotiate_error);
	free(h);
	return NULL;
}

static void job_link(struct hvsim_host *h, struct hvsim_host_job *j)
{
	j->next = h->jobs;
	h->jobs = j;
}

static void job_unlink(struct hvsim_host *h, struct hvsim_host_job *j)
{
	for (struct hvsim_host_job **pp = &h->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

/* ---- helpers for the services ------------------------------------------------ */

void hvsim_json_add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

void hvsim_json_add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

void hvsim_json_add_status(json_object *o, uint32_t status)
{
	const char *name = hv_status_to_string(status);
	char hex[16];

	snprintf(hex, sizeof(hex), "0x%08x", status);
	hvsim_json_add_str(o, "status", name ? name : hex);
	hvsim_json_add_int(o, "status_code", status);
}

json_object *hvsim_host_result_new(const struct hvsim_host_job *j)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	hvsim_json_add_str(o, "device", hvsim_cdev_kind_to_string(j->kind));
	return o;
}

json_object *hvsim_host_error_new(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	hvsim_json_add_str(o, "error", msg);
	return o;
}

const char *hvsim_req_str(json_object *req, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool hvsim_req_int(json_object *req, const char *key, int64_t *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

bool hvsim_req_bool(json_object *req, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(req, key, &v) && json_object_get_boolean(v);
}

int hvsim_req_fail(char **ret_error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
	return -EINVAL;
}

void hvsim_host_finish(struct hvsim_host *h, struct hvsim_host_job *j, json_object *result)
{
	job_unlink(h, j);
	if (!j->abandoned && j->done)
		j->done(result, j->userdata);
	else
		json_object_put(result);
	job_free(j);
}

void hvsim_host_note_status(struct hvsim_host *h, const struct hvsim_host_job *j, uint32_t status)
{
	h->ch[j->kind].last_status = status;
	h->ch[j->kind].have_last = true;
}

void hvsim_host_header(const struct hvsim_host *h, const struct hvsim_host_job *j, enum hv_icmsg_type type,
		       struct hv_icmsg_hdr *hdr)
{
	const struct channel *ch = &h->ch[j->kind];

	/* trans_id: the low byte of the cookie hvsim_host_send() assigns. */
	hv_icmsg_hdr_init_request(hdr, type, ch->negotiated ? ch->fw : HV_UTIL_FW_VERSION,
				  ch->negotiated ? ch->srv : offers[j->kind].fallback, 0,
				  (uint8_t)(h->next_cookie + 1));
}

int hvsim_host_send(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len, uint64_t now)
{
	struct channel *ch = &h->ch[j->kind];
	uint64_t cookie = ++h->next_cookie;
	int r;

	if (!ch->ops || !ch->open)
		return -ENOTCONN;
	r = ch->ops->send(ch->link, buf, len, cookie, now);
	if (r < 0)
		return r;
	j->cookie = cookie;
	ch->requests++;
	return 0;
}

/* ---- negotiation --------------------------------------------------------------- */

static void negotiate_channel(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t now)
{
	struct hvsim_host_job *j;
	uint8_t buf[256];
	int n;

	j = job_new(k);
	if (!j)
		return;
	j->negotiate = true;
	n = hv_icmsg_negotiate_request(buf, sizeof(buf), (uint8_t)(h->next_cookie + 1), host_fw, ELEMENTSOF(host_fw),
				       offers[k].v, offers[k].n);
	if (n < 0 || hvsim_host_send(h, j, buf, (size_t)n, now) < 0) {
		job_free(j);
		return;
	}
	job_link(h, j);
}

void hvsim_host_start(struct hvsim_host *h, uint64_t now)
{
	for (int k = 0; k < _HVSIM_CDEV_MAX; k++)
		if (h->ch[k].ops && h->ch[k].open)
			negotiate_channel(h, (enum hvsim_cdev_kind)k, now);
}

static void negotiate_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len)
{
	struct channel *ch = &h->ch[j->kind];

	ch->negotiate_result = hv_icmsg_negotiate_parse_reply(buf, len, &ch->fw, &ch->srv);
	ch->negotiated = ch->negotiate_result == 0;
	free(ch->negotiate_error);
	ch->negotiate_error = NULL;
	if (ch->negotiate_result < 0)
		ch->negotiate_error = strdup(ch->negotiate_result == -EPROTO ? "the guest speaks none of the offered versions"
									     : "malformed negotiation reply");
	hvsim_host_finish(h, j, json_object_new_object());
}

static void negotiate_failed(struct hvsim_host *h, struct hvsim_host_job *j, const char *error)
{
	struct channel *ch = &h->ch[j->kind];

	ch->negotiate_result = -EIO;
	ch->negotiated = false;
	free(ch->negotiate_error);
	ch->negotiate_error = strdup(error);
	hvsim_host_finish(h, j, json_object_new_object());
}

void hvsim_host_channel_open(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t now)
{
	struct channel *ch = &h->ch[k];

	if (!ch->ops || ch->open)
		return;
	ch->open = true;
	ch->opens++;
	ch->negotiated = false;
	ch->negotiate_result = 1;
	free(ch->negotiate_error);
	ch->negotiate_error = NULL;
	negotiate_channel(h, k, now);
}

void hvsim_host_channel_closed(struct hvsim_host *h, enum hvsim_cdev_kind k, const char *reason, uint64_t now)
{
	struct channel *ch = &h->ch[k];

	if (!ch->ops || !ch->open)
		return;
	ch->open = false;
	ch->closes++;
	ch->negotiated = false;
	ch->negotiate_result = 1;
	/* Answers still in the inbox belong to the channel that is gone. */
	for (struct inbox **pp = &h->inbox; *pp;) {
		struct inbox *i = *pp;

		if (i->kind != k) {
			pp = &i->next;
			continue;
		}
		*pp = i->next;
		free(i->error);
		free(i);
	}
	h->inbox_tail = NULL;
	for (struct inbox *i = h->inbox; i; i = i->next)
		h->inbox_tail = i;
	for (struct hvsim_host_job *j = h->jobs, *next; j; j = next) {
		next = j->next;
		if (j->kind != k)
			continue;
		j->cookie = 0;
		if (j->negotiate || j->abandoned) {
			job_unlink(h, j);
			job_free(j);
			continue;
		}
		hvsim_host_fail(h, j, reason);
	}
}

/* ---- raw packets ------------------------------------------------------------------------ */

/* {"op": "raw", "hex": "..."}: any payload, for tests of the kernel side
 * with malformed or unusual packets; the answer comes back in hex. */
static int raw_parse(struct hvsim_host_job *j, json_object *req, char **ret_error)
{
	const char *hex = hvsim_req_str(req, "hex");
	size_t n = 0;

	if (!hex)
		return hvsim_req_fail(ret_error, "raw: missing hex");
	j->raw = malloc(strlen(hex) / 2 + 1);
	if (!j->raw)
		return -ENOMEM;
	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ' || *p == ':' || *p == '\n') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &v) != 1 || !p[1] || p[1] == ' ')
			return hvsim_req_fail(ret_error, "raw: '%s' is not hex bytes", hex);
		j->raw[n++] = (uint8_t)v;
		p += 2;
	}
	if (n > HVSIM_CDEV_MAX_PACKET)
		return hvsim_req_fail(ret_error, "raw: more than %d bytes", HVSIM_CDEV_MAX_PACKET);
	j->raw_len = n;
	return 0;
}

static void raw_reply(struct hvsim_host *h, struct hvsim_host_job *j, const uint8_t *buf, size_t len)
{
	_cleanup_free_ char *hex = malloc(2 * len + 1);
	json_object *o;

	if (!hex) {
		hvsim_host_finish(h, j, hvsim_host_error_new("out of memory"));
		return;
	}
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	hex[2 * len] = '\0';
	o = hvsim_host_result_new(j);
	hvsim_json_add_str(o, "op", "raw");
	if (len >= HV_ICMSG_HDR_SIZE) {
		struct hv_icmsg_hdr hdr;

		if (hv_icmsg_parse(buf, len, &hdr) == 0) {
			hvsim_host_note_status(h, j, hdr.status);
			hvsim_json_add_status(o, hdr.status);
			hvsim_json_add_int(o, "icflags", hdr.flags);
		}
	}
	hvsim_json_add_int(o, "length", (int64_t)len);
	hvsim_json_add_str(o, "hex", hex);
	hvsim_host_finish(h, j, o);
}

/* ---- jobs ----------------------------------------------------------------------------- */

int hvsim_host_submit(struct hvsim_host *h, json_object *req, int fd, uint64_t now, hvsim_host_done_fn done,
		      void *userdata, char **ret_error)
{
	const char *cmd = hvsim_req_str(req, "cmd");
	enum hvsim_cdev_kind kind;
	struct hvsim_host_job *j;
	int64_t timeout = DEFAULT_TIMEOUT_MS;
	int r;

	*ret_error = NULL;
	kind = cmd ? hvsim_cdev_kind_from_string(cmd) : _HVSIM_CDEV_INVALID;
	if (kind < 0) {
		hv_safe_close(fd);
		return hvsim_req_fail(ret_error, "unknown cmd '%s'", cmd ? cmd : "");
	}
	if (!h->ch[kind].ops) {
		hv_safe_close(fd);
		return hvsim_req_fail(ret_error, "this world has no %s device bound to hv_utils or uio_hv_generic", cmd);
	}
	if (!h->ch[kind].open) {
		hv_safe_close(fd);
		return hvsim_req_fail(ret_error, "the guest has not opened the %s channel (%s)", cmd,
				      h->ch[kind].closed_hint ? h->ch[kind].closed_hint : "closed");
	}
	j = job_new(kind);
	if (!j) {
		hv_safe_close(fd);
		return hvsim_req_fail(ret_error, "out of memory");
	}
	/* "raw" with hex bytes is a whole payload; "vss raw CODE" (a "code",
	 * no "hex") is the service's own request with that operation byte. */
	if (hvsim_req_str(req, "op") && strcmp(hvsim_req_str(req, "op"), "raw") == 0 && hvsim_req_str(req, "hex"))
		r = raw_parse(j, req, ret_error);
	else
		r = services[kind]->parse(j, req, &fd, ret_error);
	hv_safe_close(fd);
	if (r < 0) {
		if (!*ret_error)
			*ret_error = strdup(hv_strerror(r));
		job_free(j);
		return -EINVAL;
	}
	if (hvsim_req_int(req, "timeout_ms", &timeout) && timeout < 0)
		timeout = 0;
	j->deadline = timeout > 0 ? now + (uint64_t)timeout : UINT64_MAX;
	j->done = done;
	j->userdata = userdata;
	job_link(h, j);
	if (j->raw)
		r = hvsim_host_send(h, j, j->raw, j->raw_len, now);
	else
		r = services[kind]->start(h, j, now);
	if (r < 0)
		hvsim_host_finish(h, j, hvsim_host_error_new("cannot send the request: %s", hv_strerror(r)));
	return 0;
}

void hvsim_host_forget_owner(struct hvsim_host *h, void *userdata)
{
	for (struct hvsim_host_job *j = h->jobs, *next; j; j = next) {
		next = j->next;
		if (j->userdata != userdata || !j->done)
			continue;
		if (j->must_finish) {
			j->done = NULL; /* its result goes nowhere, its packets still out */
			continue;
		}
		j->abandoned = true;
		/* A packet the kernel has not read is withdrawn; one it has
		 * read keeps the job until its answer comes. */
		if (!j->cookie || h->ch[j->kind].ops->cancel(h->ch[j->kind].link, j->cookie)) {
			job_unlink(h, j);
			job_free(j);
		}
	}
}

void hvsim_host_abort(struct hvsim_host *h, const char *reason)
{
	for (struct hvsim_host_job *j = h->jobs; j; j = j->next)
		if (!j->abandoned && j->done) {
			j->done(hvsim_host_error_new("%s", reason), j->userdata);
			j->abandoned = true;
		}
}

static void inbox_add(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t cookie, const uint8_t *payload,
		      size_t len, const char *error)
{
	struct inbox *i = malloc(sizeof(*i) + len);

	if (!i)
		return;
	i->next = NULL;
	i->kind = k;
	i->cookie = cookie;
	i->error = NULL;
	if (error) {
		i->error = strdup(error);
		if (!i->error) {
			free(i);
			return;
		}
	}
	i->len = len;
	if (len)
		memcpy(i->data, payload, len);
	if (h->inbox_tail)
		h->inbox_tail->next = i;
	else
		h->inbox = i;
	h->inbox_tail = i;
}

void hvsim_host_on_reply(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t cookie, const uint8_t *payload,
			 size_t len, uint64_t now)
{
	inbox_add(h, k, cookie, payload, len, NULL);
}

void hvsim_host_on_failure(struct hvsim_host *h, enum hvsim_cdev_kind k, uint64_t cookie, const char *error,
			   uint64_t now)
{
	inbox_add(h, k, cookie, NULL, 0, error ? error : "the request failed");
}

void hvsim_host_fail(struct hvsim_host *h, struct hvsim_host_job *j, const char *error)
{
	if (!j->abandoned && !j->raw && services[j->kind]->failed) {
		services[j->kind]->failed(h, j, error);
		return;
	}
	hvsim_host_finish(h, j, hvsim_host_error_new("%s", error));
}

static void process_inbox(struct hvsim_host *h, uint64_t now)
{
	while (h->inbox) {
		struct inbox *i = h->inbox;
		struct hvsim_host_job *j;

		h->inbox = i->next;
		if (!h->inbox)
			h->inbox_tail = NULL;
		if (!i->error)
			h->ch[i->kind].answers++;
		for (j = h->jobs; j; j = j->next)
			if (j->cookie == i->cookie && j->kind == i->kind)
				break;
		if (j && i->error) {
			j->cookie = 0;
			if (j->negotiate)
				negotiate_failed(h, j, i->error);
			else
				hvsim_host_fail(h, j, i->error);
		} else if (j) {
			j->cookie = 0;
			if (j->negotiate)
				negotiate_reply(h, j, i->data, i->len);
			else if (j->abandoned)
				hvsim_host_finish(h, j, json_object_new_object());
			else if (j->raw)
				raw_reply(h, j, i->data, i->len);
			else
				services[j->kind]->reply(h, j, i->data, i->len, now);
		}
		free(i->error);
		free(i);
	}
}

/* Jobs waiting between packets whose time came. */
static void run_wakes(struct hvsim_host *h, uint64_t now)
{
	for (struct hvsim_host_job *j = h->jobs, *next; j; j = next) {
		next = j->next;
		if (!j->wake || now < j->wake || j->abandoned || !services[j->kind]->wake)
			continue;
		j->wake = 0;
		services[j->kind]->wake(h, j, now);
	}
}

void hvsim_host_tick(struct hvsim_host *h, uint64_t now)
{
	process_inbox(h, now);
	run_wakes(h, now);
	for (struct hvsim_host_job *j = h->jobs, *next; j; j = next) {
		next = j->next;
		if (j->abandoned || now < j->deadline)
			continue;
		h->ch[j->kind].timeouts++;
		if (j->must_finish) {
			/* Its owner hears of the timeout; the job runs on. */
			if (j->done)
				j->done(hvsim_host_error_new("timeout: the guest has not finished yet"), j->userdata);
			j->done = NULL;
			j->deadline = UINT64_MAX;
			continue;
		}
		if (j->cookie && h->ch[j->kind].ops->cancel(h->ch[j->kind].link, j->cookie)) {
			/* Never read by the kernel: nothing was delivered. */
			hvsim_host_finish(h, j,
					  hvsim_host_error_new("timeout: the guest never read the request (%s)",
							       j->kind == HVSIM_CDEV_KVP ? "no KVP daemon registered?"
											  : "channel busy"));
			continue;
		}
		if (j->done)
			j->done(hvsim_host_error_new("timeout: no answer from the guest yet"), j->userdata);
		j->abandoned = true;
		if (!j->cookie) {
			job_unlink(h, j);
			job_free(j);
		}
	}
	process_inbox(h, now);
}

uint64_t hvsim_host_next_deadline(const struct hvsim_host *h)
{
	uint64_t d = UINT64_MAX;

	if (h->inbox)
		return 0;
	for (const struct hvsim_host_job *j = h->jobs; j; j = j->next) {
		if (!j->abandoned && j->deadline < d)
			d = j->deadline;
		if (!j->abandoned && j->wake && j->wake < d)
			d = j->wake;
	}
	return d;
}

void hvsim_host_describe(const struct hvsim_host *h, enum hvsim_cdev_kind k, json_object *out)
{
	const struct channel *ch = &h->ch[k];
	unsigned pending = 0;
	char v[32];

	if (!ch->ops)
		return;
	hvsim_json_add_str(out, "host_transport", ch->transport);
	json_object_object_add(out, "host_channel_open", json_object_new_boolean(ch->open));
	hvsim_json_add_int(out, "host_channel_opens", (int64_t)ch->opens);
	hvsim_json_add_int(out, "host_channel_closes", (int64_t)ch->closes);
	if (ch->negotiate_error)
		hvsim_json_add_str(out, "negotiation_error", ch->negotiate_error);
	if (ch->negotiated) {
		snprintf(v, sizeof(v), "%u.%u", ch->fw.major, ch->fw.minor);
		hvsim_json_add_str(out, "host_framework_version", v);
		snprintf(v, sizeof(v), "%u.%u", ch->srv.major, ch->srv.minor);
		hvsim_json_add_str(out, "host_service_version", v);
	}
	hvsim_json_add_str(out, "negotiation",
			   ch->negotiate_result == 1 ? "pending" : ch->negotiate_result == 0 ? "done" : "failed");
	hvsim_json_add_int(out, "host_requests", (int64_t)ch->requests);
	hvsim_json_add_int(out, "host_answers", (int64_t)ch->answers);
	hvsim_json_add_int(out, "host_timeouts", (int64_t)ch->timeouts);
	for (const struct hvsim_host_job *j = h->jobs; j; j = j->next)
		if (j->kind == k && !j->negotiate)
			pending++;
	hvsim_json_add_int(out, "host_jobs_pending", pending);
	if (ch->have_last) {
		const char *name = hv_status_to_string(ch->last_status);

		snprintf(v, sizeof(v), "0x%08x", ch->last_status);
		hvsim_json_add_str(out, "last_status", name ? name : v);
	}
}
