#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-fcopyd over uio_hv_generic (PROTOCOL.md §7.3, §8) under hvsim, in the
# two uio worlds: 2 x 20 KiB rings (uio-fcopy.ini) and 2 x 16 KiB rings
# with the old kernels' mask on every interrupt (uio-fcopy-16k.ini):
#   - the file-copy matrix of 60-fcopyd-differential (fcopy-lib.sh): the
#     same answers and files as over the char device, the big file's
#     sha256 the source's;
#   - rescind while a copy is open: the temporary file goes, the old
#     target is untouched, the daemon keeps running, opens the channel
#     again after `hvsim host offer` and copies again;
#   - SIGTERM while a copy is open: the daemon exits, its temporary file
#     is gone, the old target untouched.
# HV_FCOPY_BIG (default 1G) is the big file in the 20 KiB world,
# HV_FCOPY_BIG_16K (default 64M) the one in the 16 KiB world (the same
# file's head: the 1G copy takes 20-30 s with a sanitizer build).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"
. "$(dirname "$0")/fcopy-lib.sh"

hvsim_need
FCOPYD=$HV_BUILDDIR/hv-fcopyd
[ -x "$FCOPYD" ] || hv_skip "$FCOPYD not built"
if [ -z "${HV_IN_MNTNS:-}" ]; then
	unshare -m true 2>/dev/null || hv_skip "cannot make a mount namespace"
	HV_IN_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
hv_tmpdir
trap 'umount "$T"/*/full 2>/dev/null || true; hv_cleanup' EXIT
WORLDS=$HV_SRCDIR/tests/fixtures/worlds

fcopy_sources 1G
fcopy_mount_full uio20k
fcopy_mount_full uio16k
printf '[fcopy]\nfile-mode = 0644\n' >"$T/hvutils.conf"

uio_closed() {
	hvsim_host --json status | python3 -c 'import json, sys
sys.exit(0 if json.load(sys.stdin)["uio"][0]["open"] is False else 1)'
}
temps() { find "$1" -name '.*.hvfcopy-*' | wc -l; }
no_temps() { [ "$(temps "$1")" = 0 ]; }

world() { # name world-file: a world with hv-fcopyd negotiated on its uio channel; $PID
	hvsim_start --world "$WORLDS/$2"
	hvsim_bg_in "$FCOPYD" --config "$T/hvutils.conf"
	PID=$HV_LAST_PID
	hvsim_host wait-registered fcopy --timeout 20 || hv_fail "$1: hv-fcopyd did not negotiate"
}
end_world() {
	kill "$HVSIM_PID"
	wait "$HVSIM_PID" 2>/dev/null || true
	rm -f "$T/ctl"
}

# An open copy over $D/$1, which holds "old contents": START (OVER_WRITE),
# one WRITE; its temporary file is there.
open_copy() { # name
	cp "$T/old" "$D/$1"
	hv_assert_eq HV_S_OK "$(hvsim_host fcopy start --flags 1 --size 100 "$D" "$1")" "$1: START"
	hv_assert_eq HV_S_OK "$(hvsim_host fcopy write --offset 0 "new contents")" "$1: WRITE"
	hv_assert_eq 1 "$(temps "$D")" "$1: the temporary file is there while the copy is open"
}

# --- 2 x 20 KiB rings ----------------------------------------------------------------------------
declare -A U20=() U16=()
world uio20k uio-fcopy.ini
declare -n R=U20
fcopy_scenario uio20k
unset -n R
hv_note "uio, 20 KiB rings: the $BIG copy took ${U20[big.seconds]} s"
fcopy_check_ours U20 "uio (20 KiB rings)"

# Rescind with a copy open.
open_copy rescinded
hvsim_host rescind fcopy >/dev/null || hv_fail "rescind failed"
hv_wait_for 10 no_temps "$D" || hv_fail "rescind: the temporary file is still there"
hv_assert_eq "$(cat "$T/old")" "$(cat "$D/rescinded")" "rescind: the old target is untouched"
kill -0 "$PID" 2>/dev/null || hv_fail "hv-fcopyd exited at the rescind"
hv_wait_for 10 uio_closed || hv_fail "hv-fcopyd did not close the rescinded channel"
hv_assert_eq "fcopy offered: /dev/uio0" "$(hvsim_host offer fcopy)" "re-offer"
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "hv-fcopyd did not come back after the re-offer"
out=$(hvsim_host fcopy send --overwrite "$T/a" "$D/rescinded") || hv_fail "copy after the re-offer: $out"
cmp "$T/a" "$D/rescinded" || hv_fail "the copy after the re-offer differs"

# SIGTERM with a copy open.
open_copy stopped
kill -TERM "$PID"
rc=0; wait "$PID" || rc=$?
hv_assert_eq 0 "$rc" "hv-fcopyd's exit status after SIGTERM"
hv_assert_eq 0 "$(temps "$D")" "SIGTERM: the temporary file is removed"
hv_assert_eq "$(cat "$T/old")" "$(cat "$D/stopped")" "SIGTERM: the old target is untouched"
end_world

# --- 2 x 16 KiB rings, masked on every interrupt -------------------------------------------------
# The head of the same file (never more than it).
head -c "$(numfmt --from=iec "${HV_FCOPY_BIG_16K:-64M}")" "$T/big" >"$T/big16"
mv "$T/big16" "$T/big"
BIG=$(numfmt --to=iec "$(stat -c %s "$T/big")")
BIG_SUM=$(sha256sum <"$T/big" | cut -d' ' -f1)
world uio16k uio-fcopy-16k.ini
declare -n R=U16
fcopy_scenario uio16k
unset -n R
hv_note "uio, 16 KiB rings: the $BIG copy took ${U16[big.seconds]} s"
fcopy_check_ours U16 "uio (16 KiB rings)"
end_world

# Both worlds gave the same answers and files (and fcopy_check_ours holds
# them to what 60-fcopyd-differential holds the char device's to).
for key in "${!U20[@]}"; do
	case $key in big* | *.link) continue ;; esac
	hv_assert_eq "${U20[$key]//uio20k/W}" "${U16[$key]//uio16k/W}" "20 KiB and 16 KiB worlds: $key"
done
exit 0
