#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-kvpd's native GET_IP_INFO (PROTOCOL.md §5.5) under hvsim, in a network
# namespace and a mount namespace of its own: two veth interfaces "hv1"
# and "hv10" stand in for two NICs, /etc/resolv.conf is ours (bound over
# the machine's only inside this namespace), and the network managers'
# state directories under /run are empty tmpfs, filled by the test.
# Modelled on 24-ref-kvp-ipinfo.sh (the reference's run); where hv-kvpd
# answers differently on purpose (§11.8) the check says so:
#   - hv1 gets only hv1's addresses (the reference's ifname prefix match
#     also collects hv10's);
#   - gate_way lists only the gateways of hv1's default routes, every
#     nexthop of a multipath route on its own (the reference lists every
#     default gateway of the VM);
#   - no trailing ';' after gateways and DNS servers;
#   - the request's family is honoured (the reference ignores it);
#   - DNS from resolv.conf and DHCP from the network manager's state files
#     or the address lifetimes, read in-process (the reference forks
#     hv_get_dns_info / hv_get_dhcp_info per address).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
hv_need_prog ip "iproute2"
if [ -z "${HV_IN_NETNS:-}" ]; then
	unshare -n -m true 2>/dev/null || hv_skip "cannot make network and mount namespaces"
	HV_IN_NETNS=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
hv_tmpdir

# Name resolution and manager state of our own; the machine's stay untouched.
printf '# test\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions edns0\n' >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf || hv_skip "cannot bind a private /etc/resolv.conf"
for d in /run/systemd/resolve /run/systemd/netif /run/NetworkManager /run/network; do
	if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d" || hv_fail "cannot hide $d"; fi
done

ip link set lo up
ip link add hv1 address 00:15:5d:00:01:01 type veth peer name hv1p || hv_skip "no veth"
ip link add hv10 address 00:15:5d:00:01:10 type veth peer name hv10p
ip link add veth9 type veth peer name veth9p
for i in hv1 hv1p hv10 hv10p veth9 veth9p; do
	ip link set "$i" addrgenmode none 2>/dev/null || true # no link-local noise
	ip link set "$i" up
done
ip addr add 192.0.2.5/24 dev hv1
ip addr add 198.51.100.7/25 dev hv1
ip addr add 2001:db8::5/64 dev hv1 nodad
ip addr add 10.10.0.4/16 dev hv10 valid_lft 3600 preferred_lft 3600 # as a DHCP client adds it
ip addr add 172.17.0.1/16 dev veth9
ip route add default via 192.0.2.1 dev hv1
ip route add default via 10.10.0.1 dev hv10 metric 200
ip route add default table 100 nexthop via 192.0.2.2 dev hv1 nexthop via 10.10.0.2 dev hv10
ip -6 route add default via fe80::1 dev hv1
HV1=00:15:5D:00:01:01
HV10=00:15:5D:00:01:10

hvsim_start
hvsim_bg_in "$KVPD" --debug
hvsim_host wait-registered kvp --timeout 20 || hv_fail "hv-kvpd did not register"
hv_assert_eq "nameserver 192.0.2.53" "$(hvsim_in grep -m1 nameserver /etc/resolv.conf)" \
	"the world sees our resolv.conf"

field() { sed -n "s/^$1=//p" <<<"$2"; }
sorted() { tr ';' '\n' <<<"$1" | sort | tr '\n' ' '; }

out=$(hvsim_host kvp get-ip-info --mac "$HV1") || hv_fail "GET_IP_INFO hv1 exited $?"
hv_assert_eq HV_S_OK "$(head -1 <<<"$out")" "hv1: status"
hv_assert_eq "$HV1" "$(field adapter_id "$out")" "hv1: the adapter id comes back"
hv_assert_eq 3 "$(field addr_family "$out")" "hv1: IPv4 and IPv6"
hv_assert_eq "192.0.2.5;198.51.100.7;2001:db8::5" "$(field ip_addr "$out")" \
	"hv1: its addresses only (the reference's prefix match adds hv10's 10.10.0.4)"
hv_assert_eq "255.255.255.0;255.255.255.128;/64" "$(field sub_net "$out")" "hv1: masks and IPv6 prefix"
hv_assert_eq "192.0.2.1 192.0.2.2 fe80::1 " "$(sorted "$(field gate_way "$out")")" \
	"hv1: its gateways, the multipath nexthop included, hv10's not (the reference lists all)"
case $(field gate_way "$out") in *";") hv_fail "trailing ';' in gate_way" ;; esac
hv_assert_eq "192.0.2.53;2001:db8::53" "$(field dns_addr "$out")" "hv1: DNS from resolv.conf, no trailing ';'"
hv_assert_eq 0 "$(field dhcp_enabled "$out")" "hv1: static addresses"

out=$(hvsim_host kvp get-ip-info --mac "$HV10" --family ipv4) || hv_fail "GET_IP_INFO hv10 exited $?"
hv_assert_eq HV_S_OK "$(head -1 <<<"$out")" "hv10: status"
hv_assert_eq "10.10.0.4" "$(field ip_addr "$out")" "hv10: exact match, hv1's addresses not here"
hv_assert_eq "255.255.0.0" "$(field sub_net "$out")" "hv10: mask"
hv_assert_eq "10.10.0.1 10.10.0.2 " "$(sorted "$(field gate_way "$out")")" "hv10: its own gateways"
hv_assert_eq "192.0.2.53" "$(field dns_addr "$out")" "hv10: IPv4 servers for an IPv4 request"
hv_assert_eq 1 "$(field dhcp_enabled "$out")" "hv10: a lifetime-limited address is DHCP's"

out=$(hvsim_host kvp get-ip-info --mac "$HV1" --family ipv6) || hv_fail "GET_IP_INFO hv1 ipv6 exited $?"
hv_assert_eq 2 "$(field addr_family "$out")" "IPv6 only (the reference ignores the family)"
hv_assert_eq "2001:db8::5" "$(field ip_addr "$out")" "hv1: IPv6 address"
hv_assert_eq "/64" "$(field sub_net "$out")" "hv1: IPv6 prefix"
hv_assert_eq "fe80::1" "$(field gate_way "$out")" "hv1: IPv6 gateway"

# DHCP as systemd-networkd states it, read at each request (nothing cached).
if [ -d /run/systemd/netif ]; then
	idx=$(ip -o link show dev hv1 | cut -d: -f1)
	mkdir -p /run/systemd/netif/links
	printf 'ADMIN_STATE=configured\nNETWORK_FILE=/etc/systemd/network/hv1.network\nDHCP_LEASE=/run/systemd/netif/leases/%s\n' \
		"$idx" >"/run/systemd/netif/links/$idx"
	out=$(hvsim_host kvp get-ip-info --mac "$HV1" --family ipv4) || hv_fail "GET_IP_INFO exited $?"
	hv_assert_eq 1 "$(field dhcp_enabled "$out")" "hv1: networkd holds a DHCP lease for it"
fi

# Host input: an unknown MAC and a malformed adapter id fail and change nothing.
before=$(cat "$T"/state/.kvp_pool_* | md5sum)
rc=0; out=$(hvsim_host kvp get-ip-info --mac 00:15:5D:00:00:99) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$(head -1 <<<"$out") $rc" "no NIC with that MAC (as the reference)"
rc=0; out=$(hvsim_host kvp get-ip-info --mac "not-a-mac;rm -rf /") || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$(head -1 <<<"$out") $rc" "a malformed adapter id is refused"
rc=0; out=$(hvsim_host kvp get-ip-info --mac "$HV1" --family 7) || rc=$?
hv_assert_eq "HV_E_FAIL 1" "$(head -1 <<<"$out") $rc" "an unknown family is refused"
hv_assert_eq "$before" "$(cat "$T"/state/.kvp_pool_* | md5sum)" "no pool file changed"

# Pool 2: the filtered lists (no loopback, no veth9: the default excludes).
out=$(hvsim_host kvp enumerate --pool 2) || hv_fail "pool 2 enumeration exited $?"
hv_assert_eq "192.0.2.5;198.51.100.7;10.10.0.4" "$(sed -n 's/^NetworkAddressIPv4=//p' <<<"$out")" \
	"NetworkAddressIPv4: reported interfaces only"
hv_assert_eq "2001:db8::5" "$(sed -n 's/^NetworkAddressIPv6=//p' <<<"$out")" "NetworkAddressIPv6"

# SET_IP_INFO for an adapter id no NIC has: the reference's answer (24).
rc=0; out=$(hvsim_host kvp set-ip-info --adapter-id "{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}" \
	--ip 192.0.2.9 --subnet 255.255.255.0 --family 1) || rc=$?
hv_assert_eq "HV_GUID_NOTFOUND 1" "$out $rc" "SET_IP_INFO for an adapter no NIC has"

hv_assert_eq 0 "$(hvsim_field kvp rejected_writes)" "no daemon write refused"
hv_assert_eq 0 "$(hvsim_field kvp timeouts)" "no timeout"
exit 0
