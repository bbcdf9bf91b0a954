"""Crash states: which of a trace's operations a power cut kept, and their ids.

A state is (crash point, kept set, tear): the power went out right after op
``index``; every op the model calls durable by then is on disk, plus the pending
ops in ``kept``; ``tear`` names one kept op that reached the disk only in part.
Its id reads back exactly: ``op12:keep=3-5,7:tear=9/s1``, ``op4:keep=none``.

Which states are built at each crash point (``Bounds``): keep none, keep all, leave
one out (with what needs it), tear the last write or rename; every dependency-closed
subset when at most ``exhaustive_max`` ops are pending, else ``samples`` drawn from
a seeded generator.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from harness.disk.models import Pending, get_model
from harness.disk.ops import Trace
from harness.errors import ConfigError

_ID = re.compile(r"^op(\d+):keep=(none|[0-9,\-]+)(?::tear=(\d+)/([a-z0-9]+))?$")


@dataclass(frozen=True)
class Bounds:
    """How far exploration goes at each crash point (see the module doc)."""

    exhaustive_max: int = 8
    samples: int = 16
    crash_points: str = "every-op"  # or "marks": only right after acks and crash points

    def __post_init__(self) -> None:
        if not 0 <= self.exhaustive_max <= 16:
            raise ConfigError(f"exhaustive_max must be 0..16, got {self.exhaustive_max}")
        if self.samples < 0:
            raise ConfigError(f"samples must be >= 0, got {self.samples}")
        if self.crash_points not in ("every-op", "marks"):
            raise ConfigError(f"crash_points is 'every-op' or 'marks', got {self.crash_points!r}")


@dataclass(frozen=True)
class CrashState:
    """One crash state of a trace under a model."""

    index: int
    kept: frozenset[int]
    tear: tuple[int, str] | None
    model: str
    acked: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return state_id(self.index, self.kept, self.tear)

    def describe(self, trace: Trace) -> str:
        kept = ", ".join(trace.ops[j].describe() for j in sorted(self.kept)) or "nothing pending"
        tear = f"; torn: op {self.tear[0]} ({self.tear[1]})" if self.tear else ""
        return f"power cut after op {self.index} ({trace.ops[self.index].describe()}); kept: {kept}{tear}"


def _ranges(values: frozenset[int]) -> str:
    if not values:
        return "none"
    out, ordered = [], sorted(values)
    start = prev = ordered[0]
    for v in [*ordered[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ",".join(out)


def state_id(index: int, kept: frozenset[int], tear: tuple[int, str] | None) -> str:
    text = f"op{index}:keep={_ranges(kept)}"
    return text + (f":tear={tear[0]}/{tear[1]}" if tear else "")


class UnknownState(ConfigError):
    """A state id that this trace and model cannot produce."""


def parse_state_id(text: str) -> tuple[int, frozenset[int], tuple[int, str] | None]:
    match = _ID.match(text.strip())
    if match is None:
        raise UnknownState(
            f"{text!r} is not a crash state id; ids look like op12:keep=3-5,7 or "
            "op12:keep=none or op12:keep=3-5:tear=5/s1"
        )
    kept: set[int] = set()
    if match.group(2) != "none":
        for part in match.group(2).split(","):
            lo, _, hi = part.partition("-")
            kept.update(range(int(lo), int(hi or lo) + 1))
    tear = (int(match.group(3)), match.group(4)) if match.group(3) else None
    return int(match.group(1)), frozenset(kept), tear


def pending_at(trace: Trace, model: str, index: int) -> Pending:
    for each in get_model(model).at(trace):
        if each.index == index:
            return each
    raise UnknownState(
        f"state op{index}: the trace has ops 0..{len(trace.ops) - 1}; no crash point {index}"
    )


def lookup(trace: Trace, model: str, text: str) -> CrashState:
    """The state with id ``text``, checked against the trace and model (one-line error)."""
    index, kept, tear = parse_state_id(text)
    info = pending_at(trace, model, index)
    extra = sorted(kept - set(info.pending))
    if extra:
        raise UnknownState(
            f"state {text!r} does not exist under {model}: ops {extra} are not pending at op "
            f"{index} (pending: {_ranges(frozenset(info.pending))})"
        )
    if not info.closed(kept):
        raise UnknownState(
            f"state {text!r} does not exist under {model}: it keeps an op without one it needs"
        )
    if tear is not None and (tear[0] not in kept or tear[1] not in info.tears.get(tear[0], ())):
        raise UnknownState(
            f"state {text!r} does not exist under {model}: op {tear[0]} cannot tear as {tear[1]!r}"
        )
    return CrashState(index, kept, tear, model, tuple(trace.acked_before(index)))


def enumerate_states(
    trace: Trace, model: str, bounds: Bounds | None = None, *, seed: int = 0
) -> Iterator[CrashState]:
    """Every state the bounds ask for, crash point by crash point, without repeats."""
    for state, _ in states_with_pending(trace, model, bounds, seed=seed):
        yield state


def states_with_pending(
    trace: Trace, model: str, bounds: Bounds | None = None, *, seed: int = 0
) -> Iterator[tuple[CrashState, Pending]]:
    """``enumerate_states`` with what the model said at each state's crash point."""
    bounds = bounds or Bounds()
    rng = random.Random(f"{seed}:{model}")
    marks = {i for i, op in enumerate(trace.ops) if op.kind == "mark"}
    acked: list[str] = []
    for info in get_model(model).at(trace):
        op = trace.ops[info.index]
        if op.kind == "mark" and op.mark_kind == "ack":
            acked.append(op.label)
        if bounds.crash_points == "marks" and info.index not in marks:
            continue
        seen: set[tuple[frozenset[int], tuple[int, str] | None]] = set()
        for kept, tear in _kept_sets(info, bounds, rng):
            if (kept, tear) not in seen:
                seen.add((kept, tear))
                yield CrashState(info.index, kept, tear, model, tuple(acked)), info


def _kept_sets(
    info: Pending, bounds: Bounds, rng: random.Random
) -> Iterator[tuple[frozenset[int], tuple[int, str] | None]]:
    everything = frozenset(info.pending)
    yield frozenset(), None
    yield everything, None
    for op in info.pending:
        yield everything - info.dependents(op), None
    for op in _last_tearable(info):
        for tear in info.tears[op]:
            yield everything, (op, tear)
    if len(info.pending) <= bounds.exhaustive_max:
        for r in range(1, len(info.pending)):
            for combo in itertools.combinations(info.pending, r):
                kept = frozenset(combo)
                if info.closed(kept):
                    yield kept, None
    else:
        for _ in range(bounds.samples):
            yield info.close_down({j for j in info.pending if rng.random() < 0.5}), None


def _last_tearable(info: Pending) -> list[int]:
    """The last pending op of each tearable kind (the last write, the last rename)."""
    last: dict[str, int] = {}
    for op in info.pending:
        for tear in info.tears.get(op, ()):
            last["rename" if tear == "half" else "write"] = op
    return sorted(set(last.values()))
