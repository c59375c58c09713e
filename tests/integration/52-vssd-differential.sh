#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Differential (issue 4, DESIGN.md §6): the same host scenario against
# hv-vssd and Debian's hv_vss_daemon -n in turn, in one VSS world (ext4
# with a bind, xfs, btrfs with a bound subvolume, a read-only ext4, a
# loop-backed ext4 with its image on the ext4): FREEZE, which file systems
# are frozen (seen from outside), THAW, thawed again, a THAW with nothing
# frozen, HOT_BACKUP, GET_DM_INFO and an unknown operation (vss raw 99).
# Both must freeze the same set for the default policy and give the same
# answers, except for these, which the test names in its output:
#   - the loop-backed file system: the reference skips loop devices
#     (PROTOCOL.md §6.3); hv-vssd freezes it, before the file system that
#     holds its image (hv-vssd(8), FREEZE PLAN);
#   - the HOT_BACKUP answer: the reference answers HV_S_OK, which clobbers
#     the operation byte and so the kernel never passes the host the
#     no-auto-recovery flag (PROTOCOL.md §11 item 13); hv-vssd keeps the
#     byte: status 0x00000002, flags 5.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"
. "$(dirname "$0")/vssd-lib.sh"

vssd_need
[ -x "$REF_VSS" ] || hv_skip "$REF_VSS missing (Debian package hyperv-daemons)"
hv_tmpdir
vssd_world_file "$T/world.ini"
vssd_world "$T/world.ini"
IMG=$(hvsim_fs_path img)

answer() { # vss-args...: "STATUS flags N" of the answer
	hvsim_host --json vss "$@" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%s flags %d" % (d["status"], d["flags"]))' || true
}

# Whether the loop file system is frozen, without a FIFREEZE that would wait
# on its frozen backing file system: a write without fsync goes through
# unless it is frozen itself.
img_state() {
	local pid
	# Not on our standard output: $(img_state) would wait for it.
	hv_bg sh -c "echo x >'$IMG/probe-$1'" >/dev/null 2>&1
	pid=$HV_LAST_PID
	if hv_wait_for 1 not_running "$pid"; then
		wait "$pid" || hv_fail "a write into [filesystem img] failed"
		echo thawed
	else
		# It blocks: only a frozen img does that, and then FIFREEZE is
		# answered EBUSY at once.
		hvsim_frozen "$IMG"
		FROZEN_WRITERS="$FROZEN_WRITERS $pid"
	fi
}

scenario() { # daemon
	local who=$1
	FROZEN_WRITERS=""
	echo "freeze: $(answer freeze)"
	echo "frozen: $(frozen_of data x b ro) img=$(img_state "$who")"
	echo "thaw: $(answer thaw)"
	for p in $FROZEN_WRITERS; do
		hv_wait_for 10 not_running "$p" || hv_fail "$who: a write into [filesystem img] still blocks after the thaw"
	done
	echo "after-thaw: $(frozen_of data x b ro img)"
	echo "thaw-again: $(answer thaw)"
	echo "hot-backup: $(answer hot-backup)"
	echo "get-dm-info: $(answer get-dm-info)"
	echo "raw-99: $(answer raw 99)"
}

vssd_start
ours=$(scenario ours)
vssd_stop
hv_assert_eq 0 "$VSSD_RC" "hv-vssd's exit status"
ref_start
ref=$(scenario ref)
ref_stop

hv_note "hv-vssd:"
sed 's/^/#   /' <<<"$ours" >&2
hv_note "hv_vss_daemon:"
sed 's/^/#   /' <<<"$ref" >&2

# The differences the test expects, each named; everything else must match.
want_ours_frozen="frozen: data=frozen x=frozen b=frozen ro=thawed img=frozen"
want_ref_frozen="frozen: data=frozen x=frozen b=frozen ro=thawed img=thawed"
hv_assert_eq "$want_ours_frozen" "$(grep '^frozen:' <<<"$ours")" "hv-vssd's frozen set"
hv_assert_eq "$want_ref_frozen" "$(grep '^frozen:' <<<"$ref")" "hv_vss_daemon's frozen set"
hv_note "difference 1: [filesystem img] (loop-backed) is frozen by hv-vssd, skipped by hv_vss_daemon (PROTOCOL.md §6.3: the reference skips loop devices)"
hv_assert_eq "hot-backup: 0x00000002 flags 5" "$(grep '^hot-backup:' <<<"$ours")" "hv-vssd's HOT_BACKUP answer"
hv_assert_eq "hot-backup: HV_S_OK flags 0" "$(grep '^hot-backup:' <<<"$ref")" "hv_vss_daemon's HOT_BACKUP answer"
hv_note "difference 2: HOT_BACKUP: hv-vssd 0x00000002 with flags 5 (VSS_HBU_NO_AUTO_RECOVERY), hv_vss_daemon HV_S_OK with flags 0 (PROTOCOL.md §11 item 13)"

same() { grep -v -e '^frozen:' -e '^hot-backup:' <<<"$1"; }
hv_assert_eq "$(same "$ref")" "$(same "$ours")" "every other answer and state the same as hv_vss_daemon's"
hv_assert_eq "freeze: HV_S_OK flags 0" "$(grep '^freeze:' <<<"$ours")" "FREEZE answered HV_S_OK"
hv_assert_eq "after-thaw: data=thawed x=thawed b=thawed ro=thawed img=thawed" "$(grep '^after-thaw:' <<<"$ours")" "all thawed"

kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID" || true
world_clean_check
exit 0
