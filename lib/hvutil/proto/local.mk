# SPDX-License-Identifier: LGPL-2.1-or-later
# proto/: pure codecs (PROTOCOL.md §2, §5, §6, §7), no I/O, no logging.
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/proto/wire.h \
	lib/hvutil/proto/wire.c \
	lib/hvutil/proto/hv-status.h \
	lib/hvutil/proto/hv-status.c \
	lib/hvutil/proto/guid.h \
	lib/hvutil/proto/guid.c \
	lib/hvutil/proto/vmbus-class.h \
	lib/hvutil/proto/vmbus-class.c \
	lib/hvutil/proto/icmsg.h \
	lib/hvutil/proto/icmsg.c \
	lib/hvutil/proto/kvp.h \
	lib/hvutil/proto/kvp.c \
	lib/hvutil/proto/vss.h \
	lib/hvutil/proto/vss.c \
	lib/hvutil/proto/fcopy.h \
	lib/hvutil/proto/fcopy.c

HV_UNIT_TESTS += \
	tests/unit/test-proto-status \
	tests/unit/test-proto-guid \
	tests/unit/test-proto-wire \
	tests/unit/test-proto-icmsg
tests_unit_test_proto_status_SOURCES = tests/unit/test-proto-status.c
tests_unit_test_proto_status_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_status_LDADD = $(HV_TEST_LIBS)
tests_unit_test_proto_guid_SOURCES = tests/unit/test-proto-guid.c
tests_unit_test_proto_guid_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_guid_LDADD = $(HV_TEST_LIBS)
tests_unit_test_proto_wire_SOURCES = tests/unit/test-proto-wire.c
tests_unit_test_proto_wire_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_wire_LDADD = $(HV_TEST_LIBS)
tests_unit_test_proto_icmsg_SOURCES = tests/unit/test-proto-icmsg.c
tests_unit_test_proto_icmsg_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_icmsg_LDADD = $(HV_TEST_LIBS)
HV_UNIT_TESTS += tests/unit/test-proto-kvp
tests_unit_test_proto_kvp_SOURCES = tests/unit/test-proto-kvp.c
tests_unit_test_proto_kvp_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_kvp_LDADD = $(HV_TEST_LIBS)
HV_UNIT_TESTS += tests/unit/test-proto-vss tests/unit/test-proto-fcopy
tests_unit_test_proto_vss_SOURCES = tests/unit/test-proto-vss.c
tests_unit_test_proto_vss_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_vss_LDADD = $(HV_TEST_LIBS)
tests_unit_test_proto_fcopy_SOURCES = tests/unit/test-proto-fcopy.c
tests_unit_test_proto_fcopy_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_proto_fcopy_LDADD = $(HV_TEST_LIBS)
# ipcfg: SET_IP_INFO lists (PROTOCOL.md §5.6), tested in tests/unit/test-netcfg.c
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/proto/ipcfg.h \
	lib/hvutil/proto/ipcfg.c
