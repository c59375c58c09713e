/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Library logging.  lib/hvutil never writes to stderr or syslog itself: it
 * calls the sink that the program installed (a daemon forwards to stderr for
 * the journal; tests capture; the default sink drops everything).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

enum hv_log_level {
	HV_LOG_ERR = 3,
	HV_LOG_WARNING = 4,
	HV_LOG_NOTICE = 5,
	HV_LOG_INFO = 6,
	HV_LOG_DEBUG = 7,
};

typedef void (*hv_log_fn)(void *userdata, int level, const char *file, int line,
			  const char *func, const char *format, va_list ap);

void hv_log_set_sink(hv_log_fn fn, void *userdata);
void hv_log_set_max_level(int level);
int hv_log_get_max_level(void);
/* Parses "err", "warning", "notice", "info", "debug" or a number 0..7. */
int hv_log_level_from_string(const char *s);
const char *hv_log_level_to_string(int level);

/*
 * Buffer mode, for the time a daemon must not reach the disk or the journal
 * (hv-vssd while file systems are frozen: a journal on a frozen file system
 * would block the very write that logs it).  While it is on, messages that
 * pass the level filter are formatted into one buffer of max_bytes, allocated
 * when it starts, instead of reaching the sink; what does not fit is counted
 * and dropped.  hv_log_buffer_flush() ends it: the kept messages go to the
 * sink in order, then one warning "N messages dropped ..." when any was.
 * hv_log_buffer_discard() ends it silently (a forked child that must not
 * repeat its parent's messages).  Starting while on is -EBUSY.
 */
int hv_log_buffer_start(size_t max_bytes);
void hv_log_buffer_flush(void);
void hv_log_buffer_discard(void);
bool hv_log_is_buffering(void);

/* Always returns -abs(error) (or 0 when error is 0), so callers can write
 * `return hv_log_errno(r, "...")`.  errno is set to abs(error) while
 * formatting, so "%m" prints the error text. */
int hv_log_internal(int level, int error, const char *file, int line, const char *func,
		    const char *format, ...) _printf_(6, 7);

/* The ready-made sink for command-line programs and daemons: writes
 * "<prefix>: message" to stderr, or "<N>message" journal-style when
 * stderr is the journal (JOURNAL_STREAM is set). */
void hv_log_stderr_sink(void *userdata, int level, const char *file, int line,
			const char *func, const char *format, va_list ap);

#define hv_log_full(level, error, ...)                                                  \
	({                                                                              \
		int _l = (level), _e = (error);                                         \
		_l <= hv_log_get_max_level()                                            \
			? hv_log_internal(_l, _e, __FILE__, __LINE__, __func__, __VA_ARGS__) \
			: (_e < 0 ? _e : -_e);                                          \
	})

#define hv_log_debug(...) (void)hv_log_full(HV_LOG_DEBUG, 0, __VA_ARGS__)
#define hv_log_info(...) (void)hv_log_full(HV_LOG_INFO, 0, __VA_ARGS__)
#define hv_log_notice(...) (void)hv_log_full(HV_LOG_NOTICE, 0, __VA_ARGS__)
#define hv_log_warning(...) (void)hv_log_full(HV_LOG_WARNING, 0, __VA_ARGS__)
#define hv_log_err(...) (void)hv_log_full(HV_LOG_ERR, 0, __VA_ARGS__)
#define hv_log_debug_errno(e, ...) hv_log_full(HV_LOG_DEBUG, (e), __VA_ARGS__)
#define hv_log_info_errno(e, ...) hv_log_full(HV_LOG_INFO, (e), __VA_ARGS__)
#define hv_log_warning_errno(e, ...) hv_log_full(HV_LOG_WARNING, (e), __VA_ARGS__)
#define hv_log_err_errno(e, ...) hv_log_full(HV_LOG_ERR, (e), __VA_ARGS__)
