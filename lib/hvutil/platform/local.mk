# SPDX-License-Identifier: LGPL-2.1-or-later

# config, sd, json
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/platform/config.h \
	lib/hvutil/platform/config.c \
	lib/hvutil/platform/sd.h \
	lib/hvutil/platform/sd.c \
	lib/hvutil/platform/json.h \
	lib/hvutil/platform/json.c

HV_UNIT_TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_config_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_config_LDADD = $(HV_TEST_LIBS)

HV_UNIT_TESTS += tests/unit/test-sd
tests_unit_test_sd_SOURCES = tests/unit/test-sd.c
tests_unit_test_sd_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_sd_LDADD = $(HV_TEST_LIBS)

HV_UNIT_TESTS += tests/unit/test-json
tests_unit_test_json_SOURCES = tests/unit/test-json.c
tests_unit_test_json_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_json_LDADD = $(HV_TEST_LIBS)

# sysfs
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/platform/sysfs.h \
	lib/hvutil/platform/sysfs.c
HV_UNIT_TESTS += tests/unit/test-sysfs
tests_unit_test_sysfs_SOURCES = tests/unit/test-sysfs.c
tests_unit_test_sysfs_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_sysfs_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_sysfs_LDADD = $(HV_TEST_LIBS)
