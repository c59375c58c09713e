#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/fcopy still runs: a small --quick run against the build directory
# prints its table with a figure for every column (the null responder,
# hv-fcopyd and the reference on the char device; the null responder and
# hv-fcopyd on uio), every copy arrived whole (bench/fcopy compares each
# daemon's file with the source and reports a difference as an error),
# and the JSON form parses and says the same.  No figure is checked:
# performance is measured by bench/, never asserted by tests (DESIGN.md §7).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -x "$HV_BUILDDIR/hv-fcopyd" ] || hv_skip "$HV_BUILDDIR/hv-fcopyd not built"
[ -x "$HV_BUILDDIR/bench/fcopy-null-responder" ] || hv_skip "bench/fcopy-null-responder not built"
[ -x /usr/sbin/hv_fcopy_daemon ] || hv_skip "/usr/sbin/hv_fcopy_daemon missing (Debian package hyperv-daemons)"
[ -e /dev/loop-control ] || hv_skip "no loop devices (modprobe loop)"
hv_need_prog losetup "util-linux"
hv_need_prog mkfs.ext4 "e2fsprogs"
hv_need_prog taskset "util-linux"
hv_need_prog python3 "python3"
COLUMNS_ALL="null-chardev ours-chardev ref-chardev null-uio ours-uio"

rc=0
out=$("$HV_SRCDIR/bench/fcopy" --quick --size 16M "$HV_BUILDDIR" 2>&1) || rc=$?
hv_assert_eq 0 "$rc" "bench/fcopy exit status (output: $out)"
hv_assert_contains "$out" "bench/fcopy: 16 MiB of random data per copy, median of 1" "the title"
hv_assert_contains "$out" "ext4 on loop" "the destination's device"
grep -Eq '^  column +MiB/s +CPU s/GiB +errors$' <<<"$out" || hv_fail "no table header in: $out"
for c in $COLUMNS_ALL; do
	line=$(grep -E "^  $c " <<<"$out") || hv_fail "no row for $c in: $out"
	# A rate and a CPU figure, and nothing in the errors column.
	[[ $line =~ ^\ \ $c\ +[0-9]+\.[0-9]\ +[0-9]+\.[0-9]+\ *$ ]] || hv_fail "row of $c: '$line'"
done
for k in ours_vs_floor_chardev ours_vs_floor_uio ref_vs_floor_chardev ours_added_cpu_s_per_gib_chardev \
	ref_added_cpu_s_per_gib_chardev throughput_ours_over_ref_chardev; do
	grep -Eq "^  $k = -?[0-9.]+$" <<<"$out" || hv_fail "no $k in: $out"
done
if grep -q -- '-fsanitize' "$HV_BUILDDIR/Makefile"; then
	hv_assert_contains "$out" "SANITIZED BUILD" "a sanitizer build is flagged"
fi

json=$("$HV_SRCDIR/bench/fcopy" --quick --json --size 4M "$HV_BUILDDIR" 2>/dev/null) || hv_fail "bench/fcopy --json exited $?"
got=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
cols = d["columns"]
bad = [c for c, v in cols.items() if v["runs"] != 1 or v["errors"] or v.get("mib_per_s", 0) <= 0]
print(d["size_bytes"], " ".join(cols), "bad:", " ".join(bad) or "none")' <<<"$json") || hv_fail "bench/fcopy --json is not JSON: $json"
hv_assert_eq "4194304 $COLUMNS_ALL bad: none" "$got" "JSON: size, columns, one good run each"
exit 0
