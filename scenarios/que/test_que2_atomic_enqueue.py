"""QUE-2: enqueue writes old hash, new hash and queue entry all or nothing."""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import AtPoint, Cut, explore_named, explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.que import checks, linkfaults, plan, wrongtype
from scenarios.que.calls import FAIL_ON
from scenarios.que.env import QueEnv
from scenarios.que.model_run import run_model

VARIANTS = ("prefix", "seed", "fixed")
#: redis-py's default count of transparent re-sends.
CLIENT_RETRIES = 3
assert checks  # registers the que.* checkers


def whole_then_once(after_fault: str, after_retry: str) -> list[Check]:
    """No partial job after the fault, nor after the retry; then one job for the request."""
    return [
        Check("que.no_partial_job", stage=after_fault),
        Check("que.no_partial_job", stage=after_retry),
        Check("que.exactly_once", stage=after_retry),
    ]


def faults_at_every_point(ctx: ScenarioContext, que: QueEnv, faults, **how) -> None:
    """Each fault at each point of one enqueue (after a no-fault baseline), on a fresh database."""
    explore_points(
        ctx,
        faults=faults,
        **que.per_case,
        process="attempt-1",
        fail_on=FAIL_ON,
        **{"op": plan.enqueue_op(que, ctx.variant), **how},
    )


@scenario("QUE-2", variants=VARIANTS, measured=("seed",))
def test_command_error_in_transaction(ctx: ScenarioContext, que) -> None:
    """A write failing with WRONGTYPE inside the enqueue: no partial job, before or after the retry."""
    want = whole_then_once("after_fault", "final")
    explore_named(ctx, wrongtype.refusals(que, ctx.variant), checks=want, **que.per_case)


@scenario("QUE-2", variants=VARIANTS, measured=("seed",))
def test_server_restart_mid_enqueue(ctx: ScenarioContext, que, redis_server) -> None:
    """The Redis server SIGKILLed at each step of an enqueue and restarted once the attempt
    has ended (AOF on: what Redis wrote before replying survives a process kill; down
    until then, since redis-py reconnects a dead pooled connection silently); then a
    retry with the same request id."""

    def restart() -> None:
        redis_server.restart()
        que.reset_clients()  # the old sockets died with the server

    faults_at_every_point(
        ctx,
        que,
        [AtPoint("restart", redis_server.kill, undo=restart)],
        recover=plan.send_again(que, ctx.variant, ("retry",)),
        checks=whole_then_once("after_fault", "after_recovery"),
    )


@scenario("QUE-2", variants=VARIANTS, measured=("seed",))
def test_link_cut_around_exec(ctx: ScenarioContext, que, que_link) -> None:
    """At each crash point (for the pipeline: right before EXEC is sent) the link is cut,
    or the reply is lost after the command or EXEC was applied; then a retry."""
    faults_at_every_point(
        ctx,
        que,
        [Cut(que_link), linkfaults.lost_reply(que_link)],
        recover=plan.send_again(que, ctx.variant, ("retry",)),
        checks=whole_then_once("after_fault", "after_recovery"),
    )


@scenario("QUE-2", variants=VARIANTS, measured=("seed",))
def test_client_transparent_retry(ctx: ScenarioContext, que, que_link) -> None:
    """redis-py's own retry left on (3 re-sends, as by default): every reply is lost
    from a crash point on, so each command or MULTI/EXEC after it is applied and sent
    again. One enqueue call must still leave one whole job, or none."""
    faults_at_every_point(
        ctx,
        que,
        [linkfaults.lost_reply(que_link, "lost_replies")],
        op=plan.enqueue_op(que, ctx.variant, retries=CLIENT_RETRIES),
        checks=[
            Check("que.no_partial_job", stage="after_fault"),
            Check("que.exactly_once", stage="after_fault"),
        ],
    )
    ctx.explored(client_retries=CLIENT_RETRIES)


@scenario("QUE-2", variants=VARIANTS, measured=("seed",))
def test_stateful_model(ctx: ScenarioContext, que, que_faults) -> None:
    """A Hypothesis rule-based state machine (with QUE-1, QUE-3, QUE-5): random programs
    of enqueue / status update / read with link cuts, lost replies and server kills at
    the crash points, checked against a model after every step."""
    run_model(ctx, que, que_faults)
