#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real pool-1 writer: cloud-init's HyperVKvpReportingHandler (Debian
# package cloud-init, run unpacked, never installed: ECOSYSTEM.md §2.3)
# appends its event reports to /var/lib/hyperv/.kvp_pool_1 under flock,
# from inside the world, while the host enumerates pool 1 again and again
# and SETs keys in pools 0 and 3 through hv-kvpd.  Then (kvp-cloud-init.py):
#   - every record cloud-init wrote (600 events, a quarter of them longer
#     than 1024 bytes and sliced) is delivered by the host's enumeration,
#     in order and byte-exact, after the host's own first record, which
#     also shows cloud-init's once-per-boot truncation left the fresh file
#     alone;
#   - every enumeration made during the appends is a prefix of the final
#     one: no torn or reordered record, every value the JSON cloud-init
#     wrote;
#   - the pool file holds the same, pools 0 and 3 what the host set.
#
# Needs what scripts/deps sets up: python3-requests, python3-yaml and the
# package unpacked in /var/cache/hvutils-test/pkgs/cloud-init
# (HV_TEST_PKG_CACHE overrides).  HV_KVP_CI_SEED replays a seed;
# HV_KVP_CI_DAEMON=reference runs Debian's hv_kvp_daemon instead.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
pkgs=${HV_TEST_PKG_CACHE:-/var/cache/hvutils-test/pkgs}
site=$pkgs/cloud-init/usr/lib/python3/dist-packages
[ -f "$site/cloudinit/reporting/handlers.py" ] || hv_skip "cloud-init not unpacked in $pkgs (run scripts/deps)"
# Debian's python, for which the package and its dependencies are made.
PY=/usr/bin/python3
[ -x $PY ] || hv_skip "$PY missing"
PYTHONPATH=$site $PY -c 'import cloudinit.reporting.handlers' 2>/dev/null ||
	hv_skip "cloud-init's imports fail (python3-requests, python3-yaml missing? run scripts/deps)"
hv_need_prog python3
hv_tmpdir
here=$(cd "$(dirname "$0")" && pwd)
seed=${HV_KVP_CI_SEED:-$((RANDOM * 32768 + RANDOM))}
hv_note "seed $seed (HV_KVP_CI_SEED=$seed to replay)"

daemon=("$KVPD")
[ "${HV_KVP_CI_DAEMON:-}" = reference ] && daemon=(/usr/sbin/hv_kvp_daemon -n)

hvsim_start
hvsim_bg_in "${daemon[@]}"
hvsim_host wait-registered kvp --timeout 20 || hv_fail "${daemon[0]} did not register"
expect HV_S_OK 0 "the host's own first record in pool 1" kvp set --pool 1 host-first "before cloud-init"

hv_bg python3 "$here/kvp-cloud-init.py" host --control "$T/ctl" --seed "$seed" --stop "$T/stop" \
	--out "$T/host.json"
hostpid=$HV_LAST_PID
rc=0
hvsim_in env PYTHONPATH="$site" $PY "$here/kvp-cloud-init.py" publish --pool-file /var/lib/hyperv/.kvp_pool_1 \
	--events 600 --seed "$seed" --out "$T/published.json" || rc=$?
touch "$T/stop"
wait $hostpid || hv_fail "the host side failed (seed $seed)"
[ $rc = 0 ] || hv_fail "cloud-init's publisher failed (exit $rc, seed $seed)"

python3 "$here/kvp-cloud-init.py" check --published "$T/published.json" --host "$T/host.json" \
	--state "$T/state" --control "$T/ctl" >&2 || hv_fail "pool 1 did not deliver what cloud-init wrote (seed $seed)"
hv_assert_eq 0 "$(hvsim_field kvp timeouts)" "no request timed out"
exit 0
