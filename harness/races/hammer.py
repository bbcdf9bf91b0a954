"""Seeded hammering: many processes, no pauses, ``ops`` calls each; one merged History.

    history = hammer(increment_once, processes=8, ops=20, seed=ctx.seed)

The second line beside the scheduler: it finds what timing happens to expose.
Process ``h3`` gets ``random.Random(f"{seed}:3")``, so a run's choices replay
(its timing does not: that is what the scheduler is for).
"""

from __future__ import annotations

import random
import selectors
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.checkers.judge import Check, checks_of, judged
from harness.crash import landing
from harness.crash._child import Job
from harness.crash._record import Recorder
from harness.crash.child import record
from harness.crash.runner import op_name
from harness.crash.spawn import Child, Spawner, default_spawner
from harness.errors import ConfigError
from harness.history import History
from harness.verdict import Verdict

Step = Callable[[random.Random], Any]


@dataclass(frozen=True)
class _Loop:
    """Runs in each child: ``ops`` recorded calls of ``step`` with the process's own rng."""

    step: Step
    f: str
    seed: str
    ops: int

    def __call__(self) -> int:
        rng = random.Random(self.seed)
        for _ in range(self.ops):
            try:
                with record(self.f) as rec:
                    rec.ok(self.step(rng))
            except Exception:
                pass  # recorded as fail/info; the process goes on, as Jepsen's does
        return self.ops


def hammer(
    step: Step,
    *,
    seed: int,
    processes: int = 4,
    ops: int = 10,
    timeout_s: float = 60.0,
    f: str | None = None,
    history: History | None = None,
    fail_on: tuple[type[BaseException], ...] = (),
    spawner: Spawner | None = None,
) -> History:
    """``processes`` children each call ``step(rng)`` ``ops`` times, all at once."""
    if not callable(step):
        raise ConfigError(f"step must be a callable taking a random.Random, got {step!r}")
    for name, n in (("processes", processes), ("ops", ops)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {n!r}")
    if not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    history = history if history is not None else History()
    history.meta.update({"hammer": {"seed": seed, "processes": processes, "ops": ops}})
    name = f or op_name(step)
    spawner = spawner or default_spawner()
    recorder = Recorder(history)
    children: list[Child] = []
    try:
        for i in range(processes):
            job = Job(
                _Loop(step, name, f"{seed}:{i}", ops), process=f"h{i}", stop=None, fail_on=fail_on
            )
            children.append(spawner.spawn(job))
        for child in children:  # started together, after all exist
            child.go()
        _collect(children, recorder, timeout_s)
    finally:
        for child in children:
            child.close()
    return history


def _collect(children: list[Child], recorder: Recorder, timeout_s: float) -> None:
    finished: set[str] = set()
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as sel:
        for child in children:
            sel.register(child.channel.sock, selectors.EVENT_READ, child)
        running = len(children)
        while running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for key, _ in sel.select(remaining):
                owner: Child = key.data
                done = False
                try:
                    message = owner.channel.recv(0.0)
                    while message is not None and not done:
                        if message[0] == "op":
                            recorder.child_op(owner.name, message)
                        elif message[0] == "done":
                            done = True
                        message = None if done else owner.channel.recv(0.0)
                except EOFError:
                    recorder.crashed(owner.name, "process died")
                    done = True
                if done:
                    finished.add(owner.name)
                    sel.unregister(owner.channel.sock)
                    running -= 1
    late = [child for child in children if child.name not in finished and child.alive()]
    for child in late:
        child.kill()
        recorder.crashed(child.name, f"timed out after {timeout_s}s")
    if late:  # complete once the servers let go of the killed processes' sessions
        killed = recorder.history.fault("kill", {"processes": [c.name for c in late]})
        waited, lingering = landing.settle([landing.app_name(c.name, c.pid) for c in late])
        recorder.history.amend(killed, landed_s=round(waited, 6), sessions_ended=len(lingering))


@dataclass
class HammerCase:
    case_id: str
    seed: int
    history: History
    verdict: Verdict


def explore_hammer(
    ctx: Any,
    step: Step,
    *,
    rounds: int,
    checks: Sequence[Check],
    processes: int = 4,
    ops: int = 10,
    f: str | None = None,
    reset: Callable[[], object] | None = None,
    snapshot: Callable[[], Any] | None = None,
    timeout_s: float = 60.0,
    fail_on: tuple[type[BaseException], ...] = (),
    spawner: Spawner | None = None,
) -> list[HammerCase]:
    """``rounds`` hammering cases: ``reset()``, ``hammer`` with a seed drawn from ``ctx.rng``,
    the stores' ``final`` snapshot, then ``checks`` on that record."""
    checks = checks_of(checks)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ConfigError(f"rounds must be an integer >= 1, got {rounds!r}")
    cases: list[HammerCase] = []
    for r in range(rounds):
        case_id = f"hammer:{processes}x{ops}#{r}"
        if not ctx.selected(case_id):
            continue
        if reset is not None:
            reset()
        seed = ctx.rng.randrange(2**31)
        history = hammer(
            step,
            seed=seed,
            processes=processes,
            ops=ops,
            f=f,
            timeout_s=timeout_s,
            fail_on=fail_on,
            spawner=spawner,
        )
        extra: list[Verdict] = []
        if snapshot is not None:
            try:
                history.snapshot("final", snapshot())
            except Exception as exc:
                extra.append(Verdict.unknown("snapshot", f"reading the stores raised {exc!r}"))
        verdict = judged(case_id, history, checks, extra)
        cases.append(HammerCase(case_id, seed, history, verdict))
        detail = {
            "seed": seed,
            "processes": processes,
            "ops": ops,
            "checks": [c.to_json() for c in checks],
            "run_parts": [v.to_json() for v in extra],
        }
        ctx.record(case_id, verdict, history=history, detail=detail)
    ctx.explored(hammer_rounds=rounds, processes=processes)
    return cases
