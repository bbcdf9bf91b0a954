"""Agent command server processes for a scenario: started, tracked, always stopped.

Each is a separate process running the server's own ``main`` (the one
``python -m reference_impl.agt.server`` runs, same arguments) on its own
loopback port. It is forked from the harness's warm fork server
(``harness.crash.runner.start``) rather than started as a new interpreter: a
fork starts in milliseconds where the interpreter's imports took a third of a
second of CPU per server, and the AGT-5 scenarios start twelve. It reports its
port over the harness channel once it accepts connections; ``close`` kills it
(SIGKILL) and waits until it is gone.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from harness.crash import record
from harness.crash.runner import start
from harness.crash.spawn import Child
from reference_impl.agt import server, tokens
from scenarios.agt.agtdb import SIGNING_KEY

_START_TIMEOUT_S = 20.0


def access_token(agent_id: str) -> str:
    """A valid access token, as the servers (on the wall clock) verify it."""
    return tokens.mint_access_token(SIGNING_KEY, agent_id, datetime.now(UTC) + timedelta(hours=1))


def serve(argv: list[str]) -> int:
    """A server process (a harness child's op): ``main(argv)``, its port sent to the parent."""

    def listening(port: int) -> None:
        with record("listening", value=port):
            pass

    return server.main(argv, on_listening=listening)


def _wait_listening(child: Child) -> int:
    while True:
        try:
            message = child.channel.recv(_START_TIMEOUT_S)
        except EOFError:
            raise RuntimeError("agent server died before it listened") from None
        if message is None:
            raise RuntimeError(f"agent server did not start within {_START_TIMEOUT_S}s")
        if message[0] == "op" and message[2] == "listening":
            return int(message[3])
        if message[0] == "done":  # main returned or raised before listening
            _, _status, value, error, _tb = message
            raise RuntimeError(f"agent server failed to start: {error or f'exit {value}'}")


@contextlib.contextmanager
def servers(
    count: int, *, dsn: str, variants: str, redis_url: str | None, limit: int, window_s: float
) -> Iterator[list[tuple[str, int]]]:
    """``count`` server processes sharing one database and one limiter store."""
    started: list[Child] = []
    try:
        for i in range(count):
            argv = [
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
                argv += ["--redis-url", redis_url]
            started.append(start(functools.partial(serve, argv), process=f"agt-server-{i}"))
        yield [("127.0.0.1", _wait_listening(c)) for c in started]
    finally:
        for child in started:
            child.close()
