#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvctl kvp against hv-kvpd under hvsim: what the guest sets with hvctl
# the host enumerates and gets; what the host sets hvctl reads and
# watches; hvctl's clear is what the daemon then answers; fsck finds and
# repairs a corrupted pool, on a copy and under the running daemon.
# hvctl runs inside the world (hvsim_in), where /var/lib/hyperv is the
# world's state directory, so it uses its default pool directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
[ -x "$HVCTL" ] || hv_skip "$HVCTL not built"
hv_tmpdir
hvsim_start
hvsim_bg_in "$KVPD"
hvsim_host wait-registered kvp --timeout 20 || hv_fail "hv-kvpd did not register"

hvctl_in() { hvsim_in "$HVCTL" "$@"; }

# --- guest -> host: hvctl kvp set in the guest pool -------------------------
hvctl_in kvp set GuestKey "guest value" || hv_fail "hvctl kvp set exited $?"
hvctl_in kvp set "clé" "värde ✓" || hv_fail "hvctl kvp set (non-ASCII) exited $?"
hv_assert_eq "GuestKey
clé" "$(rec_key 1 0; rec_key 1 1)" "the records are in the world's pool file, in order"
expect "GuestKey=guest value
clé=värde ✓" 0 "the host enumerates what hvctl set" kvp enumerate --pool 1
expect "HV_S_OK
GuestKey=guest value" 0 "the host gets what hvctl set" kvp get --pool 1 GuestKey
hvctl_in kvp set GuestKey "changed" || hv_fail "hvctl kvp set (update) exited $?"
expect "HV_S_OK
GuestKey=changed" 0 "the daemon sees hvctl's update in place" kvp get --pool 1 GuestKey
hv_assert_eq $((2 * 2560)) "$(pool_size 1)" "an update does not add a record"

# --- host -> guest: the host's SET on pool 0 ------------------------------------
expect HV_S_OK 0 "host sets a pool-0 key" kvp set --pool 0 NdDriverVersion 142.0
hv_assert_eq 142.0 "$(hvctl_in kvp get --pool external NdDriverVersion)" "hvctl kvp get --pool external"
hv_assert_eq 142.0 "$(hvctl_in kvp get NdDriverVersion)" "hvctl kvp get in every pool"
out=$(hvctl_in --json kvp get --pool 0 NdDriverVersion)
hv_assert_eq '{"pool":0,"pool_name":"external","index":0,"key":"NdDriverVersion","value":"142.0"}' "$out" \
	"hvctl kvp get --json"
rc=0
hvctl_in kvp get --pool guest NdDriverVersion 2>/dev/null || rc=$?
hv_assert_eq 2 "$rc" "a key that is not in the pool asked for: exit 2"
rc=0
hvctl_in kvp set --pool 0 NdDriverVersion 1 2>/dev/null || rc=$?
hv_assert_eq 64 "$rc" "the host's pool needs --force"

# A hostile value from the host reaches the terminal escaped.
expect HV_S_OK 0 "host sets a value with a terminal escape" kvp set --pool 0 Evil $'\e[2Jgotcha'
hv_assert_eq 'Evil=\x1b[2Jgotcha' "$(hvctl_in kvp list --pool external | grep ^Evil)" "escaped in text"

# --- watch sees a host SET --------------------------------------------------------
hvsim_bg_in "$HVCTL" kvp watch --pool external --count 1 --timeout 20 >"$T/watch.out" 2>"$T/watch.err"
watch_pid=$HV_LAST_PID
# Ready once its inotify watch exists (nsenter execs hvctl: same pid).
watching() { grep -qs '^inotify wd:' /proc/"$watch_pid"/fdinfo/*; }
hv_wait_for 10 watching || hv_fail "hvctl kvp watch did not start watching"
expect HV_S_OK 0 "host sets a key while hvctl watches" kvp set --pool 0 Watched yes
rc=0
wait "$watch_pid" || rc=$?
hv_assert_eq 0 "$rc" "watch --count 1 exits 0 after the change ($(cat "$T/watch.err"))"
hv_assert_eq "+ external Watched=yes" "$(cat "$T/watch.out")" "watch printed the host's SET"

# --- clear: the daemon's next enumeration agrees ----------------------------------
hv_assert_eq "guest: 2 records removed" "$(hvctl_in kvp clear)" "hvctl kvp clear"
hv_assert_eq 0 "$(pool_size 1)" "the guest pool file is empty"
out=$(hvsim_host kvp enumerate --pool 1 || true)
hv_assert_eq "" "$out" "the host enumerates nothing after the clear"
expect HV_S_CONT 1 "the daemon's GET agrees" kvp get --pool 1 GuestKey
hv_assert_eq 142.0 "$(hvctl_in kvp get --pool 0 NdDriverVersion)" "clear left the host's pool alone"
hvctl_in kvp set AfterClear 1 || hv_fail "set after clear"
expect "AfterClear=1" 0 "the daemon follows further changes" kvp enumerate --pool 1

# --- fsck on a corrupted copy ------------------------------------------------------
mkdir "$T/copy"
cp "$T"/state/.kvp_pool_* "$T/copy/"
# A duplicate of record 0 and a torn append after it.
dd if="$T/copy/.kvp_pool_0" bs=2560 count=1 status=none >>"$T/copy/.kvp_pool_0"
printf 'CLOUD_INIT|torn' >>"$T/copy/.kvp_pool_0"
rc=0
out=$("$HVCTL" kvp fsck --pool-dir "$T/copy" 2>"$T/fsck.err") || rc=$?
hv_assert_eq 65 "$rc" "fsck finds the corruption (exit 65)"
hv_assert_contains "$out" "external: 4 records + 15 bytes, 2 errors, 0 warnings
  record 3 'NdDriverVersion': duplicate key, first in record 0
  end: a partial record of 15 bytes" "fsck report"
hv_assert_contains "$(cat "$T/fsck.err")" "--repair" "fsck says how to fix it"
"$HVCTL" kvp fsck --repair --pool-dir "$T/copy" >/dev/null || hv_fail "fsck --repair exited $?"
hv_assert_eq $((3 * 2560)) "$(stat -c %s "$T/copy/.kvp_pool_0")" "the repair kept three records"
"$HVCTL" kvp fsck --pool-dir "$T/copy" >/dev/null || hv_fail "the repaired copy is not clean"
cmp -s "$T/copy/.kvp_pool_0" "$T/state/.kvp_pool_0" || hv_fail "the repaired copy differs from the original"

# --- fsck --repair under the running daemon ----------------------------------------
dd if="$T/state/.kvp_pool_1" bs=2560 count=1 status=none >>"$T/state/.kvp_pool_1"
printf 'partial' >>"$T/state/.kvp_pool_1"
rc=0
hvctl_in kvp fsck --pool guest >/dev/null 2>&1 || rc=$?
hv_assert_eq 65 "$rc" "fsck in the world sees the damage"
hvctl_in kvp fsck --pool guest --repair >/dev/null || hv_fail "fsck --repair in the world exited $?"
hv_assert_eq 2560 "$(pool_size 1)" "the live pool is repaired"
expect "AfterClear=1" 0 "the daemon enumerates the repaired pool" kvp enumerate --pool 1
expect HV_S_OK 0 "the daemon writes after the repair" kvp set --pool 1 HostWrote 1
hv_assert_eq "AfterClear=1
HostWrote=1" "$(hvctl_in kvp list --pool guest)" "hvctl and the daemon agree"

hv_assert_eq 0 "$(hvsim_field kvp timeouts)" "no timeout"
exit 0
