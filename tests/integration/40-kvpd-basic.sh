#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-kvpd under hvsim: registration, then the host's SET, GET, DELETE and
# ENUMERATE on pools 0-4 (PROTOCOL.md §5.3), checked from the host's
# answers and from the pool files (§5.4, same layout as the reference's,
# see 21-ref-kvp-pools.sh for the reference run of the same sequence).
#
# Where hv-kvpd differs from the reference on purpose:
#   - GET answers the stored value, not "" (§5.2, §11.3);
#   - a pool >= 5 is answered HV_E_FAIL and touches no file (§11.1);
#   - GET_IP_INFO is answered natively (41-kvpd-ipinfo.sh); here only an
#     unknown MAC (HV_E_FAIL, as the reference) and a malformed adapter id
#     (HV_E_FAIL, logged, nothing changed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
hv_tmpdir
hvsim_start
hvsim_bg_in "$KVPD" --debug
hvsim_host wait-registered kvp --timeout 20 || hv_fail "hv-kvpd did not register"


for p in 0 1 2 3 4; do
	hv_assert_eq 0 "$(pool_size $p)" "pool $p file is created empty"
done

for p in 0 1 3 4; do
	expect HV_S_OK 0 "pool $p: set a string" kvp set --pool $p "key$p" "value $p"
	expect HV_S_OK 0 "pool $p: set a u32" kvp set --pool $p --type u32 "n32" 4294967295
	expect HV_S_OK 0 "pool $p: modify in place" kvp set --pool $p "key$p" "changed $p"
	expect "key$p=changed $p
n32=4294967295" 0 "pool $p: enumerate in insertion order" kvp enumerate --pool $p
	hv_assert_eq $((2 * 2560)) "$(pool_size $p)" "pool $p: two records"
	hv_assert_eq "key$p" "$(rec_key $p 0)" "pool $p record 0 key"
	hv_assert_eq "changed $p" "$(rec_val $p 0)" "pool $p record 0 value"

	expect "HV_S_OK
key$p=changed $p" 0 "pool $p: GET answers the real value (the reference answers '')" kvp get --pool $p "key$p"
	expect HV_S_CONT 1 "pool $p: GET of a missing key" kvp get --pool $p nosuchkey
	expect HV_S_CONT 1 "pool $p: enumerate past the end" kvp enumerate --pool $p --index 2

	expect HV_S_OK 0 "pool $p: delete" kvp delete --pool $p "key$p"
	expect HV_S_CONT 1 "pool $p: delete it again" kvp delete --pool $p "key$p"
	hv_assert_eq 2560 "$(pool_size $p)" "pool $p: the gap is closed"
	hv_assert_eq "n32" "$(rec_key $p 0)" "pool $p: later records moved down"
done

# Pool 2: SET goes to the file, ENUMERATE answers the intrinsics.
expect HV_S_OK 0 "pool 2: set" kvp set --pool 2 stored "in the file"
hv_assert_eq 2560 "$(pool_size 2)" "pool 2: the record is in the file"
out=$(hvsim_host kvp enumerate --pool 2) || hv_fail "pool 2 enumeration exited $?"
hv_assert_eq "FullyQualifiedDomainName
IntegrationServicesVersion
NetworkAddressIPv4
NetworkAddressIPv6
OSBuildNumber
OSName
OSMajorVersion
OSMinorVersion
OSVersion
ProcessorArchitecture" "$(cut -d= -f1 <<<"$out")" "pool 2: the intrinsic keys in order"
hv_assert_contains "$out" "IntegrationServicesVersion=3.1" "the version the kernel gave at registration"
hv_assert_contains "$out" "OSBuildNumber=$(uname -r)" "OSBuildNumber"
hv_assert_contains "$out" "ProcessorArchitecture=$(uname -m)" "ProcessorArchitecture"
expect HV_S_CONT 1 "pool 2: index 10 is past the intrinsics" kvp enumerate --pool 2 --index 10

# Untrusted input: pool 5 is refused and changes nothing.
before=$(cat "$T"/state/.kvp_pool_* | md5sum)
expect HV_E_FAIL 1 "pool 5 SET is refused" kvp set --pool 5 evil value
expect HV_E_FAIL 1 "pool 255 GET is refused" kvp get --pool 255 key1
hv_assert_eq "$before" "$(cat "$T"/state/.kvp_pool_* | md5sum)" "no pool file changed"

# GET_IP_INFO: no NIC of this machine has that MAC; a non-MAC is refused.
out=$(hvsim_host kvp get-ip-info --mac 00:15:5D:FF:FF:01 2>&1) && hv_fail "get-ip-info succeeded: $out"
hv_assert_contains "$out" HV_E_FAIL "get-ip-info for an unknown MAC answered HV_E_FAIL"
before=$(cat "$T"/state/.kvp_pool_* | md5sum)
out=$(hvsim_host kvp get-ip-info --mac "eth0" 2>&1) && hv_fail "get-ip-info succeeded: $out"
hv_assert_contains "$out" HV_E_FAIL "get-ip-info for a malformed adapter id answered HV_E_FAIL"
hv_assert_eq "$before" "$(cat "$T"/state/.kvp_pool_* | md5sum)" "no pool file changed"

# Non-ASCII round trip through UTF-16 and back.
expect HV_S_OK 0 "set non-ASCII" kvp set --pool 1 "clé-ü" "värde ✓ 日本"
expect "HV_S_OK
clé-ü=värde ✓ 日本" 0 "non-ASCII GET" kvp get --pool 1 "clé-ü"

hv_assert_eq 0 "$(hvsim_field kvp rejected_writes)" "no daemon write was refused"
hv_assert_eq 0 "$(hvsim_field kvp timeouts)" "no timeout"
exit 0
