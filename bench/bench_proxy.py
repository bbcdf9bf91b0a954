"""The proxy's added round-trip latency and its throughput, beside a direct
connection and socat as a reference relay, measured side by side in one run.

    .venv/bin/python bench/bench_proxy.py [--round-trips 10000] [--megabytes 256] [--loop uvloop]

Upstreams are socat (C): a PIPE echo for round trips, a discarding sink for
throughput, so they cost the same on every path. The proxy runs as its own process (``harness proxy serve``), as socat
does, so the benchmark client does not share its interpreter. Goal (issue #3):
added p50 latency at most 2x socat's, throughput at least socat's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def process(args: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def api(port: int, method: str, path: str, body: object) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def round_trips(port: int, count: int, size: int = 64) -> list[float]:
    payload = b"x" * size
    out = []
    with connect(port) as sock:
        for i in range(count + 200):
            start = time.perf_counter()
            sock.sendall(payload)
            got = 0
            while got < size:
                got += len(sock.recv(65536))
            if i >= 200:  # warm-up discarded
                out.append(time.perf_counter() - start)
    return out


def throughput(port: int, megabytes: int) -> float:
    """MB/s of a stream sent through the path to a discarding upstream.

    The clock stops when the upstream has taken every byte and closed (its
    close travels back as EOF). An echo would be simpler, but socat's PIPE
    echo deadlocks on its own pipe under bulk data.
    """
    total = megabytes * 1024 * 1024
    block = memoryview(b"\0" * (1024 * 1024))
    with connect(port) as sock:
        start = time.perf_counter()
        left = total
        while left:
            n = min(left, len(block))
            sock.sendall(block[:n])
            left -= n
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
        return total / (time.perf_counter() - start) / 1e6


def cpu_seconds(proc: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU of a process and its reaped children (socat forks per connection)."""
    if proc is None:
        return 0.0
    time.sleep(0.05)  # let socat reap the child that served the last connection
    t = psutil.Process(proc.pid).cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=10000)
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), help="the proxy's event loop")
    parser.add_argument("--rounds", type=int, default=10, help="turns the paths take")
    parser.add_argument("--repeats", type=int, default=5, help="throughput runs (median)")
    args = parser.parse_args()
    socat = shutil.which("socat")
    if socat is None:
        print("bench_proxy: socat is not installed (apt-get install socat)", file=sys.stderr)
        return 2

    echo_port, sink_port, api_port = free_port(), free_port(), free_port()
    relay_echo, relay_sink = free_port(), free_port()

    def listen(port: int) -> str:
        return f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"

    serve = [sys.executable, "-m", "harness.cli", "proxy", "serve"]
    serve += ["--listen", f"127.0.0.1:{api_port}"] + (["--loop", args.loop] if args.loop else [])
    with ExitStack() as stack:

        def start(argv: list[str]) -> subprocess.Popen[bytes]:
            return stack.enter_context(process(argv))

        start([socat, listen(echo_port), "PIPE"])  # echo, for round trips
        start([socat, "-u", listen(sink_port), "OPEN:/dev/null"])  # discard, for throughput
        socat_echo = start([socat, listen(relay_echo), f"TCP:127.0.0.1:{echo_port}"])
        socat_sink = start([socat, listen(relay_sink), f"TCP:127.0.0.1:{sink_port}"])
        harness = start(serve)
        for port in (echo_port, sink_port, relay_echo, relay_sink, api_port):
            wait_port(port)

        def proxy(name: str, upstream: int, toxics: list[dict]) -> int:
            body = {"name": name, "upstream": f"127.0.0.1:{upstream}", "toxics": toxics}
            return int(api(api_port, "POST", "/proxies", body)["listen"].rsplit(":", 1)[1])

        zero = [{"type": "latency", "attributes": {"latency": 0}}]
        # name: (port for round trips, port for throughput, relay processes for each)
        paths = {
            "direct": (echo_port, sink_port, None, None),
            "socat": (relay_echo, relay_sink, socat_echo, socat_sink),
            "harness proxy": (
                proxy("e", echo_port, []),
                proxy("s", sink_port, []),
                harness,
                harness,
            ),
            "proxy + latency 0": (
                proxy("ez", echo_port, zero),
                proxy("sz", sink_port, zero),
                harness,
                harness,
            ),
        }
        # Paths take turns, round after round, so the load of the (shared)
        # machine at any moment weighs on each of them alike. The relay's CPU
        # time is measured too: unlike wall time, other jobs barely move it.
        samples: dict[str, list[float]] = {name: [] for name in paths}
        speeds: dict[str, list[float]] = {name: [] for name in paths}
        cpu_rt = dict.fromkeys(paths, 0.0)
        cpu_bulk = dict.fromkeys(paths, 0.0)
        per_round = max(1, args.round_trips // args.rounds)
        for _ in range(args.rounds):
            for name, (port, _, relay, _) in paths.items():
                before = cpu_seconds(relay)
                samples[name] += round_trips(port, per_round)
                cpu_rt[name] += cpu_seconds(relay) - before
        for _ in range(args.repeats):
            for name, (_, port, _, relay) in paths.items():
                before = cpu_seconds(relay)
                speeds[name].append(throughput(port, args.megabytes))
                cpu_bulk[name] += cpu_seconds(relay) - before

    rows: dict[str, tuple[float, float, float]] = {}
    for name in paths:
        rows[name] = (
            pct(samples[name], 0.5) * 1e6,
            pct(samples[name], 0.99) * 1e6,
            statistics.median(speeds[name]),
        )
    base50, base99, _ = rows["direct"]
    total_rt = per_round * args.rounds
    total_gb = args.megabytes * args.repeats / 1024
    print(
        f"{'path':<19}{'RTT p50':>9}{'RTT p99':>9}{'added p50':>10}{'added p99':>10}{'MB/s':>7}"
        f"{'relay CPU/RT':>14}{'relay CPU/GB':>14}"
    )
    for name, (p50, p99, mbps) in rows.items():
        print(
            f"{name:<19}{p50:>9.1f}{p99:>9.1f}{p50 - base50:>10.1f}{p99 - base99:>10.1f}"
            f"{mbps:>7.0f}{cpu_rt[name] / total_rt * 1e6:>11.1f} us"
            f"{cpu_bulk[name] / total_gb:>12.2f} s"
        )
    print("(times in microseconds; relay CPU: user + system time of the relay process)")
    socat_added = rows["socat"][0] - base50
    proxy_added = rows["harness proxy"][0] - base50
    ratio = proxy_added / socat_added if socat_added > 0 else float("inf")
    tput = rows["harness proxy"][2] / rows["socat"][2] if rows["socat"][2] else float("inf")
    print(
        f"\nadded p50 latency: proxy {proxy_added:.1f} us vs socat {socat_added:.1f} us "
        f"({ratio:.2f}x; goal <= 2x)  throughput: {tput:.2f}x socat's (goal >= 1x)"
    )
    print(f"per hop (half the added round trip): proxy {proxy_added / 2:.1f} us")
    cpu_ratio = cpu_rt["harness proxy"] / cpu_rt["socat"] if cpu_rt["socat"] else float("inf")
    bulk_ratio = (
        cpu_bulk["harness proxy"] / cpu_bulk["socat"] if cpu_bulk["socat"] else float("inf")
    )
    print(f"relay CPU per round trip: {cpu_ratio:.2f}x socat's; per GB: {bulk_ratio:.2f}x socat's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
