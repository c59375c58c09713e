/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File copy service (see fcopy-service.h for the contract).
 *
 * Design: one switch over the host's operation; each handler returns the
 * HRESULT.  Every path that ends a copy goes through end_copy(), which
 * records the copy as the last one, counts it, logs it once and swaps in
 * writer options that a reload left waiting.  The [fcopy] schema lives here
 * too; its value types (paths, mode, account) are platform/config's.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/macros.h"
#include "base/string-table.h"
#include "proto/hv-status.h"
#include "services/fcopy-service.h"

/* Refusals with no copy open logged as warnings; later ones at debug level. */
#define REJECTS_LOGGED 20

/* A target as the host named it: a directory and a name of up to 777 bytes each. */
#define TARGET_MAX (2 * HV_FCOPY_NAME_UTF8_SIZE + 2)

struct copy_record {
	char target[TARGET_MAX];
	uint64_t file_size;
	uint64_t bytes;
	uint64_t fragments;
	uint64_t started_usec;
	uint64_t duration_usec;
	uint32_t status;
};

struct hv_fcopy_service {
	struct hv_fcopy_writer *writer;
	struct hv_fcopy_writer *next_writer; /* from a reload, waiting for the open copy to end */
	uint64_t (*now_usec)(void *userdata);
	void *userdata;
	bool open;
	struct copy_record current;
	struct copy_record last;
	bool have_last;
	struct hv_fcopy_service_stats stats;
};

const char *const hv_fcopy_transport_table[_HV_FCOPY_TRANSPORT_MAX] = {
	[HV_FCOPY_TRANSPORT_AUTO] = "auto",
	[HV_FCOPY_TRANSPORT_CHARDEV] = "chardev",
	[HV_FCOPY_TRANSPORT_UIO] = "uio",
};

HV_DEFINE_STRING_TABLE_LOOKUP(hv_fcopy_transport, enum hv_fcopy_transport);

/* ---- [fcopy] ---- */

#define CFG struct hv_fcopy_service_config

static const struct hv_config_item fcopy_config_items[] = {
	HV_CONFIG_ENUM("transport", CFG, transport, "auto",
		       "auto (the char device when it exists, else uio), chardev or uio", hv_fcopy_transport_table),
	HV_CONFIG_PATHS("roots", CFG, roots, HV_FCOPY_WRITER_DEFAULT_ROOT,
			"Directories copies may land in (symlinks never lead out of them)", HV_FCOPY_WRITER_MAX_ROOTS),
	HV_CONFIG_MODE("file-mode", CFG, file_mode, "0644", "Mode of copied files"),
	HV_CONFIG_MODE("directory-mode", CFG, directory_mode, "0755", "Mode of directories the host asks to create"),
	HV_CONFIG_ACCOUNT("owner", CFG, owner, "root", "Owner of copied files and created directories"),
	HV_CONFIG_ACCOUNT("group", CFG, group, "root", "Group of copied files and created directories"),
};

#undef CFG

const struct hv_config_section hv_fcopy_service_config_sections[2] = {
	{
		.name = "fcopy",
		.size = sizeof(struct hv_fcopy_service_config),
		.items = fcopy_config_items,
		.n_items = ELEMENTSOF(fcopy_config_items),
	},
	{},
};

static size_t lookup_buffer_size(int name)
{
	long n = sysconf(name);

	return n > 0 && n < 1024 * 1024 ? (size_t)n : 16384;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/*
 * The uid (group false) or gid an owner or group names: a number as it is,
 * a name through getpwnam_r()/getgrnam_r(), the buffer grown until it fits.
 */
static int lookup_id(const char *s, bool group, uint32_t *ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = lookup_buffer_size(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	struct passwd pw, *pw_res = NULL;
	struct group gr, *gr_res = NULL;
	int r;

	if (is_number(s)) {
		*ret = (uint32_t)strtoull(s, NULL, 10);
		return 0;
	}
	for (;;) {
		free(buf);
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = group ? getgrnam_r(s, &gr, buf, size, &gr_res) : getpwnam_r(s, &pw, buf, size, &pw_res);
		if (r != ERANGE || size > 1024 * 1024)
			break;
		size *= 2;
	}
	if (r != 0)
		return -r;
	if (group ? !gr_res : !pw_res)
		return -ENOENT;
	*ret = group ? gr.gr_gid : pw.pw_uid;
	return 0;
}

int hv_fcopy_service_writer_options_from_config(const struct hv_fcopy_service_config *cfg,
						 const struct hv_path *path, struct hv_fcopy_writer_options *ret)
{
	struct hv_fcopy_writer_options o;
	uint32_t id;
	int r;

	hv_fcopy_writer_options_init(&o);
	o.path = path;
	o.roots = cfg->roots;
	o.file_mode = cfg->file_mode;
	o.dir_mode = cfg->directory_mode;
	if (cfg->owner) {
		r = lookup_id(cfg->owner, false, &id);
		if (r < 0)
			return hv_log_err_errno(r, "[fcopy] owner=%s: %s", cfg->owner,
						r == -ENOENT ? "no such user" : "cannot look it up: %m");
		o.uid = id;
	}
	if (cfg->group) {
		r = lookup_id(cfg->group, true, &id);
		if (r < 0)
			return hv_log_err_errno(r, "[fcopy] group=%s: %s", cfg->group,
						r == -ENOENT ? "no such group" : "cannot look it up: %m");
		o.gid = id;
	}
	*ret = o;
	return 0;
}

/* ---- helpers ---- */

static uint64_t now_usec(const struct hv_fcopy_service *s)
{
	struct timespec ts;

	if (s->now_usec)
		return s->now_usec(s->userdata);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The host's strings in a log line: no control characters (no forged lines). */
static const char *printable(const char *in, char *buf, size_t size)
{
	size_t i = 0;

	for (; in[i] && i + 1 < size; i++)
		buf[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ? '?' : in[i];
	buf[i] = '\0';
	return buf;
}

/* §7.1's statuses only; proto/hv-status maps the ones that have a meaning. */
static uint32_t copy_status(int r)
{
	switch (r) {
	case 0:
	case -EEXIST:
	case -ENOSPC:
	case -EDQUOT:
		return hv_status_from_errno(r);
	default:
		return HV_E_FAIL;
	}
}

static const char *start_error(int r)
{
	switch (r) {
	case -EEXIST:
		return "the file exists and the host did not ask to overwrite it";
	case -EACCES:
		return "the directory is not below any of the configured roots";
	case -EXDEV:
		return "the directory leads out of its root through a symlink";
	case -ELOOP:
		return "a symlink in the way was refused";
	case -ENOENT:
		return "the directory does not exist (and the host did not ask to create it)";
	case -ENOTDIR:
		return "a component of the directory is not a directory";
	case -EISDIR:
		return "the target is a directory";
	case -EINVAL:
		return "the file or directory name is not acceptable";
	default:
		return NULL;
	}
}

static void swap_pending_writer(struct hv_fcopy_service *s)
{
	if (!s->next_writer)
		return;
	hv_fcopy_writer_free(s->writer);
	s->writer = TAKE_PTR(s->next_writer);
}

enum copy_end {
	COPY_OK,
	COPY_FAILED,
	COPY_CANCELLED,
};

/* The open copy is over (the writer has already ended it). */
static void end_copy(struct hv_fcopy_service *s, enum copy_end how, uint32_t status, int error, const char *why)
{
	struct copy_record *c = &s->current;
	char name[TARGET_MAX];

	c->duration_usec = now_usec(s) - c->started_usec;
	c->status = status;
	printable(c->target, name, sizeof(name));
	switch (how) {
	case COPY_OK:
		s->stats.copies_ok++;
		s->stats.bytes += c->bytes;
		hv_log_info("Copied %s: %" PRIu64 " bytes in %" PRIu64 " fragments, %" PRIu64 ".%03" PRIu64 " s",
			    name, c->bytes, c->fragments, c->duration_usec / 1000000u,
			    (c->duration_usec / 1000u) % 1000u);
		break;
	case COPY_FAILED:
		s->stats.copies_failed++;
		if (error < 0)
			(void)hv_log_warning_errno(error, "Copy of %s failed after %" PRIu64 " bytes: %s: %m", name,
						   c->bytes, why);
		else
			hv_log_warning("Copy of %s failed after %" PRIu64 " bytes: %s", name, c->bytes, why);
		break;
	case COPY_CANCELLED:
		s->stats.copies_cancelled++;
		hv_log_notice("Copy of %s cancelled after %" PRIu64 " bytes: %s", name, c->bytes, why);
		break;
	}
	s->last = *c;
	s->have_last = true;
	s->open = false;
	swap_pending_writer(s);
}

/* Fail the open copy (its temporary file goes) and answer HV_E_FAIL or
 * the status error maps to. */
static uint32_t fail_copy(struct hv_fcopy_service *s, int error, const char *why)
{
	uint32_t status = copy_status(error);

	(void)hv_fcopy_writer_cancel(s->writer);
	end_copy(s, COPY_FAILED, status, error, why);
	return status;
}

/* A request that does not fit the state or does not decode. */
static uint32_t reject(struct hv_fcopy_service *s, const char *what)
{
	s->stats.rejected++;
	if (s->open) {
		fail_copy(s, 0, what);
		return HV_E_FAIL;
	}
	/* A host that keeps sending nonsense must not flood the journal. */
	if (s->stats.rejected <= REJECTS_LOGGED)
		hv_log_warning("Refused a file-copy request: %s%s", what,
			       s->stats.rejected == REJECTS_LOGGED ? " (further refusals are logged at debug level)" : "");
	else
		hv_log_debug("Refused a file-copy request: %s", what);
	return HV_E_FAIL;
}

/* ---- operations ---- */

/* A START that opened nothing: recorded as the last copy all the same. */
static uint32_t refuse_start(struct hv_fcopy_service *s, int error, const char *why)
{
	struct copy_record *c = &s->current;
	char shown[TARGET_MAX];

	c->status = copy_status(error);
	s->last = *c;
	s->have_last = true;
	s->stats.copies_failed++;
	printable(c->target, shown, sizeof(shown));
	if (error == -EEXIST)
		hv_log_notice("Not copying %s: %s", shown, why);
	else if (why)
		hv_log_warning("Not copying %s: %s", shown, why);
	else
		(void)hv_log_warning_errno(error, "Not copying %s: %m", shown);
	swap_pending_writer(s);
	return c->status;
}

static uint32_t handle_start(struct hv_fcopy_service *s, const struct hv_fcopy_msg *m)
{
	const char *dir = m->start.path_name, *name = m->start.file_name;
	struct copy_record *c = &s->current;
	char shown[TARGET_MAX];
	bool was_open = s->open;
	int r;

	if (was_open) {
		/* Both go: the host lost track of the open one. */
		s->stats.rejected++;
		fail_copy(s, 0, "a new START arrived while it was open");
	}

	*c = (struct copy_record){ .file_size = m->start.file_size, .started_usec = now_usec(s) };
	snprintf(c->target, sizeof(c->target), "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
		 name);
	if (was_open)
		return refuse_start(s, -EBUSY, "it arrived while another copy was open");

	r = hv_fcopy_writer_start(s->writer, dir, name, m->start.copy_flags);
	if (r < 0)
		return refuse_start(s, r, start_error(r));
	/* A copy that cannot fit fails now, not after the host sent most of it
	 * (the writer ended the copy). */
	r = hv_fcopy_writer_reserve(s->writer, m->start.file_size);
	if (r < 0)
		return refuse_start(s, r, r == -ENOSPC || r == -EDQUOT ? "there is no room for it" : NULL);
	/* The writer's normalised form from now on. */
	snprintf(c->target, sizeof(c->target), "%s", hv_fcopy_writer_get_target(s->writer));
	s->open = true;
	hv_log_debug("Receiving %s (%" PRIu64 " bytes, flags 0x%x)", printable(c->target, shown, sizeof(shown)),
		     c->file_size, m->start.copy_flags);
	return HV_S_OK;
}

static uint32_t handle_write(struct hv_fcopy_service *s, const struct hv_fcopy_msg *m)
{
	struct copy_record *c = &s->current;
	uint64_t offset = m->write.offset, size = m->write.size;
	int r;

	if (!s->open)
		return reject(s, "WRITE with no copy open");
	if (size > HV_FCOPY_DATA_FRAGMENT)
		return reject(s, "WRITE of more than 6144 bytes");
	if (size > 0 && !m->write.data)
		return reject(s, "WRITE without data");
	if (offset > UINT64_MAX - size)
		return reject(s, "WRITE offset + size overflows");
	if (c->file_size != 0 && offset + size > c->file_size)
		return reject(s, "WRITE past the file size START announced");
	r = hv_fcopy_writer_write(s->writer, offset, m->write.data, (size_t)size);
	if (r < 0) {
		/* The writer ended the copy already. */
		uint32_t status = copy_status(r);

		end_copy(s, COPY_FAILED, status, r, "cannot write");
		return status;
	}
	c->bytes += size;
	c->fragments++;
	return HV_S_OK;
}

static uint32_t handle_complete(struct hv_fcopy_service *s)
{
	uint32_t status;
	int r;

	if (!s->open)
		return reject(s, "COMPLETE with no copy open");
	r = hv_fcopy_writer_complete(s->writer);
	status = copy_status(r);
	if (r < 0)
		end_copy(s, COPY_FAILED, status, r,
			 r == -EEXIST ? "the file appeared meanwhile and the host did not ask to overwrite it"
				      : "cannot put the file in place");
	else
		end_copy(s, COPY_OK, status, 0, NULL);
	return status;
}

static uint32_t handle_cancel(struct hv_fcopy_service *s)
{
	if (!s->open)
		return reject(s, "CANCEL with no copy open");
	(void)hv_fcopy_writer_cancel(s->writer);
	end_copy(s, COPY_CANCELLED, HV_S_OK, 0, "the host cancelled it");
	return HV_S_OK;
}

uint32_t hv_fcopy_service_handle(struct hv_fcopy_service *s, const struct hv_fcopy_msg *m)
{
	char what[64];

	s->stats.requests++;
	switch (m->op) {
	case HV_FCOPY_OP_START_FILE_COPY:
		return handle_start(s, m);
	case HV_FCOPY_OP_WRITE_TO_FILE:
		return handle_write(s, m);
	case HV_FCOPY_OP_COMPLETE_FCOPY:
		return handle_complete(s);
	case HV_FCOPY_OP_CANCEL_FCOPY:
		return handle_cancel(s);
	default:
		snprintf(what, sizeof(what), "unknown operation %" PRIu32, m->op);
		return reject(s, what);
	}
}

static uint32_t process_decoded(struct hv_fcopy_service *s, int r, const struct hv_fcopy_msg *m)
{
	if (r < 0) {
		s->stats.requests++;
		return reject(s, r == -EILSEQ ? "a name is not valid UTF-16" : "malformed message");
	}
	return hv_fcopy_service_handle(s, m);
}

uint32_t hv_fcopy_service_process_wire(struct hv_fcopy_service *s, const uint8_t *payload, size_t len)
{
	struct hv_fcopy_msg m;

	return process_decoded(s, hv_fcopy_wire_decode(payload, len, &m), &m);
}

uint32_t hv_fcopy_service_process_daemon(struct hv_fcopy_service *s, const uint8_t *msg, size_t len)
{
	struct hv_fcopy_msg m;

	return process_decoded(s, hv_fcopy_daemon_decode(msg, len, &m), &m);
}

bool hv_fcopy_service_cancel(struct hv_fcopy_service *s, const char *why)
{
	if (!s || !s->open)
		return false;
	(void)hv_fcopy_writer_cancel(s->writer);
	end_copy(s, COPY_CANCELLED, HV_E_FAIL, 0, why ? why : "stopped");
	return true;
}

bool hv_fcopy_service_is_open(const struct hv_fcopy_service *s)
{
	return s && s->open;
}

static void copy_info(const struct copy_record *c, uint64_t duration, struct hv_fcopy_copy_info *ret)
{
	*ret = (struct hv_fcopy_copy_info){
		.target = c->target,
		.file_size = c->file_size,
		.bytes = c->bytes,
		.fragments = c->fragments,
		.duration_usec = duration,
		.status = c->status,
	};
}

int hv_fcopy_service_get_current(const struct hv_fcopy_service *s, struct hv_fcopy_copy_info *ret)
{
	if (!s->open)
		return -ENOENT;
	copy_info(&s->current, now_usec(s) - s->current.started_usec, ret);
	return 0;
}

int hv_fcopy_service_get_last(const struct hv_fcopy_service *s, struct hv_fcopy_copy_info *ret)
{
	if (!s->have_last)
		return -ENOENT;
	copy_info(&s->last, s->last.duration_usec, ret);
	return 0;
}

void hv_fcopy_service_get_stats(const struct hv_fcopy_service *s, struct hv_fcopy_service_stats *ret)
{
	*ret = s->stats;
}

/* ---- the object ---- */

int hv_fcopy_service_reconfigure(struct hv_fcopy_service *s, const struct hv_fcopy_writer_options *o)
{
	struct hv_fcopy_writer *w;
	int r;

	r = hv_fcopy_writer_new(o, &w);
	if (r < 0)
		return r;
	hv_fcopy_writer_free(s->next_writer);
	s->next_writer = w;
	if (!s->open)
		swap_pending_writer(s);
	return 0;
}

int hv_fcopy_service_new(const struct hv_fcopy_service_options *o, struct hv_fcopy_service **ret)
{
	struct hv_fcopy_service *s;
	int r;

	if (!o || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->now_usec = o->now_usec;
	s->userdata = o->userdata;
	r = hv_fcopy_writer_new(&o->writer, &s->writer);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct hv_fcopy_service *hv_fcopy_service_free(struct hv_fcopy_service *s)
{
	if (!s)
		return NULL;
	hv_fcopy_service_cancel(s, "the service stops");
	hv_fcopy_writer_free(s->writer);
	hv_fcopy_writer_free(s->next_writer);
	free(s);
	return NULL;
}
