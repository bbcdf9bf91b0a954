"""Small helpers the checkers share: pairing invocations with completions, items, evidence."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError
from harness.history import NEMESIS, History, Op, OpType

#: evidence lists are cut to this many entries (counts stay exact)
SHOWN = 50


@dataclass(frozen=True)
class Pair:
    invoke: Op
    completion: Op | None  # None: never completed (the process was lost)

    @property
    def type(self) -> OpType:
        return self.completion.type if self.completion is not None else OpType.INFO


def names(f: str | Sequence[str], param: str = "f") -> frozenset[str]:
    if isinstance(f, str):
        return frozenset({f})
    if isinstance(f, Sequence) and f and all(isinstance(x, str) for x in f):
        return frozenset(f)
    raise ConfigError(f"{param} must be an op name or a list of op names, got {f!r}")


def pairs(history: History, f: frozenset[str]) -> Iterator[Pair]:
    """Each invocation of an op named in ``f`` with its completion (same process and f)."""
    open_: dict[tuple[str, str], list[Op]] = {}
    done: list[Pair] = []
    for op in history:
        if op.process == NEMESIS or op.f not in f:
            continue
        slot = open_.setdefault((op.process, op.f), [])
        if op.type is OpType.INVOKE:
            slot.append(op)
        elif slot:
            done.append(Pair(slot.pop(), op))
    for slot in open_.values():
        done.extend(Pair(invoke, None) for invoke in slot)
    done.sort(key=lambda p: p.invoke.index)
    return iter(done)


def key_of(value: Any, key: str | None) -> Any:
    if key is None:
        return hashable(value)
    if not isinstance(value, dict) or key not in value:
        raise ConfigError(f"value {value!r} has no field {key!r}; set key= to one it has")
    return hashable(value[key])


def items(value: Any, key: str | None = None) -> list[Any]:
    """The items an op value carries: a list of several, one scalar, or none (None)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [key_of(v, key) for v in value]
    return [key_of(value, key)]


def hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def shown(values: Iterable[Any]) -> list[Any]:
    out = []
    for i, v in enumerate(values):
        if i >= SHOWN:
            break
        out.append(jsonable(v))
    return out


def jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return repr(value)


def snapshot(history: History, name: str) -> Any:
    if name not in history.snapshots:
        raise LookupError(
            f"history has no snapshot {name!r} (has: {sorted(history.snapshots) or 'none'})"
        )
    return history.snapshots[name]
