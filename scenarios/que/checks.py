"""The QUE invariants of FIXES.md as registered checkers: pure functions of a case's record.

A record is the case's history (every queue call, recovery steps among them, each
with the request or job it asked for), its snapshots of Redis (``after_fault`` and
``after_recovery`` for faults at points, ``final`` for races and named cases, and any
a case took on its way) and its facts (``meta["facts"]``: ``before``, the state the
case started from; ``want``, the statuses a read must see). A snapshot holds both
stores of the dual write: ``old`` (``ai:jobs:<id>``) and ``new`` (``ai:job:<ws>:<id>``)
hashes, the ``queue`` list, the ``idempotency`` keys. The queue's counters are
recorded by the client that owns them as an ``observed`` op. Expected values come
from FIXES.md, written here; nothing is read from reference_impl. Each checker's
``examples`` are its conformance cases (tests/que/test_checks.py runs them).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from harness.checkers import get_checker, register
from harness.history import NEMESIS, History, Op, OpType
from harness.verdict import Validity, Verdict

Snap = dict[str, Any]
#: Errors raised before any write was tried (bad input, no such job): not dual-write attempts.
NOT_ATTEMPTS = ("InvalidInput", "JobNotFound")
#: The client counts what it observed in one op of this name (its value: ``metrics``, ``logs``).
OBSERVED = "observed"


def _state(history: History, stage: str) -> Snap:
    return history.snapshots[stage]  # a missing snapshot raises: UNKNOWN, never a pass


def _facts(history: History) -> dict[str, Any]:
    return dict(history.meta.get("facts") or {})


def _done(history: History, f: str | None = None, process: str | None = None) -> list[Op]:
    """Completions (ok/fail/info) of the clients' ops, in order."""
    return [
        op
        for op in history
        if op.type is not OpType.INVOKE
        and op.process != NEMESIS
        and (f is None or op.f == f)
        and (process is None or op.process == process)
    ]


def _observed(history: History) -> dict[str, Any]:
    seen = [op.value for op in _done(history, OBSERVED) if op.type is OpType.OK]
    if not seen:
        raise LookupError(f"no {OBSERVED!r} op in the record: the client's counters are unknown")
    return dict(seen[-1])


def request_of(fields: dict[str, str]) -> str | None:
    """Scenarios put the client request id in the job's params, to group jobs by request."""
    try:
        return json.loads(fields.get("params", "{}")).get("request")
    except ValueError:
        return None


def jobs_by_request(snap: Snap) -> dict[str | None, list[str]]:
    """Queued jobs grouped by the request id in their params."""
    out: dict[str | None, list[str]] = {}
    for job_id in snap["queue"]:
        fields = snap["old"].get(job_id)
        if fields is not None:
            out.setdefault(request_of(fields), []).append(job_id)
    return out


def partial_jobs(
    snap: Snap, new_schema: bool = True, old_only: frozenset[str] = frozenset()
) -> list[str]:
    """What makes a job partial (QUE-2): each problem said in one line; empty when every job
    is whole (old hash, new hash when the flag is on, one queue entry, the hashes equal)."""
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
    return problems


# -- conformance examples --------------------------------------------------------------


def conforms(
    name: str, params: dict[str, Any], *, valid: list[Any], invalid: list[Any]
) -> Callable[[Any], Any]:
    """Register checker ``name``; ``params`` are valid on any history, ``valid``/``invalid``
    its conformance examples: history JSON, or (history JSON, extra params)."""

    def example(item: Any, want: str) -> tuple[Any, dict[str, Any], str]:
        history, extra = item if isinstance(item, tuple) else (item, {})
        return history, {**params, **extra}, want

    cases = [example(h, "valid") for h in valid] + [example(h, "invalid") for h in invalid]
    return register(name, example=params, examples=cases)


def _job(job_id: str, request: str = "r1", status: str = "pending") -> dict[str, str]:
    return {"job_id": job_id, "status": status, "params": json.dumps({"request": request})}


def _snap(queue: tuple[str, ...] = (), old: Any = None, new: Any = None) -> Snap:
    return {"queue": list(queue), "old": old or {}, "new": new or {}, "idempotency": {}}


def _hist(ops: list[tuple[str, str, str, Any]], facts: Any = None, **snapshots: Any) -> Any:
    """A history as JSON: (process, type, f, value) per op; an ``error`` for fail/info."""
    return {
        "schema": 1,
        "ops": [
            {"index": i, "process": p, "type": t, "f": f, "value": v}
            | (
                {"error": v if isinstance(v, str) else "ConnectionError"}
                if t in ("fail", "info")
                else {}
            )
            for i, (p, t, f, v) in enumerate(ops)
        ],
        "snapshots": snapshots,
        "meta": {"facts": facts or {}},
    }


_WHOLE = _snap(("j1",), {"j1": _job("j1")}, {"ws-1:j1": _job("j1")})
_HALF = _snap((), {"j1": _job("j1")}, {"ws-1:j1": _job("j1")})
_OLD_ONLY = _snap(("j1",), {"j1": _job("j1")})
_J1_OLD = {"old_only": ["j1"]}
_WANT_DONE = {"want": {"j1": "done"}}
_TWICE = _snap(
    ("j1", "j2"),
    {"j1": _job("j1"), "j2": _job("j2")},
    {"ws-1:j1": _job("j1"), "ws-1:j2": _job("j2")},
)


def _counted(metrics: dict[str, int]) -> tuple[str, str, str, Any]:
    return ("c", "ok", OBSERVED, {"metrics": metrics})


def _enq(process: str, type_: str, request: str = "r1") -> list[tuple[str, str, str, Any]]:
    value: Any = {"job_id": "x", "request": request}
    done: Any = {"created": True} if type_ == "ok" else "ConnectionError: cut"
    if type_ == "fail":
        done = "ResponseError: WRONGTYPE"
    return [(process, "invoke", "enqueue", value), (process, type_, "enqueue", done)]


@conforms(
    "que.no_partial_job",
    {"stage": "final"},
    valid=[
        _hist([], final=_WHOLE),
        _hist([], final=_snap()),
        (_hist([], final=_OLD_ONLY), _J1_OLD),
    ],
    invalid=[
        _hist([], final=_HALF),
        _hist([], final=_OLD_ONLY),
        _hist([], final=_snap(("j1",), {"j1": _job("j1", status="done")}, _WHOLE["new"])),
    ],
)
def no_partial_job(
    history: History,
    *,
    stage: str = "after_fault",
    new_schema: bool = True,
    old_only: tuple[str, ...] = (),
) -> Verdict:
    """QUE-2: every job is whole (old hash, new hash, one queue entry, hashes equal) or absent;
    ``old_only``: jobs enqueued before the flag flipped, whole without a new hash."""
    state = _state(history, stage)
    problems = partial_jobs(state, new_schema, frozenset(old_only))
    if problems:
        return Verdict.violated(
            "que.no_partial_job", f"{stage}: {problems[0]}", problems=problems, state=state
        )
    return Verdict.ok("que.no_partial_job", f"{stage}: {len(state['old'])} job(s), all whole")


@conforms(
    "que.exactly_once",
    {"stage": "final"},
    valid=[
        _hist(_enq("a", "ok"), final=_WHOLE),
        _hist(_enq("a", "info"), final=_snap()),
        _hist(_enq("a", "info"), final=_WHOLE),
    ],
    invalid=[
        _hist(_enq("a", "ok"), final=_snap()),
        _hist(_enq("a", "ok") + _enq("b", "ok"), final=_TWICE),
        _hist(_enq("a", "fail"), final=_WHOLE),
    ],
)
def exactly_once(history: History, *, stage: str = "after_recovery", f: str = "enqueue") -> Verdict:
    """QUE-1, judged by the harness's ``idempotent`` checker on the jobs queued at ``stage``: an
    acknowledged request has exactly one job, one whose every attempt certainly failed has
    none, one of unknown outcome at most one."""
    state = _state(history, stage)
    grouped = jobs_by_request(state)
    rows = [{"job_id": j, "request": r} for r, jobs in grouped.items() for j in jobs]
    seen = history.upto(stage)
    derived = History(ops=list(seen), snapshots={"queued_jobs": {"jobs": rows}}, meta=seen.meta)
    verdict = get_checker("idempotent")(
        derived, f=f, key="request", table="jobs", column="request", snapshot="queued_jobs"
    )
    if verdict.validity is not Validity.INVALID:
        return Verdict(
            "que.exactly_once", verdict.validity, verdict.summary, dict(verdict.evidence)
        )
    # The same verdict, said in the queue's words, naming the requests and their jobs.
    ev = verdict.evidence
    by_request = {str(r): jobs for r, jobs in grouped.items()}
    said = [
        f"request {r}: {n} jobs queued {by_request.get(r, [])}"
        for r, n in ev.get("duplicated", {}).items()
    ]
    said += [f"request {r}: a successful response, yet no job queued" for r in ev["missing"]]
    said += [f"request {r}: every attempt failed, yet a job is queued" for r in ev["phantom"]]
    return Verdict(
        "que.exactly_once",
        verdict.validity,
        f"{stage}: " + ("; ".join(said) or verdict.summary),
        {**dict(ev), "queued_jobs": rows},
    )


@conforms(
    "que.returned",
    {"process": "retry"},
    valid=[_hist(_enq("retry", "ok"))],
    invalid=[_hist(_enq("retry", "info")), _hist([])],
)
def returned(history: History, *, process: str, f: str = "enqueue") -> Verdict:
    """The last ``f`` call of ``process`` (a retry, a duplicate) returned."""
    done = _done(history, f, process)
    if done and done[-1].type is OpType.OK:
        return Verdict.ok("que.returned", f"{process}: {f} returned")
    last = done[-1] if done else None
    return Verdict.violated(
        "que.returned",
        f"{process}: {f} did not return: {last.error if last else 'never completed'}",
        op=last.to_json() if last else None,
    )


def _update_parts(
    history: History, stage: str, status: str, job: str, fault_on: str | None
) -> tuple[str, list[str]]:
    before, after = _facts(history)["before"], _state(history, stage)
    done = _done(history, "update_status")
    if not done:
        raise LookupError("no completed update_status op in the record")
    update = done[-1]
    raised = update.type is not OpType.OK
    old_changed = after["old"].get(job, {}).get("status") == status
    if fault_on is None:  # a link fault: which write failed is read from the state
        fault_on = "new" if (raised and old_changed) else ("old" if raised else "none")
    observed = _observed(history)
    counts, logs = observed.get("metrics", {}), observed.get("logs", [])
    problems: list[str] = []
    if fault_on in ("old", "new") and not raised:
        problems.append(f"a failed {fault_on}-schema write, yet the update returned")
    if fault_on == "old" and after["new"] != before["new"]:
        problems.append("the old-schema write failed, yet the new-schema hash changed")
    if fault_on == "new":
        if not logs:
            problems.append("a failed new-schema write, yet no ERROR was logged")
        failures = counts.get("update_status/failed", 0) + counts.get("update_status/unknown", 0)
        # At a ".start" point the fault hit the old write itself (applied, reply lost): an
        # old-schema failure to the client, which FIXES does not ask to count.
        at_start = str(history.meta.get("point") or "").endswith(".start")
        if failures != 1 and not at_start:
            problems.append(f"{failures} failed dual write(s) counted, not 1 ({counts})")
    if fault_on == "none":
        if raised:
            problems.append(f"no write failed, yet the update raised {update.error}")
        if not old_changed:
            problems.append(f"the old-schema status is not {status}")
        new_before = {f.get("job_id") for f in before["new"].values()}
        new_after = {f.get("job_id"): f for f in after["new"].values()}
        if (job in new_before) != (job in new_after):
            problems.append(
                f"the new-schema hash {'vanished' if job in new_before else 'was created'}"
            )
        elif job in new_after and new_after[job].get("status") != status:
            problems.append(
                f"the new-schema status is {new_after[job].get('status')}, not {status}"
            )
    return fault_on, problems


_BEFORE = _snap(("job-1",), {"job-1": _job("job-1")}, {"ws-1:job-1": _job("job-1")})
_AFTER = _snap(
    ("job-1",),
    {"job-1": _job("job-1", status="completed")},
    {"ws-1:job-1": _job("job-1", status="completed")},
)
_NEW_FAILED = [
    ("client", "invoke", "update_status", {"job_id": "job-1"}),
    ("client", "fail", "update_status", "ResponseError: WRONGTYPE"),
]
_UPDATED = [
    ("client", "invoke", "update_status", {"job_id": "job-1"}),
    ("client", "ok", "update_status", None),
]
_OBS_COUNTED = ("client", "ok", OBSERVED, {"metrics": {"update_status/failed": 1}, "logs": ["x"]})
_OBS_NONE = ("client", "ok", OBSERVED, {"metrics": {}, "logs": []})
_HALF_DONE = _snap(("job-1",), {"job-1": _job("job-1", status="completed")}, _BEFORE["new"])


@conforms(
    "que.status_update",
    {"stage": "final"},
    valid=[
        _hist([*_UPDATED, _OBS_NONE], facts={"before": _BEFORE}, final=_AFTER),
        _hist([*_NEW_FAILED, _OBS_COUNTED], facts={"before": _BEFORE}, final=_HALF_DONE),
    ],
    invalid=[
        _hist([*_NEW_FAILED, _OBS_NONE], facts={"before": _BEFORE}, final=_HALF_DONE),
        (
            _hist([*_UPDATED, _OBS_NONE], facts={"before": _BEFORE}, final=_HALF_DONE),
            {"fault_on": "new"},
        ),
    ],
)
def status_update(
    history: History,
    *,
    stage: str = "after_fault",
    status: str = "completed",
    job: str = "job-1",
    fault_on: str | None = None,
) -> Verdict:
    """QUE-3: an old-schema failure raises (new hash untouched); a new-schema failure raises,
    is logged and counted once; with no failure the old status is set and the new hash is
    updated if, and only if, it existed. ``fault_on`` (old/new/none): which write the case
    broke; None: read it from the state (old status set and the call raised: the new write)."""
    which, problems = _update_parts(history, stage, status, job, fault_on)
    if problems:
        return Verdict.violated(
            "que.status_update",
            f"{which}-schema fault: {problems[0]}",
            fault_on=which,
            problems=problems,
            observed=_observed(history),
        )
    return Verdict.ok("que.status_update", f"{which}-schema fault: the behaviour FIXES asks for")


@conforms(
    "que.schemas_agree",
    {"stage": "final"},
    valid=[_hist([], final=_AFTER)],
    invalid=[_hist([], final=_HALF_DONE)],
)
def schemas_agree(history: History, *, stage: str = "after_fault") -> Verdict:
    """Where both hashes of a job exist they are equal: a failed update must not leave the two
    schemas diverged (a read, new key first, and the old schema never disagree)."""
    state = _state(history, stage)
    new_by_job = {f.get("job_id"): f for f in state["new"].values()}
    diverged = {
        job_id: {"old": old.get("status"), "new": new_by_job[job_id].get("status")}
        for job_id, old in state["old"].items()
        if job_id in new_by_job and new_by_job[job_id] != old
    }
    if not diverged:
        return Verdict.ok("que.schemas_agree", f"{stage}: old and new hashes agree")
    said = f"{stage}: old and new hashes differ for {sorted(diverged)}"
    return Verdict.violated("que.schemas_agree", said, diverged=diverged)


_REFUSED = [
    ("client", "invoke", "enqueue", {"workspace_id": ""}),
    ("client", "fail", "enqueue", "InvalidInput: workspace_id must be a non-empty string"),
]


@conforms(
    "que.refused",
    {"f": "enqueue"},
    valid=[_hist(_REFUSED)],
    invalid=[_hist(_enq("client", "ok")), _hist(_enq("client", "fail"))],
)
def refused(history: History, *, f: str, naming: str = "workspace_id") -> Verdict:
    """QUE-4: the call was refused (a certain failure) with an error naming ``naming``."""
    done = _done(history, f)
    last = done[-1] if done else None
    if last is not None and last.type is OpType.FAIL and naming in (last.error or ""):
        return Verdict.ok("que.refused", f"{f} refused: {last.error}")
    got = "never completed" if last is None else f"{last.type.value} {last.error or last.value!r}"
    return Verdict.violated("que.refused", f"{f}: no clear error naming {naming}: {got}")


@conforms(
    "que.nothing_written",
    {"stage": "final"},
    valid=[_hist([], facts={"before": _BEFORE}, final=_BEFORE)],
    invalid=[_hist([], facts={"before": _BEFORE}, final=_AFTER)],
)
def nothing_written(history: History, *, stage: str = "final") -> Verdict:
    """The stores at ``stage`` are exactly as the case found them (fact ``before``)."""
    before, after = _facts(history)["before"], _state(history, stage)
    if after == before:
        return Verdict.ok("que.nothing_written", f"{stage}: nothing written")
    return Verdict.violated(
        "que.nothing_written", f"{stage}: the stores changed", before=before, after=after
    )


def _reads(history: History) -> list[tuple[Any, Op]]:
    """(job id asked for, its completion) of every read."""
    asked: dict[str, list[Any]] = {}
    out = []
    for op in history:
        if op.f != "get_job" or op.process == NEMESIS:
            continue
        if op.type is OpType.INVOKE:
            asked.setdefault(op.process, []).append((op.value or {}).get("job_id"))
        elif asked.get(op.process):
            out.append((asked[op.process].pop(0), op))
    return out


def _read(process: str, job: str, type_: str, got: Any) -> list[tuple[str, str, str, Any]]:
    return [(process, "invoke", "get_job", {"job_id": job}), (process, type_, "get_job", got)]


@conforms(
    "que.read_found",
    {},
    valid=[_hist(_read("r", "j1", "ok", _job("j1", status="done")), facts=_WANT_DONE)],
    invalid=[_hist(_read("r", "j1", "ok", None), facts=_WANT_DONE), _hist([], facts=_WANT_DONE)],
)
def read_found(history: History) -> Verdict:
    """QUE-5: every job of fact ``want`` was read, found, with the status ``want`` gives it."""
    want: dict[str, str] = _facts(history).get("want", {})
    read = {job: _read_as(job, op) for job, op in _reads(history)}
    wrong = {job: read.get(job, "never read") for job in want if read.get(job) != want[job]}
    if not wrong:
        return Verdict.ok("que.read_found", f"{len(want)} job(s) found with their latest status")
    job = next(iter(wrong))
    return Verdict.violated(
        "que.read_found", f"{job}: want status {want[job]}, read {wrong[job]}", wrong=wrong
    )


def _read_as(job: str, op: Op) -> str:
    """The status a read saw, or what it got instead."""
    got = op.value if op.type is OpType.OK else None
    if isinstance(got, dict) and got.get("job_id") == job:
        return str(got.get("status"))
    return f"{op.type.value} {op.error or got!r}"


@conforms(
    "que.read_never_absent",
    {},
    valid=[
        _hist(_read("r", "j1", "info", "ConnectionError: cut")),
        _hist(_read("r", "j1", "ok", _job("j1"))),
    ],
    invalid=[_hist(_read("r", "j1", "ok", None))],
)
def read_never_absent(history: History) -> Verdict:
    """A read that could not reach the stores raises: it never answers "no such job"."""
    bad = [
        job
        for job, op in _reads(history)
        if op.type is OpType.OK
        and not (isinstance(op.value, dict) and op.value.get("job_id") == job)
    ]
    if bad:
        return Verdict.violated("que.read_never_absent", f"{bad} read as absent", jobs=bad)
    return Verdict.ok("que.read_never_absent", "every read gave an error or the job")


def _expected_counts(history: History) -> tuple[Counter[str], Counter[str]]:
    """(certain, uncertain): ``certain`` counts ``<op>/succeeded`` and ``<op>/failed``;
    ``uncertain`` counts link failures, which a queue may count as failed or unknown."""
    certain: Counter[str] = Counter()
    uncertain: Counter[str] = Counter()
    for op in _done(history):
        if op.f not in ("enqueue", "update_status"):
            continue
        if op.type is OpType.OK:
            created = op.value.get("created", True) if isinstance(op.value, dict) else True
            if created:
                certain[f"{op.f}/succeeded"] += 1
        elif op.type is OpType.FAIL:
            if not (op.error or "").startswith(NOT_ATTEMPTS):
                certain[f"{op.f}/failed"] += 1
        else:
            uncertain[op.f] += 1
    return certain, uncertain


@conforms(
    "que.metric_counts",
    {},
    valid=[
        _hist([*_enq("c", "ok"), _counted({"enqueue/succeeded": 1})]),
        _hist([*_enq("c", "info"), _counted({"enqueue/unknown": 1})]),
    ],
    invalid=[
        _hist([*_enq("c", "info"), _counted({"enqueue/succeeded": 1})]),
        _hist(_enq("c", "ok")),
    ],
)
def metric_counts(history: History) -> Verdict:
    """QUE-6: every dual-write attempt counted once, by its outcome: succeeded if it returned,
    failed if refused, failed or unknown if the link failed (bad input is no attempt)."""
    try:
        counts: dict[str, int] = _observed(history)["metrics"]
    except LookupError as exc:
        return Verdict.violated("que.metric_counts", str(exc))
    certain, uncertain = _expected_counts(history)
    problems: list[str] = []
    for op in ("enqueue", "update_status"):
        got_ok, want_ok = counts.get(f"{op}/succeeded", 0), certain[f"{op}/succeeded"]
        if got_ok != want_ok:
            problems.append(f"{op}/succeeded counted {got_ok}, caused {want_ok}")
        failed = counts.get(f"{op}/failed", 0)
        got_bad = failed + counts.get(f"{op}/unknown", 0)
        want_bad = certain[f"{op}/failed"] + uncertain[op]
        if got_bad != want_bad or failed < certain[f"{op}/failed"]:
            problems.append(
                f"{op}: failed+unknown counted {got_bad} (failed {failed}), "
                f"caused {certain[f'{op}/failed']} refused + {uncertain[op]} link failures"
            )
    evidence = {"counted": counts, "caused": dict(certain), "link_failures": dict(uncertain)}
    if problems:
        return Verdict.violated("que.metric_counts", problems[0], problems=problems, **evidence)
    return Verdict.ok(
        "que.metric_counts", "every dual-write attempt counted once, by its outcome", **evidence
    )


@conforms(
    "que.succeeded_matches_state",
    {"stage": "final"},
    valid=[_hist([_counted({"enqueue/succeeded": 1})], final=_WHOLE)],
    invalid=[_hist([_counted({"enqueue/succeeded": 2})], final=_WHOLE)],
)
def succeeded_matches_state(history: History, *, stage: str = "after_enqueues") -> Verdict:
    """QUE-6: ``enqueue/succeeded`` equals the complete jobs (old hash, new hash, queued) at
    ``stage``."""
    state = _state(history, stage)
    counted = _observed(history).get("metrics", {}).get("enqueue/succeeded", 0)
    new_jobs = {f.get("job_id") for f in state["new"].values()}
    complete = len({j for j in state["queue"] if j in state["old"] and j in new_jobs})
    if counted == complete:
        return Verdict.ok(
            "que.succeeded_matches_state",
            f"enqueue/succeeded {counted} = {complete} complete job(s)",
        )
    return Verdict.violated(
        "que.succeeded_matches_state",
        f"enqueue/succeeded counted {counted}, yet {complete} complete job(s) queued",
        counted=counted,
        queued=complete,
    )


_HELD = {"violated": None, "examples": 10, "steps": 10}


@conforms(
    "que.model_held",
    {},
    valid=[_hist([("model", "invoke", "model", None), ("model", "ok", "model", _HELD)])],
    invalid=[
        _hist(
            [
                ("model", "invoke", "model", None),
                ("model", "ok", "model", {**_HELD, "violated": "request r1: 2 jobs queued"}),
            ]
        )
    ],
)
def model_held(history: History) -> Verdict:
    """QUE-1/2/3/5 against a model: every program the ``model`` step ran matched it."""
    done = _done(history, "model")
    if not done or done[-1].type is not OpType.OK:
        raise LookupError(f"the model did not run to the end: {done[-1].error if done else None}")
    found = dict(done[-1].value)
    if found["violated"] is None:
        said = f"{found['examples']} programs of up to {found['steps']} steps matched the model"
        return Verdict.ok("que.model_held", said, log_tail=found.get("log_tail", [])[-10:])
    return Verdict.violated("que.model_held", f"model violated: {found['violated']}", **found)
