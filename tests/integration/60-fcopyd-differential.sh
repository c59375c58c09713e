#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-fcopyd against Debian's hv_fcopy_daemon on the legacy char device
# (/dev/vmbus/hv_fcopy, PROTOCOL.md §7.2), differentially: one world, the
# same host scenario played against each daemon in turn, every answer and
# every resulting file compared.  The matrix:
#   - a new file; an existing one without OVER_WRITE (refused, untouched)
#     and with it (replaced); CREATE_PATH off (refused, nothing made) and
#     on (the directories made); a copy cancelled mid-way, new and over an
#     existing file; disk full on a 1 MiB tmpfs; a non-ASCII name (with a
#     character outside the BMP); OVER_WRITE onto a symlink, and a
#     dangling symlink as the target; a big file (HV_FCOPY_BIG, default
#     1G, random, compared by sha256);
#   - where the two differ on purpose, the difference is named (printed
#     with both sides) and the reference's side checked too (§7.2, §11):
#       mode            the reference creates 0744, hv-fcopyd the
#                       configured file-mode (0644 here);
#       cancel          CANCEL after OVER_WRITE: the reference unlinks the
#                       target it truncated at START (the old file is
#                       destroyed), hv-fcopyd keeps it;
#       create path     the reference does not create the last directory
#                       when the host's path does not end in '/';
#       disk full       hv-fcopyd refuses at START what cannot fit (it
#                       reserves the announced size); the reference writes
#                       until the disk is full, answers HV_E_FAIL for the
#                       short write, keeps the partial file and never
#                       closes its descriptor (deleting the file frees
#                       nothing: the next copy fails too); with no size
#                       announced hv-fcopyd fails at a WRITE and removes
#                       its temporary file;
#       symlinks        the reference follows the target if it is a
#                       symlink (writing through it, creating a dangling
#                       link's target anywhere); hv-fcopyd replaces a link
#                       with OVER_WRITE and treats one as an existing file
#                       without it;
#     anything else the two disagree on fails the test.
# Runs in a private mount namespace of its own (the tmpfs).  The matrix is
# tests/integration/fcopy-lib.sh.  HV_FCOPY_BIG=SIZE changes the big file
# (1G takes about 20-30 s per daemon with a sanitizer build);
# HV_FCOPY_DUMP=1 prints every result of both daemons.
# Then hv-fcopyd alone: how it waits for the device's messages (no poll per
# message), a copy open across SIGHUP and SIGTERM, and the device rescinded
# mid-copy and offered again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"
. "$(dirname "$0")/fcopy-lib.sh"

hvsim_need
FCOPYD=$HV_BUILDDIR/hv-fcopyd
REF=/usr/sbin/hv_fcopy_daemon
[ -x "$FCOPYD" ] || hv_skip "$FCOPYD not built"
[ -x "$REF" ] || hv_skip "$REF missing (Debian package hyperv-daemons)"
if [ -z "${HV_IN_MNTNS:-}" ]; then
	unshare -m true 2>/dev/null || hv_skip "cannot make a mount namespace"
	HV_IN_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
hv_tmpdir
trap 'umount "$T"/*/full 2>/dev/null || true; hv_cleanup' EXIT

fcopy_sources 1G
# The small file systems for disk full, one per daemon, mounted before the
# world is made (it gets a copy of this namespace's mounts).
fcopy_mount_full ours
fcopy_mount_full ref
printf '[fcopy]\nfile-mode = 0644\n' >"$T/hvutils.conf"
# A short kernel timeout: a daemon that never answers fails quickly.
printf '[world]\nname = fcopy-differential\nbase = default\n[kernel]\nfcopy_timeout = 5\n' >"$T/world.ini"
hvsim_start --world "$T/world.ini"

declare -A OURS=() REFS=()

run_daemon() { # name array command...
	local name=$1 pid polls0 msgs0
	declare -n R=$2
	shift 2
	polls0=$(hvsim_field fcopy polls)
	msgs0=$(hvsim_field fcopy to_daemon)
	hvsim_bg_in "$@"
	pid=$HV_LAST_PID
	hvsim_host wait-registered fcopy --timeout 20 || hv_fail "$name did not register"
	fcopy_scenario "$name"
	# How it waited: poll() calls on the device (each a FUSE round trip
	# under hvsim) against the messages it read.
	R[polls]=$(($(hvsim_field fcopy polls) - polls0))
	R[messages]=$(($(hvsim_field fcopy to_daemon) - msgs0))
	# Files of the scenario the daemon still holds open.
	R[open-files]=$(find "/proc/$pid/fd" -lname "$T/$name/*" 2>/dev/null | wc -l)
	kill "$pid" 2>/dev/null || hv_fail "$name died during the scenario"
	wait "$pid" 2>/dev/null || true
	hvsim_wait_field 10 fcopy open false || hv_fail "$name did not release the device"
	hv_note "$name: the $BIG copy took ${R[big.seconds]} s"
}

run_daemon ours OURS "$FCOPYD" --config "$T/hvutils.conf"
run_daemon ref REFS "$REF" -n
hv_note "poll() calls per message read: hv-fcopyd ${OURS[polls]} for ${OURS[messages]}, the reference ${REFS[polls]} for ${REFS[messages]}"
# hv-fcopyd's reader thread waits in read(), as the device is made for: no
# poll per message (on the loop it was one or two per message).
[ "${OURS[messages]}" -gt 100 ] || hv_fail "the scenario made only ${OURS[messages]} messages"
[ $((OURS[polls] * 100)) -lt "${OURS[messages]}" ] ||
	hv_fail "hv-fcopyd polled ${OURS[polls]} times for ${OURS[messages]} messages"

# --- hv-fcopyd with a copy open: while the host streams a copy it waits for
# the next request in read() on its reader thread (daemon-chardev.h); it still
# keeps its status file current while the host is silent, reloads on
# SIGHUP (the copy goes on) and stops at once on SIGTERM -------------------
status_field() { # key [subkey]: from hv-fcopyd's status file in the world
	hvsim_in cat /run/hvutils/hv-fcopyd.json 2>/dev/null | python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = (v or {}).get(k)
print(v)' "$@"
}
status_is() { # value key [subkey]
	local want=$1
	shift
	[ "$(status_field "$@")" = "$want" ]
}
D=$T/ours/d
open_held_copy() { # what: hv-fcopyd started again (PID), a copy over D/held open, 4 bytes written
	cp "$T/old" "$D/held"
	hvsim_bg_in "$FCOPYD" --config "$T/hvutils.conf"
	PID=$HV_LAST_PID
	hvsim_host wait-registered fcopy --timeout 20 || hv_fail "$1: hv-fcopyd did not register again"
	hv_assert_eq HV_S_OK "$(hvsim_host fcopy start --flags 1 --size 12 "$D" held)" "$1: START"
	hv_assert_eq HV_S_OK "$(hvsim_host fcopy write --offset 0 "new ")" "$1: WRITE"
}
open_held_copy "open copy"
hv_wait_for 5 status_is 4 current bytes || hv_fail "the status file does not show the open copy"
kill -HUP "$PID"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy write --offset 4 "contents")" "open copy: WRITE after SIGHUP"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy complete)" "open copy: COMPLETE after SIGHUP"
# (The status file is rewritten when a request touches it.)
hv_wait_for 5 status_is 1 reloads || hv_fail "SIGHUP during a copy: no reload ($(status_field reloads))"
hv_assert_eq "new contents" "$(cat "$D/held")" "the copy that went on through the reload"
cp "$T/old" "$D/held"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy start --flags 1 --size 12 "$D" held)" "second open copy: START"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy write --offset 0 "new ")" "second open copy: WRITE"
t0=${EPOCHREALTIME/./}
kill -TERM "$PID"
rc=0; wait "$PID" || rc=$?
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
hv_assert_eq 0 "$rc" "SIGTERM during a copy: exit status"
[ "$ms" -lt 1000 ] || hv_fail "SIGTERM during a copy: hv-fcopyd took $ms ms to exit"
hv_assert_eq 0 "$(find "$D" -name '.*.hvfcopy-*' | wc -l)" "SIGTERM during a copy: the temporary file is removed"
hv_assert_eq "$(cat "$T/old")" "$(cat "$D/held")" "SIGTERM during a copy: the old target is untouched"

# --- the device rescinded while a copy is open and offered again: the
# reader ends (EBADF, then ENOENT on reopen), the copy is given up, the loop
# waits for the node and starts a new reader once it is back -------------
no_temps() { [ "$(find "$D" -name '.*.hvfcopy-*' | wc -l)" = 0 ]; }
open_held_copy rescind
hv_assert_eq "fcopy rescinded: gone" "$(hvsim_host rescind fcopy)" "rescind of the char device"
hvsim_wait_field 10 fcopy open false || hv_fail "rescind: hv-fcopyd still holds the device"
hv_wait_for 10 no_temps || hv_fail "rescind: the temporary file is still there"
hv_assert_eq "$(cat "$T/old")" "$(cat "$D/held")" "rescind: the old target is untouched"
kill -0 "$PID" 2>/dev/null || hv_fail "hv-fcopyd exited at the rescind"
hv_assert_eq "fcopy offered: /dev/vmbus/hv_fcopy" "$(hvsim_host offer fcopy)" "re-offer of the char device"
hvsim_host wait-registered fcopy --timeout 10 || hv_fail "hv-fcopyd did not register again after the re-offer"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy start --flags 1 --size 12 "$D" held)" "after the re-offer: START"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy write --offset 0 "new contents")" "after the re-offer: WRITE"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy complete)" "after the re-offer: COMPLETE"
hv_assert_eq "new contents" "$(cat "$D/held")" "the copy after the re-offer"
kill -TERM "$PID"
rc=0; wait "$PID" || rc=$?
hv_assert_eq 0 "$rc" "hv-fcopyd's exit status after the re-offer"

if [ -n "${HV_FCOPY_DUMP:-}" ]; then
	for key in $(printf '%s\n' "${!OURS[@]}" "${!REFS[@]}" | sort -u); do
		printf '%s\n  ours: %s\n  ref:  %s\n' "$key" "${OURS[$key]-unset}" "${REFS[$key]-unset}"
	done
fi

# --- hv-fcopyd's answers, as they must be ------------------------------------------------------
fcopy_check_ours OURS hv-fcopyd # sets OK3, OK3B

# --- the reference: the same, or a named difference ----------------------------------------------
# key -> what the reference must show (PARTIAL: any non-empty file; FULL:
# the tmpfs nearly full) | why.  A key's .mode goes with it.
declare -A NAMED=(
	[cancel-overwrite.file]="absent|CANCEL after OVER_WRITE: the reference unlinks the target it truncated at START, the old file is destroyed; hv-fcopyd keeps it (§7.2)"
	[diskfull]="DISKFULL_REF|disk full: hv-fcopyd reserves the size START announces and refuses a file that cannot fit at once, HV_ERROR_DISK_FULL; the reference writes until the disk is full and then answers HV_E_FAIL: the pwrite that fills it is short, which sets no errno, and it maps a stale one (a pwrite that writes nothing gets its HV_ERROR_DISK_FULL, as the next step shows) (§7.1)"
	[diskfull.file]="PARTIAL|disk full: the reference leaves the partial file; hv-fcopyd never made one"
	[diskfull.used]="FULL|disk full: the reference's partial file keeps the file system full"
	[diskfull-unannounced.file]="file 0 bytes e3b0c44298fc1c14|disk full, no size announced: the reference fails at the first WRITE and leaves an empty file: it still holds the partial file of the copy before open (it never closes a failed copy's descriptor), so deleting that file freed no space; hv-fcopyd leaves nothing"
	[open-files]="NONZERO|the reference never closes the descriptor of a copy that failed (disk full here): each one leaks, with its (deleted) file's space; hv-fcopyd holds no file of the destinations between copies"
	[diskfull-unannounced.used]="FULL|(the same: the file system stays full)"
	[createpath]="start: HV_E_FAIL;rc=1|CREATE_PATH with a directory not ending in '/': the reference creates only the components followed by a '/', the last one not, and fails"
	[createpath.file]="absent|(the same: no file)"
	[createpath.subdir]="absent|(the same: the last directory is not made)"
	[symlink-overwrite.link]="symlink -> linked|OVER_WRITE onto a symlink: the reference writes through it (§11.17); hv-fcopyd replaces the link"
	[symlink-overwrite.linked]="$(fcopy_sum "$T/b")|(the same: the link's target is overwritten by the reference)"
	[symlink-dangling]="$OK3B|a dangling symlink as the target: the reference follows it and creates its target wherever it points (§11.17); hv-fcopyd: the name exists"
	[symlink-dangling.outside]="$(fcopy_sum "$T/b")|(the same: the file the reference created outside the destination)"
)
named=0 modes=""
report() { # key why ours ref
	echo "named difference: $1: $2"
	echo "    hv-fcopyd: $3"
	echo "    reference: $4"
	named=$((named + 1))
}
for key in $(printf '%s\n' "${!OURS[@]}" "${!REFS[@]}" | sort -u); do
	case $key in big.seconds | polls | messages) continue ;; esac
	o=${OURS[$key]-unset} r=${REFS[$key]-unset}
	[ "$o" = "$r" ] && continue
	# Paths that name the daemon are the same place.
	[ "${o//$T\/ours/X}" = "${r//$T\/ref/X}" ] && continue
	if [ -n "${NAMED[$key]+set}" ]; then
		expect_ref=${NAMED[$key]%%|*} why=${NAMED[$key]#*|}
		case $expect_ref in
		PARTIAL) case $r in "file 0 bytes"*) ok=0 ;; "file "*) ok=1 ;; *) ok=0 ;; esac ;;
		DISKFULL_REF) case $r in "start: HV_S_OK;write x"*": HV_S_OK;write: HV_E_FAIL;rc=1") ok=1 ;; *) ok=0 ;; esac ;;
		FULL) [ "$r" -gt 900 ] && ok=1 || ok=0 ;;
		NONZERO) [ "$r" -gt 0 ] && ok=1 || ok=0 ;;
		*) [ "$r" = "$expect_ref" ] && ok=1 || ok=0 ;;
		esac
		[ $ok = 1 ] || hv_fail "$key: the reference has '$r', the named difference expects '$expect_ref' (hv-fcopyd: '$o')"
		report "$key" "$why" "$o" "$r"
	elif [ "${key%.mode}" != "$key" ] && [ -n "${NAMED[${key%.mode}]+set}" ]; then
		: # the mode of a file that is there on one side only
	elif [ "${key%.mode}" != "$key" ] && [ "$o" = 644 ] && [ "$r" = 744 ]; then
		modes="$modes ${key%.mode}"
	else
		printf 'FAIL: %s: %s differs\n  hv-fcopyd: %s\n  reference: %s\n' "$HV_TEST_NAME" "$key" "$o" "$r" >&2
		exit 1
	fi
done
[ -z "$modes" ] || report "mode" "the reference creates files 0744, hv-fcopyd with file-mode (0644 here):$modes" 644 744
hv_note "$named named differences, everything else the same"
exit 0
