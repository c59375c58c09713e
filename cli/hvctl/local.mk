# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvctl.  Everything but main() is in the convenience library libhvctl.la,
# which the unit tests link (tests/unit/test-hvctl*.c).
noinst_LTLIBRARIES += cli/hvctl/libhvctl.la
cli_hvctl_libhvctl_la_SOURCES = \
	cli/hvctl/hvctl.h \
	cli/hvctl/hvctl.c \
	cli/hvctl/printer.h \
	cli/hvctl/printer.c \
	cli/hvctl/hvctl-devices.c \
	cli/hvctl/hvctl-kvp.c \
	cli/hvctl/hvctl-ic.c \
	cli/hvctl/hvctl-vss.c
cli_hvctl_libhvctl_la_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)

bin_PROGRAMS += hvctl
hvctl_SOURCES = cli/hvctl/hvctl-main.c
hvctl_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
hvctl_LDADD = cli/hvctl/libhvctl.la $(HV_PROG_LIBS)

HV_UNIT_TESTS += tests/unit/test-hvctl tests/unit/test-hvctl-printer
tests_unit_test_hvctl_SOURCES = tests/unit/test-hvctl.c
tests_unit_test_hvctl_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_hvctl_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_hvctl_LDADD = cli/hvctl/libhvctl.la $(HV_TEST_LIBS)
tests_unit_test_hvctl_printer_SOURCES = tests/unit/test-hvctl-printer.c
tests_unit_test_hvctl_printer_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_hvctl_printer_LDADD = cli/hvctl/libhvctl.la $(HV_TEST_LIBS)

HV_UNIT_TESTS += tests/unit/test-hvctl-kvp
tests_unit_test_hvctl_kvp_SOURCES = tests/unit/test-hvctl-kvp.c
tests_unit_test_hvctl_kvp_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_hvctl_kvp_LDADD = cli/hvctl/libhvctl.la $(HV_TEST_LIBS)

# Golden outputs against the fixture trees (see the script).
TESTS += tests/check-hvctl-golden
EXTRA_DIST += tests/check-hvctl-golden tests/golden/hvctl

dist_man_MANS += man/hvctl.8

HV_UNIT_TESTS += tests/unit/test-hvctl-vss
tests_unit_test_hvctl_vss_SOURCES = tests/unit/test-hvctl-vss.c
tests_unit_test_hvctl_vss_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_hvctl_vss_LDADD = cli/hvctl/libhvctl.la $(HV_TEST_LIBS)
