"""AGT-2 oracles: which commands one poll delivers, exactly (issue 13).

From the fix's statement: a poll delivers the pending commands that have not
expired (one expiring *at* the poll instant has expired; one a second later
has not), each with its own kind and payload, marks them sent at the poll's
time, and never waits for a command another transaction has locked, even
with a share lock (SKIP LOCKED: it skips it and delivers the rest; the
connection gives up on a lock after 2 s, so waiting shows as an error).
Polling for an unknown agent is refused. Measured on the pre-fix variant: its
plain SELECT decides the same on one poller; its defect (two pollers) is
test_agt2_delivery's.
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

FIX = "AGT-2"
assert expect_checks  # registers agt.step_is / agt.row_is

EDGES = [
    {"kind": "no-expiry"},
    {"kind": "expires-at-instant", "expires_at": T0},
    {"kind": "expires-a-second-later", "expires_at": T0 + timedelta(seconds=1)},
    {"kind": "expired", "expires_at": T0 - timedelta(seconds=1)},
]


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_poll_delivers_exactly(ctx, pg_database_factory) -> None:
    """Unexpired pending commands are delivered with their kind and payload and marked sent
    at the poll's time; expired ones (at the instant too) are not; a command locked by
    another transaction is skipped, not waited for; an unknown agent is refused."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    poll = functools.partial(oracles.poll_here, dsn, FIX, ctx.variant)

    def edges(steps) -> None:
        oracles.seed_commands(dsn, EDGES)
        steps.run("poll", poll, fail_on=(AgtError,))

    def locked(steps) -> None:
        op = functools.partial(oracles.poll_around_locks, dsn, poll)
        steps.run("poll", op, fail_on=(AgtError,))

    def unknown(steps) -> None:
        oracles.seed_commands(dsn, [{"kind": "a"}])
        stranger = str(uuid.UUID(int=7))
        steps.run("poll", functools.partial(poll, stranger), fail_on=(AgtError,))

    sent = {"status": "sent", "sent_at": iso(T0), "retry_count": 0}
    pending = {"status": "pending", "sent_at": None}
    cmd = {"table": "commands"}
    explore_named(
        ctx,
        {"expiry_edges": edges, "locked_command_skipped": locked, "unknown_agent": unknown},
        checks={
            "expiry_edges": [
                Check(
                    "agt.step_is",
                    process="poll",
                    want="ok",
                    value=[
                        ["no-expiry", "no-expiry", 0],
                        ["expires-a-second-later", "expires-a-second-later", 0],
                    ],
                ),
                Check("agt.row_is", **cmd, match={"id": 1}, want=sent),
                Check("agt.row_is", **cmd, match={"id": 2}, want=pending),
                Check("agt.row_is", **cmd, match={"id": 3}, want=sent),
                Check("agt.row_is", **cmd, match={"id": 4}, want=pending),
                Check(
                    "agt.row_is",
                    table="agents",
                    match={"id": oracles.AGENT},
                    want={"last_seen_at": iso(T0)},
                ),
            ],
            "locked_command_skipped": oracles.locked_checks(Check),
            "unknown_agent": [
                Check("agt.step_is", process="poll", want="fail", error_has="UnknownAgent"),
                Check("agt.row_is", **cmd, match={"id": 1}, want=pending),
            ],
        },
        snapshot=lambda: oracles.snapshot(dsn),
    )
