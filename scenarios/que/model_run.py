"""Running the queue's state machine (``model.py``) as one scenario case: bounded,
seeded from the scenario, shrinking only when the case is replayed."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from harness.checkers import Check
from harness.crash import Steps, discover_in_process, explore_named
from harness.scenario import ScenarioContext
from scenarios.que.calls import enqueue_now
from scenarios.que.model import Env, QueueMachine

MAX_EXAMPLES = 10
STEPS = 10


def _points(que, variant: str) -> dict[str, list[str]]:
    que.reset()
    queue = que.queue(variant)
    found = {
        "enqueue": discover_in_process(
            lambda: enqueue_now(queue, "job-0", "req-0"), "que.enqueue."
        ),
        "update_status": discover_in_process(
            lambda: queue.update_status("job-0", "running", workspace_id="ws-1"),
            "que.update_status.",
        ),
    }
    que.reset()
    return found


def run_model(ctx: ScenarioContext, que: Any, que_faults: Any) -> None:
    """Run the state machine on ``ctx.variant`` as one named case, ``model``: its outcome
    recorded as the ``model`` step, judged by ``que.model_held``."""
    via, faults, kinds = que_faults
    env = Env(
        variant=ctx.variant,
        via=via,
        direct=(que.host, que.port),
        faults=faults,
        points=_points(que, ctx.variant),
        fault_kinds=kinds,
    )
    shrink = ctx.only_case is not None

    def case(steps: Steps) -> None:
        steps.run("model", functools.partial(_programs, env, ctx.seed, shrink), f="model")

    explore_named(ctx, {"model": case}, checks=[Check("que.model_held")], **que.per_case)
    ctx.explored(examples=MAX_EXAMPLES, steps=STEPS, fault_kinds=list(kinds), seed=ctx.seed)


def _programs(env: Env, seed: int, shrink: bool) -> dict[str, Any]:
    """Up to ``MAX_EXAMPLES`` programs against the model; what they found, as JSON. An error
    that no assertion made is the harness's problem: it raises (the step is ``info``)."""
    machine = type(f"QueueMachine_{env.variant}", (QueueMachine,), {"env": env})
    machine = hypothesis_seed(seed)(machine)
    report: list[str] = []
    config = settings(
        max_examples=MAX_EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        # Shrinking replays a failure hundreds of times against Redis (~10 s): the
        # gate run reports the failing program as found; a replay of this one case
        # (harness repro ...:model) shrinks it to a minimal one.
        phases=(Phase.explicit, Phase.generate) + ((Phase.shrink,) if shrink else ()),
        print_blob=False,
        report_multiple_bugs=False,
    )
    found: dict[str, Any] = {"examples": MAX_EXAMPLES, "steps": STEPS, "violated": None}
    try:
        with with_reporter(lambda message: report.append(str(message))):
            run_state_machine_as_test(machine, settings=config)
    except (AssertionError, Flaky) as exc:
        # A failure whose replay went differently (e.g. a lost reply that once came
        # before the command ran) is still a real violation, if an assertion made it.
        violation = _assertion_in(exc)
        if violation is None:
            raise
        found.update(
            violated=str(violation).splitlines()[0],
            failing_program="\n".join([*getattr(violation, "__notes__", []), *report]),
            shrunk=shrink,
            replayed_identically=not isinstance(exc, Flaky),
        )
    found["log_tail"] = env.log[-30:]
    return found


def _assertion_in(exc: BaseException) -> AssertionError | None:
    """The AssertionError that ``exc`` is, groups, or was caused by; None if none."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, AssertionError):
            return e
        todo += list(getattr(e, "exceptions", ()))
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
    return None
