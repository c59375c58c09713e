#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fidelity of the failure paths with the reference hv_kvp_daemon
# (PROTOCOL.md §4, §5.2, §11.12, §12 items 5 and 6):
#   - a second daemon on the same device is refused with EBUSY and exits;
#   - the daemon killed while a request waits for it: the host sees HV_E_FAIL;
#   - the daemon too slow (a 1-second kvp_timeout): the host sees HV_E_FAIL,
#     the daemon's late answer is refused with EINVAL, and the daemon
#     reopens, registers again and serves the next request;
#   - with no daemon at all, a request is never read: the host gets no answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -x /usr/sbin/hv_kvp_daemon ] || hv_skip "/usr/sbin/hv_kvp_daemon missing (Debian package hyperv-daemons)"
hv_tmpdir
cat >"$T/world.ini" <<'EOF'
[world]
base = default
[kernel]
kvp_timeout = 1
EOF
hvsim_start --world "$T/world.ini"

# --- no daemon: the request stays in the ring ----------------------------------------
rc=0
out=$(hvsim_host --timeout 0.5 kvp set --pool 1 early bird 2>&1) || rc=$?
hv_assert_eq 3 "$rc" "no daemon: no answer"
hv_assert_contains "$out" "the guest never read the request" "no daemon: why"
hv_assert_eq 1 "$(hvsim_field kvp host_queued)" "the request was withdrawn, the NEGOTIATE still waits"

# --- a second daemon gets EBUSY ----------------------------------------------------------
hvsim_bg_in /usr/sbin/hv_kvp_daemon -n
first=$HV_LAST_PID
hvsim_host wait-registered kvp --timeout 20 || hv_fail "first daemon did not register"
rc=0
timeout 20 nsenter -t "$HVSIM_PID" -m -- /usr/sbin/hv_kvp_daemon -n || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || hv_fail "the second daemon did not fail at once (exit $rc)"
hv_assert_eq 1 "$(hvsim_field kvp busy_opens)" "the second open was refused"
hv_assert_eq "$first" "$(hvsim_field kvp opener_pid)" "the first daemon keeps the device"
hv_assert_eq HV_S_OK "$(hvsim_host kvp set --pool 1 a 1)" "the first daemon still answers"

# --- the daemon killed while the host waits for it -----------------------------------------
kill -STOP "$first"
hvsim_host kvp set --pool 1 lost value >"$T/killed.out" 2>&1 &
req=$!
hvsim_wait_field 10 kvp waiting_on_daemon true || hv_fail "the request did not reach the kernel"
hv_assert_eq 7432 "$(hvsim_field kvp pending_message_bytes)" "the request waits unread"
kill -KILL "$first"
rc=0; wait $req || rc=$?
hv_assert_eq 1 "$rc" "host exit status when the daemon died"
hv_assert_eq HV_E_FAIL "$(cat "$T/killed.out")" "the host sees HV_E_FAIL"
hv_assert_eq 1 "$(hvsim_field kvp reset_failures)" "failed by the release"
hv_assert_eq DEVICE_INIT "$(hvsim_field kvp state)" "state after the release"
hv_assert_eq false "$(hvsim_field kvp open)" "nobody holds the device"

# --- the daemon too slow: timeout, refused late answer, reopen ------------------------------
hvsim_bg_in /usr/sbin/hv_kvp_daemon -n
daemon=$HV_LAST_PID
hvsim_host wait-registered kvp --timeout 20 || hv_fail "daemon did not register again"
kill -STOP "$daemon"
start=$(date +%s%N)
rc=0
out=$(hvsim_host kvp set --pool 1 slow value) || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
hv_assert_eq "HV_E_FAIL 1" "$out $rc" "the host sees HV_E_FAIL after the timeout"
[ $ms -ge 900 ] && [ $ms -lt 10000 ] || hv_fail "the timeout took ${ms} ms (kvp_timeout = 1 s)"
hv_assert_eq 1 "$(hvsim_field kvp timeouts)" "timeouts counted"
# The request is still unread: the next one cannot be handed over.
hv_assert_eq HV_E_FAIL "$(hvsim_host kvp get --pool 1 a || true)" "a second request while the first is unread"
registrations=$(hvsim_field kvp registrations)
kill -CONT "$daemon"
# The daemon reads the stale request, its answer is refused (-EINVAL),
# it reopens the device and registers again (§11.12).
hvsim_wait_field 10 kvp registrations $((registrations + 1)) || hv_fail "the daemon did not register again"
hvsim_host wait-registered kvp --timeout 10 || hv_fail "not READY after re-registration"
hv_assert_eq 1 "$(hvsim_field kvp rejected_writes)" "the late answer was refused"
hv_assert_eq "$daemon" "$(hvsim_field kvp opener_pid)" "the same daemon reopened"
hv_assert_eq HV_S_OK "$(hvsim_host kvp set --pool 1 after recovery)" "served after the reopen"
out=$(hvsim_host kvp enumerate --pool 1)
hv_assert_contains "$out" "after=recovery" "the pool has the new key"
exit 0
