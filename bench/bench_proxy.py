"""The proxy's added round-trip latency and its throughput, beside a direct
connection and socat as a reference relay, measured side by side in one run.

    .venv/bin/python bench/bench_proxy.py [--round-trips 5000] [--megabytes 64]

The upstream is socat's PIPE echo (C, so the echo costs the same on every
path). The proxy runs as its own process (``harness proxy serve``), as socat
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
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

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
    """MB/s of a stream sent through the path and echoed back."""
    total = megabytes * 1024 * 1024
    block = b"\0" * (256 * 1024)
    with connect(port) as sock:
        start = time.perf_counter()

        def send() -> None:
            left = total
            while left:
                n = min(left, len(block))
                sock.sendall(block[:n])
                left -= n

        sender = threading.Thread(target=send)
        sender.start()
        got = 0
        while got < total:
            data = sock.recv(1 << 20)
            if not data:
                raise RuntimeError("stream closed early")
            got += len(data)
        sender.join()
        return total / (time.perf_counter() - start) / 1e6


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--megabytes", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="best-of runs for each figure")
    args = parser.parse_args()
    socat = shutil.which("socat")
    if socat is None:
        print("bench_proxy: socat is not installed (apt-get install socat)", file=sys.stderr)
        return 2

    echo_port, socat_port, api_port = free_port(), free_port(), free_port()
    echo = [socat, f"TCP-LISTEN:{echo_port},bind=127.0.0.1,reuseaddr,fork", "PIPE"]
    relay = [
        socat,
        f"TCP-LISTEN:{socat_port},bind=127.0.0.1,reuseaddr,fork",
        f"TCP:127.0.0.1:{echo_port}",
    ]
    serve = [
        sys.executable,
        "-m",
        "harness.cli",
        "proxy",
        "serve",
        "--listen",
        f"127.0.0.1:{api_port}",
    ]
    with process(echo), process(relay), process(serve):
        for port in (echo_port, socat_port, api_port):
            wait_port(port)
        upstream = f"127.0.0.1:{echo_port}"
        plain = api(api_port, "POST", "/proxies", {"name": "bench", "upstream": upstream})
        toxic = api(
            api_port,
            "POST",
            "/proxies",
            {
                "name": "bench-toxic",
                "upstream": upstream,
                "toxics": [{"type": "latency", "attributes": {"latency": 0}}],
            },
        )
        paths = {
            "direct": echo_port,
            "socat": socat_port,
            "harness proxy": int(plain["listen"].rsplit(":", 1)[1]),
            "proxy + latency 0": int(toxic["listen"].rsplit(":", 1)[1]),
        }
        rows = {}
        for name, port in paths.items():
            lat = min(
                (round_trips(port, args.round_trips) for _ in range(args.repeats)),
                key=statistics.median,
            )
            mbps = max(throughput(port, args.megabytes) for _ in range(args.repeats))
            rows[name] = (pct(lat, 0.5) * 1e6, pct(lat, 0.99) * 1e6, mbps)

    base50, base99, _ = rows["direct"]
    print(
        f"{'path':<20}{'RTT p50 us':>12}{'RTT p99 us':>12}{'added p50':>11}{'added p99':>11}{'MB/s':>9}"
    )
    for name, (p50, p99, mbps) in rows.items():
        print(
            f"{name:<20}{p50:>12.1f}{p99:>12.1f}{p50 - base50:>11.1f}{p99 - base99:>11.1f}{mbps:>9.0f}"
        )
    socat_added = rows["socat"][0] - base50
    proxy_added = rows["harness proxy"][0] - base50
    ratio = proxy_added / socat_added if socat_added > 0 else float("inf")
    tput = rows["harness proxy"][2] / rows["socat"][2]
    print(
        f"\nadded p50 latency: proxy {proxy_added:.1f} us vs socat {socat_added:.1f} us "
        f"({ratio:.2f}x; goal <= 2x)  throughput: {tput:.2f}x socat's (goal >= 1x)"
    )
    print(f"per hop (half the added round trip): proxy {proxy_added / 2:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
