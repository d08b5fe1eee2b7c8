#!/usr/bin/env bash
# Usage: scripts/nat-lab test/peerchat/nat/scenario.sh RENDEZVOUSD PEERCHAT
# The issue's NAT checks, run inside the lab nat-lab built (NL_* variables): rendezvousd on
# the public segment, peerchat on P1 (no NAT), A1 + A2 (NAT A), B1 (NAT B), C1 (symmetric NAT C).
#
# Every wait is a bounded poll for something observable (a line in a peer's output, a fresh
# @show_list, a server counter); the few waits that are about time itself derive from the
# timers below. Deadlines are generous: they cost nothing when things work, and ASan builds on
# a loaded 2-core CI machine are slow.
set -euo pipefail
# shellcheck source=../../lib.bash
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../lib.bash"
rdv=$(realpath "$1") pc=$(realpath "$2")
# shellcheck source=../../../scripts/lib/nat-loss.bash
source "${NL_LIB:?run this under scripts/nat-lab}/nat-loss.bash"

# The timers this test configures...
expiry=6  # rendezvousd --expiry: a silent client is dropped after this
refresh=2 # peerchat --refresh
# ... and peerchat's fixed ones (client_options in client_types.hpp, libs/common/PROTOCOL.md).
punch_duration=10  # both sides probe a new peer for this long
delivery_timeout=5 # an unacknowledged chat is reported undelivered after this

dir=$(mktemp -d)
declare -A pid fd
cleanup() {
    local p
    for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
# nat-lab sends SIGTERM when it is interrupted: clean up here too.
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$dir"

step() { echo "--- $* ($SECONDS s)"; }
start_client() { # NAME NAMESPACE [ARGS...]
    local name=$1 ns=$2
    shift 2
    mkfifo "$name.in"
    ip netns exec "$ns" "$pc" --id "$name" --server "$NL_SERVER_IP" --refresh "$refresh" "$@" \
        <"$name.in" >"$name.out" 2>"$name.err" &
    pid[$name]=$!
    exec {fd[$name]}>"$name.in"
}
say() { # NAME LINE: one input line for NAME (a peer that exited fails the test, not SIGPIPE)
    kill -0 "${pid[$1]}" 2>/dev/null || fail "$1 is not running any more"
    (
        trap '' PIPE
        echo "$2" >&"${fd[$1]}"
    ) 2>/dev/null || fail "$1 does not read its input any more"
}
# show_list NAME: one fresh, complete @show_list of NAME in $list. An unknown command after it
# marks its end: peerchat handles its input in order and prints the list (stdout) before that
# command's error (stderr).
list=
show_list() {
    local before mark
    before=$(wc -l <"$1.out")
    mark="@end-of-list-${EPOCHREALTIME/./}"
    say "$1" @show_list
    say "$1" "$mark"
    wait_for "$1.err" "unknown command '$mark'"
    list=$(tail -n +"$((before + 1))" "$1.out" | grep -Ev '^From ' || true)
}
lists_path() { # NAME PEER REGEX: does a fresh list of NAME show PEER's path as REGEX?
    show_list "$1"
    grep -Eq "^$2 $3\$" <<<"$list"
}
lists_all_others() { # NAME: does a fresh list of NAME hold exactly the four other clients?
    local o
    show_list "$1"
    for o in p1 a1 a2 b1 c1; do
        [[ $o == "$1" ]] || grep -q "^$o " <<<"$list" || return 1
    done
    (($(grep -c . <<<"$list") == 4))
}
lists_not() { ! { show_list "$1" && grep -q "^$2 " <<<"$list"; }; } # NAME PEER
expect_path() { # NAME PEER REGEX [SECONDS]: polls until NAME's list shows that path
    local limit=${4:-$patience}
    local deadline=$((SECONDS + limit))
    until lists_path "$1" "$2" "$3"; do
        ((SECONDS < deadline)) ||
            fail "$1 lists $2 as '$(grep "^$2 " <<<"$list")' after ${limit} s, expected /$3/"
        sleep 0.1
    done
    echo "$1 -> $(grep "^$2 " <<<"$list")"
}
stats_lines_over() { (($(grep -c '^stats ' srv.out || true) > $1)); } # N
# fresh_stats: asks the server for a stats line (SIGUSR1) and waits for it; `counter NAME` then
# prints one of its counters.
stats_line=
fresh_stats() {
    local before
    before=$(grep -c '^stats ' srv.out || true)
    kill -USR1 "${pid[srv]}"
    until_ok "$patience" "a stats line after SIGUSR1" stats_lines_over "$before"
    stats_line=$(grep '^stats ' srv.out | tail -n 1)
}
counter() { # NAME
    [[ $stats_line =~ (^| )$1=([0-9]+) ]] || fail "no $1= in '$stats_line'"
    echo "${BASH_REMATCH[2]}"
}

step "rendezvousd on $NL_SERVER_IP, five clients"
ip netns exec "$NL_S" "$rdv" --expiry "$expiry" --stats-interval 0 >srv.out 2>srv.err &
pid[srv]=$!
wait_for srv.err 'listening on UDP port 10080'
start_client p1 "$NL_P1"
start_client a1 "$NL_A1"
start_client a2 "$NL_A2"
start_client b1 "$NL_B1"
start_client c1 "$NL_C1"
for c in p1 a1 a2 b1 c1; do wait_for srv.out "^$c [0-9.]+:[0-9]+\$"; done
grep -q '^a1 203\.0\.113\.101:' srv.out || fail "a1 is not seen behind NAT A"

step "every client lists every other"
for c in p1 a1 a2 b1 c1; do until_ok "$patience" "$c to list the four others" lists_all_others "$c"; done

step "paths"
# Hole punching starts when a peer appears and lasts punch_duration: a direct path that is
# not proven by then will not be.
punched=$((punch_duration + patience))
expect_path a1 a2 '10\.0\.1\.12:10081 private' "$punched"
expect_path a2 a1 '10\.0\.1\.11:10081 private' "$punched"
expect_path a1 b1 '203\.0\.113\.102:[0-9]+ public' "$punched"
expect_path b1 a1 '203\.0\.113\.101:[0-9]+ public' "$punched"
expect_path p1 c1 '203\.0\.113\.103:[0-9]+ public' "$punched"
expect_path c1 p1 '203\.0\.113\.10:10081 public' "$punched"
# Relay is what a peer shows until a path is proven: it means something only now that the
# punching that works has worked, and B <-> C (symmetric NAT) must not have.
lists_path b1 c1 '203\.0\.113\.103:[0-9]+ relay' || fail "b1 lists c1 as '$(grep '^c1 ' <<<"$list")', expected relay"
lists_path c1 b1 '203\.0\.113\.102:[0-9]+ relay' || fail "c1 lists b1 as '$(grep '^b1 ' <<<"$list")', expected relay"
# The latched mapping is not the one the server saw (symmetric NAT).
c1_seen=$(grep -Eo '^c1 [0-9.:]+' srv.out | cut -d' ' -f2)
show_list p1
c1_used=$(grep '^c1 ' <<<"$list" | cut -d' ' -f2)
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
# No wait needed: a chat that went through the relay was counted before the server forwarded
# it, so before its recipient printed it.
fresh_stats
r=$(counter relayed)
((r == 0)) || fail "relay counter is $r after direct chats, expected 0"

step "C1<->B1 through the relay"
say c1 '@chat b1 via the server'
say b1 '@chat c1 via the server too'
wait_for b1.out '^From c1 \[via the server\]$'
wait_for c1.out '^From b1 \[via the server too\]$'
fresh_stats
r=$(counter relayed)
((r >= 2)) || fail "relay counter is $r after relayed chats"

step "20% loss on NAT B's uplink: each chat arrives exactly once or is reported"
nl_set_loss 20
for i in $(seq 1 15); do
    say a1 "@chat b1 lossy a$i"
    say b1 "@chat a1 lossy b$i"
    sleep 0.1 # a steady trickle rather than one burst, as people chat
done
lossy_sent=$SECONDS
lossy_tally() {
    got_b=$(grep -c '^From a1 \[lossy ' b1.out || true)
    got_a=$(grep -c '^From b1 \[lossy ' a1.out || true)
    lost_a=$(grep -c '^message to b1 not delivered: ' a1.err || true)
    lost_b=$(grep -c '^message to a1 not delivered: ' b1.err || true)
}
lossy_settled() {
    lossy_tally
    ((got_b + lost_a >= 15 && got_a + lost_b >= 15))
}
lossy_once() { # no chat shown twice
    local i pair to from tag n
    for i in $(seq 1 15); do
        for pair in "b1 a1 a" "a1 b1 b"; do
            read -r to from tag <<<"$pair"
            n=$(grep -c "^From $from \[lossy $tag$i\]\$" "$to.out" || true)
            ((n <= 1)) || fail "lossy $tag$i arrived $n times"
        done
    done
}
# Each chat is acknowledged or reported within delivery_timeout of being sent.
deadline=$((lossy_sent + delivery_timeout + patience))
until lossy_settled; do
    ((SECONDS < deadline)) || fail "chats silently lost: a1->b1: $got_b delivered, $lost_a" \
        "reported; b1->a1: $got_a delivered, $lost_b reported (after $((SECONDS - lossy_sent)) s)"
    sleep 0.2
done
dropped=$(nl_loss_dropped)
echo "datagrams dropped on NAT B's uplink ($NL_LOSS_METHOD): $dropped"
((dropped > 0)) || fail "the loss was not applied"
nl_set_loss 0
echo "a1->b1: $got_b delivered, $lost_a reported; b1->a1: $got_a delivered, $lost_b reported"
lossy_once # checked again at the end, once every retransmission is over

step "hijack: b1's id from another address is refused"
mkfifo hijack.in
timeout "$patience" ip netns exec "$NL_A2" "$pc" --id b1 --server "$NL_SERVER_IP" --port 10082 \
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
fresh_stats
refused=$(counter refused)
ip netns exec "$NL_P1" bash -c \
    "printf 'NR\\x01\\x08\\x02b1\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01' >/dev/udp/$NL_SERVER_IP/10080"
refused_over() { fresh_stats && (($(counter refused) > $1)); }
until_ok "$patience" "the server to refuse the spoofed deregistration" refused_over "$refused"
! grep -q '^b1 is deregistered' srv.out || fail "a spoofed deregistration removed b1"
show_list a1
grep -q '^b1 ' <<<"$list" || fail "a1 lost b1 after a spoofed deregistration"

step "junk datagrams crash nothing"
junk_seen() { fresh_stats && junk=$(($(counter malformed) + $(counter rate_limited))); }
junk_seen
junk_before=$junk
ip netns exec "$NL_P1" bash -c "
    for i in \$(seq 1 50); do
        head -c \$((RANDOM % 1400 + 1)) /dev/urandom >/dev/udp/$NL_SERVER_IP/10080
        head -c \$((RANDOM % 1400 + 1)) /dev/urandom >/dev/udp/203.0.113.10/10081
        printf 'NR\\x01\\x0d' >/dev/udp/203.0.113.101/10081
    done" || true
junk_counted() { junk_seen && ((junk >= junk_before + 50)); }
until_ok "$patience" "the server to count the 50 junk datagrams (malformed or rate limited)" junk_counted
say p1 '@chat a1 still alive'
wait_for a1.out '^From p1 \[still alive\]$'
for p in srv p1 a1 a2 b1 c1; do kill -0 "${pid[$p]}" || fail "$p died from junk"; done

step "kill -9 c1: removed from every list after the expiry"
kill -9 "${pid[c1]}"
# Its last refresh was at most --refresh ago: it expires within --expiry.
wait_for srv.out '^c1 is disappeared 203\.0\.113\.103:' $((expiry + patience))
for c in p1 a1 a2 b1; do until_ok "$patience" "$c to forget c1" lists_not "$c" c1; done

step "@exit a2: removed at once"
say a2 @exit
wait_for srv.out '^a2 is deregistered 10\.0\.1\.12|^a2 is deregistered 203\.0\.113\.101:'
wait "${pid[a2]}" || fail "a2 exited with $?"
for c in p1 a1 b1; do until_ok "$patience" "$c to forget a2" lists_not "$c" a2; done

# Every lossy chat was acknowledged or given up on by lossy_sent + delivery_timeout: nothing
# can arrive twice after that. (The expiry step alone took longer; this waits only if not.)
remaining=$((lossy_sent + delivery_timeout + 2 - SECONDS))
((remaining <= 0)) || sleep "$remaining"
lossy_once

for c in p1 a1 b1; do say "$c" @exit; done
for c in p1 a1 b1; do wait "${pid[$c]}" || fail "$c exited with $?"; done
kill -TERM "${pid[srv]}"
wait "${pid[srv]}" || fail "rendezvousd exited with $? on SIGTERM"
echo "ok ($SECONDS s)"
