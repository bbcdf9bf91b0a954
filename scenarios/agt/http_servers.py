"""Agent command server processes for a scenario: started, tracked, always stopped.

Each is ``python -m reference_impl.agt.server`` on its own loopback port; it
prints ``listening <port>`` once it accepts connections.
"""

from __future__ import annotations

import contextlib
import selectors
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from harness import procs
from reference_impl.agt import tokens
from scenarios.agt.agtdb import SIGNING_KEY

_START_TIMEOUT_S = 20.0


def access_token(agent_id: str) -> str:
    """A valid access token, as the servers (on the wall clock) verify it."""
    return tokens.mint_access_token(SIGNING_KEY, agent_id, datetime.now(UTC) + timedelta(hours=1))


def _wait_listening(proc: subprocess.Popen[str]) -> int:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(_START_TIMEOUT_S):
            raise RuntimeError(f"agent server did not start within {_START_TIMEOUT_S}s")
    line = proc.stdout.readline().strip()
    if not line.startswith("listening "):
        raise RuntimeError(
            f"agent server failed to start: {line or proc.stderr.read() if proc.stderr else ''}"
        )
    return int(line.split()[1])


@contextlib.contextmanager
def servers(
    count: int, *, dsn: str, variants: str, redis_url: str | None, limit: int, window_s: float
) -> Iterator[list[tuple[str, int]]]:
    """``count`` server processes sharing one database and one limiter store."""
    started: list[subprocess.Popen[str]] = []
    try:
        for _ in range(count):
            cmd = [
                sys.executable,
                "-m",
                "reference_impl.agt.server",
                "--dsn",
                dsn,
                "--signing-key-hex",
                SIGNING_KEY.hex(),
                "--limit",
                str(limit),
                "--window-s",
                str(window_s),
                "--variants",
                variants,
            ]
            if redis_url:
                cmd += ["--redis-url", redis_url]
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            procs.track(proc, "agt-server")
            started.append(proc)
        yield [("127.0.0.1", _wait_listening(p)) for p in started]
    finally:
        for proc in started:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            procs.untrack(proc.pid)
