#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fidelity of KVP IP injection with the reference hv_kvp_daemon, in a
# network namespace of its own with a veth pair standing in for the NIC
# (PROTOCOL.md §5.1, §5.5, §5.6): GET_IP_INFO in the 2-byte-header
# hv_kvp_ip_msg layout finds the interface by its upper-case MAC through
# the world's /sys/class/net and answers its addresses, masks and
# gateway (with the reference's trailing ";", §11.8); an unknown MAC is
# HV_E_FAIL; SET_IP_INFO for an adapter id no NIC has is HV_GUID_NOTFOUND.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
[ -x /usr/sbin/hv_kvp_daemon ] || hv_skip "/usr/sbin/hv_kvp_daemon missing (Debian package hyperv-daemons)"
hv_need_prog ip "iproute2"
if [ -z "${HV_IN_NETNS:-}" ]; then
	unshare -n true 2>/dev/null || hv_skip "cannot make a network namespace"
	HV_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
hv_tmpdir

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
ip link set lo up
ip link add hv0 type veth peer name hv0peer || hv_skip "no veth"
ip addr add 192.0.2.5/24 dev hv0
ip addr add 198.51.100.7/25 dev hv0
ip link set hv0 up
ip link set hv0peer up
ip route add default via 192.0.2.1 dev hv0
mac=$(ip -br link show hv0 | awk '{ print toupper($3) }')

hvsim_start
hv_assert_eq "$(cat /sys/class/net/hv0/address 2>/dev/null || ip -br link show hv0 | awk '{ print $3 }')" \
	"$(hvsim_in cat /sys/class/net/hv0/address)" "the world sees this namespace's hv0"
hvsim_bg_in /usr/sbin/hv_kvp_daemon -n
hvsim_host wait-registered kvp --timeout 20 || hv_fail "hv_kvp_daemon did not register"

out=$(hvsim_host kvp get-ip-info --mac "$mac" --family ipv4) || hv_fail "GET_IP_INFO exited $?"
hv_assert_contains "$out" "HV_S_OK" "status"
hv_assert_contains "$out" "adapter_id=$mac" "the adapter id comes back"
hv_assert_contains "$out" "addr_family=1" "IPv4 only"
hv_assert_contains "$out" "ip_addr=192.0.2.5;198.51.100.7" "addresses, ';'-separated"
hv_assert_contains "$out" "sub_net=255.255.255.0;255.255.255.128" "masks"
hv_assert_contains "$out" "gate_way=192.0.2.1;" "the default gateway, with the reference's trailing ';'"

rc=0; out=$(hvsim_host kvp get-ip-info --mac 00:15:5D:00:00:01) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$(head -1 <<<"$out") $rc" "no NIC with that MAC"
rc=0; out=$(hvsim_host kvp set-ip-info --adapter-id "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}" \
	--ip 192.0.2.9 --subnet 255.255.255.0 --gateway 192.0.2.1 --dns 192.0.2.53 --family ipv4) || rc=$?
hv_assert_eq "HV_GUID_NOTFOUND 1" "$out $rc" "SET_IP_INFO for an adapter no NIC has"
hv_assert_eq 0 "$(hvsim_field kvp rejected_writes)" "no daemon write refused"
exit 0
