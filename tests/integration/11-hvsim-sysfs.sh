#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What a command sees in an hvsim world, read with plain shell tools (no
# hvctl): /sys/bus/vmbus/devices of the default world with the formats of
# PROTOCOL.md §9, CPU/NUMA topology, /sys/class/net from the real network
# namespace with links that resolve, /dev, /var/lib/hyperv (the state
# directory), /run/hvutils; the exit status is the command's; nothing of
# it is left on the machine afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
hv_tmpdir
mounts_before=$(wc -l </proc/self/mountinfo)
varlib_before=$(ls -d /var/lib/hyperv /run/hvutils 2>/dev/null || true)

run() { "$HVSIM" run --state "$T/state" --control "$T/ctl" -- bash -c "$1"; }

# --- VMBus devices ---------------------------------------------------------------
out=$(run 'ls /sys/bus/vmbus/devices') || hv_fail "ls exited $?"
hv_assert_eq "0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5
1eccfd72-4b41-45ef-b73a-4a6e44c12924
242ff919-07db-4180-9c2e-b86cb68c8c55
2450ee40-33bf-4fbd-892e-9fb06e9214cf
2dd1ce17-079e-403c-b352-a1921ee207ee
5620e0c7-8062-4dce-aeb7-520c7ef76171
58f75a6d-d949-4320-99e1-a2a2576d581c
b6650ff7-33bc-4840-8048-e0676786f393
d34b2567-b9b6-42b9-8778-0a4ec0b955bf
eb765408-105f-49b6-b4aa-c123b64d17d4
f8b3781b-1e82-4818-a1c3-63d806ec15bb
fd149e91-82e0-4a7d-afa6-2a4166cbd7c0" "$out" "devices of the default world"

# Every device: formats of §9, links that resolve.
out=$(run '
for d in /sys/bus/vmbus/devices/*; do
	g=$(basename "$d")
	grep -qx "[0-9]\+" "$d/id" || echo "$g: id $(cat "$d/id")"
	grep -qx "{[0-9a-f-]\{36\}}" "$d/class_id" || echo "$g: class_id"
	[ "$(cat "$d/device_id")" = "{$g}" ] || echo "$g: device_id"
	grep -qx "vmbus:[0-9a-f]\{32\}" "$d/modalias" || echo "$g: modalias"
	grep -qx "0x[0-9a-f]\+" "$d/device" || echo "$g: device"
	[ "$(cat "$d/vendor")" = 0x1414 ] || echo "$g: vendor"
	grep -qx "[0-9]\+:[0-9]\+" "$d/channel_vp_mapping" || echo "$g: channel_vp_mapping"
	[ "$(head -1 "$d/channel_vp_mapping" | cut -d: -f1)" = "$(cat "$d/id")" ] || echo "$g: primary first"
	[ -e "$d/driver/bind" ] || echo "$g: driver link"
	[ -e "$d/subsystem/devices/$g" ] || echo "$g: subsystem link"
	grep -qx "MODALIAS=$(cat "$d/modalias")" "$d/uevent" || echo "$g: uevent"
	for c in $(cut -d: -f1 "$d/channel_vp_mapping"); do
		[ -f "$d/channels/$c/cpu" ] || echo "$g: channels/$c"
	done
done
readlink -f /sys/bus/vmbus/devices/242ff919-07db-4180-9c2e-b86cb68c8c55') || hv_fail "checks exited $?"
hv_assert_eq "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/242ff919-07db-4180-9c2e-b86cb68c8c55" "$out" \
	"attribute formats (lines above name what is wrong) and the device path"

# The KVP device exactly, and the modalias being the raw GUID bytes (§2.3).
out=$(run 'cd /sys/bus/vmbus/devices/242ff919-07db-4180-9c2e-b86cb68c8c55 &&
	cat id class_id device_id modalias device numa_node state channel_vp_mapping uevent channels/4/cpu;
	basename "$(readlink driver)"') || hv_fail "KVP attributes"
hv_assert_eq "4
{a9a0f4e7-5a45-4d96-b827-8a841e8c03e6}
{242ff919-07db-4180-9c2e-b86cb68c8c55}
vmbus:e7f4a0a9455a964db8278a841e8c03e6
0x9
0
3
4:0
DRIVER=hv_utils
MODALIAS=vmbus:e7f4a0a9455a964db8278a841e8c03e6
0
hv_utils" "$out" "KVP device attributes"

out=$(run 'cat /sys/bus/vmbus/devices/0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5/{channel_vp_mapping,monitor_id,device};
	cat /sys/bus/vmbus/devices/0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5/channels/15/{cpu,subchannel_id}') || hv_fail "NIC"
hv_assert_eq "12:0
13:1
14:2
15:3
2
0x3
3
3" "$out" "NIC channels"

# --- CPUs, NUMA, the rest of /sys ---------------------------------------------------
out=$(run 'cat /sys/devices/system/cpu/{online,possible,present} /sys/devices/system/node/{online,node0/cpulist}; ls /sys') ||
	hv_fail "topology"
hv_assert_eq "0-3
0-3
0-3
0
0-3
block
bus
class
dev
devices
firmware
fs
hypervisor
kernel
module
power" "$out" "CPU and node files, ls /sys"

# /sys/class/net is the real one of this network namespace, links resolve.
want=$(ls /sys/class/net)
out=$(run 'ls /sys/class/net; for i in /sys/class/net/*; do [ -e "$i/address" ] || echo "$i does not resolve"; done') ||
	hv_fail "class/net"
hv_assert_eq "$want" "$out" "/sys/class/net"
if command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
	out=$(unshare -n "$HVSIM" run --state "$T/state" --control "$T/ctl" -- ls /sys/class/net) ||
		hv_fail "run in a new network namespace"
	hv_assert_eq "lo" "$out" "/sys/class/net follows the network namespace"
fi

# --- /dev, /var/lib/hyperv, /run/hvutils ------------------------------------------------
out=$(run 'ls /dev/vmbus; for n in null zero full random urandom tty fuse; do [ -c /dev/$n ] || echo "no /dev/$n"; done
	ls /run/hvutils | wc -l; echo inside >/var/lib/hyperv/probe; echo $HVSIM_CONTROL') || hv_fail "/dev"
hv_assert_eq "hv_fcopy
hv_kvp
hv_vss
0
$T/ctl" "$out" "/dev/vmbus, device nodes, empty /run/hvutils, HVSIM_CONTROL"
hv_assert_eq inside "$(cat "$T/state/probe")" "/var/lib/hyperv is the state directory"

# --- exit status -------------------------------------------------------------------------
rc=0; run 'exit 7' || rc=$?
hv_assert_eq 7 "$rc" "exit status"
rc=0; run 'kill -KILL $$' || rc=$?
hv_assert_eq 137 "$rc" "killed by a signal"
rc=0; "$HVSIM" run --state "$T/state" --control "$T/ctl" -- /nonexistent/prog 2>/dev/null || rc=$?
hv_assert_eq 127 "$rc" "command not found"

# Leftovers of the command are terminated with the world.
rc=0; run 'sleep 300 & sleep 300 & echo $! >'"$T"'/bg.pid; exit 0' || rc=$?
hv_assert_eq 0 "$rc" "background jobs do not hold the world"
! kill -0 "$(cat "$T/bg.pid")" 2>/dev/null || hv_fail "a background job of the world survived it"

# --- nothing left on the machine ------------------------------------------------------------
[ ! -e "$T/ctl" ] || hv_fail "control socket left behind"
hv_assert_eq "$varlib_before" "$(ls -d /var/lib/hyperv /run/hvutils 2>/dev/null || true)" \
	"/var/lib/hyperv and /run/hvutils of the machine (made only inside the world)"
hv_assert_eq "$mounts_before" "$(wc -l </proc/self/mountinfo)" "mount table of the machine"
exit 0
