# Packet loss on NAT B's uplink in a scripts/nat-lab topology (sourced by nat-lab and by tests
# that run inside it: `source "$NL_LIB/nat-loss.bash"`; needs NL_NAT_B and NL_INET).
#
# tc netem when the kernel has it (sch_netem), as a real lossy link would be emulated;
# otherwise (kernels built without netem) an iptables `statistic` rule in NAT B's FORWARD
# chain, which drops the same share of the datagrams crossing the uplink. netem shapes egress
# only, so it sits on both ends of the uplink: NAT B's wan0 (up) and its peer in the public
# bridge namespace (down).

# nl_set_loss PCT: drop PCT% (0..100) of the datagrams crossing NAT B's uplink, each way;
# 0 removes the loss. Prints what it used and sets NL_LOSS_METHOD to netem, iptables or none.
# shellcheck disable=SC2034 # NL_LOSS_METHOD is for the caller
nl_set_loss() {
    local pct=$1
    [[ "$pct" =~ ^[0-9]+$ ]] && ((pct <= 100)) || {
        echo "nl_set_loss: PCT must be 0..100, not '$pct'" >&2
        return 2
    }
    nl_clear_loss
    NL_LOSS_METHOD=none
    ((pct > 0)) || return 0
    if ip netns exec "$NL_NAT_B" tc qdisc add dev wan0 root netem loss "$pct%" 2>/dev/null; then
        ip netns exec "$NL_INET" tc qdisc add dev natb root netem loss "$pct%" || return
        NL_LOSS_METHOD=netem
        echo "nat-lab: $pct% loss on NAT B's uplink, each way (tc netem)"
    else
        local p
        p=$(awk -v l="$pct" 'BEGIN { printf "%.4f", l / 100 }')
        ip netns exec "$NL_NAT_B" iptables -I FORWARD -i wan0 -m statistic --mode random \
            --probability "$p" -j DROP || return
        ip netns exec "$NL_NAT_B" iptables -I FORWARD -o wan0 -m statistic --mode random \
            --probability "$p" -j DROP || return
        NL_LOSS_METHOD=iptables
        echo "nat-lab: $pct% loss on NAT B's uplink, each way" \
            "(iptables statistic: this kernel has no tc netem)"
    fi
}

# nl_clear_loss: removes whatever nl_set_loss (or nat-lab --loss) put in place.
nl_clear_loss() {
    ip netns exec "$NL_NAT_B" tc qdisc del dev wan0 root 2>/dev/null || true
    ip netns exec "$NL_INET" tc qdisc del dev natb root 2>/dev/null || true
    local rule words
    while read -r rule; do
        read -ra words <<<"$rule"
        words[0]=-D # `-A FORWARD ...` as listed by -S, deleted by the same spec
        ip netns exec "$NL_NAT_B" iptables "${words[@]}" || true
    done < <(ip netns exec "$NL_NAT_B" iptables -S FORWARD 2>/dev/null | grep -- '-m statistic' || true)
}

# nl_loss_dropped: how many datagrams the loss has dropped so far (both mechanisms, each way).
nl_loss_dropped() {
    local n=0 v
    for v in $(ip netns exec "$NL_NAT_B" iptables -L FORWARD -v -x -n 2>/dev/null |
        awk '/statistic/ { print $1 }') \
        $(ip netns exec "$NL_NAT_B" tc -s qdisc show dev wan0 2>/dev/null |
            awk '/netem/ { q = 1 } q && /dropped/ { sub(/,/, "", $7); print $7; q = 0 }') \
        $(ip netns exec "$NL_INET" tc -s qdisc show dev natb 2>/dev/null |
            awk '/netem/ { q = 1 } q && /dropped/ { sub(/,/, "", $7); print $7; q = 0 }'); do
        n=$((n + v))
    done
    echo "$n"
}
