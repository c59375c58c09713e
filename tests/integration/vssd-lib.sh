# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the hv-vssd tests (50-53), sourced after lib.sh and
# hvsim-lib.sh (not a test itself: the runner only runs [0-9]*.sh).  Every
# daemon runs in a VSS world with a root of its own (hvsim(1), VSS WORLDS):
# in a world sharing the machine's root it would freeze the machine.
#
#   vssd_need                    skip unless VSS worlds work and hv-vssd,
#                                hvctl are built
#   vssd_world_file FILE         the full world: ext4 "data" (with a bind),
#                                xfs "x", btrfs "b" (subvolume sub1, bound),
#                                read-only ext4 "ro", loop-backed ext4 "img"
#                                (its image on data)
#   vssd_world FILE [RUN-OPTION...]  hvsim_vss_world FILE with hv-vssd,
#                                hvctl and the reference daemon installed
#   world_root                   the world's root seen from outside
#                                (/proc/PID/root), to write its /etc and /run
#   vssd_start [ARG...]          start hv-vssd in the world (stderr to
#                                $T/vssd.log); waits for its registration;
#                                sets $VSSD_PID
#   vssd_stop                    SIGTERM it and wait; sets $VSSD_RC
#   ref_start / ref_stop         the same for /usr/sbin/hv_vss_daemon -n
#   hvctl_in ARG...              hvctl inside the world
#   vssd_json EXPR [ARG...]      hvctl vss status --json piped through a
#                                python expression over `d` (the document)
#   vssd_wait_state STATE        until `hvctl vss status` says STATE (the
#                                status file is written within a second)
#   frozen_of NAME...            "NAME=frozen|thawed" per file system, asked
#                                from outside with FIFREEZE (hvsim_frozen);
#                                never for a loop file system whose backing
#                                one may be frozen while it is not
#   writers_start NAME...        a dd ... conv=fsync into each file system
#                                from outside, in the background
#   writers_blocked              fail unless every writer is still running
#   writers_done [TIMEOUT]       fail unless every writer finished, with
#                                success, within TIMEOUT seconds (default 10)
#   wait_thawed MS PATH...       poll (FIFREEZE, EBUSY = frozen) until every
#                                PATH is thawed; prints the milliseconds it
#                                took, or fails after MS
#   world_clean_check            no zram or loop device of the world is left

VSSD=$HV_BUILDDIR/hv-vssd
REF_VSS=/usr/sbin/hv_vss_daemon

vssd_need() {
	hvsim_need_vss
	[ -x "$VSSD" ] || hv_skip "$VSSD not built"
	[ -x "$HVCTL" ] || hv_skip "$HVCTL not built"
}

vssd_world_file() { # copy of tests/fixtures/worlds/vss-mixed.ini, for tests that add to it
	cp "$HV_SRCDIR/tests/fixtures/worlds/vss-mixed.ini" "$1"
}

vssd_world() {
	local world=$1 extra=()
	shift
	[ -x "$REF_VSS" ] && extra=(--install "$REF_VSS")
	WORLD_LOOPS_BEFORE=$(losetup -a | grep -c "$T" || true)
	hvsim_vss_world "$world" --install "$VSSD" --install "$HVCTL" "${extra[@]}" "$@"
	WORLD_DEVS=$(hvsim_host --json fs | python3 -c '
import json, sys
print(" ".join(f["device"] for f in json.load(sys.stdin)["filesystems"]))')
}

vssd_start() {
	: >"$T/vssd.log"
	hvsim_bg_in "$VSSD" "$@" 2>>"$T/vssd.log"
	VSSD_PID=$HV_LAST_PID
	hvsim_host wait-registered vss --timeout 20 >/dev/null ||
		hv_fail "hv-vssd did not register: $(tail -5 "$T/vssd.log")"
}

vssd_stop() {
	VSSD_RC=0
	kill -TERM "$VSSD_PID" 2>/dev/null || true
	wait "$VSSD_PID" || VSSD_RC=$?
	hvsim_wait_field 10 vss open false || hv_fail "the VSS device was not released"
}

ref_start() {
	: >"$T/ref.log"
	hvsim_bg_in "$REF_VSS" -n 2>>"$T/ref.log"
	REF_PID=$HV_LAST_PID
	hvsim_host wait-registered vss --timeout 20 >/dev/null || hv_fail "hv_vss_daemon did not register"
}

ref_stop() {
	kill -TERM "$REF_PID" 2>/dev/null || true
	wait "$REF_PID" 2>/dev/null || true
	hvsim_wait_field 10 vss open false || hv_fail "the VSS device was not released"
}

hvctl_in() { hvsim_in "$HVCTL" "$@"; }
world_root() { echo "/proc/$HVSIM_NS_PID/root"; }

vssd_json() { # python-expression [args...]
	local expr=$1
	shift
	hvctl_in vss status --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
args = sys.argv[1:]
r = $expr
print(' '.join(map(str, r)) if isinstance(r, list) else r)" "$@"
}

vssd_state_is() { [ "$(vssd_json 'd.get("state")' 2>/dev/null)" = "$1" ]; }
vssd_wait_state() { hv_wait_for 5 vssd_state_is "$1" || hv_fail "hvctl vss status never said $1: $(hvctl_in vss status 2>&1)"; }

frozen_of() {
	local n out=""
	for n in "$@"; do out="$out $n=$(hvsim_frozen "$(hvsim_fs_path "$n")")"; done
	echo "${out# }"
}

# A process of ours still running (a zombie has finished).
running() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
not_running() { ! running "$1"; }

WRITERS=""
writers_start() {
	local n
	WRITERS=""
	for n in "$@"; do
		hv_bg dd if=/dev/zero of="$(hvsim_fs_path "$n")/outside-write" bs=4k count=4 conv=fsync status=none
		WRITERS="$WRITERS $n:$HV_LAST_PID"
	done
}

writers_blocked() {
	local w
	for w in $WRITERS; do
		running "${w#*:}" || hv_fail "a write into [filesystem ${w%%:*}] finished while it should be frozen"
	done
}

writers_done() {
	local w t=${1:-10}
	for w in $WRITERS; do
		hv_wait_for "$t" not_running "${w#*:}" ||
			hv_fail "a write into [filesystem ${w%%:*}] still blocks after the thaw"
		wait "${w#*:}" || hv_fail "a write into [filesystem ${w%%:*}] failed"
	done
	WRITERS=""
}

wait_thawed() { # ms path...
	python3 - "$@" <<'PY' || hv_fail "not thawed within $1 ms: $*"
import errno, fcntl, os, sys, time
FIFREEZE, FITHAW = 0xC0045877, 0xC0045878
limit, paths = int(sys.argv[1]) / 1000, sys.argv[2:]
fds = {p: os.open(p, os.O_RDONLY | os.O_DIRECTORY) for p in paths}
start = time.monotonic()
while fds:
    for p, fd in list(fds.items()):
        try:
            fcntl.ioctl(fd, FIFREEZE, 0)
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            continue
        fcntl.ioctl(fd, FITHAW, 0)  # ours: undone at once
        os.close(fd)
        del fds[p]
    if fds:
        if time.monotonic() - start > limit:
            sys.exit(1)
        time.sleep(0.01)
print(int((time.monotonic() - start) * 1000))
PY
}

world_clean_check() {
	local d
	for d in $WORLD_DEVS; do
		d=${d#/dev/}
		case $d in
		zram*) [ ! -e "/sys/block/$d" ] || hv_fail "/dev/$d is still there after the world ended" ;;
		loop*) ! grep -qs "$T" "/sys/block/$d/loop/backing_file" || hv_fail "/dev/$d is still attached" ;;
		esac
	done
	[ "$(losetup -a | grep -c "$T" || true)" = "$WORLD_LOOPS_BEFORE" ] || hv_fail "loop devices left: $(losetup -a)"
}
