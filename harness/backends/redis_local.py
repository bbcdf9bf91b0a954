"""A Redis server the harness runs itself on a free loopback port.

Persistence: append-only file with ``appendfsync no`` by default, so ``restart``
after ``kill`` finds the data a real Redis with AOF would find: Redis writes the
AOF before it replies, and a SIGKILL does not lose what reached the OS page
cache. ``persistence=False`` runs it as a pure cache (nothing survives a kill).
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
        # A raw INFO, cheaper than a client. The pid check matters: another Redis that
        # won the race for this port would answer too. "-LOADING" (AOF replay) is not ready.
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                sock.sendall(b"INFO server\r\n")
                reply = b""
                while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
                    chunk = sock.recv(65536)
                    if not chunk or reply.startswith(b"-"):
                        return False
                    reply += chunk
        except OSError:
            return False
        match = re.search(rb"process_id:(\d+)", reply)
        return match is not None and int(match.group(1)) == self.pid
