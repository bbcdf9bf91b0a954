"""Two scenarios of one fix statement, "the jitter is capped at min(interval / 2, 30 s)"."""

import functools

from toysys import timing

from harness.crash.runner import run_case
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict


@scenario("TOY-1", variants=("prefix", "fixed"))
def test_weak(ctx: ScenarioContext) -> None:
    """Checks one interval, far above the boundary, against a bound read from the code."""
    got = timing.jitter_cap(600.0, prefix=ctx.variant == "prefix")
    ok = got <= timing.CAP_S and ctx.variant != "prefix"
    ctx.record("interval=600", Verdict.ok("cap", "ok") if ok else Verdict.violated("cap", "bad"))


@scenario("TOY-1", variants=("prefix", "fixed"))
def test_weak_sign(ctx: ScenarioContext) -> None:
    """Checks only that a cap is never negative (a second test of the fix: a mutant's
    tests are grouped on one worker)."""
    got = timing.jitter_cap(10.0, prefix=ctx.variant == "prefix")
    ok = got >= 0 and ctx.variant != "prefix"
    ctx.record("interval=10", Verdict.ok("sign", "ok") if ok else Verdict.violated("sign", "bad"))


@scenario("TOY-2", variants=("prefix", "fixed"))
def test_strong(ctx: ScenarioContext) -> None:
    """Expected caps from the statement, on both sides of the 60 s boundary, computed in a
    forked child (so the mutant must reach children to be caught)."""
    expected = {0.0: 0.0, 10.0: 5.0, 59.0: 29.5, 60.0: 30.0, 61.0: 30.0, 600.0: 30.0}
    op = functools.partial(timing.caps, list(expected), ctx.variant == "prefix")
    run = run_case(op, timeout_s=20)
    got = dict(zip(expected, run.value or [], strict=False))
    for interval, want in expected.items():
        have = got.get(interval)
        verdict = (
            Verdict.ok("cap", f"{have} s")
            if have == want
            else Verdict.violated("cap", f"interval {interval} s: cap {have} s, want {want} s")
        )
        ctx.record(f"interval={interval:g}", verdict)
    negative = run_case(functools.partial(timing.jitter_cap, -1.0), timeout_s=20)
    refused = negative.error is not None and "ValueError" in negative.error
    ctx.record(
        "interval=-1",
        Verdict.ok("refused", "refused") if refused else Verdict.violated("refused", "accepted"),
    )
