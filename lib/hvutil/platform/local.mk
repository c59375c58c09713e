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

# netlink (libnl-route snapshot, with a fake) and netstate (DNS/DHCP state files)
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/platform/netlink.h \
	lib/hvutil/platform/netlink.c \
	lib/hvutil/platform/netlink-fake.h \
	lib/hvutil/platform/netlink-fake.c \
	lib/hvutil/platform/netstate.h \
	lib/hvutil/platform/netstate.c
HV_UNIT_TESTS += tests/unit/test-netlink tests/unit/test-netstate
tests_unit_test_netlink_SOURCES = tests/unit/test-netlink.c
tests_unit_test_netlink_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_netlink_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_netlink_LDADD = $(HV_TEST_LIBS)
tests_unit_test_netstate_SOURCES = tests/unit/test-netstate.c
tests_unit_test_netstate_CPPFLAGS = $(AM_CPPFLAGS) -DHV_TOP_SRCDIR_DEFAULT=\"$(abs_top_srcdir)\"
tests_unit_test_netstate_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_netstate_LDADD = $(HV_TEST_LIBS)
# netmgr: NetworkManager/networkd over sd-bus, posix_spawn; netmgr-fake.c is
# compiled into the tests that use it, not into the shipped library.
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/platform/netmgr.h \
	lib/hvutil/platform/netmgr.c
EXTRA_DIST += lib/hvutil/platform/netmgr-fake.h lib/hvutil/platform/netmgr-fake.c
# fsfreeze: FIFREEZE/FITHAW of mountpoints.  fsfreeze-fake.c is compiled into
# the tests that use it, never into the shipped library.
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/platform/fsfreeze.h \
	lib/hvutil/platform/fsfreeze.c
EXTRA_DIST += lib/hvutil/platform/fsfreeze-fake.h lib/hvutil/platform/fsfreeze-fake.c
HV_UNIT_TESTS += tests/unit/test-fsfreeze
tests_unit_test_fsfreeze_SOURCES = tests/unit/test-fsfreeze.c \
	lib/hvutil/platform/fsfreeze-fake.h lib/hvutil/platform/fsfreeze-fake.c
tests_unit_test_fsfreeze_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_fsfreeze_LDADD = $(HV_TEST_LIBS)
# spawn: posix_spawn() of helper programs (VSS hooks, the network managers' tools)
lib_hvutil_libhvutil_internal_la_SOURCES += \
	lib/hvutil/platform/spawn.h \
	lib/hvutil/platform/spawn.c
HV_UNIT_TESTS += tests/unit/test-spawn
tests_unit_test_spawn_SOURCES = tests/unit/test-spawn.c
tests_unit_test_spawn_CFLAGS = $(HV_TEST_CFLAGS)
tests_unit_test_spawn_LDADD = $(HV_TEST_LIBS)
