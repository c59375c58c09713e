# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvsim, the Hyper-V host and kernel simulator (DESIGN.md §5).  The modules
# are a convenience library so unit tests can link them.
noinst_LTLIBRARIES += sim/libhvsim.la
sim_libhvsim_la_SOURCES = \
	sim/world.h \
	sim/world.c \
	sim/world-file.c \
	sim/sysfs.h \
	sim/sysfs.c \
	sim/ns.h \
	sim/ns.c \
	sim/chardev-model.h \
	sim/chardev-model.c \
	sim/fuse-common.h \
	sim/fuse-common.c \
	sim/fuse-dev.h \
	sim/fuse-dev.c \
	sim/host.h \
	sim/host-internal.h \
	sim/host.c \
	sim/host-kvp.c \
	sim/host-vss.c \
	sim/host-fcopy.c \
	sim/host-ring.h \
	sim/host-ring.c \
	sim/uio-model.h \
	sim/uio-model.c \
	sim/fuse-uio.h \
	sim/fuse-uio.c \
	sim/uio-world.h \
	sim/uio-world.c \
	sim/control.h \
	sim/control.c \
	sim/client.h \
	sim/client.c \
	sim/client-uio.h \
	sim/client-uio.c \
	sim/run.h \
	sim/run.c \
	sim/util.h
sim_libhvsim_la_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS) $(FUSE3_CFLAGS)
sim_libhvsim_la_LIBADD = lib/hvutil/libhvutil-internal.la $(HV_DEP_LIBS) $(FUSE3_LIBS) -lpthread

bin_PROGRAMS += hvsim
hvsim_SOURCES = sim/hvsim.c
hvsim_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS) $(FUSE3_CFLAGS)
hvsim_LDADD = sim/libhvsim.la lib/hvutil/libhvutil-internal.la $(HV_DEP_LIBS) $(FUSE3_LIBS) -lpthread

dist_man_MANS += man/hvsim.1

# Unit tests of the sim modules that need no namespace: the world parser,
# the sysfs builder (into a temporary directory) and the char-device model.
HV_UNIT_TESTS += tests/unit/test-sim-world tests/unit/test-sim-sysfs tests/unit/test-sim-chardev
tests_unit_test_sim_world_SOURCES = tests/unit/test-sim-world.c
tests_unit_test_sim_world_CFLAGS = $(HV_TEST_CFLAGS) $(FUSE3_CFLAGS)
tests_unit_test_sim_world_LDADD = sim/libhvsim.la $(HV_TEST_LIBS) $(FUSE3_LIBS)
tests_unit_test_sim_sysfs_SOURCES = tests/unit/test-sim-sysfs.c
tests_unit_test_sim_sysfs_CFLAGS = $(HV_TEST_CFLAGS) $(FUSE3_CFLAGS)
tests_unit_test_sim_sysfs_LDADD = sim/libhvsim.la $(HV_TEST_LIBS) $(FUSE3_LIBS)
tests_unit_test_sim_chardev_SOURCES = tests/unit/test-sim-chardev.c
tests_unit_test_sim_chardev_CFLAGS = $(HV_TEST_CFLAGS) $(FUSE3_CFLAGS)
tests_unit_test_sim_chardev_LDADD = sim/libhvsim.la $(HV_TEST_LIBS) $(FUSE3_LIBS)

# The uio_hv_generic model and the host's end of the ring, without FUSE:
# a temporary file stands in for sysfs channels/<relid>/ring.
HV_UNIT_TESTS += tests/unit/test-sim-uio
tests_unit_test_sim_uio_SOURCES = tests/unit/test-sim-uio.c
tests_unit_test_sim_uio_CFLAGS = $(HV_TEST_CFLAGS) $(FUSE3_CFLAGS)
tests_unit_test_sim_uio_LDADD = sim/libhvsim.la $(HV_TEST_LIBS) $(FUSE3_LIBS)

# VSS worlds: a root of their own, test file systems on zram and loop
# devices (vss-world.h), and the parser and mount-table check they need.
sim_libhvsim_la_SOURCES += \
	sim/vss-world.h \
	sim/vss-spec.c \
	sim/vss-world.c \
	sim/vss-blockdev.h \
	sim/vss-blockdev.c \
	sim/rootfs.h \
	sim/rootfs.c \
	sim/spawn.h \
	sim/spawn.c \
	sim/client-vss.h \
	sim/client-vss.c
HV_UNIT_TESTS += tests/unit/test-sim-vss
tests_unit_test_sim_vss_SOURCES = tests/unit/test-sim-vss.c
tests_unit_test_sim_vss_CFLAGS = $(HV_TEST_CFLAGS) $(FUSE3_CFLAGS)
tests_unit_test_sim_vss_LDADD = sim/libhvsim.la $(HV_TEST_LIBS) $(FUSE3_LIBS)
