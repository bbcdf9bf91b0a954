"""Two sessions on one lock: the first in a child paused inside its transaction, the second
started meanwhile in this process; the pause ends once the second waits on a lock.

Used where the fix's claim is "a second runner waits for the first, then sees its work"
(AGT-8's migrations, AGT-9's recoveries): what each of the two answered is the evidence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from harness.crash import run_case
from harness.crash.runner import CaseRun

#: How long the first session stays paused waiting for the second to block.
BLOCK_WAIT_S = 10.0
RUN_TIMEOUT_S = 30.0


def second_waits(
    dsn: str,
    first: Callable[[], Any],
    pause_at: str,
    second: Callable[[psycopg.Connection], Any],
    describe_error: Callable[[Exception], str],
) -> tuple[CaseRun, Any]:
    """Run ``first`` in a child paused at ``pause_at``; there start ``second`` (given its own
    autocommit connection) and resume once it waits on a lock, has ended, or after
    ``BLOCK_WAIT_S``. Returns the child's run and ``second``'s value (or its error, as
    ``describe_error`` says it)."""
    out: dict[str, Any] = {}

    def run_second() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                out["pid"] = conn.info.backend_pid
                out["value"] = second(conn)
        except Exception as exc:
            out["value"] = describe_error(exc)

    thread = threading.Thread(target=run_second, daemon=True)

    def start_second_and_wait_for_it_to_block() -> None:
        thread.start()
        deadline = time.monotonic() + BLOCK_WAIT_S
        with psycopg.connect(dsn, autocommit=True) as watch:
            while time.monotonic() < deadline and thread.is_alive():
                pid = out.get("pid")
                row = (
                    watch.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
                    ).fetchone()
                    if pid
                    else None
                )
                if row and row[0] == "Lock":
                    return
                time.sleep(0.02)

    run = run_case(
        first,
        pause_at={pause_at: start_second_and_wait_for_it_to_block},
        timeout_s=RUN_TIMEOUT_S,
        record_as=None,
    )
    thread.join(RUN_TIMEOUT_S)
    return run, out.get("value")
