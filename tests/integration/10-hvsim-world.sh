#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvsim world files: `hvsim world FILE` accepts good files and prints
# what they declare; bad files are refused with a message naming the
# file, line, section and key, and `hvsim run` refuses to start with them
# (exit 125, the command never runs).
. "$(dirname "$0")/lib.sh"

[ -x "$HVSIM" ] || hv_skip "$HVSIM not built"
hv_tmpdir

# --- the built-in default ----------------------------------------------------
out=$("$HVSIM" world) || hv_fail "hvsim world exited $?"
hv_assert_contains "$out" "world default (built-in default)" "default world name"
hv_assert_contains "$out" "cpus 4 online 0-3" "default CPUs"
hv_assert_contains "$out" "device kvp class kvp {a9a0f4e7-5a45-4d96-b827-8a841e8c03e6} instance 242ff919-07db-4180-9c2e-b86cb68c8c55 driver hv_utils node /dev/vmbus/hv_kvp" "KVP in the default world"
hv_assert_contains "$out" "instance eb765408-105f-49b6-b4aa-c123b64d17d4 driver hv_utils node /dev/vmbus/hv_fcopy" "fcopy's fixed instance"
hv_assert_contains "$out" "12:0(monitor 2) 13:1 14:2 15:3" "NIC channels"
hv_assert_eq 12 "$(grep -c '^device ' <<<"$out")" "devices in the default world"

# --- a good file ---------------------------------------------------------------
cat >"$T/good.ini" <<'EOF'
; two NUMA nodes, KVP only, short timeouts
[world]
name = two-nodes
[cpus]
count = 8
online = 0-6
[numa]
node0 = 0-3
node1 = 4-7
[kernel]
kvp_timeout = 0.5
device_delay = 1
[device kvp]
class = kvp
instance = 242ff919-07db-4180-9c2e-b86cb68c8c55
relid = 9
cpu = 5
[device nic]
class = nic
instance = 11111111-2222-3333-4444-555555555555
relid = 10
monitor_id = 3
subchannels = 11:1, 12:6
EOF
out=$("$HVSIM" world "$T/good.ini") || hv_fail "good world refused"
hv_assert_contains "$out" "world two-nodes ($T/good.ini)" "name and source"
hv_assert_contains "$out" "cpus 8 online 0-6" "online CPUs"
hv_assert_contains "$out" "node1 4-7" "second node"
hv_assert_contains "$out" "kernel kvp_timeout 0.500" "decimal timeout"
hv_assert_contains "$out" "device_delay 1.000" "device delay"
hv_assert_contains "$out" "10:0(monitor 3) 11:1 12:6" "sub-channels"

# --- the fixture worlds other tests use all load ----------------------------------
for f in "$HV_SRCDIR"/tests/fixtures/worlds/*.ini; do
	[ -e "$f" ] || continue
	"$HVSIM" world "$f" >/dev/null || hv_fail "fixture world $f does not load"
done
out=$("$HVSIM" world "$HV_SRCDIR/tests/fixtures/worlds/gen2-fcopy-uio.ini")
hv_assert_contains "$out" "instance eb765408-105f-49b6-b4aa-c123b64d17d4 driver uio_hv_generic
" "fcopy on uio has no char device"

# --- bad files: the message names file:line, [section] and key ------------------
check_bad() { # expected-message file-content
	printf '%s' "$2" >"$T/bad.ini"
	local out rc=0
	out=$("$HVSIM" world "$T/bad.ini" 2>&1) || rc=$?
	[ $rc = 1 ] || hv_fail "bad world accepted (exit $rc): $2"
	hv_assert_eq "hvsim: $T/bad.ini$1" "$out" "message for: $2"
}
check_bad ":2: [cpus] count: 'lots' is not a CPU count (1-4096)" $'[cpus]\ncount = lots\n'
check_bad ":4: [kernel] kvp_timeout: 'soon' is not a number of seconds" $'[cpus]\ncount = 1\n[kernel]\nkvp_timeout = soon\n'
check_bad ":4: [device x] colour: unknown key" $'[cpus]\ncount = 1\n[device x]\ncolour = red\n'
check_bad ":4: [device x] instance: 'nope' is not a GUID" $'[cpus]\ncount = 1\n[device x]\ninstance = nope\n'
check_bad ":3: [device x] cpu: CPU 7 does not exist (count = 1)" $'[cpus]\ncount = 1\n[device x]\nclass = kvp\ninstance = 11111111-2222-3333-4444-555555555555\nrelid = 1\ncpu = 7\n'
check_bad ":3: [device x] driver: 'hv_netvsc' cannot drive a util device (hv_utils, uio_hv_generic or none)" $'[world]\nbase = default\n[device x]\nclass = vss\ninstance = 11111111-2222-3333-4444-555555555555\nrelid = 40\ndriver = hv_netvsc\n'
check_bad ":3: [device x] relid: relid 4 is already used by device 'kvp'" $'[world]\nbase = default\n[device x]\nclass = heartbeat\ninstance = 11111111-2222-3333-4444-555555555555\nrelid = 4\n'
check_bad ":1: [toaster]: unknown section" $'[toaster]\n'

out=$("$HVSIM" world "$T/missing.ini" 2>&1) && hv_fail "a missing file was accepted"
hv_assert_eq "hvsim: $T/missing.ini: No such file or directory" "$out" "missing file"

# --- hvsim run refuses a bad world before running anything ----------------------
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
	printf '[cpus]\ncount = 0\n' >"$T/bad.ini"
	rc=0
	out=$("$HVSIM" run --world "$T/bad.ini" --state "$T/state" --control "$T/ctl" -- touch "$T/ran" 2>&1) || rc=$?
	hv_assert_eq 125 "$rc" "exit status of hvsim run with a bad world"
	hv_assert_contains "$out" "$T/bad.ini:2: [cpus] count" "run's message"
	[ ! -e "$T/ran" ] || hv_fail "the command ran in a bad world"
	[ ! -e "$T/ctl" ] || hv_fail "a control socket was left behind"
fi
exit 0
