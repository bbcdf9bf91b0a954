"""Batches for TRC tests and scenarios, every id drawn from a seeded generator.

``make_batch(rng, tenant)`` gives one tenant's batch: traces, their spans (a
root and children) and logs. ``shared_trace`` lets two tenants' batches carry
the same trace id, as W3C trace context does when a request crosses tenants.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import replace

from reference_impl.trc import Batch, Log, Span, Trace


def hex_id(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4) | 1:0{digits}x}"  # | 1: never all zeros


def make_batch(
    rng: random.Random,
    tenant: str,
    *,
    traces: int = 1,
    spans_per_trace: int = 2,
    logs_per_span: int = 2,
    trace_ids: list[str] | None = None,
) -> Batch:
    ids = list(trace_ids) if trace_ids is not None else [hex_id(rng, 32) for _ in range(traces)]
    trace_rows, span_rows, log_rows = [], [], []
    for trace_id in ids:
        trace_rows.append(Trace(tenant, trace_id, f"{tenant} request {trace_id[:6]}"))
        root: str | None = None
        for s in range(spans_per_trace):
            span_id = hex_id(rng, 16)
            span_rows.append(Span(tenant, trace_id, span_id, f"op-{s}", root))
            root = root or span_id
            for seq in range(logs_per_span):
                log_rows.append(Log(tenant, trace_id, span_id, seq, f"{tenant} log {seq}"))
    batch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return Batch(batch_id, tenant, tuple(trace_rows), tuple(span_rows), tuple(log_rows))


def foreign_row_batch(rng: random.Random, tenant: str, other: str) -> Batch:
    """A batch that can never be stored: one of its spans names another tenant."""
    batch = make_batch(rng, tenant)
    spans = (replace(batch.spans[0], tenant_id=other), *batch.spans[1:])
    return replace(batch, spans=spans)


def dlq_file(batch: Batch) -> bytes:
    """A DLQ file as docs/trc.md states the format, written here and not by the code under
    test: a ``trc-dlq`` envelope of version 1 with the sha256 of the batch's canonical JSON
    (keys sorted, no spaces)."""
    body = batch.to_dict()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "format": "trc-dlq",
        "version": 1,
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "batch": body,
    }
    return json.dumps(envelope).encode() + b"\n"
