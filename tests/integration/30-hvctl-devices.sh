#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvctl devices end to end in hvsim worlds: the devices, ids, classes,
# instances, drivers and channels hvctl lists (text, -v, --json) are the
# ones the world declares, and the ones the world's /sys shows.
#
# The expectations for the default world are its declaration in
# sim/world.c (default_world_text): when that world changes, update them
# here.  The second world is declared in this file, so its expectations
# sit next to it.
. "$(dirname "$0")/lib.sh"

hv_need_root
hv_need_fuse
[ -x "$HVSIM" ] || hv_skip "$HVSIM not built"
[ -x "$HVCTL" ] || hv_skip "$HVCTL not built"
hv_need_prog python3 "python3 reads the JSON"
hv_tmpdir

# --- the default world: a Gen2 VM with 4 CPUs --------------------------------

out=$("$HVSIM" run -- "$HVCTL" devices) || hv_fail "hvctl devices exited $?"
hv_assert_eq "VMBUS ID  1: [Dynamic Memory]
VMBUS ID  2: [Time Synchronization]
VMBUS ID  3: [Heartbeat]
VMBUS ID  4: [Data Exchange]
VMBUS ID  5: [Backup (volume checkpoint)]
VMBUS ID  6: [Guest services]
VMBUS ID  7: [Operating system shutdown]
VMBUS ID  8: Synthetic framebuffer adapter
VMBUS ID  9: Synthetic keyboard
VMBUS ID 10: Synthetic mouse
VMBUS ID 11: Synthetic SCSI Controller
VMBUS ID 12: Synthetic network adapter" "$out" "hvctl devices in the default world"

out=$("$HVSIM" run -- "$HVCTL" devices -v) || hv_fail "hvctl devices -v exited $?"
# The multi-channel devices: SCSI 11 + 16..18, NIC 12 + 13..15 on CPUs 0..3.
hv_assert_contains "$out" "VMBUS ID 11: Class_ID = {ba6163d9-04a1-4d29-b605-72e2ffb1dc7f} - Synthetic SCSI Controller
	Rel_ID=11, target_cpu=0
	Rel_ID=16, target_cpu=1
	Rel_ID=17, target_cpu=2
	Rel_ID=18, target_cpu=3
" "SCSI controller and its sub-channels"
hv_assert_contains "$out" "VMBUS ID 12: Class_ID = {f8615163-df3e-46c5-913f-f2d2f965ed0e} - Synthetic network adapter
	Rel_ID=12, target_cpu=0
	Rel_ID=13, target_cpu=1
	Rel_ID=14, target_cpu=2
	Rel_ID=15, target_cpu=3" "network adapter and its sub-channels"
hv_assert_contains "$out" "VMBUS ID  4: Class_ID = {a9a0f4e7-5a45-4d96-b827-8a841e8c03e6} - [Data Exchange]
	Rel_ID=4, target_cpu=0
" "KVP"

# JSON against the world's own /sys, read in the same world by the shell.
"$HVSIM" run -- /bin/sh -c '
	"$1" --json devices >"$2/devices.json" || exit 10
	for d in /sys/bus/vmbus/devices/*; do
		drv=-
		[ -L "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		printf "%s %s %s %s\n" "$(cat "$d/id")" "$(basename "$d")" "$drv" \
			"$(tr "\n" , <"$d/channel_vp_mapping")"
	done | sort -n >"$2/sysfs.txt"' sh "$HVCTL" "$T" || hv_fail "listing in the world exited $?"

python3 - "$T/devices.json" "$T/sysfs.txt" <<'EOF' || hv_fail "JSON does not match the world"
import json, sys
devs = json.load(open(sys.argv[1]))
want = [l.split(" ") for l in open(sys.argv[2]).read().splitlines()]
# The default world's instances, as declared.
declared = {
    1: "1eccfd72-4b41-45ef-b73a-4a6e44c12924", 2: "2dd1ce17-079e-403c-b352-a1921ee207ee",
    3: "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0", 4: "242ff919-07db-4180-9c2e-b86cb68c8c55",
    5: "2450ee40-33bf-4fbd-892e-9fb06e9214cf", 6: "eb765408-105f-49b6-b4aa-c123b64d17d4",
    7: "b6650ff7-33bc-4840-8048-e0676786f393", 8: "5620e0c7-8062-4dce-aeb7-520c7ef76171",
    9: "d34b2567-b9b6-42b9-8778-0a4ec0b955bf", 10: "58f75a6d-d949-4320-99e1-a2a2576d581c",
    11: "f8b3781b-1e82-4818-a1c3-63d806ec15bb", 12: "0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5",
}
errors = []
if [d["vmbus_id"] for d in devs] != sorted(declared):
    errors.append("ids %s" % [d["vmbus_id"] for d in devs])
if len(devs) != len(want):
    errors.append("%d devices in JSON, %d in /sys" % (len(devs), len(want)))
for d, (vid, name, drv, mapping) in zip(devs, want):
    if d["vmbus_id"] != int(vid) or d["device_id"] != name:
        errors.append("device %s/%s vs /sys %s/%s" % (d["vmbus_id"], d["device_id"], vid, name))
    if declared.get(d["vmbus_id"]) != d["device_id"]:
        errors.append("device %s: instance %s, declared %s" % (d["vmbus_id"], d["device_id"],
                                                               declared.get(d["vmbus_id"])))
    if (d["driver"] or "-") != drv:
        errors.append("device %s: driver %s, /sys says %s" % (d["vmbus_id"], d["driver"], drv))
    chans = sorted((c["relid"], c["target_cpu"]) for c in d["channels"])
    sysch = sorted(tuple(int(x) for x in m.split(":")) for m in mapping.split(",") if m)
    if chans != sysch:
        errors.append("device %s: channels %s, /sys says %s" % (d["vmbus_id"], chans, sysch))
    if d["sysfs_path"] != "/sys/bus/vmbus/devices/" + name:
        errors.append("device %s: sysfs_path %s" % (d["vmbus_id"], d["sysfs_path"]))
    for k in ("class_id", "description", "device_type", "numa_node"):
        if d.get(k) is None:
            errors.append("device %s: %s is null" % (d["vmbus_id"], k))
for e in errors:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

# --- a world of our own: one more device, of a class nobody knows ----------

cat >"$T/world.ini" <<'EOF'
[world]
name = hvctl-unknown-class
base = default
[device mystery]
class = d1a0b5e9-7c3f-4b2e-9f1d-3c5a7e9b1d2f
instance = 5c8e1b2a-3d4f-4e6a-9b7c-0d1e2f3a4b5c
relid = 20
EOF
out=$("$HVSIM" run --world "$T/world.ini" -- "$HVCTL" devices) ||
	hv_fail "hvctl devices in $T/world.ini exited $?"
hv_assert_contains "$out" "VMBUS ID 12: Synthetic network adapter
VMBUS ID 20: Unknown class {d1a0b5e9-7c3f-4b2e-9f1d-3c5a7e9b1d2f}" "unknown class listed last, by its GUID"
exit 0
