#!/usr/bin/env bash
# Usage: journal.sh RENDEZVOUSD PEERCHAT
# Journal priority prefixes: with $JOURNAL_STREAM naming rendezvousd's stdout (or stderr), as
# systemd sets it, each line written there starts with "<N>"; with the variable unset, or
# naming some other stream (inherited through a redirection), the output is the seed's, unchanged.
set -euo pipefail
# shellcheck source=../../lib.bash
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../lib.bash"
rdv=$1 pc=$2
enter_scratch_dir

expect() { grep -Eq -- "$2" "$1" || fail "no /$2/ in $1"; }
expect_not() { ! grep -Eq -- "$2" "$1" || fail "unexpected /$2/ in $1"; }

# run NAME JOURNAL: rendezvousd with JOURNAL_STREAM naming NAME.out (out), NAME.err (err), an
# unrelated file (other) or unset (none); one client registers and leaves, a SIGUSR1 stats
# line, and a second rendezvousd on the same port fails (an error line).
run() {
    local name=$1 target=$2 js
    : >"$name.out"; : >"$name.err"; : >"$name.other"
    case $target in
        out|err|other) js=$(stat -c '%d:%i' "$name.$target") ;;
        none) js= ;;
    esac
    local env_args=(env -u JOURNAL_STREAM)
    [[ -n $js ]] && env_args=(env "JOURNAL_STREAM=$js")
    "${env_args[@]}" "$rdv" --port 0 --stats-interval 0 >>"$name.out" 2>>"$name.err" &
    local srv=$!; pids+=("$srv")
    wait_for "$name.err" 'listening on UDP port [0-9]+'
    local port
    port=$(grep -Eo 'port [0-9]+' "$name.err" | cut -d' ' -f2)
    printf '@exit\n' | "$pc" --id alice --server "127.0.0.1:$port" --port 0 >/dev/null 2>&1
    wait_for "$name.out" 'alice is deregistered'
    kill -USR1 "$srv"
    wait_for "$name.out" 'stats clients=0 '
    local rc=0
    "${env_args[@]}" "$rdv" --port "$port" >>"$name.out" 2>>"$name.err" || rc=$?
    ((rc == 1)) || fail "$name: a second rendezvousd on port $port exited $rc, not 1"
    kill "$srv"; wait "$srv" 2>/dev/null || true
}

run out out
expect out.out '^<6>alice 127\.0\.0\.1:[0-9]+$'
expect out.out '^<6>alice is deregistered 127\.0\.0\.1:[0-9]+$'
expect out.out '^<6>stats clients=0 '
expect_not out.out '^[^<]'
expect out.err '^rendezvousd: listening on UDP port [0-9]+$'
expect out.err '^rendezvousd: .*[Aa]ddress already in use'
expect_not out.err '^<'

run err err
expect err.err '^<6>rendezvousd: listening on UDP port [0-9]+$'
expect err.err '^<3>rendezvousd: .*[Aa]ddress already in use'
expect_not err.err '^[^<]'
expect err.out '^alice 127\.0\.0\.1:[0-9]+$'
expect_not err.out '^<'

for target in none other; do
    run "$target" "$target"
    expect "$target.out" '^alice 127\.0\.0\.1:[0-9]+$'
    expect "$target.out" '^alice is deregistered 127\.0\.0\.1:[0-9]+$'
    expect "$target.out" '^stats clients=0 '
    expect "$target.err" '^rendezvousd: listening on UDP port [0-9]+$'
    expect_not "$target.out" '^<'
    expect_not "$target.err" '^<'
done

# Usage errors are errors too.
: >usage.err
js=$(stat -c '%d:%i' usage.err)
rc=0; JOURNAL_STREAM=$js "$rdv" --port nope 2>>usage.err || rc=$?
((rc == 2)) || fail "a bad option exited $rc, not 2"
expect usage.err '^<3>rendezvousd: '
expect_not usage.err '^[^<]'
echo "journal prefixes: ok"
