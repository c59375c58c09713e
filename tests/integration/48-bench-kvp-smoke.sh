#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/kvp still runs: a tiny --quick run against the build directory
# prints its table with a column for every daemon (the null responder in
# both modes, hv-kvpd, the reference) and a row for every operation.  No
# figure is checked: performance is measured by bench/, never asserted by
# tests (DESIGN.md §7).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -x "$HV_BUILDDIR/hv-kvpd" ] || hv_skip "$HV_BUILDDIR/hv-kvpd not built"
[ -x "$HV_BUILDDIR/bench/kvp-null-responder" ] || hv_skip "bench/kvp-null-responder not built"
[ -x /usr/sbin/hv_kvp_daemon ] || hv_skip "/usr/sbin/hv_kvp_daemon missing (Debian package hyperv-daemons)"
hv_need_prog ip "iproute2"
hv_need_prog python3 "python3"
unshare -n true 2>/dev/null || hv_skip "cannot make a network namespace"

rc=0
out=$("$HV_SRCDIR/bench/kvp" --quick --seconds 0.05 --keys "10 100" "$HV_BUILDDIR" 2>&1) || rc=$?
hv_assert_eq 0 "$rc" "bench/kvp exit status (output: $out)"

hv_assert_contains "$out" "null   $HV_BUILDDIR/bench/kvp-null-responder" "the null responder is named"
hv_assert_contains "$out" "ours   $HV_BUILDDIR/hv-kvpd" "hv-kvpd is named"
hv_assert_contains "$out" "ref    /usr/sbin/hv_kvp_daemon" "the reference is named"
header=$(grep '^op ' <<<"$out") || hv_fail "no table header in: $out"
for col in null nullep ours ref ours/null ours/ref; do
	hv_assert_contains "$header" " $col" "column $col"
done
for op in set update get enumerate; do
	for k in 10 100; do
		line=$(grep -m1 -E "^$op +$k " <<<"$out") || hv_fail "no row for $op at $k keys in: $out"
		# Every daemon has a figure or says why not; none is missing.
		[ "$(wc -w <<<"$line")" -ge 9 ] || hv_fail "short row: $line"
	done
done
hv_assert_contains "$out" "GET_IP_INFO p50 latency: null " "GET_IP_INFO line"
hv_assert_contains "$out" "resident memory with 100 keys: null " "resident memory line"
# The null responder answers everything: a failure there is the bench's own.
grep -E '^  null(ep)? ' <<<"$(sed -n '/^failures and anomalies:/,$p' <<<"$out")" &&
	hv_fail "the null responder failed requests: $out"

# The JSON form parses and carries the same rows.
json=$("$HV_SRCDIR/bench/kvp" --quick --json --seconds 0.05 --keys 10 "$HV_BUILDDIR" 2>/dev/null) ||
	hv_fail "bench/kvp --json exited $?"
rows=$(python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d["rows"]), sorted(d["daemons"]))' <<<"$json") ||
	hv_fail "bench/kvp --json is not JSON: $json"
hv_assert_eq "4 ['null', 'nullep', 'ours', 'ref']" "$rows" "JSON rows and daemons"
exit 0
