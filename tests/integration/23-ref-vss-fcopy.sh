#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fidelity of VSS and file copy with the reference hv_vss_daemon and
# hv_fcopy_daemon (PROTOCOL.md §6, §7.2):
#   - VSS: THAW and HOT_BACKUP reach the daemon and come back HV_S_OK,
#     GET_DM_INFO is answered by the kernel; without a daemon THAW fails
#     at once (HV_E_FAIL).  FREEZE is not sent: the daemon would freeze the
#     machine's own root file system, and hvsim refuses to (exit 3).
#   - fcopy: a file of several 6144-byte fragments arrives intact; an
#     existing target is HV_ERROR_ALREADY_EXISTS unless OVER_WRITE; a
#     missing directory is HV_E_FAIL unless CREATE_PATH; the daemon gone,
#     a copy fails with HV_E_FAIL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
for d in hv_vss_daemon hv_fcopy_daemon; do
	[ -x /usr/sbin/$d ] || hv_skip "/usr/sbin/$d missing (Debian package hyperv-daemons)"
done
hv_tmpdir
hvsim_start

# --- VSS ---------------------------------------------------------------------------------
rc=0; out=$(hvsim_vss_status thaw) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$out $rc" "THAW without a daemon"
hv_assert_eq 1 "$(hvsim_field vss no_daemon_failures)" "failed as 'userspace is not registered yet'"
hv_assert_eq HV_S_OK "$(hvsim_vss_status get-dm-info)" "GET_DM_INFO without a daemon (the kernel answers)"
# hv_snapshot.c's poll wrapper marks the service READY after any request
# the kernel answers itself, daemon or not; a THAW then fails when it
# cannot be handed over instead.
hv_assert_eq READY "$(hvsim_field vss state)" "READY without a daemon after GET_DM_INFO"
rc=0; out=$(hvsim_vss_status thaw) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$out $rc" "THAW without a daemon, service READY"
hv_assert_eq 1 "$(hvsim_field vss send_failures)" "failed as 'cannot send to the daemon'"

hvsim_bg_in /usr/sbin/hv_vss_daemon -n
vss=$HV_LAST_PID
hvsim_host wait-registered vss --timeout 20 || hv_fail "hv_vss_daemon did not register"
hv_assert_eq HV_S_OK "$(hvsim_vss_status hot-backup)" "HOT_BACKUP"
hv_assert_eq HV_S_OK "$(hvsim_vss_status thaw)" "THAW (nothing frozen: EINVAL from FITHAW is success)"
hv_assert_eq HV_S_OK "$(hvsim_vss_status get-dm-info)" "GET_DM_INFO"
hv_assert_eq 3 "$(hvsim_field vss to_daemon)" "the daemon read the registration answer, HOT_BACKUP, THAW"
rc=0; out=$(hvsim_host vss freeze 2>&1) || rc=$?
hv_assert_eq 3 "$rc" "FREEZE refused"
hv_assert_contains "$out" "refusing" "FREEZE refused: why"
hv_assert_eq 3 "$(hvsim_field vss to_daemon)" "FREEZE never reached the daemon"

# --- fcopy -----------------------------------------------------------------------------------
hvsim_bg_in /usr/sbin/hv_fcopy_daemon -n
fcopy=$HV_LAST_PID
hvsim_host wait-registered fcopy --timeout 20 || hv_fail "hv_fcopy_daemon did not register"
mkdir "$T/dest"
head -c 20000 /dev/urandom >"$T/blob"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy copy "$T/blob" "$T/dest")" "copy of 4 fragments"
cmp "$T/blob" "$T/dest/blob" || hv_fail "the copy differs"
hv_assert_eq 7 "$(hvsim_field fcopy to_daemon)" "handshake answer, START, 4 x WRITE, COMPLETE"
rc=0; out=$(hvsim_host fcopy copy "$T/blob" "$T/dest" 2>/dev/null) || rc=$?
hv_assert_eq "HV_ERROR_ALREADY_EXISTS 1" "$out $rc" "existing target without OVER_WRITE"
echo new >"$T/small"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy copy --overwrite "$T/small" "$T/dest" blob)" "OVER_WRITE"
hv_assert_eq new "$(cat "$T/dest/blob")" "overwritten"
rc=0; out=$(hvsim_host fcopy copy "$T/small" "$T/dest/a/b/" 2>/dev/null) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$out $rc" "missing directory without CREATE_PATH"
hv_assert_eq HV_S_OK "$(hvsim_host fcopy copy --create-path "$T/small" "$T/dest/a/b/")" "CREATE_PATH"
hv_assert_eq new "$(cat "$T/dest/a/b/small")" "copied into the created path"

kill -KILL "$fcopy"
hvsim_wait_field 10 fcopy open false || hv_fail "the device was not released"
rc=0; out=$(hvsim_host fcopy copy "$T/small" "$T/dest" other 2>/dev/null) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$out $rc" "no daemon: HV_E_FAIL at once"
[ ! -e "$T/dest/other" ] || hv_fail "a file appeared without a daemon"
exit 0
