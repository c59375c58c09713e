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
# In a world with a root of its own the world is the command's namespace
# ($HVSIM_NS_PID, set by hvsim_vss_world), not hvsim's.
hvsim_in() { nsenter -t "${HVSIM_NS_PID:-$HVSIM_PID}" -m -- "$@"; }
hvsim_bg_in() { hv_bg nsenter -t "${HVSIM_NS_PID:-$HVSIM_PID}" -m -- "$@"; }

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

# --- VSS worlds: a root of their own, test file systems on zram and loop
# devices (hvsim(1), VSS WORLDS) --------------------------------------------
#   hvsim_need_vss               skip unless zram, mkfs.{ext4,xfs,btrfs}, python3
#   hvsim_vss_world FILE [RUN-OPTION...]  hvsim_start with --world FILE; sets
#                                $HVSIM_NS_PID, the command in the world's root,
#                                which hvsim_in and hvsim_bg_in then enter
#   hvsim_fs_path NAME           where file system NAME is mounted outside the world
#   hvsim_fs_dev NAME            its device (/dev/zramN, /dev/loopN)
#   hvsim_frozen PATH            "frozen" or "thawed", asked with FIFREEZE from
#                                outside: EBUSY is frozen; a freeze that works is
#                                undone at once.  Not for a loop file system whose
#                                image lives on a frozen one (that FIFREEZE waits)
#   hvsim_vss_status ARGS...     the status word of `hvsim host vss ARGS`, with
#                                hvsim's exit status

hvsim_need_vss() {
	hvsim_need
	[ -w /sys/class/zram-control/hot_add ] || hv_skip "no zram devices (modprobe zram)"
	[ -c /dev/loop-control ] || hv_skip "no /dev/loop-control"
	hv_need_prog mkfs.ext4 "e2fsprogs"
	hv_need_prog mkfs.xfs "xfsprogs, scripts/deps"
	hv_need_prog mkfs.btrfs "btrfs-progs, scripts/deps"
	hv_need_prog python3
}

hvsim_vss_world() {
	local world=$1
	shift
	hvsim_start --world "$world" "$@"
	HVSIM_NS_PID=$(hvsim_host --json fs | python3 -c 'import json, sys; print(json.load(sys.stdin)["world_pid"])')
	[ -n "$HVSIM_NS_PID" ] && [ "$HVSIM_NS_PID" -gt 0 ] || hv_fail "no world pid"
}

hvsim_fs_field() { # name field
	hvsim_host --json fs | python3 -c '
import json, sys
for f in json.load(sys.stdin)["filesystems"]:
    if f["name"] == sys.argv[1]:
        print(f[sys.argv[2]])
        break
else:
    sys.exit(1)' "$1" "$2"
}
hvsim_fs_path() { hvsim_fs_field "$1" outside; }
hvsim_fs_dev() { hvsim_fs_field "$1" device; }

hvsim_frozen() {
	python3 - "$1" <<'PY'
import errno, fcntl, os, sys
FIFREEZE, FITHAW = 0xC0045877, 0xC0045878
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
try:
    fcntl.ioctl(fd, FIFREEZE, 0)
except OSError as e:
    if e.errno != errno.EBUSY:
        raise
    print("frozen")
else:
    fcntl.ioctl(fd, FITHAW, 0)
    print("thawed")
PY
}

hvsim_vss_status() {
	local out rc=0
	out=$(hvsim_host vss "$@") || rc=$?
	echo "${out%% *}"
	return $rc
}
