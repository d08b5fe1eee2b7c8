#!/usr/bin/python3
"""Black-box tests of the real webd binary over loopback: raw sockets, curl, signals.

Usage: webd_e2e.py WEBD_BINARY [unittest args, e.g. KeepAlive.test_curl_reuses_connection]
Each test starts its own webd on an ephemeral port (--port 0) with a temporary root.
Only the Python standard library is used.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

WEBD = None  # set from argv
ALL_SERVERS = []  # killed at exit, whatever a test did
# Deadline of a wait for something that should take milliseconds: generous, because it costs
# nothing when things work and sanitizer builds on a loaded CI machine are slow.
PATIENCE = float(os.environ.get("NETLAB_TEST_PATIENCE", "20"))


def wait_until(predicate, what, timeout=PATIENCE):
    """Polls predicate() until it returns something true, which it returns; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, what))
        time.sleep(0.02)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


@atexit.register
def _kill_leftovers():
    for proc in ALL_SERVERS:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Webd:
    """A running webd on 127.0.0.1/::1 with a fresh document root."""

    def __init__(self, *extra, root=None, env=None):
        self.tmp = tempfile.mkdtemp(prefix="webd-e2e-")
        self.root = root or os.path.join(self.tmp, "root")
        if root is None:
            make_site(self.root)
        self.log = os.path.join(self.tmp, "access.log")
        args = [WEBD, "--root", self.root, "--port", "0", "--threads", "2",
                "--access-log", self.log, *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        self.port = None
        deadline = time.monotonic() + 10
        self.stderr_lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line:
                break
            self.stderr_lines.append(line)
            m = re.search(r" on \S*:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("webd did not start: " + "".join(self.stderr_lines))
        ALL_SERVERS.append(self.proc)
        # Drain stderr in the background so the pipe never fills.
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode(errors="replace"))

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def connect(self, timeout=5):
        return Conn(socket.create_connection(("127.0.0.1", self.port), timeout=timeout))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.stderr_lines.append("webd did not stop on SIGTERM; its threads:\n" +
                                         thread_stacks(self.proc.pid))
                self.proc.kill()
                self.proc.wait()
        self.drainer.join(timeout=5)  # the last lines (a sanitizer report) come at exit
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode


def thread_stacks(pid):
    """Every thread's backtrace (gdb, where installed): what a hung webd waits for."""
    if not shutil.which("gdb"):
        return "(no gdb)\n"
    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return r.stdout.decode(errors="replace")


def make_site(root):
    os.makedirs(os.path.join(root, "dir"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<html><body>index</body></html>\n")
    with open(os.path.join(root, "dir", "index.html"), "w") as f:
        f.write("dir index\n")
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("AAAA" * 10)
    with open(os.path.join(root, "b.txt"), "w") as f:
        f.write("BBBB" * 10)
    with open(os.path.join(root, "digits.txt"), "w") as f:
        f.write("0123456789" * 10)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(os.urandom(1 << 20) * 48)  # 48 MiB: sendfile territory


class Conn:
    """A client socket plus the bytes read past the last response (pipelining)."""

    def __init__(self, sock):
        self.sock = sock
        self.leftover = b""

    def sendall(self, data):
        self.sock.sendall(data)

    def recv(self, n):
        if self.leftover:
            data, self.leftover = self.leftover, b""
            return data
        return self.sock.recv(n)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def setsockopt(self, *args):
        self.sock.setsockopt(*args)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_response(sock, head_only=False):
    """Reads one response; returns (status, headers dict (lower-case), body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed before a response head: %r" % buf)
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = 0 if head_only or status == 304 else int(headers.get("content-length", "0"))
    body = rest
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("short body")
        body += chunk
    sock.leftover = body[length:]
    return status, headers, body[:length], lines[0]


def exchange(server, raw, head_only=False):
    with server.connect() as s:
        s.sendall(raw)
        return read_response(s, head_only)


def closed_by_peer(sock, timeout=3):
    sock.settimeout(timeout)
    try:
        data = sock.recv(1)
        return data == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Base(unittest.TestCase):
    extra = ()

    def setUp(self):
        self.server = Webd(*self.extra)

    def tearDown(self):
        rc = self.server.stop()
        # A sanitizer report is on stderr: show it, or the failure says only "66".
        self.assertEqual(rc, 0, "webd exit status; stderr:\n" + "".join(self.server.stderr_lines))


class Basics(Base):
    def test_get_head_404(self):
        status, h, body, line = exchange(self.server, b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"AAAA" * 10)
        self.assertEqual(h["content-type"], "text/plain")
        self.assertEqual(h["accept-ranges"], "bytes")
        self.assertRegex(h["etag"], r'^"[0-9a-f]+-28"$')
        self.assertIn("date", h)
        self.assertIn("last-modified", h)
        status, h, body, _ = exchange(self.server, b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                                      head_only=True)
        self.assertEqual((status, h["content-length"]), (200, "40"))
        status, h, body, line = exchange(self.server, b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(line, "HTTP/1.1 404 NOT FOUND")
        self.assertIn(b"404", body)

    def test_head_sends_no_body_and_keeps_the_connection(self):
        with self.server.connect() as s:
            s.sendall(b"HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            st1, _, body1, _ = read_response(s, head_only=True)
            # The HEAD response must end at its blank line: the next bytes are the GET's.
            s2 = s.leftover
            self.assertTrue(s2 == b"" or s2.startswith(b"HTTP/1.1 200"), s2[:40])
            buf = s2
            while b"BBBB" * 10 not in buf:
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                buf += chunk
            self.assertEqual(st1, 200)

    def test_directory_redirect_and_index(self):
        status, h, _, _ = exchange(self.server, b"GET /dir HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status, 301)
        self.assertEqual(h["location"], "/dir/")
        status, _, body, _ = exchange(self.server, b"GET /dir/ HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual((status, body), (200, b"dir index\n"))

    def test_error_statuses(self):
        cases = [
            (b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
            (b"BREW /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 501),
            (b"GET /a.txt HTTP/1.1\r\n\r\n", 400),  # no Host
            (b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            (b"GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"v" * 20000 + b"\r\n\r\n", 431),
            (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 413),
            (b"garbage\r\n\r\n", 400),
        ]
        for raw, want in cases:
            status, h, body, _ = exchange(self.server, raw)
            self.assertEqual(status, want, raw[:60])
            self.assertIn(b"<html>", body)
            if want == 405:
                self.assertEqual(h["allow"], "GET, HEAD")

    def test_bad_targets_and_unknown_methods_close_and_skip_pipelined_requests(self):
        # As nginx: after a 400 or 501 the rest of the stream is not trusted, so a request
        # pipelined behind it is never answered.
        for raw, want in ((b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                          (b"GET /../a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                          (b"BREW /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 501),
                          (b"GET /a.txt HTTP/1.1\nHost: x\n\n", 400)):
            with self.server.connect() as s:
                s.sendall(raw + b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                status, h, _, _ = read_response(s)
                self.assertEqual(status, want, raw)
                self.assertEqual(h["connection"], "close", raw)
                self.assertEqual(s.leftover, b"", raw)
                self.assertTrue(closed_by_peer(s), raw)

    def test_invalid_host_values_are_400_and_close(self):
        # RFC 9112 3.2 and nginx: a Host that is not host[:port] is refused, and so is an
        # absolute-form target with an empty host.
        for raw in (b"GET /a.txt HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",  # obs-fold
                    b"GET /a.txt HTTP/1.1\r\nHost: a b\r\n\r\n",
                    b'GET /a.txt HTTP/1.1\r\nHost: a"b\r\n\r\n',
                    b"GET /a.txt HTTP/1.1\r\nHost: a/b\r\n\r\n",
                    b"GET /a.txt HTTP/1.1\r\nHost: a\tb\r\n\r\n",
                    b"GET /a.txt HTTP/1.0\r\nHost: a@b\r\n\r\n",
                    b"GET http:///a.txt HTTP/1.1\r\nHost: x\r\n\r\n"):
            with self.server.connect() as s:
                s.sendall(raw + b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                status, h, _, _ = read_response(s)
                self.assertEqual(status, 400, raw)
                self.assertEqual(h["connection"], "close", raw)
                self.assertTrue(closed_by_peer(s), raw)
        for host in (b"x", b"x:10080", b"127.0.0.1:1", b"[::1]", b""):
            status, _, body, _ = exchange(
                self.server, b"GET /a.txt HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
            self.assertEqual((status, body), (200, b"AAAA" * 10), host)

    def test_parse_errors_close_the_connection(self):
        for raw in (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                    b"GET / HTTP/1.1\r\nBad\r\n\r\n"):
            with self.server.connect() as s:
                s.sendall(raw + b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                status, h, _, _ = read_response(s)
                self.assertEqual(status, 400, raw)
                self.assertEqual(h["connection"], "close")
                self.assertEqual(s.leftover, b"")
                self.assertTrue(closed_by_peer(s), raw)

    def test_ipv6_dual_stack(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            s = socket.create_connection(("::1", self.server.port), timeout=5)
        except OSError as e:
            self.skipTest("no IPv6 loopback: %s" % e)
        with Conn(s) as c:
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: [::1]\r\n\r\n")
            self.assertEqual(read_response(c)[2], b"AAAA" * 10)

    def test_small_request_body_is_skipped(self):
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                      b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[2], b"AAAA" * 10)
            s2 = s.leftover
            while b"BBBB" * 10 not in s2:
                s2 += s.recv(65536)


class Conditional(Base):
    def test_304_and_range(self):
        _, h, _, _ = exchange(self.server, b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        etag, lm = h["etag"], h["last-modified"]
        st, h2, body, _ = exchange(self.server, b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n"
                                   b"If-None-Match: " + etag.encode() + b"\r\n\r\n")
        self.assertEqual((st, body), (304, b""))
        self.assertEqual(h2["etag"], etag)
        st, _, _, _ = exchange(self.server, b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n"
                               b"If-Modified-Since: " + lm.encode() + b"\r\n\r\n")
        self.assertEqual(st, 304)
        st, h3, body, _ = exchange(self.server, b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n"
                                   b"Range: bytes=5-14\r\n\r\n")
        self.assertEqual((st, body), (206, b"5678901234"))
        self.assertEqual(h3["content-range"], "bytes 5-14/100")
        st, h4, _, _ = exchange(self.server, b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n"
                                b"Range: bytes=500-\r\n\r\n")
        self.assertEqual(st, 416)
        self.assertEqual(h4["content-range"], "bytes */100")

    def test_failed_preconditions_give_412(self):
        # A download manager resuming with If-Match must not get a 206 of a changed file.
        _, h, _, _ = exchange(self.server, b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        etag = h["etag"]
        url = self.server.url("/digits.txt")
        def curl(*args):
            return subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args,
                                   url], capture_output=True, timeout=20, check=True).stdout
        self.assertEqual(curl("-H", 'If-Match: "stale"', "-r", "0-3"), b"412")
        self.assertEqual(curl("-I", "-H", 'If-Match: "stale"'), b"412")
        self.assertEqual(curl("-H", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
                              "-r", "0-3"), b"412")
        self.assertEqual(curl("-H", "If-Match: " + etag, "-r", "0-3"), b"206")
        self.assertEqual(curl("-H", "If-Match: W/" + etag), b"412")
        with self.server.connect() as s:  # a 412 keeps the connection, as a 404 does
            s.sendall(b"GET /digits.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"a\"\r\n"
                      b"If-Match: " + etag.encode() + b"\r\nRange: bytes=0-3\r\n\r\n"
                      b"GET /digits.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"stale\"\r\n\r\n"
                      b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            st, _, body, _ = read_response(s)
            self.assertEqual((st, body), (206, b"0123"))
            st, h, body, line = read_response(s)
            self.assertEqual(line, "HTTP/1.1 412 Precondition Failed")
            self.assertEqual(h["connection"], "keep-alive")
            self.assertIn(b"<html>", body)
            self.assertEqual(read_response(s)[2], b"AAAA" * 10)

    def test_curl_range_on_a_large_file(self):
        out = subprocess.run(["curl", "-s", "-r", "1048570-1048579", self.server.url("/big.bin")],
                             capture_output=True, timeout=20, check=True).stdout
        with open(os.path.join(self.server.root, "big.bin"), "rb") as f:
            f.seek(1048570)
            self.assertEqual(out, f.read(10))


class KeepAlive(Base):
    def test_curl_reuses_one_connection(self):
        urls = [self.server.url(p) for p in ("/a.txt", "/b.txt", "/", "/big.bin", "/a.txt")]
        r = subprocess.run(["curl", "-sv", "-o", "/dev/null", *sum((["-o", "/dev/null"] for _ in urls[1:]), []),
                            *urls], capture_output=True, timeout=60)
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertEqual(err.count("Re-using existing connection"), 4, err)
        self.assertEqual(err.count("< HTTP/1.1 200 OK"), 5, err)

    def test_whole_large_file_is_intact(self):
        out = subprocess.run(["curl", "-s", self.server.url("/big.bin")], capture_output=True,
                             timeout=60, check=True).stdout
        with open(os.path.join(self.server.root, "big.bin"), "rb") as f:
            self.assertEqual(out, f.read())

    def test_pipelined_requests_in_one_write_are_answered_in_order(self):
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            deadline = time.monotonic() + 5
            while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"BBBB" * 10):
                self.assertLess(time.monotonic(), deadline, data)
                data += s.recv(65536)
            self.assertLess(data.index(b"AAAA"), data.index(b"BBBB"))

    def test_http10_closes_unless_keep_alive(self):
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.0\r\n\r\n")
            st, h, _, line = read_response(s)
            self.assertEqual(st, 200)
            self.assertEqual(h["connection"], "close")
            self.assertTrue(closed_by_peer(s))
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            st, h, _, _ = read_response(s)
            self.assertEqual(h["connection"], "keep-alive")
            s.sendall(b"GET /b.txt HTTP/1.0\r\n\r\n")
            self.assertEqual(read_response(s)[2], b"BBBB" * 10)

    def test_connection_close_is_honoured(self):
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertEqual(read_response(s)[1]["connection"], "close")
            self.assertTrue(closed_by_peer(s))


class Timeouts(Base):
    HEADER_TIMEOUT, KEEPALIVE_TIMEOUT = 1, 2
    extra = ("--header-timeout", str(HEADER_TIMEOUT), "--keepalive-timeout", str(KEEPALIVE_TIMEOUT))

    def test_slow_header_gets_408_then_close(self):
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
            start = time.monotonic()
            st, h, _, _ = read_response(s)
            self.assertEqual(st, 408)
            self.assertLess(time.monotonic() - start, 4)
            self.assertTrue(closed_by_peer(s))

    def test_idle_keep_alive_is_closed_silently(self):
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            read_response(s)
            start = time.monotonic()
            s.settimeout(6)
            self.assertEqual(s.recv(100), b"")  # no 408 for an idle connection
            self.assertGreater(time.monotonic() - start, 1.5)


    def test_crlf_after_a_request_is_not_the_start_of_a_slow_head(self):
        # Some clients send an extra CRLF after a request (RFC 9112 2.2 says to ignore it).
        # It must leave the connection idle under the keep-alive timeout: a 408 written into
        # an idle connection would be read as the answer to the client's next request.
        with self.server.connect() as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200)
            self.assertEqual(s.leftover, b"")
            # Idle past --header-timeout, within --keepalive-timeout: that is the point.
            time.sleep((self.HEADER_TIMEOUT + self.KEEPALIVE_TIMEOUT) / 2)
            s.sendall(b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            st, _, body, _ = read_response(s)
            self.assertEqual((st, body), (200, b"BBBB" * 10))

class SendTimeout(Base):
    SEND_TIMEOUT = 1
    extra = ("--send-timeout", str(SEND_TIMEOUT))

    def test_stalled_reader_is_cut(self):
        with self.server.connect(timeout=10) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            # Read nothing: no progress for well over --send-timeout, which is the point.
            time.sleep(3 * self.SEND_TIMEOUT)
            total = 0
            while True:
                try:
                    chunk = s.recv(1 << 20)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                total += len(chunk)
            self.assertLess(total, 48 << 20)

    def test_slow_but_steady_reader_is_never_cut(self):
        size = 12 << 20
        with open(os.path.join(self.server.root, "slow.bin"), "wb") as f:
            f.write(os.urandom(size))
        with self.server.connect(timeout=10) as s:
            s.sendall(b"GET /slow.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            start = time.monotonic()
            data = b""
            while True:
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep and len(body) >= size:
                    break
                chunk = s.recv(256 * 1024)
                self.assertTrue(chunk, "connection cut after %d bytes" % len(data))
                data += chunk
                time.sleep(0.05)  # at most 5 MB/s: steady, far slower than the server
            # Much longer than --send-timeout in total: the timeout is about inactivity.
            self.assertGreater(time.monotonic() - start, 2)


class Slowloris(Base):
    extra = ("--header-timeout", "30")

    def test_500_slow_header_connections_do_not_stop_a_normal_request(self):
        socks = []
        try:
            for i in range(500):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
                socks.append(s)
            for s in socks[:100]:
                s.sendall(b"a")  # still trickling
            start = time.monotonic()
            st, _, body, _ = exchange(self.server, b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            elapsed = time.monotonic() - start
            self.assertEqual((st, body), (200, b"BBBB" * 10))
            self.assertLess(elapsed, 1.0)
        finally:
            for s in socks:
                s.close()


class CachedFiles(Base):
    """Small files old enough to be cached go out from memory, also when the socket is full."""

    def test_pipelined_burst_without_reading_then_change(self):
        path = os.path.join(self.server.root, "c30k.bin")
        payload = os.urandom(30 * 1024)
        with open(path, "wb") as f:
            f.write(payload)
        time.sleep(2.2)  # only files unchanged for 2 s are cached (timestamps are coarse)
        with self.server.connect(timeout=20) as s:
            # 200 responses of 30 KiB cannot fit in the socket buffers: writes go partial
            # and wait for the reader, in the readiness handler's fast path and the coroutine.
            s.sendall(b"GET /c30k.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 200)
            time.sleep(0.5)
            for i in range(200):
                st, h, body, _ = read_response(s)
                self.assertEqual(st, 200, i)
                self.assertEqual(body, payload, i)
        # A change is served within the revalidation window (1 s).
        with open(path + ".new", "wb") as f:
            f.write(b"changed")
        os.rename(path + ".new", path)
        deadline = time.monotonic() + 3
        while True:
            st, _, body, _ = exchange(self.server, b"GET /c30k.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            if body == b"changed":
                break
            self.assertEqual(body, payload)
            self.assertLess(time.monotonic(), deadline, "change not seen")
            time.sleep(0.1)

    def test_burst_of_404s(self):
        with self.server.connect(timeout=20) as s:
            s.sendall(b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n" * 300)
            for i in range(300):
                self.assertEqual(read_response(s)[0], 404, i)


class ConnectionCap(Base):
    extra = ("--max-connections", "2")

    def test_connections_over_the_cap_are_closed_at_once(self):
        a, b = self.server.connect(), self.server.connect()
        for s in (a, b):
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200)
        c = self.server.connect()
        self.assertTrue(closed_by_peer(c))  # the third is refused without a response
        c.close()
        a.close()
        deadline = time.monotonic() + 5
        while True:  # once one closed, a new connection is served again
            d = self.server.connect()
            try:
                d.sendall(b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(read_response(d)[2], b"BBBB" * 10)
                break
            except (EOFError, ConnectionResetError):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            finally:
                d.close()
        b.close()


class Shutdown(unittest.TestCase):
    def test_sigterm_during_a_large_download_finishes_it(self):
        # 48 MiB cannot fit in the socket buffers, so the response is still being sent when
        # the signal arrives; the generous deadline keeps a loaded CI machine from cutting it.
        server = Webd("--shutdown-timeout", "120")
        try:
            with open(os.path.join(server.root, "big.bin"), "rb") as f:
                want = f.read()
            s = server.connect(timeout=30)
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            first = s.recv(65536)
            self.assertTrue(first.startswith(b"HTTP/1.1 200"))
            server.proc.send_signal(signal.SIGTERM)

            # New connections are refused once draining (webd closes its listener when it
            # handles the signal).
            def refused():
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
                    return False
                except OSError:
                    return True
            wait_until(refused, "webd to refuse new connections after SIGTERM")
            data = first
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(b"Connection: keep-alive", head)  # decided before the signal
            self.assertEqual(len(body), len(want))
            self.assertEqual(body, want)
            self.assertEqual(server.proc.wait(timeout=30), 0)
        finally:
            server.stop()

    def test_sigterm_when_idle_exits_at_once(self):
        server = Webd()
        try:
            s = server.connect()
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            read_response(s)
            start = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(server.proc.wait(timeout=10), 0)
            self.assertLess(time.monotonic() - start, 3)
            self.assertTrue(closed_by_peer(s))
            s.close()
        finally:
            server.stop()


class AccessLog(Base):
    def test_combined_log_format_and_sighup_reopen(self):
        exchange(self.server, b"GET /a.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: e2e\r\n"
                 b"Referer: http://ref/\r\n\r\n")
        # One write(2) per line: once the file has something, it has the whole line.
        line = wait_until(lambda: read_text(self.server.log), "the access log line")
        self.assertRegex(line, r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                               r'"GET /a\.txt HTTP/1\.1" 200 40 "http://ref/" "e2e"\n$')
        os.rename(self.server.log, self.server.log + ".1")
        self.server.proc.send_signal(signal.SIGHUP)
        # The reopen creates the file at once.
        wait_until(lambda: os.path.exists(self.server.log), "the access log reopened on SIGHUP")
        exchange(self.server, b"GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_until(lambda: read_text(self.server.log), "a line in the reopened access log")
        self.assertIn('"GET /b.txt HTTP/1.1" 200 40', read_text(self.server.log))


class Systemd(unittest.TestCase):
    def test_ready_notification(self):
        tmp = tempfile.mkdtemp(prefix="webd-notify-")
        path = os.path.join(tmp, "notify.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        listener.settimeout(10)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        server = Webd(env=env)
        try:
            msg = listener.recv(4096).decode()
            self.assertIn("READY=1", msg)
            st, _, _, _ = exchange(server, b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(st, 200)  # ready means ready: the port answers
            server.proc.send_signal(signal.SIGTERM)
            self.assertIn("STOPPING=1", listener.recv(4096).decode())
        finally:
            server.stop()
            listener.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_journal_priority_prefixes_only_when_stderr_is_the_journal(self):
        tmp = tempfile.mkdtemp(prefix="webd-journal-")
        try:
            err_path = os.path.join(tmp, "stderr")
            with open(err_path, "w") as err:
                st = os.fstat(err.fileno())
                env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
                proc = subprocess.Popen([WEBD, "--root", tmp, "--port", "0"],
                                        stdout=subprocess.DEVNULL, stderr=err, env=env)
                ALL_SERVERS.append(proc)
                try:
                    line = wait_until(lambda: read_text(err_path), "webd's first stderr line")
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=15)
            self.assertTrue(line.startswith("<6>webd: serving "), line)
            # Inherited but naming another file (a harness redirected stderr): plain lines.
            server = Webd(env=dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino)))
            try:
                self.assertTrue(server.stderr_lines[-1].startswith("webd: serving "),
                                server.stderr_lines)
            finally:
                server.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_socket_activation(self):
        activate = shutil.which("systemd-socket-activate")
        if not activate:
            self.skipTest("systemd-socket-activate not installed")
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        tmp = tempfile.mkdtemp(prefix="webd-activate-")
        root = os.path.join(tmp, "root")
        make_site(root)
        proc = subprocess.Popen([activate, "-l", "127.0.0.1:%d" % port, WEBD, "--root", root,
                                 "--port", "1", "--access-log", "off"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    s = Conn(socket.create_connection(("127.0.0.1", port), timeout=5))
                    break
                except OSError:
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.05)
            with s:
                s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                st, _, body, _ = read_response(s)
            self.assertEqual((st, body), (200, b"AAAA" * 10))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0)
            err = proc.stderr.read().decode()
            self.assertIn("127.0.0.1:%d" % port, err)  # the inherited socket, not --port 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)


class Browser(unittest.TestCase):
    """Headless Chromium loads the bundled demo site; its script reports decoded images."""

    def test_demo_page_images_decode(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            self.skipTest("chromium not installed (scripts/setup installs it)")
        demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                            "apps", "webd", "demo-site")
        server = Webd(root=os.path.abspath(demo))
        profile = tempfile.mkdtemp(prefix="webd-chromium-")
        try:
            r = subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--user-data-dir=" + profile, "--virtual-time-budget=10000",
                 "--dump-dom", server.url("/")],
                capture_output=True, timeout=120)
            dom = r.stdout.decode(errors="replace")
            m = re.search(r"(\d+) of (\d+) images decoded: ([^<]*)", dom)
            self.assertIsNotNone(m, "no status in DOM: " + dom[-2000:] +
                                 r.stderr.decode(errors="replace")[-2000:])
            self.assertEqual(m.group(1), m.group(2), m.group(0))
            self.assertEqual(int(m.group(2)), 4, m.group(0))
            self.assertIn("images/harbour.jpg=480x320", m.group(3))
            images = ("harbour.jpg", "sunset.jpg", "forest.jpg", "logo.png")
            patterns = [r'"GET /images/%s HTTP/1\.1" 200 ' % re.escape(img) for img in images]
            # The log line of the last response may land just after the browser saw it.
            wait_until(lambda: all(re.search(p, read_text(server.log)) for p in patterns),
                       "the four image requests in the access log")
        finally:
            self.assertEqual(server.stop(), 0)
            shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    WEBD = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[2:]])
