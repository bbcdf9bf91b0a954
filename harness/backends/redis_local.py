"""A Redis server the harness runs itself on a free loopback port.

Persistence: append-only file with ``appendfsync no`` by default, so ``restart``
after ``kill`` finds the data a real Redis with AOF would find: Redis writes the
AOF before it replies, and a SIGKILL does not lose what reached the OS page
cache. ``persistence=False`` runs it as a pure cache (nothing survives a kill).
``start`` and ``restart`` return once the AOF is loaded (``loading:0``), so the
first command after them never meets ``-LOADING``.
"""

from __future__ import annotations

import re
import signal
import socket
from pathlib import Path
from typing import Any

from harness.backends.binaries import Candidate
from harness.backends.process import ProcessServer
from harness.backends.redis import RedisServer


class LocalRedis(RedisServer, ProcessServer):
    stop_signal = signal.SIGTERM
    port_setting = "HARNESS_REDIS_PORT"

    def __init__(
        self,
        binary: Candidate,
        *,
        persistence: bool = True,
        workdir: Path | None = None,
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        assert binary.path is not None and binary.version is not None
        self.executable = binary.path
        self.version = binary.version
        self.origin = binary.origin
        self.persistence = persistence
        ProcessServer.__init__(self, workdir, port, **kwargs)

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def _prepare(self) -> None:
        (self.workdir / "data").mkdir(exist_ok=True)

    def _command(self) -> list[str]:
        return [
            str(self.executable),
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.workdir / "data"),
            "--save", "",
            "--appendonly", "yes" if self.persistence else "no",
            "--appendfsync", "no",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--loglevel", "warning",
        ]  # fmt: skip

    def _ready(self) -> bool:
        # Raw INFO, cheaper than a client. Two checks: the pid (another Redis that won
        # the race for this port would answer too), and loading:0. While it replays its
        # AOF, Redis answers INFO between every 1024 commands but refuses data commands
        # with -LOADING (BusyLoadingError, which redis-py's default retry hides).
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                sock.sendall(b"INFO server\r\nINFO persistence\r\n")
                replies = _read_bulks(sock, 2)
        except OSError:
            return False
        if replies is None:
            return False
        info = b"".join(replies)
        pid = re.search(rb"\bprocess_id:(\d+)", info)
        loading = re.search(rb"\bloading:(\d+)", info)
        return (
            pid is not None
            and int(pid.group(1)) == self.pid
            and loading is not None
            and loading.group(1) == b"0"
        )


def _read_bulks(sock: socket.socket, count: int) -> list[bytes] | None:
    """Read ``count`` RESP bulk-string replies; None on an error reply or a closed socket."""
    buffer, out = b"", list[bytes]()
    while len(out) < count:
        header_end = buffer.find(b"\r\n")
        if header_end >= 0:
            if not buffer.startswith(b"$"):
                return None  # "-LOADING ..." or another error: not ready
            size = int(buffer[1:header_end]) if buffer[1:header_end].isdigit() else -1
            if size < 0:
                return None  # not the bulk string INFO answers: not a Redis ready for us
            end = header_end + 2 + size
            if len(buffer) >= end + 2:
                out.append(buffer[header_end + 2 : end])
                buffer = buffer[end + 2 :]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    return out
