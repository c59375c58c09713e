#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-vssd freezes and thaws for real (issue 4), in a VSS world of its own
# (ext4 with a bind, xfs, btrfs with a bound subvolume, a read-only ext4, a
# loop-backed ext4 whose image is on the ext4):
#   - `hvctl vss plan --json`: the loop-backed ext4 before the ext4 holding
#     its image, one entry per file system (the bind and the subvolume are
#     "duplicate" with a reason), the read-only one skipped;
#   - FREEZE -> HV_S_OK; then, seen from outside, every planned file system
#     is frozen (a second FIFREEZE is EBUSY, a write blocks), the read-only
#     one is not; `hvctl vss status` says frozen, since when, by which
#     request, what; nothing reaches the daemon's log while frozen (a
#     HOT_BACKUP answered meanwhile is logged after the thaw);
#   - THAW -> HV_S_OK, the blocked writes finish, everything accepts
#     writes; `hvctl vss last --json` has the freeze and thaw of each file
#     system with times, thaws in reverse order;
#   - HOT_BACKUP is answered as hv-vssd(8) documents: status 0x00000002 and
#     flags 5 (VSS_HBU_NO_AUTO_RECOVERY); GET_DM_INFO, BU_COMPLETE and
#     AUTO_RECOVER are answered by the kernel (HV_S_OK, never forwarded);
#     a success HRESULT, so hvsim's host (like SUCCEEDED()) goes on with a
#     whole backup: hot-backup, freeze, thaw, bu-complete, all answered,
#     and nothing is left frozen;
#   - SIGTERM: exit 0; the world's devices are gone afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"
. "$(dirname "$0")/vssd-lib.sh"

vssd_need
hv_tmpdir
vssd_world_file "$T/world.ini"
vssd_world "$T/world.ini"
vssd_start --debug

# --- the plan -------------------------------------------------------------------------
plan=$(hvctl_in vss plan --json)
got=$(python3 -c '
import json, sys
p = json.load(sys.stdin)
by = {e["mountpoint"]: e for e in p}
order = [e["mountpoint"] for e in sorted((e for e in p if e["action"] == "freeze"), key=lambda e: e["order"])]
print(" ".join(order))
print(by["/srv/img"]["loop_backing_mount"], by["/srv/img"]["detail"])
for m in ("/srv/data-bind", "/srv/sub1", "/srv/ro"):
    print(m, by[m]["action"], by[m]["skip"], by[m]["detail"])' <<<"$plan")
want="/srv/xfs /srv/btrfs /srv/img /srv/data
/srv/data on $(hvsim_fs_dev img), backing file on /srv/data
/srv/data-bind skip duplicate bind mount of /srv/data (same file system $(hvsim_fs_field data mountinfo_devno))
/srv/sub1 skip duplicate bind mount of /srv/btrfs/sub1 (same file system $(hvsim_fs_field b mountinfo_devno))
/srv/ro skip read-only read-only file system"
hv_assert_eq "$want" "$got" "hvctl vss plan: order, loop before its backing file system, reasons"
hv_assert_eq idle "$(vssd_json 'd["state"]')" "idle before the freeze"

# --- FREEZE ---------------------------------------------------------------------------
t0=$(date +%s%6N)
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE"
t1=$(date +%s%6N)
log_size=$(stat -c %s "$T/vssd.log")
hv_assert_eq "data=frozen x=frozen b=frozen ro=thawed" "$(frozen_of data x b ro)" \
	"FIFREEZE from outside: EBUSY on every planned file system, not on the read-only one"
# A write into the loop file system (no fsync: that would block on its
# frozen backing file system anyway) blocks only if it is frozen itself;
# only then is a FIFREEZE on it safe to ask (else it would wait).
hv_bg sh -c "echo x >'$(hvsim_fs_path img)/probe'"
img_writer=$HV_LAST_PID
writers_start data x b
sleep 0.5
running "$img_writer" || hv_fail "a write into [filesystem img] (loop) went through: not frozen"
hv_assert_eq "img=frozen" "$(frozen_of img)" "FIFREEZE from outside on the loop file system"
writers_blocked
vssd_wait_state frozen
got=$(vssd_json '[d["request"], d["since"] >= int(args[0]) and d["since"] <= int(args[1]), " ".join(d["frozen"]), d["auto_thaw_at"] is not None]' "$t0" "$t1")
hv_assert_eq "freeze True /srv/xfs /srv/btrfs /srv/img /srv/data True" "$got" \
	"hvctl vss status: by the FREEZE, since between sending it and its answer, what, auto-thaw armed"
txt=$(hvctl_in vss status)
hv_assert_contains "$txt" "frozen since" "hvctl vss status text"
hv_assert_contains "$txt" "/srv/xfs /srv/btrfs /srv/img /srv/data" "hvctl vss status text: frozen list"

# Nothing is logged while frozen: a request answered now is logged after the thaw.
# hvsim exits 1 for any status but HV_S_OK.
out=$(hvsim_host --json vss hot-backup) || true
hv_assert_eq "2 5" "$(python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["status_code"], d["flags"])' <<<"$out")" \
	"HOT_BACKUP while frozen"
sleep 0.2
hv_assert_eq "$log_size" "$(stat -c %s "$T/vssd.log")" "the daemon's log does not grow while frozen"
grep -q "Froze" "$T/vssd.log" && hv_fail "the log says what was frozen before the thaw"

# --- THAW -----------------------------------------------------------------------------
hv_assert_eq HV_S_OK "$(hvsim_vss_status thaw)" "THAW"
writers_done
hv_wait_for 10 not_running "$img_writer" || hv_fail "the write into [filesystem img] still blocks"
hv_assert_eq "data=thawed x=thawed b=thawed ro=thawed img=thawed" "$(frozen_of data x b ro img)" "thawed"
for m in /srv/data /srv/data-bind /srv/xfs /srv/btrfs /srv/sub1 /srv/img; do
	hvsim_in sh -c "echo after >$m/after-thaw && sync" || hv_fail "no write into $m after the thaw"
done
grep -q "Froze 4 file system(s)" "$T/vssd.log" || hv_fail "the buffered log was not written after the thaw"
grep -q "HOT_BACKUP" "$T/vssd.log" || hv_fail "the HOT_BACKUP answered while frozen was not logged after the thaw"
vssd_wait_state idle

# The timeline of that backup.
last=$(hvctl_in vss last --json)
got=$(python3 -c '
import json, sys
t = json.load(sys.stdin)
t = t.get("last", t)
ev = t["events"]
fr = [e for e in ev if e["event"] == "freeze"]
th = [e for e in ev if e["event"] == "thaw"]
print(t["request"], t["outcome"], t["frozen_usec"] > 0)
print(" ".join(e["target"] for e in fr), "|", " ".join(e["target"] for e in th))
print(all(e["result"] == "ok" and e["time"] > 0 and e["duration_usec"] is not None for e in fr + th))
# every thaw after every freeze, and after the answer to the FREEZE
last_freeze = max(e["offset_usec"] for e in fr)
print(min(e["offset_usec"] for e in th) > last_freeze)
print(" ".join("%s:%s" % (e["target"], e["result"]) for e in ev if e["event"] == "answer"))' <<<"$last") ||
	hv_fail "hvctl vss last --json: $last"
want="freeze thawed True
/srv/xfs /srv/btrfs /srv/img /srv/data | /srv/data /srv/img /srv/btrfs /srv/xfs
True
True
freeze:HV_S_OK hot-backup:no-auto-recovery thaw:HV_S_OK"
hv_assert_eq "$want" "$got" "hvctl vss last: the freeze and thaw of each file system"

# --- the other requests -----------------------------------------------------------------
to_daemon=$(hvsim_field vss to_daemon)
out=$(hvsim_host vss hot-backup) || true
hv_assert_contains "$out" "0x00000002 (0x00000002), flags 5" "HOT_BACKUP: status 2 and VSS_HBU_NO_AUTO_RECOVERY"
for op in get-dm-info bu-complete auto-recover; do
	hv_assert_eq HV_S_OK "$(hvsim_vss_status $op)" "$op"
done
hv_assert_eq $((to_daemon + 1)) "$(hvsim_field vss to_daemon)" "only the HOT_BACKUP reached the daemon"

# A whole backup as hvsim's host plays it: the HOT_BACKUP answer (a success
# HRESULT with the flag) lets it go on to FREEZE, THAW and BU_COMPLETE.
rc=0
out=$(hvsim_host vss backup --hold 100) || rc=$?
hv_assert_eq "hot-backup freeze hold thaw bu-complete backup" "$(awk '{ print $1 }' <<<"$out" | tr '\n' ' ' | sed 's/ $//')" \
	"vss backup plays every step"
hv_assert_eq "0" "$rc" "vss backup exit status"
hv_assert_eq "data=thawed x=thawed b=thawed" "$(frozen_of data x b)" "nothing left frozen by the backup"

# --- the end ------------------------------------------------------------------------------
vssd_stop
hv_assert_eq 0 "$VSSD_RC" "hv-vssd's exit status after SIGTERM"
kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID" || true
world_clean_check
exit 0
