"""Build every crash state of a trace (within bounds), run recovery on each, judge it.

    result = explore(rec.trace, recover=read_queue, checks=[Check("acked_recovered")],
                     models=("weakest", "ext4-ordered"), ctx=ctx)
    result.failing          # states whose verdict is not VALID, each with its id

``recover(path)`` runs the system's recovery on a materialized state (a fresh
directory) and returns what it recovered (a "view"). Each state is judged on its
record, as the crash explorer's cases are: a ``History`` holding the view as the
snapshot ``after_power`` and the state's facts (``acked``: what had been
acknowledged before the power cut, ``model``, ``state`` id, ``op`` index, and the
caller's ``facts``), judged by registered ``checks``; each case keeps that record and
its checks, so ``harness report --recheck`` judges it again with no server. A
recovery that raises is an INVALID state (the system could not come back); a check
that raises is UNKNOWN, never a pass. Recovery is a function of the bytes on disk, so
it runs once per distinct disk image (``dedupe``) and each state sharing the image is
judged.

``check(state, view) -> Verdict`` is the short form (a callable, not recheckable: its
cases keep their recorded verdict on a recheck), for unit tests and callers that have
no registered checker yet.

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
from typing import Any

from harness import procs
from harness.checkers.judge import Check, checks_of, judged
from harness.checkers.safe import check_safe
from harness.disk import summary
from harness.disk.image import Image, build_image, materialize
from harness.disk.models import get_model
from harness.disk.ops import Trace
from harness.disk.states import (
    Bounds,
    CrashState,
    UnknownState,
    lookup,
    pending_at,
    states_with_pending,
)
from harness.errors import ConfigError, HarnessError
from harness.history import History
from harness.scenario import Recorder
from harness.verdict import Verdict

Recover = Callable[[Path], Any]
StateCheck = Callable[[CrashState, Any], Verdict]
CASE_PREFIX = "power:"
#: the snapshot of a state's record: what recovery returned on it
AFTER_POWER = summary.AFTER_POWER
KEEP_ENV = "HARNESS_KEEP_SERVERS"
#: failing states recorded as cases per model (all are counted in ``explored``)
MAX_CASES = 20


@dataclass
class StateResult:
    state: CrashState
    verdict: Verdict
    image: str  # digest of the disk image
    kept_dir: str | None = None
    #: the record the checks judged (None under the short form ``check=``)
    history: History | None = None
    #: verdicts about the state itself (its recovery failed), kept so a recheck composes
    #: the same verdict
    run_parts: list[Verdict] = field(default_factory=list)

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


class _Judge:
    """How each state is judged: registered checks on its record, or the short form."""

    def __init__(
        self, checks: Sequence[Check] | None, check: StateCheck | None, facts: Any
    ) -> None:
        if (checks is None) == (check is None):
            raise ConfigError(
                "pass checks=[Check('name', **params)] (or the short form check=fn(state, view)), "
                "exactly one of them"
            )
        if check is not None and not callable(check):
            raise ConfigError(
                f"check must be a callable (state, recovered) -> Verdict, got {check!r}"
            )
        if facts is not None and not isinstance(facts, dict):
            raise ConfigError(f"facts must be a dict of JSON values, got {type(facts).__name__}")
        self.checks = checks_of(checks) if checks is not None else None
        self.check = check
        self.facts = dict(facts or {})

    def __call__(self, state: CrashState, outcome: tuple[bool, Any], image: str) -> StateResult:
        ok, view = outcome
        parts = [] if ok else [_recovery_failed(state, view)]
        if self.checks is None:
            assert self.check is not None
            verdict = parts[0] if parts else check_safe("check", self.check, state, view)
            return StateResult(state, verdict, image)
        history = summary.record(view, summary.facts_of(state, self.facts), recovered=ok)
        case_id = f"{CASE_PREFIX}{state.model}:{state.id}"
        verdict = judged(case_id, history, self.checks, parts)
        return StateResult(state, verdict, image, history=history, run_parts=parts)

    def detail(self) -> dict[str, Any]:
        if self.checks is None:
            return {}
        return {"checks": [c.to_json() for c in self.checks]}


def _recovery_failed(state: CrashState, error: Any) -> Verdict:
    return Verdict.violated(
        "recovery", f"recovery failed on this state: {error}", state=state.id, error=error
    )


def _validate(recover: object, models: Sequence[str]) -> tuple[str, ...]:
    if not callable(recover):
        raise ConfigError(f"recover must be a callable taking a directory, got {recover!r}")
    if isinstance(models, str):
        models = (models,)
    for m in models:
        get_model(m)  # an unknown name is one line listing the known ones
    return tuple(models)


def explore(
    trace: Trace,
    *,
    recover: Recover,
    checks: Sequence[Check] | None = None,
    check: StateCheck | None = None,
    facts: dict[str, Any] | None = None,
    models: Sequence[str] = ("weakest",),
    bounds: Bounds | None = None,
    seed: int = 0,
    ctx: Recorder | None = None,
    dedupe: bool = True,
) -> Exploration:
    """Every crash state of ``trace`` under each model (within ``bounds``), recovered and
    judged by ``checks`` on its record (``facts``: JSON the checks need, added to each
    state's). ``seed`` drives the sampling beyond the exhaustive bound."""
    names = _validate(recover, models)
    judge = _Judge(checks, check, facts)
    only = getattr(ctx, "only_case", None) if ctx is not None else None
    if isinstance(only, str) and only.startswith(CASE_PREFIX):
        return _replay_one(trace, only, recover, judge, ctx)
    t0 = time.perf_counter()
    result = Exploration(trace, names)
    runner = _Runner(recover, dedupe, keep=False)
    try:
        for model in names:
            for state, info in states_with_pending(trace, model, bounds, seed=seed):
                image = build_image(trace, state, info)
                digest = image.digest()
                result.results.append(judge(state, runner.view(image, digest), digest))
    finally:
        runner.close()
    result.images = runner.count
    result.duration_s = time.perf_counter() - t0
    if ctx is not None:
        _record(ctx, result, judge)
    return result


def rebuild(trace: Trace, model: str, state_id: str, target: Path) -> CrashState:
    """Write exactly the state ``state_id`` of ``trace`` under ``model`` into ``target``."""
    state = lookup(trace, model, state_id)
    info = pending_at(trace, model, state.index)
    materialize(build_image(trace, state, info), target)
    return state


def _replay_one(
    trace: Trace, case_id: str, recover: Recover, judge: _Judge, ctx: Recorder | None
) -> Exploration:
    rest = case_id[len(CASE_PREFIX) :]
    model, _, sid = rest.partition(":")
    try:
        get_model(model)
        state = lookup(trace, model, sid)
    except ConfigError as exc:  # the phrase ``harness repro`` turns into its one-line error
        raise UnknownState(f"case {case_id!r} does not exist in this scenario: {exc}") from None
    info = pending_at(trace, model, state.index)
    keep = os.environ.get(KEEP_ENV, "") not in ("", "0")
    runner = _Runner(recover, dedupe=False, keep=keep)
    t0 = time.perf_counter()
    try:
        image = build_image(trace, state, info)
        one = judge(state, runner.view(image, image.digest()), image.digest())
    finally:
        runner.close()
    if runner.kept_dir is not None:
        one.kept_dir = runner.kept_dir
        one.verdict = _with_kept_dir(case_id, one, judge, runner.kept_dir)
    result = Exploration(trace, (model,))
    result.results.append(one)
    result.images = 1
    result.duration_s = time.perf_counter() - t0
    if ctx is not None:
        ctx.record(case_id, one.verdict, history=one.history, detail=_detail(one, judge))
    return result


def _with_kept_dir(case_id: str, r: StateResult, judge: _Judge, kept_dir: str) -> Verdict:
    """The verdict naming the directory left for inspection: in its evidence under the
    short form; as a part about the run (which a recheck composes again) on a record."""
    if r.history is None or judge.checks is None:
        v = r.verdict
        return Verdict(v.checker, v.validity, v.summary, {**v.evidence, "kept_dir": kept_dir})
    r.run_parts.append(Verdict.ok("kept", f"the state is left in {kept_dir}", kept_dir=kept_dir))
    return judged(case_id, r.history, judge.checks, r.run_parts)


def _detail(r: StateResult, judge: _Judge) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "model": r.state.model,
        "state": r.state.id,
        "acked": list(r.state.acked),
        "image": r.image,
        **judge.detail(),
    }
    if r.history is not None:
        detail["run_parts"] = [v.to_json() for v in r.run_parts]
    if r.kept_dir:
        detail["kept_dir"] = r.kept_dir
    return detail


def _record(ctx: Recorder, result: Exploration, judge: _Judge) -> None:
    ctx.explored(**result.counts(), power_trace_ops=len(result.trace.ops))
    for model in result.models:
        failing = result.failing_under(model)
        for r in failing[:MAX_CASES]:
            ctx.record(r.case_id, r.verdict, history=r.history, detail=_detail(r, judge))
        if not failing:
            n = result.built(model)
            detail: dict[str, Any] = {"model": model, "states": n}
            if judge.checks is not None:
                records = [
                    (r.image, r.history)
                    for r in result.results
                    if r.state.model == model and r.history is not None
                ]
                detail.update(judge.detail(), **{summary.PACKED: summary.pack(records)})
            ctx.record(f"{CASE_PREFIX}{model}", summary.all_valid(model, n), detail=detail)
