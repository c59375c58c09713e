#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# VSS worlds (DESIGN.md §5, hvsim(1) VSS WORLDS):
#   - a world with a root of its own: a tmpfs with copies of the programs,
#     and test file systems on zram devices (ext4, xfs, btrfs with a
#     subvolume and binds, a read-only ext4) and a loop device (ext4, its
#     image on the ext4); its mount table holds these and hvsim's virtual
#     file systems, nothing of the machine; the programs run in it;
#   - hvsim refuses to send a FREEZE into a world sharing the machine's root;
#   - the reference hv_vss_daemon freezes the world's ext4, xfs and btrfs
#     (seen from outside: FIFREEZE there is EBUSY), skips the loop-backed and
#     the read-only one, and thaws; `vss backup` holds the freeze until told;
#   - when the world ends (its command killed with SIGKILL while the file
#     systems are frozen, hvsim stopped with SIGTERM, the command exiting)
#     every mount, loop and zram device it made is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need_vss
[ -x /usr/sbin/hv_vss_daemon ] || hv_skip "/usr/sbin/hv_vss_daemon missing (Debian package hyperv-daemons)"
hv_tmpdir

cp "$HV_SRCDIR/tests/fixtures/worlds/vss-mixed.ini" "$T/vss.ini"

# Devices of the running world, to check they are gone after it.
world_devs() {
	local n
	DEVS=""
	for n in data x b ro img; do DEVS="$DEVS $(hvsim_fs_dev $n)"; done
}

check_clean() { # what
	local d
	if grep -q "$T" /proc/self/mountinfo; then
		hv_fail "$1: mounts left on the machine: $(grep "$T" /proc/self/mountinfo)"
	fi
	for d in $DEVS; do
		d=${d#/dev/}
		case $d in
		zram*) [ ! -e "/sys/block/$d" ] || hv_fail "$1: /dev/$d is still there" ;;
		loop*) ! grep -qs "$T" "/sys/block/$d/loop/backing_file" || hv_fail "$1: /dev/$d is still attached" ;;
		esac
	done
	[ ! -e "$T/state/fs" ] && [ ! -e "$T/state/root" ] || hv_fail "$1: directories left in the state directory"
}

wait_hvsim() { # expected-exit-status what
	local rc=0
	wait "$HVSIM_PID" || rc=$?
	hv_assert_eq "$1" "$rc" "$2: hvsim's exit status"
}

# --- a world on the machine's root: no FREEZE -----------------------------------------
hvsim_start
for req in "freeze" "backup" "raw 5"; do
	rc=0; out=$(hvsim_host vss $req 2>&1) || rc=$?
	hv_assert_eq 3 "$rc" "vss $req refused in a world sharing the machine's root"
	hv_assert_contains "$out" "refusing" "vss $req refused: why"
done
hv_assert_contains "$out" "shares the machine's root" "vss raw 5 refused: why"
hv_assert_eq 1 "$(hvsim_field vss host_requests)" "nothing sent but the NEGOTIATE"
kill -TERM "$HVSIM_PID"
wait_hvsim 143 "default world"
hvsim_vss_status freeze >/dev/null 2>&1 && hv_fail "a world that ended still answers"

# --- the world with a root of its own -------------------------------------------------
hvsim_vss_world "$T/vss.ini" --install /usr/sbin/hv_vss_daemon
world_devs
data=$(hvsim_fs_dev data); x=$(hvsim_fs_dev x); b=$(hvsim_fs_dev b); ro=$(hvsim_fs_dev ro); img=$(hvsim_fs_dev img)
# mount point, type, source of every mount the world sees
got=$(hvsim_in cat /proc/self/mountinfo | awk '{ for (i = 7; $i != "-"; i++); print $5, $(i + 1), $(i + 2) }' | sort)
want=$(
	{
		echo "/ tmpfs tmpfs"
		echo "/proc proc proc"
		echo "/sys tmpfs tmpfs"
		for d in $DEVS; do echo "/sys/devices/virtual/block/${d#/dev/} sysfs sysfs"; done
		echo "/dev tmpfs tmpfs"
		echo "/dev/vmbus fuse.hvsim hvsim"
		echo "/srv/data ext4 $data"
		echo "/srv/data-bind ext4 $data"
		echo "/srv/xfs xfs $x"
		echo "/srv/btrfs btrfs $b"
		echo "/srv/sub1 btrfs $b"
		echo "/srv/ro ext4 $ro"
		echo "/srv/img ext4 $img"
	} | sort
)
hv_assert_eq "$want" "$got" "the world's mount table"
root_dev=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo)
hvsim_in cat /proc/self/mountinfo | awk '{ print $3 }' | grep -qx "$root_dev" &&
	hv_fail "the machine's root file system ($root_dev) is in the world"
hv_assert_eq "hi" "$(hvsim_in sh -c 'echo hi >/srv/data/probe && cat /srv/data-bind/probe')" "programs run in the world"
hv_assert_eq "hi" "$(cat "$(hvsim_fs_path data)/probe")" "the world's /srv/data is the ext4 outside"
hvsim_in ls /usr/sbin/hv_vss_daemon >/dev/null || hv_fail "hv_vss_daemon was not copied into the world"
[ -d "$(hvsim_fs_path b)/sub1" ] || hv_fail "no btrfs subvolume sub1"
[ -f "$(hvsim_fs_path data)/images/img.ext4" ] || hv_fail "the loop image is not on the ext4"
# What the daemons' loop detection reads (PROTOCOL.md §6.3).
major_minor() { printf '%d:%d' "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")"; }
hvsim_in ls -d "/sys/dev/block/$(major_minor "$img")/loop" >/dev/null || hv_fail "no loop directory for $img"
hvsim_in ls -d "/sys/dev/block/$(major_minor "$data")/loop" >/dev/null 2>&1 && hv_fail "a loop directory for $data"
hvsim_in ls "$img" >/dev/null || hv_fail "no $img node in the world"

# --- the reference daemon freezes and thaws ----------------------------------------------
hvsim_bg_in /usr/sbin/hv_vss_daemon -n
hvsim_host wait-registered vss --timeout 20 || hv_fail "hv_vss_daemon did not register"
hv_assert_eq HV_S_OK "$(hvsim_vss_status hot-backup)" "HOT_BACKUP"
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE"
for n in data x b; do
	hv_assert_eq frozen "$(hvsim_frozen "$(hvsim_fs_path $n)")" "[filesystem $n] frozen"
done
hv_assert_eq thawed "$(hvsim_frozen "$(hvsim_fs_path ro)")" "read-only [filesystem ro] skipped"
# The image's file system is frozen: FIFREEZE on the loop one would wait
# for it, so show it is not frozen by writing (without syncing).
hv_bg sh -c "echo x >'$(hvsim_fs_path img)/probe'"
writer=$HV_LAST_PID
hv_wait_for 10 test -s "$(hvsim_fs_path img)/probe" || hv_fail "[filesystem img] (loop) was frozen"
wait "$writer"
hv_assert_eq 1 "$(hvsim_host --json vss thaw | grep -c '"elapsed_us"')" "answers carry elapsed_us"
for n in data x b ro img; do
	hv_assert_eq thawed "$(hvsim_frozen "$(hvsim_fs_path $n)")" "[filesystem $n] thawed"
done

# A whole backup, held until we have looked: once the guest answered its
# HOT_BACKUP and FREEZE, the hold is on.
answers=$(hvsim_field vss host_answers)
hv_bg "$HVSIM" host --control "$T/ctl" vss backup --hold 30000 --hold-until-file "$T/go"
backup=$HV_LAST_PID
hvsim_wait_field 20 vss host_answers $((answers + 2)) || hv_fail "the backup's FREEZE was not answered"
hv_assert_eq frozen "$(hvsim_frozen "$(hvsim_fs_path data)")" "frozen during the backup's hold"
touch "$T/go"
wait "$backup" || hv_fail "vss backup failed"
hv_assert_eq thawed "$(hvsim_frozen "$(hvsim_fs_path data)")" "thawed after the backup"
out=$(hvsim_host vss backup)
hv_assert_eq "hot-backup freeze hold thaw bu-complete backup" "$(echo "$out" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')" \
	"the backup's steps"
hv_assert_contains "$out" "backup       HV_S_OK" "the backup's result"

# --- teardown: the command killed while frozen ---------------------------------------------
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE before the end"
kill -KILL "$HVSIM_NS_PID"
wait_hvsim 137 "command killed"
check_clean "after SIGKILL of the world's command"

# --- teardown: hvsim stopped with SIGTERM ---------------------------------------------------
rm -rf "$T/state"
hvsim_vss_world "$T/vss.ini" --install /usr/sbin/hv_vss_daemon
world_devs
kill -TERM "$HVSIM_PID"
wait_hvsim 143 "SIGTERM to hvsim"
check_clean "after SIGTERM to hvsim"

# --- teardown: the command exits ------------------------------------------------------------
rm -rf "$T/state"
rc=0
"$HVSIM" run --world "$T/vss.ini" --state "$T/state" -- sh -c 'ls /srv/data/images >/dev/null && exit 3' || rc=$?
hv_assert_eq 3 "$rc" "the command's exit status"
check_clean "after the command exited"
exit 0
