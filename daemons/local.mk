# SPDX-License-Identifier: GPL-2.0-or-later

# daemons/common: the skeleton every daemon links (a convenience library).
noinst_LTLIBRARIES += daemons/common/libhvdaemon.la
daemons_common_libhvdaemon_la_SOURCES = \
	daemons/common/daemon.h \
	daemons/common/daemon.c \
	daemons/common/daemon-chardev.h \
	daemons/common/daemon-chardev.c
daemons_common_libhvdaemon_la_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)

# hv-testd: a daemon on the skeleton for tests/unit/test-daemon (not installed).
check_PROGRAMS += tests/helpers/hv-testd
tests_helpers_hv_testd_SOURCES = tests/helpers/hv-testd.c
tests_helpers_hv_testd_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
tests_helpers_hv_testd_LDADD = daemons/common/libhvdaemon.la lib/hvutil/libhvutil-internal.la $(HV_DEP_LIBS)

HV_UNIT_TESTS += tests/unit/test-daemon
tests_unit_test_daemon_SOURCES = tests/unit/test-daemon.c
tests_unit_test_daemon_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_daemon_LDADD = $(HV_TEST_LIBS)

HV_UNIT_TESTS += tests/unit/test-daemon-chardev
tests_unit_test_daemon_chardev_SOURCES = tests/unit/test-daemon-chardev.c \
	lib/hvutil/transport/chardev-fake.h lib/hvutil/transport/chardev-fake.c
tests_unit_test_daemon_chardev_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_daemon_chardev_LDADD = daemons/common/libhvdaemon.la $(HV_TEST_LIBS)

# hv-kvpd: the KVP daemon.
sbin_PROGRAMS += hv-kvpd
hv_kvpd_SOURCES = daemons/kvp/main.c
hv_kvpd_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
hv_kvpd_LDADD = daemons/common/libhvdaemon.la $(HV_PROG_LIBS)

# hv-vssd: the VSS (backup freeze) daemon.
sbin_PROGRAMS += hv-vssd
hv_vssd_SOURCES = daemons/vss/main.c
hv_vssd_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
hv_vssd_LDADD = daemons/common/libhvdaemon.la $(HV_PROG_LIBS)

# hv-fcopyd: the file-copy daemon (char device or uio).
sbin_PROGRAMS += hv-fcopyd
hv_fcopyd_SOURCES = daemons/fcopy/main.c
hv_fcopyd_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
hv_fcopyd_LDADD = daemons/common/libhvdaemon.la $(HV_PROG_LIBS)
