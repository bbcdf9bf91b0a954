"""The QUE invariants, each a function from a snapshot (and a history) to a Verdict."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.history import History, OpType
from harness.verdict import Verdict, compose
from scenarios.que.store import request_of


def no_partial_job(
    snap: dict[str, Any], new_schema: bool = True, old_only: frozenset[str] = frozenset()
) -> Verdict:
    """QUE-2: every job is whole (old hash, new hash when the flag is on, one queue
    entry, the two hashes equal) or absent; a queued id always has its hashes.
    ``old_only``: jobs enqueued before the flag flipped, whole without a new hash."""
    problems: list[str] = []
    queued = Counter(snap["queue"])
    old = snap["old"]
    new_by_job = {fields.get("job_id", key): fields for key, fields in snap["new"].items()}
    for job_id, n in sorted(queued.items()):
        if n > 1:
            problems.append(f"{job_id} queued {n} times")
        if job_id not in old:
            problems.append(f"{job_id} queued without its old-schema hash")
        if new_schema and job_id not in new_by_job and job_id not in old_only:
            problems.append(f"{job_id} queued without its new-schema hash")
    for job_id, fields in sorted(old.items()):
        if job_id not in queued:
            problems.append(f"{job_id} has an old-schema hash but no queue entry")
        if new_schema and job_id in new_by_job and new_by_job[job_id] != fields:
            diff = sorted(
                k
                for k in fields.keys() | new_by_job[job_id].keys()
                if fields.get(k) != new_by_job[job_id].get(k)
            )
            problems.append(f"{job_id}: old and new hashes differ in {diff}")
    for job_id in sorted(new_by_job):
        if job_id not in old:
            problems.append(f"{job_id} has a new-schema hash but no old-schema hash")
    if problems:
        return Verdict.violated("que.no_partial_job", problems[0], problems=problems)
    return Verdict.ok("que.no_partial_job", f"{len(old)} jobs, all whole", jobs=len(old))


def jobs_by_request(snap: dict[str, Any]) -> dict[str | None, list[str]]:
    """Queued jobs grouped by the request id in their params."""
    out: dict[str | None, list[str]] = {}
    for job_id in snap["queue"]:
        fields = snap["old"].get(job_id)
        if fields is not None:
            out.setdefault(request_of(fields), []).append(job_id)
    return out


def exactly_once(snap: dict[str, Any], history: History) -> Verdict:
    """QUE-1: a request that got a successful response has exactly one job queued;
    one whose every attempt failed or is unknown has at most one."""
    by_request = jobs_by_request(snap)
    acked: set[str] = set()
    tried: set[str] = set()
    pending: dict[str, str | None] = {}  # process -> request of its open enqueue
    for op in history:
        if op.f != "enqueue":
            continue
        if op.type is OpType.INVOKE:
            request = op.value.get("request") if isinstance(op.value, dict) else None
            pending[op.process] = request
            if request is not None:
                tried.add(request)
            continue
        request = pending.pop(op.process, None)
        if request is not None and op.type is OpType.OK:
            acked.add(request)
    problems = []
    for request in sorted(tried):
        jobs = by_request.get(request, [])
        if request in acked and not jobs:
            problems.append(f"request {request}: a successful response, yet no job queued")
        if len(jobs) > 1:
            problems.append(f"request {request}: {len(jobs)} jobs queued {jobs}")
    if problems:
        return Verdict.violated(
            "que.exactly_once", problems[0], problems=problems, jobs_by_request=by_request
        )
    return Verdict.ok(
        "que.exactly_once",
        f"{len(tried)} requests, each queued once at most, every acknowledged one present",
        jobs_by_request={str(k): v for k, v in by_request.items()},
    )


def queue_invariants(snap: dict[str, Any], history: History, new_schema: bool = True) -> Verdict:
    return compose("que.queue", [no_partial_job(snap, new_schema), exactly_once(snap, history)])


def expect(name: str, ok: bool, summary: str, **evidence: Any) -> Verdict:
    """A one-line check as a verdict: ``summary`` says what was expected."""
    if ok:
        return Verdict.ok(name, summary, **evidence)
    return Verdict.violated(name, f"NOT {summary}", **evidence)


def staged(stage: str, verdict: Verdict) -> Verdict:
    """The same verdict, its summary prefixed with when it was taken."""
    return Verdict(
        f"{stage}:{verdict.checker}",
        verdict.validity,
        f"{stage}: {verdict.summary}",
        {"stage": stage, **dict(verdict.evidence)},
    )
