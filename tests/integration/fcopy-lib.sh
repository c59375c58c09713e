# SPDX-License-Identifier: GPL-2.0-or-later
# The file-copy matrix of the hv-fcopyd tests (60-fcopyd-differential over
# the char device with the reference beside it, 61-fcopyd-uio over uio
# rings).  Sourced after lib.sh and hvsim-lib.sh; not a test itself.
#
#   fcopy_sources               the host's files in $T: a, b, old, 2m and
#                               big ($HV_FCOPY_BIG bytes, default $1 or 1G,
#                               random; its sha256 in $BIG_SUM)
#   fcopy_mount_full WHO        a 1 MiB tmpfs at $T/WHO/full for disk full
#                               (before the world starts: the world gets a
#                               copy of the test's mount namespace)
#   fcopy_scenario WHO          plays the matrix on the running world into
#                               the associative array R (declare -n R=...
#                               in the caller), destination $T/WHO/d
#   fcopy_check_ours ARRAY WHAT checks a result against what hv-fcopyd
#                               must do
#   fcopy_sum FILE              "file SIZE bytes SHA256-PREFIX", as R has it

fcopy_sources() { # [default big size]
	BIG=${HV_FCOPY_BIG:-${1:-1G}}
	local bytes t0=$SECONDS
	bytes=$(numfmt --from=iec "$BIG") || hv_fail "HV_FCOPY_BIG=$BIG is not a size"
	head -c 20000 /dev/urandom >"$T/a"
	head -c 13000 /dev/urandom >"$T/b"
	echo "old contents" >"$T/old"
	echo "link target" >"$T/linked"
	head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/2m"
	head -c "$bytes" /dev/urandom >"$T/big"
	BIG_SUM=$(sha256sum <"$T/big" | cut -d' ' -f1)
	hv_note "a $BIG source file made in $((SECONDS - t0)) s"
}

fcopy_mount_full() { # who
	mkdir -p "$T/$1/full"
	mount -t tmpfs -o size=1M tmpfs "$T/$1/full" || hv_skip "cannot mount a tmpfs"
}

NON_ASCII="Ünïcødé dir/日本語 ファイル😀.txt"
NON_ASCII_DIR="Ελληνικά/emoji 🎉"
NON_ASCII_NAME="naïve café ✓.bin"

fcopy_step() { # key send-args...: the answers of `fcopy send`, without the timing line
	local key=$1 out rc=0
	shift
	out=$(hvsim_host fcopy send "$@" 2>&1) || rc=$?
	R[$key]="$(grep -v ' bytes in ' <<<"$out" | tr '\n' ';')rc=$rc"
}
fcopy_step_copy() { # key copy-args...: the answer of `fcopy copy` (DIR given as it is) and
	# the request it failed at, if it did
	local key=$1 out rc=0 at
	shift
	out=$(hvsim_host fcopy copy "$@" 2>"$T/copy.err") || rc=$?
	at=$(sed -n 's/.*failed at \([a-z]*\) .*/ at \1/p' "$T/copy.err")
	R[$key]="$(tr '\n' ';' <<<"$out")rc=$rc$at"
}
fcopy_state() { # key path: what is there
	local p=$2
	if [ -L "$p" ]; then
		R[$1]="symlink -> $(readlink "$p" | sed "s|$D|D|")"
	elif [ -f "$p" ]; then
		R[$1]="file $(stat -c %s "$p") bytes $(sha256sum <"$p" | cut -c1-16)"
		R[$1.mode]=$(stat -c %a "$p")
	elif [ -d "$p" ]; then
		R[$1]="directory"
		R[$1.mode]=$(stat -c %a "$p")
	else
		R[$1]=absent
	fi
}

fcopy_scenario() { # who: plays everything into R (a nameref)
	local who=$1 t0
	D=$T/$who/d
	mkdir -p "$D" "$T/$who/outside"

	fcopy_step new "$T/a" "$D/new"
	fcopy_state new.file "$D/new"
	fcopy_step exists "$T/b" "$D/new"
	fcopy_state exists.file "$D/new"
	fcopy_step overwrite --overwrite "$T/b" "$D/new"
	fcopy_state overwrite.file "$D/new"

	fcopy_step nopath "$T/a" "$D/x/y/"
	fcopy_state nopath.dir "$D/x"
	# fcopy send names the directory without a trailing '/' ...
	fcopy_step createpath --create-path "$T/a" "$D/x/y/"
	fcopy_state createpath.file "$D/x/y/a"
	fcopy_state createpath.dir "$D/x"
	fcopy_state createpath.subdir "$D/x/y"
	# ... fcopy copy as it is given, here with one.
	fcopy_step_copy createpath-slash --create-path "$T/a" "$D/p/q/"
	fcopy_state createpath-slash.file "$D/p/q/a"
	fcopy_state createpath-slash.subdir "$D/p/q"

	fcopy_step cancel-new --cancel-after 2 "$T/a" "$D/cnew"
	fcopy_state cancel-new.file "$D/cnew"
	cp "$T/old" "$D/keep"
	chmod 0600 "$D/keep"
	fcopy_step cancel-overwrite --overwrite --cancel-after 2 "$T/a" "$D/keep"
	fcopy_state cancel-overwrite.file "$D/keep"

	fcopy_step diskfull "$T/2m" "$T/$who/full/f"
	fcopy_state diskfull.file "$T/$who/full/f"
	R[diskfull.used]=$(df --output=used "$T/$who/full" | tail -1 | tr -d ' ')
	rm -f "$T/$who/full/f"
	# The same with a START that does not say how big the file is.
	fcopy_step_copy diskfull-unannounced --size 0 "$T/2m" "$T/$who/full/" g
	fcopy_state diskfull-unannounced.file "$T/$who/full/g"
	R[diskfull-unannounced.used]=$(df --output=used "$T/$who/full" | tail -1 | tr -d ' ')
	rm -f "$T/$who/full/g"
	fcopy_step after-diskfull "$T/a" "$D/after"
	fcopy_state after-diskfull.file "$D/after"

	mkdir "$D/${NON_ASCII%/*}"
	fcopy_step non-ascii "$T/a" "$D/$NON_ASCII"
	fcopy_state non-ascii.file "$D/$NON_ASCII"
	fcopy_step_copy non-ascii-path --create-path "$T/b" "$D/$NON_ASCII_DIR/" "$NON_ASCII_NAME"
	fcopy_state non-ascii-path.file "$D/$NON_ASCII_DIR/$NON_ASCII_NAME"
	R[non-ascii.listing]=$(cd "$D" && find "${NON_ASCII%/*}" "${NON_ASCII_DIR%%/*}" | LC_ALL=C sort | tr '\n' '|')

	echo "link target" >"$D/linked"
	ln -s linked "$D/link"
	fcopy_step symlink-overwrite --overwrite "$T/b" "$D/link"
	fcopy_state symlink-overwrite.link "$D/link"
	fcopy_state symlink-overwrite.linked "$D/linked"
	ln -s "$T/$who/outside/created" "$D/dangling"
	fcopy_step symlink-dangling "$T/b" "$D/dangling"
	fcopy_state symlink-dangling.link "$D/dangling"
	fcopy_state symlink-dangling.outside "$T/$who/outside/created"

	t0=$SECONDS
	fcopy_step big "$T/big" "$D/big"
	R[big.seconds]=$((SECONDS - t0))
	R[big.sum]=$([ -f "$D/big" ] && sha256sum <"$D/big" | cut -d' ' -f1)
	rm -f "$D/big"

	R[temps]=$(find "$T/$who" -name '.*.hvfcopy-*' | wc -l)
}

fcopy_sum() { echo "file $(stat -c %s "$1") bytes $(sha256sum <"$1" | cut -c1-16)"; }

fcopy_check_ours() { # array what
	declare -n X=$1
	local what=$2
	want() { hv_assert_eq "$2" "${X[$1]-unset}" "$what: $1"; }
	OK3="start: HV_S_OK;write x4: HV_S_OK;complete: HV_S_OK;rc=0"
	OK3B="start: HV_S_OK;write x3: HV_S_OK;complete: HV_S_OK;rc=0"
	want new "$OK3"
	want new.file "$(fcopy_sum "$T/a")"
	want new.file.mode 644
	want exists "start: HV_ERROR_ALREADY_EXISTS;rc=1"
	want exists.file "$(fcopy_sum "$T/a")"
	want overwrite "$OK3B"
	want overwrite.file "$(fcopy_sum "$T/b")"
	want nopath "start: HV_E_FAIL;rc=1"
	want nopath.dir absent
	want createpath "$OK3"
	want createpath.file "$(fcopy_sum "$T/a")"
	want createpath.dir.mode 755
	want createpath.subdir.mode 755
	want createpath-slash "HV_S_OK;rc=0"
	want createpath-slash.file "$(fcopy_sum "$T/a")"
	want cancel-new "start: HV_S_OK;write x2: HV_S_OK;cancel: HV_S_OK;rc=0"
	want cancel-new.file absent
	want cancel-overwrite "start: HV_S_OK;write x2: HV_S_OK;cancel: HV_S_OK;rc=0"
	want cancel-overwrite.file "$(fcopy_sum "$T/old")"
	want cancel-overwrite.file.mode 600
	want diskfull.file absent
	want after-diskfull "$OK3"
	want non-ascii "$OK3"
	want non-ascii.file "$(fcopy_sum "$T/a")"
	want non-ascii-path "HV_S_OK;rc=0"
	want non-ascii-path.file "$(fcopy_sum "$T/b")"
	want non-ascii.listing "${NON_ASCII%/*}|$NON_ASCII|${NON_ASCII_DIR%%/*}|$NON_ASCII_DIR|$NON_ASCII_DIR/$NON_ASCII_NAME|"
	want symlink-overwrite "$OK3B"
	want symlink-overwrite.link "$(fcopy_sum "$T/b")"
	want symlink-overwrite.linked "$(fcopy_sum "$T/linked")"
	want symlink-dangling "start: HV_ERROR_ALREADY_EXISTS;rc=1"
	want symlink-dangling.outside absent
	want big.sum "$BIG_SUM"
	want temps 0
	[ -z "${X[open-files]+set}" ] || want open-files 0
	# The announced size is reserved at START: refused before any data.
	want diskfull "start: HV_ERROR_DISK_FULL;rc=1"
	want diskfull-unannounced "HV_ERROR_DISK_FULL;rc=1 at write"
	want diskfull-unannounced.file absent
	# Nothing of the failed copies is left: the tmpfs is as empty as before.
	[ "${X[diskfull.used]}" -le 4 ] || hv_fail "$what: ${X[diskfull.used]} KiB left on the full tmpfs"
	[ "${X[diskfull-unannounced.used]}" -le 4 ] ||
		hv_fail "$what: ${X[diskfull-unannounced.used]} KiB left on the full tmpfs"
}
