"""AGT-9 oracles: what a lost-reply recovery must do and leave behind, exactly (issue 13).

From the fix's statement (the agent recovers without a new registration token,
without weakening single use) and the deployment this scenario chooses
(recovery window 1 hour, refresh lifetime 7 days): the same token and secret,
the agent never seen, inside the window, get the same agent back with a fresh
refresh token; the lost reply's refresh token is revoked and expires now (its
follow-through: it must no longer work), another agent's token is untouched.
Refused, each with its own error and nothing changed: another secret, an agent
that has used its credentials, one second past the window (exactly at its end
it still recovers), a token consumed without a proof; an expired unused token
is refused as expired. Two recoveries at once (the second started while the
first, in a child, has revoked the lost token and not yet committed): both
succeed and the agent ends with exactly one live refresh token. The pre-fix
variant refuses every recovery: caught.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import Any

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import Deployment, ManualClock, Variants, register, tokens
from reference_impl.agt.errors import AgtError
from scenarios.agt import agtdb, blocked, child_ops, expect_checks, oracles
from scenarios.agt.oracles import T0, iso

FIX = "AGT-9"
WINDOW = timedelta(hours=1)
USED_AT = T0 - timedelta(minutes=30)
REG = "agtreg_" + "N" * 43
SECRET = "agtsec_" + "A" * 43
OTHER_SECRET = "agtsec_" + "Z" * 43
BYSTANDER = "00000000-0000-4000-8000-0000000000e9"
assert expect_checks  # registers agt.step_is / agt.row_is


def _dep(variant: str, now: datetime) -> Deployment:
    return Deployment(
        agtdb.SIGNING_KEY,
        clock=ManualClock(now),
        variants=Variants.only(FIX, variant),
        refresh_ttl=oracles.REFRESH_TTL,
        access_ttl=oracles.ACCESS_TTL,
        registration_recovery=WINDOW,
    )


def _seed(dsn: str, *, seen: bool = False, proof: bool = True, consumed: bool = True) -> str:
    """A bystander agent with its refresh token; the token REG consumed at USED_AT by an
    agent whose reply was lost (or left unused and expired). Returns the agent id."""
    with agtdb.connect(dsn) as conn:
        conn.execute(
            "DELETE FROM refresh_tokens; DELETE FROM registration_tokens; DELETE FROM agents"
        )
        conn.execute(
            "INSERT INTO agents (id, hostname, created_at) VALUES (%s, 'bystander', %s)",
            (uuid.UUID(BYSTANDER), T0 - timedelta(days=2)),
        )
        conn.execute(
            "INSERT INTO refresh_tokens (agent_id, token_hash, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s)",
            (
                uuid.UUID(BYSTANDER),
                tokens.token_hash("agtref_" + "B" * 43),
                T0,
                T0 + timedelta(days=7),
            ),
        )
        expires = USED_AT + timedelta(days=1) if consumed else T0 - timedelta(seconds=1)
        conn.execute(
            "INSERT INTO registration_tokens (token_hash, created_at, expires_at) VALUES (%s, %s, %s)",
            (tokens.token_hash(REG), USED_AT - timedelta(hours=1), expires),
        )
        if not consumed:
            return ""
        agent = register(conn, _dep("fixed", USED_AT), REG, "lost-reply", SECRET).agent_id
        if seen:
            conn.execute("UPDATE agents SET last_seen_at = %s WHERE id = %s", (USED_AT, agent))
        if not proof:
            conn.execute("UPDATE registration_tokens SET agent_proof_hash = NULL")
    return str(agent)


def _recover_here(dsn: str, variant: str, now: datetime, secret: str) -> dict[str, Any]:
    with agtdb.connect(dsn) as conn:
        out = register(conn, _dep(variant, now), REG, "lost-reply", secret)
    return {"recovered": out.recovered, "agent": out.agent_id}


def _two_recoveries(dsn: str, variant: str) -> dict[str, Any]:
    """Recovery 1 in a child, paused after it revoked the lost token (before COMMIT);
    recovery 2 started here meanwhile: it must wait for 1, then see 1's fresh token."""
    first, second = blocked.second_waits(
        dsn,
        functools.partial(
            child_ops.register_op, dsn, f"{FIX}={variant}", T0.isoformat(), REG, SECRET
        ),
        "agt.recover.after_revoke",
        lambda conn: register(conn, _dep(variant, T0), REG, "lost-reply", SECRET).recovered,
        lambda exc: type(exc).__name__,
    )
    return {
        "first": first.value.get("recovered") if isinstance(first.value, dict) else first.error,
        "second": second,
    }


@scenario(FIX, variants=("prefix", "fixed"))
def test_recovery_decides_and_follows_through(ctx, pg_database_factory) -> None:
    """Recovery of a lost reply: same agent, fresh refresh token, the lost one revoked and
    expired now, the bystander untouched; every other attempt refused with its own error."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    facts: dict[str, str] = {}

    def attempt(*, at=T0, secret=SECRET, **seed):
        def run(steps) -> None:
            facts["agent"] = _seed(dsn, **seed)
            op = functools.partial(_recover_here, dsn, ctx.variant, at, secret)
            steps.run("recover", op, fail_on=(AgtError,))

        return run

    def concurrent(steps) -> None:
        if ctx.variant == "prefix":  # no recovery to race: refused like any other
            attempt()(steps)
            return
        facts["agent"] = _seed(dsn)
        steps.run("recover", functools.partial(_two_recoveries, dsn, ctx.variant))

    cases = {
        "recovers": attempt(),
        "recovers_at_the_window_end": attempt(at=USED_AT + WINDOW),
        "one_second_past_the_window": attempt(at=USED_AT + WINDOW + timedelta(seconds=1)),
        "another_secret": attempt(secret=OTHER_SECRET),
        "agent_already_seen": attempt(seen=True),
        "consumed_without_proof": attempt(proof=False),
        "unused_and_expired": attempt(consumed=False),
        "two_recoveries_at_once": concurrent,
    }

    bystander = Check(
        "agt.row_is",
        table="refresh_tokens",
        match={"agent_id": BYSTANDER},
        want={"revoked_at": None, "expires_at": iso(T0 + timedelta(days=7))},
    )

    def recovered(now: datetime) -> list[Check]:
        return [
            Check("agt.step_is", process="recover", want="ok"),
            Check(
                "agt.recovered_same_agent", now=iso(now), fresh_until=iso(now + oracles.REFRESH_TTL)
            ),
            bystander,
        ]

    def refused(error: str) -> list[Check]:
        return [
            Check("agt.step_is", process="recover", want="fail", error_has=error),
            Check("agt.recovered_same_agent", now=None, fresh_until=None),
            bystander,
        ]

    used = "InvalidToken: registration token already used"
    explore_named(
        ctx,
        cases,
        checks={
            "recovers": recovered(T0),
            "recovers_at_the_window_end": recovered(USED_AT + WINDOW),
            "one_second_past_the_window": refused(used),
            "another_secret": refused(used),
            "agent_already_seen": refused("the agent is registered"),
            "consumed_without_proof": refused(used),
            "two_recoveries_at_once": [
                Check(
                    "agt.step_is",
                    process="recover",
                    want="ok",
                    value={"first": True, "second": True},
                ),
                Check("agt.one_live_refresh_token"),
                bystander,
            ],
            "unused_and_expired": [
                Check("agt.step_is", process="recover", want="fail", error_has="TokenExpired"),
                bystander,
            ],
        },
        snapshot=lambda: {**oracles.snapshot(dsn), "facts": dict(facts)},
    )
