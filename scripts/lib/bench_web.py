"""The driver behind scripts/bench-web (see its --help). Standard library only."""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NCPU = os.cpu_count() or 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %d" % port)


def pids_of(proc):
    """The process and its children (nginx master + workers)."""
    out = [proc.pid]
    kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                          text=True).stdout.split()
    return out + [int(k) for k in kids]


def rss_kib(pids, field):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    def __init__(self, name, argv, port, tmp, pin=None):
        self.name, self.port = name, port
        if pin is not None:
            argv = ["taskset", "-c", pin, *argv]  # taskset execs: proc.pid is the server
        self.log = open(os.path.join(tmp, name + ".out"), "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_port(port, self.proc)

    def pids(self):
        return pids_of(self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_webd(args, root, tmp, workers, pin):
    port = free_port()
    return Server("webd", [args.webd, "--root", root, "--port", str(port), "--bind", "127.0.0.1",
                           "--threads", str(workers), "--access-log", "off"], port, tmp, pin)


def start_nginx(args, root, tmp, workers, pin):
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes %d;
daemon off;
pid %s/nginx.pid;
error_log %s/nginx.err;
worker_rlimit_nofile 40000;
events { worker_connections 20000; }
http {
    access_log off;
    sendfile on;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    default_type application/octet-stream;
    client_body_temp_path %s/nginx-body;
    proxy_temp_path %s/nginx-proxy;
    fastcgi_temp_path %s/nginx-fastcgi;
    uwsgi_temp_path %s/nginx-uwsgi;
    scgi_temp_path %s/nginx-scgi;
    server {
        listen 127.0.0.1:%d;
        root %s;
    }
}
""" % (workers, tmp, tmp, tmp, tmp, tmp, tmp, tmp, port, root))
    return Server("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", tmp],
                  port, tmp, pin)


def start_lighttpd(args, root, tmp, workers, pin):
    if workers != 1:
        return None  # one process by design
    port = free_port()
    conf = os.path.join(tmp, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write("""
server.document-root = "%s"
server.bind = "127.0.0.1"
server.port = %d
server.errorlog = "%s/lighttpd.err"
server.max-keep-alive-requests = 100000000
server.max-keep-alive-idle = 75
server.max-connections = 20000
server.max-fds = 40000
mimetype.assign = (".bin" => "application/octet-stream")
""" % (root, port, tmp))
    return Server("lighttpd", [shutil.which("lighttpd") or "/usr/sbin/lighttpd", "-D", "-f", conf],
                  port, tmp, pin)


def start_h2o(args, root, tmp, workers, pin):
    port = free_port()
    conf = os.path.join(tmp, "h2o.conf")
    with open(conf, "w") as f:
        f.write("""
user: nobody
num-threads: %d
max-connections: 20000
error-log: %s/h2o.err
listen:
  host: 127.0.0.1
  port: %d
hosts:
  default:
    paths:
      /:
        file.dir: %s
""" % (workers, tmp, port, root))
    return Server("h2o", [shutil.which("h2o"), "-c", conf], port, tmp, pin)


def wrk(port, path, conns, threads, duration, pin):
    argv = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration, "--latency",
            "http://127.0.0.1:%d%s" % (port, path)]
    if pin is not None:
        argv = ["taskset", "-c", pin, *argv]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1e-6, "KB": 1.024e-3, "MB": 1.048576, "GB": 1073.741824}[m.group(2)]
    mbps = float(m.group(1)) * scale
    m = re.search(r"99%\s+([\d.]+)(\w+)", out)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return {"rps": rps, "mbps": mbps, "p99": p99, "errors": errors.group(0) if errors else ""}


IDLE_CLIENT = r"""
import selectors, socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
socks = []
pending = {}
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    socks.append(s)
    pending[s] = b""
    sel.register(s, selectors.EVENT_WRITE)
    if len(pending) >= 500 or i == n - 1:
        while pending:
            for key, ev in sel.select(timeout=10):
                s = key.fileobj
                if ev & selectors.EVENT_WRITE:
                    s.send(b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n")
                    sel.modify(s, selectors.EVENT_READ)
                else:
                    data = s.recv(65536)
                    pending[s] += data
                    if not data or len(pending[s]) >= 1024 and b"\r\n\r\n" in pending[s]:
                        sel.unregister(s)
                        del pending[s]
print("ready", flush=True)
sys.stdin.read()
"""


def idle_rss(server, conns):
    base = rss_kib(server.pids(), "VmRSS")
    client = subprocess.Popen(["/usr/bin/python3", "-c", IDLE_CLIENT, str(conns), str(server.port)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = client.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError("idle client failed")
        time.sleep(1)
        rss = rss_kib(server.pids(), "VmRSS")
    finally:
        client.stdin.close()
        client.wait(timeout=60)
    return base, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webd", required=True)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="abcd")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-web-")
    os.chmod(tmp, 0o755)
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    with open(os.path.join(root, "1k.bin"), "wb") as f:
        f.write(os.urandom(1024))
    with open(os.path.join(root, "10m.bin"), "wb") as f:
        f.write(os.urandom(10 << 20))
    starters = [("webd", start_webd), ("nginx", start_nginx)]
    if shutil.which("lighttpd") or os.path.exists("/usr/sbin/lighttpd"):
        starters.append(("lighttpd", start_lighttpd))
    if shutil.which("h2o"):
        starters.append(("h2o", start_h2o))

    pin_server, pin_client = ("0", "1") if NCPU >= 2 else (None, None)
    specs = {
        "a": ("(a) 1 KiB, 50 conns, 1 thread", "/1k.bin", 50, 1, pin_server, pin_client, 1),
        "b": ("(b) 1 KiB, 50 conns, 2 threads", "/1k.bin", 50, 2, None, None, 2),
        "c": ("(c) 10 MiB, 4 conns, 1 thread", "/10m.bin", 4, 1, pin_server, pin_client, 1),
    }
    rows = []
    try:
        for case in args.cases:
            if case == "d":
                continue
            title, path, conns, workers, spin, cpin, wthreads = specs[case]
            results = {}
            for _ in range(args.repeat):
                # Servers take turns within each repeat so drift in machine load hits all.
                for name, start in starters:
                    srv = start(args, root, tmp, workers, spin)
                    if srv is None:
                        continue
                    try:
                        r = wrk(srv.port, path, conns, wthreads, args.duration, cpin)
                        r["hwm"] = rss_kib(srv.pids(), "VmHWM") / 1024
                    finally:
                        srv.stop()
                    results.setdefault(name, []).append(r)
                    print("  %s %-8s %10.0f req/s %9.1f MB/s  p99 %7.2f ms %s" % (
                        case, name, r["rps"], r["mbps"], r["p99"], r["errors"]),
                        file=sys.stderr, flush=True)
            rows.append((title, results))
        if "d" in args.cases:
            results = {}
            for _ in range(args.repeat):
                for name, start in starters:
                    srv = start(args, root, tmp, 1, None)
                    if srv is None:
                        continue
                    try:
                        base, rss = idle_rss(srv, 10000)
                    finally:
                        srv.stop()
                    results.setdefault(name, []).append({"rss": rss / 1024, "base": base / 1024})
                    print("  d %-8s RSS %.1f MiB with 10000 idle connections (%.1f MiB before)" % (
                        name, rss / 1024, base / 1024), file=sys.stderr, flush=True)
            rows.append(("(d) 10000 idle keep-alive conns", results))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(xs):
        return statistics.median(xs)

    print()
    print("webd vs nginx on loopback, median of %d run(s) of %d s each; %d cores, load average %.2f"
          % (args.repeat, args.duration, NCPU, os.getloadavg()[0]))
    print("%-33s %-9s %12s %10s %9s %11s   %s" % ("case", "server", "req/s", "MB/s", "p99 ms",
                                                   "RSS", "webd/nginx"))
    for title, results in rows:
        first = True
        ng = results.get("nginx")
        for name, rs in results.items():
            if "rss" in rs[0]:
                rss = med([r["rss"] for r in rs])
                ratio = ""
                if name == "webd" and ng:
                    ratio = "RSS %.2fx" % (rss / med([r["rss"] for r in ng]))
                print("%-33s %-9s %12s %10s %9s %8.1f MB   %s" % (
                    title if first else "", name, "-", "-", "-", rss, ratio))
            else:
                rps = med([r["rps"] for r in rs])
                mbps = med([r["mbps"] for r in rs])
                p99 = med([r["p99"] for r in rs])
                hwm = med([r["hwm"] for r in rs])
                ratio = ""
                if name == "webd" and ng:
                    ratio = "req/s %.2fx, MB/s %.2fx, p99 %.2fx" % (
                        rps / med([r["rps"] for r in ng]), mbps / med([r["mbps"] for r in ng]),
                        p99 / max(1e-9, med([r["p99"] for r in ng])))
                print("%-33s %-9s %12.0f %10.1f %9.2f %8.1f MB   %s" % (
                    title if first else "", name, rps, mbps, p99, hwm, ratio))
            first = False
    print("RSS: peak (VmHWM) during the wrk run for (a)-(c); resident with the idle connections"
          " open for (d), summed over all of a server's processes.")


if __name__ == "__main__":
    main()
