#!/usr/bin/env bash
# Usage: essential_tools.sh UNIT_FILE...
# Every program a shipped unit runs (ExecStart=, ExecReload=, ...) is netlab's own or comes
# from a Debian package marked Essential, so the unit works on a minimal Debian (debootstrap
# --variant=minbase): /bin/kill, for one, is procps, which minbase does not have.
# Exit 77 (skipped) without dpkg.
set -euo pipefail
command -v dpkg-query >/dev/null || { echo "no dpkg-query"; exit 77; }
ours='^/usr(/local)?/bin/(webd|rendezvousd|peerchat|copyd)$'
bad=0
for unit in "$@"; do
    while IFS= read -r line; do
        cmd=${line#*=}
        cmd=${cmd##[-@+!:]}  # systemd's prefixes: ignore failure, argv0, privileges...
        cmd=${cmd##[-@+!:]}
        prog=${cmd%% *}
        [[ $prog =~ $ours ]] && continue
        pkg=$(dpkg-query -S "$prog" 2>/dev/null | grep -v '^diversion' | head -n1 | cut -d: -f1) || true
        if [[ -z $pkg ]]; then
            echo "$(basename "$unit"): $prog belongs to no installed package"; bad=1; continue
        fi
        essential=$(dpkg-query -W -f='${Essential}' "$pkg")
        if [[ $essential != yes ]]; then
            echo "$(basename "$unit"): $prog is from $pkg, which is not Essential"; bad=1
        fi
    done < <(grep -E '^Exec[A-Za-z]*=' "$unit")
done
((bad == 0)) || exit 1
echo "every program the units run is netlab's or Essential"
