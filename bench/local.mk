# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks (DESIGN.md §7): run by hand, never by `make check`; see
# bench/README.md.  The null responder is built with everything else so
# bench/kvp finds it in the build directory.
noinst_PROGRAMS += bench/kvp-null-responder
bench_kvp_null_responder_SOURCES = bench/kvp-null-responder.c
bench_kvp_null_responder_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
bench_kvp_null_responder_LDADD = daemons/common/libhvdaemon.la $(HV_PROG_LIBS)

dist_noinst_SCRIPTS += bench/kvp
EXTRA_DIST += bench/README.md

noinst_PROGRAMS += bench/fcopy-null-responder
bench_fcopy_null_responder_SOURCES = bench/fcopy-null-responder.c
bench_fcopy_null_responder_CFLAGS = $(AM_CFLAGS) $(HV_DEP_CFLAGS)
bench_fcopy_null_responder_LDADD = daemons/common/libhvdaemon.la $(HV_PROG_LIBS)

dist_noinst_SCRIPTS += bench/fcopy

dist_noinst_SCRIPTS += bench/vss
