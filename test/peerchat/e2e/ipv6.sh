#!/usr/bin/env bash
# Usage: ipv6.sh RENDEZVOUSD PEERCHAT
# One rendezvousd (dual-stack), peerchats registered over IPv6 loopback ([::1]) and over IPv4
# (127.0.0.1, and 127.0.0.1 written as the IPv4-mapped [::ffff:127.0.0.1]) on free ports:
# everyone lists everyone (IPv6 as [addr]:port, mapped addresses as plain IPv4), chat goes both
# ways within and across the families, @exit deregisters. Exits 77 (skipped) without IPv6 on lo.
set -euo pipefail
# shellcheck source=../../lib.bash
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../lib.bash"
rdv=$1 pc=$2
if ! grep -Eq '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
    echo "SKIP: no IPv6 loopback address (::1) on lo" >&2
    exit 77
fi
enter_scratch_dir


"$rdv" --port 0 --stats-interval 0 >srv.out 2>srv.err &
pids+=("$!")
wait_for srv.err 'listening on UDP port [0-9]+'
port=$(grep -Eo 'port [0-9]+' srv.err | cut -d' ' -f2)

# name -> the --server form it uses; its stdin is a FIFO kept open on a numbered descriptor.
declare -A server=([a6]="[::1]:$port" [b6]="[::1]:$port" [c4]="127.0.0.1:$port"
                   [d4]="[::ffff:127.0.0.1]:$port")
declare -A fd=([a6]=7 [b6]=8 [c4]=9 [d4]=6)
declare -A pid
names=(a6 b6 c4 d4)
for n in "${names[@]}"; do
    mkfifo "$n.in"
    "$pc" --id "$n" --server "${server[$n]}" --port 0 --refresh 1 <"$n.in" >"$n.out" 2>"$n.err" &
    pids+=("$!")
    pid[$n]=$!
    eval "exec ${fd[$n]}>$n.in"
done
say() { echo "$2" >&"${fd[$1]}"; }

# The server sees the IPv6 clients at [::1] and the others (mapped or not) at 127.0.0.1.
wait_for srv.out '^a6 \[::1\]:[0-9]+$'
wait_for srv.out '^b6 \[::1\]:[0-9]+$'
wait_for srv.out '^c4 127\.0\.0\.1:[0-9]+$'
wait_for srv.out '^d4 127\.0\.0\.1:[0-9]+$'

# Everyone lists the three others. Across families the address in use is the one the server
# saw (IPv6 printed as [addr]:port); within one, all on this host, it may be a loopback private
# endpoint of either family. The list may still be arriving, a path still be punched: ask
# again until it is all there (bounded).
seen() { grep -Eo "^$1 [^ ]+$" srv.out | head -1 | cut -d' ' -f2 | sed 's/[].[]/\\&/g'; }
family() { [[ $1 == *6 ]] && echo 6 || echo 4; }
for n in "${names[@]}"; do
    deadline=$((SECONDS + 10))
    for other in "${names[@]}"; do
        [[ $other == "$n" ]] && continue
        if [[ $(family "$n") == $(family "$other") ]]; then
            re="^$other (\\[::1\\]|127\\.0\\.0\\.1):[0-9]+ (private|public)$"
        else
            re="^$other $(seen "$other") public$"
        fi
        until grep -Eq -- "$re" "$n.out"; do
            ((SECONDS < deadline)) || fail "$n does not list $other as /$re/"
            say "$n" @show_list
            sleep 0.2
        done
    done
done
! grep -q 'ffff' ./*.out || fail "an IPv4-mapped address was printed"

# Chat both ways: IPv6 <-> IPv6, IPv4 <-> IPv4 (one of them via the mapped form), and across.
chat() { say "$1" "@chat $2 $3"; wait_for "$2.out" "^From $1 \[$3\]$" 10; }
chat a6 b6 'six to six'
chat b6 a6 'six back'
chat c4 d4 'four to four'
chat d4 c4 'four back'
chat a6 c4 'six to four'
chat c4 a6 'four to six'
chat d4 b6 'mapped to six'
chat b6 d4 'six to mapped'
for n in "${names[@]}"; do
    ! grep -q 'not delivered' "$n.err" || fail "$n: a message was not delivered"
    [[ $(grep -c '^From ' "$n.out") -eq 2 ]] || fail "$n did not get exactly its two messages"
done

# @exit (or end of input) deregisters at once, whatever the family; everyone exits 0.
say a6 @exit
wait_for srv.out '^a6 is deregistered \[::1\]:[0-9]+$'
say d4 @exit
wait_for srv.out '^d4 is deregistered 127\.0\.0\.1:[0-9]+$'
exec 8>&- 9>&-
wait_for srv.out '^b6 is deregistered \[::1\]:[0-9]+$'
wait_for srv.out '^c4 is deregistered 127\.0\.0\.1:[0-9]+$'
for n in "${names[@]}"; do
    wait "${pid[$n]}" || fail "$n exited with $?"
    [[ ! -s $n.err ]] || fail "$n wrote to stderr"
done
echo "ok"
