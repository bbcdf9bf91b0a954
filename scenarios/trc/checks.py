"""The TRC checkers, registered: pure functions of a case's record (its history).

Each reads the snapshot named by ``stage`` (``after_fault``, ``after_recovery`` or
``final``) and, where it needs what was fed, the batches in the record's facts
(``history.meta["facts"]["batches"]``, put there by the scenario's reset). A
missing snapshot raises, which makes the verdict UNKNOWN, never a pass. The
logic is ``scenarios.trc.invariants``; expected values come from FIXES.md (TRC)
and the fed batches, never from the code under test.

Declared as the entry point ``fault_harness.checkers: trc`` so that a stored run
can be judged again (``harness report --recheck``) without importing the tests.
"""

from __future__ import annotations

from typing import Any

from harness.checkers import register
from harness.history import History
from harness.verdict import Verdict
from reference_impl.trc.batch import Batch
from scenarios.trc import invariants

_T = "0123456789abcdef" * 2
_S = "0123456789abcdef"
_BATCH = {
    "batch_id": "00000000-0000-4000-8000-000000000001",
    "tenant_id": "acme",
    "traces": [{"tenant_id": "acme", "trace_id": _T, "name": "t"}],
    "spans": [
        {"tenant_id": "acme", "trace_id": _T, "span_id": _S, "name": "s", "parent_span_id": None}
    ],
    "logs": [{"tenant_id": "acme", "trace_id": _T, "span_id": _S, "seq": 0, "body": "b"}],
}
_WHOLE = {
    "traces": _BATCH["traces"],
    "spans": _BATCH["spans"],
    "logs": _BATCH["logs"],
    "acked": [_BATCH["batch_id"]],
    "dlq": {"pending": [], "set_aside": [], "evicted": [], "temp": []},
}
_PART = {**_WHOLE, "spans": [], "logs": []}


def _example(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": 1,
        "ops": [],
        "snapshots": {"after_fault": state},
        "meta": {"facts": {"batches": [_BATCH]}},
    }


def _state(history: History, stage: str) -> dict[str, Any]:
    if stage not in history.snapshots:
        raise LookupError(f"the record has no {stage!r} snapshot")
    return history.snapshots[stage]


def _batches(history: History, stage: str) -> list[Batch]:
    """The batches fed: the case's facts, or (races, which record no facts) the ``fed`` list
    the world put in its snapshot."""
    facts = history.meta.get("facts") or {}
    fed = facts.get("batches", _state(history, stage).get("fed"))
    if fed is None:
        raise LookupError("the record names no batches fed (no facts, no 'fed' in the snapshot)")
    return [Batch.from_dict(b) for b in fed]


@register(
    "trc.batch_all_or_nothing",
    example={"stage": "after_fault"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (_example(_PART), {"stage": "after_fault"}, "invalid"),
    ],
)
def batch_all_or_nothing(history: History, *, stage: str = "after_fault") -> Verdict:
    """TRC-1: each fed batch is stored whole or not at all."""
    return invariants.batch_all_or_nothing(_state(history, stage), _batches(history, stage))


@register(
    "trc.acked_batch_kept",
    example={"stage": "after_fault"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (_example(_PART), {"stage": "after_fault"}, "invalid"),
    ],
)
def acked_batch_kept(history: History, *, stage: str = "after_fault") -> Verdict:
    """TRC-1: every acknowledged batch is stored whole or whole in a DLQ file."""
    return invariants.acked_batch_kept(_state(history, stage), _batches(history, stage))


@register(
    "trc.every_batch_stored",
    example={"stage": "after_recovery"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (_example(_PART), {"stage": "after_fault"}, "invalid"),
    ],
)
def every_batch_stored(history: History, *, stage: str = "after_recovery") -> Verdict:
    """TRC-1: nothing lost: every fed batch is stored whole."""
    return invariants.every_batch_stored(_state(history, stage), _batches(history, stage))


@register(
    "trc.dlq_drained",
    example={"stage": "after_recovery"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (
            _example({**_WHOLE, "dlq": {**_WHOLE["dlq"], "evicted": ["x.a3.json"]}}),
            {"stage": "after_fault"},
            "invalid",
        ),
    ],
)
def dlq_drained(history: History, *, stage: str = "after_recovery") -> Verdict:
    """TRC-1/TRC-3: against a healthy database the replayer empties the DLQ, evicting nothing."""
    return invariants.dlq_drained(_state(history, stage))


@register(
    "trc.one_copy",
    example={"stage": "after_recovery"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (
            _example({**_WHOLE, "spans": _WHOLE["spans"] * 2}),
            {"stage": "after_fault"},
            "invalid",
        ),
    ],
)
def one_copy(history: History, *, stage: str = "after_recovery") -> Verdict:
    """TRC-3: exactly one copy of each trace, span and log, by key."""
    return invariants.one_copy(_state(history, stage))


_V1 = {"migrations": [1], "unique_keys": {"traces": [["trace_id"]], "spans": [], "logs": []}}
_V3 = {
    "migrations": [1, 2, 3],
    "unique_keys": {
        "traces": [["tenant_id", "trace_id"]],
        "spans": [["tenant_id", "trace_id", "span_id"]],
        "logs": [["tenant_id", "trace_id", "span_id", "seq"]],
    },
}
_HALF = {
    "migrations": [1],
    "unique_keys": {"traces": [["tenant_id", "trace_id"]], "spans": [], "logs": []},
}


@register(
    "trc.schema_whole",
    example={"stage": "after_fault"},
    examples=[
        (_example(_V1), {"stage": "after_fault"}, "valid"),
        (_example(_HALF), {"stage": "after_fault"}, "invalid"),
    ],
)
def schema_whole(history: History, *, stage: str = "after_fault") -> Verdict:
    """TRC-3: the schema is wholly one migration's, and recorded as that one."""
    return invariants.schema_whole(_state(history, stage))


@register(
    "trc.unique_keys_present",
    example={"stage": "after_recovery"},
    examples=[
        (_example(_V3), {"stage": "after_fault"}, "valid"),
        (_example(_V1), {"stage": "after_fault"}, "invalid"),
    ],
)
def unique_keys_present(history: History, *, stage: str = "after_recovery") -> Verdict:
    """TRC-3: spans (tenant, trace, span) and logs (tenant, trace, span, seq) have unique keys."""
    return invariants.schema_new(_state(history, stage))


@register(
    "trc.rows_kept",
    example={"stage": "after_fault"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (_example(_PART), {"stage": "after_fault"}, "invalid"),
    ],
)
def rows_kept(history: History, *, stage: str = "after_fault") -> Verdict:
    """TRC-3: exactly the fed batches' rows are there by key (the dedup removed only copies)."""
    return invariants.rows_kept(_state(history, stage), _batches(history, stage))


_READS_OK = {
    **_WHOLE,
    "reads": {
        "acme": {"traces": _WHOLE["traces"], "spans": _WHOLE["spans"], "logs": _WHOLE["logs"]}
    },
}
_READS_LEAK = {
    **_READS_OK,
    "reads": {
        "acme": {
            **_READS_OK["reads"]["acme"],
            "spans": [{**_BATCH["spans"][0], "tenant_id": "umbra"}],
        }
    },
}


@register(
    "trc.tenant_reads_isolated",
    example={"stage": "final"},
    examples=[
        (_example(_READS_OK), {"stage": "after_fault"}, "valid"),
        (_example(_READS_LEAK), {"stage": "after_fault"}, "invalid"),
    ],
)
def tenant_reads_isolated(history: History, *, stage: str = "final") -> Verdict:
    """TRC-4: the read API shows each tenant exactly its own stored rows, nobody else's."""
    return invariants.tenant_reads_isolated(_state(history, stage))
