# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of lib/hvutil/base.
HV_UNIT_TESTS += tests/unit/test-base tests/unit/test-utf16
tests_unit_test_base_SOURCES = tests/unit/test-base.c
tests_unit_test_base_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_base_LDADD = $(HV_TEST_LIBS)
tests_unit_test_utf16_SOURCES = tests/unit/test-utf16.c
tests_unit_test_utf16_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_utf16_LDADD = $(HV_TEST_LIBS)
# proto/ipcfg and the services/netcfg writers (golden files), services/kvp-setip
HV_UNIT_TESTS += tests/unit/test-netcfg tests/unit/test-kvp-setip
tests_unit_test_netcfg_SOURCES = tests/unit/test-netcfg.c
tests_unit_test_netcfg_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_netcfg_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_netcfg_LDADD = $(HV_TEST_LIBS)
tests_unit_test_kvp_setip_SOURCES = tests/unit/test-kvp-setip.c \
	lib/hvutil/platform/netmgr-fake.h lib/hvutil/platform/netmgr-fake.c
tests_unit_test_kvp_setip_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_kvp_setip_LDADD = $(HV_TEST_LIBS)
