"""Run an op in a child: discover its crash points, kill it at one, pause it at others.

    points = discover(op)                                  # ["a", "b", "b#2", "c"]
    run = run_case(op, kill_at="b")                        # SIGKILL at b
    run = run_case(op, pause_at={"que.enqueue.after_exec": proxy.disable})

An action in ``pause_at`` runs in the parent while the child waits at the
point; then the child resumes. ``op`` takes no arguments (``functools.partial``
or a closure over picklable values: the child opens its own connections).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.crash import landing
from harness.crash._child import Job
from harness.crash._record import Recorder
from harness.crash.spawn import Child, Spawner, default_spawner
from harness.errors import ConfigError
from harness.history import History, Op

Action = Callable[[], object]
DEFAULT_TIMEOUT_S = 30.0


class Outcome(enum.Enum):
    OK = "ok"  # returned
    FAIL = "fail"  # raised Fail or a ``fail_on`` type: certainly did not happen
    INFO = "info"  # raised anything else, died, or timed out: unknown
    KILLED = "killed"  # the harness killed it at ``killed_at``

    def __str__(self) -> str:
        return self.value


@dataclass
class CaseRun:
    """How one child run ended, the points it passed, and its history."""

    outcome: Outcome
    points: list[str]
    history: History
    duration_s: float
    value: Any = None
    error: str | None = None
    traceback: str | None = None
    killed_at: str | None = None
    paused_at: list[str] = field(default_factory=list)
    timed_out: bool = False
    backend_pids: list[int] = field(default_factory=list)
    pid: int = 0
    #: how long the servers took to let go of this child's sessions after it ended
    landed_s: float = 0.0
    faults: list[Op] = field(default_factory=list, repr=False)

    @property
    def killed(self) -> bool:
        return self.outcome is Outcome.KILLED

    def summary(self) -> str:
        if self.killed:
            return f"killed at {self.killed_at}"
        if self.outcome is Outcome.OK:
            return f"ok {self.value!r}"
        return f"{self.outcome} {self.error}"

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "points": self.points,
            "killed_at": self.killed_at,
            "paused_at": self.paused_at,
            "error": self.error,
            "timed_out": self.timed_out,
            "duration_s": round(self.duration_s, 6),
            "landed_s": round(self.landed_s, 6),
        }


def op_name(op: Callable[..., Any]) -> str:
    inner = getattr(op, "func", op)  # functools.partial
    return str(getattr(inner, "__name__", type(inner).__name__))


def action_name(action: Callable[..., Any]) -> str:
    name = op_name(action)
    owner = getattr(action, "__self__", None)
    return f"{type(owner).__name__}.{name}" if owner is not None else name


def _check_args(op: object, timeout_s: float, pause_at: Mapping[str, Action]) -> None:
    if not callable(op):
        raise ConfigError(f"op must be a callable taking no arguments, got {type(op).__name__}")
    if not timeout_s > 0:
        raise ConfigError(f"timeout_s must be > 0, got {timeout_s!r}")
    for point, action in pause_at.items():
        if not isinstance(point, str) or not point:
            raise ConfigError(f"pause_at keys are crash point names, got {point!r}")
        if not callable(action):
            raise ConfigError(f"pause_at[{point!r}] must be a callable action, got {action!r}")


def run_case(
    op: Callable[[], Any],
    *,
    kill_at: str | None = None,
    pause_at: Mapping[str, Action] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    history: History | None = None,
    process: str = "child",
    record_as: str | None = "",
    fail_on: tuple[type[BaseException], ...] = (),
    spawner: Spawner | None = None,
    must_reach: bool = True,
) -> CaseRun:
    """Run ``op`` once in a child; SIGKILL it at ``kill_at``; pause at ``pause_at``'s points
    while their action runs here. ``record_as``: the op's name in the history ("" = the
    function's name, None = the op records its own ops with ``harness.crash.child.record``).

    A ``kill_at`` or ``pause_at`` point the op ended without passing is a ``ConfigError``
    naming the points it did pass (a misspelt point would otherwise never fire and the
    case pass); ``must_reach=False`` leaves that to the caller (the explorers say UNKNOWN)."""
    pause_at = dict(pause_at or {})
    _check_args(op, timeout_s, pause_at)
    if kill_at is not None and (not isinstance(kill_at, str) or not kill_at):
        raise ConfigError(
            f"kill_at is a crash point name like 'app.op.after_insert', got {kill_at!r}"
        )
    if kill_at is not None and kill_at in pause_at:
        raise ConfigError(f"point {kill_at!r} is both kill_at and in pause_at; choose one")
    history = history if history is not None else History()
    stops = frozenset(pause_at) | ({kill_at} if kill_at else frozenset())
    job = Job(
        op,
        process=process,
        stop=stops,
        record_as=op_name(op) if record_as == "" else record_as,
        fail_on=tuple(fail_on),
        wait_start=False,
    )
    recorder = Recorder(history)
    t0 = time.perf_counter()
    child = (spawner or default_spawner()).spawn(job)
    try:
        run = _drive(child, job, kill_at, pause_at, timeout_s, recorder)
    finally:
        child.close()
    _land(run, job.process, child.pid)
    run.duration_s = time.perf_counter() - t0
    if must_reach and run.outcome in (Outcome.OK, Outcome.FAIL):
        missed = [p for p in (kill_at, *pause_at) if p is not None and p not in run.points]
        if missed:
            raise ConfigError(
                f"crash point(s) {missed} never reached: the op passed {run.points or 'no point'}"
            )
    return run


def _land(run: CaseRun, process: str, pid: int) -> None:
    """The run is over when the servers have seen it: the child's sessions gone (a killed
    backend rolled back, its locks released). The wait joins the fault's nemesis op."""
    run.landed_s, lingering = landing.settle(
        [landing.app_name(process, pid)], sockets=bool(run.faults)
    )
    for op in run.faults:
        run.history.amend(op, landed_s=round(run.landed_s, 6), sessions_ended=len(lingering))


def _drive(
    child: Child,
    job: Job,
    kill_at: str | None,
    pause_at: Mapping[str, Action],
    timeout_s: float,
    recorder: Recorder,
) -> CaseRun:
    history = recorder.history
    run = CaseRun(Outcome.INFO, [], history, 0.0, pid=child.pid)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            message = child.channel.recv(max(0.0, deadline - time.monotonic()))
        except EOFError:
            run.error = "child exited without reporting how the op ended"
            recorder.crashed(job.process, run.error)
            break
        if message is None:
            child.kill()
            run.timed_out = True
            run.error = f"timed out after {timeout_s}s"
            run.faults.append(history.fault("kill", {"process": job.process, "reason": "timeout"}))
            recorder.crashed(job.process, run.error)
            break
        kind = message[0]
        if kind == "point":
            point = message[1]
            run.points.append(point)
            if point == kill_at:
                run.faults.append(history.fault("kill", {"process": job.process, "at": point}))
                child.kill()
                run.outcome, run.killed_at = Outcome.KILLED, point
                recorder.crashed(job.process, f"killed at {point}")
                break
            action = pause_at.get(point)
            if action is not None:
                run.faults.append(
                    history.fault(action_name(action), {"process": job.process, "at": point})
                )
                run.paused_at.append(point)
                try:
                    action()
                except BaseException:
                    child.kill()
                    raise
                child.go()
                deadline = time.monotonic() + timeout_s  # the action's time is not the op's
        elif kind == "op":
            recorder.child_op(job.process, message)
        elif kind == "backend_pid":
            run.backend_pids.append(message[1])
        elif kind == "done":
            _, status, value, error, tb = message
            run.outcome, run.value, run.error, run.traceback = Outcome(status), value, error, tb
            break
    return run


def start(
    op: Callable[[], Any], *, process: str = "child", spawner: Spawner | None = None
) -> Child:
    """Start ``op`` in a child and return at once, for a long-running helper (a server
    process) rather than a case: its crash points stay unarmed, nothing is recorded for it;
    the caller reads what it reports (``child.channel.recv``; the op's own ``record`` calls
    arrive as ``("op", ...)`` messages) and ends it with ``child.close()`` (SIGKILL).

    A fork of the warm fork server starts in milliseconds where a new interpreter takes a
    third of a second of CPU (imports), which several servers per scenario paid each time."""
    if not callable(op):
        raise ConfigError(f"op must be a callable taking no arguments, got {type(op).__name__}")
    job = Job(op, process=process, stop=None, record_as=None, wait_start=False)
    return (spawner or default_spawner()).spawn(job)


def discover(
    op: Callable[[], Any],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    spawner: Spawner | None = None,
) -> list[str]:
    """The crash points ``op`` passes, in order (repeats numbered ``name#2``)."""
    return run_case(op, timeout_s=timeout_s, spawner=spawner).points
