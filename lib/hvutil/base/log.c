/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The injected log sink.  One process-wide sink and level: libraries in
 * this suite are used by one program at a time, and every program decides
 * where its messages go once, at start-up.  Buffer mode (see log.h) sits in
 * front of the sink for the times nothing may reach it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errno-util.h"
#include "log.h"
#include "string-table.h"

static hv_log_fn log_fn;
static void *log_userdata;
static int log_max_level = HV_LOG_INFO;

void hv_log_set_sink(hv_log_fn fn, void *userdata)
{
	log_fn = fn;
	log_userdata = userdata;
}

void hv_log_set_max_level(int level)
{
	if (level < 0)
		level = 0;
	if (level > HV_LOG_DEBUG)
		level = HV_LOG_DEBUG;
	log_max_level = level;
}

int hv_log_get_max_level(void)
{
	return log_max_level;
}

static const char *const log_level_table[] = {
	[0] = "emerg", [1] = "alert", [2] = "crit",
	[HV_LOG_ERR] = "err", [HV_LOG_WARNING] = "warning", [HV_LOG_NOTICE] = "notice",
	[HV_LOG_INFO] = "info", [HV_LOG_DEBUG] = "debug",
};

const char *hv_log_level_to_string(int level)
{
	if (level < 0 || (size_t)level >= ELEMENTSOF(log_level_table))
		return NULL;
	return log_level_table[level];
}

int hv_log_level_from_string(const char *s)
{
	ssize_t i;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	i = hv_string_table_lookup(log_level_table, ELEMENTSOF(log_level_table), s);
	if (i >= 0)
		return (int)i;
	if (strcmp(s, "error") == 0)
		return HV_LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return HV_LOG_WARNING;
	return -EINVAL;
}

/* ---- buffer mode ---- */

/* One kept message: this header, then the text and its NUL, padded so the
 * next header stays aligned. */
struct log_entry {
	int level;
	int line;
	const char *file; /* __FILE__ and __func__: static strings */
	const char *func;
	size_t len;
};

#define LOG_ENTRY_ALIGN (_Alignof(struct log_entry))
#define LOG_BUFFER_LINE_MAX 2048

static struct {
	bool on;
	char *buf;
	size_t size, used;
	unsigned long dropped;
} log_buffer;

int hv_log_buffer_start(size_t max_bytes)
{
	if (log_buffer.on)
		return -EBUSY;
	if (max_bytes < sizeof(struct log_entry) + LOG_ENTRY_ALIGN)
		return -EINVAL;
	/* All memory up front: nothing to allocate while frozen. */
	log_buffer.buf = malloc(max_bytes);
	if (!log_buffer.buf)
		return -ENOMEM;
	log_buffer.size = max_bytes;
	log_buffer.used = 0;
	log_buffer.dropped = 0;
	log_buffer.on = true;
	return 0;
}

bool hv_log_is_buffering(void)
{
	return log_buffer.on;
}

static void buffer_keep(int level, const char *file, int line, const char *func, const char *format,
			va_list ap)
{
	char text[LOG_BUFFER_LINE_MAX];
	struct log_entry e;
	size_t need;
	int n;

	n = vsnprintf(text, sizeof(text), format, ap);
	if (n < 0) {
		log_buffer.dropped++;
		return;
	}
	e = (struct log_entry){ .level = level, .line = line, .file = file, .func = func,
				.len = HV_MIN((size_t)n, sizeof(text) - 1) };
	need = sizeof(e) + e.len + 1;
	need = (need + LOG_ENTRY_ALIGN - 1) / LOG_ENTRY_ALIGN * LOG_ENTRY_ALIGN;
	if (need > log_buffer.size - log_buffer.used) {
		log_buffer.dropped++;
		return;
	}
	memcpy(log_buffer.buf + log_buffer.used, &e, sizeof(e));
	memcpy(log_buffer.buf + log_buffer.used + sizeof(e), text, e.len);
	log_buffer.buf[log_buffer.used + sizeof(e) + e.len] = '\0';
	log_buffer.used += need;
}

/* The sink takes a format and a va_list: give it "%s" and the text. */
static void sink_text(int level, const char *file, int line, const char *func, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	log_fn(log_userdata, level, file, line, func, format, ap);
	va_end(ap);
}

static void buffer_stop(void)
{
	free(log_buffer.buf);
	log_buffer.buf = NULL;
	log_buffer.size = log_buffer.used = 0;
	log_buffer.dropped = 0;
	log_buffer.on = false;
}

void hv_log_buffer_flush(void)
{
	size_t off = 0;

	if (!log_buffer.on)
		return;
	/* Off first, so the sink may log (and nothing is kept twice). */
	log_buffer.on = false;
	while (log_fn && off < log_buffer.used) {
		struct log_entry e;
		size_t step;

		memcpy(&e, log_buffer.buf + off, sizeof(e));
		sink_text(e.level, e.file, e.line, e.func, "%s", log_buffer.buf + off + sizeof(e));
		step = sizeof(e) + e.len + 1;
		off += (step + LOG_ENTRY_ALIGN - 1) / LOG_ENTRY_ALIGN * LOG_ENTRY_ALIGN;
	}
	if (log_fn && log_buffer.dropped > 0)
		sink_text(HV_LOG_WARNING, __FILE__, __LINE__, __func__,
			  "%lu messages dropped: the log buffer was full", log_buffer.dropped);
	buffer_stop();
}

void hv_log_buffer_discard(void)
{
	if (log_buffer.on)
		buffer_stop();
}

int hv_log_internal(int level, int error, const char *file, int line, const char *func,
		    const char *format, ...)
{
	int e = error < 0 ? -error : error;
	int saved = errno;
	va_list ap;

	if (log_buffer.on) {
		if (e)
			errno = e;
		va_start(ap, format);
		buffer_keep(level, file, line, func, format, ap);
		va_end(ap);
	} else if (log_fn) {
		/* "%m" in the format prints the error we were given. */
		if (e)
			errno = e;
		va_start(ap, format);
		log_fn(log_userdata, level, file, line, func, format, ap);
		va_end(ap);
	}
	errno = saved;
	return -e;
}

void hv_log_stderr_sink(void *userdata, int level, const char *file, int line, const char *func,
			const char *format, va_list ap)
{
	const char *prefix = userdata;
	char msg[2048];
	int n;

	n = vsnprintf(msg, sizeof(msg), format, ap);
	if (n < 0)
		return;
	/* The journal reads "<N>" as the priority when stderr is a journal
	 * stream; a terminal gets "prog: message". */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", level, msg);
	else if (prefix)
		fprintf(stderr, "%s: %s\n", prefix, msg);
	else
		fprintf(stderr, "%s\n", msg);
}
