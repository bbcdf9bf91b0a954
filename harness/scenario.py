"""Scenarios: the unit the gate, the report and the replay command share.

A scenario checks one invariant of one fix on one variant of the code. It may
explore many *cases* (each crash point, each schedule, each fault); every
case gets a verdict with its evidence. The scenario's result is the worst of
its cases.

Expectations: the ``fixed`` variant must PASS; every other variant is a known
bug and must FAIL (the scenario *catches* it), except variants listed as
``measured`` (e.g. a seed's own proposed fix), whose verdict is reported as it
comes out.

Writing one (a pytest test; the ``ctx`` fixture comes from the harness plugin)::

    @scenario("AGT-1", variants=("prefix", "fixed"))
    def test_crash_at_every_step(ctx: ScenarioContext, pg_db) -> None:
        for point in points:
            case = f"crash@{point}"
            if not ctx.selected(case):
                continue
            ...
            ctx.record(case, verdict, history=history, detail={"crash_point": point})
"""

from __future__ import annotations

import hashlib
import inspect
import random
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from harness.errors import ConfigError
from harness.history import History
from harness.verdict import Validity, Verdict, compose

RESULT_SCHEMA = "fault-harness/scenario-result/1"
DEFAULT_VARIANTS = ("prefix", "fixed")
FIXED = "fixed"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ScenarioSpec:
    """What the ``@scenario`` decorator attaches to a test."""

    fix_id: str
    name: str
    variants: tuple[str, ...]
    measured: tuple[str, ...] = ()
    description: str = ""

    def expects_pass(self, variant: str) -> bool | None:
        """True: must pass; False: must be caught; None: reported as measured."""
        if variant == FIXED:
            return True
        if variant in self.measured:
            return None
        return False


@dataclass
class Case:
    """One explored case: a crash point, a schedule, a fault placement."""

    case_id: str
    verdict: Verdict
    detail: dict[str, Any] = field(default_factory=dict)
    history: History | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "verdict": self.verdict.to_json(),
            "detail": self.detail,
            "history": self.history.to_json() if self.history is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Case:
        hist = data.get("history")
        return cls(
            case_id=str(data["case_id"]),
            verdict=Verdict.from_json(data["verdict"]),
            detail=dict(data.get("detail", {})),
            history=History.from_json(hist) if hist else None,
        )


def case_ref(fix_id: str, scenario: str, variant: str, case_id: str | None = None) -> str:
    """The id a user types: ``AGT-1/registration_fault_at_every_step/prefix[:case]``."""
    base = f"{fix_id}/{scenario}/{variant}"
    return f"{base}:{case_id}" if case_id else base


def parse_case_ref(ref: str) -> tuple[str, str, str, str | None]:
    head, _, case = ref.partition(":")
    parts = head.split("/")
    if len(parts) != 3 or not all(parts):
        raise ConfigError(
            f"case id {ref!r} is not FIX/SCENARIO/VARIANT[:CASE], e.g. AGT-1/registration_fault_at_every_step/prefix"
        )
    return parts[0], parts[1], parts[2], case or None


def replay_command(fix_id: str, scenario: str, variant: str, seed: int, case_id: str | None) -> str:
    ref = case_ref(fix_id, scenario, variant, case_id)
    return f"harness repro {shlex.quote(ref)} --seed {seed}"


@dataclass
class ScenarioResult:
    fix_id: str
    scenario: str
    variant: str
    seed: int
    cases: list[Case] = field(default_factory=list)
    duration_s: float = 0.0
    explored: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    expects_pass: bool | None = None
    description: str = ""

    @property
    def verdict(self) -> Verdict:
        if self.error is not None:
            return Verdict.unknown(self.scenario, f"harness error: {self.error}")
        if not self.cases:
            return Verdict.unknown(self.scenario, "no case was explored")
        return compose(self.scenario, (c.verdict for c in self.cases))

    @property
    def validity(self) -> Validity:
        return self.verdict.validity

    @property
    def outcome(self) -> str:
        return {Validity.VALID: "PASS", Validity.INVALID: "FAIL", Validity.UNKNOWN: "UNKNOWN"}[
            self.validity
        ]

    @property
    def meets_expectation(self) -> bool:
        if self.expects_pass is None:
            return self.validity is not Validity.UNKNOWN
        wanted = Validity.VALID if self.expects_pass else Validity.INVALID
        return self.validity is wanted

    @property
    def ref(self) -> str:
        return case_ref(self.fix_id, self.scenario, self.variant)

    def failing_cases(self) -> list[Case]:
        return [c for c in self.cases if c.verdict.validity is not Validity.VALID]

    def replay(self, case_id: str | None = None) -> str:
        return replay_command(self.fix_id, self.scenario, self.variant, self.seed, case_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": RESULT_SCHEMA,
            "fix_id": self.fix_id,
            "scenario": self.scenario,
            "variant": self.variant,
            "seed": self.seed,
            "outcome": self.outcome,
            "expects_pass": self.expects_pass,
            "meets_expectation": self.meets_expectation,
            "description": self.description,
            "duration_s": round(self.duration_s, 4),
            "explored": self.explored,
            "error": self.error,
            "replay": self.replay(),
            "cases": [{**c.to_json(), "replay": self.replay(c.case_id)} for c in self.cases],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScenarioResult:
        if data.get("schema") != RESULT_SCHEMA:
            raise ConfigError(
                f"scenario result schema {data.get('schema')!r} is not {RESULT_SCHEMA!r}"
            )
        return cls(
            fix_id=str(data["fix_id"]),
            scenario=str(data["scenario"]),
            variant=str(data["variant"]),
            seed=int(data["seed"]),
            cases=[Case.from_json(c) for c in data.get("cases", [])],
            duration_s=float(data.get("duration_s", 0.0)),
            explored=dict(data.get("explored", {})),
            error=data.get("error"),
            expects_pass=data.get("expects_pass"),
            description=str(data.get("description", "")),
        )


#: The scenario whose test is running in this process (set by the ``ctx`` fixture), so an
#: explorer called inside it without ``ctx=ctx`` is an error, not cases silently unrecorded.
_running: list[ScenarioContext] = []


def running() -> ScenarioContext | None:
    return _running[-1] if _running else None


class Recorder(Protocol):
    """What an explorer records its cases into: a ``ScenarioContext``, structurally."""

    def selected(self, case_id: str) -> bool: ...

    def record(
        self, case_id: str, verdict: Verdict, *, history: Any = ..., detail: Any = ...
    ) -> Any: ...

    def explored(self, **counts: Any) -> None: ...


def require_ctx(ctx: object, explorer: str) -> None:
    """An explorer given no ``ctx`` inside a running scenario: a one-line ConfigError."""
    current = running()
    if ctx is None and current is not None:
        raise ConfigError(
            f"{explorer} called without ctx=ctx inside scenario {current.result.ref}: "
            "pass ctx=ctx so its cases are recorded (and a replay runs only its case)"
        )


def derive_seed(base_seed: int, *parts: str) -> int:
    """A stable per-scenario seed: same base seed and names, same seed, on any machine."""
    digest = hashlib.sha256(":".join((str(base_seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


class ScenarioContext:
    """Handed to a scenario test: its variant, seed, random source, and the case log."""

    def __init__(
        self,
        spec: ScenarioSpec,
        variant: str,
        seed: int,
        only_case: str | None = None,
    ) -> None:
        self.spec = spec
        self.variant = variant
        self.seed = seed
        self.only_case = only_case
        #: The one source of randomness a scenario may use.
        self.rng = random.Random(seed)
        self.result = ScenarioResult(
            fix_id=spec.fix_id,
            scenario=spec.name,
            variant=variant,
            seed=seed,
            expects_pass=spec.expects_pass(variant),
            description=spec.description,
        )
        self._t0 = time.perf_counter()

    @property
    def fix_id(self) -> str:
        return self.spec.fix_id

    def selected(self, case_id: str) -> bool:
        """False when a replay asked for another case: skip this one."""
        return self.only_case is None or self.only_case == case_id

    def record(
        self,
        case_id: str,
        verdict: Verdict,
        *,
        history: History | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> Case:
        case = Case(case_id, verdict, dict(detail or {}), history)
        self.result.cases.append(case)
        return case

    def explored(self, **counts: Any) -> None:
        """Say what was exercised: crash_points=7, schedules=20, faults=[...], processes=8."""
        self.result.explored.update(counts)

    def finish(self, error: str | None = None) -> ScenarioResult:
        self.result.duration_s = time.perf_counter() - self._t0
        if error is not None:
            self.result.error = error
        if self.only_case is not None and not self.result.cases and error is None:
            self.result.error = f"case {self.only_case!r} does not exist in this scenario"
        return self.result


def scenario(
    fix_id: str,
    *,
    variants: Sequence[str] = DEFAULT_VARIANTS,
    measured: Iterable[str] = (),
    name: str | None = None,
    description: str = "",
) -> Callable[[F], F]:
    """Mark a pytest test as a scenario of ``fix_id``, parametrized over ``variants``.

    The scenario's name defaults to the function name less its ``test_`` prefix.
    """
    import pytest

    variants = tuple(variants)
    if FIXED not in variants:
        raise ConfigError(f"scenario of {fix_id} must run the 'fixed' variant; got {variants}")
    measured_t = tuple(measured)

    def decorate(fn: F) -> F:
        if "ctx" not in inspect.signature(fn).parameters:
            raise ConfigError(
                f"@scenario test {fn.__name__} takes no 'ctx': write def {fn.__name__}(ctx, ...) "
                "(its cases are recorded on ctx)"
            )
        spec = ScenarioSpec(
            fix_id=fix_id,
            name=name or fn.__name__.removeprefix("test_"),
            variants=variants,
            measured=measured_t,
            # The docstring's first paragraph, on one line: reports show it as it is.
            description=description
            or " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split()),
        )
        fn.__harness_scenario__ = spec  # type: ignore[attr-defined]
        marked = pytest.mark.fix(fix_id)(fn)
        # Indirect: the plugin's ``variant`` fixture hands the value on, so a test
        # need not name ``variant`` in its signature (``ctx.variant`` has it).
        return pytest.mark.parametrize("variant", variants, indirect=True)(marked)

    return decorate
