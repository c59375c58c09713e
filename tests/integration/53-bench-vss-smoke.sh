#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/vss still runs: a --quick run against the build directory prints
# its table with a FREEZE and a THAW figure for hv-vssd and the reference
# over 1 and 2 file systems, every answer HV_S_OK, and leaves no zram or
# loop device behind.  No figure is checked: performance is measured by
# bench/, never asserted by tests (DESIGN.md §7).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -w /sys/class/zram-control/hot_add ] || hv_skip "no zram devices (modprobe zram)"
hv_need_prog mkfs.ext4 "e2fsprogs"
hv_need_prog taskset "util-linux"
hv_need_prog python3
[ -x "$HV_BUILDDIR/hv-vssd" ] || hv_skip "$HV_BUILDDIR/hv-vssd not built"
[ -x /usr/sbin/hv_vss_daemon ] || hv_skip "/usr/sbin/hv_vss_daemon missing (Debian package hyperv-daemons)"

rc=0
out=$("$HV_SRCDIR/bench/vss" --quick --gap 0.05 "$HV_BUILDDIR" 2>&1) || rc=$?
hv_assert_eq 0 "$rc" "bench/vss exit status (output: $out)"
hv_assert_contains "$out" "ours $HV_BUILDDIR/hv-vssd" "hv-vssd is named"
hv_assert_contains "$out" "ref  /usr/sbin/hv_vss_daemon" "the reference is named"
header=$(grep '^ fs ' <<<"$out") || hv_fail "no table header in: $out"
for col in "freeze ours" "freeze ref" "thaw ours" "thaw ref" "ours/ref" "slower"; do
	hv_assert_contains "$header" "$col" "column $col"
done
for n in 1 2; do
	line=$(grep -m1 -E "^ +$n +[0-9]" <<<"$out") || hv_fail "no row for $n file systems in: $out"
	# Four figures, two ratios and two round counts; a failed measurement is "-".
	[ "$(wc -w <<<"$line")" = 9 ] || hv_fail "short row: $line"
	grep -q -- ' - ' <<<" $line " && hv_fail "a measurement over $n file systems failed: $out"
done
grep -q '^failures and anomalies:' <<<"$out" && hv_fail "failed requests: $out"

# The JSON form parses and carries the same rows.
json=$("$HV_SRCDIR/bench/vss" --quick --json --gap 0.05 --filesystems 1 "$HV_BUILDDIR" 2>/dev/null) ||
	hv_fail "bench/vss --json exited $?"
got=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["rows"][0]
print(len(d["rows"]), sorted(d["daemons"]), all(r[k] is not None for k in ("freeze_ours_ms", "freeze_ref_ms", "thaw_ours_ms", "thaw_ref_ms")))' <<<"$json") ||
	hv_fail "bench/vss --json is not JSON: $json"
hv_assert_eq "1 ['ours', 'ref'] True" "$got" "JSON rows, daemons and figures"

# Its worlds are gone: no mount of a bench directory, no loop device on one.
grep -q hvbench-vss /proc/self/mountinfo && hv_fail "mounts left: $(grep hvbench-vss /proc/self/mountinfo)"
losetup -a | grep -q hvbench-vss && hv_fail "loop devices left: $(losetup -a)"
exit 0
