/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small language helpers used everywhere: attributes, array sizes,
 * scope-bound cleanup and ownership transfer.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _const_ __attribute__((const))
#define _noreturn_ __attribute__((noreturn))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(a)                                                              \
	(__builtin_choose_expr(                                                    \
		!__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])), \
		sizeof(a) / sizeof((a)[0]), (void)0))

#define HV_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HV_MAX(a, b) ((a) > (b) ? (a) : (b))
#define STRLEN(s) (sizeof("" s "") - 1)

/* Take ownership out of a variable that has a cleanup attached. */
#define TAKE_PTR(p)                        \
	({                                 \
		__typeof__(p) _tp = (p);   \
		(p) = NULL;                \
		_tp;                       \
	})
#define TAKE_FD(fd)                        \
	({                                 \
		int _tfd = (fd);           \
		(fd) = -EBADF;             \
		_tfd;                      \
	})

static inline void hv_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(hv_freep)

/* close() that keeps errno and accepts negative descriptors. */
static inline int hv_safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -EBADF;
}
static inline void hv_closep(int *fd)
{
	hv_safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(hv_closep)

/* Defines name##p(type *p) calling func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)       \
	static inline void func##p(type *p)           \
	{                                             \
		if (*p)                               \
			func(*p);                     \
	}

#define HV_STRINGIFY_(x) #x
#define HV_STRINGIFY(x) HV_STRINGIFY_(x)
