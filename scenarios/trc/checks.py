"""The TRC checkers, registered: pure functions of a case's record (its history).

Each reads the snapshot named by ``stage`` (``after_fault``, ``after_recovery`` or
``final``; ``after_power`` for a power-loss state: what recovery returned) and, where it
needs what was fed, the batches in the record's facts
(``history.meta["facts"]["batches"]``, put there by the scenario's reset) or, for a
power-loss state, the facts themselves (what had returned, where the power was cut). A
missing snapshot raises, which makes the verdict UNKNOWN, never a pass. The
logic is ``scenarios.trc.invariants``; expected values come from FIXES.md (TRC)
and the fed batches, never from the code under test.

Declared as the entry point ``fault_harness.checkers: trc`` so that a stored run
can be judged again (``harness report --recheck``) without importing the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.checkers import Check, register
from harness.disk import AFTER_POWER
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
    "logs": [
        {"tenant_id": "acme", "trace_id": _T, "span_id": _S, "seq": 0, "body": "b"},
        {"tenant_id": "acme", "trace_id": _T, "span_id": _S, "seq": 1, "body": "c"},
    ],
}
_WHOLE = {
    "traces": _BATCH["traces"],
    "spans": _BATCH["spans"],
    "logs": _BATCH["logs"],
    "acked": [_BATCH["batch_id"]],
    "dlq": {"pending": [], "set_aside": [], "evicted": [], "temp": []},
}
_PART = {**_WHOLE, "spans": [], "logs": []}
_CUT = [{"index": 0, "process": "nemesis", "type": "info", "f": "Link.cut", "value": None}]


def _example(state: Any, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "schema": 1,
        "ops": [],
        "snapshots": {"after_fault": state},
        "meta": {"facts": {"batches": [_BATCH]} if facts is None else facts},
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


def at(stage: str, *names: str) -> list[Check]:
    """The checks ``names`` on one snapshot (``after_fault``, ``after_recovery``, ``final``)."""
    return [Check(name, stage=stage) for name in names]


#: a conformance case: the after_fault state, the verdict wanted and (for the checkers that
#: read the facts) the record's facts
Example = tuple[Any, str] | tuple[Any, str, dict[str, Any]]
#: what an invariant is judged on besides the snapshot: nothing, the batches fed, the facts
STATE_ONLY, FED, FACTS = "state", "fed", "facts"


def _staged(
    name: str,
    invariant: Callable[..., Verdict],
    *,
    stage: str,
    examples: list[Example],
    takes: str = STATE_ONLY,
) -> None:
    """Register ``invariant`` as ``name``: judged on the snapshot ``stage`` names (and, as
    ``takes`` says, the batches fed or the record's facts); each example a state judged at
    ``after_fault``."""

    def checker(history: History, *, stage: str = stage) -> Verdict:
        state = _state(history, stage)
        if takes == FED:
            return invariant(state, _batches(history, stage))
        if takes == FACTS:
            return invariant(state, history.meta.get("facts") or {})
        return invariant(state)

    checker.__doc__ = invariant.__doc__
    checker.__qualname__ = checker.__name__ = name.replace(".", "_")
    cases = [
        (_example(state, *facts), {"stage": "after_fault"}, want)
        for state, want, *facts in examples
    ]
    register(name, example={"stage": stage}, examples=cases)(checker)


_WHOLE_OR_PART: list[Example] = [(_WHOLE, "valid"), (_PART, "invalid")]
_EVICTED = {**_WHOLE, "dlq": {**_WHOLE["dlq"], "evicted": ["x.a3.json"]}}
_TWICE = {**_WHOLE, "spans": _WHOLE["spans"] * 2}
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
_READS_OK = {
    **_WHOLE,
    "reads": {
        "acme": {"traces": _WHOLE["traces"], "spans": _WHOLE["spans"], "logs": _WHOLE["logs"]}
    },
}
_LEAKED = [{**_BATCH["spans"][0], "tenant_id": "umbra"}]
_READS_LEAK = {**_READS_OK, "reads": {"acme": {**_READS_OK["reads"]["acme"], "spans": _LEAKED}}}

_UNORDERED = {**_WHOLE, "logs": _BATCH["logs"][::-1]}

# TRC-2 under power loss (a state's facts: what had returned, where the power was cut)
_ID = _BATCH["batch_id"]
_ROWS = {"traces": _BATCH["traces"], "spans": _BATCH["spans"], "logs": _BATCH["logs"]}
_NO_ROWS = {"traces": [], "spans": [], "logs": []}


def _listed(where: str = "pending", attempts: int = 0, batch: str = _ID) -> dict[str, Any]:
    return {
        "where": where,
        "name": f"{batch}.json",
        "batch": batch,
        "attempts": attempts,
        "whole": True,
    }


_ENQUEUED_FACTS = {"batches": [_BATCH], "acked": [f"enqueued:{_ID}"]}
_RECOVERED = {"db": _ROWS, "left": [], "temp_left": [], "zero_retries_refused": True}
_ENQUEUED: list[Example] = [
    (_RECOVERED, "valid", _ENQUEUED_FACTS),
    (_RECOVERED | {"db": _NO_ROWS}, "invalid", _ENQUEUED_FACTS),  # an acked enqueue lost
    (_RECOVERED | {"left": [_listed("evicted", 1)]}, "invalid", _ENQUEUED_FACTS),  # slot spent
    (_RECOVERED | {"temp_left": [f".{_ID}.json.tmp"]}, "invalid", _ENQUEUED_FACTS),
    (_RECOVERED, "valid", {**_ENQUEUED_FACTS, "acked": [f"enqueued:{_ID}", "fds_left:0"]}),
    (_RECOVERED | {"zero_retries_refused": False}, "invalid", _ENQUEUED_FACTS),
    (_RECOVERED, "invalid", {**_ENQUEUED_FACTS, "acked": [f"enqueued:{_ID}", "fds_left:1"]}),
]
_TORN = "00000000-0000-4000-8000-0000000000ff"
_PASSES = {"batch": _ID, "torn": _TORN, "max_retries": 3}
_ATTEMPTS: list[Example] = [
    (
        [_listed(attempts=1), _listed("set-aside", batch=_TORN)],
        "valid",
        _PASSES | {"acked": ["pass:1"]},
    ),
    ([_listed(attempts=1), _listed(batch=_TORN)], "valid", _PASSES | {"acked": []}),  # not met yet
    (
        [_listed(attempts=1), _listed(batch=_TORN)],
        "invalid",
        _PASSES | {"acked": ["pass:1"]},
    ),  # skipped
    ([_listed(attempts=1)], "invalid", _PASSES | {"acked": ["pass:1", "pass:2"]}),  # forgotten
    ([_listed("evicted", 2)], "invalid", _PASSES | {"acked": ["pass:1", "pass:2"]}),  # too soon
    ([_listed("evicted", 3)], "valid", _PASSES | {"acked": ["pass:1", "pass:2", "pass:3"]}),
    ([_listed(attempts=3)], "invalid", _PASSES | {"acked": ["pass:1", "pass:2", "pass:3"]}),
    ([_listed(batch=_TORN, attempts=1)], "invalid", _PASSES | {"acked": []}),  # lost, torn spent
]
_WINDOW = {"batches": [_BATCH], "commit_sent": 5, "commit_done": 7}
_REPLAYED = {"no_commit": _ROWS, "commit_kept": _ROWS, "left": []}
_TWICE_ROWS = {t: rows * 2 for t, rows in _ROWS.items()}
_COMMITTED: list[Example] = [
    (_REPLAYED, "valid", _WINDOW | {"op": 6}),
    (_REPLAYED | {"commit_kept": _TWICE_ROWS}, "invalid", _WINDOW | {"op": 6}),  # in flight
    (_REPLAYED | {"commit_kept": _TWICE_ROWS}, "valid", _WINDOW | {"op": 4}),  # not yet sent
    (_REPLAYED | {"no_commit": _NO_ROWS}, "invalid", _WINDOW | {"op": 4}),  # the batch lost
    (_REPLAYED | {"no_commit": _NO_ROWS}, "valid", _WINDOW | {"op": 7}),  # certainly committed
    (_REPLAYED | {"left": [f"{_ID}.a1.json"]}, "valid", _WINDOW | {"op": 7}),  # pass not returned
    (_REPLAYED | {"left": [f"{_ID}.a1.json"]}, "invalid", _WINDOW | {"op": 9, "acked": ["pass:1"]}),
]

#: name, invariant (scenarios.trc.invariants), default stage, what it takes besides the
#: snapshot, conformance examples (each state judged at after_fault)
STAGED: list[tuple[str, Callable[..., Verdict], str, str, list[Example]]] = [
    ("trc.batch_all_or_nothing", invariants.batch_all_or_nothing, "after_fault", FED, _WHOLE_OR_PART),
    ("trc.acked_batch_kept", invariants.acked_batch_kept, "after_fault", FED, _WHOLE_OR_PART),
    ("trc.every_batch_stored", invariants.every_batch_stored, "after_recovery", FED, _WHOLE_OR_PART),
    ("trc.rows_kept", invariants.rows_kept, "after_fault", FED, _WHOLE_OR_PART),
    ("trc.dlq_drained", invariants.dlq_drained, "after_recovery", STATE_ONLY, [(_WHOLE, "valid"), (_EVICTED, "invalid")]),
    ("trc.one_copy", invariants.one_copy, "after_recovery", STATE_ONLY, [(_WHOLE, "valid"), (_TWICE, "invalid")]),
    ("trc.schema_whole", invariants.schema_whole, "after_fault", STATE_ONLY, [(_V1, "valid"), (_HALF, "invalid")]),
    ("trc.unique_keys_present", invariants.schema_new, "after_recovery", STATE_ONLY, [(_V3, "valid"), (_V1, "invalid")]),
    ("trc.tenant_reads_isolated", invariants.tenant_reads_isolated, "final", STATE_ONLY, [(_READS_OK, "valid"), (_READS_LEAK, "invalid")]),
    ("trc.rows_in_key_order", invariants.rows_in_key_order, "final", FED, [(_WHOLE, "valid"), (_UNORDERED, "invalid")]),
    # TRC-2 under power loss: the recovered view (snapshot after_power) and the state's facts
    ("trc.enqueues_recovered", invariants.enqueues_recovered, AFTER_POWER, FACTS, _ENQUEUED),
    ("trc.replay_attempts_durable", invariants.replay_attempts_durable, AFTER_POWER, FACTS, _ATTEMPTS),
    ("trc.replayed_once_after_commit", invariants.replayed_once_after_commit, AFTER_POWER, FACTS, _COMMITTED),
]  # fmt: skip
for _name, _invariant, _stage, _takes, _examples in STAGED:
    _staged(_name, _invariant, stage=_stage, takes=_takes, examples=_examples)


@register(
    "trc.worker_settled",
    example={"stage": "after_fault"},
    examples=[
        (_example(_WHOLE), {"stage": "after_fault"}, "valid"),
        (_example(_PART), {"stage": "after_fault"}, "invalid"),
        (_example({**_WHOLE, "acked": []}) | {"ops": _CUT}, {"stage": "after_fault"}, "invalid"),
    ],
)
def worker_settled(history: History, *, stage: str = "after_fault") -> Verdict:
    """TRC-1: with no fault the worker stores every batch; with only a cut link it still
    settles every one; on redelivery it stores each batch not yet acknowledged; an invalid
    batch is rejected, never written (``scenarios.trc.invariants.worker_settled``)."""
    invalid = [Batch.from_dict(b) for b in (history.meta.get("facts") or {}).get("invalid", [])]
    return invariants.worker_settled(
        history.ops, _state(history, stage), _batches(history, stage), invalid
    )


_DLQ_FACTS = {"unreadable": {}, "exhausted": {}, "readable": [], "max_retries": 3}
_DLQ_TWO = {**_DLQ_FACTS, "readable": [{"batch_id": "b1"}, {"batch_id": "b2"}]}
_TRIED = [{"name": f"b{n}.a1.json", "size": 1, "batch": None} for n in (1, 2)]


def _cut_pass(failed: list[str], stopped: str | None) -> list[dict[str, Any]]:
    """The ops of a replay pass that returned after its link was cut, with its report."""
    report = {"stored": [], "failed": failed, "evicted": [], "set_aside": [], "stopped": stopped}
    ok = {"index": 1, "process": 0, "type": "ok", "f": "replay_pass", "value": report}
    return [*_CUT, ok]


@register(
    "trc.replay_settled",
    example={"stage": "after_recovery"},
    examples=[
        (
            _example(_WHOLE) | {"meta": {"facts": {"dlq": _DLQ_FACTS}}},
            {"stage": "after_fault"},
            "valid",
        ),
        (
            _example({**_WHOLE, "dlq": {**_WHOLE["dlq"], "evicted": ["x.json"]}})
            | {"meta": {"facts": {"dlq": {**_DLQ_FACTS, "unreadable": {"x.json": "torn"}}}}},
            {"stage": "after_fault"},
            "invalid",
        ),
        # a pass cut short spent one attempt (on the batch it was writing): valid; two: it
        # went on after the failed write
        (
            _example({**_WHOLE, "dlq": {**_WHOLE["dlq"], "pending": _TRIED[:1]}})
            | {"meta": {"facts": {"dlq": _DLQ_TWO}}},
            {"stage": "after_fault"},
            "valid",
        ),
        (
            _example({**_WHOLE, "dlq": {**_WHOLE["dlq"], "pending": _TRIED}})
            | {"meta": {"facts": {"dlq": _DLQ_TWO}}},
            {"stage": "after_fault"},
            "invalid",
        ),
        # a pass the cut link stopped reports the attempt it spent and why it stopped
        (
            _example({**_WHOLE, "dlq": {**_WHOLE["dlq"], "pending": _TRIED[:1]}})
            | {"meta": {"facts": {"dlq": _DLQ_TWO}}, "ops": _cut_pass(["b1.a1.json"], "down")},
            {"stage": "after_fault"},
            "valid",
        ),
        (
            _example({**_WHOLE, "dlq": {**_WHOLE["dlq"], "pending": _TRIED[:1]}})
            | {"meta": {"facts": {"dlq": _DLQ_TWO}}, "ops": _cut_pass([], None)},
            {"stage": "after_fault"},
            "invalid",
        ),
    ],
)
def replay_settled(history: History, *, stage: str = "after_recovery") -> Verdict:
    """TRC-2: unreadable DLQ files never spend a slot and are set aside, exhausted ones are
    evicted and never attempted again, and the replayer's report says so
    (``scenarios.trc.invariants.replay_settled``; the files named in the facts' ``dlq``)."""
    facts = history.meta.get("facts") or {}
    if "dlq" not in facts:
        raise LookupError("the record's facts name no DLQ files ('dlq')")
    return invariants.replay_settled(
        history.ops, _state(history, stage), facts["dlq"], final=stage == "after_recovery"
    )


def _migrated(history: History) -> dict[str, list[Any]]:
    """The runners must return the versions they applied: the child's, those between the
    facts' ``migrated_from`` and the schema after the fault; the recovery's, the rest."""
    facts = history.meta.get("facts") or {}
    start = facts.get("migrated_from")
    if start is None:
        raise LookupError("the record's facts name no starting schema ('migrated_from')")
    mid = _state(history, "after_fault")["migrations"]
    end = _state(history, "after_recovery")["migrations"]
    return {
        "migrate_up": [v for v in mid if v not in start],
        "migrate": [v for v in end if v not in mid],
    }


def _replayed_twice(history: History) -> dict[str, list[Any]]:
    """The first pass stores every batch the DLQ held; the second, the one enqueued again."""
    facts = history.meta.get("facts") or {}
    first = sorted(b["batch_id"] for b in facts.get("batches", []))
    return {"replay_twice": {"first": first, "second": [facts.get("again")]}}  # type: ignore[dict-item]


_EXPECTED_REPORTS = {"migrations": _migrated, "replay_twice": _replayed_twice}


@register(
    "trc.ops_reported",
    example={"of": "replay_twice"},
    examples=[
        (_example(_WHOLE), {"of": "replay_twice"}, "valid"),
        (
            _example(_WHOLE)
            | {
                "ops": [
                    {"index": 0, "process": "child", "type": "ok", "f": "replay_twice", "value": {}}
                ]
            },
            {"of": "replay_twice"},
            "invalid",
        ),
    ],
)
def ops_reported(history: History, *, of: str) -> Verdict:
    """TRC-3: the migration runners return the versions they applied (``of="migrations"``);
    two replay passes return the batches each stored (``of="replay_twice"``)."""
    if of not in _EXPECTED_REPORTS:
        raise LookupError(f"trc.ops_reported: of must be one of {sorted(_EXPECTED_REPORTS)}")
    return invariants.ops_reported(history.ops, _EXPECTED_REPORTS[of](history))


_RAN = [
    {"index": 0, "process": "a", "type": "ok", "f": "migrate_a", "value": [1, 2]},
    {"index": 1, "process": "b", "type": "ok", "f": "migrate_b", "value": [3]},
]


@register(
    "trc.applied_once",
    example={"stage": "final", "want": [1, 2, 3]},
    examples=[
        (_example({"migrations": [1, 2, 3]}) | {"ops": _RAN}, {"stage": "after_fault", "want": [1, 2, 3]}, "valid"),
        (_example({"migrations": [1, 2, 3]}) | {"ops": _RAN[:1]}, {"stage": "after_fault", "want": [1, 2, 3]}, "invalid"),
    ],
)  # fmt: skip
def applied_once(history: History, *, stage: str = "final", want: list[int]) -> Verdict:
    """TRC-3: two migration runners at once both return, and apply each migration once."""
    return invariants.applied_once(history.ops, _state(history, stage), want)


_LOST = [{"index": 0, "process": "operator", "type": "ok", "f": "migrate", "value": [1, 2, 3]}]
_REFUSED = [{"index": 0, "process": "operator", "type": "fail", "f": "migrate", "value": None}]


@register(
    "trc.applied_committed",
    example={"stage": "final"},
    examples=[
        (_example({"migrations": [1, 2, 3]}) | {"ops": _LOST}, {"stage": "after_fault"}, "valid"),
        (_example({"migrations": []}) | {"ops": _REFUSED}, {"stage": "after_fault"}, "valid"),
        (_example({"migrations": []}) | {"ops": _LOST}, {"stage": "after_fault"}, "invalid"),
    ],
)  # fmt: skip
def applied_committed(history: History, *, stage: str = "final") -> Verdict:
    """TRC-3: the versions a migration runner reports applied are committed (or it refused)."""
    return invariants.applied_committed(history.ops, _state(history, stage))


def _pass(worker: str, listed: list[str], **report: Any) -> dict[str, Any]:
    """The op of one replay instance that returned, with its report (the rest empty)."""
    value: dict[str, Any] = {
        "stored": [],
        "failed": [],
        "evicted": [],
        "set_aside": [],
        "taken": [],
    }
    value |= {"stopped": None, "listed": listed, **report}
    return {"index": 0, "process": worker, "type": "ok", "f": "start_and_replay", "value": value}


_B1, _B2 = "b1.json", "b2.json"
_BOTH = [_B1, _B2]
_RACED = {  # the ops of two instances, by what went on between them
    "one took each": [
        _pass("replay_a", _BOTH, stored=["b1"], taken=[_B2]),
        _pass("replay_b", _BOTH, stored=["b2"], taken=[_B1]),
    ],
    # a claim both won: the loser of the rename believed it had counted the attempt
    "both claimed b1.json": [
        _pass("replay_a", _BOTH, stored=["b1", "b2"]),
        _pass("replay_b", _BOTH, stored=["b1"], taken=[_B2]),
    ],
    # b listed b1 after a counted its attempt: a new attempt of its own, not a second claim
    "b listed b1.a1.json": [
        _pass("replay_a", _BOTH, stored=["b1", "b2"]),
        _pass("replay_b", ["b1.a1.json"], stored=["b1"]),
    ],
    # a file gone before a read ended the pass, no reason given
    "a stopped at a taken file": [
        _pass("replay_a", _BOTH, taken=[_B1]),
        _pass("replay_b", _BOTH, stored=["b1", "b2"]),
    ],
    "a stored what it never listed": [
        _pass("replay_a", [_B2], stored=["b1", "b2"]),
    ],
    "a raised": [
        {"index": 0, "process": "replay_a", "type": "fail", "f": "start_and_replay", "value": None,
         "error": "FileNotFoundError: .x.tmp"},
        _pass("replay_b", _BOTH, stored=["b1", "b2"]),
    ],
}  # fmt: skip
_SWEPT: dict[str, Any] = {"dlq": {"pending": [], "set_aside": [], "evicted": [], "temp": []}}
_UNSWEPT = {"dlq": {**_SWEPT["dlq"], "temp": [".x.tmp"]}}


def _raced(state: dict[str, Any], ops: str) -> dict[str, Any]:
    return _example(state) | {"ops": _RACED[ops]}


@register(
    "trc.replayers_claimed_once",
    example={"stage": "final"},
    examples=[
        (_raced(_SWEPT, "one took each"), {"stage": "after_fault"}, "valid"),
        (_raced(_SWEPT, "b listed b1.a1.json"), {"stage": "after_fault"}, "valid"),
        (_raced(_SWEPT, "both claimed b1.json"), {"stage": "after_fault"}, "invalid"),
        (_raced(_SWEPT, "a stopped at a taken file"), {"stage": "after_fault"}, "invalid"),
        (_raced(_SWEPT, "a stored what it never listed"), {"stage": "after_fault"}, "invalid"),
        (_raced(_SWEPT, "a raised"), {"stage": "after_fault"}, "invalid"),
        (_raced(_UNSWEPT, "one took each"), {"stage": "after_fault"}, "invalid"),
    ],
)
def replayers_claimed_once(history: History, *, stage: str = "final") -> Verdict:
    """TRC-2: replay instances started at once each return, never both claim one listed file,
    account for every file they listed, and leave no temp file
    (``scenarios.trc.invariants.replayers_claimed_once``)."""
    return invariants.replayers_claimed_once(history.ops, _state(history, stage))
