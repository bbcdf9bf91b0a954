"""AGT-9: a crash after COMMIT, before the access token reaches the agent.

The seed calls it a known limitation ("agent must re-register with a new
token"). Going beyond it: the agent retries with the same registration token
and the secret it generated, and gets the same agent and fresh tokens; any
other use of the consumed token is still refused.
"""

from __future__ import annotations

import functools

from harness.crash.runner import run_case
from harness.history import History, OpType
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.agt import issue_registration_token, tokens
from scenarios.agt import agtdb, child_ops, faultcases, fixtures_sql, invariants

FIX = "AGT-9"
NOW = agtdb.T0.isoformat()
LOST_AT = ("agt.register.after_commit", "agt.register.after_mint")
LOSE_REPLY_AT = "agt.register.before_commit"  # the next thing sent is COMMIT
#: A safety net only: the lost reply ends the agent's wait at once (the link closes).
REPLY_WAIT_S = 10.0


def swallow_reply(link) -> None:
    """From now on the server's next bytes (COMMIT's reply) never reach the agent, and its
    connection closes there: a 0-byte ``limit_data`` toxic downstream. COMMIT itself goes
    through and takes effect. The agent sees the connection drop at once instead of waiting
    out a timeout on a black hole (what a reply lost in a crash looks like to it either way:
    no reply, outcome unknown)."""
    link.add_toxic("limit_data", "downstream", name="swallow_reply", bytes=0)


def _last(history: History, process: str):
    done = [op for op in history if op.process == process and op.type is not OpType.INVOKE]
    return done[-1] if done else None


@scenario(FIX, variants=("prefix", "fixed"))
def test_recover_after_lost_reply(ctx, pg_database_factory, pg_link) -> None:
    """Killed after COMMIT: a retry with the same token and secret recovers the same agent;
    a stranger with the token is refused; the database stays consistent."""
    variants = f"{FIX}={ctx.variant}"
    db = agtdb.fresh(pg_database_factory)
    for fault, point in [("crash", p) for p in LOST_AT] + [("reply_lost", LOSE_REPLY_AT)]:
        case = f"{fault}@{point}"
        if not ctx.selected(case):
            continue
        fixtures_sql.reset(db.dsn)
        with agtdb.connect(db.dsn) as conn:
            reg_token = issue_registration_token(conn, agtdb.deployment(FIX, "fixed"))
        secret = tokens.new_token("agent_secret")
        history = History()
        register = functools.partial(
            child_ops.register_op, db.dsn, variants, NOW, reg_token, secret
        )
        if fault == "crash":
            run_case(register, kill_at=point, history=history, process="agent")
        else:
            # COMMIT reaches the server, its reply is swallowed with the connection.
            via_link = functools.partial(
                child_ops.register_op,
                faultcases.dsn_via(db, pg_link),
                variants,
                NOW,
                reg_token,
                secret,
            )
            try:
                run_case(
                    via_link,
                    pause_at={point: functools.partial(swallow_reply, pg_link)},
                    history=history,
                    process="agent",
                    timeout_s=REPLY_WAIT_S,
                )
            finally:
                pg_link.clear()
        after_crash = agtdb.snapshot(db.dsn)
        history.snapshot("after_crash", after_crash)
        faultcases.here(register, history, "agent_retry")
        stranger = functools.partial(
            child_ops.register_op,
            db.dsn,
            variants,
            NOW,
            reg_token,
            tokens.new_token("agent_secret"),
        )
        faultcases.here(stranger, history, "stranger")
        final = agtdb.snapshot(db.dsn)
        history.snapshot("final", final)

        retry, other = _last(history, "agent_retry"), _last(history, "stranger")
        parts = [
            invariants.registration_all_or_nothing(after_crash),
            invariants.registration_all_or_nothing(final),
        ]
        if retry is not None and retry.type is OpType.OK:
            same = retry.value["agent_id"] == after_crash["agents"][0]["id"]
            parts.append(
                Verdict.ok("agent_recovers", "the retry got the same agent and a fresh token")
                if same and len(final["agents"]) == 1
                else Verdict.violated(
                    "agent_recovers", "the retry created another agent", rows=final
                )
            )
        else:
            parts.append(
                Verdict.violated(
                    "agent_recovers",
                    f"the agent is stranded: its retry was refused ({retry.error if retry else 'no reply'}); "
                    "it needs a new registration token",
                    agents=final["agents"],
                    registration_tokens=final["registration_tokens"],
                )
            )
        parts.append(
            Verdict.ok("single_use_kept", "a different secret with the consumed token is refused")
            if other is not None and other.type is not OpType.OK
            else Verdict.violated(
                "single_use_kept",
                "a stranger with the consumed token registered",
                op=other.to_json() if other else None,
            )
        )
        ctx.record(
            case, compose(case, parts), history=history, detail={"fault": fault, "point": point}
        )
    ctx.explored(
        crash_points=len(LOST_AT),
        points=[*LOST_AT, LOSE_REPLY_AT],
        faults=["crash", "reply lost (limit_data 0 downstream)"],
        processes=3,
    )
