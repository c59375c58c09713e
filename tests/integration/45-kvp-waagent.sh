#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real pool-0 reader: waagent's RDMAHandler.get_rdma_version() (Debian
# package waagent, run unpacked, never installed: ECOSYSTEM.md §2.5) reads
# /var/lib/hyperv/.kvp_pool_0 in 512+2048-byte steps, cuts key and value
# at their first NUL and looks for NdDriverVersion.  The host sets it
# through hv-kvpd, behind other records (long and UTF-8 values), then
# changes it, deletes a record before it (later records move down) and
# finally deletes it; each time waagent, inside the world, must find
# exactly what the host was told.
#
# Needs what scripts/deps sets up: python3-distro and the package unpacked
# in /var/cache/hvutils-test/pkgs/waagent (HV_TEST_PKG_CACHE overrides).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
pkgs=${HV_TEST_PKG_CACHE:-/var/cache/hvutils-test/pkgs}
site=$pkgs/waagent/usr/lib/python3/dist-packages
[ -f "$site/azurelinuxagent/common/rdma.py" ] || hv_skip "waagent not unpacked in $pkgs (run scripts/deps)"
# Debian's python, for which the package and its dependencies are made.
PY=/usr/bin/python3
[ -x $PY ] || hv_skip "$PY missing"
PYTHONPATH=$site $PY -c 'import azurelinuxagent.common.rdma' 2>/dev/null ||
	hv_skip "waagent's imports fail (python3-distro missing? run scripts/deps)"
hv_tmpdir
hvsim_start
hvsim_bg_in "$KVPD"
hvsim_host wait-registered kvp --timeout 20 || hv_fail "hv-kvpd did not register"

# What waagent reads, from inside the world (its /var/lib/hyperv).
nd_version() {
	hvsim_in env PYTHONPATH="$site" $PY -c '
import sys
from azurelinuxagent.common import logger
from azurelinuxagent.common.rdma import RDMAHandler
logger.add_logger_appender(logger.AppenderType.FILE, logger.LogLevel.INFO, sys.argv[1])
print(RDMAHandler().get_rdma_version())' "$T/waagent.log"
}

long=$(head -c 2000 /dev/zero | tr '\0' x)
expect HV_S_OK 0 "set a first record" kvp set --pool 0 VirtualMachineName "vm-été-✓"
expect HV_S_OK 0 "set a long value" kvp set --pool 0 Long "${long:0:1023}"
expect HV_S_OK 0 "set a UTF-8 key" kvp set --pool 0 "NdDriverVersionÜ" "not this one"
expect HV_S_OK 0 "set a prefix of the key" kvp set --pool 0 "NdDriver" "nor this one"
expect HV_S_OK 0 "set NdDriverVersion" kvp set --pool 0 NdDriverVersion 142.0
expect HV_S_OK 0 "set a record after it" kvp set --pool 0 After "🐍 after"
hv_assert_eq 142.0 "$(nd_version)" "waagent finds the version the host set"

expect HV_S_OK 0 "change NdDriverVersion" kvp set --pool 0 NdDriverVersion 143.1.2
hv_assert_eq 143.1.2 "$(nd_version)" "waagent finds the changed version"

expect HV_S_OK 0 "delete a record before it" kvp delete --pool 0 Long
hv_assert_eq 143.1.2 "$(nd_version)" "waagent finds it after the records moved down"
hv_assert_eq 5 $(($(pool_size 0) / 2560)) "five records left"

expect HV_S_OK 0 "delete NdDriverVersion" kvp delete --pool 0 NdDriverVersion
hv_assert_eq None "$(nd_version)" "waagent finds no version once the host deleted it"
hv_assert_contains "$(cat "$T/waagent.log")" "NdDriverVersion not found" "waagent says why"
exit 0
