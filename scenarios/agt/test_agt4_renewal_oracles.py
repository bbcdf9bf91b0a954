"""AGT-4 oracles: what a renewal must do, exactly, on both sides of each boundary (issue 13).

The fault and race scenarios prove renewal is atomic; these pin down what it
decides. Expected values come from the deployment this scenario chooses
(refresh lifetime 7 days, access lifetime 10 minutes) and the fix's
statement, never from reference_impl: a token expiring *at* the renewal
instant is refused, one second later is renewed; a renewal extends the token
to now + its lifetime (the row, not only the reply), marks the agent seen,
and mints an access token expiring in the future; a revoked token, another
agent's token, an unknown or malformed one are refused, each with its own
error, and nothing is written. Measured on the pre-fix variant: it decides
the same way; its defect (the race) is test_agt4_renewal's.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import Any

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import renew, tokens
from reference_impl.agt.errors import AgtError
from scenarios.agt import agtdb, expect_checks, oracles
from scenarios.agt.oracles import iso

FIX = "AGT-4"
T0, REFRESH_TTL, ACCESS_TTL = oracles.T0, oracles.REFRESH_TTL, oracles.ACCESS_TTL
AGENT = "00000000-0000-4000-8000-0000000000a4"
OTHER = "00000000-0000-4000-8000-0000000000b4"
TOKEN = "agtref_" + "K" * 43
assert expect_checks  # registers agt.step_is / agt.row_is


def _seed(dsn: str, expires_at: datetime, revoked: bool = False) -> None:
    with agtdb.connect(dsn) as conn:
        conn.execute("DELETE FROM refresh_tokens; DELETE FROM agents")
        for agent in (AGENT, OTHER):
            conn.execute(
                "INSERT INTO agents (id, hostname, created_at) VALUES (%s, 'h', %s)",
                (uuid.UUID(agent), T0 - timedelta(days=1)),
            )
        conn.execute(
            "INSERT INTO refresh_tokens (agent_id, token_hash, created_at, expires_at, revoked_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (
                uuid.UUID(AGENT),
                tokens.token_hash(TOKEN),
                T0 - timedelta(days=1),
                expires_at,
                T0 - timedelta(hours=1) if revoked else None,
            ),
        )


def _renew_here(dsn: str, variant: str, agent: str, token: str) -> dict[str, Any]:
    dep = oracles.deployment(FIX, variant)
    with agtdb.connect(dsn) as conn:
        out = renew(conn, dep, agent, token)
    claims = tokens.verify_access_token(agtdb.SIGNING_KEY, out.access_token, T0)
    return {
        "refresh_expires_at": iso(out.refresh_expires_at),
        "access_expires_at": iso(out.access_expires_at),
        "access_agent": claims.agent_id,
    }


UNCHANGED = {"expires_at": iso(T0 + timedelta(days=30)), "last_used_at": None}


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_renewal_decides_exactly(ctx, pg_database_factory) -> None:
    """A renewal extends to now + lifetime and marks the agent seen; a token expiring at the
    renewal instant, revoked, another agent's, unknown or malformed is refused with its own
    error and nothing written; one second before expiry it is renewed."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    renew_as = functools.partial(_renew_here, dsn, ctx.variant)

    def step(agent: str, token: str, expires_at: datetime, revoked: bool = False):
        def run(steps) -> None:
            _seed(dsn, expires_at, revoked)
            steps.run("renew", functools.partial(renew_as, agent, token), fail_on=(AgtError,))

        return run

    later = T0 + timedelta(days=30)
    cases = {
        "renews": step(AGENT, TOKEN, later),
        "expires_one_second_later": step(AGENT, TOKEN, T0 + timedelta(seconds=1)),
        "expires_at_the_instant": step(AGENT, TOKEN, T0),
        "revoked": step(AGENT, TOKEN, later, revoked=True),
        "other_agents_token": step(OTHER, TOKEN, later),
        "unknown_token": step(AGENT, "agtref_" + "U" * 43, later),
        "malformed_token": step(AGENT, "agtref_short", later),
    }
    extended = {
        "expires_at": iso(T0 + REFRESH_TTL),
        "last_used_at": iso(T0),
        "revoked_at": None,
    }
    reply = {
        "refresh_expires_at": iso(T0 + REFRESH_TTL),
        "access_expires_at": iso(T0 + ACCESS_TTL),
        "access_agent": AGENT,
    }
    token_row = {"table": "refresh_tokens", "match": {"agent_id": AGENT}}
    seen = {"table": "agents", "match": {"id": AGENT}, "want": {"last_seen_at": iso(T0)}}
    not_seen = {**seen, "want": {"last_seen_at": None}}

    def refused(error: str, row: dict[str, Any]) -> list[Check]:
        return [
            Check("agt.step_is", process="renew", want="fail", error_has=error),
            Check("agt.row_is", **token_row, want=row),
            Check("agt.row_is", **not_seen),
        ]

    checks = {
        "renews": [
            Check("agt.step_is", process="renew", want="ok", value=reply),
            Check("agt.row_is", **token_row, want=extended),
            Check("agt.row_is", **seen),
        ],
        "expires_one_second_later": [
            Check("agt.step_is", process="renew", want="ok", value=reply),
            Check("agt.row_is", **token_row, want=extended),
        ],
        "expires_at_the_instant": refused(
            "TokenExpired", {"expires_at": iso(T0), "last_used_at": None}
        ),
        "revoked": refused("InvalidToken: refresh token revoked", UNCHANGED),
        "other_agents_token": refused("InvalidToken: refresh token unknown", UNCHANGED),
        "unknown_token": refused("InvalidToken: refresh token unknown", UNCHANGED),
        "malformed_token": refused("InvalidArgument", UNCHANGED),
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(dsn))
