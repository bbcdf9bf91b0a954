"""Checkers of the CNS scenarios, registered: pure functions of the record.

A record's snapshots are ``files.snapshot`` of the store's file (``after_fault``,
``after_recovery``, ``final``, or ``after_power`` for a disk-model state); its
ops are the operations' outcomes and values. Every expected value is the fix's
statement (FIXES.md CNS) written here, never read from reference_impl.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.checkers import _ops
from harness.checkers.registry import register
from harness.history import History, OpType
from harness.verdict import Verdict
from scenarios.cns import files

NEW_TABLES = {"consensus_runs", "agent_outputs"}
#: CNS-6: 100 ms, 200, 400, 800, 1.6 s; jittered by at most +/-20 % (the reference's stated width).
SCHEDULE_MS = [100, 200, 400, 800, 1600]
JITTER = 0.2
#: The errors a write waits out, as SQLite names them (extended codes included).
BUSY_NAMES = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_RECOVERY", "SQLITE_LOCKED_SHAREDCACHE"}
#: A later agent status implies the earlier ones.
RANK = {"spawned": 1, "completed": 2, "failed": 2}

#: CNS-2: the schema versions the reference's design has (V1 tables, V2 data, V3 incremental
#: auto-vacuum, docs/cns.md); the seed's plan has V1 only.
INCREMENTAL_FROM = 3
#: CNS-1: the busy timeout the seed's binding (rusqlite) and the plan set: 5 s.
BUSY_TIMEOUT_MS = 5000
#: CNS-1: the seed's pool (r2d2) holds 10 connections.
POOL_SIZE = 10

_SYN = '{"output_markdown": "# s", "status": "ok", "degraded": false}'
_GOOD = {
    "integrity": ["ok"],
    "user_version": 0,
    "auto_vacuum": 0,
    "tables": ["consensus_artifacts"],
    "old": [["S", "plan", "r", "a", "{}"]],
    "new": [["S", "plan", "r", "a", "{}"]],
    "synthesis": [["S", "plan", "r", "# s", "ok", 0, 1]],
    "runs": [["S", "plan", "r", _SYN, 0, 1]],
    "agents": {"a1": "completed"},
    "shown": {"a1": "spawned"},
    "bytes": 100,
    "runs_without_synthesis_ok": [],
}
_BAD = {
    "integrity": ["row 3 missing from index"],
    "user_version": 0,
    "auto_vacuum": 0,
    "tables": ["consensus_artifacts", "consensus_runs"],
    "old": [["S", "plan", "r", "a", "{}"], ["S", "plan", "r", "b", "{}"]],
    "new": [],
    "synthesis": [],
    "runs": [["S", "plan", "r", _SYN, 1, 0]],
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


def _ok(f: str, value: Any, **snapshots: Any) -> dict[str, Any]:
    """A record of one ``f`` op that completed ok with ``value``."""
    return _hist([("w", "ok", f, value)], **snapshots)


def _attempt(delay_ms: float | None, error: str | None = "SQLITE_BUSY") -> dict[str, Any]:
    return {"error": error, "kind": "retry" if error else None, "delay_ms": delay_ms}


_PRAGMAS_OK = {
    "journal_mode": "wal",
    "synchronous": 2,
    "foreign_keys": 1,
    "auto_vacuum": 2,
    "busy_timeout": 5000,
}


def _label(key: Sequence[Any]) -> str:
    """A run's label, ``spec/stage/run id`` (``-`` for no run id)."""
    return "/".join("-" if k is None else str(k) for k in key)


def _judged(name: str, failed: object, bad: str, good: str, /, **evidence: Any) -> Verdict:
    """Violated with ``bad`` (and the evidence) if ``failed`` is true, else ok."""
    return Verdict.violated(name, bad, **evidence) if failed else Verdict.ok(name, good)


def _on_file(name: str, stage: str = "after_fault") -> Any:
    """Register a checker of one file snapshot, with the good and the bad example file."""
    return register(
        name,
        example={"stage": stage},
        examples=[(_rec(_GOOD, stage), {}, "valid"), (_rec(_BAD, stage), {}, "invalid")],
    )


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


@_on_file("cns.integrity")
def integrity(history: History, *, stage: str = "after_fault") -> Verdict:
    """PRAGMA integrity_check says ok."""
    snap = _snap(history, stage)
    if snap["integrity"] == ["ok"]:
        return Verdict.ok("cns.integrity", f"{stage}: integrity_check ok")
    return Verdict.violated("cns.integrity", f"{stage}: integrity_check {snap['integrity'][:5]}")


@_on_file("cns.whole_version")
def whole_version(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-2: the file is at one version: 0 has no new table, >= 1 both new tables, >= 2 every
    artifact copied, >= 3 incremental auto-vacuum."""
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
        if uv >= INCREMENTAL_FROM and snap.get("auto_vacuum") != 2:
            return Verdict.violated(
                "cns.whole_version",
                f"{stage}: version {uv} but auto_vacuum {snap.get('auto_vacuum')}, not incremental",
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
            {"version": 3},
            "valid",
        ),
        (
            _rec({**_GOOD, "user_version": 4, "tables": sorted(NEW_TABLES)}, "after_recovery"),
            {"version": 3},
            "invalid",
        ),
        (
            _rec({**_GOOD, "user_version": 1, "tables": sorted(NEW_TABLES)}, "after_recovery"),
            {},
            "valid",
        ),
        (_rec(_BAD, "after_recovery"), {}, "invalid"),
    ],
)
def migrated(
    history: History, *, stage: str = "after_recovery", version: int | None = None
) -> Verdict:
    """CNS-2: after a restart the file has the new tables, at ``version`` when given."""
    snap = _snap(history, stage)
    uv, new = snap["user_version"], set(snap["tables"]) & NEW_TABLES
    if uv >= 1 and (version is None or uv == version) and new == NEW_TABLES:
        return Verdict.ok("cns.migrated", f"{stage}: version {uv}, new tables present")
    return Verdict.violated("cns.migrated", f"{stage}: version {uv}, new tables {sorted(new)}")


@_on_file("cns.dual_write_equal")
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
    per_run = Counter(tuple(r[:3]) for r in snap.get("old", []))
    partial = {_label(k): v for k, v in per_run.items() if v % agents}
    syn = {tuple(r[:3]) for r in snap.get("synthesis", [])}
    without = sorted(_label(k) for k in per_run if k not in syn)
    found = _mismatches(snap)
    return _judged(
        "cns.runs_whole",
        partial or without or any(found.values()),
        f"{stage}: a run is partly stored",
        f"{stage}: {len(per_run)} whole run(s), none partial",
        partial_artifacts=partial,
        without_synthesis=without,
        **found,
    )


@_on_file("cns.memory_not_ahead")
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


def _completed(history: History, f: str, processes: Sequence[str] | None = None) -> list[Any]:
    """The completions (ok, fail, info) of ``f`` ops, of ``processes`` if given."""
    done = [
        o
        for o in history
        if o.f == f
        and o.type is not OpType.INVOKE
        and (processes is None or o.process in processes)
    ]
    if not done:
        raise LookupError(f"no completed {f!r} op in the record")
    return done


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
    done = _completed(history, f, processes)
    bad = [
        f"{o.process}: {o.type.value} {o.error or ''}".strip()
        for o in done
        if o.type is not OpType.OK
    ]
    return _judged(
        "cns.ops_ok",
        bad,
        f"{len(bad)} {f} op(s) did not succeed: {bad}",
        f"{len(done)} {f} op(s) ok",
    )


@register(
    "cns.migrations_once",
    example={"f": "migrate_all"},
    examples=[
        (
            _hist(
                [("a", "ok", "m", {"applied": [1, 2, 3]}), ("b", "ok", "m", {"applied": []})],
                final={**_GOOD, "user_version": 3},
            ),
            {"f": "m"},
            "valid",
        ),
        (
            _hist(
                [("a", "ok", "m", {"applied": [1, 2, 3]}), ("b", "ok", "m", {"applied": [1]})],
                final={**_GOOD, "user_version": 3},
            ),
            {"f": "m"},
            "invalid",
        ),
        (
            _hist(
                [("a", "ok", "m", {"applied": [1, 2]}), ("b", "ok", "m", {"applied": []})],
                final={**_GOOD, "user_version": 3},
            ),
            {"f": "m"},
            "invalid",
        ),
    ],
)
def migrations_once(history: History, *, f: str, stage: str = "final") -> Verdict:
    """CNS-2: of the processes that started on one file, each version up to the one the file
    reached was applied by exactly one (the op's ``applied``)."""
    applied = Counter(
        v for o in _completed(history, f) if o.type is OpType.OK for v in o.value["applied"]
    )
    reached = _snap(history, stage)["user_version"]
    wanted = Counter(range(1, reached + 1))
    return _judged(
        "cns.migrations_once",
        applied != wanted,
        f"file at version {reached}, but versions applied {sorted(applied.elements())}",
        f"versions 1..{reached} each applied once",
    )


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


#: A run row of the good example file (spec, stage, run id, synthesis, degraded, ok).
_RUN = ["S", "plan", "r", _SYN, 0, 1]


@register(
    "cns.one_run_per_key",
    example={"stage": "final"},
    examples=[
        (_rec(_GOOD, "final"), {}, "valid"),
        (_rec({**_GOOD, "runs": [_RUN, _RUN]}, "final"), {}, "invalid"),
        (_rec({**_GOOD, "runs": []}, "final"), {}, "invalid"),
        (
            _rec({**_GOOD, "runs": [_RUN, ["S", "plan", None, None, None, None]]}, "final"),
            {},
            "invalid",
        ),
        # A NULL run id is a key of its own, once.
        (
            _rec(
                {
                    **_GOOD,
                    "old": [["S", "plan", None, "a", "{}"]],
                    "synthesis": [],
                    "runs": [["S", "plan", None, None, None, None]],
                },
                "final",
            ),
            {},
            "valid",
        ),
        (
            _rec(
                {
                    **_GOOD,
                    "old": [["S", "plan", None, "a", "{}"]],
                    "synthesis": [],
                    "runs": [["S", "plan", None, None, None, None]] * 2,
                },
                "final",
            ),
            {},
            "invalid",
        ),
    ],
)
def one_run_per_key(history: History, *, stage: str = "final") -> Verdict:
    """CNS-3 (the seed's migration: runs "group by spec_id + stage + run_id"): the new schema
    holds exactly one run for each (spec, stage, run id) of the old rows, artifacts and
    syntheses, a NULL run id being one key, and no run for a key the old rows lack."""
    snap = _snap(history, stage)
    keys = {tuple(r[:3]) for kind in ("old", "synthesis") for r in snap.get(kind, [])}
    runs = Counter(tuple(r[:3]) for r in snap.get("runs", []))
    twice = {_label(k): n for k, n in runs.items() if n > 1}
    missing = sorted(_label(k) for k in keys - set(runs))
    extra = sorted(_label(k) for k in set(runs) - keys)
    return _judged(
        "cns.one_run_per_key",
        twice or missing or extra,
        f"{stage}: not one run per key",
        f"{stage}: one run for each of {len(keys)} key(s)",
        twice=twice,
        missing=missing,
        extra=extra,
    )


@_on_file("cns.nothing_invented", "final")
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


def _retry_value(history: History, f: str, process: str | None) -> tuple[Any, Verdict | None]:
    """The last ``f`` op's value, or the verdict that it did not complete ok."""
    done = _completed(history, f, None if process is None else [process])
    if done[-1].type is not OpType.OK:
        return None, Verdict.violated(
            "cns.retry_schedule",
            f"the write did not succeed: {done[-1].type.value} {done[-1].error}",
        )
    return done[-1].value, None


def _off_schedule(busy: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    wrong = []
    for k, a in enumerate(busy):
        nominal = SCHEDULE_MS[min(k, len(SCHEDULE_MS) - 1)]
        if (
            a["delay_ms"] is None
            or not (1 - JITTER) * nominal <= a["delay_ms"] <= (1 + JITTER) * nominal
        ):
            wrong.append({"retry": k + 1, "delay_ms": a["delay_ms"], "nominal_ms": nominal})
    return wrong


def _log_faults(value: Any, attempts: list[dict[str, Any]], outcome: str) -> list[str]:
    """What the attempt log itself gets wrong: numbering, error names, waits not slept."""
    faults = []
    if "number" in attempts[0] and [a["number"] for a in attempts] != list(
        range(1, len(attempts) + 1)
    ):
        faults.append(f"attempts numbered {[a['number'] for a in attempts]}")
    names = {a["error"] for a in attempts if a["error"] and a["kind"] == "retry"}
    if names - BUSY_NAMES:
        faults.append(f"waited-out errors named {sorted(names)}")
    last = attempts[-1]
    if (last["error"] is None) != (outcome == "ok") or last["delay_ms"] is not None:
        faults.append(f"last attempt {last} does not match outcome {outcome}")
    delays = [a["delay_ms"] for a in attempts if a["delay_ms"] is not None]
    slept = value.get("slept_ms") if isinstance(value, dict) else None
    if slept is not None and (
        len(slept) != len(delays)
        or any(abs(s - d) > 1e-6 * max(1.0, d) for s, d in zip(slept, delays, strict=False))
    ):
        faults.append(f"slept {slept} ms for waits of {delays} ms")
    return faults


@register(
    "cns.retry_schedule",
    example={"f": "write"},
    examples=[
        # The boundaries of the +/-20 % band: 80 and 240 ms are in, 79 and 241 out.
        (
            _ok("write", {"attempts": [_attempt(80), _attempt(240), _attempt(None, None)]}),
            {"f": "write"},
            "valid",
        ),
        (
            _ok("write", {"attempts": [_attempt(79), _attempt(200), _attempt(None, None)]}),
            {"f": "write"},
            "invalid",
        ),
        (
            _ok("write", [_attempt(100), _attempt(241), _attempt(None, None)]),
            {"f": "write"},
            "invalid",
        ),
        (_ok("write", [_attempt(None, None)]), {"f": "write"}, "invalid"),
        (_hist([("w", "fail", "write", None)]), {"f": "write"}, "invalid"),
        (
            _ok("write", [_attempt(3), _attempt(None, None)]),
            {"f": "write", "schedule": False},
            "valid",
        ),
        # Gave up: after exactly 1 + 5 attempts, every wait on the schedule.
        (
            _ok(
                "write",
                {
                    "outcome": "RetriesExhausted",
                    "attempts": [*map(_attempt, SCHEDULE_MS), _attempt(None)],
                    "slept_ms": SCHEDULE_MS,
                },
            ),
            {"f": "write", "outcome": "RetriesExhausted", "attempts": 6},
            "valid",
        ),
        (
            _ok(
                "write",
                {
                    "outcome": "RetriesExhausted",
                    "attempts": [*map(_attempt, SCHEDULE_MS[:4]), _attempt(None)],
                },
            ),
            {"f": "write", "outcome": "RetriesExhausted", "attempts": 6},
            "invalid",
        ),
        (
            _ok("write", {"attempts": [_attempt(100), _attempt(None, None)], "slept_ms": [0.0]}),
            {"f": "write"},
            "invalid",
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
    outcome: str = "ok",
    attempts: int | None = None,
) -> Verdict:
    """CNS-6: the write ended with ``outcome`` (``ok``, or ``RetriesExhausted``: given up) after
    at least ``min_retries`` retries, after exactly ``attempts`` attempts when given; with
    ``schedule``, each wait after SQLITE_BUSY/LOCKED was the stated schedule's (100, 200, 400,
    800, 1600 ms, +/-20 %) and was slept; a BUSY_SNAPSHOT restart may go at once. The log
    numbers its attempts from 1 and names each error as SQLite does."""
    value, failed = _retry_value(history, f, process)
    if failed is not None:
        return failed
    log = value["attempts"] if isinstance(value, dict) else value
    got = value.get("outcome", "ok") if isinstance(value, dict) else "ok"
    if got != outcome:
        return Verdict.violated(
            "cns.retry_schedule", f"the write ended {got}, not {outcome}", attempts=log
        )
    if len(log) - 1 < min_retries or (attempts is not None and len(log) != attempts):
        return Verdict.violated(
            "cns.retry_schedule",
            f"{len(log)} attempt(s), not {attempts or f'more than {min_retries}'}",
            attempts=log,
        )
    busy = [a for a in log if a["error"] and a["kind"] == "retry" and a["delay_ms"] is not None]
    wrong = _off_schedule(busy) if schedule else []
    faults = _log_faults(value, log, outcome) if schedule else []
    if wrong or faults:
        return Verdict.violated(
            "cns.retry_schedule",
            f"{len(wrong)} wait(s) off the schedule; {'; '.join(faults) or 'log as stated'}",
            wrong=wrong,
            attempts=log,
        )
    return Verdict.ok(
        "cns.retry_schedule",
        f"{got} after {len(log)} attempts; waits {[a['delay_ms'] for a in busy]} ms",
        attempts=log,
    )


@register(
    "cns.one_attempt",
    example={"f": "duplicate"},
    examples=[
        (
            _ok("dup", {"duplicate": [_attempt(None, "SQLITE_CONSTRAINT_PRIMARYKEY")]}),
            {"f": "dup", "errors": {"duplicate": "SQLITE_CONSTRAINT_PRIMARYKEY"}},
            "valid",
        ),
        (
            _ok("dup", {"duplicate": [_attempt(100), _attempt(None)]}),
            {"f": "dup", "errors": {"duplicate": "SQLITE_BUSY"}},
            "invalid",
        ),
        (
            _ok("dup", {"duplicate": [_attempt(None, "1555")]}),
            {"f": "dup", "errors": {"duplicate": "SQLITE_CONSTRAINT_PRIMARYKEY"}},
            "invalid",
        ),
    ],
)
def one_attempt(history: History, *, f: str, errors: dict[str, str]) -> Verdict:
    """CNS-6: each permanent error took exactly one attempt, logged under its name (``errors``:
    the op's key -> the error: SQLite's name for a constraint, the store's for its own refusal)."""
    value = _last_ok(history, f)
    wrong = {
        key: value.get(key)
        for key, name in errors.items()
        if [a["error"] for a in value.get(key) or []] != [name]
    }
    return _judged(
        "cns.one_attempt",
        wrong,
        f"not one attempt as stated: {wrong}",
        f"{sorted(errors)}: one attempt each",
    )


@register(
    "cns.restarted_at_once",
    example={"f": "write"},
    examples=[
        (
            _ok(
                "write", {"snapshot": [_attempt(0.0, "SQLITE_BUSY_SNAPSHOT"), _attempt(None, None)]}
            ),
            {"f": "write"},
            "valid",
        ),
        (
            _ok(
                "write", {"snapshot": [_attempt(100, "SQLITE_BUSY_SNAPSHOT"), _attempt(None, None)]}
            ),
            {"f": "write"},
            "invalid",
        ),
    ],
)
def restarted_at_once(history: History, *, f: str, key: str = "snapshot") -> Verdict:
    """CNS-6 (the reference): a transaction whose snapshot went stale (SQLITE_BUSY_SNAPSHOT) is
    run again at once, with no wait, and the second run succeeds."""
    log = _last_ok(history, f)[key]
    shape = [(a["error"], a["delay_ms"]) for a in log]
    if shape == [("SQLITE_BUSY_SNAPSHOT", 0.0), (None, None)]:
        return Verdict.ok("cns.restarted_at_once", "stale snapshot: restarted at once, then ok")
    return Verdict.violated("cns.restarted_at_once", f"attempts {shape}", attempts=log)


@register(
    "cns.pragmas",
    example={"f": "inspect"},
    examples=[
        (_ok("inspect", {"pragmas": [_PRAGMAS_OK] * 2}), {}, "valid"),
        (
            _ok("inspect", {"pragmas": [_PRAGMAS_OK, {**_PRAGMAS_OK, "synchronous": 1}]}),
            {},
            "invalid",
        ),
        (
            _ok("inspect", {"pragmas": [{**_PRAGMAS_OK, "busy_timeout": 0}]}),
            {},
            "invalid",
        ),
    ],
)
def pragmas(history: History, *, f: str = "inspect", connections: int | None = None) -> Verdict:
    """CNS-1: on every pooled connection (``connections`` of them, when given): WAL,
    synchronous FULL (2, the chosen level), foreign keys on, incremental auto-vacuum (2,
    CNS-7), the busy timeout of 5 s."""
    value = _last_ok(history, f)
    expected = {**_PRAGMAS_OK, "busy_timeout": BUSY_TIMEOUT_MS}
    wrong = [
        {k: v.get(k) for k in expected}
        for v in value["pragmas"]
        if any(v.get(k) != e for k, e in expected.items())
    ]
    n = len(value["pragmas"])
    return _judged(
        "cns.pragmas",
        wrong or (connections is not None and n != connections),
        f"{len(wrong)} of {n} connection(s) not as stated",
        f"{n} connections read back as stated",
        wrong=wrong,
        expected=expected,
    )


_POOL_OK = {
    "connections": POOL_SIZE,
    "reads": POOL_SIZE - 1,
    "eleventh": "PoolTimeout",
    "write_after_open_transaction": "ok",
}


@register(
    "cns.pool_bounded",
    example={"f": "inspect"},
    examples=[
        (_ok("inspect", _POOL_OK), {}, "valid"),
        (_ok("inspect", {**_POOL_OK, "eleventh": None}), {}, "invalid"),
        (_ok("inspect", {**_POOL_OK, "connections": 9}), {}, "invalid"),
        (
            _ok("inspect", {**_POOL_OK, "write_after_open_transaction": "x"}),
            {},
            "invalid",
        ),
    ],
)
def pool_bounded(history: History, *, f: str = "inspect") -> Verdict:
    """CNS-1: ten connections at once while one holds the write lock, each reads; an eleventh
    is refused (PoolTimeout) after its wait; a connection given back inside a transaction
    does not carry it to the next write."""
    value = _last_ok(history, f)
    wrong = {k: value.get(k) for k, e in _POOL_OK.items() if value.get(k) != e}
    return _judged(
        "cns.pool_bounded",
        wrong,
        f"the pool is not as stated: {wrong}",
        f"{POOL_SIZE} connections, the eleventh refused",
    )


@register(
    "cns.reader_proceeds",
    example={"f": "inspect"},
    examples=[
        (_ok("inspect", {"reader": {"rows": 3}}), {}, "valid"),
        (
            _ok("inspect", {"reader": {"error": "database is locked"}}),
            {},
            "invalid",
        ),
    ],
)
def reader_proceeds(history: History, *, f: str = "inspect") -> Verdict:
    """CNS-1: a reader got its rows while a writer held the write lock (bounded wait)."""
    reader = _last_ok(history, f)["reader"]
    return _judged(
        "cns.reader_proceeds",
        "rows" not in reader,
        f"the reader waited: {reader.get('error')}",
        f"the reader read {reader.get('rows')} rows while the writer held the lock",
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
    return _judged(
        "cns.kept_rows",
        have != facts["kept"],
        f"{have} of the {facts['kept']} rows of {facts['kept_spec']} left",
        f"all {have} rows of {facts['kept_spec']} kept",
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


def _latest_synthesis(snap: dict[str, Any]) -> dict[tuple[Any, ...], list[Any]]:
    """Per run key (spec, stage, run id): its last synthesis row (by id)."""
    out: dict[tuple[Any, ...], list[Any]] = {}
    for row in sorted(snap.get("synthesis", []), key=lambda r: r[6]):
        out[tuple(row[:3])] = row
    return out


def _carried(run: Sequence[Any], syn: Sequence[Any] | None, outcome: bool) -> bool:
    """Does a new-schema run row say what its synthesis row says (nothing where none)?"""
    _, _, _, text, degraded, ok = run
    if syn is None:
        return text is None and ok is None
    doc = json.loads(text) if text else {}
    said = [doc.get("output_markdown"), doc.get("status"), doc.get("degraded"), degraded]
    if said != [syn[3], syn[4], bool(syn[5]), syn[5]]:
        return False
    if ok is None:
        return not outcome
    return bool(ok == int(syn[4] == "ok"))


@register(
    "cns.runs_carry_synthesis",
    example={"stage": "final"},
    examples=[
        (_rec(_GOOD, "final"), {"outcome": True}, "valid"),
        (_rec(_BAD, "final"), {}, "invalid"),
        (_rec({**_GOOD, "runs": [["S", "plan", "r", None, None, None]]}, "final"), {}, "invalid"),
        (_rec({**_GOOD, "synthesis": []}, "final"), {}, "invalid"),
    ],
)
def runs_carry_synthesis(
    history: History, *, stage: str = "final", outcome: bool = False
) -> Verdict:
    """CNS-3/CNS-4: every run of the new schema carries its own run's last synthesis (text,
    status, degraded), found by the whole key (spec, stage, run id); a run no synthesis judged
    carries none. ``consensus_ok`` is NULL (unknown) or says whether the status was ok;
    with ``outcome``, it must be known."""
    snap = _snap(history, stage)
    syn = _latest_synthesis(snap)
    wrong = [
        {"run": _label(r[:3]), "row": r[3:], "synthesis": syn.get(tuple(r[:3]))}
        for r in snap.get("runs", [])
        if not _carried(r, syn.get(tuple(r[:3])), outcome)
    ]
    if wrong:
        return Verdict.violated(
            "cns.runs_carry_synthesis", f"{len(wrong)} run(s) carry another synthesis", wrong=wrong
        )
    return Verdict.ok(
        "cns.runs_carry_synthesis", f"{len(snap.get('runs', []))} run(s) carry their synthesis"
    )


def _killed(history: History) -> bool:
    return bool(history.meta.get("point"))


@register(
    "cns.run_stored",
    example={"stage": "after_fault"},
    examples=[
        (
            _hist(meta={"facts": {"written": ["S/plan/r"], "agents": 1}}, after_fault=_GOOD),
            {},
            "valid",
        ),
        (
            _hist(meta={"facts": {"written": ["S/plan/r"], "agents": 2}}, after_fault=_GOOD),
            {},
            "invalid",
        ),
        (
            _hist(
                meta={"facts": {"written": ["S/plan/r"], "agents": 2}, "point": "p"},
                after_fault=_GOOD,
            ),
            {},
            "valid",
        ),
    ],
)
def run_stored(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-4/CNS-8: with no fault, each run written (``facts.written``, ``spec/stage/run id``)
    is in the file whole: its ``facts.agents`` artifacts and outputs, its synthesis, its run
    row. A killed case is judged by the all-or-nothing checks."""
    if _killed(history):
        return Verdict.ok("cns.run_stored", f"killed at {history.meta['point']}")
    facts, snap = history.meta["facts"], _snap(history, stage)
    count = {
        kind: Counter(_label(r[:3]) for r in snap.get(kind, []))
        for kind in ("old", "new", "synthesis", "runs")
    }
    want = {"old": facts["agents"], "new": facts["agents"], "synthesis": 1, "runs": 1}
    missing = {
        label: {kind: count[kind][label] for kind in want}
        for label in facts["written"]
        if any(count[kind][label] != n for kind, n in want.items())
    }
    return _judged(
        "cns.run_stored",
        missing,
        f"written but not whole: {missing}",
        f"{len(facts['written'])} run(s) stored whole",
    )


_TAMPERED = files.TAMPERED


def _found(result: dict[str, Any], kind: str) -> list[Any]:
    rows = result[kind]
    return [r["artifact_id"] if isinstance(r, dict) else r for r in rows]


def _differing_shown(result: dict[str, Any]) -> list[str]:
    """The report of the tampered artifact shows its old and new row field by field: the
    same fields, only the content differs."""
    entry = next(
        (r for r in result["differing"] if r.get("artifact_id") == _TAMPERED["differing"]), None
    )
    if entry is None or "old" not in entry:
        return []  # not found at all: reported above
    changed = [(a, b) for a, b in zip(entry["old"], entry["new"], strict=False) if a != b]
    if len(entry["old"]) != len(entry["new"]) or changed != [('{"a": 1}', '{"a": 2}')]:
        return [f"the differing artifact shown as {entry}"]
    return []


_CLEAN = {"mismatches": 0, "missing_in_new": [], "missing_in_old": [], "differing": []}
_TAMPER_FOUND = {
    "mismatches": 3,
    "missing_in_new": [900001],
    "missing_in_old": [900002],
    "differing": [{"artifact_id": 900003, "old": ["S", '{"a": 1}'], "new": ["S", '{"a": 2}']}],
}


@register(
    "cns.validator_agrees",
    example={"f": "validate"},
    examples=[
        (
            _hist(
                [("v", "ok", "validate", {"clean": _CLEAN, "tampered": _TAMPER_FOUND})],
                after_recovery=_GOOD,
            ),
            {},
            "valid",
        ),
        (
            _hist(
                [
                    (
                        "v",
                        "ok",
                        "validate",
                        {"clean": _CLEAN, "tampered": {**_TAMPER_FOUND, "differing": []}},
                    )
                ],
                after_recovery=_GOOD,
            ),
            {},
            "invalid",
        ),
        (
            _hist(
                [("v", "ok", "validate", {"clean": _CLEAN, "tampered": _TAMPER_FOUND})],
                after_recovery=_BAD,
            ),
            {},
            "invalid",
        ),
    ],
)
def validator_agrees(
    history: History, *, f: str = "validate", stage: str = "after_recovery"
) -> Verdict:
    """CNS-4: the store's read-compare validator finds what is there: no mismatch where the
    file (compared here, row by row) has none, any where it has some; and on a copy with one
    mismatch of each kind written into it, exactly those three more (ids 900001..900003)."""
    value = _last_ok(history, f)
    clean, tampered = value["clean"], value["tampered"]
    independent = sum(len(v) for v in _mismatches(_snap(history, stage)).values())
    faults = []
    if (clean["mismatches"] == 0) != (independent == 0):
        faults.append(f"validator {clean['mismatches']}, the file {independent} mismatch(es)")
    for kind, artifact in _TAMPERED.items():
        before, after = _found(clean, kind), _found(tampered, kind)
        if sorted(map(str, after)) != sorted(map(str, [*before, artifact])):
            faults.append(f"{kind}: {before} -> {after}")
    faults += _differing_shown(tampered)
    counted = sum(len(tampered[k]) for k in _TAMPERED)
    if tampered["mismatches"] != counted or tampered["mismatches"] != clean["mismatches"] + 3:
        faults.append(f"counted {tampered['mismatches']} for {counted} listed")
    if faults:
        return Verdict.violated(
            "cns.validator_agrees", "; ".join(faults), clean=clean, tampered=tampered
        )
    return Verdict.ok(
        "cns.validator_agrees", "the validator finds what the file holds, and each tampering"
    )


@register(
    "cns.agents_final",
    example={"stage": "after_fault"},
    examples=[
        (
            _hist(
                meta={"facts": {"agents": {"a1": "spawned"}}},
                after_fault={**_GOOD, "agents": {"a1": "spawned"}},
            ),
            {},
            "valid",
        ),
        (_hist(meta={"facts": {"agents": {"a1": "spawned"}}}, after_fault=_GOOD), {}, "invalid"),
        (
            _hist(meta={"facts": {"agents": {"a1": "completed"}}, "point": "p"}, after_fault=_BAD),
            {},
            "valid",
        ),
    ],
)
def agents_final(history: History, *, stage: str = "after_fault") -> Verdict:
    """CNS-5: with no fault, the database and the screen both end at the statuses the
    workload set (``facts.agents``)."""
    if _killed(history):
        return Verdict.ok("cns.agents_final", f"killed at {history.meta['point']}")
    want, snap = history.meta["facts"]["agents"], _snap(history, stage)
    if snap.get("agents") == want and snap.get("shown") == want:
        return Verdict.ok("cns.agents_final", f"database and screen at {want}")
    return Verdict.violated(
        "cns.agents_final",
        "the workload's statuses are not all in the database and on the screen",
        expected=want,
        database=snap.get("agents"),
        shown=snap.get("shown"),
    )
