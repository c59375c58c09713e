#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel side's answers to raw host packets (`hvsim host raw`),
# PROTOCOL.md §2.2, §6.2, §11.25, §12 item 3:
#   - a NEGOTIATE offering versions the guest does not speak gets the
#     failure reply: counts 0/0, entries 0 and 1 overwritten with the
#     host's counts, status left as sent, icflags TRANSACTION|RESPONSE;
#   - a matching NEGOTIATE gets counts 1/1 and the chosen versions;
#   - a NEGOTIATE too short for its counts, or too short to hold one, is
#     still answered with the same length;
#   - a packet shorter than the 28-byte IC header gets no answer at all;
#   - a VSS packet of a type other than NEGOTIATE and VSS gets no answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
hv_tmpdir
hvsim_start

# pipe header (8 zero bytes) + icmsg header: framework 3.0, type, message
# version 0.0, icmsgsize, status 0, trans_id 1, flags 3 (TRANSACTION|REQUEST).
hdr() { # type icmsgsize (both as 4 hex digits, little-endian)
	printf '0000000000000000''03000000''%s''00000000''%s''00000000''0103''0000' "$1" "$2"
}
NEG=$(hdr 0000 1000)
raw() { hvsim_host "$@"; }

out=$(raw raw vss "${NEG}0100010000000000""09000900""09000900") || hv_fail "raw exited $?"
hv_assert_eq "HV_S_OK
${NEG:0:50}05${NEG:52}0000000000000000""01000000""01000000" "$out" \
	"no common version: counts 0/0, entries = the host's counts, status untouched, icflags 5"

out=$(raw raw vss "${NEG}0200020000000000""04000000""03000000""06000000""05000000") || hv_fail "raw exited $?"
hv_assert_eq "HV_S_OK
${NEG:0:50}05${NEG:52}0100010000000000""03000000""05000000""06000000""05000000" "$out" \
	"VSS: framework 3.0 and service 5.0 chosen, the rest echoed"

out=$(raw raw fcopy "${NEG}0200020000000000""03000000") || hv_fail "raw exited $?"
hv_assert_eq "HV_S_OK
${NEG:0:50}05${NEG:52}0000000000000000""02000000" "$out" \
	"counts that do not fit: failure reply within the received length"

out=$(raw raw fcopy "$NEG") || hv_fail "raw exited $?"
hv_assert_eq "HV_S_OK
${NEG:0:50}05${NEG:52}" "$out" "a 28-byte NEGOTIATE comes back untouched but for icflags"

rc=0; raw --timeout 1 raw vss "0000000000000000030000000000" 2>/dev/null || rc=$?
hv_assert_eq 3 "$rc" "a packet shorter than the IC header is dropped"
rc=0; raw --timeout 1 raw vss "$(hdr 0900 0c00)000000000000000000000000" 2>/dev/null || rc=$?
hv_assert_eq 3 "$rc" "a VSS packet of an unknown type is dropped"
hv_assert_eq 2 "$(hvsim_field vss host_dropped)" "both counted as dropped"
exit 0
