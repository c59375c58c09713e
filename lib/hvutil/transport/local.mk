# SPDX-License-Identifier: LGPL-2.1-or-later

# chardev: /dev/vmbus/hv_* transport.  chardev-fake.c (a fake kernel) is
# compiled into the tests that use it, not into the shipped library.
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/transport/chardev.h \
	lib/hvutil/transport/chardev.c
EXTRA_DIST += lib/hvutil/transport/chardev-fake.h lib/hvutil/transport/chardev-fake.c

HV_UNIT_TESTS += tests/unit/test-chardev
tests_unit_test_chardev_SOURCES = tests/unit/test-chardev.c \
	lib/hvutil/transport/chardev-fake.h lib/hvutil/transport/chardev-fake.c
tests_unit_test_chardev_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_chardev_LDADD = $(HV_TEST_LIBS)
