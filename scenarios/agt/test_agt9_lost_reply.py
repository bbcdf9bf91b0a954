"""AGT-9: a crash after COMMIT, before the access token reaches the agent.

The seed calls it a known limitation ("agent must re-register with a new
token"). Going beyond it: the agent retries with the same registration token
and the secret it generated, and gets the same agent and fresh tokens; any
other use of the consumed token is still refused.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, AtPoint, Kill, explore_points, through
from harness.scenario import scenario
from scenarios.agt import agtdb, checks, child_ops

FIX = "AGT-9"
NOW = agtdb.T0.isoformat()
LOST_AT = ["agt.register.after_commit", "agt.register.after_mint"]
LOSE_REPLY_AT = ["agt.register.before_commit"]  # the next thing sent is COMMIT
#: A safety net only: the lost reply ends the agent's wait at once (the link closes).
REPLY_WAIT_S = 10.0
CHECKS = [
    Check("agt.registration_all_or_nothing", stage=AFTER_FAULT),
    Check("agt.registration_all_or_nothing", stage=AFTER_RECOVERY),
    Check("agt.agent_recovers", process="agent_retry"),
    Check("agt.single_use_kept", process="stranger"),
]
assert checks  # registers the agt.* checkers


def swallow_reply(link) -> None:
    """From now on the server's next bytes (COMMIT's reply) never reach the agent, and its
    connection closes there: a 0-byte ``limit_data`` toxic downstream. COMMIT itself goes
    through and takes effect. The agent sees the connection drop at once instead of waiting
    out a timeout on a black hole (what a reply lost in a crash looks like to it either way:
    no reply, outcome unknown)."""
    link.add_toxic("limit_data", "downstream", name="swallow_reply", bytes=0)


@scenario(FIX, variants=("prefix", "fixed"))
def test_recover_after_lost_reply(ctx, pg_database_factory, pg_link) -> None:
    """Killed after COMMIT: a retry with the same token and secret recovers the same agent;
    a stranger with the token is refused; the database stays consistent."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def reset() -> dict:
        return agtdb.with_token(dsn, FIX, "secret", "stranger_secret")

    def register(facts, link, secret: str = "secret"):
        return functools.partial(
            child_ops.register_op, through(dsn, link), variants, NOW, facts["token"], facts[secret]
        )

    def recover(steps) -> None:
        """The agent retries with its token and secret; a stranger tries the same token."""
        steps.run("agent_retry", child_ops.here(register(steps.facts, None)))
        steps.run("stranger", child_ops.here(register(steps.facts, None, "stranger_secret")))

    plan = {
        "op": register,
        "reset": reset,
        "snapshot": lambda: agtdb.snapshot(dsn),
        "recover": recover,
        "checks": CHECKS,
        "process": "agent",
    }
    explore_points(ctx, faults=[Kill()], points=LOST_AT, **plan)
    # COMMIT reaches the server, its reply is swallowed with the connection.
    reply_lost = AtPoint(
        "reply_lost", functools.partial(swallow_reply, pg_link), undo=pg_link.clear, link=pg_link
    )
    explore_points(
        ctx,
        faults=[reply_lost],
        points=LOSE_REPLY_AT,
        baseline=False,
        timeout_s=REPLY_WAIT_S,
        **plan,
    )
    ctx.explored(
        crash_points=len(LOST_AT),
        points=[*LOST_AT, *LOSE_REPLY_AT],
        faults=["crash", "reply lost (limit_data 0 downstream)"],
        processes=3,
    )
