"""AGT-7 properties: backoff base 10 s, cap 5 min, randomized, no overflow, reset on success.

The real poll loop against a server behind a cut link is ``test_agt7_poll_loop``.
"""

from __future__ import annotations

import random
import threading
import time

from hypothesis import strategies as st

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import ManualClock, Variants, backoff
from reference_impl.agt.agent_loop import PollLoop
from scenarios.agt import checks_agent, props

assert checks_agent  # registers the agt.* agent-side checkers

ATTEMPTS = st.one_of(
    st.integers(1, 12), st.sampled_from([1023, 1024, 1025, 10**6]), st.integers(1, 10**6)
)
ERRORS = (ConnectionRefusedError, TimeoutError, ValueError, RuntimeError)


def _delay_broken(prefix: bool):
    def broken(example: tuple[int, int]) -> str | None:
        attempt, draw_seed = example
        try:
            delay = backoff.backoff_delay(attempt, random.Random(draw_seed), prefix=prefix)
        except OverflowError as exc:
            return f"attempt {attempt}: OverflowError ({exc})"
        ceiling = min(backoff.BACKOFF_CAP_S, backoff.BACKOFF_BASE_S * 2 ** min(attempt, 64))
        if not backoff.BACKOFF_BASE_S <= delay <= ceiling:
            return f"attempt {attempt}: delay {delay:.2f} s outside [10, {ceiling:.0f}] s"
        return None

    return broken


def _ceiling_broken(prefix: bool):
    def broken(pair: tuple[int, int]) -> str | None:
        a, b = sorted(pair)
        try:
            ca, cb = (
                backoff.backoff_ceiling(a, prefix=prefix),
                backoff.backoff_ceiling(b, prefix=prefix),
            )
        except OverflowError as exc:
            return f"attempts {a}, {b}: OverflowError ({exc})"
        if ca > cb or cb > backoff.BACKOFF_CAP_S:
            return f"ceiling({a}) = {ca}, ceiling({b}) = {cb}: not growing to a 300 s cap"
        return None

    return broken


def _loop_broken(variants: Variants):
    """Run the real loop over a scripted sequence of outcomes; the counter must equal the
    failures since the last success, whichever error path was taken."""

    def broken(script: list[int]) -> str | None:
        outcomes = iter(script)

        def fetch() -> list[object]:
            kind = next(outcomes)
            if kind < 0:
                return []
            raise ERRORS[kind % len(ERRORS)]("scripted")

        loop = PollLoop(fetch, ManualClock(), random.Random(0), 60.0, variants=variants)
        loop.run(max_turns=len(script))
        streak = 0
        for i, (kind, tick) in enumerate(zip(script, loop.ticks, strict=True)):
            streak = 0 if kind < 0 else streak + 1
            if tick.attempt != streak:
                return f"turn {i}: counter {tick.attempt} after {streak} consecutive failures (script {script[: i + 1]})"
            if kind >= 0 and tick.delay_s < backoff.BACKOFF_BASE_S:
                return f"turn {i}: error followed by only {tick.delay_s:.1f} s"
        return None

    return broken


@scenario("AGT-7", variants=("prefix", "fixed"))
def test_backoff_properties(ctx) -> None:
    """Backoff delays within [10 s, min(300 s, 10 s * 2^n)], growing to the cap, no overflow, reset on success."""
    prefix = ctx.variant == "prefix"
    variants = Variants.only("AGT-7", ctx.variant)
    properties = {
        "property:delay_bounds": (
            "delay in [10 s, min(300 s, 10 s*2^n)]",
            st.tuples(ATTEMPTS, st.integers(0, 2**32 - 1)),
            _delay_broken(prefix),
        ),
        "property:ceiling_grows_to_cap": (
            "ceiling non-decreasing, capped at 300 s",
            st.tuples(ATTEMPTS, ATTEMPTS),
            _ceiling_broken(prefix),
        ),
        "property:counter_counts_errors_and_resets": (
            "counter = failures since last success, on every error path",
            st.lists(st.integers(-1, 3), min_size=1, max_size=30),
            _loop_broken(variants),
        ),
    }
    cases = {
        case: props.property_case(strategy, broken, ctx.seed, case.split(":")[1])
        for case, (_, strategy, broken) in properties.items()
    }
    checks = {
        case: [Check("property_holds", f=case.split(":")[1], holds=holds)]
        for case, (holds, _, _) in properties.items()
    }

    def huge_attempt(steps) -> None:
        steps.run(
            "agent",
            lambda: backoff.backoff_delay(10**6, random.Random(ctx.seed), prefix=prefix),
            f="backoff_delay",
            value={"attempt": 10**6},
        )

    cases["example:attempt=10^6"] = huge_attempt
    checks["example:attempt=10^6"] = [Check("agt.delay_in_bounds")]
    explore_named(ctx, cases, checks=checks)
    ctx.explored(
        properties=3,
        examples=props.SETTINGS.max_examples,
        derandomized=not props.SEEDED,
        worked_examples=1,
    )


def _shutdown_at(variant: str, seed: int, at_s: float):
    """The real loop, every poll failing, a shutdown at ``at_s`` (virtual)."""

    def run(steps) -> None:
        clock, stop = ManualClock(), threading.Event()
        t0 = clock.now()
        requested: dict[str, float] = {}

        def shutdown() -> None:
            requested["at"] = (clock.now() - t0).total_seconds()
            stop.set()

        def fetch() -> list[object]:
            raise ConnectionRefusedError("server unreachable")

        def loop_run() -> dict:
            clock.call_later(at_s, shutdown)
            loop = PollLoop(
                fetch,
                clock,
                random.Random(seed),
                60.0,
                stop=stop,
                variants=Variants.only("AGT-7", variant),
            )
            wall0 = time.perf_counter()
            loop.run(max_turns=10_000)
            return {
                "virtual_lag_s": (clock.now() - t0).total_seconds()
                - requested.get("at", float("inf")),
                "wall_s": round(time.perf_counter() - wall0, 4),
                "sleep_in_progress_s": loop.ticks[-1].delay_s if loop.ticks else None,
                "turns": len(loop.ticks),
            }

        steps.run("agent", loop_run, f="poll_loop", value={"shutdown_at_s": at_s})

    return run


@scenario("AGT-7", variants=("prefix", "fixed"))
def test_shutdown_during_backoff(ctx) -> None:
    """The real poll loop, every poll failing: a shutdown arriving mid-backoff ends the loop in
    under a second of (virtual) time. The seed's sleep ignores shutdown (its edge case 9d)."""
    explore_named(
        ctx,
        {
            f"shutdown_at_{at_s:g}s": _shutdown_at(ctx.variant, ctx.seed, at_s)
            for at_s in (1000.0, 3600.0)
        },
        checks=[Check("agt.prompt_shutdown", f="poll_loop")],
    )
    ctx.explored(shutdown_points=2, injected_clock=True)
