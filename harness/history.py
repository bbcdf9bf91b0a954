"""Histories: what happened in a scenario, as Jepsen records it.

Each operation appears as an ``invoke`` and then one completion: ``ok``,
``fail`` (it certainly did not happen) or ``info`` (unknown outcome, e.g. the
link was cut before the reply). Faults are operations of the ``nemesis``
process. Snapshots of the stores are kept beside the operations, so a checker
can judge the final state and a report can show it.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NEMESIS = "nemesis"
SCHEMA_VERSION = 1


class OpType(enum.Enum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True)
class Op:
    index: int
    process: str
    type: OpType
    f: str
    value: Any = None
    time_ns: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "process": self.process,
            "type": self.type.value,
            "f": self.f,
            "value": self.value,
            "time_ns": self.time_ns,
        }
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Op:
        return cls(
            index=int(data["index"]),
            process=str(data["process"]),
            type=OpType(data["type"]),
            f=str(data["f"]),
            value=data.get("value"),
            time_ns=int(data.get("time_ns", 0)),
            error=data.get("error"),
        )


@dataclass
class History:
    """An append-only list of operations plus named store snapshots."""

    ops: list[Op] = field(default_factory=list)
    snapshots: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    _t0: int = field(default_factory=time.monotonic_ns, repr=False)

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def _append(
        self, process: str, type_: OpType, f: str, value: Any, error: str | None = None
    ) -> Op:
        op = Op(
            index=len(self.ops),
            process=str(process),
            type=type_,
            f=f,
            value=value,
            time_ns=time.monotonic_ns() - self._t0,
            error=error,
        )
        self.ops.append(op)
        return op

    def invoke(self, process: str, f: str, value: Any = None) -> Op:
        return self._append(process, OpType.INVOKE, f, value)

    def ok(self, invoked: Op, value: Any = None) -> Op:
        return self._append(invoked.process, OpType.OK, invoked.f, value)

    def fail(self, invoked: Op, error: str, value: Any = None) -> Op:
        return self._append(invoked.process, OpType.FAIL, invoked.f, value, error)

    def info(self, invoked: Op, error: str, value: Any = None) -> Op:
        """Outcome unknown: the operation may or may not have taken effect."""
        return self._append(invoked.process, OpType.INFO, invoked.f, value, error)

    def fault(self, f: str, value: Any = None) -> Op:
        """A fault the harness injected, recorded as a nemesis ``info`` op."""
        return self._append(NEMESIS, OpType.INFO, f, value)

    def amend(self, op: Op, **value: Any) -> Op:
        """Add fields to the value of a recorded op (a fault's landing time, once known)."""
        base = (
            op.value
            if isinstance(op.value, dict)
            else ({} if op.value is None else {"value": op.value})
        )
        placed = dataclasses.replace(op, value={**base, **value})
        self.ops[op.index] = placed
        return placed

    def add(self, op: Op) -> Op:
        """Append an op recorded elsewhere (a child process), re-indexed here."""
        placed = dataclasses.replace(op, index=len(self.ops))
        self.ops.append(placed)
        return placed

    def elapsed_ns(self, monotonic_ns: int | None = None) -> int:
        """Time since this history began, for an op timed elsewhere (``time.monotonic_ns()``
        is one clock for every process on the machine, so a child's reading fits)."""
        now = time.monotonic_ns() if monotonic_ns is None else monotonic_ns
        return now - self._t0

    def snapshot(self, name: str, state: Any) -> None:
        """Keep ``state`` as snapshot ``name``, and how many ops were recorded by then."""
        self.snapshots[name] = state
        self.meta.setdefault("snapshot_at", {})[name] = len(self.ops)

    def upto(self, name: str) -> History:
        """The ops recorded before snapshot ``name`` was taken (what a check "as of" that
        stage may see), with every snapshot and the meta. KeyError if there is no such one."""
        at = self.meta.get("snapshot_at", {}).get(name)
        if name not in self.snapshots:
            raise KeyError(
                f"no snapshot {name!r} in this history (it has {sorted(self.snapshots)})"
            )
        ops = self.ops if at is None else self.ops[:at]
        return History(ops=list(ops), snapshots=self.snapshots, meta=self.meta, _t0=self._t0)

    def completions(self) -> list[Op]:
        return [op for op in self.ops if op.type is not OpType.INVOKE]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "ops": [op.to_json() for op in self.ops],
            "snapshots": self.snapshots,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> History:
        if data.get("schema") != SCHEMA_VERSION:
            from harness.errors import ConfigError

            raise ConfigError(
                f"history schema {data.get('schema')!r} is not {SCHEMA_VERSION}; "
                "re-run the scenario to record it again"
            )
        return cls(
            ops=[Op.from_json(o) for o in data.get("ops", [])],
            snapshots=dict(data.get("snapshots", {})),
            meta=dict(data.get("meta", {})),
        )

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, default=str))

    @classmethod
    def load(cls, path: Path) -> History:
        return cls.from_json(json.loads(path.read_text()))
