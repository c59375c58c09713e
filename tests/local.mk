# SPDX-License-Identifier: GPL-2.0-or-later
#
# Unit tests: one Criterion program per library module, tests/unit/test-<module>.c.
# A module's own local.mk adds its programs with:
#   HV_UNIT_TESTS += tests/unit/test-foo
#   tests_unit_test_foo_SOURCES = tests/unit/test-foo.c
#   tests_unit_test_foo_CFLAGS = $(HV_TEST_CFLAGS)
#   tests_unit_test_foo_LDADD = $(HV_TEST_LIBS)
include $(top_srcdir)/tests/unit/local.mk
if ENABLE_TESTS
check_PROGRAMS += $(HV_UNIT_TESTS)
TESTS += $(HV_UNIT_TESTS)
endif
TESTS += tests/check-layering
EXTRA_DIST += tests/check-layering tests/integration tests/fixtures tests/fuzz
