# SPDX-License-Identifier: LGPL-2.1-or-later
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/base/macros.h \
	lib/hvutil/base/hvutil.h \
	lib/hvutil/base/errno-util.h \
	lib/hvutil/base/errno-util.c \
	lib/hvutil/base/log.h \
	lib/hvutil/base/log.c \
	lib/hvutil/base/string-table.h \
	lib/hvutil/base/string-table.c \
	lib/hvutil/base/utf16.h \
	lib/hvutil/base/utf16.c \
	lib/hvutil/base/path.h \
	lib/hvutil/base/path.c
# mountinfo parser (used by services/vss-plan; tested in tests/unit/test-vss-plan.c)
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/base/mountinfo.h \
	lib/hvutil/base/mountinfo.c
# GUID text shape (for transport/uio and platform/sysfs, which may not include proto/guid)
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/base/guid-text.h \
	lib/hvutil/base/guid-text.c
