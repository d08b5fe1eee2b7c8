#!/usr/bin/env bash
# Usage: bind.sh RENDEZVOUSD PEERCHAT
# --bind ADDR listens on that address only; a port that is taken, or an address that is not
# ours, is one plain error line (no library source location) and exit 1; --bind that is not
# an IP address is a usage error (exit 2).
set -euo pipefail
# shellcheck source=../../lib.bash
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../lib.bash"
rdv=$1 pc=$2
enter_scratch_dir

# start NAME ARGS...: a rendezvousd on a free port; sets $port.
start() {
    local name=$1; shift
    "$rdv" --port 0 --stats-interval 0 "$@" >"$name.out" 2>"$name.err" &
    pids+=("$!")
    wait_for "$name.err" 'listening on UDP port [0-9]+'
    port=$(grep -Eo 'port [0-9]+' "$name.err" | cut -d' ' -f2)
}

# second NAME EXPECTED-LINE ARGS...: a rendezvousd that must fail with exactly that line.
second() {
    local name=$1 line=$2 rc=0; shift 2
    "$rdv" --stats-interval 0 "$@" >"$name.out" 2>"$name.err" || rc=$?
    ((rc == 1)) || fail "$name: exited $rc, not 1"
    [[ $(cat "$name.err") == "$line" ]] || fail "$name: stderr is '$(cat "$name.err")', not '$line'"
}

# Every interface: the port is taken for both families.
start all
second taken "rendezvousd: cannot listen on [::]:$port: Address already in use" --port "$port"
second taken4 "rendezvousd: cannot listen on 127.0.0.1:$port: Address already in use" \
    --bind 127.0.0.1 --port "$port"

# Loopback only: a client on 127.0.0.1 registers; the socket is bound to 127.0.0.1 alone.
start lo --bind 127.0.0.1
ss -Hunl "sport = :$port" >lo.ss
grep -q "127.0.0.1:$port " lo.ss || fail "not on 127.0.0.1:$port: $(cat lo.ss)"
! grep -q '\*:\|\[::\]' lo.ss || fail "also on a wildcard address: $(cat lo.ss)"
printf '@exit\n' | "$pc" --id alice --server "127.0.0.1:$port" --port 0 >/dev/null 2>&1
wait_for lo.out '^alice is deregistered 127\.0\.0\.1:[0-9]+$'

# An address this host does not have.
second foreign "rendezvousd: cannot listen on 192.0.2.1:0: Cannot assign requested address" \
    --bind 192.0.2.1 --port 0

# Not an address at all: a usage error.
rc=0; "$rdv" --bind not-an-address 2>usage.err || rc=$?
((rc == 2)) || fail "--bind not-an-address exited $rc, not 2"
grep -q "^rendezvousd: --bind must be an IP address, not 'not-an-address'$" usage.err ||
    fail "usage error: $(cat usage.err)"
echo "bind: ok"
