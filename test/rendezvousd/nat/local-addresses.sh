#!/usr/bin/env bash
# The "reply from the address the client sent to" tests with more local addresses than the
# host has: in a network namespace of their own (unshare -n: it vanishes with the process, no
# teardown needed), with a second IPv6 address on lo and IPv4, IPv6 and link-local addresses on a
# veth interface. Root only (exit 77 = skipped otherwise).
# Usage: local-addresses.sh RENDEZVOUSD_IO_TEST
set -euo pipefail
test_bin=$1
if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    echo "local-addresses: needs root, unshare and ip: skipped"
    exit 77
fi
exec unshare --net bash -euo pipefail -c '
    ip link set lo up
    ip -6 addr add fd00:5::2/128 dev lo
    ip link add d0 type veth peer name d1
    ip link set d0 up
    ip link set d1 up
    ip addr add 192.0.2.10/24 dev d0
    ip -6 addr add 2001:db8:5::10/64 dev d0 nodad
    ip -6 addr add fe80::10/64 dev d0 nodad
    export NETLAB_TEST_LOCAL_ADDRESSES="127.0.0.3 192.0.2.10 fd00:5::2 2001:db8:5::10 fe80::10%d0"
    exec "$0" --gtest_filter="UdpServer.RepliesFrom*:UdpServer.IsDualStack"
' "$test_bin"
