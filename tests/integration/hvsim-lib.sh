# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for integration tests that drive an hvsim world from outside.
# Sourced after lib.sh (not a test itself: the runner only runs [0-9]*.sh).
#
#   hvsim_need                   skip unless root, FUSE, hvsim and nsenter
#   hvsim_start [RUN-OPTION...]  start a world running `sleep` in the
#                                background: control socket $T/ctl, state
#                                directory $T/state; sets $HVSIM_PID
#   hvsim_host ARGS...           hvsim host --control $T/ctl ARGS...
#   hvsim_in CMD...              run CMD inside the world (its mount namespace)
#   hvsim_bg_in CMD...           same in the background (hv_bg); $HV_LAST_PID
#   hvsim_field DEVICE FIELD     a scalar of DEVICE's entry in `status --json`
#   hvsim_wait_field TIMEOUT DEVICE FIELD VALUE
#   rec_key POOL I / rec_val POOL I   key / value of record I of a pool file
#                                in the state directory, up to the first NUL
#   pool_size POOL               size of the pool file in bytes
#   expect OUT RC WHAT HOST-ARGS...  run hvsim host HOST-ARGS, check stdout
#                                and exit status

hvsim_need() {
	hv_need_root
	hv_need_fuse
	[ -x "$HVSIM" ] || hv_skip "$HVSIM not built"
	hv_need_prog nsenter "util-linux"
}

hvsim_start() {
	hv_bg "$HVSIM" run --control "$T/ctl" --state "$T/state" "$@" -- sleep 3600
	HVSIM_PID=$HV_LAST_PID
	# The control socket answers only once the world is set up.
	hv_wait_for 10 "$HVSIM" host --control "$T/ctl" ping || hv_fail "the world did not come up"
}

hvsim_host() { "$HVSIM" host --control "$T/ctl" "$@"; }
hvsim_in() { nsenter -t "$HVSIM_PID" -m -- "$@"; }
hvsim_bg_in() { hv_bg nsenter -t "$HVSIM_PID" -m -- "$@"; }

hvsim_field() { # device field
	hvsim_host --json status | tr -d ' \n' |
		grep -o "\"device\":\"$1\"[^}]*" | grep -o "\"$2\":[^,}]*" | head -1 |
		cut -d: -f2- | tr -d '"'
}

hvsim_wait_field() { # timeout device field value
	local t=$1 i=0
	while [ "$(hvsim_field "$2" "$3")" != "$4" ]; do
		i=$((i + 1))
		[ $i -ge $((t * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# Record i of pool p: key and value up to their first NUL (bytes after it
# may be the reference's stale memory, PROTOCOL.md §11.6).
rec_key() { dd if="$T/state/.kvp_pool_$1" bs=2560 skip="$2" count=1 status=none | head -c 512 | tr '\0' '\n' | head -1; }
rec_val() { dd if="$T/state/.kvp_pool_$1" bs=2560 skip="$2" count=1 status=none | tail -c 2048 | tr '\0' '\n' | head -1; }
pool_size() { stat -c %s "$T/state/.kvp_pool_$1"; }

expect() { # expected-stdout expected-exit what host-args...
	local want=$1 want_rc=$2 what=$3 out rc=0
	shift 3
	out=$(hvsim_host "$@") || rc=$?
	hv_assert_eq "$want" "$out" "$what (output)"
	hv_assert_eq "$want_rc" "$rc" "$what (exit status)"
}
