"""The TRC invariants, as pure functions of a recorded state (``World.state()``).

Expected values come from the fix statements (FIXES.md, TRC) and from the
batches the scenario fed, never from the code under test: a stored row is
recognised by its key, a dead-lettered batch by reading its file as plain JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from harness.verdict import Verdict, compose
from reference_impl.trc import Batch

KEYS = {
    "traces": ("tenant_id", "trace_id"),
    "spans": ("tenant_id", "trace_id", "span_id"),
    "logs": ("tenant_id", "trace_id", "span_id", "seq"),
}
RELATIONS = [
    "spans(tenant_id, trace_id) -> traces(tenant_id, trace_id)",
    "logs(tenant_id, trace_id, span_id) -> spans(tenant_id, trace_id, span_id)",
]


def keys(state: dict[str, Any], table: str) -> list[tuple[Any, ...]]:
    return [tuple(row[c] for c in KEYS[table]) for row in state[table]]


def batch_keys(batch: Batch) -> dict[str, set[tuple[Any, ...]]]:
    return {
        "traces": {t.key for t in batch.traces},
        "spans": {s.key for s in batch.spans},
        "logs": {lg.key for lg in batch.logs},
    }


def _stored_part(state: dict[str, Any], batch: Batch) -> tuple[int, int]:
    present = {t: set(keys(state, t)) for t in KEYS}
    want = batch_keys(batch)
    have = sum(len(want[t] & present[t]) for t in KEYS)
    return have, sum(len(v) for v in want.values())


def _judge(name: str, failed: str, passed: str, **evidence: Any) -> Verdict:
    """Violated (``failed``) when the first item of ``evidence`` holds anything, else ``passed``."""
    if next(iter(evidence.values())):
        return Verdict.violated(name, failed, **evidence)
    return Verdict.ok(name, passed)


def _stored_where(
    state: dict[str, Any], batches: Sequence[Batch], which: Callable[[int, int], bool]
) -> dict[str, str]:
    """``batch id: "N of M rows"`` for each batch whose stored part (N of its M rows) is ``which``."""
    out = {}
    for b in batches:
        have, total = _stored_part(state, b)
        if which(have, total):
            out[b.batch_id] = f"{have} of {total} rows"
    return out


def batch_all_or_nothing(state: dict[str, Any], batches: Sequence[Batch]) -> Verdict:
    """Each batch is stored whole or not at all (no trace left without its spans)."""
    partial = _stored_where(state, batches, lambda have, total: 0 < have < total)
    if partial:
        return Verdict.violated(
            "batch_all_or_nothing", f"{len(partial)} batch(es) stored in part", partial=partial
        )
    return Verdict.ok("batch_all_or_nothing", f"{len(batches)} batch(es): each whole or absent")


def _in_dlq(state: dict[str, Any], batch: Batch) -> bool:
    body = batch.to_dict()
    return any(f["batch"] == body for f in state["dlq"]["pending"])


def acked_batch_kept(state: dict[str, Any], batches: Sequence[Batch]) -> Verdict:
    """Every acknowledged batch is stored whole, or whole in a DLQ file."""
    by_id = {b.batch_id: b for b in batches}
    lost = []
    for batch_id in state["acked"]:
        b = by_id[batch_id]
        have, total = _stored_part(state, b)
        if have < total and not _in_dlq(state, b):
            lost.append({"batch": batch_id, "stored_rows": f"{have}/{total}", "in_dlq": False})
    return _judge(
        "acked_batch_kept",
        f"{len(lost)} acknowledged batch(es) neither stored nor in the DLQ",
        f"{len(state['acked'])} acknowledged batch(es), each stored or in the DLQ",
        lost=lost,
        dlq=state["dlq"],
    )


def every_batch_stored(state: dict[str, Any], batches: Sequence[Batch]) -> Verdict:
    """After recovery nothing is lost: every batch is stored whole."""
    missing = _stored_where(state, batches, lambda have, total: have < total)
    return _judge(
        "every_batch_stored",
        f"{len(missing)} batch(es) not stored whole",
        f"all {len(batches)} batch(es) stored whole",
        missing=missing,
        dlq=state["dlq"],
    )


def dlq_drained(state: dict[str, Any]) -> Verdict:
    """After recovery against a healthy database, no file waits, none was evicted."""
    dlq = state["dlq"]
    left = {k: dlq[k] for k in ("pending", "evicted") if dlq[k]}
    if left:
        return Verdict.violated("dlq_drained", "the DLQ still holds files", **left)
    return Verdict.ok("dlq_drained", "the DLQ is empty")


def one_copy(state: dict[str, Any], tables: Iterable[str] = ("traces", "spans", "logs")) -> Verdict:
    """Exactly one copy of each trace, span and log (by its key)."""
    dupes = {}
    for t in tables:
        extra = {str(k): n for k, n in Counter(keys(state, t)).items() if n > 1}
        if extra:
            dupes[t] = extra
    if dupes:
        n = sum(len(v) for v in dupes.values())
        return Verdict.violated("one_copy", f"{n} key(s) stored more than once", duplicates=dupes)
    return Verdict.ok("one_copy", "one copy of every row")


#: The schema at each migration, by unique keys (FIXES.md TRC-3, TRC-4), and the
#: migrations that must be recorded with it.
SCHEMAS = {
    "before TRC-3/TRC-4 (v1)": (
        [1],
        {"traces": [["trace_id"]], "spans": [], "logs": []},
    ),
    "trace keyed by tenant (v2)": (
        [1, 2],
        {"traces": [["tenant_id", "trace_id"]], "spans": [], "logs": []},
    ),
    "unique keys on spans and logs (v3)": (
        [1, 2, 3],
        {
            "traces": [["tenant_id", "trace_id"]],
            "spans": [["tenant_id", "trace_id", "span_id"]],
            "logs": [["tenant_id", "trace_id", "span_id", "seq"]],
        },
    ),
}
NEW = "unique keys on spans and logs (v3)"


def _schema_name(state: dict[str, Any]) -> str | None:
    for name, (migrations, keys_) in SCHEMAS.items():
        if state["migrations"] == migrations and state["unique_keys"] == keys_:
            return name
    return None


def schema_whole(state: dict[str, Any]) -> Verdict:
    """The schema is wholly one of the migrations' schemas, and recorded as that one."""
    name = _schema_name(state)
    if name is None:
        return Verdict.violated(
            "schema_whole",
            "the schema is between two migrations",
            migrations=state["migrations"],
            unique_keys=state["unique_keys"],
        )
    return Verdict.ok("schema_whole", f"schema wholly at: {name}")


def schema_new(state: dict[str, Any]) -> Verdict:
    """The unique keys that make replay idempotent are in place."""
    if _schema_name(state) != NEW:
        return Verdict.violated(
            "unique_keys_present",
            "spans and logs have no unique key (tenant, trace, span[, seq])",
            migrations=state["migrations"],
            unique_keys=state["unique_keys"],
        )
    return Verdict.ok("unique_keys_present", "unique keys on spans and logs")


def rows_kept(state: dict[str, Any], batches: Sequence[Batch]) -> Verdict:
    """Exactly the rows of ``batches`` are there, by key: none lost, none made up."""
    diff = {}
    for t in KEYS:
        want = set().union(*(batch_keys(b)[t] for b in batches)) if batches else set()
        have = set(keys(state, t))
        if want != have:
            diff[t] = {
                "lost": sorted(map(str, want - have)),
                "extra": sorted(map(str, have - want)),
            }
    if diff:
        return Verdict.violated("rows_kept", "rows lost or made up", diff=diff)
    return Verdict.ok("rows_kept", "every row kept")


def tenant_reads_isolated(state: dict[str, Any]) -> Verdict:
    """What the read API returned per tenant (``state["reads"]``) holds only that tenant's
    rows and all of them (by key), compared with the tables themselves."""
    problems = []
    for tenant, seen in sorted(state["reads"].items()):
        for table in KEYS:
            foreign = [r for r in seen[table] if r["tenant_id"] != tenant]
            if foreign:
                problems.append(
                    {
                        "tenant": tenant,
                        "table": table,
                        "read_rows_of": sorted({r["tenant_id"] for r in foreign}),
                    }
                )
            own = {k for k in keys(state, table) if k[0] == tenant}
            shown = {k for k in keys({table: seen[table]}, table) if k[0] == tenant}
            if own - shown:
                problems.append(
                    {"tenant": tenant, "table": table, "own_rows_hidden": len(own - shown)}
                )
    if problems:
        return Verdict.violated(
            "tenant_reads_isolated",
            f"{len(problems)} cross-tenant read problem(s)",
            problems=problems,
        )
    return Verdict.ok(
        "tenant_reads_isolated", f"{len(state['reads'])} tenant(s) read exactly their own rows"
    )


def worker_settled(
    ops: Sequence[Any], state: dict[str, Any], batches: Sequence[Batch], invalid: Sequence[Batch]
) -> Verdict:
    """What the worker did with each batch, from the case's ops (faults are ``nemesis`` ops)
    and the state after the fault (FIXES.md TRC-1: a failed batch goes to the DLQ; a batch
    that can never be stored is rejected to its source, and nothing of it written):

    - the worker's op never runs past its time limit (it settles every batch and returns);
    - no fault: the worker reports every batch stored (the invalid ones rejected) and the
      DLQ is empty; every dead-lettered batch is named in a warning;
    - only database links cut: every batch still settled by the worker, no redelivery;
    - recovery (the source's redelivery, no fault then): each batch not acknowledged is
      stored, each invalid batch not yet rejected is rejected;
    - nothing of an invalid batch is ever stored or dead-lettered.
    """
    problems: dict[str, Any] = {}
    faults = [op for op in ops if op.process == "nemesis"]
    names = [op.f for op in faults]
    if any(isinstance(op.value, dict) and op.value.get("reason") == "timeout" for op in faults):
        problems["worker_never_returned"] = names
    unacked = [b.batch_id for b in batches if b.batch_id not in state["acked"]]
    unrejected = [b.batch_id for b in invalid if b.batch_id not in state.get("rejected", [])]
    worked = [op.value for op in ops if op.f == "ingest" and op.type.value == "ok"]
    if not faults:
        missing = _stored_where(state, batches, lambda have, total: have < total)
        if missing or state["dlq"]["pending"]:
            problems["no_fault_not_stored"] = {"missing": missing, "dlq": state["dlq"]["pending"]}
        want = ["stored"] * len(batches) + ["rejected"] * len(invalid)
        if worked and worked[0]["outcomes"] != want:
            problems["no_fault_outcomes"] = {"want": want, "got": worked[0]["outcomes"]}
    for value in worked:
        named = [w for w in value["warnings"] if any(b.batch_id in w for b in batches)]
        if len(named) < value["outcomes"].count("dead_lettered"):
            problems["dead_lettered_unlogged"] = value
    if names and all(f == "Link.cut" for f in names) and (unacked or unrejected):
        problems["link_cut_left_unsettled"] = unacked + unrejected
    redelivered = [op.value for op in ops if op.f == "redeliver" and op.type.value == "ok"]
    want_again = sorted(["stored"] * len(unacked) + ["rejected"] * len(unrejected))
    if redelivered and sorted(redelivered[0]) != want_again:
        problems["redelivery"] = {"want": want_again, "got": redelivered[0]}
    written = {k for t in KEYS for k in keys(state, t)}
    leaked = [b.batch_id for b in invalid if any(written & v for v in batch_keys(b).values())]
    if leaked or any(_in_dlq(state, b) for b in invalid):
        problems["invalid_batch_written"] = leaked
    return _judge(
        "worker_settled",
        f"the worker mishandled: {', '.join(problems)}",
        f"{len(batches)} batch(es) settled as the faults ({', '.join(names) or 'none'}) allow",
        problems=problems,
    )


def replay_settled(
    ops: Sequence[Any], state: dict[str, Any], expect: dict[str, Any], *, final: bool
) -> Verdict:
    """Every DLQ file the replayer met went where FIXES.md TRC-2 says, by name and place
    (``expect``: the scenario's files, written in the documented format):

    - an unreadable file (``unreadable``: name -> why) never spends a retry slot: it waits
      under its own name or is set aside, never renamed ``.aN`` nor evicted;
    - a file that used its ``max_retries`` attempts (``exhausted``: name -> batch) is never
      attempted again: nothing of its batch stored, never renamed past ``.a<max>``;
    - after the one pass a fault cut short (not ``final``): at most one readable batch's file
      counts an attempt, since the scenario's batches are all storable and only the fault
      fails a write (a kill, a cut link, a lock the database cannot grant), which ends the
      pass (docs/trc.md: a pass stops at the first failure of the database, not of the
      batch, or a database that is down would spend every file's attempts);
    - ``final`` (after recovery): the unreadable ones set aside, the exhausted ones evicted,
      nothing pending;
    - no fault: the replayer's report says exactly that: ``stored`` the readable batches,
      ``set_aside`` each unreadable file with its kind, ``evicted`` the exhausted ones;
    - a pass a fault failed and that returned: its report's ``failed`` names the file
      whose attempt it spent, and ``stopped`` says why the pass ended.
    """
    problems: dict[str, Any] = {}
    dlq = state["dlq"]
    pending = {f["name"] for f in dlq["pending"]}
    unreadable, exhausted = expect["unreadable"], expect["exhausted"]
    limit = expect["max_retries"]
    stems = {name.split(".")[0]: name for name in [*unreadable, *exhausted]}
    # in name order: a set's order varies from process to process, and a recheck compares
    for name in [*sorted(pending), *dlq["set_aside"], *dlq["evicted"]]:
        stem = name.split(".")[0]
        if stem in stems and name != stems[stem]:
            problems.setdefault("renamed", []).append(name)
    spent = [n for n in unreadable if n in dlq["evicted"]]
    if spent:
        problems["unreadable_evicted"] = spent
    written = {k for t in KEYS for k in keys(state, t)}
    for name, body in exhausted.items():
        if any(written & v for v in batch_keys(Batch.from_dict(body)).values()):
            problems.setdefault(f"attempt_past_{limit}", []).append(name)
    readable = {b["batch_id"] for b in expect["readable"]}
    tried = sorted(n for n in pending if n.split(".")[0] in readable and ".a" in n)
    if not final and len(tried) > 1:
        problems["attempts_after_a_failed_write"] = tried
    if final:
        want = {"set_aside": sorted(unreadable), "evicted": sorted(exhausted), "pending": []}
        got = {"set_aside": dlq["set_aside"], "evicted": dlq["evicted"], "pending": sorted(pending)}
        if want != got:
            problems["after_recovery"] = {"want": want, "got": got}
    reports = [op.value for op in ops if op.f == "replay_pass" and op.type.value == "ok"]
    if not any(op.process == "nemesis" for op in ops) and reports and reports[0]:
        report = reports[0]
        want_report = {
            "stored": sorted(b["batch_id"] for b in expect["readable"]),
            "set_aside": sorted([n, k] for n, k in unreadable.items()),
            "evicted": sorted(exhausted),
            "failed": [],
        }
        got_report = {
            "stored": sorted(report["stored"]),
            "set_aside": sorted([s[0], s[1]] for s in report["set_aside"]),
            "evicted": sorted(report["evicted"]),
            "failed": report["failed"],
        }
        if want_report != got_report:
            problems["report"] = {"want": want_report, "got": got_report}
    elif reports and reports[0] and not final:
        # a pass a cut link failed returned: it reports the attempt it spent, and why it stopped
        report = reports[0]
        if sorted(report["failed"]) != tried:
            problems["report_failed"] = {"want": tried, "got": sorted(report["failed"])}
        if tried and not report["stopped"]:
            problems["report_stopped"] = "an attempt failed, the report says no pass stopped"
    return _judge(
        "replay_settled",
        f"DLQ files not where TRC-2 puts them: {', '.join(problems)}",
        f"{len(unreadable)} unreadable and {len(exhausted)} exhausted file(s) where they belong",
        problems=problems,
    )


def ops_reported(ops: Sequence[Any], expect: dict[str, list[Any]]) -> Verdict:
    """Each op that returned reported what it did (``expect``: op name -> the value it must
    have returned, computed by the check from the fed batches and the snapshots)."""
    wrong = {
        op.f: {"want": expect[op.f], "got": op.value}
        for op in ops
        if op.f in expect and op.type.value == "ok" and op.value != expect[op.f]
    }
    return _judge(
        "ops_reported",
        f"{len(wrong)} op(s) misreported what they did",
        f"{len(expect)} kind(s) of op reported what they did",
        wrong=wrong,
    )


def applied_once(ops: Sequence[Any], state: dict[str, Any], want: Sequence[int]) -> Verdict:
    """Runners started together (ops ``migrate_*``) each returned, and between them applied
    every migration of ``want`` exactly once, as the database records."""
    runs = [op for op in ops if op.f.startswith("migrate_") and op.type.value != "invoke"]
    failed = [{"runner": op.f, "error": op.error} for op in runs if op.type.value != "ok"]
    applied = sorted(v for op in runs if op.type.value == "ok" for v in op.value)
    problems = {}
    if failed:
        problems["runner_failed"] = failed
    if applied != list(want) or state["migrations"] != list(want):
        problems["applied"] = {"want": list(want), "runners": applied, "db": state["migrations"]}
    return _judge(
        "applied_once",
        f"the runners did not apply {list(want)} once between them",
        f"{len(runs)} runner(s) applied {list(want)} once between them",
        problems=problems,
    )


def applied_committed(ops: Sequence[Any], state: dict[str, Any]) -> Verdict:
    """What a migration runner (ops ``migrate*``) reports applied is what the database
    records, once its caller is gone: a runner that returned versions it never committed
    (its caller's transaction, never committed, took them away) lied; one that refused
    (an error) changed nothing."""
    runs = [op for op in ops if op.f.startswith("migrate") and op.type.value != "invoke"]
    reported = sorted(v for op in runs if op.type.value == "ok" for v in op.value or [])
    problems = {}
    if reported != state["migrations"]:
        problems["reported_not_recorded"] = {"reported": reported, "db": state["migrations"]}
    return _judge(
        "applied_committed",
        f"the runner reported {reported} applied, the database records {state['migrations']}",
        f"the runner reported {reported} applied, as the database records",
        problems=problems,
    )


def rows_in_key_order(state: dict[str, Any], batches: Sequence[Batch]) -> Verdict:
    """Each batch's rows were inserted in key order, table by table (the rows as the table
    holds them, by serial id): the fixed write's lock order, one order for every batch, so
    that two batches sharing keys never wait on each other in a cycle (docs/trc.md)."""
    unordered = {}
    for b in batches:
        for table, want in batch_keys(b).items():
            seen = [k for k in keys(state, table) if k in want]
            if seen != sorted(seen):
                unordered.setdefault(b.batch_id, []).append(table)
    return _judge(
        "rows_in_key_order",
        f"{len(unordered)} batch(es) written out of key order",
        f"{len(batches)} batch(es) written in key order",
        unordered=unordered,
    )


# Power loss (TRC-2), judged on a crash state's record: the recovered view and its facts
# (``acked``: the labels of the calls that had returned, ``op``: where the power was cut).


def no_slot_on_torn_file(files: Sequence[dict[str, Any]], torn: Iterable[str]) -> Verdict:
    """No DLQ file of a ``torn`` batch (one the replayer cannot read) spent a retry slot:
    never renamed ``.aN``, never evicted (``files``: the plain-JSON listing of the DLQ)."""
    ids = set(torn)
    spent = [
        f for f in files if f["batch"] in ids and (f["attempts"] > 0 or f["where"] == "evicted")
    ]
    return _judge(
        "no_slot_on_torn_file",
        f"{len(spent)} unreadable file(s) spent a retry slot",
        "no unreadable file spent a retry slot",
        files=spent,
    )


def enqueues_recovered(view: dict[str, Any], facts: dict[str, Any]) -> Verdict:
    """Power lost during DLQ enqueues, then the replayer run over what the disk kept: every
    enqueue that returned (``enqueued:<batch id>``) is stored whole, no file spent a retry
    slot (a torn one is set aside), one copy of each row, the unreturned enqueues' temp files
    swept; and a returned enqueue left no descriptor open (``fds_left:<n>``, the workload's
    count against its start); a DLQ set to 0 retries is refused. ``view``: ``db`` (the rows),
    ``left`` (the DLQ listing), ``temp_left``, ``zero_retries_refused``."""
    batches = [Batch.from_dict(b) for b in facts["batches"]]
    by_label = {f"enqueued:{b.batch_id}": b for b in batches}
    acked = [by_label[a] for a in facts["acked"] if a in by_label]
    leaks = [a for a in facts["acked"] if a.startswith("fds_left:") and a != "fds_left:0"]
    db = view["db"]
    parts = [
        every_batch_stored(db | {"dlq": view["left"]}, acked),
        no_slot_on_torn_file(view["left"], [b.batch_id for b in batches]),
        one_copy(db),
    ]
    if view["temp_left"]:
        parts.append(
            Verdict.violated(
                "temp_swept", "temp files of unreturned enqueues left", files=view["temp_left"]
            )
        )
    if not view["zero_retries_refused"]:
        parts.append(
            Verdict.violated("bad_setting_refused", "DLQ_MAX_RETRIES=0 accepted, not refused")
        )
    if leaks:
        parts.append(
            Verdict.violated("no_fd_left", "a returned enqueue left descriptors open", acked=leaks)
        )
    return compose("enqueues_recovered", parts)


def replay_attempts_durable(files: list[dict[str, Any]], facts: dict[str, Any]) -> Verdict:
    """Power lost during failing replay passes over a DLQ holding ``batch`` and the torn file
    of ``torn``: the batch's file is never lost, counts at least the passes that returned
    (``pass:<n>``), is evicted only with ``max_retries`` attempts, after the last pass began,
    and is (only) evicted once every pass returned; the torn file spends no slot, and once a
    pass returned it was met and set aside (docs/trc.md: one attempt per file per pass, a
    failed write does not end the pass: the torn file sorts after the batch)."""
    limit = facts["max_retries"]
    mine = [f for f in files if f["batch"] == facts["batch"] and f["whole"]]
    done = sum(1 for a in facts["acked"] if a.startswith("pass:"))
    parts = [no_slot_on_torn_file(files, [facts["torn"]])]
    unmet = [f for f in files if f["batch"] == facts["torn"] and f["where"] == "pending"]
    if done and unmet:
        parts.append(
            Verdict.violated(
                "torn_set_aside",
                f"{done} replay pass(es) returned, the torn file is still pending",
                files=unmet,
            )
        )
    if not mine:
        parts.append(Verdict.violated("batch_kept", "the batch's DLQ file is gone", files=files))
        return compose("replay_attempts_durable", parts)
    counted = max(f["attempts"] for f in mine)
    if counted < done:
        parts.append(
            Verdict.violated(
                "attempts_durable",
                f"{done} replay pass(es) returned, the file counts {counted} attempt(s)",
                files=files,
            )
        )
    else:
        parts.append(Verdict.ok("attempts_durable", f"{counted} attempt(s) counted, {done} made"))
    evicted = [f for f in mine if f["where"] == "evicted"]
    if any(f["attempts"] != limit for f in evicted):
        parts.append(
            Verdict.violated(
                "evicted_after_max_retries",
                f"evicted after {evicted[0]['attempts']} attempt(s), not {limit}",
                files=files,
            )
        )
    if evicted and done < limit - 1:
        parts.append(
            Verdict.violated(
                "evicted_after_max_retries",
                f"evicted while pass {done + 1} of {limit} ran: before its last",
                files=files,
            )
        )
    if done == limit and [f["where"] for f in mine] != ["evicted"]:
        # every pass returned: the batch used its attempts, and its eviction was made
        # durable before the last pass returned
        parts.append(
            Verdict.violated(
                "evicted_after_max_retries",
                f"{done} failed passes returned, the batch is not (only) in evicted/",
                files=files,
            )
        )
    return compose("replay_attempts_durable", parts)


#: the database as the COMMIT of the cut replay pass left it, by whether it took effect
COMMIT_OUTCOMES = {False: "no_commit", True: "commit_kept"}


def commit_window(facts: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the batch's COMMIT had (possibly, certainly) taken effect when the power was
    cut after op ``op``: possibly once its last write was sent (``commit_sent``: the COMMIT
    may be in flight, the database is another machine and does not lose power), certainly
    once the write returned (``commit_done``)."""
    op, sent, done = facts["op"], facts["commit_sent"], facts["commit_done"]
    return sent is not None and op >= sent, done is not None and op >= done


def replayed_once_after_commit(view: dict[str, Any], facts: dict[str, Any]) -> Verdict:
    """Power lost during a replay pass that stores its batch, the replayer run again over what
    the disk kept, against the database as the COMMIT left it (each outcome the cut allows,
    ``view``: the rows after each): the batch is stored whole, once, never twice; and once the
    pass that stored it returned (``pass:1``), its file does not come back (``view["left"]``,
    the pending files the cut left): a file that does is replayed into the database again."""
    batches = [Batch.from_dict(b) for b in facts["batches"]]
    parts = []
    if "pass:1" in facts.get("acked", []) and view["left"]:
        parts.append(
            Verdict.violated(
                "stored_file_gone",
                "the pass that stored the batch returned, its DLQ file is back",
                files=view["left"],
            )
        )
    for committed in sorted(set(commit_window(facts))):
        db = view[COMMIT_OUTCOMES[committed]]
        when = "COMMIT kept" if committed else "no COMMIT"
        for v in (one_copy(db), every_batch_stored(db | {"dlq": {}}, batches)):
            parts.append(
                Verdict(f"{v.checker} ({when})", v.validity, f"{when}: {v.summary}", v.evidence)
            )
    return compose("replayed_once_after_commit", parts)


def _stem(name: str) -> str:
    """The batch id a DLQ file name carries (``<id>.json``, ``<id>.a<N>.json``)."""
    return name.split(".")[0]


def replayers_claimed_once(ops: Sequence[Any], state: dict[str, Any]) -> Verdict:
    """Replay passes run at once on one DLQ (ops ``start_and_replay``, one per instance: it
    swept the temp files and made one pass; FIXES.md TRC-2: nothing is replayed twice into the DB):

    - every pass returned (a file another instance took first is no error);
    - of the passes that listed a file under one name, at most one stored its batch: the
      rename that counts an attempt is the claim on that file (docs/trc.md), so the other
      one finds the file gone (a pass that listed the file later, under its counted name
      ``<id>.a<N>.json``, makes a new attempt of its own: the one copy in the database is
      for ``trc.one_copy`` to judge);
    - a pass that did not stop accounted for every file it listed: stored, failed, set
      aside, evicted, or taken by another instance; and reported nothing it did not list;
    - no temp file of an enqueue that never returned is left (every instance swept at start).
    """
    problems: dict[str, Any] = {}
    passes = [op for op in ops if op.f == "start_and_replay" and op.type.value != "invoke"]
    failed = [{"pass": op.process, "error": op.error} for op in passes if op.type.value != "ok"]
    if failed or not passes:
        problems["pass_failed"] = failed or "no replay pass recorded"
    claims: dict[str, list[str]] = {}
    for op in (op for op in passes if op.type.value == "ok"):
        report, who = op.value, str(op.process)
        listed = {_stem(n): n for n in report["listed"]}
        moved = [*report["failed"], *report["evicted"], *[s[0] for s in report["set_aside"]]]
        done = {*report["stored"], *map(_stem, [*report["taken"], *moved])}
        for batch_id in report["stored"]:
            name = listed.get(batch_id, f"{batch_id} (never listed)")
            claims.setdefault(name, []).append(who)
        if done - set(listed):
            problems.setdefault("reported_unlisted", {})[who] = sorted(done - set(listed))
        if not report["stopped"] and set(listed) - done:
            problems.setdefault("listed_unaccounted", {})[who] = sorted(set(listed) - done)
    twice = {name: who for name, who in sorted(claims.items()) if len(who) > 1}
    if twice:
        problems["claimed_twice"] = twice
    if state["dlq"]["temp"]:
        problems["temp_left"] = state["dlq"]["temp"]
    return _judge(
        "replayers_claimed_once",
        f"replayers at once: {', '.join(problems)}",
        f"{len(passes)} pass(es) at once: each file claimed once, every listed file accounted",
        problems=problems,
    )
