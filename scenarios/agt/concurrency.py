"""Two-worker schedules and seeded hammering, on the harness's crash runner.

ADAPTER: the harness's race scheduler (harness/races) had not landed when these
scenarios were written, so this is the smallest stand-in: worker A pauses at a
crash point while worker B runs in full (or until it blocks on a row lock,
detected through ``pg_locks`` as PostgreSQL's isolation tester does), then A
resumes. Swap in harness.races when it lands.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from harness.crash.runner import CaseRun, run_case
from harness.history import History

_BLOCK_POLL_S = 0.005
_BLOCK_WAIT_S = 10.0


def waiting_on_lock(dsn: str) -> int:
    """How many backends of this database are waiting for a lock."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


class Background:
    """Run a worker in a child from a thread, so the parent can act while it blocks."""

    def __init__(self, op: Callable[[], Any], history: History, process: str) -> None:
        self.run: CaseRun | None = None
        self._thread = threading.Thread(target=self._go, args=(op, history, process), daemon=True)
        self._thread.start()

    def _go(self, op: Callable[[], Any], history: History, process: str) -> None:
        self.run = run_case(op, history=history, process=process)

    def settle(self, dsn: str) -> str:
        """Wait until the worker finished or is blocked on a lock: "done" or "blocked"."""
        deadline = time.monotonic() + _BLOCK_WAIT_S
        while time.monotonic() < deadline:
            self._thread.join(_BLOCK_POLL_S)
            if not self._thread.is_alive():
                return "done"
            if waiting_on_lock(dsn):
                return "blocked"
        return "stuck"

    def join(self) -> CaseRun | None:
        self._thread.join(60)
        return self.run


def interleave(
    dsn: str,
    first: Callable[[], Any],
    second: Callable[[], Any],
    point: str,
    history: History,
) -> dict[str, Any]:
    """``first`` pauses at ``point``; ``second`` runs until done or blocked; ``first`` resumes."""
    holder: dict[str, Any] = {}

    def let_second_run() -> None:
        holder["b"] = Background(second, history, "B")
        holder["b_state"] = holder["b"].settle(dsn)

    run_a = run_case(first, pause_at={point: let_second_run}, history=history, process="A")
    run_b = holder["b"].join() if "b" in holder else run_case(second, history=history, process="B")
    return {
        "schedule": f"A to {point}; B {holder.get('b_state', 'after A')}; A resumes",
        "a": run_a.summary(),
        "b": run_b.summary() if run_b else "no run",
    }


def hammer(ops: list[Callable[[], Any]], history: History) -> list[CaseRun | None]:
    """Start every worker at once, each in its own child process; wait for all."""
    workers = [Background(op, history, f"w{i}") for i, op in enumerate(ops)]
    return [w.join() for w in workers]
