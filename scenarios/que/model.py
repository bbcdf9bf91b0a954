"""A model-based (Hypothesis stateful) test of the queue: enqueue, status update and read
against a simple model, with real faults placed at the queue's crash points.

The model keeps what a client can know: which request maps to which job
(certain after a successful response, *possible* after an unknown outcome),
and the statuses each job may have. After every step the real Redis state is
checked against it: no partial job, at most one job per request, exactly one
for an acknowledged request, statuses the model allows, old and new hashes equal.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from harness.crash import at_points
from reference_impl.que import EnqueueResult, JobQueue
from scenarios.que.calls import FAIL_ON, JOB
from scenarios.que.checks import jobs_by_request, partial_jobs
from scenarios.que.clients import build_queue, connect
from scenarios.que.store import snapshot

REQUESTS = ("r1", "r2", "r3")
STATUSES = ("running", "completed", "failed")
#: ``none`` twice: most steps run without a fault, so faults land on varied states.
FAULTS = ("none", "none", "cut", "lost_reply", "restart")


class Faults:
    """What the machine can do at a crash point, bound by the scenario to real faults.

    ``actions``: fault kind -> what to do at the point (cut the link, drop its
    replies, SIGKILL the server). ``heal`` runs after the call: restore the link,
    restart the server if it is down.
    """

    def __init__(self, actions: dict[str, Callable[[], None]], heal: Callable[[], None]) -> None:
        self.actions = actions
        self.heal = heal

    def action(self, kind: str) -> Callable[[], None] | None:
        return self.actions.get(kind)


@dataclass
class Env:
    """Where the machine runs: set on the class by ``machine_for`` before a run."""

    variant: str
    via: tuple[str, int]  # through the proxy
    direct: tuple[str, int]  # straight to Redis, for the checks
    faults: Faults
    points: dict[str, list[str]]  # operation -> its crash points, discovered
    fault_kinds: tuple[str, ...] = FAULTS
    log: list[str] = field(default_factory=list)


class QueueMachine(RuleBasedStateMachine):
    env: Env

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.admin = connect(*env.direct, timeout_s=5.0)
        self.admin.flushdb()
        self.client = connect(*env.via)
        self.queues = {
            flag: build_queue(env.variant, self.client, new_schema=flag) for flag in (False, True)
        }
        self.ids = itertools.count(1)
        self.by_request: dict[str, str] = {}  # certain: a successful response said so
        self.maybe: dict[str, set[str]] = {}  # request -> jobs an unknown outcome may have made
        self.acked: set[str] = set()
        self.statuses: dict[str, set[str]] = {}  # job -> statuses it may have
        self.old_only: set[str] = set()

    def teardown(self) -> None:
        self.env.faults.heal()
        self.client.close()
        self.admin.close()

    # -- running one call under a fault --------------------------------------

    def _call(
        self, operation: str, fault_index: int, point_index: int, fn: Callable[[], Any]
    ) -> Any:
        # Indexes, not names, in the strategies: the same drawn program runs on any
        # variant and any set of fault kinds (shrinking moves toward index 0, "none").
        kinds = self.env.fault_kinds
        fault = kinds[fault_index % len(kinds)]
        points = self.env.points[operation]
        point = points[point_index % len(points)]
        action = self.env.faults.action(fault)
        actions = {point: action} if action is not None else {}
        try:
            with at_points(actions):
                out: Any = fn()
        except FAIL_ON as exc:  # refused: certainly not done
            out = ("fail", exc)
        except Exception as exc:  # a link error or anything else: the outcome is unknown
            out = ("info", exc)
        finally:
            self.env.faults.heal()
            self.client.connection_pool.disconnect()
        self.env.log.append(f"{operation} fault={fault}@{point} -> {_short(out)}")
        return out

    # -- rules ----------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        self.env.log.append("-- new example --")

    @rule(
        request=st.sampled_from(REQUESTS),
        new_schema=st.booleans(),
        fault=st.integers(0, 99),
        point=st.integers(0, 7),
    )
    def enqueue(self, request: str, new_schema: bool, fault: int, point: int) -> None:
        job_id = f"job-{next(self.ids)}"
        queue: JobQueue = self.queues[new_schema]
        out = self._call(
            "enqueue",
            fault,
            point,
            lambda: queue.enqueue(
                job_id=job_id,
                params={"request": request},
                workspace_id="ws-1",
                client_request_id=request,
                **JOB,
            ),
        )
        if not new_schema:
            self.old_only.add(job_id)
        if isinstance(out, EnqueueResult):
            self.acked.add(request)
            if out.created:
                known = self.by_request.get(request)
                assert known is None, (
                    f"request {request} was already queued as {known}, yet {job_id} was created"
                )
                self.by_request[request] = job_id
                self.statuses[job_id] = {"pending"}
                self.maybe.pop(request, None)
            elif request in self.maybe and out.job_id in self.maybe[request]:
                # A duplicate answer resolves an earlier unknown outcome.
                self.by_request[request] = out.job_id
                self.statuses[out.job_id] = {"pending"}
                self.maybe.pop(request)
        elif out[0] == "info" and request not in self.by_request:
            self.maybe.setdefault(request, set()).add(job_id)

    @precondition(lambda self: bool(self.by_request))
    @rule(
        data=st.data(),
        status=st.sampled_from(STATUSES),
        fault=st.integers(0, 99),
        point=st.integers(0, 7),
    )
    def update_status(self, data: st.DataObject, status: str, fault: int, point: int) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.by_request.values())), label="job")
        queue = self.queues[True]
        out = self._call(
            "update_status",
            fault,
            point,
            lambda: queue.update_status(job_id, status, workspace_id="ws-1"),
        )
        if out is None:
            self.statuses[job_id] = {status}
        elif out[0] == "info":
            self.statuses[job_id].add(status)

    @precondition(lambda self: bool(self.by_request))
    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.by_request.values())), label="job")
        got = self.queues[True].get_job(job_id, workspace_id="ws-1")
        assert got is not None, f"{job_id} was acknowledged, yet the read found nothing"
        assert got["status"] in self.statuses[job_id], (
            f"{job_id} read as {got['status']}, the model allows {sorted(self.statuses[job_id])}"
        )

    # -- invariants -------------------------------------------------------------

    @invariant()
    def state_matches_model(self) -> None:
        snap = snapshot(self.admin)
        problems = partial_jobs(snap, new_schema=True, old_only=frozenset(self.old_only))
        assert not problems, problems[0]
        grouped = jobs_by_request(snap)
        for request in REQUESTS:
            jobs = grouped.get(request, [])
            assert len(jobs) <= 1, f"request {request}: {len(jobs)} jobs queued {jobs}"
            if request in self.acked:
                assert jobs, f"request {request} was acknowledged, yet no job is queued"
            known = self.by_request.get(request)
            if known is not None:
                assert jobs == [known], f"request {request} is {known}, Redis has {jobs}"
        for job_id, allowed in self.statuses.items():
            status = snap["old"].get(job_id, {}).get("status")
            assert status in allowed, (
                f"{job_id} has status {status}, model allows {sorted(allowed)}"
            )


def _short(out: Any) -> str:
    if isinstance(out, tuple):
        return f"{out[0]} {type(out[1]).__name__}"
    return repr(out)
