# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of lib/hvutil/base.
HV_UNIT_TESTS += tests/unit/test-base tests/unit/test-utf16
tests_unit_test_base_SOURCES = tests/unit/test-base.c
tests_unit_test_base_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_base_LDADD = $(HV_TEST_LIBS)
tests_unit_test_utf16_SOURCES = tests/unit/test-utf16.c
tests_unit_test_utf16_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_utf16_LDADD = $(HV_TEST_LIBS)
