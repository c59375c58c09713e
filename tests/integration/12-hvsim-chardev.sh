#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The char devices of an hvsim world behave as the kernel's
# (PROTOCOL.md §4, §5.3, §6.3, §7.2, §12 item 5), driven byte by byte from
# a shell with no daemon: single opener (EBUSY), the three handshakes and
# their answers, write-length rules, -EINVAL for short read buffers (the
# message is kept) and for out-of-state writes, reads that block whatever
# O_NONBLOCK says and end with EINTR on a signal, late appearance, and no
# node for a device bound to another driver.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
hv_need_prog perl "perl-base"
hv_tmpdir

# One whole write of a file's bytes, to the already open fd 3.
cat >"$T/lib.sh" <<'EOF'
put() { dd bs=65536 count=1 iflag=fullblock status=none <"$1" >&3; }
hexbytes() { od -A n -t x1 -v | tr -s ' \n' ' ' | sed 's/^ //;s/ $//'; echo; }
EOF
printf 'd' >"$T/kvp-reg"; head -c 7431 /dev/zero >>"$T/kvp-reg"      # op 100, 7432 bytes
head -c 7431 /dev/zero >"$T/kvp-short"                                 # one byte short
printf '\x81' >"$T/vss-reg"; head -c 11 /dev/zero >>"$T/vss-reg"      # op 129, 12 bytes
printf '\x81' >"$T/vss-11"; head -c 10 /dev/zero >>"$T/vss-11"
printf '\x01\0\0\0' >"$T/fcopy-v1"
printf '\x00\0\0\0' >"$T/fcopy-v0"
printf '\x07\0\0\0' >"$T/fcopy-v7"

run() { "$HVSIM" run --state "$T/state" --control "$T/ctl" "$@"; }

# --- KVP -------------------------------------------------------------------------
out=$(run -- bash -c '. '"$T"'/lib.sh; cd '"$T"'
exec 3<>/dev/vmbus/hv_kvp || exit 10
(exec 4<>/dev/vmbus/hv_kvp) 2>/dev/null && echo "second open allowed"
put kvp-short 2>/dev/null && echo "short write accepted"
put kvp-reg || echo "registration refused"
dd bs=7431 count=1 status=none <&3 2>/dev/null && echo "short read accepted"
dd bs=8192 count=1 status=none <&3 >reply || echo "read failed"
stat -c %s reply
head -c 8 reply | hexbytes
put kvp-reg 2>/dev/null && echo "spurious answer accepted"
exit 0') || hv_fail "KVP shell exited $?"
hv_assert_eq "7432
64 00 00 00 33 2e 31 00" "$out" \
	"KVP: EBUSY, 7432-byte writes, registration answer (op 100, \"3.1\") read whole, EINVAL for short reads and spurious answers"

# --- VSS and fcopy handshakes ------------------------------------------------------------
out=$(run -- bash -c '. '"$T"'/lib.sh; cd '"$T"'
exec 3<>/dev/vmbus/hv_vss || exit 10
put vss-11 2>/dev/null && echo "11-byte write accepted"
put vss-reg || echo "registration refused"
dd bs=64 count=1 status=none <&3 | hexbytes
exec 3<>/dev/vmbus/hv_fcopy || exit 11
put fcopy-v7 2>/dev/null && echo "version 7 accepted"
put vss-reg 2>/dev/null && echo "12-byte fcopy write accepted"
put fcopy-v1 || echo "version 1 refused"
dd bs=64 count=1 status=none <&3 | hexbytes
exit 0') || hv_fail "VSS/fcopy shell exited $?"
hv_assert_eq "81 00 00 00
01 00 00 00" "$out" "VSS answers a 4-byte 129, fcopy v1 a 4-byte 1; wrong lengths and versions refused"

# fcopy version 0: accepted, no answer, and the read blocks.
out=$(run -- bash -c '. '"$T"'/lib.sh; cd '"$T"'
exec 3<>/dev/vmbus/hv_fcopy || exit 10
put fcopy-v0 || echo "version 0 refused"
timeout 1 dd bs=64 count=1 status=none <&3; echo "read ended $?"') || hv_fail "fcopy v0 shell exited $?"
hv_assert_eq "read ended 124" "$out" "fcopy v0: no answer, the read blocks until killed"

# --- blocking reads: O_NONBLOCK ignored, EINTR on a signal ----------------------------------
out=$(run -- bash -c '
exec 3<>/dev/vmbus/hv_kvp || exit 10
timeout 1 dd bs=8192 count=1 iflag=nonblock status=none <&3; echo "nonblock read ended $?"
perl -e '\''use Errno; $SIG{ALRM} = sub {}; alarm 1;
	my $n = sysread(STDIN, my $b, 8192);
	print defined $n ? "read $n\n" : ($!{EINTR} ? "EINTR\n" : "error $!\n");'\'' <&3') ||
	hv_fail "blocking shell exited $?"
hv_assert_eq "nonblock read ended 124
EINTR" "$out" "reads block despite O_NONBLOCK and end with EINTR on a signal"

# --- late appearance and absent devices ------------------------------------------------------
cat >"$T/late.ini" <<'EOF'
[world]
base = default
[kernel]
device_delay = 1
[device vss]
driver = none
[device fcopy]
driver = uio_hv_generic
EOF
out=$(run --world "$T/late.ini" -- bash -c '
ls /dev/vmbus | wc -l
sleep 1.2
ls /dev/vmbus') || hv_fail "late world exited $?"
hv_assert_eq "0
hv_kvp" "$out" "devices appear after device_delay; none for VSS unbound or fcopy on uio"
exit 0
