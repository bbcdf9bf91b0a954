"""Recovery steps: run in the scenario's own process, each one recorded in the case's history.

    def recover(steps: Steps) -> None:
        steps.run("retry", functools.partial(poll_here, dsn, steps.facts["agent"]))
        steps.restart(redis_server)           # a nemesis op, complete once it answers

A step's exception is its outcome (``info``: unknown, or ``fail`` for ``Fail``), not
the case's: the checks judge it from the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from harness.crash import landing
from harness.crash.child import describe
from harness.crash.runner import op_name
from harness.history import History, Op


class Steps:
    """What a recovery callable is handed: the case's history and facts, and a way to
    run a step or a server restart so that the record shows it."""

    def __init__(self, history: History, facts: Mapping[str, Any] | None = None) -> None:
        self.history = history
        # The record's own facts when it has them: what a step adds is kept for the checks.
        meta_facts = history.meta.get("facts")
        self.facts: dict[str, Any] = (
            meta_facts
            if meta_facts is facts and isinstance(meta_facts, dict)
            else dict(facts or {})
        )

    def run(
        self,
        process: str,
        fn: Callable[[], Any],
        *,
        f: str | None = None,
        value: Any = None,
        fail_on: tuple[type[BaseException], ...] = (),
    ) -> Any:
        """``fn()`` here as process ``process``: invoke, then ok with its value; on an
        exception ``fail`` (a ``fail_on`` type: certainly not done) or ``info``. Returns the
        value (None when it raised)."""
        from harness.crash.child import Fail

        invoked = self.history.invoke(process, f or op_name(fn), value)
        try:
            value = fn()
        except Exception as exc:
            if isinstance(exc, (Fail, *fail_on)):
                self.history.fail(invoked, describe(exc))
            else:
                self.history.info(invoked, describe(exc))
            return None
        self.history.ok(invoked, value)
        return value

    def fault(self, f: str, action: Callable[[], object], **value: Any) -> Op:
        """A fault done here (kill a server...), recorded as a nemesis op with its duration;
        complete once the servers have let go of every gone client."""
        t0 = time.perf_counter()
        op = self.history.fault(f, value or None)
        action()
        waited, lingering = landing.settle()
        return self.history.amend(
            op,
            took_s=round(time.perf_counter() - t0, 6),
            landed_s=round(waited, 6),
            sessions_ended=len(lingering),
        )

    def restart(self, server: Any) -> Op:
        """Restart a harness server; complete when it answers (``restart`` returns then)."""
        return self.fault("server_restart", server.restart, server=f"{server.kind}:{server.port}")
