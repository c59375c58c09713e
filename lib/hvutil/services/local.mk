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
tests_unit_test_kvp_service_SOURCES = tests/unit/test-kvp-service.c
tests_unit_test_kvp_service_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_kvp_service_LDADD = $(HV_TEST_LIBS)
