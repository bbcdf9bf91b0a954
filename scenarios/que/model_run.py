"""Running the queue's state machine (``model.py``) as one scenario case: bounded,
seeded from the scenario, shrinking only when the case is replayed."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from harness.crash import discover_in_process
from harness.scenario import ScenarioContext
from harness.verdict import Verdict
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
    """Run the state machine on ``ctx.variant``; record one case, ``model``."""
    case = "model"
    if not ctx.selected(case):
        return
    via, faults, kinds = que_faults
    env = Env(
        variant=ctx.variant,
        via=via,
        direct=(que.host, que.port),
        faults=faults,
        points=_points(que, ctx.variant),
        fault_kinds=kinds,
    )
    machine = type(f"QueueMachine_{ctx.variant}", (QueueMachine,), {"env": env})
    machine = hypothesis_seed(ctx.seed)(machine)
    report: list[str] = []

    def note(message: object) -> None:
        report.append(str(message))

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
        phases=(Phase.explicit, Phase.generate)
        + ((Phase.shrink,) if ctx.only_case is not None else ()),
        print_blob=False,
        report_multiple_bugs=False,
    )
    try:
        with with_reporter(note):
            run_state_machine_as_test(machine, settings=config)
    except (AssertionError, Flaky) as exc:
        # A failure whose replay went differently (e.g. a lost reply that once came
        # before the command ran) is still a real violation, if an assertion made it;
        # anything else is the harness's problem: raise, and the result is UNKNOWN.
        violation = _assertion_in(exc)
        if violation is None:
            raise
        verdict = Verdict.violated(
            "que.model",
            f"model violated: {str(violation).splitlines()[0]}",
            failing_program="\n".join([*getattr(violation, "__notes__", []), *report]),
            shrunk=ctx.only_case is not None,
            replayed_identically=not isinstance(exc, Flaky),
            log_tail=env.log[-30:],
        )
    else:
        verdict = Verdict.ok(
            "que.model",
            f"{MAX_EXAMPLES} programs of up to {STEPS} steps matched the model",
            log_tail=env.log[-10:],
        )
    ctx.record(case, verdict, detail={"fault_kinds": list(kinds), "points": env.points})
    ctx.explored(examples=MAX_EXAMPLES, steps=STEPS, fault_kinds=list(kinds), seed=ctx.seed)


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
