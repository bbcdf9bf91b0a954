"""A proxy's toxics (both streams) and the live links they apply to.

Every change is validated first, then applied to the configuration and to
every open connection before the API call returns, so a test that adds a toxic
knows it is in force on connections already open.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harness.errors import UnknownName
from harness.proxy.errors import TOXIC_EXISTS, TOXIC_NOT_FOUND, ApiError, bad_request
from harness.proxy.rng import derive
from harness.proxy.toxics import Toxic, ToxicError, toxic_class

if TYPE_CHECKING:
    from harness.proxy.connection import Connection
    from harness.proxy.link import ToxicLink
    from harness.proxy.stage import Stage

STREAMS = ("upstream", "downstream")
_NAME = re.compile(r"^[^\s/?#%]{1,200}$")
_TOXIC_FIELDS = {"name", "type", "stream", "toxicity", "attributes"}


@dataclass(frozen=True)
class ToxicSpec:
    name: str
    type: str
    stream: str
    toxicity: float
    toxic: Toxic
    serial: int  # which addition of this proxy it is: part of its random seed

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.toxic.values),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def check_name(kind: str, name: object) -> str:
    """A name a route can address: '/proxies/{name}' (clients and Toxiproxy's router
    remove '.' and '..' path segments, so those names could never be read again)."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise bad_request(
            f"{kind} name must be a string of 1 to 200 characters without spaces, "
            f"'/', '?', '#' or '%', and not '.' or '..', got {name!r}"
        )
    return name


def _toxicity(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"toxicity must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise bad_request(f"toxicity must be between 0 and 1, got {value!r}")
    return float(value)


def _object(body: object, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"bad request body: {what} must be a JSON object")
    return body


def parse_toxic(body: object, serial: int) -> ToxicSpec:
    """A new toxic from its JSON; defaults as Toxiproxy's: downstream, toxicity 1."""
    data = _object(body, "a toxic")
    unknown = sorted(set(data) - _TOXIC_FIELDS)
    if unknown:
        raise bad_request(f"unknown toxic field(s) {', '.join(map(repr, unknown))}")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise bad_request(f"a toxic needs a 'type' string, got {kind!r}")
    stream = data.get("stream", "downstream")
    if stream not in STREAMS:
        raise bad_request(
            f"stream was invalid, can be either upstream or downstream (got {stream!r})"
        )
    try:
        cls = toxic_class(kind)
        toxic = cls.parse(data.get("attributes"))
    except UnknownName as exc:
        raise bad_request(f"invalid toxic type: {exc}") from None
    except ToxicError as exc:
        raise bad_request(str(exc)) from None
    name = data.get("name")
    if name is None or name == "":
        name = f"{kind}_{stream}"
    check_name("toxic", name)
    toxicity = _toxicity(data.get("toxicity", 1.0))
    return ToxicSpec(name, kind, stream, toxicity, toxic, serial)


def parse_update(spec: ToxicSpec, body: object) -> ToxicSpec:
    """Attributes and toxicity may change; given attributes merge over the current ones."""
    data = _object(body, "a toxic update")
    unknown = sorted(set(data) - _TOXIC_FIELDS)
    if unknown:
        raise bad_request(f"unknown toxic field(s) {', '.join(map(repr, unknown))}")
    for field in ("name", "type", "stream"):
        if field in data and data[field] != getattr(spec, field):
            raise bad_request(
                f"a toxic's {field} cannot change ({getattr(spec, field)!r} to "
                f"{data[field]!r}): delete it and add a new one"
            )
    try:
        toxic = type(spec.toxic).parse(data.get("attributes"), current=spec.toxic.values)
    except ToxicError as exc:
        raise bad_request(str(exc)) from None
    toxicity = _toxicity(data["toxicity"]) if "toxicity" in data else spec.toxicity
    return replace(spec, toxic=toxic, toxicity=toxicity)


class ToxicChain:
    def __init__(self, proxy_name: str, seed: int) -> None:
        self.proxy_name = proxy_name
        self.seed = seed
        self.specs: dict[str, ToxicSpec] = {}
        self.conns: set[Connection] = set()
        self.serial = 0
        self._lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def rng_for(self, conn_serial: int, stream: str, spec: ToxicSpec) -> random.Random:
        return derive(self.seed, self.proxy_name, conn_serial, stream, spec.name, spec.serial)

    # -- reading ----------------------------------------------------------
    def ordered(self) -> list[ToxicSpec]:
        """Upstream toxics, then downstream, each in the order added (as Toxiproxy lists them)."""
        return [s for stream in STREAMS for s in self.specs.values() if s.stream == stream]

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.ordered()]

    def get(self, name: str) -> ToxicSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise ApiError(404, TOXIC_NOT_FOUND) from None

    # -- connections ------------------------------------------------------
    def attach(self, conn: Connection) -> None:
        self.conns.add(conn)
        for spec in self.ordered():
            getattr(conn, spec.stream).add(spec)

    def detach(self, conn: Connection) -> None:
        self.conns.discard(conn)

    # -- changes ----------------------------------------------------------
    async def add(self, spec: ToxicSpec) -> ToxicSpec:
        async with self.lock:
            if spec.name in self.specs:
                raise ApiError(409, TOXIC_EXISTS)
            self.specs[spec.name] = spec
            for conn in list(self.conns):
                getattr(conn, spec.stream).add(spec)
            return spec

    async def update(self, name: str, body: object) -> ToxicSpec:
        async with self.lock:
            spec = parse_update(self.get(name), body)
            self.specs[name] = spec
            for conn in list(self.conns):
                getattr(conn, spec.stream).update(spec)
            return spec

    async def remove(self, name: str) -> None:
        async with self.lock:
            spec = self.get(name)
            del self.specs[name]
            # Halt the stage on every open connection, wait for them all at once, then
            # splice each out: one wait for 500 connections, not 500 tasks each waiting.
            halted: list[tuple[ToxicLink, Stage]] = []
            tasks: list[asyncio.Task[None]] = []
            for conn in list(self.conns):
                link: ToxicLink = getattr(conn, spec.stream)
                stage = link.stage(name)
                if stage is not None:
                    tasks += stage.halt()
                    halted.append((link, stage))
            if tasks:
                await asyncio.wait(tasks)
            for link, stage in halted:
                link.splice_out(stage)

    async def reset(self) -> None:
        for name in list(self.specs):
            if name in self.specs:
                await self.remove(name)
