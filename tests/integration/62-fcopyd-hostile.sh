#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hv-fcopyd against a host that sends nonsense (PROTOCOL.md §7.1, §11.16-
# §11.20), over the char device and over uio, with raw packets
# (`hvsim host raw fcopy HEX`) and single requests:
#   - a packet too short for the IC header gets no answer; everything else
#     that makes no sense is answered HV_E_FAIL: an FCOPY packet too short
#     for its header or for a START, an unknown operation, WRITE, COMPLETE
#     or CANCEL with no copy open, a WRITE of more than 6144 bytes, one
#     whose data runs past the packet (uio: over the char device the kernel
#     always hands over the whole hv_do_fcopy), an offset + size that
#     overflows, data past the size START announced, a second START while
#     a copy is open (both fail), names that are empty, ".", "..", hold a
#     '/' or are not UTF-16, a directory with "..";
#   - each failure of an open copy removes its temporary file and nothing
#     appears at the target; the daemon keeps answering, a good copy works
#     at the end;
#   - [fcopy] roots: a directory outside the root, or reached through a
#     symlink inside it that points out, is refused (nothing is created
#     outside, CREATE_PATH neither); a symlink that stays inside is fine;
#   - owner, group, file-mode and directory-mode are applied (files and
#     the directories CREATE_PATH makes).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hvsim-lib.sh"

hvsim_need
FCOPYD=$HV_BUILDDIR/hv-fcopyd
[ -x "$FCOPYD" ] || hv_skip "$FCOPYD not built"
hv_need_prog python3 "python3"
hv_tmpdir
mkdir -p "$T/root" "$T/outside"
ln -s ../outside "$T/root/escape"
ln -s "$T/outside" "$T/root/escape-abs"
head -c 20000 /dev/urandom >"$T/a"
cat >"$T/hvutils.conf" <<EOF
[fcopy]
roots = $T/root
file-mode = 0640
directory-mode = 0750
owner = 65534
group = 65534
EOF

# pkt KEY=VALUE...: the hex of an FCOPY IC payload.  op (0-3 or any
# number), dir and name (START, UTF-16; name_hex: raw UTF-16LE bytes),
# flags, file_size; offset, size, data (WRITE: size defaults to the data's
# length); len: cut or zero-pad the payload to this many bytes.
pkt() {
	python3 - "$@" <<'PY'
import struct, sys
a = dict(x.split("=", 1) for x in sys.argv[1:])
op = int(a.get("op", "0"), 0)
# pipe header, then icmsg: framework 3.0, type 7 (FCOPY), version 1.1,
# size, status 0, transaction 1, flags TRANSACTION|REQUEST.
body = bytearray(struct.pack("<I", op) + bytes(32))
if op == 0:
    def name(s, raw):
        b = bytes.fromhex(raw) if raw is not None else s.encode("utf-16-le")
        return (b + bytes(520))[:520]
    body += name(a.get("name", ""), a.get("name_hex"))
    body += name(a.get("dir", ""), a.get("dir_hex"))
    body += struct.pack("<IQ", int(a.get("flags", "0"), 0), int(a.get("file_size", "0"), 0))
elif op == 1:
    data = a.get("data", "").encode()
    size = int(a.get("size", str(len(data))), 0)
    body += struct.pack("<IQI", 0, int(a.get("offset", "0"), 0), size)
    body += (data + bytes(6144))[:6144]
total = 28 + len(body)
if "len" in a:
    total = int(a["len"], 0)
hdr = struct.pack("<II", 0, 0) + struct.pack("<HHHHHHIBBH", 3, 0, 7, 1, 1, max(total - 28, 0) & 0xFFFF, 0, 1, 3, 0)
p = (hdr + bytes(body) + bytes(max(0, total - 28 - len(body))))[:total]
print(p.hex())
PY
}
raw() { # expected-status what KEY=VALUE...: one raw packet, its answer's status
	local want=$1 what=$2 out rc=0
	shift 2
	out=$(hvsim_host --timeout 2 raw fcopy "$(pkt "$@")" 2>&1) || rc=$?
	if [ "$want" = none ]; then
		hv_assert_eq 3 "$rc" "$WHO: $what: no answer (exit status; $out)"
	else
		hv_assert_eq "$want" "$(head -1 <<<"$out")" "$WHO: $what"
	fi
}
op() { # expected-status what fcopy-args...: one request with hvsim host fcopy
	local want=$1 what=$2 out
	shift 2
	out=$(hvsim_host fcopy "$@" 2>/dev/null) || true
	hv_assert_eq "$want" "$out" "$WHO: $what"
}
temps() { find "$T/root" "$T/outside" -name '.*.hvfcopy-*' | wc -l; }
clean() { # what: no temporary file, nothing at the targets named
	local what=$1 f
	shift
	hv_assert_eq 0 "$(temps)" "$WHO: $what: the temporary file is removed"
	for f in "$@"; do [ ! -e "$D/$f" ] || hv_fail "$WHO: $what: $f exists"; done
}
open_copy() { # name [size]
	op HV_S_OK "START $1" start --size "${2:-100}" "$D" "$1"
	op HV_S_OK "WRITE into $1" write --offset 0 "hello"
	hv_assert_eq 1 "$(temps)" "$WHO: $1: a temporary file while the copy is open"
}

hostile() { # who: everything, on the running world
	WHO=$1
	D=$T/root/$WHO
	mkdir -p "$D"

	# --- nothing open ---
	op HV_E_FAIL "WRITE before START" write --offset 0 "data"
	op HV_E_FAIL "COMPLETE before START" complete
	op HV_E_FAIL "CANCEL before START" cancel
	raw HV_E_FAIL "unknown operation 9" op=9
	raw HV_E_FAIL "unknown operation 0xffffffff, 6000 bytes" op=0xffffffff len=6000
	raw none "a packet shorter than the IC header" op=1 len=20
	if [ "$WHO" = uio ]; then
		raw HV_E_FAIL "an FCOPY packet too short for the fcopy header" op=2 len=40
		raw HV_E_FAIL "a START cut short" op=0 name=x dir="$D" len=200
		raw HV_E_FAIL "a name that is not UTF-16 (lone surrogate)" op=0 name_hex=00d8 dir="$D"
	else
		# hv_fcopy.c drops FCOPY packets too short for the header
		# and pads a short START with zeros.
		raw none "an FCOPY packet too short for the fcopy header" op=2 len=40
		raw HV_E_FAIL "a START cut short (the kernel pads it: no directory)" op=0 name=x dir="$D" len=200
	fi
	raw HV_E_FAIL "START with an empty name" op=0 dir="$D"
	raw HV_E_FAIL "START with name .." op=0 name=.. dir="$D"
	raw HV_E_FAIL "START with name ." op=0 name=. dir="$D"
	raw HV_E_FAIL "START with a / in the name" op=0 name=a/b dir="$D"
	raw HV_E_FAIL "START with .. in the directory" op=0 name=f dir="$D/../../outside"
	clean "refused STARTs" f x a/b
	[ -z "$(ls -A "$T/outside")" ] || hv_fail "$WHO: something appeared outside the root"

	# --- a copy open, then nonsense: the copy ends, its file goes ---
	open_copy big-write
	raw HV_E_FAIL "WRITE of 6145 bytes" op=1 offset=5 size=6145 data=x
	clean "WRITE of 6145 bytes" big-write
	op HV_E_FAIL "WRITE after the copy failed" write --offset 5 "more"

	open_copy huge-write
	raw HV_E_FAIL "WRITE of 0xffffffff bytes" op=1 offset=5 size=0xffffffff data=x
	clean "WRITE of 0xffffffff bytes" huge-write

	open_copy beyond 0
	if [ "$WHO" = uio ]; then
		raw HV_E_FAIL "WRITE of 6144 bytes in a packet holding 100" op=1 offset=5 size=6144 data=x len=180
		clean "WRITE past the packet" beyond
	else
		raw HV_S_OK "WRITE of 6144 bytes in a packet holding 100 (the kernel sends the whole hv_do_fcopy)" \
			op=1 offset=5 size=6144 data=x len=180
		op HV_S_OK "CANCEL" cancel
		clean "CANCEL" beyond
	fi

	open_copy overflow
	raw HV_E_FAIL "WRITE with offset + size past 2^64" op=1 offset=0xfffffffffffffff0 size=100 data=x
	clean "offset overflow" overflow

	open_copy past-size
	op HV_E_FAIL "WRITE past the size START announced" write --offset 96 "0123456789"
	clean "WRITE past the file size" past-size

	open_copy unknown-op
	raw HV_E_FAIL "unknown operation with a copy open" op=4
	clean "unknown operation" unknown-op

	open_copy first
	op HV_E_FAIL "a second START while a copy is open" start --size 100 "$D" second
	clean "second START" first second
	op HV_E_FAIL "WRITE after both STARTs failed" write --offset 5 "more"

	# --- roots and symlinks ---
	op HV_E_FAIL "START outside the root" start "$T/outside" f
	op HV_E_FAIL "START through a relative symlink out of the root" start "$T/root/escape" f
	op HV_E_FAIL "START through an absolute symlink out of the root" start "$T/root/escape-abs" f
	op HV_E_FAIL "CREATE_PATH through a symlink out of the root" copy --create-path "$T/a" "$T/root/escape/new/"
	op HV_E_FAIL "CREATE_PATH outside the root" copy --create-path "$T/a" "$T/outside/new/"
	[ -z "$(ls -A "$T/outside")" ] || hv_fail "$WHO: something appeared outside the root: $(ls -A "$T/outside")"
	ln -sfn "$WHO" "$T/root/inside-$WHO"
	op HV_S_OK "a symlink that stays inside the root" copy "$T/a" "$T/root/inside-$WHO/" via-link
	cmp "$T/a" "$D/via-link" || hv_fail "$WHO: the copy through the inside link differs"

	# --- owner, group and modes ---
	op HV_S_OK "CREATE_PATH" copy --create-path "$T/a" "$D/made/deeper/"
	hv_assert_eq "750 65534:65534 750 65534:65534 640 65534:65534" \
		"$(stat -c '%a %u:%g' "$D/made" "$D/made/deeper" "$D/made/deeper/a" | tr '\n' ' ' | sed 's/ $//')" \
		"$WHO: directory-mode, file-mode, owner and group"
	cmp "$T/a" "$D/made/deeper/a" || hv_fail "$WHO: the copy differs"

	# --- still answering ---
	kill -0 "$PID" 2>/dev/null || hv_fail "$WHO: hv-fcopyd died"
	out=$(hvsim_host fcopy send "$T/a" "$D/good") || hv_fail "$WHO: a good copy at the end: $out"
	cmp "$T/a" "$D/good" || hv_fail "$WHO: the good copy differs"
	hv_assert_eq 0 "$(temps)" "$WHO: no temporary file left"
}

# --- the char device ---
printf '[world]\nname = fcopy-hostile\nbase = default\n[kernel]\nfcopy_timeout = 3\n' >"$T/world.ini"
hvsim_start --world "$T/world.ini"
hvsim_bg_in "$FCOPYD" --config "$T/hvutils.conf"
PID=$HV_LAST_PID
hvsim_host wait-registered fcopy --timeout 20 || hv_fail "hv-fcopyd did not register"
hostile chardev
kill "$HVSIM_PID"
wait "$HVSIM_PID" 2>/dev/null || true
rm -f "$T/ctl"

# --- uio ---
hvsim_start --world "$HV_SRCDIR/tests/fixtures/worlds/uio-fcopy.ini"
hvsim_bg_in "$FCOPYD" --config "$T/hvutils.conf"
PID=$HV_LAST_PID
hvsim_host wait-registered fcopy --timeout 20 || hv_fail "hv-fcopyd did not negotiate"
hostile uio
exit 0
