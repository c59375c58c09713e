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

# ring: one direction of a VMBus ring buffer (guest and simulated host);
# uio: a VMBus channel through uio_hv_generic.
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/transport/ring.h \
	lib/hvutil/transport/ring.c

HV_UNIT_TESTS += tests/unit/test-ring
tests_unit_test_ring_SOURCES = tests/unit/test-ring.c
tests_unit_test_ring_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_ring_LDADD = $(HV_TEST_LIBS)

lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/transport/uio.h \
	lib/hvutil/transport/uio.c

HV_UNIT_TESTS += tests/unit/test-uio
tests_unit_test_uio_SOURCES = tests/unit/test-uio.c
tests_unit_test_uio_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_uio_LDADD = $(HV_TEST_LIBS)
