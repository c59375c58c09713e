#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvctl ic bind fcopy (PROTOCOL.md §7.3, §8): the file-copy class GUID is
# written to uio_hv_generic's new_id, then the device is looked up and
# what came of it is said, as text and as JSON:
#   - in hvsim worlds: the device held by hv_utils (kernels <= 6.9, exit 0),
#     bound to uio_hv_generic as /dev/uio0, not offered at all (exit 0:
#     it is bound when it comes), left without a driver (exit 69);
#   - on sysfs trees (HV_SYSROOT): no VMBus (69), uio_hv_generic not loaded
#     (69, says modprobe), new_id not writable (an error naming it), and
#     usage errors (64): an unknown service, no service, an unknown verb.
# hvctl runs inside each world (hvsim_in), where /sys is the world's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -x "$HVCTL" ] || hv_skip "$HVCTL not built"
hv_need_prog python3 "python3"
hv_tmpdir
CLASS=34d14be3-dee4-41c8-9ae7-6b174977c192
DEV=eb765408-105f-49b6-b4aa-c123b64d17d4
NEW_ID=/sys/bus/vmbus/drivers/uio_hv_generic/new_id

bind() { # [hvctl-option...]: hvctl ic bind fcopy in the world: its output and exit status
	local rc=0 out
	out=$(hvsim_in "$HVCTL" "$@" ic bind fcopy 2>&1) || rc=$?
	echo "$out"
	return $rc
}
json_fields() { # the JSON answer's fields, one line
	python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(f"{k}={d[k]}" for k in ("service", "class_id", "device_id", "driver", "uio", "bound")))'
}
world() { # --file FILE | LINE...: a new world (LINEs added after "base = default")
	if [ -n "${HVSIM_PID:-}" ]; then
		kill "$HVSIM_PID"
		wait "$HVSIM_PID" 2>/dev/null || true
		rm -f "$T/ctl"
	fi
	if [ "${1:-}" = --file ]; then
		hvsim_start --world "$2"
		return
	fi
	{ printf '[world]\nbase = default\n'; printf '%s\n' "$@"; } >"$T/world.ini"
	hvsim_start --world "$T/world.ini"
}

# --- hv_utils holds the device (kernels <= 6.9) --------------------------------------------------
world
rc=0; out=$(bind) || rc=$?
hv_assert_eq 0 "$rc" "bind with the device on hv_utils: exit status ($out)"
hv_assert_eq "$CLASS (fcopy) is registered with uio_hv_generic.
Device $DEV stays with hv_utils (kernels before 6.10 serve it there, through /dev/vmbus/hv_fcopy)." \
	"$out" "bind with the device on hv_utils: text"
hv_assert_eq "$CLASS" "$(hvsim_in cat "$NEW_ID")" "the class GUID was written to new_id"
out=$(bind --json) || hv_fail "bind --json exited $?"
hv_assert_eq "service=fcopy class_id=$CLASS device_id=$DEV driver=hv_utils uio=None bound=False" \
	"$(json_fields <<<"$out")" "bind --json with the device on hv_utils"
out=$(bind --json=pretty) || hv_fail "bind --json=pretty exited $?"
[ "$(wc -l <<<"$out")" -gt 3 ] || hv_fail "--json=pretty is not pretty: $out"
hv_assert_eq "service=fcopy class_id=$CLASS device_id=$DEV driver=hv_utils uio=None bound=False" \
	"$(json_fields <<<"$out")" "bind --json=pretty"

# --- bound to uio_hv_generic (kernels >= 6.10) ----------------------------------------------------
world --file "$HV_SRCDIR/tests/fixtures/worlds/uio-fcopy.ini"
rc=0; out=$(bind) || rc=$?
hv_assert_eq 0 "$rc" "bind with the device on uio_hv_generic: exit status ($out)"
hv_assert_eq "$CLASS (fcopy) is registered with uio_hv_generic.
Device $DEV is bound to uio_hv_generic as /dev/uio0." "$out" "bind with the device on uio: text"
out=$(bind --json) || hv_fail "bind --json (uio) exited $?"
hv_assert_eq "service=fcopy class_id=$CLASS device_id=$DEV driver=uio_hv_generic uio=uio0 bound=True" \
	"$(json_fields <<<"$out")" "bind --json with the device on uio"
rc=0; out=$(bind) || rc=$?
hv_assert_eq 0 "$rc" "binding twice is fine"

# --- no file-copy device offered -----------------------------------------------------------------
world '[device fcopy]' 'remove = yes'
rc=0; out=$(bind) || rc=$?
hv_assert_eq 0 "$rc" "bind with no device: exit status ($out)"
hv_assert_eq "$CLASS (fcopy) is registered with uio_hv_generic.
The host offers no fcopy device now; it is bound when it is offered." "$out" "bind with no device: text"
out=$(bind --json) || hv_fail "bind --json (no device) exited $?"
hv_assert_eq "service=fcopy class_id=$CLASS device_id=None driver=None uio=None bound=False" \
	"$(json_fields <<<"$out")" "bind --json with no device"

# --- offered, no driver took it -------------------------------------------------------------------
world '[device fcopy]' 'driver = none'
rc=0; out=$(bind) || rc=$?
hv_assert_eq 69 "$rc" "bind with the device left unbound: exit status ($out)"
hv_assert_contains "$out" "Device $DEV is still unbound: uio_hv_generic refused it" "bind, unbound: text"
rc=0; out=$(bind --json) || rc=$?
hv_assert_eq 69 "$rc" "bind --json, unbound: exit status"
hv_assert_eq "service=fcopy class_id=$CLASS device_id=$DEV driver=None uio=None bound=False" \
	"$(json_fields <<<"$out")" "bind --json with the device left unbound"

# --- usage errors ---------------------------------------------------------------------------------
for args in "ic bind kvp" "ic bind" "ic frob fcopy" "ic bind fcopy extra"; do
	# shellcheck disable=SC2086 # the words of $args are the arguments
	rc=0; out=$(hvsim_in "$HVCTL" $args 2>&1) || rc=$?
	hv_assert_eq 64 "$rc" "hvctl $args: usage error ($out)"
done
rc=0; out=$(hvsim_in "$HVCTL" ic bind kvp 2>&1) || rc=$?
hv_assert_contains "$out" "unknown service 'kvp' (only fcopy can be bound)" "unknown service: why"

# --- sysfs trees without a world ------------------------------------------------------------------
SYSROOTS=$HV_SRCDIR/tests/fixtures/sysroot
rc=0; out=$(HV_SYSROOT=$SYSROOTS/no-vmbus "$HVCTL" ic bind fcopy 2>&1) || rc=$?
hv_assert_eq 69 "$rc" "no VMBus: exit status ($out)"
hv_assert_contains "$out" "no VMBus found" "no VMBus: why"
rc=0; out=$(HV_SYSROOT=$SYSROOTS/gen2-vm "$HVCTL" ic bind fcopy 2>&1) || rc=$?
hv_assert_eq 69 "$rc" "uio_hv_generic not loaded: exit status ($out)"
hv_assert_contains "$out" "run 'modprobe uio_hv_generic' first" "uio_hv_generic not loaded: what to do"
# A copy of the tree (its fcopy device has no driver link) with the driver
# loaded: new_id is written, the device is reported unbound...
cp -a "$SYSROOTS/gen2-vm" "$T/sysroot"
mkdir "$T/sysroot/sys/bus/vmbus/drivers/uio_hv_generic"
: >"$T/sysroot/sys/bus/vmbus/drivers/uio_hv_generic/new_id"
rc=0; out=$(HV_SYSROOT=$T/sysroot "$HVCTL" --json ic bind fcopy 2>&1) || rc=$?
hv_assert_eq 69 "$rc" "fixture with uio_hv_generic: exit status ($out)"
hv_assert_eq "$CLASS" "$(cat "$T/sysroot$NEW_ID")" "fixture: new_id written"
hv_assert_eq "service=fcopy class_id=$CLASS device_id=$DEV driver=None uio=None bound=False" \
	"$(json_fields <<<"$out")" "fixture: the device without a driver"
# ... and an error naming new_id when it cannot be written.
rm "$T/sysroot$NEW_ID"
mkdir "$T/sysroot$NEW_ID"
rc=0; out=$(HV_SYSROOT=$T/sysroot "$HVCTL" ic bind fcopy 2>&1) || rc=$?
[ "$rc" != 0 ] || hv_fail "an unwritable new_id: exit status 0 ($out)"
hv_assert_contains "$out" "cannot register $CLASS (fcopy) with uio_hv_generic" "an unwritable new_id: why"
exit 0
