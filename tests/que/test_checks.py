"""The QUE checkers on hand-made snapshots and histories: each catches what it must."""

from __future__ import annotations

import json

from harness.history import History
from scenarios.que.checks import exactly_once, no_partial_job
from scenarios.que.metrics_check import counts_match


def job(job_id: str, request: str, status: str = "pending") -> dict[str, str]:
    return {"job_id": job_id, "status": status, "params": json.dumps({"request": request})}


def snap(queue=(), old=None, new=None) -> dict:
    return {
        "queue": list(queue),
        "old": old or {},
        "new": new or {},
        "idempotency": {},
        "other": {},
    }


WHOLE = snap(["j1"], {"j1": job("j1", "r1")}, {"ws:j1": job("j1", "r1")})


def test_no_partial_job_accepts_whole_and_empty():
    assert no_partial_job(WHOLE).valid
    assert no_partial_job(snap()).valid


def test_no_partial_job_catches_each_partial_shape():
    cases = {
        "hash without queue entry": snap([], {"j1": job("j1", "r1")}, {"ws:j1": job("j1", "r1")}),
        "queue entry without hashes": snap(["j1"]),
        "old without new": snap(["j1"], {"j1": job("j1", "r1")}),
        "new without old": snap([], {}, {"ws:j1": job("j1", "r1")}),
        "hashes differ": snap(["j1"], {"j1": job("j1", "r1", "done")}, {"ws:j1": job("j1", "r1")}),
        "queued twice": snap(["j1", "j1"], {"j1": job("j1", "r1")}, {"ws:j1": job("j1", "r1")}),
    }
    for name, state in cases.items():
        assert not no_partial_job(state).valid, name


def test_no_partial_job_old_only_jobs_need_no_new_hash():
    state = snap(["j1"], {"j1": job("j1", "r1")})
    assert no_partial_job(state, old_only=frozenset({"j1"})).valid


def enqueue(history: History, process: str, request: str, outcome: str) -> None:
    op = history.invoke(process, "enqueue", {"job_id": "x", "request": request})
    if outcome == "ok":
        history.ok(op, {"created": True})
    elif outcome == "fail":
        history.fail(op, "ResponseError: WRONGTYPE")
    else:
        history.info(op, "ConnectionError")


def test_exactly_once():
    h = History()
    enqueue(h, "a", "r1", "ok")
    assert exactly_once(WHOLE, h).valid
    missing = exactly_once(snap(), h)
    assert not missing.valid and "no job queued" in missing.summary
    twice = snap(
        ["j1", "j2"],
        {"j1": job("j1", "r1"), "j2": job("j2", "r1")},
        {"ws:j1": job("j1", "r1"), "ws:j2": job("j2", "r1")},
    )
    assert "2 jobs queued" in exactly_once(twice, h).summary


def test_exactly_once_unknown_outcome_allows_zero_or_one():
    h = History()
    enqueue(h, "a", "r1", "info")
    assert exactly_once(snap(), h).valid
    assert exactly_once(WHOLE, h).valid


def test_counts_match():
    h = History()
    enqueue(h, "a", "r1", "ok")
    enqueue(h, "b", "r2", "fail")
    enqueue(h, "c", "r3", "info")
    assert counts_match(
        h, {"enqueue/succeeded": 1, "enqueue/failed": 1, "enqueue/unknown": 1}
    ).valid
    assert counts_match(h, {"enqueue/succeeded": 1, "enqueue/failed": 2}).valid  # info as failed
    assert not counts_match(h, {"enqueue/succeeded": 1, "enqueue/unknown": 2}).valid
    assert not counts_match(
        h, {"enqueue/succeeded": 2, "enqueue/failed": 1, "enqueue/unknown": 1}
    ).valid
    assert not counts_match(h, {"enqueue/succeeded": 1}).valid
