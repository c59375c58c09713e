# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by every integration test (see README in this directory).
set -eu
set -o pipefail

: "${HV_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${HV_BUILDDIR:=$HV_SRCDIR/build/test}"
export HV_SRCDIR HV_BUILDDIR
HVSIM=$HV_BUILDDIR/hvsim
HVCTL=$HV_BUILDDIR/hvctl
HV_TEST_NAME=$(basename "$0" .sh)

hv_skip() { echo "SKIP: $*" >&2; exit 77; }
hv_fail() { echo "FAIL: $HV_TEST_NAME: $*" >&2; exit 1; }
hv_note() { echo "# $*" >&2; }

hv_assert_eq() { # expected actual what
	if [ "$1" != "$2" ]; then
		printf 'FAIL: %s: %s\n  expected: %s\n  actual:   %s\n' "$HV_TEST_NAME" "$3" "$1" "$2" >&2
		exit 1
	fi
}
hv_assert_contains() { # haystack needle what
	case $1 in
	*"$2"*) ;;
	*) printf 'FAIL: %s: %s\n  missing: %s\n  in: %s\n' "$HV_TEST_NAME" "$3" "$2" "$1" >&2; exit 1 ;;
	esac
}

hv_need_root() { [ "$(id -u)" = 0 ] || hv_skip "needs root (namespaces and FUSE mounts)"; }
hv_need_fuse() { [ -c /dev/fuse ] || hv_skip "no /dev/fuse on this machine"; }
hv_need_prog() { # path-or-name what
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || hv_skip "$1 not found (${2:-install it with scripts/deps})"
}

# hv_tmpdir: sets $T to a fresh directory; on exit every process started
# with hv_bg is killed and $T is removed.
HV_BG_PIDS=""
hv_cleanup() {
	local p
	for p in $HV_BG_PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $HV_BG_PIDS; do wait "$p" 2>/dev/null || true; done
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}
hv_tmpdir() {
	T=$(mktemp -d /tmp/hvtest.XXXXXX)
	trap hv_cleanup EXIT
}
# Start a command in the background and remember it for cleanup.
hv_bg() { "$@" & HV_BG_PIDS="$HV_BG_PIDS $!"; HV_LAST_PID=$!; }

# hv_wait_for TIMEOUT_S CMD...: poll CMD (every 50 ms) until it succeeds.
hv_wait_for() {
	local t=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((t * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}
