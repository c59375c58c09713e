#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fidelity: the reference hv_kvp_daemon answers the host's SET, GET,
# DELETE and ENUMERATE on pools 0-4 through hvsim as PROTOCOL.md §5
# describes, and its pool files (/var/lib/hyperv/.kvp_pool_N, 2560-byte
# records key[512] value[2048], §5.4) are checked from the state directory.
#
# Reference behaviour this test pins down on purpose:
#   - GET answers HV_S_OK with an EMPTY value (§5.2, §11.3: the daemon is
#     sent value_size 0 and the kernel reads the value 4 bytes off);
#   - a missing key, a second DELETE and the end of an enumeration are
#     HV_S_CONT;
#   - REG_U32/REG_U64 values arrive as decimal text (the kernel's %u/%llu);
#   - pool 2 enumerates the ten intrinsic keys whatever the file holds;
#   - the kernel trims enumerated keys to 254 and values to 1022 UTF-16
#     units although the pool stores 255 and 1023 (§5.2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -x /usr/sbin/hv_kvp_daemon ] || hv_skip "/usr/sbin/hv_kvp_daemon missing (Debian package hyperv-daemons)"
hv_tmpdir
hvsim_start
hvsim_bg_in /usr/sbin/hv_kvp_daemon -n
hvsim_host wait-registered kvp --timeout 20 || hv_fail "hv_kvp_daemon did not register"


for p in 0 1 2 3 4; do
	hv_assert_eq 0 "$(pool_size $p)" "pool $p file is created empty"
done

for p in 0 1 3 4; do
	expect HV_S_OK 0 "pool $p: set a string" kvp set --pool $p "key$p" "value $p"
	expect HV_S_OK 0 "pool $p: set a u32" kvp set --pool $p --type u32 "n32" 4294967295
	expect HV_S_OK 0 "pool $p: set a u64" kvp set --pool $p --type u64 "n64" 18446744073709551615
	expect HV_S_OK 0 "pool $p: modify in place" kvp set --pool $p "key$p" "changed $p"
	expect "key$p=changed $p
n32=4294967295
n64=18446744073709551615" 0 "pool $p: enumerate in insertion order" kvp enumerate --pool $p

	hv_assert_eq $((3 * 2560)) "$(pool_size $p)" "pool $p: three records"
	hv_assert_eq "key$p" "$(rec_key $p 0)" "pool $p record 0 key"
	hv_assert_eq "changed $p" "$(rec_val $p 0)" "pool $p record 0 value"
	hv_assert_eq "4294967295" "$(rec_val $p 1)" "pool $p record 1 value"
	hv_assert_eq "n64" "$(rec_key $p 2)" "pool $p record 2 key"

	expect "HV_S_OK
key$p=" 0 "pool $p: GET of a present key answers an empty value (§11.3)" kvp get --pool $p "key$p"
	expect HV_S_CONT 1 "pool $p: GET of a missing key" kvp get --pool $p nosuchkey
	expect "HV_S_OK
n32=4294967295" 0 "pool $p: enumerate one index" kvp enumerate --pool $p --index 1
	expect HV_S_CONT 1 "pool $p: enumerate past the end" kvp enumerate --pool $p --index 3

	expect HV_S_OK 0 "pool $p: delete the first record" kvp delete --pool $p "key$p"
	expect HV_S_CONT 1 "pool $p: delete it again" kvp delete --pool $p "key$p"
	hv_assert_eq $((2 * 2560)) "$(pool_size $p)" "pool $p: the gap is closed"
	hv_assert_eq "n32" "$(rec_key $p 0)" "pool $p: later records moved down"
	expect "n32=4294967295
n64=18446744073709551615" 0 "pool $p: enumerate after delete" kvp enumerate --pool $p
done

# Pool 2 (AUTO): a SET goes to the file, ENUMERATE answers the intrinsics.
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
hv_assert_contains "$out" "OSVersion=$(uname -r | cut -d- -f1)" "OSVersion"
hv_assert_contains "$out" "ProcessorArchitecture=$(uname -m)" "ProcessorArchitecture"
expect HV_S_CONT 1 "pool 2: index 10 is past the intrinsics" kvp enumerate --pool 2 --index 10

# UTF-8 in, UTF-16 on the wire, UTF-8 in the pool and back.
expect HV_S_OK 0 "set non-ASCII" kvp set --pool 1 "clé-ü" "värde ✓ 日本"
hv_assert_eq "clé-ü" "$(rec_key 1 2)" "non-ASCII key in the pool file"
hv_assert_eq "värde ✓ 日本" "$(rec_val 1 2)" "non-ASCII value in the pool file"
out=$(hvsim_host kvp enumerate --pool 1 --index 2) || hv_fail "enumerate non-ASCII"
hv_assert_eq "HV_S_OK
clé-ü=värde ✓ 日本" "$out" "non-ASCII round trip"

# Longest key and value the host can send: the pool keeps them whole, the
# kernel's answer trims them (254 and 1022 units).
k255=$(head -c 255 /dev/zero | tr '\0' k)
v1023=$(head -c 1023 /dev/zero | tr '\0' v)
expect HV_S_OK 0 "set a 255-unit key with a 1023-unit value" kvp set --pool 4 "$k255" "$v1023"
hv_assert_eq 255 "$(rec_key 4 2 | tr -d '\n' | wc -c)" "the pool stores the whole key"
hv_assert_eq 1023 "$(rec_val 4 2 | tr -d '\n' | wc -c)" "the pool stores the whole value"
out=$(hvsim_host kvp enumerate --pool 4 --index 2 | tail -1)
hv_assert_eq "${k255:0:254}=${v1023:0:1022}" "$out" "the kernel trims enumerated keys and values"

hv_assert_eq 0 "$(hvsim_field kvp rejected_writes)" "no daemon write was refused"
hv_assert_eq 0 "$(hvsim_field kvp timeouts)" "no timeout"
exit 0
