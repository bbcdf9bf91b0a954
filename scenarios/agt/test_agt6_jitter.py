"""AGT-6: the poll jitter is capped at min(interval / 2, 30 s)."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import backoff
from scenarios.agt import checks_agent, props

INTERVALS = st.one_of(
    st.sampled_from([0.0, 1.0, 5.0, 59.9, 60.0, 300.0]),
    st.floats(min_value=0.0, max_value=86400.0, allow_nan=False),
)


@scenario("AGT-6", variants=("prefix", "fixed"))
def test_jitter_within_cap(ctx) -> None:
    """For every interval and random draw: 0 <= jitter <= min(interval / 2, 30 s)."""
    prefix = ctx.variant == "prefix"

    def broken(example: tuple[float, int]) -> str | None:
        interval, draw_seed = example
        cap = min(interval / 2.0, checks_agent.JITTER_CAP_S)
        value = backoff.jitter(interval, random.Random(draw_seed), prefix=prefix)
        if not 0.0 <= value <= cap:
            return f"interval {interval} s gave jitter {value:.3f} s, cap {cap:.3f} s"
        return None

    def draws(interval: float):
        """The seed's own worked examples: 200 draws at one interval, and the code's cap."""

        def run(steps) -> None:
            def draw() -> dict:
                rng = random.Random(ctx.seed)
                worst = max(backoff.jitter(interval, rng, prefix=prefix) for _ in range(200))
                return {"cap": backoff.jitter_cap(interval, prefix=prefix), "worst": worst}

            steps.run("agent", draw, f="jitter_draws", value={"interval_s": interval})

        return run

    strategy = st.tuples(INTERVALS, st.integers(0, 2**32 - 1))
    explore_named(
        ctx,
        {
            "property:jitter_bounds": props.property_case(strategy, broken, ctx.seed, "jitter"),
            # rapid mode (5 s) and standard mode (300 s)
            "example:interval=5s": draws(5.0),
            "example:interval=300s": draws(300.0),
        },
        checks={
            "property:jitter_bounds": [
                Check("property_holds", f="jitter", holds="0 <= jitter <= min(interval/2, 30 s)")
            ],
            "example:interval=5s": [Check("agt.jitter_capped", cap=2.5)],
            "example:interval=300s": [Check("agt.jitter_capped", cap=30.0)],
        },
    )
    ctx.explored(
        properties=1,
        examples=props.SETTINGS.max_examples,
        derandomized=not props.SEEDED,
        worked_examples=2,
    )
