#!/usr/bin/env bash
# End-to-end tests of the real copyd binary. Usage: copyd_e2e.sh COPYD CASE
# Each case runs in its own temporary directory, is bounded in time, and exits 0 (pass),
# 1 (fail) or 77 (skipped: needs root for setpriv/unshare).
set -euo pipefail

copyd=$(realpath "$1")
case_name=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/copyd-e2e.XXXXXX")
cleanup() {
    jobs -p | xargs -r kill -9 2>/dev/null || true
    chmod -R u+rwx "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

fail() { echo "FAIL($case_name): $*" >&2; exit 1; }
skip() { echo "SKIP($case_name): $*" >&2; exit 77; }
need_root() { (( EUID == 0 )) || skip "needs root"; }
# run_copyd EXPECTED_STATUS ARGS... (stdin passed through); keeps stderr in err.txt
run_copyd() {
    local want=$1; shift
    local rc=0
    timeout 60 "$copyd" "$@" 2>err.txt || rc=$?
    [[ $rc == "$want" ]] || { cat err.txt >&2; fail "exit status $rc, want $want (args: $*)"; }
}
# A copy that takes seconds: 1-byte steps (about 1-2 MB/s).
slow_file() { head -c "${2:-8M}" /dev/urandom >"$1"; }
log_has() { grep -qxF "$1" <(cut -f2- log.txt) || { cat log.txt >&2; fail "log lacks: $1"; }; }
err_has() { grep -qxF "$1" err.txt || { cat err.txt >&2; fail "stderr lacks: $1"; }; }
no_debris() {
    local extra
    extra=$(find "${1:-.}" -name '.*copyd-*' -o -name '.copyd-*' | head -n 5)
    [[ -z "$extra" ]] || fail "temporary files left: $extra"
}
# Waits poll for what they wait for, with a generous deadline: it costs nothing when things
# work, and sanitizer builds on a loaded CI machine are slow.
patience=${NETLAB_TEST_PATIENCE:-20}
wait_for_log() { # wait_for_log TEXT: until the log has a line with TEXT
    local deadline=$((SECONDS + patience))
    until grep -qF "$1" log.txt 2>/dev/null; do
        ((SECONDS < deadline)) || fail "log never got (in $patience s): $1"
        sleep 0.05
    done
}
# wait_copying PID: until copyd has written 64 KiB, i.e. a copy is well under way (wchar in
# /proc/PID/io counts what all its threads wrote, copy_file_range included).
wait_copying() {
    local deadline=$((SECONDS + patience)) w
    while :; do
        w=$(awk '/^wchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null) || w=
        [[ -n "$w" ]] || fail "copyd (pid $1) ended before its copy got under way"
        ((w >= 65536)) && return 0
        ((SECONDS < deadline)) || fail "copyd wrote only $w bytes in $patience s"
        sleep 0.02
    done
}

case "$case_name" in
pipe-pairs)
    head -c 300000 /dev/urandom >a
    head -c 7 /dev/urandom >'with space'
    printf 'a\nb\nwith space\ncopy of it\r\n' | run_copyd 0
    cmp a b && cmp 'with space' 'copy of it' || fail "copies differ"
    [[ ! -s err.txt ]] || fail "unexpected stderr: $(cat err.txt)"
    # Exactly the seed's lines, in the seed's format.
    grep -Eqv $'^[0-9]+\\.[0-9]{2}\t' log.txt && fail "malformed log line"
    log_has "Start copying a to b"
    log_has "b is copied completely"
    log_has "Start copying with space to copy of it"
    log_has "copy of it is copied completely"
    [[ $(wc -l <log.txt) == 4 ]] || fail "want 4 log lines"
    # Copying twice gives the same file (the seed appended).
    printf 'a\nb\n' | run_copyd 0
    cmp a b || fail "second copy differs"
    # An empty name (a script's empty variable) is refused and the pairs stay in step:
    # otherwise 'a' would be read as a source and copied over 'precious'.
    echo precious >precious
    printf '%s\n' "" a precious b2 | run_copyd 1
    err_has "copyd: cannot copy '' to 'a': empty file name"
    [[ $(cat precious) == precious ]] || fail "an empty name shifted the pairs"
    cmp precious b2 || fail "the pair after an empty name"
    ;;
arguments)
    head -c 1000 /dev/urandom >a
    head -c 2000 /dev/urandom >c
    chmod 0751 c
    mkdir dir
    run_copyd 0 a b c dir
    cmp a b && cmp c dir/c || fail "copies differ"
    [[ $(stat -c %a dir/c) == 751 ]] || fail "mode not kept: $(stat -c %a dir/c)"
    log_has "dir/c is copied completely"
    run_copyd 2 a
    ;;
stdin-kinds)
    head -c 5000 /dev/urandom >a
    printf 'a\nfrom-file\n' >jobs.txt
    run_copyd 0 <jobs.txt # a regular file: epoll refuses those
    cmp a from-file || fail "stdin from a regular file"
    run_copyd 0 </dev/null
    run_copyd 1 </ # a read error (EISDIR) ends the input but is not success
    err_has "copyd: cannot read standard input: Is a directory"
    # A pipe: copyd must not leave O_NONBLOCK on the description it shares with us.
    { printf 'a\nfrom-pipe\n'; sleep 0.3; } | {
        timeout 20 "$copyd" || exit 1
        python3 -c 'import fcntl,os,sys; sys.exit(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK)'
    } || fail "pipe left non-blocking (or copyd failed)"
    cmp a from-pipe || fail "stdin from a pipe"
    # A socket cannot be reopened: its flags are shared while copyd runs and put back after.
    timeout 30 python3 - "$copyd" <<'PY' || fail "stdin from a socket"
import fcntl, socket, subprocess, sys
a, b = socket.socketpair()
before = fcntl.fcntl(b.fileno(), fcntl.F_GETFL)
p = subprocess.Popen([sys.argv[1]], stdin=b.fileno())
a.sendall(b"a\nfrom-socket\n")
a.shutdown(socket.SHUT_WR)
sys.exit(p.wait(timeout=20) != 0 or fcntl.fcntl(b.fileno(), fcntl.F_GETFL) != before)
PY
    cmp a from-socket || fail "stdin from a socket: copy differs"
    head -c 100000 /dev/urandom >a.mp4
    timeout 60 python3 "$here/pty_session.py" "$copyd" "$work" || fail "pty session"
    timeout 60 python3 "$here/pty_session.py" "$copyd" "$work" interrupt || fail "pty ^C"
    ;;
prompts)
    # --prompt=always on a pipe: the seed's exact bytes.
    head -c 10 /dev/urandom >a
    printf 'a\nb\nexit\n' | timeout 20 "$copyd" --prompt=always >out.txt
    printf 'input the file name: input the new name: \ninput the file name: ' | cmp - out.txt ||
        fail "prompt bytes: $(od -c out.txt)"
    printf 'a\nc\n' | timeout 20 "$copyd" >out.txt # auto: a pipe gets no prompts
    [[ ! -s out.txt ]] || fail "prompts on a pipe"
    ;;
overlap)
    head -c 400M /dev/zero >big1
    head -c 400M /dev/zero >big2
    { printf 'big1\ncopy1\n'; sleep 0.05; printf 'big2\ncopy2\n'; } |
        run_copyd 0 --chunk-size 10000
    cmp big1 copy1 && cmp big2 copy2 || fail "copies differ"
    order=$(cut -f2 log.txt | sed -E 's/^(Start copying big.).*/\1/; s/^(copy.) is copied.*/\1 done/' | tr '\n' ,)
    [[ $order == "Start copying big1,Start copying big2,"* ]] ||
        fail "second copy did not start before the first completed: $order"
    ;;
exit-waits)
    slow_file src 2M
    printf 'src\ndst\nexit\n' | run_copyd 0 --chunk-size 1
    cmp src dst || fail "exit did not wait for the copy"
    log_has "dst is copied completely"
    slow_file src2 2M
    printf 'src2\ndst2\n' | run_copyd 0 --chunk-size 1 # EOF waits too
    cmp src2 dst2 || fail "EOF did not wait for the copy"
    ;;
exit-at-destination)
    # `exit` where a destination belongs drops the source, as end of input there does: both
    # say so and fail the run.
    head -c 100 /dev/urandom >a
    printf 'a\nexit\n' | run_copyd 1
    err_has "copyd: input ended (exit) after source 'a' without a destination; not copied"
    printf 'a\n' | run_copyd 1
    err_has "copyd: input ended after source 'a' without a destination; not copied"
    printf 'a\nb\nexit\n' | run_copyd 0 # exit where a source belongs is the normal end
    cmp a b || fail "copy before exit"
    [[ ! -s err.txt ]] || fail "unexpected stderr: $(cat err.txt)"
    ;;
nul-names)
    # A NUL byte cannot be in a file name: open(2) would see "src" instead of "src\0.bin".
    # Such a pair is refused like any other, and the pairs after it stay in step.
    head -c 100 /dev/urandom >src
    printf 'src\0.bin\nout\nsrc\nout\0.bin\nsrc\ngood\n' | run_copyd 1
    err_has "copyd: cannot copy 'src\\x00.bin' to 'out': file name contains a NUL byte"
    err_has "copyd: cannot copy 'src' to 'out\\x00.bin': file name contains a NUL byte"
    log_has "Failed copying src\\x00.bin to out: file name contains a NUL byte"
    [[ ! -e out ]] || fail "the name before the NUL was copied to"
    cmp src good || fail "the pair after the refused ones"
    ;;
dangling-symlink)
    # As cp: a link to nothing is neither written through nor replaced by a regular file.
    head -c 100 /dev/urandom >src
    ln -s nosuchdir/t lnk
    run_copyd 1 src lnk
    err_has "copyd: cannot copy 'src' to 'lnk': not writing through dangling symbolic link"
    log_has "Failed copying src to lnk: not writing through dangling symbolic link"
    [[ -L lnk && $(readlink lnk) == nosuchdir/t ]] || fail "the link was replaced"
    [[ ! -e nosuchdir ]] || fail "written through the link"
    ln -s src good-link # a link to a file: its target is written, as before
    head -c 100 /dev/urandom >new
    run_copyd 0 new good-link
    [[ -L good-link ]] && cmp new src || fail "link to an existing file"
    ;;
refusals)
    head -c 1000 /dev/urandom >a
    mkdir d
    mkfifo fifo
    ln a hard
    ln -s a soft
    printf '%s\n' missing x d x /dev/zero x fifo x a a a hard a soft a nodir/x |
        run_copyd 1
    err_has "copyd: cannot copy 'missing' to 'x': No such file or directory"
    err_has "copyd: cannot copy 'd' to 'x': source is a directory"
    err_has "copyd: cannot copy '/dev/zero' to 'x': source is not a regular file"
    err_has "copyd: cannot copy 'fifo' to 'x': source is not a regular file"
    err_has "copyd: cannot copy 'a' to 'a': source and destination are the same file"
    err_has "copyd: cannot copy 'a' to 'hard': source and destination are the same file"
    err_has "copyd: cannot copy 'a' to 'soft': source and destination are the same file"
    err_has "copyd: cannot copy 'a' to 'nodir/x': destination directory: No such file or directory"
    log_has "Failed copying missing to x: No such file or directory"
    log_has "Failed copying fifo to x: source is not a regular file"
    [[ ! -e x ]] || fail "x created"
    # The program keeps going after refusals.
    printf 'missing\nx\na\ngood\n' | run_copyd 1
    cmp a good || fail "copy after a refusal"
    # Device destination written in place, never renamed over.
    run_copyd 0 a /dev/null
    [[ -c /dev/null ]] || fail "/dev/null replaced!"
    ;;
running-conflicts)
    slow_file big 4M
    head -c 100 /dev/urandom >small
    # The conflicting pairs are sent once the first copy is running.
    mkfifo jobs
    "$copyd" --chunk-size 1 <jobs 2>err.txt &
    pid=$!
    exec 7>jobs
    printf 'big\nout\n' >&7
    wait_for_log "Start copying big to out"
    printf 'small\nout\nout\nelse\n' >&7
    exec 7>&-
    wait_for_log "Failed copying out to else"
    kill -TERM $pid
    rc=0; wait $pid || rc=$?
    [[ $rc == 143 ]] || fail "SIGTERM exit status $rc, want 143"
    err_has "copyd: cannot copy 'small' to 'out': a running copy is writing the same destination (from 'big')"
    err_has "copyd: cannot copy 'out' to 'else': source is the unfinished destination of a running copy (from 'big')"
    log_has "Failed copying big to out: interrupted"
    [[ ! -e out && ! -e else ]] || fail "destination left behind"
    no_debris
    ;;
signals)
    slow_file big 8M
    for sig in INT TERM HUP; do
        mkdir "d$sig"
        printf 'big\nd%s/copy\n' "$sig" >jobs
        "$copyd" --chunk-size 1 <jobs 2>err.txt &
        pid=$!
        wait_for_log "Start copying big to d$sig/copy"
        wait_copying $pid # a partial copy exists: the signal must remove it
        kill -"$sig" $pid
        rc=0; wait $pid || rc=$?
        want=143
        [[ $sig == INT ]] && want=130
        [[ $sig == HUP ]] && want=129
        [[ $rc == "$want" ]] || fail "SIG$sig: exit status $rc, want $want"
        [[ -z "$(ls -A "d$sig")" ]] || fail "SIG$sig left: $(ls -A "d$sig")"
        log_has "Failed copying big to d$sig/copy: interrupted" # cancelled, not killed
    done
    # An ignored SIGHUP (nohup) stays ignored: the copy completes. copyd reads its job from a
    # FIFO held open here, so it is certainly alive when the signal arrives.
    mkdir dnohup
    mkfifo hupin
    (trap '' HUP; exec "$copyd" --chunk-size 100 <hupin 2>err.txt) &
    pid=$!
    exec 7>hupin
    printf 'big\ndnohup/copy\n' >&7
    wait_for_log "Start copying big to dnohup/copy"
    kill -HUP $pid
    exec 7>&-
    rc=0; wait $pid || rc=$?
    [[ $rc == 0 ]] || fail "ignored SIGHUP: exit status $rc, want 0"
    cmp big dnohup/copy || fail "ignored SIGHUP: copy differs"
    ;;
kill-9)
    slow_file big 8M
    mkdir out
    "$copyd" --chunk-size 1 big out/copy 2>/dev/null &
    pid=$!
    wait_for_log "Start copying big to out/copy"
    wait_copying $pid # a partial copy exists: kill -9 must leave no trace of it
    kill -9 $pid
    wait $pid 2>/dev/null || true
    [[ -z "$(ls -A out)" ]] || fail "kill -9 left: $(ls -A out)"
    ;;
permissions)
    need_root
    command -v setpriv >/dev/null || skip "no setpriv"
    chmod 755 "$work"
    head -c 1000 /dev/urandom >a
    head -c 1000 /dev/urandom >secret
    chmod 600 secret
    mkdir locked && chmod 755 locked # root's: nobody cannot write here
    mkdir open && chmod 777 open
    rc=0
    timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$copyd" --log open/log.txt secret open/x a locked/y a open/z 2>err.txt || rc=$?
    [[ $rc == 1 ]] || { cat err.txt >&2; fail "exit status $rc, want 1"; }
    err_has "copyd: cannot copy 'secret' to 'open/x': Permission denied"
    err_has "copyd: cannot copy 'a' to 'locked/y': cannot create a file in the destination directory: Permission denied"
    cmp a open/z || fail "the allowed copy failed"
    [[ ! -e open/x && -z "$(ls -A locked)" ]] || fail "refused copies left files"
    # Without /proc an unprivileged user cannot link an O_TMPFILE in: the hidden name is used.
    # (Sanitizer runtimes read their options and threads from /proc: release builds only.)
    if ! grep -qaE '__(asan|tsan)_init' "$copyd"; then
        timeout 30 unshare -m --propagation private bash -c '
            umount -l /proc || exit 1
            printf "a\nopen/noproc\n" |
                setpriv --reuid=65534 --regid=65534 --clear-groups "$1" --log open/log.txt
            ' _ "$copyd" 2>err.txt || { cat err.txt >&2; fail "copy without /proc"; }
        cmp a open/noproc || fail "copy without /proc differs"
    fi
    ;;
thread-limit)
    # No thread can be started (RLIMIT_NPROC as a user, a container's pids limit): the
    # copies still run, on the main thread, with a warning.
    need_root
    command -v setpriv >/dev/null || skip "no setpriv"
    chmod 777 "$work"
    head -c 3000000 /dev/urandom >a
    chmod 644 a
    rc=0
    # (LeakSanitizer needs a thread of its own to check at exit: off here.)
    # RLIMIT_NPROC counts every process of the uid on the machine, and an execve after the
    # uid change fails with EAGAIN while it is over: a uid nothing else runs as, never nobody
    # (a web server's workers may be nobody).
    (ulimit -u 1; ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout 30 setpriv --reuid=61977 --regid=61977 --clear-groups \
        "$copyd" --threads 4 a b 2>err.txt) || rc=$?
    # Still over the limit (something does run as that uid): setpriv cannot even start copyd.
    if [[ $rc != 0 ]] && grep -q '^setpriv: .*Resource temporarily unavailable' err.txt; then
        skip "uid 61977 already has processes, so RLIMIT_NPROC 1 stops setpriv itself"
    fi
    [[ $rc == 0 ]] || { cat err.txt >&2; fail "exit status $rc, want 0"; }
    cmp a b || fail "copy differs"
    grep -q '^copyd: cannot start threads (.*); using one$' err.txt ||
        fail "no warning: $(cat err.txt)"
    ;;
disk-full)
    need_root
    head -c 3M /dev/urandom >big
    head -c 900K /dev/urandom >mid
    head -c 1000 /dev/urandom >small
    mkdir small-fs
    rc=0
    timeout 60 unshare -m bash -c '
        mount -t tmpfs -o size=512k tmpfs small-fs || exit 77
        "$1" big small-fs/big 2>err.txt # refused up front (fallocate)
        rc=$?
        "$1" mid small-fs/mid 2>>err.txt # too small to preallocate: fails while writing
        [[ $? == 1 && $rc == 1 ]] || rc=4
        # The failed copy freed its space: a small copy fits afterwards.
        "$1" small small-fs/small 2>>err.txt || rc=3
        ls -A small-fs >listing.txt
        exit $rc' _ "$copyd" || rc=$?
    [[ $rc != 77 ]] || skip "cannot mount tmpfs"
    [[ $rc == 1 ]] || { cat err.txt >&2; fail "exit status $rc, want 1"; }
    err_has "copyd: cannot copy 'big' to 'small-fs/big': No space left on device"
    err_has "copyd: cannot copy 'mid' to 'small-fs/mid': No space left on device"
    [[ $(cat listing.txt) == small ]] || fail "disk full left: $(cat listing.txt)"
    ;;
sizes)
    for chunk in 10000 4096; do
        for size in 0 1 $((chunk - 1)) $chunk $((chunk + 1)); do
            head -c "$size" /dev/urandom >"s$size"
            run_copyd 0 --chunk-size $chunk "s$size" "c$size"
            cmp "s$size" "c$size" || fail "size $size, chunk $chunk"
        done
    done
    # The default chunk too, around its boundary.
    for size in 1048575 1048576 1048577; do
        head -c "$size" /dev/urandom >"s$size"
        run_copyd 0 "s$size" "c$size"
        cmp "s$size" "c$size" || fail "size $size, default chunk"
    done
    ;;
sparse)
    # 5 GiB with data at the start, across 4 GiB and at the end: cheap because sparse.
    truncate -s 5G sparse
    for at in 0 4194303 5242879; do # in KiB
        head -c 8192 /dev/urandom | dd of=sparse bs=1K seek=$at conv=notrunc status=none
    done
    run_copyd 0 sparse copy
    [[ $(stat -c %s copy) == $(stat -c %s sparse) ]] || fail "size differs"
    (( $(stat -c %b copy) <= $(stat -c %b sparse) + 128 )) ||
        fail "holes filled: $(stat -c %b copy) blocks vs $(stat -c %b sparse)"
    for at in 0 4194303 5242879; do
        cmp <(dd if=sparse bs=1K skip=$at count=8 status=none) \
            <(dd if=copy bs=1K skip=$at count=8 status=none) || fail "data at ${at} KiB differs"
    done
    cmp <(dd if=copy bs=1K skip=4194400 count=64 status=none) <(head -c 65536 /dev/zero) ||
        fail "hole is not zeros"
    ;;
progress)
    slow_file big 3M
    run_copyd 0 --chunk-size 1 --progress --progress-interval 0.2 big copy
    grep -Eq "^copyd: 'big' -> 'copy': [0-9.]+ [KMG]?i?B / 3.0 MiB \([0-9]+%\), " err.txt ||
        fail "no progress lines: $(head -c 500 err.txt)"
    cmp big copy || fail "copy differs"
    ;;
many-files)
    # More copies than descriptors: the rest wait their turn instead of failing with EMFILE.
    mkdir src dst
    for i in $(seq 200); do head -c 1M /dev/zero >"src/f$i"; done
    (
        ulimit -n 64
        for i in $(seq 200); do printf 'src/f%s\ndst/\n' "$i"; done | run_copyd 0
    ) || exit 1
    [[ $(ls dst | wc -l) == 200 ]] || fail "only $(ls dst | wc -l) of 200 copied"
    ;;
closed-fds)
    # A closed stderr must not make refusals land in the log (the next open reuses fd 2).
    head -c 1000 /dev/urandom >a
    rc=0
    timeout 20 "$copyd" missing x a b 2>&- || rc=$?
    [[ $rc == 1 ]] || fail "exit status $rc, want 1"
    cmp a b || fail "copy differs"
    grep -Ev $'^[0-9]+\\.[0-9]{2}\t' log.txt && fail "foreign line in the log"
    [[ $(wc -l <log.txt) == 3 ]] || fail "want 3 log lines: $(cat log.txt)"
    rc=0
    timeout 20 "$copyd" <&- >&- 2>&- || rc=$? # no input at all: nothing to do
    [[ $rc == 0 ]] || fail "closed stdin/stdout/stderr: exit status $rc, want 0"
    ;;
special-sources)
    # Across filesystems (copy_file_range: EXDEV on older kernels) and /proc files (size 0).
    shm=$(mktemp -d /dev/shm/copyd-e2e.XXXXXX) || skip "no /dev/shm"
    trap 'rm -rf "$shm"; cleanup' EXIT
    head -c 3000000 /dev/urandom >a
    run_copyd 0 a "$shm/a" /proc/self/status status
    run_copyd 0 "$shm/a" back
    cmp a "$shm/a" && cmp a back || fail "cross-filesystem copy differs"
    grep -q '^Name:' status || fail "/proc file not copied: $(head -c 200 status)"
    ;;
copy-many)
    script="$here/../../../scripts/copy-many"
    mkdir src dst
    for i in $(seq 30); do head -c $((i * 3000)) /dev/urandom >"src/file $i"; done
    head -c 10 /dev/urandom >exit # the word that ends copyd's input, as a file name
    COPYD=$copyd timeout 60 "$script" --log log.txt dst src/* exit 2>err.txt ||
        { cat err.txt >&2; fail "copy-many failed"; }
    for i in $(seq 30); do cmp "src/file $i" "dst/file $i" || fail "file $i"; done
    cmp exit dst/exit || fail "file named exit"
    rc=0
    COPYD=$copyd timeout 60 "$script" --log log.txt dst src/* missing 2>err.txt || rc=$?
    [[ $rc == 1 ]] || fail "a missing file gave exit status $rc, want 1"
    err_has "copyd: cannot copy 'missing' to 'dst': No such file or directory"
    rc=0
    COPYD=$copyd "$script" dst 2>/dev/null || rc=$?
    [[ $rc == 2 ]] || fail "usage error gave $rc, want 2"
    ;;
*)
    echo "unknown case '$case_name'" >&2
    exit 2
    ;;
esac
echo "ok: $case_name"
