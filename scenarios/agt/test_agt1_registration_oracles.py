"""AGT-1 oracles: what a registration must decide, exactly, on both sides of each boundary.

The fault and race scenarios prove registration is all-or-nothing; these pin
down its decisions (issue 13). Expected values come from the deployment this
scenario chooses (refresh lifetime 7 days) and the fix's statement: a fresh
token registers an agent (not a recovery), consumes the token for that agent
and gives it a refresh token valid until now + 7 days; a token expiring *at*
the registration instant is refused as expired, one second later it is
accepted; an unknown or already used token is refused with its own error; a
malformed token, secret or hostname is refused before anything is written.
Measured on the pre-fix variant: it decides the same way; its defect (a
crash between its statements) is test_agt1_registration's.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import register, tokens
from reference_impl.agt.errors import AgtError
from scenarios.agt import agtdb, expect_checks, oracles
from scenarios.agt.oracles import T0, iso

FIX = "AGT-1"
REG = "agtreg_" + "G" * 43
SECRET = "agtsec_" + "S" * 43
OTHER_SECRET = "agtsec_" + "O" * 43
assert expect_checks  # registers agt.step_is / agt.row_is


def _seed(dsn: str, expires_at: datetime, used: bool = False) -> None:
    with agtdb.connect(dsn) as conn:
        conn.execute(
            "DELETE FROM refresh_tokens; DELETE FROM registration_tokens; DELETE FROM agents"
        )
        conn.execute(
            "INSERT INTO registration_tokens (token_hash, created_at, expires_at) VALUES (%s, %s, %s)",
            (tokens.token_hash(REG), T0 - timedelta(hours=1), expires_at),
        )
    if used:  # consumed by another agent, with its own secret, an hour ago
        dep = oracles.deployment(FIX, "fixed", T0 - timedelta(hours=1))
        with agtdb.connect(dsn) as conn:
            register(conn, dep, REG, "first-host", OTHER_SECRET)


def _register_here(dsn: str, variant: str, reg: str, hostname: str, secret: str) -> dict[str, Any]:
    with agtdb.connect(dsn) as conn:
        out = register(conn, oracles.deployment(FIX, variant), reg, hostname, secret)
    claims = tokens.verify_access_token(agtdb.SIGNING_KEY, out.access_token, T0)
    return {
        "recovered": out.recovered,
        "access_agent_matches": claims.agent_id == out.agent_id,
        "access_expires_at": iso(out.access_expires_at),
    }


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_registration_decides_exactly(ctx, pg_database_factory) -> None:
    """A fresh token registers one agent with a refresh token valid for the deployment's
    lifetime; a token expiring at the instant, unknown or used is refused with its own error;
    malformed input is refused before anything is written."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def step(expires_at: datetime, *, used=False, reg=REG, host="agent-host", secret=SECRET):
        def run(steps) -> None:
            _seed(dsn, expires_at, used)
            op = functools.partial(_register_here, dsn, ctx.variant, reg, host, secret)
            steps.run("register", op, fail_on=(AgtError,))

        return run

    later = T0 + timedelta(days=1)
    cases = {
        "registers": step(later),
        "expires_one_second_later": step(T0 + timedelta(seconds=1)),
        "expires_at_the_instant": step(T0),
        "unknown_token": step(later, reg="agtreg_" + "U" * 43),
        "used_by_another_agent": step(later, used=True),
        "malformed_token": step(later, reg="agtreg_short"),
        "malformed_secret": step(later, secret="agtsec_short"),
        "bad_hostname": step(later, host=""),
    }
    registered = {
        "recovered": False,
        "access_agent_matches": True,
        "access_expires_at": iso(T0 + oracles.ACCESS_TTL),
    }
    ok = [
        Check("agt.step_is", process="register", want="ok", value=registered),
        Check("agt.row_is", table="registration_tokens", match={}, want={"used_at": iso(T0)}),
        Check(
            "agt.row_is",
            table="refresh_tokens",
            match={},
            want={"expires_at": iso(T0 + oracles.REFRESH_TTL), "revoked_at": None},
        ),
        Check("agt.row_is", table="agents", match={"hostname": "agent-host"}, want={}),
    ]
    untouched = Check("agt.row_is", table="registration_tokens", match={}, want={"used_at": None})
    no_agent = Check("agt.nothing_registered")

    def refused(error: str, extra: list[Check]) -> list[Check]:
        return [Check("agt.step_is", process="register", want="fail", error_has=error), *extra]

    checks = {
        "registers": ok,
        "expires_one_second_later": ok,
        "expires_at_the_instant": refused("TokenExpired", [untouched, no_agent]),
        "unknown_token": refused("InvalidToken: registration token unknown", [untouched, no_agent]),
        "used_by_another_agent": refused(
            "InvalidToken: registration token already used",
            [Check("agt.row_is", table="agents", match={"hostname": "first-host"}, want={})],
        ),
        "malformed_token": refused("InvalidArgument", [untouched, no_agent]),
        "malformed_secret": refused("InvalidArgument", [untouched, no_agent]),
        "bad_hostname": refused("InvalidArgument", [untouched, no_agent]),
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(dsn))
