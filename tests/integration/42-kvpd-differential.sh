#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Differential test: one host scenario of 2,000 mixed KVP operations
# (kvp-scenario.py: new keys, updates, deletes in the middle, present and
# missing GETs, full and single-index enumerations, pools 0, 1, 3, 4 and
# SETs to pool 2; keys up to the 255 UTF-16 units the host wire carries,
# values up to 1023; 2-, 3- and 4-byte UTF-8 with surrogate pairs at the
# kernel's limits; '=', spaces and empty values) played against hv-kvpd and
# Debian's hv_kvp_daemon, each in a fresh world with its own state
# directory.  The answers are compared line by line and the pool files
# record by record; hv-kvpd's answers and files are also checked against a
# model of the kernel's conversions (kvpsim.py).
#
# Named reference bugs (PROTOCOL.md §11), the only differences allowed:
#   §11.3  a GET of a present key answers "" with the reference, the value
#          with hv-kvpd;
#   §11.1, §11.2  pools >= 5 and indexes >= 2^31 are sent to hv-kvpd only,
#          which refuses them (HV_E_FAIL): the reference reads out of bounds;
#   §11.6  records are compared up to their NULs; hv-kvpd's bytes after
#          the NULs must be zero;
#   §11.9  pool 2's intrinsic values (FQDN text): keys compared only.
#
# HV_KVP_SEED picks another scenario (default 42); HV_KVP_OPS its length.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
REF=/usr/sbin/hv_kvp_daemon
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
[ -x "$REF" ] || hv_skip "$REF missing (Debian package hyperv-daemons)"
hv_need_prog python3
hv_tmpdir
here=$(cd "$(dirname "$0")" && pwd)
seed=${HV_KVP_SEED:-42}
ops=${HV_KVP_OPS:-2000}
hv_note "scenario seed $seed, $ops ops (HV_KVP_SEED=$seed HV_KVP_OPS=$ops to replay)"

# One world per daemon: its own control socket and state directory.
play() { # name daemon-kind command...
	local name=$1 kind=$2 world rc=0
	shift 2
	hv_bg "$HVSIM" run --control "$T/$name.ctl" --state "$T/$name" -- sleep 3600
	world=$HV_LAST_PID
	hv_wait_for 10 "$HVSIM" host --control "$T/$name.ctl" ping || hv_fail "the $name world did not come up"
	hv_bg nsenter -t "$world" -m -- "$@"
	"$HVSIM" host --control "$T/$name.ctl" wait-registered kvp --timeout 20 ||
		hv_fail "$name daemon did not register"
	local start=${EPOCHREALTIME/./}
	python3 "$here/kvp-scenario.py" run --seed "$seed" --ops "$ops" --control "$T/$name.ctl" \
		--daemon "$kind" --out "$T/$name.answers" || rc=$?
	hv_note "$name: $(( (${EPOCHREALTIME/./} - start) / 1000 )) ms"
	[ $rc = 0 ] || hv_fail "the scenario against $name stopped (exit $rc); seed $seed"
	hv_assert_eq 0 "$("$HVSIM" host --control "$T/$name.ctl" --json status | tr -d ' \n' |
		grep -o '"device":"kvp"[^}]*' | grep -o '"timeouts":[0-9]*' | cut -d: -f2)" "$name: no kernel timeout"
	kill "$world"
	wait "$world" 2>/dev/null || true
}

play ours ours "$KVPD"
play ref ref "$REF" -n

python3 "$here/kvp-scenario.py" check --seed "$seed" --ops "$ops" --ours "$T/ours.answers" \
	--ref "$T/ref.answers" --ours-state "$T/ours" --ref-state "$T/ref" >&2 ||
	hv_fail "hv-kvpd and the reference differ (seed $seed, HV_KVP_SEED=$seed to replay)"
exit 0
