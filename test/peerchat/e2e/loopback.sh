#!/usr/bin/env bash
# Usage: loopback.sh RENDEZVOUSD PEERCHAT
# rendezvousd and peerchat on loopback (free ports only), driven through FIFOs and files:
# registration, the list, direct chat, errors, @exit, end of input, SIGTERM, expiry, junk,
# SIGUSR1 stats, and stdin left blocking.
set -euo pipefail
# shellcheck source=../../lib.bash
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../lib.bash"
rdv=$1 pc=$2
enter_scratch_dir

expiry=2 # rendezvousd --expiry
# lists NAME FD REGEX: does a fresh @show_list (through FD) of NAME have a line matching REGEX?
# An unknown command after it marks its end: peerchat handles its input in order and prints
# the list (stdout) before that command's error (stderr).
lists() {
    local before mark
    before=$(wc -l <"$1.out")
    mark="@end-of-list-${EPOCHREALTIME/./}"
    printf '@show_list\n%s\n' "$mark" >&"$2"
    wait_for "$1.err" "unknown command '$mark'"
    tail -n +"$((before + 1))" "$1.out" | grep -Eq -- "$3"
}
lists_not() { ! lists "$@"; }

"$rdv" --port 0 --expiry "$expiry" --stats-interval 0 >srv.out 2>srv.err &
srv=$!; pids+=("$srv")
wait_for srv.err 'listening on UDP port [0-9]+'
port=$(grep -Eo 'port [0-9]+' srv.err | cut -d' ' -f2)

mkfifo a.in b.in
# alice: id on the command line; bob: id from the first input line, as the seed did.
"$pc" --id alice --server "127.0.0.1:$port" --port 0 --refresh 0.5 <a.in >a.out 2>a.err &
pids+=("$!"); apid=$!
exec 7>a.in
"$pc" --server "127.0.0.1:$port" --port 0 --refresh 0.5 <b.in >b.out 2>b.err &
pids+=("$!"); bpid=$!
exec 8>b.in
echo bob >&8

wait_for srv.out '^alice 127\.0\.0\.1:[0-9]+$'
wait_for srv.out '^bob 127\.0\.0\.1:[0-9]+$'
until_ok "$patience" "alice to list bob on a direct path" lists a 7 '^bob [0-9.]+:[0-9]+ (private|public)$'
echo '@chat bob hello bob' >&7
wait_for b.out '^From alice \[hello bob\]$'
echo '@chat alice   spaces  kept ' >&8 # as typed, trailing space too
wait_for a.out '^From bob \[  spaces  kept \]$'
# C1 controls (CSI as UTF-8 and as a raw byte) reach the terminal escaped, UTF-8 text intact.
printf '@chat alice a\xc2\x9b[31mr\x9b\xc3\xa9\n' >&8
wait_for a.out '^From bob \[a\\xc2\\x9b\[31mr\\x9b'$'\xc3\xa9''\]$'
! LC_ALL=C grep -q $'\x9b' a.out || fail "a raw CSI byte reached a.out"
echo '@bogus' >&7
wait_for a.err "^peerchat: unknown command '@bogus'"
echo '@chat carol hi' >&7
wait_for a.err "^peerchat: unknown id 'carol'"

# Junk at the server crashes nothing and is counted.
for junk in '' 'GET / HTTP/1.0' 'NR'; do printf '%s' "$junk" >"/dev/udp/127.0.0.1/$port"; done
head -c 3000 /dev/urandom >"/dev/udp/127.0.0.1/$port" || true
kill -USR1 "$srv"
wait_for srv.out 'stats clients=2 .* malformed=[1-9]'

# @exit deregisters at once; bob forgets alice.
echo @exit >&7
wait_for srv.out '^alice is deregistered '
wait "$apid" || fail "alice exited with $?"
exec 7>&-
until_ok "$patience" "bob to forget alice after her @exit" lists_not b 8 '^alice '

# Stdin must not have been left non-blocking (the FIFO's open file description is shared).
flags=$(awk '/^flags:/ {print $2}' /proc/$$/fdinfo/8)
(( (8#$flags & 8#4000) == 0 )) || fail "peerchat set O_NONBLOCK on its standard input"

# End of input deregisters too.
exec 8>&-
wait_for srv.out '^bob is deregistered '
wait "$bpid" || fail "bob exited with $?"

# Regular-file input (epoll cannot watch it) and SIGTERM.
# Input that ends at once still runs after registration, then deregisters.
printf 'carol\n@show_list\n@bogus\n' >c.in
mkfifo d.in
timeout "$patience" "$pc" --server "127.0.0.1:$port" --port 0 <c.in >c.out 2>c.err || fail "carol exited with $?"
grep -q "unknown command '@bogus'" c.err || fail "carol did not read its input file"
grep -q '^carol is deregistered ' srv.out || fail "carol did not register and deregister"
"$pc" --id dave --server "127.0.0.1:$port" --port 0 <d.in >d.out 2>d.err &
pids+=("$!"); dpid=$!
exec 9>d.in
wait_for srv.out '^dave 127'
kill -TERM "$dpid"
wait_for srv.out '^dave is deregistered '
wait "$dpid" || fail "dave exited with $? after SIGTERM"

# kill -9: the server expires it (--expiry 2).
"$pc" --id eve --server "127.0.0.1:$port" --port 0 <d.in >e.out 2>e.err &
pids+=("$!"); epid=$!
wait_for srv.out '^eve 127'
kill -9 "$epid"
wait_for srv.out '^eve is disappeared 127' $((expiry + patience))
exec 9>&-

# /dev/null as input: nothing to do, a clean exit at once.
timeout "$patience" "$pc" --id frank --server "127.0.0.1:$port" --port 0 </dev/null || fail "/dev/null input: exit $?"
grep -q '^frank is deregistered ' srv.out || fail "frank did not deregister"

# Usage errors exit 2; an id taken from another address is refused with exit 1.
set +e
echo 'bad id' | "$pc" --server "127.0.0.1:$port" --port 0 2>/dev/null; rc=$?
set -e
((rc == 2)) || fail "invalid id: exit $rc, expected 2"
echo "ok"
