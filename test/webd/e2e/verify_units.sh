#!/usr/bin/env bash
# systemd-analyze verify on webd.service + webd.socket, with ExecStart pointed at the built
# binary (verify checks that it exists), and webd itself accepting the example config.
# Usage: verify_units.sh CONFIG_DIR WEBD_BINARY
set -euo pipefail
config=$1
webd=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed "s|/usr/local/bin/webd|$webd|; s|/etc/netlab/webd.conf|$config/webd.conf|" \
    "$config/webd.service" >"$tmp/webd.service"
cp "$config/webd.socket" "$tmp/webd.socket"
# --man=no: no man pages needed; any warning about the units themselves fails the test.
out=$(systemd-analyze verify --man=no "$tmp/webd.socket" "$tmp/webd.service" 2>&1) || {
    printf '%s\n' "$out"; echo "verify failed"; exit 1; }
if grep -E "webd\.(service|socket)" <<<"$out"; then
    echo "verify printed warnings about the units"; exit 1
fi

# The example config parses: webd starts with it (root and port overridden) and serves.
mkdir "$tmp/root"
echo hello >"$tmp/root/index.html"
"$webd" --config "$config/webd.conf" --root "$tmp/root" --port 0 --bind 127.0.0.1 \
    --access-log off >/dev/null 2>"$tmp/err" &
pid=$!
# Until it says it serves (a generous deadline: sanitizer builds on a loaded machine are slow).
deadline=$((SECONDS + ${NETLAB_TEST_PATIENCE:-20}))
until grep -q "serving" "$tmp/err"; do
    if ((SECONDS >= deadline)) || ! kill -0 "$pid" 2>/dev/null; then
        echo "webd with webd.conf did not start serving:"; cat "$tmp/err"; kill "$pid" 2>/dev/null; exit 1
    fi
    sleep 0.05
done
port=$(sed -nE 's/.* on [^ ]*:([0-9]+) .*/\1/p' "$tmp/err" | head -n1)
body=$(curl -s "http://127.0.0.1:$port/")
kill -TERM "$pid"
wait "$pid"
[[ "$body" == hello ]] || { echo "webd with webd.conf did not serve: '$body'"; cat "$tmp/err"; exit 1; }

# A bad config file is a usage error (exit 2) with a message.
echo "no-such-option = 1" >"$tmp/bad.conf"
set +e
"$webd" --config "$tmp/bad.conf" 2>"$tmp/bad.err"
rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "bad config: exit $rc, want 2"; exit 1; }
grep -q "no-such-option" "$tmp/bad.err"
echo "units and config OK"
