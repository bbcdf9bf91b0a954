"""What code running in a harness child calls: record operations, report backend pids.

Scenario code (an op under ``run_case``, a race worker, a hammer step) imports
these. Outside a harness child they still work and send nothing, so the same
function runs standalone in a plain test.

    from harness.crash.child import Fail, record, report_backend_pid

    def claim_worker(dsn):
        conn = psycopg.connect(dsn)
        report_backend_pid(conn.info.backend_pid)   # lets the scheduler see row locks
        with record("claim") as op:
            op.ok(toy.claim(conn))                   # an exception: info (unknown)
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.crash._wire import Channel

_channel: Channel | None = None
_process = "child"
_fail_on: tuple[type[BaseException], ...] = ()


class Fail(Exception):
    """Raise from an op: it certainly did NOT take effect (a ``fail``, not an ``info``)."""


def _bind(channel: Channel | None, process: str, fail_on: tuple[type[BaseException], ...]) -> None:
    global _channel, _process, _fail_on
    _channel, _process, _fail_on = channel, process, fail_on


def in_child() -> bool:
    """True inside a process the harness started and listens to."""
    return _channel is not None


def process_name() -> str:
    return _process


def _send(message: tuple[Any, ...]) -> None:
    if _channel is not None:
        _channel.send(message)


def report_backend_pid(pid: int) -> None:
    """Tell the scheduler this worker's database backend (PostgreSQL ``conn.info.backend_pid``)."""
    _send(("backend_pid", int(pid)))


def is_definite_failure(exc: BaseException) -> bool:
    return isinstance(exc, Fail) or (bool(_fail_on) and isinstance(exc, _fail_on))


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class Recording:
    """An invoked operation; complete it with ``ok`` / ``fail`` / ``info`` (once)."""

    def __init__(self, f: str, value: Any) -> None:
        self.f = f
        self.done = False
        _send(("op", "invoke", f, value, None, time.monotonic_ns()))

    def _complete(self, type_: str, value: Any, error: str | None) -> None:
        if self.done:
            return
        self.done = True
        _send(("op", type_, self.f, value, error, time.monotonic_ns()))

    def ok(self, value: Any = None) -> None:
        self._complete("ok", value, None)

    def fail(self, error: str, value: Any = None) -> None:
        self._complete("fail", value, error)

    def info(self, error: str, value: Any = None) -> None:
        self._complete("info", value, error)


@contextmanager
def record(f: str, value: Any = None) -> Iterator[Recording]:
    """Record one operation: ``ok`` unless completed otherwise; an exception is ``info``
    (unknown outcome) unless it is ``Fail`` or one of the run's ``fail_on`` types."""
    rec = Recording(f, value)
    try:
        yield rec
    except BaseException as exc:
        if is_definite_failure(exc):
            rec.fail(describe(exc))
        else:
            rec.info(describe(exc))
        raise
    else:
        rec.ok()


def traceback_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))[-4000:]
