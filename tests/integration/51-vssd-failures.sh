#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-vssd when things go wrong (issue 4): each case ends with every file
# system thawed and the right answer to the host.  A VSS world with two
# ext4 file systems, a (planned first) and b, and two hooks in
# /etc/hvutils/vss-hooks.d (10-note writes into /srv/a, 20-gate fails a
# freeze on request; a non-executable file and a backup file are not hooks):
#   - THAW with nothing frozen: HV_S_OK, no hook runs;
#   - hooks: freeze in name order before the freeze (the file system is
#     still writable then), thaw in reverse order after the thaw; a FREEZE
#     while frozen: HV_S_OK, still frozen, no hook runs again;
#   - a failing freeze hook: HV_E_FAIL, nothing frozen, freeze-fail to the
#     hooks that ran, in reverse;
#   - SIGKILL of hv-vssd while frozen: its guardian thaws within a second;
#   - SIGTERM to hv-vssd and its guardian together (systemctl stop) while
#     frozen: thawed, thaw hooks run, exit 0;
#   - [vss] auto-thaw-timeout = 2 in the world's /etc/hvutils/hvutils.conf
#     (read again on SIGHUP): thawed about 2 s after the freeze, the thaw
#     hooks run, the host's late THAW is HV_E_FAIL, the next one HV_S_OK;
#   - b refuses to freeze (shut down from outside with EXT4_IOC_SHUTDOWN,
#     after which FIFREEZE fails with EIO): HV_E_FAIL, a (frozen first) is
#     thawed again, the timeline says why, freeze-fail hooks run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"
. "$(dirname "$0")/vssd-lib.sh"

vssd_need
hv_tmpdir
cat >"$T/world.ini" <<'EOF'
[world]
name = vssd-failures
base = default
[root]
own = yes
[filesystem a]
type = ext4
size = 32M
mountpoint = /srv/a
[filesystem b]
type = ext4
size = 32M
mountpoint = /srv/b
EOF
vssd_world "$T/world.ini"
A=$(hvsim_fs_path a)
B=$(hvsim_fs_path b)
R=$(world_root)

# The hooks, written into the world's root from outside.
H=$R/etc/hvutils/vss-hooks.d
mkdir "$H"
cat >"$H/10-note" <<'EOF'
#!/bin/sh
echo "10-note $*" >>/run/hooks.log
echo "$1" >"/srv/a/hook-$1" || echo "10-note cannot write /srv/a" >>/run/hooks.log
EOF
cat >"$H/20-gate" <<'EOF'
#!/bin/sh
echo "20-gate $*" >>/run/hooks.log
if [ "$1" = freeze ] && [ -e /run/fail-freeze ]; then
	echo "refusing the freeze" >&2
	exit 3
fi
exit 0
EOF
printf '#!/bin/sh\necho "30-off $*" >>/run/hooks.log\n' >"$H/30-off"
printf '#!/bin/sh\necho "40-old~ $*" >>/run/hooks.log\n' >"$H/40-old~"
chmod 755 "$H/10-note" "$H/20-gate" "$H/40-old~"
chmod 644 "$H/30-off"

hooks_log() { cat "$R/run/hooks.log" 2>/dev/null | tr '\n' ';'; }
hooks_reset() { : >"$R/run/hooks.log"; }
hooks_wait() { # expected
	hv_wait_for 10 test "$(hooks_log)" = "$1" || hv_assert_eq "$1" "$(hooks_log)" "hooks run"
}
last_json() { # python expression over t, the last timeline
	hvsim_in cat /run/hvutils/hv-vssd.json | python3 -c "
import json, sys
t = json.load(sys.stdin)['vss']['last']
print($1)"
}
# The status file is written within a second of a change: wait for it.
last_is() { [ "$(last_json "$2" 2>/dev/null)" = "$1" ]; }
last_expect() { # expected python-expression what
	hv_wait_for 5 last_is "$1" "$2" || hv_assert_eq "$1" "$(last_json "$2")" "$3"
}
status_file_says() { # python expression over v, the vss object
	[ "$(hvsim_in cat /run/hvutils/hv-vssd.json | python3 -c "
import json, sys
v = json.load(sys.stdin)['vss']
print($1)")" = True ]
}

vssd_start --debug

# --- THAW with nothing frozen ------------------------------------------------------------
hooks_reset
hv_assert_eq HV_S_OK "$(hvsim_vss_status thaw)" "THAW with nothing frozen"
hv_assert_eq "a=thawed b=thawed" "$(frozen_of a b)" "nothing frozen by a THAW"

# --- hooks, FREEZE while frozen ----------------------------------------------------------------
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE"
hv_assert_eq "a=frozen b=frozen" "$(frozen_of a b)" "frozen"
hooks_wait "10-note freeze;20-gate freeze;"
[ "$(cat "$A/hook-freeze")" = freeze ] || hv_fail "the freeze hook could not write before the freeze"
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE while frozen"
hv_assert_eq "a=frozen b=frozen" "$(frozen_of a b)" "still frozen after the second FREEZE"
hv_assert_eq "10-note freeze;20-gate freeze;" "$(hooks_log)" "no hook runs for the second FREEZE"
hv_assert_eq HV_S_OK "$(hvsim_vss_status thaw)" "THAW"
hv_assert_eq "a=thawed b=thawed" "$(frozen_of a b)" "thawed"
hooks_wait "10-note freeze;20-gate freeze;20-gate thaw;10-note thaw;"
[ "$(cat "$A/hook-thaw")" = thaw ] || hv_fail "the thaw hook could not write after the thaw"
last_expect "[['request', 'freeze', None], ['request', 'freeze', 'already-frozen'], ['request', 'thaw', None]]" \
	'[[e["event"], e["target"], e["result"]] for e in t["events"] if e["event"] == "request"]' \
	"the timeline: the second FREEZE kept the freeze in place"

# --- a failing freeze hook ------------------------------------------------------------------
hooks_reset
touch "$R/run/fail-freeze"
hv_assert_eq HV_E_FAIL "$(hvsim_vss_status freeze)" "FREEZE with a failing hook"
hv_assert_eq "a=thawed b=thawed" "$(frozen_of a b)" "nothing frozen after the failing hook"
hooks_wait "10-note freeze;20-gate freeze;20-gate freeze-fail;10-note freeze-fail;"
last_expect "failed 0" 't["outcome"], len([e for e in t["events"] if e["event"] == "freeze"])' \
	"the timeline: failed before any freeze"
grep -q "refusing the freeze" "$T/vssd.log" || hv_fail "the hook's output was not logged"
rm "$R/run/fail-freeze"

# --- SIGKILL while frozen ---------------------------------------------------------------------
hooks_reset
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE before SIGKILL"
hv_assert_eq "a=frozen b=frozen" "$(frozen_of a b)" "frozen before SIGKILL"
kill -KILL "$VSSD_PID"
ms=$(wait_thawed 1000 "$A" "$B")
hv_note "thawed ${ms} ms after SIGKILL"
rc=0
wait "$VSSD_PID" 2>/dev/null || rc=$?
hv_assert_eq 137 "$rc" "hv-vssd killed"
hv_wait_for 5 grep -qE "Guardian: (the daemon went away with file systems frozen|got SIGTERM); thawed 2 " "$T/vssd.log" ||
	hv_fail "the guardian did not say what it thawed: $(tail -3 "$T/vssd.log")"
hvsim_wait_field 10 vss open false || hv_fail "the VSS device was not released"
vssd_start --debug
grep -q "left frozen" "$T/vssd.log" && hv_fail "the start-up found something frozen"

# --- SIGTERM while frozen (systemctl stop: the daemon and its guardian) ---------------------
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE before SIGTERM"
hooks_reset
guardian=$(pgrep -P "$VSSD_PID") || hv_fail "no guardian while frozen"
kill -TERM "$VSSD_PID" $guardian
rc=0
wait "$VSSD_PID" || rc=$?
hv_assert_eq 0 "$rc" "hv-vssd's exit status after SIGTERM while frozen"
hv_assert_eq "a=thawed b=thawed" "$(frozen_of a b)" "thawed after SIGTERM"
hooks_wait "20-gate thaw;10-note thaw;"
hvsim_wait_field 10 vss open false || hv_fail "the VSS device was not released"
vssd_start --debug

# --- auto-thaw --------------------------------------------------------------------------------
printf '[vss]\nauto-thaw-timeout = 2\n' >"$R/etc/hvutils/hvutils.conf"
kill -HUP "$VSSD_PID"
hv_wait_for 5 grep -q "Configuration reloaded" "$T/vssd.log" || hv_fail "no reload after SIGHUP"
hooks_reset
start=${EPOCHREALTIME/./}
hv_assert_eq HV_S_OK "$(hvsim_vss_status freeze)" "FREEZE before the auto-thaw"
hv_assert_eq "a=frozen b=frozen" "$(frozen_of a b)" "frozen before the auto-thaw"
ms=$(wait_thawed 5000 "$A" "$B")
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
[ "$ms" -ge 1900 ] || hv_fail "thawed after $ms ms, before the 2 s auto-thaw timeout"
hv_note "auto-thawed ${ms} ms after the FREEZE was sent"
hooks_wait "10-note freeze;20-gate freeze;20-gate thaw;10-note thaw;"
hv_wait_for 5 status_file_says 'v["state"] == "idle" and v["request"] == "auto-thaw" and v["last"]["outcome"] == "auto-thawed"' ||
	hv_fail "the status file does not say auto-thawed: $(hvctl_in vss status)"
hv_assert_eq HV_E_FAIL "$(hvsim_vss_status thaw || true)" "the host's THAW after the auto-thaw"
hv_assert_eq HV_S_OK "$(hvsim_vss_status thaw)" "the next THAW"
grep -q "No THAW came within 2.000 s" "$T/vssd.log" || hv_fail "the auto-thaw was not logged"

# --- a file system that refuses to freeze ---------------------------------------------------------
hooks_reset
python3 - "$B" <<'EOF'
import fcntl, os, struct, sys
EXT4_IOC_SHUTDOWN, EXT4_GOING_FLAGS_NOLOGFLUSH = 0x8004587D, 2
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, struct.pack("I", EXT4_GOING_FLAGS_NOLOGFLUSH))
EOF
hv_assert_eq HV_E_FAIL "$(hvsim_vss_status freeze || true)" "FREEZE with b refusing"
hv_assert_eq "a=thawed" "$(frozen_of a)" "a, frozen first, thawed again"
hooks_wait "10-note freeze;20-gate freeze;20-gate freeze-fail;10-note freeze-fail;"
last_expect "freeze:/srv/a:ok:None freeze:/srv/b:failed:Input/output error thaw:/srv/a:ok:None answer:freeze:HV_E_FAIL:0x80004005 failed" \
	'" ".join("%s:%s:%s:%s" % (e["event"], e["target"], e["result"], e["error"]) for e in t["events"] if e["event"] in ("freeze", "thaw", "answer")), t["outcome"]' \
	"the timeline of the refused freeze"
grep -q "Freeze failed: cannot freeze /srv/b (ext4): Input/output error" "$T/vssd.log" ||
	hv_fail "the failure was not logged: $(tail -5 "$T/vssd.log")"

vssd_stop
hv_assert_eq 0 "$VSSD_RC" "hv-vssd's exit status after SIGTERM"
kill -TERM "$HVSIM_PID"
wait "$HVSIM_PID" || true
world_clean_check
exit 0
