"""Build every crash state of a trace (within bounds), run recovery on each, check it.

    result = explore(rec.trace, recover=read_queue, check=acked_entries_survive,
                     models=("weakest", "ext4-ordered"), ctx=ctx)
    result.failing          # states whose verdict is not VALID, each with its id

``recover(path)`` runs the system's recovery on a materialized state (a fresh
directory) and returns what it recovered (a "view"); ``check(state, view)`` judges it
(``state.acked``: what had been acknowledged before the power cut). A recovery that
raises is an INVALID state (the system could not come back); a check that raises is
UNKNOWN, never a pass. Recovery is a function of the bytes on disk, so it runs once
per distinct disk image (``dedupe``) and each state sharing the image is checked.

With a scenario ``ctx``: failing states are recorded as cases
``power:<model>:<state id>`` (the repro command rebuilds exactly that state); a
replay of one such case builds only it and, with ``HARNESS_KEEP_SERVERS=1``
(``harness repro --keep``), leaves its directory and names it in the evidence.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness import procs
from harness.checkers.safe import check_safe
from harness.disk.image import Image, build_image, materialize
from harness.disk.models import get_model
from harness.disk.ops import Trace
from harness.disk.states import Bounds, CrashState, lookup, pending_at, states_with_pending
from harness.errors import ConfigError, HarnessError
from harness.verdict import Verdict

Recover = Callable[[Path], Any]
StateCheck = Callable[[CrashState, Any], Verdict]
CASE_PREFIX = "power:"
KEEP_ENV = "HARNESS_KEEP_SERVERS"
#: failing states recorded as cases per model (all are counted in ``explored``)
MAX_CASES = 20


class _Recorder(Protocol):  # ScenarioContext, structurally
    def selected(self, case_id: str) -> bool: ...

    def record(
        self, case_id: str, verdict: Verdict, *, history: Any = ..., detail: Any = ...
    ) -> Any: ...

    def explored(self, **counts: Any) -> None: ...


@dataclass
class StateResult:
    state: CrashState
    verdict: Verdict
    image: str  # digest of the disk image
    kept_dir: str | None = None

    @property
    def case_id(self) -> str:
        return f"{CASE_PREFIX}{self.state.model}:{self.state.id}"


@dataclass
class Exploration:
    """Every state built, with its verdict, and the counts a report needs."""

    trace: Trace
    models: tuple[str, ...]
    results: list[StateResult] = field(default_factory=list)
    images: int = 0  # distinct disk images recovered
    duration_s: float = 0.0

    @property
    def failing(self) -> list[StateResult]:
        return [r for r in self.results if not r.verdict.valid]

    def built(self, model: str | None = None) -> int:
        return sum(1 for r in self.results if model is None or r.state.model == model)

    def failing_under(self, model: str) -> list[StateResult]:
        return [r for r in self.failing if r.state.model == model]

    def counts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"power_states": self.built(), "power_images": self.images}
        for m in self.models:
            out[f"power_states_{m}"] = self.built(m)
            out[f"power_failing_{m}"] = len(self.failing_under(m))
        return out

    def summary(self) -> str:
        parts = [
            f"{m}: {self.built(m)} states, {len(self.failing_under(m))} failing"
            for m in self.models
        ]
        return f"{'; '.join(parts)} ({self.images} distinct disk images, {self.duration_s:.2f} s)"


class _Runner:
    """Materializes images and runs recovery, once per distinct image."""

    def __init__(self, recover: Recover, dedupe: bool, keep: bool) -> None:
        self.recover = recover
        self.dedupe = dedupe
        self.keep = keep
        self.cache: dict[str, tuple[bool, Any]] = {}
        self.base: Path | None = None
        self.count = 0
        self.kept_dir: str | None = None

    def view(self, image: Image, digest: str) -> tuple[bool, Any]:
        if self.dedupe and digest in self.cache:
            return self.cache[digest]
        if self.base is None:
            self.base = procs.temp_dir("disk-states-")
        self.count += 1
        target = self.base / f"s{self.count}"
        target.mkdir()
        materialize(image, target)
        try:
            outcome: tuple[bool, Any] = (True, self.recover(target))
        except HarnessError:
            raise
        except Exception as exc:
            outcome = (False, f"{type(exc).__name__}: {exc}")
        if self.keep:
            self.kept_dir = str(target)
        else:
            procs.remove_path(target)
        self.cache[digest] = outcome
        return outcome

    def close(self) -> None:
        if self.base is not None and not self.keep:
            procs.remove_path(self.base)
        elif self.base is not None:
            procs.untrack_path(self.base)  # --keep: left for inspection, on purpose


def _judge(state: CrashState, outcome: tuple[bool, Any], check: StateCheck) -> Verdict:
    ok, view = outcome
    if not ok:
        return Verdict.violated(
            "recovery", f"recovery failed on this state: {view}", state=state.id, error=view
        )
    return check_safe("check", check, state, view)


def _validate(recover: object, check: object, models: Sequence[str]) -> tuple[str, ...]:
    if not callable(recover):
        raise ConfigError(f"recover must be a callable taking a directory, got {recover!r}")
    if not callable(check):
        raise ConfigError(f"check must be a callable (state, recovered) -> Verdict, got {check!r}")
    if isinstance(models, str):
        models = (models,)
    for m in models:
        get_model(m)  # an unknown name is one line listing the known ones
    return tuple(models)


def explore(
    trace: Trace,
    *,
    recover: Recover,
    check: StateCheck,
    models: Sequence[str] = ("weakest",),
    bounds: Bounds | None = None,
    seed: int = 0,
    ctx: _Recorder | None = None,
    dedupe: bool = True,
) -> Exploration:
    """Every crash state of ``trace`` under each model (within ``bounds``), recovered and
    checked. ``seed`` drives the sampling beyond the exhaustive bound."""
    names = _validate(recover, check, models)
    only = getattr(ctx, "only_case", None) if ctx is not None else None
    if isinstance(only, str) and only.startswith(CASE_PREFIX):
        return _replay_one(trace, only, recover, check, ctx)
    t0 = time.perf_counter()
    result = Exploration(trace, names)
    runner = _Runner(recover, dedupe, keep=False)
    try:
        for model in names:
            for state, info in states_with_pending(trace, model, bounds, seed=seed):
                image = build_image(trace, state, info)
                digest = image.digest()
                verdict = _judge(state, runner.view(image, digest), check)
                result.results.append(StateResult(state, verdict, digest))
    finally:
        runner.close()
    result.images = runner.count
    result.duration_s = time.perf_counter() - t0
    if ctx is not None:
        _record(ctx, result)
    return result


def rebuild(trace: Trace, model: str, state_id: str, target: Path) -> CrashState:
    """Write exactly the state ``state_id`` of ``trace`` under ``model`` into ``target``."""
    state = lookup(trace, model, state_id)
    info = pending_at(trace, model, state.index)
    materialize(build_image(trace, state, info), target)
    return state


def _replay_one(
    trace: Trace, case_id: str, recover: Recover, check: StateCheck, ctx: _Recorder | None
) -> Exploration:
    rest = case_id[len(CASE_PREFIX) :]
    model, _, sid = rest.partition(":")
    get_model(model)
    state = lookup(trace, model, sid)
    info = pending_at(trace, model, state.index)
    keep = os.environ.get(KEEP_ENV, "") not in ("", "0")
    runner = _Runner(recover, dedupe=False, keep=keep)
    t0 = time.perf_counter()
    try:
        image = build_image(trace, state, info)
        verdict = _judge(state, runner.view(image, image.digest()), check)
    finally:
        runner.close()
    if runner.kept_dir is not None:
        evidence = {**verdict.evidence, "kept_dir": runner.kept_dir}
        verdict = Verdict(verdict.checker, verdict.validity, verdict.summary, evidence)
    result = Exploration(trace, (model,))
    result.results.append(StateResult(state, verdict, image.digest(), runner.kept_dir))
    result.images = 1
    result.duration_s = time.perf_counter() - t0
    if ctx is not None:
        ctx.record(case_id, verdict, detail=_detail(result.results[0]))
    return result


def _detail(r: StateResult) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "model": r.state.model,
        "state": r.state.id,
        "acked": list(r.state.acked),
        "image": r.image,
    }
    if r.kept_dir:
        detail["kept_dir"] = r.kept_dir
    return detail


def _record(ctx: _Recorder, result: Exploration) -> None:
    ctx.explored(**result.counts(), power_trace_ops=len(result.trace.ops))
    for model in result.models:
        failing = result.failing_under(model)
        for r in failing[:MAX_CASES]:
            ctx.record(r.case_id, r.verdict, detail=_detail(r))
        if not failing:
            n = result.built(model)
            ctx.record(
                f"{CASE_PREFIX}{model}",
                Verdict.ok(
                    "power-loss", f"all {n} crash states under {model} recovered and checked"
                ),
                detail={"model": model, "states": n},
            )
