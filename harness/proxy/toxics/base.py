"""The contract every toxic keeps, and the registry toxics add themselves to.

A toxic class is configuration only (validated attributes, immutable); what it
does to one direction of one connection happens in ``pipe``, which talks to a
``Stub``. The contract (after Toxiproxy's CREATING_TOXICS.md, kept by the
framework rather than by each toxic):

- every ``await`` on the stub is an interruption point: an update or removal
  cancels ``pipe`` there, and the chunk it held goes back to the front of its
  input, so no in-flight byte is lost;
- ``recv`` returns ``None`` at the end of the stream; ``pipe`` then returns and
  the framework passes the end on;
- randomness comes from ``stub.rng``, seeded per proxy, connection and toxic,
  so a run replays.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from harness.registry import Registry

# Upper bound for time attributes: a day. Larger values are typos, and asyncio
# timers overflow long before Go's int64 does.
DAY_MS = 86_400_000
INT64_MAX = 2**63 - 1


class ToxicError(ValueError):
    """A toxic's type, stream or attributes are invalid (the API answers 400)."""


@dataclass(frozen=True)
class Chunk:
    """Bytes received from one side, with the monotonic time they arrived."""

    data: bytes
    ts: float


@dataclass(frozen=True)
class Attr:
    """One integer attribute: its JSON name, default (None: required) and range."""

    name: str
    default: int | None
    minimum: int
    maximum: int = INT64_MAX
    unit: str = ""

    def parse(self, value: object) -> int:
        # bool is an int in Python but not in JSON; floats like 1.5 are not sizes.
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ToxicError(f"attribute {self.name!r} must be an integer, got {value!r}")
        if not self.minimum <= value <= self.maximum:
            raise ToxicError(
                f"attribute {self.name!r} must be between {self.minimum} and {self.maximum}"
                f"{' ' + self.unit if self.unit else ''}, got {value}"
            )
        return value


class Stub(Protocol):
    """What a running toxic sees of its place in one link (see ``harness.proxy.link``)."""

    rng: random.Random
    state: Any

    async def recv(self) -> Chunk | None: ...
    async def wait_input(self, timeout: float | None) -> bool: ...
    def forward(self, n: int | None = None, ts: float | None = None) -> None: ...
    def replace(self, data: bytes) -> None: ...
    def drop(self) -> None: ...
    async def sleep(self, seconds: float) -> None: ...
    def now(self) -> float: ...
    def close(self) -> None: ...
    def reset(self) -> None: ...


class Toxic:
    """Base of every toxic kind: validated attributes plus the ``pipe`` behaviour."""

    type_name: ClassVar[str] = ""
    attrs: ClassVar[tuple[Attr, ...]] = ()
    #: attributes under which it visibly alters a short exchange (its conformance test:
    #: ``harness.proxy.toxics.conformance``): data changed, the end changed, or later
    example: ClassVar[Mapping[str, int]] = {}

    def __init__(self, values: Mapping[str, int]) -> None:
        self.values = dict(values)

    @classmethod
    def parse(cls, raw: object, current: Mapping[str, int] | None = None) -> Toxic:
        """Validate a JSON ``attributes`` object; ``current`` fills gaps on update."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ToxicError(f"attributes of a {cls.type_name} toxic must be a JSON object")
        known = {a.name: a for a in cls.attrs}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ToxicError(
                f"unknown attribute(s) {', '.join(map(repr, unknown))} for a {cls.type_name} "
                f"toxic; known: {', '.join(known) or 'none'}"
            )
        values: dict[str, int] = {}
        for attr in cls.attrs:
            if attr.name in raw:
                values[attr.name] = attr.parse(raw[attr.name])
            elif current is not None and attr.name in current:
                values[attr.name] = current[attr.name]
            elif attr.default is not None:
                values[attr.name] = attr.default
            else:
                raise ToxicError(f"a {cls.type_name} toxic needs attribute {attr.name!r}")
        cls.check(values)
        return cls(values)

    @classmethod
    def check(cls, values: Mapping[str, int]) -> None:
        """Rules across attributes; raise ToxicError. Most kinds have none."""

    def new_state(self) -> Any:
        """Per-connection state that survives updates (limit_data's byte count)."""
        return None

    def on_remove(self, stub: Stub) -> None:
        """Called when the toxic is removed from a link where it was active."""

    async def pipe(self, stub: Stub) -> None:
        raise NotImplementedError

    def __getitem__(self, name: str) -> int:
        return self.values[name]


#: Third parties add toxics through entry points of ``fault_harness.toxics``.
_REGISTRY: Registry[type[Toxic]] = Registry("toxic type", group="fault_harness.toxics")


def register(cls: type[Toxic]) -> type[Toxic]:
    """Class decorator: make a toxic kind available under its Toxiproxy name."""
    if not cls.type_name:
        raise TypeError(f"{cls.__name__} needs a type_name")
    return _REGISTRY.add(cls.type_name, cls)


def toxic_class(name: str) -> type[Toxic]:
    return _REGISTRY.get(name)


def toxic_names() -> list[str]:
    return _REGISTRY.names()
