"""AGT-6: the poll jitter is capped at min(interval / 2, 30 s)."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from harness.scenario import scenario
from reference_impl.agt import backoff
from scenarios.agt import props

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
        cap = min(interval / 2.0, backoff.JITTER_CAP_S)
        value = backoff.jitter(interval, random.Random(draw_seed), prefix=prefix)
        if not 0.0 <= value <= cap:
            return f"interval {interval} s gave jitter {value:.3f} s, cap {cap:.3f} s"
        return None

    case = "property:jitter_bounds"
    if ctx.selected(case):
        strategy = st.tuples(INTERVALS, st.integers(0, 2**32 - 1))
        ctx.record(
            case,
            props.verdict(
                "jitter_cap", "0 <= jitter <= min(interval/2, 30 s)", strategy, broken, ctx.seed
            ),
        )
    # The seed's own worked examples: rapid mode (5 s) and standard mode (300 s).
    for interval, cap in ((5.0, 2.5), (300.0, 30.0)):
        case = f"example:interval={interval:g}s"
        if not ctx.selected(case):
            continue
        rng = random.Random(ctx.seed)
        worst = max(backoff.jitter(interval, rng, prefix=prefix) for _ in range(200))
        got_cap = backoff.jitter_cap(interval, prefix=prefix)
        verdict = (
            props.Verdict.ok("jitter_cap", f"cap {got_cap} s, largest of 200 draws {worst:.2f} s")
            if got_cap == cap and worst <= cap
            else props.Verdict.violated(
                "jitter_cap",
                f"interval {interval} s: cap {got_cap} s (want {cap} s), largest draw {worst:.2f} s",
                interval_s=interval,
                cap_s=got_cap,
                want_cap_s=cap,
                largest_draw_s=worst,
            )
        )
        ctx.record(case, verdict, detail={"interval_s": interval})
    ctx.explored(
        properties=1,
        examples=props.SETTINGS.max_examples,
        derandomized=not props.SEEDED,
        worked_examples=2,
    )
