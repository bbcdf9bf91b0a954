"""Checkers of the CNS scenarios, registered: pure functions of the record.

A record's snapshots are ``files.snapshot`` of the store's file (``after_fault``,
``after_recovery``, ``final``, or ``after_power`` for a disk-model state); its
ops are the operations' outcomes and values. Every expected value is the fix's
statement (FIXES.md CNS) written here, never read from reference_impl.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.checkers import _ops
from harness.checkers.registry import register
from harness.history import History, OpType
from harness.verdict import Verdict

NEW_TABLES = {"consensus_runs", "agent_outputs"}
#: CNS-6: 100 ms, 200, 400, 800, 1.6 s; jittered by at most +/-20 % (the reference's stated width).
SCHEDULE_MS = [100, 200, 400, 800, 1600]
JITTER = 0.2
#: A later agent status implies the earlier ones.
RANK = {"spawned": 1, "completed": 2, "failed": 2}

_GOOD = {
    "integrity": ["ok"],
    "user_version": 0,
    "tables": ["consensus_artifacts"],
    "old": [["S", "plan", "a", "{}"]],
    "new": [["S", "plan", "a", "{}"]],
    "synthesis": [["S", "plan", None]],
    "agents": {"a1": "completed"},
    "shown": {"a1": "spawned"},
    "bytes": 100,
    "runs_without_synthesis_ok": [],
}
_BAD = {
    "integrity": ["row 3 missing from index"],
    "user_version": 0,
    "tables": ["consensus_artifacts", "consensus_runs"],
    "old": [["S", "plan", "a", "{}"], ["S", "plan", "b", "{}"]],
    "new": [],
    "synthesis": [],
    "agents": {},
    "shown": {"a1": "completed"},
    "bytes": 100,
    "runs_without_synthesis_ok": [1],
}


def _rec(snap: dict[str, Any], stage: str = "after_fault") -> dict[str, Any]:
    return {"schema": 1, "ops": [], "snapshots": {stage: snap}, "meta": {}}


def _hist(
    ops: Sequence[tuple[str, str, str, Any]] = (),
    *,
    meta: dict[str, Any] | None = None,
    **snapshots: Any,
) -> dict[str, Any]:
    """A record as JSON for the conformance examples: (process, type, f, value) per op,
    an ``error`` for a ``fail``/``info``; every keyword but ``meta`` is a snapshot."""
    return {
        "schema": 1,
        "ops": [
            {"index": i, "process": p, "type": t, "f": f, "value": v}
            | ({"error": "database is locked"} if t in ("fail", "info") else {})
            for i, (p, t, f, v) in enumerate(ops)
        ],
        "snapshots": snapshots,
        "meta": meta or {},
    }


def _attempt(delay_ms: float | None, error: str | None = "SQLITE_BUSY") -> dict[str, Any]:
    return {"error": error, "kind": "retry" if error else None, "delay_ms": delay_ms}


_PRAGMAS_OK = {
    "journal_mode": "wal",
    "synchronous": 2,
    "foreign_keys": 1,
    "auto_vacuum": 2,
    "busy_timeout": 5000,
}


def _snap(history: History, stage: str) -> dict[str, Any]:
    state = _ops.snapshot(history, stage)
    if not isinstance(state, dict) or "integrity" not in state:
        raise LookupError(f"snapshot {stage!r} is not a CNS file snapshot")
    return state


def _mismatches(snap: dict[str, Any]) -> dict[str, list[Any]]:
    old = Counter(tuple(r) for r in snap.get("old", []))
    new = Counter(tuple(r) for r in snap.get("new", []))
    return {
        "missing_in_new": [list(r) for r in (old - new).elements()][:20],
        "missing_in_old": [list(r) for r in (new - old).elements()][:20],
    }


@register(
    "cns.integrity",
    example={"stage": "after_fault"},
    examples=[(_rec(_GOOD), {}, "valid"), (_rec(_BAD), {}, "invalid")],
)
def integrity(history: History, *, stage: str = "after_fault") -> Verdict:
    """PRAGMA integrity_check says ok."""
    snap = _snap(history, stage)
    if snap["integrity"] == ["ok"]:
        return Verdict.ok("cns.integrity", f"{stage}: integrity_check ok")
    return Verdict.violated("cns.integrity", f"{stage}: integrity_check {snap['integrity'][:5]}")


@register(
    "cns.whole_version",
    example={"stage": "after_fault"},
    examples=[(_rec(_GOOD), {}, "valid"), (_rec(_BAD), {}, "invalid")],
)
def whole_version(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-2: the file is at one version: 0 has no new table, >= 1 both new tables, >= 2 every
    artifact copied."""
    snap = _snap(history, stage)
    uv, new = snap["user_version"], set(snap["tables"]) & NEW_TABLES
    if uv == 0 and not new:
        return Verdict.ok("cns.whole_version", f"{stage}: at the old version (0)")
    if uv >= 1 and new == NEW_TABLES:
        found = _mismatches(snap)
        if uv >= 2 and any(found.values()):
            return Verdict.violated(
                "cns.whole_version", f"{stage}: version {uv} but not every artifact copied", **found
            )
        return Verdict.ok("cns.whole_version", f"{stage}: at version {uv}")
    return Verdict.violated(
        "cns.whole_version", f"{stage}: half-migrated: user_version {uv}, new tables {sorted(new)}"
    )


@register(
    "cns.migrated",
    example={"stage": "after_recovery"},
    examples=[
        (
            _rec({**_GOOD, "user_version": 3, "tables": sorted(NEW_TABLES)}, "after_recovery"),
            {},
            "valid",
        ),
        (_rec(_BAD, "after_recovery"), {}, "invalid"),
    ],
)
def migrated(history: History, *, stage: str = "after_recovery", min_version: int = 1) -> Verdict:
    """CNS-2: after a restart the file is at least at ``min_version`` with the new tables."""
    snap = _snap(history, stage)
    uv, new = snap["user_version"], set(snap["tables"]) & NEW_TABLES
    if uv >= min_version and new == NEW_TABLES:
        return Verdict.ok("cns.migrated", f"{stage}: version {uv}, new tables present")
    return Verdict.violated("cns.migrated", f"{stage}: version {uv}, new tables {sorted(new)}")


@register(
    "cns.dual_write_equal",
    example={"stage": "after_fault"},
    examples=[(_rec(_GOOD), {}, "valid"), (_rec(_BAD), {}, "invalid")],
)
def dual_write_equal(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-3/CNS-4: 0 mismatches between old rows and new rows (as multisets)."""
    snap = _snap(history, stage)
    found = _mismatches(snap)
    n = sum(len(v) for v in found.values())
    if n == 0:
        return Verdict.ok(
            "cns.dual_write_equal", f"{stage}: 0 mismatches ({len(snap.get('old', []))} rows)"
        )
    return Verdict.violated("cns.dual_write_equal", f"{stage}: {n} mismatch(es)", **found)


@register(
    "cns.runs_whole",
    example={"stage": "after_fault"},
    examples=[(_rec(_GOOD), {"agents": 1}, "valid"), (_rec(_BAD), {"agents": 3}, "invalid")],
)
def runs_whole(history: History, *, stage: str = "after_fault", agents: int = 3) -> Verdict:
    """CNS-8: each run is all or nothing: all its artifacts, its synthesis, its new rows."""
    snap = _snap(history, stage)
    per_run = Counter((r[0], r[1]) for r in snap.get("old", []))
    partial = {f"{k[0]}/{k[1]}": v for k, v in per_run.items() if v % agents}
    syn = {(r[0], r[1]) for r in snap.get("synthesis", [])}
    without = sorted(f"{s}/{st}" for s, st in per_run if (s, st) not in syn)
    found = _mismatches(snap)
    if partial or without or any(found.values()):
        return Verdict.violated(
            "cns.runs_whole",
            f"{stage}: a run is partly stored",
            partial_artifacts=partial,
            without_synthesis=without,
            **found,
        )
    return Verdict.ok("cns.runs_whole", f"{stage}: {len(per_run)} whole run(s), none partial")


@register(
    "cns.memory_not_ahead",
    example={"stage": "after_fault"},
    examples=[(_rec(_GOOD), {}, "valid"), (_rec(_BAD), {}, "invalid")],
)
def memory_not_ahead(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-5: every status the in-memory state showed is in the database."""
    snap = _snap(history, stage)
    shown, db = snap["shown"], snap.get("agents", {})
    ahead = {a: s for a, s in shown.items() if RANK[s] > RANK.get(db.get(a, ""), 0)}
    if ahead:
        return Verdict.violated(
            "cns.memory_not_ahead",
            f"memory showed what the database lacks: {ahead}",
            shown=shown,
            database=db,
        )
    return Verdict.ok(
        "cns.memory_not_ahead", f"all {len(shown)} shown statuses are in the database"
    )


def _last_ok(history: History, f: str, process: str | None = None) -> Any:
    oks = [
        o
        for o in history
        if o.f == f and o.type is OpType.OK and (process is None or o.process == process)
    ]
    if not oks:
        raise LookupError(f"no ok {f!r} op in the record")
    return oks[-1].value


@register(
    "cns.rebuilt_equals_db",
    example={"f": "restart"},
    examples=[
        (
            _hist([("w", "ok", "restart", {"a1": "completed"})], after_recovery=_GOOD),
            {},
            "valid",
        ),
        (
            _hist([("w", "ok", "restart", {"a1": "spawned"})], after_recovery=_GOOD),
            {},
            "invalid",
        ),
    ],
)
def rebuilt_equals_db(
    history: History, *, f: str = "restart", stage: str = "after_recovery"
) -> Verdict:
    """CNS-5: the state a restart rebuilt (the op's value) equals the database."""
    rebuilt = _last_ok(history, f)
    db = _snap(history, stage).get("agents", {})
    if rebuilt == db:
        return Verdict.ok("cns.rebuilt_equals_db", f"rebuilt state equals the database ({len(db)})")
    return Verdict.violated(
        "cns.rebuilt_equals_db",
        "rebuilt state differs from the database",
        rebuilt=rebuilt,
        database=db,
    )


@register(
    "cns.rerun_no_op",
    example={"f": "rerun"},
    examples=[
        (_hist([("m", "ok", "rerun", {"before": "d1", "after": "d1"})]), {}, "valid"),
        (_hist([("m", "ok", "rerun", {"before": "d1", "after": "d2"})]), {}, "invalid"),
    ],
)
def rerun_no_op(history: History, *, f: str = "rerun") -> Verdict:
    """CNS-2: a second start changes nothing (the op returns digests before and after)."""
    value = _last_ok(history, f)
    if value["before"] == value["after"]:
        return Verdict.ok("cns.rerun_no_op", "a second start changed nothing")
    return Verdict.violated("cns.rerun_no_op", "a second start changed the file", **value)


@register(
    "cns.ops_ok",
    example={"f": "op"},
    examples=[
        (_hist([("w1", "invoke", "op", None), ("w1", "ok", "op", 1)]), {"f": "op"}, "valid"),
        (
            _hist([("w1", "ok", "op", 1), ("w2", "info", "op", None)]),
            {"f": "op", "processes": ["w1", "w2"]},
            "invalid",
        ),
        (
            _hist([("w1", "ok", "op", 1), ("w2", "fail", "op", None)]),
            {"f": "op", "processes": ["w1"]},
            "valid",
        ),
    ],
)
def ops_ok(history: History, *, f: str, processes: Sequence[str] | None = None) -> Verdict:
    """Every ``f`` op (of ``processes``) completed ok: none failed or ended unknown."""
    done = [
        o
        for o in history
        if o.f == f
        and o.type is not OpType.INVOKE
        and (processes is None or o.process in processes)
    ]
    if not done:
        raise LookupError(f"no completed {f!r} op in the record")
    bad = [
        f"{o.process}: {o.type.value} {o.error or ''}".strip()
        for o in done
        if o.type is not OpType.OK
    ]
    if bad:
        return Verdict.violated("cns.ops_ok", f"{len(bad)} {f} op(s) did not succeed: {bad}")
    return Verdict.ok("cns.ops_ok", f"{len(done)} {f} op(s) ok")


@register(
    "cns.migrated_once",
    example={"stage": "final"},
    examples=[
        (_rec(_GOOD, "final"), {}, "valid"),
        (_rec({**_BAD, "new": [["S", "plan", "a", "{}"]] * 4}, "final"), {}, "invalid"),
    ],
)
def migrated_once(history: History, *, stage: str = "final") -> Verdict:
    """CNS-2/CNS-3: no artifact was copied twice (at most one new row per old row)."""
    snap = _snap(history, stage)
    found = _mismatches(snap)
    if found["missing_in_old"]:
        return Verdict.violated(
            "cns.migrated_once",
            f"{len(snap.get('new', []))} new rows for {len(snap.get('old', []))}"
            " artifacts: copied more than once",
            **found,
        )
    return Verdict.ok("cns.migrated_once", f"{len(snap.get('new', []))} new rows, none extra")


@register(
    "cns.nothing_invented",
    example={"stage": "final"},
    examples=[(_rec(_GOOD, "final"), {}, "valid"), (_rec(_BAD, "final"), {}, "invalid")],
)
def nothing_invented(history: History, *, stage: str = "final") -> Verdict:
    """CNS-3: a run without a recorded synthesis has no consensus outcome (NULL, not 1)."""
    snap = _snap(history, stage)
    invented = snap.get("runs_without_synthesis_ok", [])
    if invented:
        return Verdict.violated(
            "cns.nothing_invented",
            f"{len(invented)} run(s) with no synthesis have consensus_ok set",
            values=invented[:20],
        )
    return Verdict.ok("cns.nothing_invented", "no outcome invented for runs without a synthesis")


@register(
    "cns.retry_schedule",
    example={"f": "write"},
    examples=[
        # The boundaries of the +/-20 % band: 80 and 240 ms are in, 79 and 241 out.
        (
            _hist(
                [
                    (
                        "w",
                        "ok",
                        "write",
                        {"attempts": [_attempt(80), _attempt(240), _attempt(None, None)]},
                    )
                ]
            ),
            {"f": "write"},
            "valid",
        ),
        (
            _hist(
                [
                    (
                        "w",
                        "ok",
                        "write",
                        {"attempts": [_attempt(79), _attempt(200), _attempt(None, None)]},
                    )
                ]
            ),
            {"f": "write"},
            "invalid",
        ),
        (
            _hist([("w", "ok", "write", [_attempt(100), _attempt(241), _attempt(None, None)])]),
            {"f": "write"},
            "invalid",
        ),
        (_hist([("w", "ok", "write", [_attempt(None, None)])]), {"f": "write"}, "invalid"),
        (_hist([("w", "fail", "write", None)]), {"f": "write"}, "invalid"),
        (
            _hist([("w", "ok", "write", [_attempt(3), _attempt(None, None)])]),
            {"f": "write", "schedule": False},
            "valid",
        ),
    ],
)
def retry_schedule(
    history: History,
    *,
    f: str,
    process: str | None = None,
    min_retries: int = 1,
    schedule: bool = True,
) -> Verdict:
    """CNS-6: the write succeeded after at least ``min_retries`` retries; with ``schedule``,
    each wait after SQLITE_BUSY/LOCKED was the stated schedule's (100, 200, 400, 800,
    1600 ms, +/-20 %); a BUSY_SNAPSHOT restart may go at once."""
    done = [
        o
        for o in history
        if o.f == f and o.type is not OpType.INVOKE and (process is None or o.process == process)
    ]
    if not done:
        raise LookupError(f"no completed {f!r} op in the record")
    if done[-1].type is not OpType.OK:
        return Verdict.violated(
            "cns.retry_schedule",
            f"the write did not succeed: {done[-1].type.value} {done[-1].error}",
        )
    value = done[-1].value
    attempts = value["attempts"] if isinstance(value, dict) else value
    busy = [a for a in attempts if a["error"] and a["kind"] == "retry"]
    if len(attempts) - 1 < min_retries:
        return Verdict.violated(
            "cns.retry_schedule",
            f"{len(attempts)} attempt(s): the contention was never retried",
            attempts=attempts,
        )
    wrong = []
    for k, a in enumerate(busy if schedule else []):
        nominal = SCHEDULE_MS[min(k, len(SCHEDULE_MS) - 1)]
        if (
            a["delay_ms"] is None
            or not (1 - JITTER) * nominal <= a["delay_ms"] <= (1 + JITTER) * nominal
        ):
            wrong.append({"retry": k + 1, "delay_ms": a["delay_ms"], "nominal_ms": nominal})
    if wrong:
        return Verdict.violated(
            "cns.retry_schedule",
            f"{len(wrong)} wait(s) off the schedule",
            wrong=wrong,
            attempts=attempts,
        )
    return Verdict.ok(
        "cns.retry_schedule",
        f"ok after {len(attempts)} attempts; waits {[a['delay_ms'] for a in attempts if a['delay_ms'] is not None]} ms",
        attempts=attempts,
    )


@register(
    "cns.one_attempt",
    example={"f": "duplicate"},
    examples=[
        (_hist([("w", "ok", "dup", {"duplicate_attempts": 1})]), {"f": "dup"}, "valid"),
        (_hist([("w", "ok", "dup", {"duplicate_attempts": 2})]), {"f": "dup"}, "invalid"),
    ],
)
def one_attempt(history: History, *, f: str, key: str = "duplicate_attempts") -> Verdict:
    """CNS-6: a permanent error (constraint) took exactly one attempt (the op's ``key``)."""
    n = _last_ok(history, f)[key]
    if n == 1:
        return Verdict.ok("cns.one_attempt", "the permanent error took 1 attempt")
    return Verdict.violated("cns.one_attempt", f"the permanent error took {n} attempts")


@register(
    "cns.pragmas",
    example={"f": "inspect"},
    examples=[
        (_hist([("i", "ok", "inspect", {"pragmas": [_PRAGMAS_OK] * 2})]), {}, "valid"),
        (
            _hist(
                [
                    (
                        "i",
                        "ok",
                        "inspect",
                        {"pragmas": [_PRAGMAS_OK, {**_PRAGMAS_OK, "synchronous": 1}]},
                    )
                ]
            ),
            {},
            "invalid",
        ),
        (
            _hist([("i", "ok", "inspect", {"pragmas": [{**_PRAGMAS_OK, "busy_timeout": 0}]})]),
            {},
            "invalid",
        ),
    ],
)
def pragmas(history: History, *, f: str = "inspect") -> Verdict:
    """CNS-1: on every pooled connection: WAL, synchronous FULL (2, the chosen level), foreign
    keys on, incremental auto-vacuum (2, CNS-7), a busy timeout."""
    value = _last_ok(history, f)
    expected = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "auto_vacuum": 2}
    wrong = [
        {k: v.get(k) for k in (*expected, "busy_timeout")}
        for v in value["pragmas"]
        if any(v.get(k) != e for k, e in expected.items()) or not v.get("busy_timeout")
    ]
    if wrong:
        return Verdict.violated(
            "cns.pragmas",
            f"{len(wrong)} connection(s) not as stated",
            wrong=wrong,
            expected=expected,
        )
    return Verdict.ok("cns.pragmas", f"{len(value['pragmas'])} connections read back as stated")


@register(
    "cns.reader_proceeds",
    example={"f": "inspect"},
    examples=[
        (_hist([("i", "ok", "inspect", {"reader": {"rows": 3}})]), {}, "valid"),
        (
            _hist([("i", "ok", "inspect", {"reader": {"error": "database is locked"}})]),
            {},
            "invalid",
        ),
    ],
)
def reader_proceeds(history: History, *, f: str = "inspect") -> Verdict:
    """CNS-1: a reader got its rows while a writer held the write lock (bounded wait)."""
    reader = _last_ok(history, f)["reader"]
    if "rows" not in reader:
        return Verdict.violated("cns.reader_proceeds", f"the reader waited: {reader.get('error')}")
    return Verdict.ok(
        "cns.reader_proceeds",
        f"the reader read {reader['rows']} rows while the writer held the lock",
    )


@register(
    "cns.shrinks",
    example={"stage": "after_fault"},
    examples=[
        (_hist(meta={"facts": {"bytes": 1000}}, after_fault={**_GOOD, "bytes": 499}), {}, "valid"),
        (
            _hist(meta={"facts": {"bytes": 1000}}, after_fault={**_GOOD, "bytes": 500}),
            {},
            "invalid",
        ),
        (
            _hist(meta={"facts": {"bytes": 1000}, "point": "vacuum.step"}, after_fault=_GOOD),
            {},
            "valid",
        ),
    ],
)
def shrinks(history: History, *, stage: str = "after_fault", ratio: float = 0.5) -> Verdict:
    """CNS-7: after deleting most rows and vacuuming, the file is under ``ratio`` of its size.
    A case that killed the job expects no shrink (its other checks judge it)."""
    if history.meta.get("point"):
        return Verdict.ok("cns.shrinks", f"killed at {history.meta['point']}: no shrink expected")
    before = history.meta["facts"]["bytes"]
    after = _snap(history, stage)["bytes"]
    if after < ratio * before:
        return Verdict.ok("cns.shrinks", f"{before} -> {after} bytes")
    return Verdict.violated("cns.shrinks", f"{before} -> {after} bytes: not under {ratio:.0%}")


@register(
    "cns.kept_rows",
    example={"stage": "after_fault"},
    examples=[
        (_hist(meta={"facts": {"kept_spec": "S", "kept": 1}}, after_fault=_GOOD), {}, "valid"),
        (_hist(meta={"facts": {"kept_spec": "S", "kept": 2}}, after_fault=_GOOD), {}, "invalid"),
    ],
)
def kept_rows(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-7: every row of the spec nobody deleted is still there (facts ``kept_spec``, ``kept``)."""
    facts = history.meta["facts"]
    have = sum(1 for r in _snap(history, stage).get("old", []) if r[0] == facts["kept_spec"])
    if have == facts["kept"]:
        return Verdict.ok("cns.kept_rows", f"all {have} rows of {facts['kept_spec']} kept")
    return Verdict.violated(
        "cns.kept_rows", f"{have} of the {facts['kept']} rows of {facts['kept_spec']} left"
    )


@register(
    "cns.acked_survive",
    example={"stage": "after_power"},
    examples=[
        (_hist(meta={"facts": {"acked": ["S/plan"]}}, after_power=_GOOD), {}, "valid"),
        (
            _hist(meta={"facts": {"acked": ["S/plan", "S/review"]}}, after_power=_GOOD),
            {},
            "invalid",
        ),
    ],
)
def acked_survive(history: History, *, stage: str = "after_power") -> Verdict:
    """CNS-8: every commit acknowledged before the power cut is in the file (labels
    ``spec/stage`` in ``facts.acked``)."""
    acked = history.meta["facts"]["acked"]
    stored = {f"{r[0]}/{r[1]}" for r in _snap(history, stage).get("old", [])}
    lost = [label for label in acked if label not in stored]
    if lost:
        return Verdict.violated(
            "cns.acked_survive", f"acknowledged commit(s) lost: {lost}", acked=acked
        )
    return Verdict.ok("cns.acked_survive", f"{len(acked)} acknowledged, none lost")
