"""The persistence-model registry, and what a model decides.

A model reads a trace up to a crash point and says, of the operations run so far,
which are certainly on disk (``durable``), which may or may not be (``pending``),
which pending operation needs which others to be kept with it (``deps``: a crash
state keeps a set closed under them), and how a pending operation may be torn.
Every finding names the model it holds under.

    @register("weakest")
    class Weakest(Model): ...

    get_model("ext4-ordered").at(trace)     # -> one Pending per crash point
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from harness.disk.ops import Op, Trace
from harness.errors import ConfigError, UnknownName

SECTOR = 512


@dataclass
class Pending:
    """What a power cut right after op ``index`` may or may not have kept."""

    index: int
    durable: list[int]
    pending: list[int]
    deps: dict[int, frozenset[int]] = field(default_factory=dict)
    tears: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def dependents(self, op: int) -> set[int]:
        """``op`` and every pending op that (transitively) needs it."""
        out = {op}
        for j in self.pending:  # in trace order: dependencies come first
            if j > op and self.deps.get(j, frozenset()) & out:
                out.add(j)
        return out

    def closed(self, kept: frozenset[int]) -> bool:
        return all(self.deps.get(j, frozenset()) <= kept for j in kept)

    def close_down(self, kept: set[int]) -> frozenset[int]:
        """The largest dependency-closed subset of ``kept``."""
        out: set[int] = set()
        for j in self.pending:
            if j in kept and self.deps.get(j, frozenset()) <= out:
                out.add(j)
        return frozenset(out)


def write_tears(op: Op, old_size: int, *, zeros: bool) -> tuple[str, ...]:
    """Sector tears of a write: ``s<j>`` keeps its first j sectors (of those it spans);
    ``zero`` (an append whose size reached the disk before its data) reads as zeros."""
    first = op.offset // SECTOR
    last = (op.offset + len(op.data) - 1) // SECTOR
    spans = last - first + 1
    tears = [f"s{j}" for j in _spread(spans - 1)]
    if zeros and op.offset + len(op.data) > old_size:
        tears.append("zero")
    return tuple(tears)


def data_op_tears(
    i: int, op: Op, sizes: dict[int, int], tears: dict[int, tuple[str, ...]], *, zeros: bool
) -> None:
    """A write or truncate at op ``i``: how a write may tear (``tears[i]``), and the file's
    size after it (``sizes``, by inode), which the next write's tears depend on."""
    if op.kind == "write":
        tears[i] = write_tears(op, sizes.get(op.ino, 0), zeros=zeros)
        sizes[op.ino] = max(sizes.get(op.ino, 0), op.offset + len(op.data))
    else:
        sizes[op.ino] = op.size


def _spread(n: int, limit: int = 4) -> list[int]:
    """1..n, or ``limit`` values spread over it (first, last and between)."""
    if n <= limit:
        return list(range(1, n + 1))
    step = (n - 1) / (limit - 1)
    return sorted({1 + round(i * step) for i in range(limit)})


class Model:
    """Base of every persistence model."""

    name: ClassVar[str] = ""
    #: one line for ``harness doctor`` and reports
    summary: ClassVar[str] = ""

    def at(self, trace: Trace) -> Iterator[Pending]:
        """One ``Pending`` per crash point: right after each operation, in order."""
        raise NotImplementedError


_REGISTRY: dict[str, type[Model]] = {}


def register(name: str) -> Callable[[type[Model]], type[Model]]:
    def decorate(cls: type[Model]) -> type[Model]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(f"persistence model {name!r} is registered twice; pick another name")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def get_model(name: str) -> Model:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise UnknownName("persistence model", name, list(_REGISTRY)) from None


def model_names() -> list[str]:
    return sorted(_REGISTRY)
