#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Generate configure and Makefile.in; quiet unless something goes wrong.
set -e
cd "$(dirname "$0")"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! autoreconf --force --install --symlink >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
