#!/usr/bin/env bash
# Usage: verify-unit.sh UNIT_FILE BINARY
# Runs `systemd-analyze verify` on UNIT_FILE with its ExecStart pointed at BINARY (the unit
# names the installed path). Exit 77 (skipped) without systemd-analyze.
set -euo pipefail
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed"; exit 77; }
unit=$1 binary=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/[a-z]*|$binary|" "$unit" >"$dir/$(basename "$unit")"
systemd-analyze verify "$dir/$(basename "$unit")" 2>&1
