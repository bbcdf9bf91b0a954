"""The QUE invariants, each a function from a snapshot (and a history) to a Verdict."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checkers import get_checker
from harness.history import History
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
    """QUE-1, judged by the harness's ``idempotent`` checker: a request acknowledged
    (ok) has exactly one job queued, one whose every attempt certainly failed has
    none, one of unknown outcome at most one. The queued jobs it judged are kept in
    the history as snapshot ``queued_jobs``."""
    rows = [
        {"job_id": job_id, "request": request}
        for request, jobs in jobs_by_request(snap).items()
        for job_id in jobs
    ]
    history.snapshot("queued_jobs", {"jobs": rows})
    verdict = get_checker("idempotent")(
        history, f="enqueue", key="request", table="jobs", column="request", snapshot="queued_jobs"
    )
    if verdict.valid:
        return verdict
    # The same verdict, said in the queue's words, naming the requests and their jobs.
    ev = verdict.evidence
    by_request = {str(r): jobs for r, jobs in jobs_by_request(snap).items()}
    said = [
        f"request {r}: {n} jobs queued {by_request.get(r, [])}"
        for r, n in ev.get("duplicated", {}).items()
    ]
    said += [
        f"request {r}: a successful response, yet no job queued" for r in ev.get("missing", [])
    ]
    said += [
        f"request {r}: every attempt failed, yet a job is queued" for r in ev.get("phantom", [])
    ]
    return Verdict(verdict.checker, verdict.validity, "; ".join(said) or verdict.summary, dict(ev))


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
