"""The driver behind scripts/bench-web (see its --help). Standard library only."""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NCPU = os.cpu_count() or 1
# File descriptors each server may use: case (d) holds 10,000 connections. Raising the hard
# limit needs CAP_SYS_RESOURCE, which a container may not have, so stay within it.
_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
FDS = 40000 if _hard == resource.RLIM_INFINITY else min(40000, _hard)


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


# The peers are set up as their operators would set them up for static files, and compared
# like with like: webd runs with --access-log off in every case, so no peer logs requests
# either; webd's keep-alive timeout is 75 s and it never closes a connection after some
# number of requests, so the peers keep connections 75 s and for more requests than a run
# makes. The footer of the table prints these lists, so keep them the single source.
NGINX_HTTP = [
    "access_log off",
    "sendfile on",
    "tcp_nopush on",
    "tcp_nodelay on",
    "open_file_cache max=10000 inactive=60s",
    "open_file_cache_valid 60s",
    "open_file_cache_min_uses 1",
    "open_file_cache_errors on",
    "keepalive_timeout 75s",
    "keepalive_requests 1000000000",
]
NGINX_DEFAULTS = "sendfile_max_chunk 2m (the default)"

# lighttpd 1.4.69 (Debian 12). server.max-keep-alive-requests is an unsigned short: 65535 is
# the most it takes (larger values wrap around: the 100000000 used before became 57600), which
# lasts runs of about 20 s at 150,000 req/s over 50 connections. No access log: mod_accesslog
# is not loaded. "simple" is the stat cache its documentation recommends (and the default).
LIGHTTPD = [
    'server.network-backend = "sendfile"',
    'server.stat-cache-engine = "simple"',
    "server.max-keep-alive-requests = 65535",
    "server.max-keep-alive-idle = 75",
]

# h2o 2.2.5 (Debian 12). No access-log directive, so no access log. http1-request-timeout is
# also its keep-alive idle timeout in 2.2 (default 10 s). h2o 2.2 has no sendfile: it sends
# files with pread(2) and writev(2), 64 KiB at a time.
H2O = [
    "file.send-compressed: OFF",
    "file.dirlisting: OFF",
    "http1-request-timeout: 75",
]


def start_nginx(args, root, tmp, workers, pin):
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes %d;
daemon off;
pid %s/nginx.pid;
error_log %s/nginx.err;
worker_rlimit_nofile %d;
events { worker_connections %d; }
http {
%s
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
""" % (workers, tmp, tmp, FDS, FDS - 100, "".join("    %s;\n" % d for d in NGINX_HTTP), tmp, tmp, tmp, tmp, tmp,
       port, root))
    return Server("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", tmp],
                  port, tmp, pin)


def start_lighttpd(args, root, tmp, workers, pin):
    port = free_port()
    conf = os.path.join(tmp, "lighttpd.conf")
    with open(conf, "w") as f:
        # One process unless more cores are in play: its documentation recommends
        # server.max-worker = the core count only when lighttpd is CPU-bound, as in (b).
        f.write("""
server.document-root = "%s"
server.bind = "127.0.0.1"
server.port = %d
server.errorlog = "%s/lighttpd.err"
server.max-fds = %d
server.max-connections = %d
%s
%s
mimetype.assign = (".bin" => "application/octet-stream")
""" % (root, port, tmp, FDS, FDS // 2, "\n".join(LIGHTTPD),
       "server.max-worker = %d" % workers if workers > 1 else ""))
    return Server("lighttpd", [shutil.which("lighttpd") or "/usr/sbin/lighttpd", "-D", "-f", conf],
                  port, tmp, pin)


def start_h2o(args, root, tmp, workers, pin):
    port = free_port()
    conf = os.path.join(tmp, "h2o.conf")
    with open(conf, "w") as f:
        f.write("""
user: nobody
num-threads: %d
max-connections: %d
%s
error-log: %s/h2o.err
listen:
  host: 127.0.0.1
  port: %d
hosts:
  default:
    paths:
      /:
        file.dir: %s
""" % (workers, FDS - 100, "\n".join(H2O), tmp, port, root))
    return Server("h2o", [shutil.which("h2o"), "-c", conf], port, tmp, pin)


def version(argv, pattern):
    """The version a peer reports, e.g. "1.22.1"; "?" when it cannot tell."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(pattern, out.stdout + out.stderr)
    return m.group(1) if m else "?"


def peer_settings():
    """One line per peer for the table's footer: what each was run with."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    return [
        ("nginx", "nginx %s: worker_processes = webd's threads; %s; %s" % (
            version([nginx, "-v"], r"nginx/(\S+)"), "; ".join(NGINX_HTTP), NGINX_DEFAULTS)),
        ("lighttpd", "lighttpd %s: server.max-worker = webd's threads when more than 1; %s" % (
            version([lighttpd, "-v"], r"lighttpd/(\S+)"), "; ".join(LIGHTTPD))),
        ("h2o", "h2o %s: num-threads = webd's threads; %s" % (
            version(["h2o", "--version"], r"h2o version (\S+)"), "; ".join(H2O))),
        ("limits", "Connection limits, the same for all: %d file descriptors (nginx"
         " worker_rlimit_nofile, lighttpd server.max-fds), nginx worker_connections and h2o"
         " max-connections %d, lighttpd server.max-connections %d (fds/2, its cap)"
         % (FDS, FDS - 100, FDS // 2)),
    ]


def cpu_seconds():
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])       # without guest time, already counted in user
    hz = os.sysconf("SC_CLK_TCK")
    return (total - idle) / hz, total / hz


def proc_seconds(pids):
    """CPU seconds the processes used so far (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def ksoftirqd_pids():
    """The kernel threads that run deferred network softirq work: on loopback that is the
    benchmark's own work (the server's and wrk's packets), not other people's."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/comm" % entry) as f:
                    if f.read().startswith("ksoftirqd/"):
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


KSOFTIRQD = ksoftirqd_pids()


def wrk(srv, path, conns, threads, duration, pin):
    """One wrk run against `srv`. Besides wrk's numbers, "others": the share of the machine's
    CPU time that went to processes other than the server, wrk and ksoftirqd (other people's
    work)."""
    argv = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration, "--latency",
            "http://127.0.0.1:%d%s" % (srv.port, path)]
    if pin is not None:
        argv = ["taskset", "-c", pin, *argv]
    pids = srv.pids() + KSOFTIRQD
    busy0, total0 = cpu_seconds()
    srv0 = proc_seconds(pids)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60).stdout
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv1 = proc_seconds(pids)
    busy1, total1 = cpu_seconds()
    ours = (srv1 - srv0) + (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    others = max(0.0, (busy1 - busy0) - ours) / max(1e-9, total1 - total0)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1e-6, "KB": 1.024e-3, "MB": 1.048576, "GB": 1073.741824}[m.group(2)]
    mbps = float(m.group(1)) * scale
    m = re.search(r"99%\s+([\d.]+)(\w+)", out)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return {"rps": rps, "mbps": mbps, "p99": p99, "errors": errors.group(0) if errors else "",
            "others": others}


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


# What the issue asks of webd in each case, from one run: (peer, factor) where peer "best" is
# the best peer of the case. Cases without an entry have no target.
TARGETS = {
    "a": ("best", 1.2),   # small-file req/s at least 1.2x the best peer
    "c": ("best", 1.0),   # 10 MiB throughput at least the best peer's
    "d": ("nginx", 0.8),  # idle RSS at most 0.8x nginx's
}
PEERS = ("nginx", "lighttpd", "h2o")


def summary(rows):
    """Markdown lines: per case webd, each peer, the best peer and webd's ratios to it and to
    nginx, and the target. Req/s and MB/s: higher wins; RSS in (d): lower wins."""
    med = statistics.median
    out = ["| case | metric | webd | %s | best peer | webd / best | webd / nginx | target |"
           % " | ".join(PEERS),
           "|---|---|---|%s---|---|---|---|" % ("---|" * len(PEERS))]
    for case, title, results in rows:
        key, unit, higher = {"a": ("rps", "req/s", True), "b": ("rps", "req/s", True),
                             "c": ("mbps", "MB/s", True), "d": ("rss", "RSS MiB", False)}[case]
        value = {name: med([r[key] for r in rs]) for name, rs in results.items()}
        fmt = (lambda x: "{:,.0f}".format(x)) if key != "rss" else (lambda x: "%.1f" % x)
        peers = [p for p in PEERS if p in value]
        best = (max if higher else min)(peers, key=lambda p: value[p]) if peers else None
        webd = value.get("webd")

        def ratio(peer):
            return webd / value[peer] if webd and peer in value and value[peer] else None

        target = ""
        if case in TARGETS:
            peer, factor = TARGETS[case]
            got = ratio(best if peer == "best" else peer)
            sign = ">=" if higher else "<="
            target = "%s %.1fx %s" % (sign, factor, "best" if peer == "best" else peer)
            if got is not None:
                ok = got >= factor if higher else got <= factor
                target += ": %s" % ("met" if ok else "MISSED")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            title, unit, fmt(webd) if webd else "-",
            " | ".join(fmt(value[p]) if p in value else "-" for p in PEERS),
            best or "-", "%.2fx" % ratio(best) if ratio(best) else "-",
            "%.2fx" % ratio("nginx") if ratio("nginx") else "-", target))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webd", required=True)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="abcd")
    args = ap.parse_args()

    load_start = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="bench-web-")
    os.chmod(tmp, 0o755)
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    with open(os.path.join(root, "1k.bin"), "wb") as f:
        f.write(os.urandom(1024))
    with open(os.path.join(root, "10m.bin"), "wb") as f:
        f.write(os.urandom(10 << 20))
    # webd copies a small file into memory only once its inode has been unchanged for 2 s
    # (ctime, whole seconds); until then it opens and reads the file for every request. The
    # peers' caches are warm from the first request, so let the files age past that first:
    # otherwise webd's first run of (a) serves its first seconds uncached.
    aged = max(os.stat(os.path.join(root, n)).st_ctime for n in ("1k.bin", "10m.bin")) + 3
    time.sleep(max(0.0, aged - time.time()))
    starters = [("webd", start_webd), ("nginx", start_nginx)]
    if shutil.which("lighttpd") or os.path.exists("/usr/sbin/lighttpd"):
        starters.append(("lighttpd", start_lighttpd))
    if shutil.which("h2o"):
        starters.append(("h2o", start_h2o))
    installed = {name for name, _ in starters}

    pin_server, pin_client = ("0", "1") if NCPU >= 2 else (None, None)
    specs = {
        "a": ("(a) 1 KiB, 50 conns, 1 thread", "/1k.bin", 50, 1, pin_server, pin_client, 1),
        "b": ("(b) 1 KiB, 50 conns, %d threads" % NCPU, "/1k.bin", 50, NCPU, None, None, NCPU),
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
                    try:
                        r = wrk(srv, path, conns, wthreads, args.duration, cpin)
                        r["hwm"] = rss_kib(srv.pids(), "VmHWM") / 1024
                    finally:
                        srv.stop()
                    results.setdefault(name, []).append(r)
                    print("  %s %-8s %10.0f req/s %9.1f MB/s  p99 %7.2f ms  others %3.0f%% %s" % (
                        case, name, r["rps"], r["mbps"], r["p99"], 100 * r["others"],
                        r["errors"]), file=sys.stderr, flush=True)
            rows.append((case, title, results))
        if "d" in args.cases:
            results = {}
            for _ in range(args.repeat):
                for name, start in starters:
                    srv = start(args, root, tmp, 1, None)
                    try:
                        base, rss = idle_rss(srv, 10000)
                    finally:
                        srv.stop()
                    results.setdefault(name, []).append({"rss": rss / 1024, "base": base / 1024})
                    print("  d %-8s RSS %.1f MiB with 10000 idle connections (%.1f MiB before)" % (
                        name, rss / 1024, base / 1024), file=sys.stderr, flush=True)
            rows.append(("d", "(d) 10000 idle keep-alive conns", results))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_end = os.getloadavg()

    def med(xs):
        return statistics.median(xs)

    others = [r["others"] for _, _, results in rows for rs in results.values() for r in rs
              if "others" in r]
    print()
    print("webd vs its peers on loopback, median of %d run(s) of %d s each; %d cores; load "
          "average %.2f %.2f %.2f (1, 5, 15 min) at the start, %.2f %.2f %.2f at the end"
          % ((args.repeat, args.duration, NCPU) + load_start + load_end))
    if others:
        print("Other processes took %.0f%% of the machine's CPU time during the wrk runs "
              "(median; %.0f%%-%.0f%%): %s" % (
                  100 * med(others), 100 * min(others), 100 * max(others),
                  "quiet enough" if med(others) < 0.05 else
                  "a busy machine, so absolute numbers are low and noisy; compare ratios"))
    print()
    print("\n".join(summary(rows)))
    print()
    print("%-33s %-9s %12s %10s %9s %12s  %s" % ("case", "server", "req/s", "MB/s", "p99 ms",
                                                   "RSS", "errors"))
    for case, title, results in rows:
        first = True
        for name, rs in results.items():
            if "rss" in rs[0]:
                print("%-33s %-9s %12s %10s %9s %8.1f MiB" % (
                    title if first else "", name, "-", "-", "-", med([r["rss"] for r in rs])))
            else:
                errors = "; ".join(sorted({r["errors"] for r in rs if r["errors"]}))
                print("%-33s %-9s %12.0f %10.1f %9.2f %8.1f MiB  %s" % (
                    title if first else "", name, med([r["rps"] for r in rs]),
                    med([r["mbps"] for r in rs]), med([r["p99"] for r in rs]),
                    med([r["hwm"] for r in rs]), errors))
            first = False
    print()
    print("RSS: peak (VmHWM) during the wrk run for (a)-(c); resident with the idle connections"
          " open for (d), summed over all of a server's processes. (a), (c): server on core 0,"
          " wrk -t1 on core 1; (b): not pinned, wrk -t%d. Threads/workers per server: 1 in (a),"
          " (c), (d); %d in (b)." % (NCPU, NCPU))
    print("webd: --threads N --access-log off, otherwise its defaults (keep-alive 75 s, no"
          " request limit per connection).")
    for name, line in peer_settings():
        if name in installed or name == "limits":
            print(line + ".")


if __name__ == "__main__":
    main()
