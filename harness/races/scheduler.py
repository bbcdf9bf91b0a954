"""Execute one schedule: workers in separate processes, released one step at a time.

    run = run_schedule({"a": claim, "b": claim}, Schedule.parse("a,b,a,b"),
                       blocking=make_detector("postgres", dsn=dsn))
    print(run.program())

Each worker is a child stopped at every crash point. A step releases one
worker and waits until it reaches its next point, finishes, or is seen blocked
in its database (then the schedule moves on; the worker completes its step by
itself once the lock is released). After the listed steps, workers still
unfinished are run to the end in a fixed order (the *drain*), so every
schedule is total and replays the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.crash import landing
from harness.crash._child import EVERY_POINT, Job
from harness.crash._record import Recorder
from harness.crash.runner import Outcome, op_name
from harness.crash.spawn import Child, Spawner, default_spawner
from harness.errors import ConfigError
from harness.history import History, Op
from harness.races.blocking import BlockingDetector, WorkerView
from harness.races.schedule import Schedule, check_worker_name

START = "start"
DEFAULT_STEP_TIMEOUT_S = 30.0
_POLL_MIN_S = 0.0005
_POLL_MAX_S = 0.02


@dataclass
class WorkerResult:
    outcome: Outcome | None = None  # None: still running when the run ended
    value: Any = None
    error: str | None = None
    points: list[str] = field(default_factory=list)
    pid: int = 0


@dataclass(frozen=True)
class StepRecord:
    """One line of the executed program."""

    kind: str  # step | drain | woke | skip
    worker: str
    start: str
    end: str  # a point, "blocked", or "done: <outcome>"
    index: int | None = None  # position in the schedule (steps and skips)

    def line(self) -> str:
        where = f"{self.index + 1:>3}" if self.index is not None else "   "
        if self.kind == "skip":
            return f"{where}  {self.worker:<8} skipped: {self.end}"
        tag = "" if self.kind == "step" else f"  ({self.kind})"
        return f"{where}  {self.worker:<8} {self.start} -> {self.end}{tag}"


@dataclass
class ScheduleRun:
    schedule: Schedule
    records: list[StepRecord]
    results: dict[str, WorkerResult]
    history: History
    duration_s: float = 0.0
    timed_out: bool = False

    def program(self) -> str:
        """The run as a readable program: what each step did, blocks and wake-ups."""
        head = f"schedule {self.schedule}" + ("  (TIMED OUT)" if self.timed_out else "")
        return "\n".join([head, *(r.line() for r in self.records)])

    @property
    def blocked_steps(self) -> int:
        return sum(1 for r in self.records if r.end == "blocked")

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": str(self.schedule),
            "program": self.program(),
            "timed_out": self.timed_out,
            "results": {
                n: {"outcome": str(r.outcome), "value": repr(r.value), "error": r.error}
                for n, r in self.results.items()
            },
        }


class _Worker:
    def __init__(self, name: str, child: Child) -> None:
        self.name = name
        self.child = child
        self.state = "paused"  # paused | running | blocked | done
        self.at = START
        self.result = WorkerResult(pid=child.pid)

    def view(self) -> WorkerView:
        return WorkerView(self.name, self.child.pid, tuple(self.child.backend_pids))


class _Execution:
    def __init__(
        self,
        workers: dict[str, _Worker],
        blocking: BlockingDetector | None,
        recorder: Recorder,
        step_timeout_s: float,
    ) -> None:
        self.workers = workers
        self.blocking = blocking
        self.recorder = recorder
        self.step_timeout_s = step_timeout_s
        self.records: list[StepRecord] = []

    # -- messages ------------------------------------------------------------

    def _pump(self, w: _Worker, timeout: float) -> bool:
        """Read w's messages for up to ``timeout``; True once it reached a point or ended."""
        while True:
            try:
                message = w.child.channel.recv(timeout)
            except EOFError:
                self._ended(w, Outcome.INFO, None, "worker died without reporting")
                return True
            if message is None:
                return False
            kind = message[0]
            if kind == "point":
                w.result.points.append(message[1])
                if message[2]:  # it waits there: a step boundary
                    w.at, w.state = message[1], "paused"
                    return True
            if kind == "op":
                self.recorder.child_op(w.name, message)
            elif kind == "backend_pid":
                w.child.backend_pids.append(message[1])
            elif kind == "done":
                _, status, value, error, _tb = message
                self._ended(w, Outcome(status), value, error)
                return True
            timeout = 0.0  # more may already be buffered

    def _ended(self, w: _Worker, outcome: Outcome, value: Any, error: str | None) -> None:
        w.state = "done"
        w.result.outcome, w.result.value, w.result.error = outcome, value, error
        if outcome is Outcome.INFO and error:
            self.recorder.crashed(w.name, error)

    def _blocked(self, w: _Worker) -> bool:
        if self.blocking is None:
            return False
        views = [x.view() for x in self.workers.values()]
        return self.blocking.is_blocked(w.view(), views)

    def _still_blocked(self, w: _Worker) -> bool:
        if self.blocking is None:
            return True
        views = [x.view() for x in self.workers.values()]
        return self.blocking.confirm_blocked(w.view(), views)

    def _await(self, w: _Worker) -> None:
        """Until w reaches a point, ends, or is seen blocked."""
        poll = _POLL_MIN_S
        deadline = time.monotonic() + self.step_timeout_s
        while not self._pump(w, poll):
            if self._blocked(w):
                w.state = "blocked"
                return
            if time.monotonic() > deadline:
                raise _StepTimeout(w.name)
            poll = min(poll * 2, _POLL_MAX_S)

    def _end_label(self, w: _Worker) -> str:
        if w.state == "blocked":
            return "blocked"
        if w.state == "done":
            r = w.result
            return (
                f"done: {r.outcome} {r.value!r}"
                if r.outcome is Outcome.OK
                else f"done: {r.outcome} {r.error}"
            )
        return w.at

    # -- steps ---------------------------------------------------------------

    def step(self, w: _Worker, kind: str, index: int | None) -> None:
        if w.state in ("done", "blocked"):
            self.records.append(StepRecord("skip", w.name, w.at, w.state, index))
            return
        start = w.at
        w.state = "running"
        w.child.go()
        self._await(w)
        self.records.append(StepRecord(kind, w.name, start, self._end_label(w), index))
        self.settle()

    def settle(self) -> None:
        """Blocked workers that were released finish their step now, before the next step."""
        changed = True
        while changed:
            changed = False
            for w in self.workers.values():
                if w.state != "blocked":
                    continue
                start = w.at
                if self._pump(w, 0.0) or not self._still_blocked(w):
                    if w.state == "blocked":
                        w.state = "running"
                        self._await(w)
                    if w.state != "blocked":
                        self.records.append(StepRecord("woke", w.name, start, self._end_label(w)))
                        changed = True

    def drain(self) -> None:
        deadline = time.monotonic() + self.step_timeout_s
        while True:
            waiting = [w for w in self.workers.values() if w.state != "done"]
            if not waiting:
                return
            paused = [w for w in waiting if w.state == "paused"]
            if paused:
                self.step(paused[0], "drain", None)
                deadline = time.monotonic() + self.step_timeout_s
                continue
            # Every unfinished worker is blocked on another: a deadlock the database
            # must break (PostgreSQL's detector, SQLite's busy timeout). Wait for it.
            for w in waiting:
                start = w.at
                if self._pump(w, _POLL_MAX_S):
                    self.records.append(StepRecord("woke", w.name, start, self._end_label(w)))
                    self.settle()
                    deadline = time.monotonic() + self.step_timeout_s
            if time.monotonic() > deadline:
                raise _StepTimeout(",".join(w.name for w in waiting))


class _StepTimeout(Exception):
    pass


def run_schedule(
    workers: Mapping[str, Callable[[], Any]],
    schedule: Schedule | str,
    *,
    blocking: BlockingDetector | None = None,
    step_timeout_s: float = DEFAULT_STEP_TIMEOUT_S,
    history: History | None = None,
    record_as: str | None = "",
    fail_on: tuple[type[BaseException], ...] = (),
    spawner: Spawner | None = None,
    points: Collection[str] | None = None,
) -> ScheduleRun:
    """Run each worker in its own child and interleave their steps as ``schedule`` says.

    ``points``: the crash points that bound steps (default: every point); others
    are passed without stopping, which makes steps coarser and schedules fewer."""
    if isinstance(schedule, str):
        schedule = Schedule.parse(schedule)
    if not isinstance(workers, Mapping) or not workers:
        raise ConfigError("workers must map worker names to callables, e.g. {'a': op, 'b': op}")
    for name, fn in workers.items():
        check_worker_name(name)
        if not callable(fn):
            raise ConfigError(f"worker {name!r} must be a callable taking no arguments")
    unknown = sorted(set(schedule.steps) - set(workers))
    if unknown:
        raise ConfigError(
            f"schedule {schedule} names worker(s) {', '.join(unknown)} not in {sorted(workers)}"
        )
    if points is not None and (
        isinstance(points, str) or not all(isinstance(p, str) for p in points)
    ):
        raise ConfigError(f"points must be a collection of crash point names, got {points!r}")
    if not step_timeout_s > 0:
        raise ConfigError(f"step_timeout_s must be > 0, got {step_timeout_s!r}")
    history = history if history is not None else History()
    spawner = spawner or default_spawner()
    t0 = time.perf_counter()
    started: dict[str, _Worker] = {}
    run = ScheduleRun(schedule, [], {}, history)
    killed: Op | None = None
    try:
        for name, fn in workers.items():
            job = Job(
                fn,
                process=name,
                stop=EVERY_POINT if points is None else frozenset(points),
                record_as=op_name(fn) if record_as == "" else record_as,
                fail_on=tuple(fail_on),
            )
            started[name] = _Worker(name, spawner.spawn(job))
        execution = _Execution(started, blocking, Recorder(history), step_timeout_s)
        run.records = execution.records
        try:
            for index, name in enumerate(schedule.steps):
                execution.step(started[name], "step", index)
            execution.drain()
        except _StepTimeout as exc:
            run.timed_out = True
            killed = history.fault(
                "kill", {"reason": f"step of {exc} timed out after {step_timeout_s}s"}
            )
            for w in started.values():
                if w.state != "done":
                    w.child.kill()
                    execution.recorder.crashed(w.name, "timed out under the schedule")
    finally:
        for w in started.values():
            w.child.close()
    if killed is not None:  # the kill is complete once the servers let go of its sessions
        waited, lingering = landing.settle(
            [landing.app_name(w.name, w.child.pid) for w in started.values()]
        )
        history.amend(killed, landed_s=round(waited, 6), sessions_ended=len(lingering))
    run.results = {name: w.result for name, w in started.items()}
    run.duration_s = time.perf_counter() - t0
    return run
