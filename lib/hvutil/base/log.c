/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The injected log sink.  One process-wide sink and level: libraries in
 * this suite are used by one program at a time, and every program decides
 * where its messages go once, at start-up.
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

int hv_log_internal(int level, int error, const char *file, int line, const char *func,
		    const char *format, ...)
{
	int e = error < 0 ? -error : error;
	int saved = errno;
	va_list ap;

	if (log_fn) {
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
