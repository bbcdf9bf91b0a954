"""AGT-3 oracles: which stuck commands one poll re-delivers, fails or leaves (issue 13).

From the fix's statement (FIXES.md AGT-3: at most 1 + 5 deliveries) and the
lease this deployment uses (5 minutes): a command sent exactly one lease ago is
stuck and re-delivered with its counter raised by one; one sent a second later
is still within its lease and left alone; a stuck command that has used its
5 re-deliveries is marked failed and not delivered, one with 4 is delivered a
5th time; a stuck command that has expired (at the instant too) is not
re-delivered; a command within its lease is never failed, whatever its count.
Commands another transaction has locked (pending, stuck, exhausted) are skipped,
never waited for; an unknown agent is refused.
The pre-fix variant never raises the counter: caught by the counter checks.
"""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt.errors import AgtError
from scenarios.agt import agtdb, expect_checks, oracles
from scenarios.agt.oracles import T0, iso

FIX = "AGT-3"
RETRY_LIMIT = 5  # FIXES.md AGT-3
LEASE = timedelta(minutes=5)  # the deployment's lease (reference_impl default, restated)
STALE = T0 - LEASE
assert expect_checks  # registers agt.step_is / agt.row_is

ROWS = [
    {"kind": "stuck-at-lease", "status": "sent", "sent_at": STALE},
    {"kind": "within-lease", "status": "sent", "sent_at": STALE + timedelta(seconds=1)},
    {"kind": "fifth-retry", "status": "sent", "sent_at": STALE, "retry_count": RETRY_LIMIT - 1},
    {"kind": "exhausted", "status": "sent", "sent_at": STALE, "retry_count": RETRY_LIMIT},
    {
        "kind": "exhausted-in-lease",
        "status": "sent",
        "sent_at": STALE + timedelta(seconds=1),
        "retry_count": RETRY_LIMIT,
    },
    {"kind": "stuck-expiring-now", "status": "sent", "sent_at": STALE, "expires_at": T0},
    {
        "kind": "stuck-expiring-later",
        "status": "sent",
        "sent_at": STALE,
        "expires_at": T0 + timedelta(seconds=1),
    },
]


@scenario(FIX, variants=("prefix", "fixed"))
def test_redelivery_decides_exactly(ctx, pg_database_factory) -> None:
    """Stuck at exactly one lease: re-delivered, counter + 1; within the lease: left; 4 retries
    used: a 5th; 5 used: failed, not delivered; expired at the instant: not re-delivered."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def one_poll(steps) -> None:
        oracles.seed_commands(dsn, ROWS)
        poll = functools.partial(oracles.poll_here, dsn, FIX, ctx.variant)
        steps.run("poll", poll, fail_on=(AgtError,))

    cmd = {"table": "commands"}
    redelivered = {"status": "sent", "sent_at": iso(T0)}
    checks = [
        Check(
            "agt.step_is",
            process="poll",
            want="ok",
            value=[
                ["stuck-at-lease", "stuck-at-lease", 1],
                ["fifth-retry", "fifth-retry", RETRY_LIMIT],
                ["stuck-expiring-later", "stuck-expiring-later", 1],
            ],
        ),
        Check("agt.row_is", **cmd, match={"id": 1}, want={**redelivered, "retry_count": 1}),
        Check(
            "agt.row_is",
            **cmd,
            match={"id": 2},
            want={"status": "sent", "sent_at": iso(STALE + timedelta(seconds=1)), "retry_count": 0},
        ),
        Check(
            "agt.row_is", **cmd, match={"id": 3}, want={**redelivered, "retry_count": RETRY_LIMIT}
        ),
        Check(
            "agt.row_is",
            **cmd,
            match={"id": 4},
            want={"status": "failed", "sent_at": iso(STALE), "retry_count": RETRY_LIMIT},
        ),
        Check(
            "agt.row_is",
            **cmd,
            match={"id": 5},
            want={"status": "sent", "retry_count": RETRY_LIMIT},
        ),
        Check("agt.row_is", **cmd, match={"id": 6}, want={"status": "sent", "sent_at": iso(STALE)}),
        Check("agt.row_is", **cmd, match={"id": 7}, want={**redelivered, "retry_count": 1}),
    ]
    poll = functools.partial(oracles.poll_here, dsn, FIX, ctx.variant)

    def locked(steps) -> None:
        op = functools.partial(oracles.poll_around_locks, dsn, poll)
        steps.run("poll", op, fail_on=(AgtError,))

    def unknown(steps) -> None:
        oracles.seed_commands(dsn, [{"kind": "a", "status": "sent", "sent_at": STALE}])
        steps.run("poll", functools.partial(poll, str(uuid.UUID(int=9))), fail_on=(AgtError,))

    explore_named(
        ctx,
        {"one_poll": one_poll, "locked_commands_skipped": locked, "unknown_agent": unknown},
        checks={
            "one_poll": checks,
            "locked_commands_skipped": oracles.locked_checks(Check),
            "unknown_agent": [
                Check("agt.step_is", process="poll", want="fail", error_has="UnknownAgent"),
                Check("agt.row_is", **cmd, match={"id": 1}, want={"retry_count": 0}),
            ],
        },
        snapshot=lambda: oracles.snapshot(dsn),
    )
