#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fidelity: Debian's reference daemons (hyperv-daemons, char-device era)
# start in an hvsim world and complete their handshakes: hv_kvp_daemon
# with KVP_OP_REGISTER1, hv_vss_daemon with VSS_OP_REGISTER1, and
# hv_fcopy_daemon with version 1 (PROTOCOL.md §5.3, §6.3, §7.2).  The
# host's KVP negotiation, held until a daemon registers (§5.2), then
# completes; VSS and fcopy negotiate without a daemon.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
for d in hv_kvp_daemon hv_vss_daemon hv_fcopy_daemon; do
	[ -x /usr/sbin/$d ] || hv_skip "/usr/sbin/$d missing (Debian package hyperv-daemons)"
done
hv_tmpdir
hvsim_start

# Before any daemon: KVP's NEGOTIATE waits in the ring, VSS and fcopy are done.
hv_assert_eq pending "$(hvsim_field kvp negotiation)" "KVP negotiation before a daemon"
hv_assert_eq 1 "$(hvsim_field kvp host_queued)" "the host's NEGOTIATE is queued"
hv_assert_eq done "$(hvsim_field vss negotiation)" "VSS negotiates without a daemon"
hv_assert_eq 5.0 "$(hvsim_field vss service_version)" "VSS version"
hv_assert_eq 1.1 "$(hvsim_field fcopy service_version)" "fcopy version"
hv_assert_eq false "$(hvsim_field kvp registered)" "KVP not registered yet"

hvsim_bg_in /usr/sbin/hv_kvp_daemon -n
kvp=$HV_LAST_PID
hvsim_bg_in /usr/sbin/hv_vss_daemon -n
vss=$HV_LAST_PID
hvsim_bg_in /usr/sbin/hv_fcopy_daemon -n
fcopy=$HV_LAST_PID

for dev in kvp vss fcopy; do
	hvsim_host wait-registered $dev --timeout 20 || hv_fail "$dev daemon did not register"
done

hv_assert_eq REGISTER1 "$(hvsim_field kvp registered_as)" "KVP registration op"
hv_assert_eq READY "$(hvsim_field kvp state)" "KVP state"
hv_assert_eq "$kvp" "$(hvsim_field kvp opener_pid)" "the KVP device's opener"
hv_assert_eq REGISTER1 "$(hvsim_field vss registered_as)" "VSS registration op"
hv_assert_eq "$vss" "$(hvsim_field vss opener_pid)" "the VSS device's opener"
hv_assert_eq VERSION_1 "$(hvsim_field fcopy registered_as)" "fcopy registration"
hv_assert_eq "$fcopy" "$(hvsim_field fcopy opener_pid)" "the fcopy device's opener"
hvsim_wait_field 5 kvp negotiation done || hv_fail "KVP negotiation did not complete after registration"
hv_assert_eq 4.0 "$(hvsim_field kvp service_version)" "KVP version"
hv_assert_eq 3.0 "$(hvsim_field kvp framework_version)" "KVP framework version"
for dev in kvp vss fcopy; do
	hv_assert_eq 0 "$(hvsim_field $dev rejected_writes)" "$dev: no refused writes"
	hv_assert_eq 0 "$(hvsim_field $dev short_reads)" "$dev: no short reads"
done

out=$(hvsim_host status)
hv_assert_contains "$out" "kvp    /dev/vmbus/hv_kvp   open (pid $kvp), registered (REGISTER1), state READY" "status text"
exit 0
