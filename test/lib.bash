# Helpers shared by the shell tests of rendezvousd and peerchat (sourced). Each test runs in its
# own directory of NAME.out / NAME.err files, one pair per process.

# For what should take milliseconds (a datagram, a line of output): generous, because it costs
# nothing when things work and ASan builds on a loaded 2-core CI machine are slow.
patience=${NETLAB_TEST_PATIENCE:-20}

# enter_scratch_dir: cd into a fresh directory, $dir, removed on exit once every process whose
# pid the test added to the array `pids` is killed.
pids=()
enter_scratch_dir() {
    dir=$(mktemp -d)
    trap leave_scratch_dir EXIT
    cd "$dir" || exit 1
}
leave_scratch_dir() {
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}

# fail MESSAGE: says why, dumps every output (less show_list's end-of-list marks), exits 1.
fail() {
    echo "FAIL: $*" >&2
    for f in *.out *.err; do echo "== $f" >&2; grep -v "unknown command '@end-of-list-" "$f" >&2 || true; done
    exit 1
}
# until_ok SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, for SECONDS at most.
until_ok() {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        ((SECONDS < deadline)) || fail "timed out after ${limit} s waiting for $what"
        sleep 0.05
    done
}
has_line() { grep -Eq -- "$2" "$1" 2>/dev/null; } # FILE REGEX
wait_for() { until_ok "${3:-$patience}" "/$2/ in $1" has_line "$1" "$2"; } # FILE REGEX [SECONDS]
