# SPDX-License-Identifier: LGPL-2.1-or-later
# kvp-store
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/kvp-store.h \
	lib/hvutil/services/kvp-store.c
HV_UNIT_TESTS += tests/unit/test-kvp-store
tests_unit_test_kvp_store_SOURCES = tests/unit/test-kvp-store.c
tests_unit_test_kvp_store_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_kvp_store_LDADD = $(HV_TEST_LIBS)
# kvp-service
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/kvp-service.h \
	lib/hvutil/services/kvp-service.c
HV_UNIT_TESTS += tests/unit/test-kvp-service
tests_unit_test_kvp_service_SOURCES = tests/unit/test-kvp-service.c lib/hvutil/platform/netmgr-fake.c
tests_unit_test_kvp_service_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_kvp_service_LDADD = $(HV_TEST_LIBS)
# kvp-fsck
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/kvp-fsck.h \
	lib/hvutil/services/kvp-fsck.c
HV_UNIT_TESTS += tests/unit/test-kvp-fsck
tests_unit_test_kvp_fsck_SOURCES = tests/unit/test-kvp-fsck.c
tests_unit_test_kvp_fsck_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_kvp_fsck_LDADD = $(HV_TEST_LIBS)
# kvp-ipinfo
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/kvp-ipinfo.h \
	lib/hvutil/services/kvp-ipinfo.c
HV_UNIT_TESTS += tests/unit/test-kvp-ipinfo
tests_unit_test_kvp_ipinfo_SOURCES = tests/unit/test-kvp-ipinfo.c
tests_unit_test_kvp_ipinfo_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_kvp_ipinfo_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_kvp_ipinfo_LDADD = $(HV_TEST_LIBS)
# netcfg back-ends and kvp-setip (SET_IP_INFO); tests in tests/unit/local.mk
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/netcfg.h \
	lib/hvutil/services/netcfg-buf.h \
	lib/hvutil/services/netcfg.c \
	lib/hvutil/services/netcfg-nm.c \
	lib/hvutil/services/netcfg-networkd.c \
	lib/hvutil/services/netcfg-netplan.c \
	lib/hvutil/services/netcfg-ifcfg.c \
	lib/hvutil/services/kvp-setip.h \
	lib/hvutil/services/kvp-setip.c
# fcopy-writer and fcopy-service (hv-fcopyd)
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/fcopy-writer.h \
	lib/hvutil/services/fcopy-writer.c \
	lib/hvutil/services/fcopy-service.h \
	lib/hvutil/services/fcopy-service.c
HV_UNIT_TESTS += tests/unit/test-fcopy-writer tests/unit/test-fcopy-service
tests_unit_test_fcopy_writer_SOURCES = tests/unit/test-fcopy-writer.c
tests_unit_test_fcopy_writer_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_fcopy_writer_LDADD = $(HV_TEST_LIBS)
tests_unit_test_fcopy_service_SOURCES = tests/unit/test-fcopy-service.c
tests_unit_test_fcopy_service_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_fcopy_service_LDADD = $(HV_TEST_LIBS)
# vss-plan (the freeze planner; its mountinfo parser is base/mountinfo)
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/vss-plan.h \
	lib/hvutil/services/vss-plan.c
HV_UNIT_TESTS += tests/unit/test-vss-plan
tests_unit_test_vss_plan_SOURCES = tests/unit/test-vss-plan.c
tests_unit_test_vss_plan_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_vss_plan_LDADD = $(HV_TEST_LIBS)
# vss-freezer (hv-vssd's state machine), its hooks and its guardian process;
# the tests run on the fake fsfreeze and freeze nothing real.
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/services/vss-hooks.h \
	lib/hvutil/services/vss-hooks.c \
	lib/hvutil/services/vss-guardian.h \
	lib/hvutil/services/vss-guardian.c \
	lib/hvutil/services/vss-freezer.h \
	lib/hvutil/services/vss-freezer.c
HV_UNIT_TESTS += tests/unit/test-vss-freezer tests/unit/test-vss-guardian
tests_unit_test_vss_freezer_SOURCES = tests/unit/test-vss-freezer.c \
	lib/hvutil/platform/fsfreeze-fake.h lib/hvutil/platform/fsfreeze-fake.c
tests_unit_test_vss_freezer_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_vss_freezer_LDADD = $(HV_TEST_LIBS)
tests_unit_test_vss_guardian_SOURCES = tests/unit/test-vss-guardian.c \
	lib/hvutil/platform/fsfreeze-fake.h lib/hvutil/platform/fsfreeze-fake.c
tests_unit_test_vss_guardian_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_vss_guardian_LDADD = $(HV_TEST_LIBS)
