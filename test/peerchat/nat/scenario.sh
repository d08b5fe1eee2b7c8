#!/usr/bin/env bash
# Usage: scripts/nat-lab test/peerchat/nat/scenario.sh RENDEZVOUSD PEERCHAT
# The issue's NAT checks, run inside the lab nat-lab built (NL_* variables): rendezvousd on
# the public segment, peerchat on P1 (no NAT), A1 + A2 (NAT A), B1 (NAT B), C1 (symmetric NAT C).
set -euo pipefail
rdv=$(realpath "$1") pc=$(realpath "$2")
dir=$(mktemp -d)
declare -A pid fd
cleanup() {
    local p
    for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"

step() { echo "--- $*"; }
fail() {
    echo "FAIL: $*" >&2
    for f in *.out *.err; do echo "== $f" >&2; cat "$f" >&2; done
    exit 1
}
wait_for() { # FILE REGEX [SECONDS]
    local deadline=$((SECONDS + ${3:-10}))
    until grep -Eq -- "$2" "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "timed out waiting for /$2/ in $1"
        sleep 0.1
    done
}
start_client() { # NAME NAMESPACE [ARGS...]
    local name=$1 ns=$2
    shift 2
    mkfifo "$name.in"
    ip netns exec "$ns" "$pc" --id "$name" --server "$NL_SERVER_IP" --refresh 2 "$@" \
        <"$name.in" >"$name.out" 2>"$name.err" &
    pid[$name]=$!
    exec {fd[$name]}>"$name.in"
}
say() { echo "$2" >&"${fd[$1]}"; }
show_list() { # NAME -> the lines of one fresh @show_list on stdout
    local before
    before=$(wc -l <"$1.out")
    say "$1" @show_list
    sleep 0.3
    tail -n +"$((before + 1))" "$1.out" | grep -Ev '^From '
}
expect_path() { # NAME PEER REGEX
    local list
    list=$(show_list "$1")
    grep -Eq "^$2 $3\$" <<<"$list" || fail "$1 lists $2 as '$(grep "^$2 " <<<"$list")', expected /$3/"
    echo "$1 -> $(grep "^$2 " <<<"$list")"
}
relayed() { # the server's relay counter, from a fresh stats line
    local before
    before=$(grep -c '^stats ' srv.out || true)
    kill -USR1 "${pid[srv]}"
    local deadline=$((SECONDS + 5))
    until (($(grep -c '^stats ' srv.out || true) > before)); do
        ((SECONDS < deadline)) || fail "no stats line after SIGUSR1"
        sleep 0.05
    done
    grep '^stats ' srv.out | tail -n 1 | grep -Eo 'relayed=[0-9]+' | cut -d= -f2
}
set_loss() { # PCT on NAT B's uplink, both ways (0 removes it)
    ip netns exec "$NL_NAT_B" iptables -D FORWARD -i wan0 -m statistic --mode random --probability 0.20 -j DROP 2>/dev/null || true
    ip netns exec "$NL_NAT_B" iptables -D FORWARD -o wan0 -m statistic --mode random --probability 0.20 -j DROP 2>/dev/null || true
    ip netns exec "$NL_NAT_B" tc qdisc del dev wan0 root 2>/dev/null || true
    ip netns exec "$NL_INET" tc qdisc del dev natb root 2>/dev/null || true
    (($1 > 0)) || return 0
    if ip netns exec "$NL_NAT_B" tc qdisc add dev wan0 root netem loss "$1%" 2>/dev/null; then
        ip netns exec "$NL_INET" tc qdisc add dev natb root netem loss "$1%"
    else # kernels without sch_netem
        ip netns exec "$NL_NAT_B" iptables -I FORWARD -i wan0 -m statistic --mode random --probability 0.20 -j DROP
        ip netns exec "$NL_NAT_B" iptables -I FORWARD -o wan0 -m statistic --mode random --probability 0.20 -j DROP
    fi
}

step "rendezvousd on $NL_SERVER_IP, five clients"
ip netns exec "$NL_S" "$rdv" --expiry 6 --stats-interval 0 >srv.out 2>srv.err &
pid[srv]=$!
wait_for srv.err 'listening on UDP port 10080'
start_client p1 "$NL_P1"
start_client a1 "$NL_A1"
start_client a2 "$NL_A2"
start_client b1 "$NL_B1"
start_client c1 "$NL_C1"
for c in p1 a1 a2 b1 c1; do wait_for srv.out "^$c [0-9.]+:[0-9]+\$"; done
grep -q '^a1 203\.0\.113\.101:' srv.out || fail "a1 is not seen behind NAT A"
sleep 4 # hole punching (both sides probe as soon as they learn of each other)

step "every client lists every other"
for c in p1 a1 a2 b1 c1; do
    list=$(show_list "$c")
    for o in p1 a1 a2 b1 c1; do
        [[ $o == "$c" ]] && continue
        grep -q "^$o " <<<"$list" || fail "$c does not list $o"
    done
    (($(wc -l <<<"$list") == 4)) || fail "$c lists $(wc -l <<<"$list") peers, expected 4"
done

step "paths"
expect_path a1 a2 '10\.0\.1\.12:10081 private'
expect_path a2 a1 '10\.0\.1\.11:10081 private'
expect_path a1 b1 '203\.0\.113\.102:[0-9]+ public'
expect_path b1 a1 '203\.0\.113\.101:[0-9]+ public'
expect_path b1 c1 '203\.0\.113\.103:[0-9]+ relay'
expect_path c1 b1 '203\.0\.113\.102:[0-9]+ relay'
expect_path p1 c1 '203\.0\.113\.103:[0-9]+ public'
expect_path c1 p1 '203\.0\.113\.10:10081 public'
# The latched mapping is not the one the server saw (symmetric NAT).
c1_seen=$(grep -Eo '^c1 [0-9.:]+' srv.out | cut -d' ' -f2)
c1_used=$(show_list p1 | grep '^c1 ' | cut -d' ' -f2)
[[ "$c1_seen" != "$c1_used" ]] || fail "p1 uses c1's server-side mapping $c1_seen: no latching happened"

step "direct chats: A1<->A2 private, A1<->B1 punched, P1<->C1 latched; relay counter stays 0"
say a1 '@chat a2 hello neighbour'
say a2 '@chat a1 hi a1'
say a1 '@chat b1 across two NATs'
say b1 '@chat a1 right back'
say p1 '@chat c1 to the symmetric NAT'
say c1 '@chat p1 from the symmetric NAT'
wait_for a2.out '^From a1 \[hello neighbour\]$'
wait_for a1.out '^From a2 \[hi a1\]$'
wait_for b1.out '^From a1 \[across two NATs\]$'
wait_for a1.out '^From b1 \[right back\]$'
wait_for c1.out '^From p1 \[to the symmetric NAT\]$'
wait_for p1.out '^From c1 \[from the symmetric NAT\]$'
sleep 0.5
r=$(relayed)
((r == 0)) || fail "relay counter is $r after direct chats, expected 0"

step "C1<->B1 through the relay"
say c1 '@chat b1 via the server'
say b1 '@chat c1 via the server too'
wait_for b1.out '^From c1 \[via the server\]$'
wait_for c1.out '^From b1 \[via the server too\]$'
r=$(relayed)
((r >= 2)) || fail "relay counter is $r after relayed chats"

step "20% loss on NAT B's uplink: each chat arrives exactly once or is reported"
set_loss 20
for i in $(seq 1 15); do
    say a1 "@chat b1 lossy a$i"
    say b1 "@chat a1 lossy b$i"
    sleep 0.1
done
sleep 8 # delivery gives up after 5 s
dropped=$( (ip netns exec "$NL_NAT_B" iptables -L FORWARD -v -x -n | awk '/statistic/ {n += $1} END {print n + 0}') || echo 0)
netem=$(ip netns exec "$NL_NAT_B" tc -s qdisc show dev wan0 2>/dev/null | grep -Eo 'dropped [0-9]+' | head -n 1 | cut -d' ' -f2 || true)
dropped=$((dropped + ${netem:-0}))
echo "datagrams dropped on NAT B's uplink: $dropped"
((dropped > 0)) || fail "the loss was not applied"
set_loss 0
for i in $(seq 1 15); do
    for pair in "b1 a1 a" "a1 b1 b"; do
        read -r to from tag <<<"$pair"
        n=$(grep -c "^From $from \[lossy $tag$i\]\$" "$to.out" || true)
        ((n <= 1)) || fail "lossy $tag$i arrived $n times"
    done
done
got_b=$(grep -c '^From a1 \[lossy ' b1.out || true)
got_a=$(grep -c '^From b1 \[lossy ' a1.out || true)
lost_a=$(grep -c '^message to b1 not delivered$' a1.err || true)
lost_b=$(grep -c '^message to a1 not delivered$' b1.err || true)
echo "a1->b1: $got_b delivered, $lost_a reported; b1->a1: $got_a delivered, $lost_b reported"
((got_b + lost_a >= 15 && got_a + lost_b >= 15)) || fail "chats silently lost"

step "hijack: b1's id from another address is refused"
mkfifo hijack.in
timeout 10 ip netns exec "$NL_A2" "$pc" --id b1 --server "$NL_SERVER_IP" --port 10082 \
    <hijack.in >hijack.out 2>hijack.err &
hpid=$!
exec {hfd}>hijack.in # stdin stays open: the refusal, not end of input, must end it
set +e
wait "$hpid"
rc=$?
set -e
exec {hfd}>&-
((rc == 1)) || fail "hijacking peerchat exited $rc, expected 1"
grep -q 'is registered from another address' hijack.err || fail "no refusal message"
expect_path a1 b1 '203\.0\.113\.102:[0-9]+ public'

step "spoofed deregistration of b1 (wrong secret) is refused"
ip netns exec "$NL_P1" bash -c \
    "printf 'NR\\x01\\x08\\x02b1\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01' >/dev/udp/$NL_SERVER_IP/10080"
sleep 0.5
! grep -q '^b1 is deregistered' srv.out || fail "a spoofed deregistration removed b1"
show_list a1 | grep -q '^b1 ' || fail "a1 lost b1 after a spoofed deregistration"

step "junk datagrams crash nothing"
ip netns exec "$NL_P1" bash -c "
    for i in \$(seq 1 50); do
        head -c \$((RANDOM % 1400 + 1)) /dev/urandom >/dev/udp/$NL_SERVER_IP/10080
        head -c \$((RANDOM % 1400 + 1)) /dev/urandom >/dev/udp/203.0.113.10/10081
        printf 'NR\\x01\\x0d' >/dev/udp/203.0.113.101/10081
    done" || true
sleep 0.5
for p in srv p1 a1 a2 b1 c1; do kill -0 "${pid[$p]}" || fail "$p died from junk"; done
say p1 '@chat a1 still alive'
wait_for a1.out '^From p1 \[still alive\]$'

step "kill -9 c1: removed from every list after the expiry"
kill -9 "${pid[c1]}"
wait_for srv.out '^c1 is disappeared 203\.0\.113\.103:' 12
sleep 0.5
for c in p1 a1 a2 b1; do ! show_list "$c" | grep -q '^c1 ' || fail "$c still lists c1"; done

step "@exit a2: removed at once"
say a2 @exit
wait_for srv.out '^a2 is deregistered 10\.0\.1\.12|^a2 is deregistered 203\.0\.113\.101:' 3
wait "${pid[a2]}" || fail "a2 exited with $?"
sleep 0.3
for c in p1 a1 b1; do ! show_list "$c" | grep -q '^a2 ' || fail "$c still lists a2"; done

for c in p1 a1 b1; do say "$c" @exit; done
for c in p1 a1 b1; do wait "${pid[$c]}" || fail "$c exited with $?"; done
kill -TERM "${pid[srv]}"
wait "${pid[srv]}" || fail "rendezvousd exited with $? on SIGTERM"
echo "ok"
