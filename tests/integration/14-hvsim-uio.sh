#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The uio world of hvsim (PROTOCOL.md §1, §2, §7.3, §8, §12 items 1-3, 11,
# 12), played from the guest's side by a small python guest written from
# the protocol (uio-guest.py), with no daemon of ours:
#   - sysfs: uio/uio0, channels/6/ring of 2 x 20 KiB (16 KiB when the world
#     says so), mode 0600; /dev/uio0;
#   - the host negotiates on every open (framework 3.0 and 1.0, fcopy 1.1
#     and 1.0 offered) and a copy is START, 6144-byte WRITEs, COMPLETE with
#     the right bytes; --cancel-after sends CANCEL;
#   - 4-byte reads and writes only, O_NONBLOCK reads, the RX mask: no
#     interrupt while masked, the data waits; old kernels mask on every
#     interrupt; descriptors and trailers as §1.2 says;
#   - a packet the guest never answers times out, a corrupt TX ring is
#     reported, the last close fails a copy in flight;
#   - rescind: EIO for the open file, /dev/uio0 and the sysfs directory
#     gone; a re-offer brings them back and the next open negotiates again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
hv_need_prog python3 "python3"
hv_tmpdir
GUEST=$HV_SRCDIR/tests/integration/uio-guest.py
WORLDS=$HV_SRCDIR/tests/fixtures/worlds
DEV=/sys/bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4
mkdir -p "$T/dest"
head -c 20000 /dev/urandom >"$T/blob"

# A guest that serves until rescinded; $GUEST_PID, log in $T/log.
guest_start() { # serve options...
	: >"$T/log"
	hvsim_bg_in python3 "$GUEST" serve "$T/log" "$@"
	GUEST_PID=$HV_LAST_PID
}
guest_stop() {
	kill "$GUEST_PID" 2>/dev/null || true
	wait "$GUEST_PID" 2>/dev/null || true
	uio_wait_field 10 open false || hv_fail "the guest's close did not close the channel"
}
uio_field() { # field: a scalar of the fcopy entry in status's "uio" array
	hvsim_host --json status | python3 -c 'import json, sys
v = json.load(sys.stdin)["uio"][0].get(sys.argv[1], "")
print(str(v).lower() if isinstance(v, bool) else v)' "$1"
}
uio_wait_field() { # timeout field value
	local i=0
	while [ "$(uio_field "$2")" != "$3" ]; do
		i=$((i + 1))
		[ $i -ge $(($1 * 20)) ] && return 1
		sleep 0.05
	done
}

hvsim_start --world "$WORLDS/uio-fcopy.ini"

# --- the world as a 6.10+ guest sees it ---------------------------------------------------
out=$(hvsim_in sh -c "ls $DEV/uio; stat -c '%s %a' $DEV/channels/6/ring; cat /sys/class/uio/uio0/maps/map0/size;
	test -e /dev/uio0 && echo node; ls /dev/vmbus")
hv_assert_eq "uio0
40960 600
0xa000
node
hv_kvp
hv_vss" "$out" "uio0, a 2 x 20 KiB ring file (0600), /dev/uio0, no hv_fcopy"
hv_assert_eq "false" "$(uio_field open)" "closed until a guest opens it"
rc=0; out=$(hvsim_host fcopy send "$T/blob" "$T/dest/x" 2>&1) || rc=$?
hv_assert_eq 3 "$rc" "no copy before the guest opens the device"
hv_assert_contains "$out" "has not opened the fcopy channel" "why"

# --- the kernel's rules, and the host's packets, from a probe -----------------------------------
out=$(hvsim_in python3 "$GUEST" probe "$HVSIM" "$T/ctl" "$T/blob" "$T/dest/probe") || hv_fail "probe exited $?"
hv_assert_eq "ring 20480, feature_bits 1/1
event after open: yes
rx mask after the interrupt: 0
read of 8 bytes: ok
write of 3 bytes: ok
write of 2: ok
nonblocking read with nothing new: ok
negotiate packet: type 6 offset8 2 flags 0 trailer ok
rx mask after writing 1: 0
rx mask after writing 0: 1
masked: packet waiting yes, event none
host packets: start writex4 complete" "$(echo "$out" | head -12)" "probe: the rules of §8 and the packets of §1.2"
echo "$out" | tail -1 | grep -Eq '^host exit 0: 20000 of 20000 bytes in [0-9]+\.[0-9]{3} s: [0-9]+\.[0-9]{2} MiB/s$' ||
	hv_fail "probe: the host's copy: $(echo "$out" | tail -1)"
cmp "$T/blob" "$T/dest/probe" || hv_fail "the probe's copy differs"
uio_wait_field 10 open false || hv_fail "the probe's close did not close the channel"

# --- a daemon-like guest: negotiation on every open, copies --------------------------------------
guest_start
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "the guest did not negotiate"
hv_assert_eq "done" "$(uio_field negotiation)" "negotiated"
hv_assert_eq "1.1" "$(uio_field host_service_version)" "fcopy 1.1"
grep -q "^negotiate offered 3.0 1.0 1.1 1.0 chose 3.0 1.1$" "$T/log" || hv_fail "offer: $(cat "$T/log")"
out=$(hvsim_host fcopy send "$T/blob" "$T/dest/blob") || hv_fail "send exited $?: $out"
hv_assert_eq "start: HV_S_OK
write x4: HV_S_OK
complete: HV_S_OK" "$(echo "$out" | head -3)" "every answer reported"
hv_assert_contains "$out" "20000 of 20000 bytes in" "bytes and time"
cmp "$T/blob" "$T/dest/blob" || hv_fail "the copy differs"
grep -q "^start $T/dest blob flags 0 size 20000$" "$T/log" || hv_fail "START: $(cat "$T/log")"
rc=0; out=$(hvsim_host fcopy send "$T/blob" "$T/dest/blob") || rc=$?
hv_assert_eq "start: HV_ERROR_ALREADY_EXISTS 1" "$(echo "$out" | head -1) $rc" "the first failure ends the copy"
out=$(hvsim_host fcopy send --overwrite --cancel-after 1 "$T/blob" "$T/dest/") || hv_fail "cancel exited $?"
hv_assert_eq "start: HV_S_OK
write: HV_S_OK
cancel: HV_S_OK" "$(echo "$out" | head -3)" "--cancel-after 1"
hv_assert_contains "$out" "6144 of 20000 bytes" "cancelled after one fragment"
hv_assert_eq "cancel" "$(tail -1 "$T/log")" "the guest saw CANCEL"
[ ! -e "$T/dest/blob" ] || hv_fail "the cancelled file was kept"
hv_assert_eq 2 "$(uio_field channel_opens)" "opened by the probe, then by the guest"

# --- rescind and re-offer ---------------------------------------------------------------------
hvsim_host rescind fcopy >/dev/null || hv_fail "rescind failed"
wait "$GUEST_PID" || hv_fail "the guest did not end with EIO"
hv_assert_eq "read failed: EIO" "$(tail -1 "$T/log")" "a blocked read ends with EIO"
hv_assert_eq "gone" "$(hvsim_in sh -c "test -e /dev/uio0 || test -e $DEV || echo gone")" \
	"/dev/uio0 and the device directory are gone"
rc=0; hvsim_host fcopy send "$T/blob" "$T/dest/y" 2>/dev/null || rc=$?
hv_assert_eq 3 "$rc" "no copy while rescinded"
rc=0; hvsim_host rescind fcopy 2>/dev/null || rc=$?
hv_assert_eq 3 "$rc" "a second rescind is refused"
out=$(hvsim_host offer fcopy) || hv_fail "offer failed"
hv_assert_eq "fcopy offered: /dev/uio0" "$out" "re-offer"
hv_assert_eq "present" "$(hvsim_in sh -c "test -e /dev/uio0 && test -e $DEV/channels/6/ring && echo present")" \
	"back after the re-offer"
guest_start
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "no negotiation after the re-offer"
hv_assert_eq 1 "$(grep -c '^negotiate' "$T/log")" "negotiated again on the new open"
hv_assert_eq HV_S_OK "$(hvsim_host --json fcopy send --overwrite "$T/blob" "$T/dest/again" | tr -d ' \n' |
	grep -o '"status":"[A-Z_]*"' | tail -1 | cut -d'"' -f4)" "a copy after the re-offer (--json)"
cmp "$T/blob" "$T/dest/again" || hv_fail "the copy after the re-offer differs"
guest_stop

# --- failures: timeout, corrupt ring, close in flight ---------------------------------------------
guest_start --ignore write
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "no negotiation (ignore)"
rc=0; out=$(hvsim_host fcopy send --overwrite "$T/blob" "$T/dest/t" 2>&1) || rc=$?
hv_assert_eq 3 "$rc" "an unanswered WRITE"
hv_assert_contains "$out" "timeout: the guest did not answer within 3 s" "fcopy_timeout"
hv_assert_contains "$out" "failed at write" "how far it got"
guest_stop

guest_start --corrupt-on write
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "no negotiation (corrupt)"
rc=0; out=$(hvsim_host fcopy send --overwrite "$T/blob" "$T/dest/c" 2>&1) || rc=$?
hv_assert_eq 3 "$rc" "a corrupt TX ring"
hv_assert_contains "$out" "TX ring is corrupt" "reported"
hv_assert_contains "$(uio_field ring_error)" "TX ring is corrupt" "and shown by status"
guest_stop

guest_start --exit-on write
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "no negotiation (exit)"
rc=0; out=$(hvsim_host fcopy send --overwrite "$T/blob" "$T/dest/e" 2>&1) || rc=$?
hv_assert_eq 3 "$rc" "the guest went away mid-copy"
hv_assert_contains "$out" "the guest closed the channel (last close of /dev/uio0)" "why"
kill "$HVSIM_PID"; wait "$HVSIM_PID" 2>/dev/null || true

# --- 16 KiB rings and old kernels' masking ---------------------------------------------------------
hvsim_start --world "$WORLDS/uio-fcopy-16k.ini"
hv_assert_eq "32768" "$(hvsim_in stat -c %s $DEV/channels/6/ring)" "ring_size = 16K: a 32 KiB file"
out=$(hvsim_in python3 "$GUEST" probe "$HVSIM" "$T/ctl" "$T/blob" "$T/dest/p16") || hv_fail "probe (16K) exited $?"
hv_assert_contains "$out" "ring 16384, feature_bits 1/1" "16 KiB per direction"
hv_assert_contains "$out" "rx mask after the interrupt: 1" "uio_mask_on_interrupt: the interrupt masked RX"
hv_assert_contains "$out" "host exit 0" "the copy works on 16 KiB rings"
cmp "$T/blob" "$T/dest/p16" || hv_fail "the 16K copy differs"
kill "$HVSIM_PID"; wait "$HVSIM_PID" 2>/dev/null || true

# --- fcopy send over hv_utils' char device, with the reference daemon ------------------------------
if [ -x /usr/sbin/hv_fcopy_daemon ]; then
	hvsim_start
	hvsim_bg_in /usr/sbin/hv_fcopy_daemon -n
	hvsim_host wait-registered fcopy --timeout 20 || hv_fail "hv_fcopy_daemon did not register"
	out=$(hvsim_host fcopy send "$T/blob" "$T/dest/cdev") || hv_fail "send (char device) exited $?"
	hv_assert_eq "start: HV_S_OK
write x4: HV_S_OK
complete: HV_S_OK" "$(echo "$out" | head -3)" "fcopy send works on the char device too"
	cmp "$T/blob" "$T/dest/cdev" || hv_fail "the char-device copy differs"
	out=$(hvsim_host fcopy send --overwrite --cancel-after 2 "$T/blob" "$T/dest/cdev") || hv_fail "cancel exited $?"
	hv_assert_eq "cancel: HV_S_OK" "$(echo "$out" | sed -n 3p)" "CANCEL on the char device"
	[ ! -e "$T/dest/cdev" ] || hv_fail "hv_fcopy_daemon kept the cancelled file"
else
	hv_note "no /usr/sbin/hv_fcopy_daemon: fcopy send over the char device not tried"
fi
exit 0
