#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Crash safety of hv-kvpd's pools: SIGKILL at any moment leaves pools that
# load and hold every operation the host was told succeeded.
#
# kvp-crash.py plays the host: at least 3,000 SETs (long values, up to
# 2,046 bytes of UTF-8), DELETEs in the middle, GETs and enumerations on
# pools 0, 1 and 3, while a killer thread SIGKILLs hv-kvpd at random
# moments (seeded: during operations, during enumerations, right after a
# start while an interrupted change may be being finished) and starts it
# again in the same world, 500 times (at least 150 within the 100-second
# budget on a loaded machine).  After every restart and at
# the end each pool is read through the host and parsed from its file, and
# must be exactly the acknowledged operations (the one in flight at a kill
# either way); refused ones must leave no trace.
#
# Without crash-safe writes this fails: a store that truncates and then
# rewrites (the reference's fopen("w") + fwrite, §11.4) loses acknowledged
# records when killed between the two.  HV_KVP_CRASH_DAEMON=reference runs
# the same driver against /usr/sbin/hv_kvp_daemon to show it.
# HV_KVP_CRASH_SEED replays a seed (default: random, printed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
hv_need_prog python3
hv_tmpdir
here=$(cd "$(dirname "$0")" && pwd)
# The driver starts and kills the daemon itself and removes the pid file
# when it is done; if the driver itself is killed (the runner's timeout),
# its last daemon is still named there.
trap 'kill -KILL "$(cat "$T/kvpd.pid" 2>/dev/null)" 2>/dev/null || true; hv_cleanup' EXIT

seed=${HV_KVP_CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
daemon=("$KVPD")
extra=()
if [ "${HV_KVP_CRASH_DAEMON:-}" = reference ]; then
	daemon=(/usr/sbin/hv_kvp_daemon -n)
	extra=(--reference)
fi
hv_note "seed $seed (HV_KVP_CRASH_SEED=$seed to replay), daemon ${daemon[*]}"

hvsim_start
rc=0
python3 "$here/kvp-crash.py" --control "$T/ctl" --world-pid "$HVSIM_PID" --state "$T/state" \
	--seed "$seed" --ops "${HV_KVP_CRASH_OPS:-3000}" --kills "${HV_KVP_CRASH_KILLS:-500}" \
	--budget 100 --pidfile "$T/kvpd.pid" --log "$T/kvpd.log" "${extra[@]}" -- "${daemon[@]}" >&2 || rc=$?
if [ $rc != 0 ]; then
	tail -n 20 "$T/kvpd.log" | sed 's/^/  daemon: /' >&2
	hv_fail "pools lost acknowledged operations or did not load (seed $seed)"
fi
hv_assert_eq 0 "$(hvsim_field kvp timeouts)" "no request timed out"
exit 0
