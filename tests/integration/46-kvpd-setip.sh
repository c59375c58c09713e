#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SET_IP_INFO (PROTOCOL.md §5.6) end to end, hv-kvpd beside the reference
# hv_kvp_daemon, in network and mount namespaces of the test's own.  The
# world's /sys/class/net is replaced by a small tree giving veth "hv0" the
# VMBus device id the host names; /usr/libexec/hypervkvpd gets a recording
# hv_set_ifconfig; /etc/systemd/network and /run/dbus are empty tmpfs, so
# nothing of the machine is read, written or reconfigured.
#
#   - legacy back-end: /var/lib/hyperv/ifcfg-hv0 is byte for byte the
#     reference's; the script is run with argv, no shell.  Named
#     differences: ours also writes hv0.nmconnection and passes it as the
#     second argument (the 6.5+ contract; Debian's 6.1 reference passes
#     only the ifcfg file);
#   - a script that fails is HV_E_FAIL for both;
#   - a bad address is HV_INVALIDARG with nothing written (the reference
#     leaves a partial ifcfg file, §5.6);
#   - networkd back-end: the .network file is written, and with no
#     networkd to apply it the host is told HV_E_FAIL, never success.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
KVPD=$HV_BUILDDIR/hv-kvpd
REF=/usr/sbin/hv_kvp_daemon
[ -x "$KVPD" ] || hv_skip "$KVPD not built"
[ -x "$REF" ] || hv_skip "$REF missing (Debian package hyperv-daemons)"
hv_need_prog ip "iproute2"
if [ -z "${HV_IN_NETNS:-}" ]; then
	unshare -n -m true 2>/dev/null || hv_skip "cannot make network and mount namespaces"
	HV_IN_NETNS=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
hv_tmpdir

GUID="{0d3bcc29-6e5c-4b6a-a2c1-f6a8e1e7a6b5}"
ip link set lo up
ip link add hv0 type veth peer name hv0peer || hv_skip "no veth"
MAC=$(ip -br link show hv0 | awk '{ print $3 }')
IFINDEX=$(ip -o link show hv0 | cut -d: -f1)

# The scripts directory with a hv_set_ifconfig that records its argv and
# exits with what $T/script-rc says.
mkdir -p "$T/libexec" "$T/netd" "$T/dbus"
cp -a /usr/libexec/hypervkvpd/. "$T/libexec/" 2>/dev/null || true
cat >"$T/libexec/hv_set_ifconfig" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/argv"
exit \$(cat "$T/script-rc")
EOF
chmod 755 "$T/libexec/hv_set_ifconfig"
mkdir -p /usr/libexec/hypervkvpd 2>/dev/null || true
mount --bind "$T/libexec" /usr/libexec/hypervkvpd || hv_skip "cannot bind the scripts directory"
mkdir -p /etc/systemd/network 2>/dev/null || true
mount -t tmpfs tmpfs /etc/systemd/network || hv_skip "cannot hide /etc/systemd/network"
if [ -d /run/dbus ]; then mount -t tmpfs tmpfs /run/dbus || hv_fail "cannot hide /run/dbus"; fi

# In a world: a /sys/class/net where hv0 has a VMBus device id.
fake_class_net() {
	hvsim_in sh -c "mount -t tmpfs tmpfs /sys/class/net && mkdir -p /sys/class/net/hv0/device &&
		echo $MAC >/sys/class/net/hv0/address && echo $IFINDEX >/sys/class/net/hv0/ifindex &&
		echo '$GUID' >/sys/class/net/hv0/device/device_id" || hv_fail "cannot fake /sys/class/net in the world"
}

set_ip() { # expected-status what [extra host args]
	local want=$1 what=$2 out rc=0
	shift 2
	out=$(hvsim_host kvp set-ip-info --adapter-id "$GUID" --ip "192.0.2.9;2001:db8::9" \
		--subnet "255.255.255.0;64" --gateway "192.0.2.1;2001:db8::1" \
		--dns "192.0.2.53;2001:db8::53" --family 3 "$@") || rc=$?
	hv_assert_eq "$want" "$out" "$what"
}

# start DAEMON ARGS...: a fresh world ($T/state emptied) running it.
start() {
	if [ -n "${HVSIM_PID:-}" ]; then
		kill "$DAEMON_PID" "$HVSIM_PID" 2>/dev/null || true
		wait "$DAEMON_PID" "$HVSIM_PID" 2>/dev/null || true
	fi
	rm -rf "$T/state" "$T/argv"
	mkdir -p "$T/state"
	hvsim_start
	fake_class_net
	hvsim_bg_in "$@"
	DAEMON_PID=$HV_LAST_PID
	hvsim_host wait-registered kvp --timeout 20 || hv_fail "$1 did not register"
}

# --- the reference ---
echo 0 >"$T/script-rc"
start "$REF" -n
set_ip HV_S_OK "reference: applied through hv_set_ifconfig"
[ -f "$T/state/ifcfg-hv0" ] || hv_fail "the reference wrote no ifcfg-hv0"
cp "$T/state/ifcfg-hv0" "$T/ref-ifcfg"
hv_assert_eq "/var/lib/hyperv/ifcfg-hv0" "$(cat "$T/argv")" "reference: the script gets the ifcfg file only"
echo 1 >"$T/script-rc"
rc=0; out=$(hvsim_host kvp set-ip-info --adapter-id "$GUID" --ip 192.0.2.9 --subnet 255.255.255.0 --family 1) || rc=$?
hv_assert_eq "HV_E_FAIL" "$out" "reference: a failing script is a failure"

# --- ours, legacy back-end ---
printf '[kvp]\nset-ip-backend = legacy\n' >"$T/legacy.conf"
echo 0 >"$T/script-rc"
start "$KVPD" --config "$T/legacy.conf"
set_ip HV_S_OK "hv-kvpd legacy: applied through hv_set_ifconfig"
cmp "$T/ref-ifcfg" "$T/state/ifcfg-hv0" || hv_fail "ifcfg-hv0 differs from the reference's: $(diff "$T/ref-ifcfg" "$T/state/ifcfg-hv0")"
hv_assert_eq "/var/lib/hyperv/ifcfg-hv0
/var/lib/hyperv/hv0.nmconnection" "$(cat "$T/argv")" "hv-kvpd legacy: both files, as argv (the 6.5+ contract)"
nm=$(cat "$T/state/hv0.nmconnection")
hv_assert_contains "$nm" "interface-name=hv0" "keyfile names the interface"
hv_assert_contains "$nm" "address1=192.0.2.9/24" "keyfile IPv4 address with its prefix"
hv_assert_contains "$nm" "address1=2001:db8::9/64" "keyfile IPv6 address with its prefix"
hv_assert_eq 600 "$(stat -c %a "$T/state/hv0.nmconnection")" "the keyfile is private"

echo 1 >"$T/script-rc"
rc=0; out=$(hvsim_host kvp set-ip-info --adapter-id "$GUID" --ip 192.0.2.9 --subnet 255.255.255.0 --family 1) || rc=$?
hv_assert_eq "HV_E_FAIL" "$out" "hv-kvpd legacy: a failing script is a failure"

# A bad element: refused before anything is written or run.
echo 0 >"$T/script-rc"
rm -f "$T/state/ifcfg-hv0" "$T/state/hv0.nmconnection" "$T/argv"
rc=0; out=$(hvsim_host kvp set-ip-info --adapter-id "$GUID" --ip "192.0.2.9;192.0.2.999" \
	--subnet "255.255.255.0;255.255.255.0" --family 1) || rc=$?
hv_assert_eq "HV_INVALIDARG" "$out" "hv-kvpd: a bad address is HV_INVALIDARG"
[ ! -e "$T/state/ifcfg-hv0" ] || hv_fail "a bad request left ifcfg-hv0 behind"
[ ! -e "$T/argv" ] || hv_fail "a bad request ran the script"

# --- ours, networkd back-end with no networkd running ---
printf '[kvp]\nset-ip-backend = networkd\nset-ip-timeout = 2s\n' >"$T/networkd.conf"
start "$KVPD" --config "$T/networkd.conf"
set_ip HV_E_FAIL "hv-kvpd networkd: written but not applied is a failure"
netfile=$(hvsim_in cat /etc/systemd/network/10-hvutils-hv0.network) || hv_fail "no .network file written"
hv_assert_contains "$netfile" "Address=192.0.2.9/24" "networkd: IPv4 address"
hv_assert_contains "$netfile" "Address=2001:db8::9/64" "networkd: IPv6 address"
hv_assert_contains "$netfile" "Gateway=192.0.2.1" "networkd: gateway"
hv_assert_contains "$netfile" "DNS=192.0.2.53" "networkd: DNS"
hv_assert_eq 0 "$(hvsim_field kvp rejected_writes)" "no daemon write refused"
exit 0
