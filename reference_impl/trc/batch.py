"""A batch: one tenant's traces with their spans and logs, every row naming its tenant.

Ids follow W3C trace context: a trace id is 32 lower-case hex digits, a span id
16, neither all zeros. A log is keyed by its span and its position ``seq`` in
that span (the producer numbers them), which is what makes a replayed log
recognisable as the same log.

``validate`` refuses a batch that can never be stored, before anything is
written: every row must name the batch's tenant (a row claiming another tenant
is a cross-tenant write), every span must come with its trace and every log
with its span in the same batch (so a stored batch never holds an orphan).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from reference_impl.trc.errors import InvalidBatch

_TENANT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-f]{16}$")
_MAX_TEXT = 4096


@dataclass(frozen=True)
class Trace:
    tenant_id: str
    trace_id: str
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant_id, self.trace_id)


@dataclass(frozen=True)
class Span:
    tenant_id: str
    trace_id: str
    span_id: str
    name: str
    parent_span_id: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tenant_id, self.trace_id, self.span_id)


@dataclass(frozen=True)
class Log:
    tenant_id: str
    trace_id: str
    span_id: str
    seq: int
    body: str

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.tenant_id, self.trace_id, self.span_id, self.seq)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    tenant_id: str
    traces: tuple[Trace, ...]
    spans: tuple[Span, ...] = ()
    logs: tuple[Log, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "tenant_id": self.tenant_id,
            "traces": [vars(t) for t in self.traces],
            "spans": [vars(s) for s in self.spans],
            "logs": [vars(lg) for lg in self.logs],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Batch:
        """Rebuild a batch from ``to_dict``'s shape; a wrong shape is ``InvalidBatch``."""
        if not isinstance(data, dict):
            raise InvalidBatch(f"a batch is a JSON object, got {type(data).__name__}")
        try:
            return cls(
                batch_id=data["batch_id"],
                tenant_id=data["tenant_id"],
                traces=tuple(Trace(**t) for t in _rows(data, "traces")),
                spans=tuple(Span(**s) for s in _rows(data, "spans")),
                logs=tuple(Log(**lg) for lg in _rows(data, "logs")),
            )
        except KeyError as exc:
            raise InvalidBatch(f"batch field {exc.args[0]!r} is missing") from None
        except TypeError as exc:
            raise InvalidBatch(f"batch row has the wrong fields: {exc}") from None


def _rows(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = data.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InvalidBatch(f"batch field {name!r} must be a list of objects")
    return rows


def validate(batch: Batch) -> None:
    """Raise ``InvalidBatch`` naming the first problem; return if the batch can be stored."""
    if not isinstance(batch.batch_id, str):
        raise InvalidBatch(f"batch_id must be a UUID string, got {batch.batch_id!r}")
    try:
        uuid.UUID(batch.batch_id)
    except ValueError:
        raise InvalidBatch(f"batch_id must be a UUID, got {batch.batch_id!r}") from None
    _tenant("batch", batch.tenant_id)
    if not batch.traces:
        raise InvalidBatch(f"batch {batch.batch_id} has no trace")
    traces: set[tuple[str, str]] = set()
    for t in batch.traces:
        _row_tenant(batch, "trace", t.tenant_id)
        _id("trace_id", t.trace_id, _TRACE_ID, 32)
        _text("trace name", t.name)
        traces.add(t.key)
    spans: set[tuple[str, str, str]] = set()
    for s in batch.spans:
        _row_tenant(batch, "span", s.tenant_id)
        _id("trace_id", s.trace_id, _TRACE_ID, 32)
        _id("span_id", s.span_id, _SPAN_ID, 16)
        if s.parent_span_id is not None:
            _id("parent_span_id", s.parent_span_id, _SPAN_ID, 16)
        _text("span name", s.name)
        if (s.tenant_id, s.trace_id) not in traces:
            raise InvalidBatch(f"span {s.span_id} names trace {s.trace_id}, not in the batch")
        if s.key in spans:
            raise InvalidBatch(f"span {s.span_id} of trace {s.trace_id} appears twice")
        spans.add(s.key)
    logs: set[tuple[str, str, str, int]] = set()
    for lg in batch.logs:
        _row_tenant(batch, "log", lg.tenant_id)
        _id("trace_id", lg.trace_id, _TRACE_ID, 32)
        _id("span_id", lg.span_id, _SPAN_ID, 16)
        if isinstance(lg.seq, bool) or not isinstance(lg.seq, int) or not 0 <= lg.seq < 2**31:
            raise InvalidBatch(f"log seq must be an integer in [0, 2^31), got {lg.seq!r}")
        _text("log body", lg.body)
        if (lg.tenant_id, lg.trace_id, lg.span_id) not in spans:
            raise InvalidBatch(f"log {lg.seq} names span {lg.span_id}, not in the batch")
        if lg.key in logs:
            raise InvalidBatch(f"log {lg.seq} of span {lg.span_id} appears twice")
        logs.add(lg.key)


def _tenant(what: str, value: object) -> None:
    if value is None or value == "":
        raise InvalidBatch(f"{what} has no tenant_id")
    if not isinstance(value, str) or not _TENANT.match(value):
        raise InvalidBatch(
            f"{what} tenant_id must match {_TENANT.pattern} (lower-case, up to 63), got {value!r}"
        )


def _row_tenant(batch: Batch, what: str, value: object) -> None:
    _tenant(what, value)
    if value != batch.tenant_id:
        raise InvalidBatch(
            f"{what} row of tenant {value!r} in a batch of tenant {batch.tenant_id!r}"
        )


def _id(name: str, value: object, shape: re.Pattern[str], digits: int) -> None:
    if not isinstance(value, str) or not shape.match(value):
        raise InvalidBatch(f"{name} must be {digits} lower-case hex digits, got {value!r}")
    if value == "0" * digits:
        raise InvalidBatch(f"{name} must not be all zeros")


def _text(name: str, value: object) -> None:
    if not isinstance(value, str) or len(value) > _MAX_TEXT or "\x00" in value:
        raise InvalidBatch(f"{name} must be a string of at most {_MAX_TEXT} characters, no NUL")
