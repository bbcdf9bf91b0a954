"""AGT-7 oracles: the backoff's numbers from the fix's statement, and the loop's bookkeeping
turn by turn (issue 13).

FIXES.md AGT-7: base 10 s, cap 5 min, randomized, no overflow at huge attempt
counts, the counter raised on every error path and reset on success. Written
here as numbers, never read from reference_impl: the ceiling of the n-th
consecutive failure is min(300, 10 * 2**n) s (1: 20 s, 3: 80 s, 5 and on:
300 s, also at attempt 10**6); an attempt below 1 or not an integer is
refused; each delay is drawn in [10 s, ceiling]. The loop, fed a scripted
fetch (3 errors, 2 successes, 1 error), must take exactly its 6 turns, count
attempts 1, 2, 3, 0, 0, 1, hand each success's commands on, sleep interval
plus jitter (at most min(interval / 2, 30 s)) after a success, and stamp each
turn at the virtual time the sleeps added up to. Time is injected. Measured on
the pre-fix variant (its defects, the unclamped exponent and the counter never
reset, are caught by test_agt7_backoff and test_agt7_poll_loop).
"""

from __future__ import annotations

import functools
import random
import threading
from typing import Any

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import ManualClock, Variants, backoff
from reference_impl.agt.agent_loop import PollLoop
from reference_impl.agt.errors import InvalidArgument
from scenarios.agt import expect_checks
from scenarios.agt.oracles import T0

FIX = "AGT-7"
BASE_S, CAP_S = 10.0, 300.0  # FIXES.md AGT-7
ATTEMPTS = [1, 2, 3, 4, 5, 6, 16, 17, 1023, 1024, 10**6]
CEILINGS = [min(CAP_S, BASE_S * 2**n) for n in (1, 2, 3, 4, 5, 6)] + [CAP_S] * 5
BAD_ATTEMPTS = [0, -1, True, 1.0, "1"]
INTERVAL_S = 60.0
SCRIPT = ["error", "error", "error", "ok", "ok", "error"]
assert expect_checks  # registers agt.step_is


def _ceilings(prefix: bool) -> dict[str, Any]:
    refused = []
    for bad in BAD_ATTEMPTS:
        try:
            backoff.backoff_ceiling(bad, prefix=prefix)  # type: ignore[arg-type]
            refused.append(False)
        except InvalidArgument:
            refused.append(True)
    return {
        "ceilings": [backoff.backoff_ceiling(n, prefix=prefix) for n in ATTEMPTS],
        "bad_refused": refused,
    }


def _delays(prefix: bool, seed: int) -> dict[str, Any]:
    rng, out = random.Random(seed), {}
    for n, ceiling in zip(ATTEMPTS[:6], CEILINGS[:6], strict=True):
        draws = [backoff.backoff_delay(n, rng, prefix=prefix) for _ in range(300)]
        within = all(BASE_S <= d <= ceiling for d in draws)
        # 300 uniform draws: the extremes come within 10% of both ends (a miss: p < 1e-13)
        spread = min(draws) < BASE_S + 0.1 * (ceiling - BASE_S) and max(draws) > ceiling - 0.1 * (
            ceiling - BASE_S
        )
        out[str(n)] = [within, spread]
    return out


def _loop(variants: Variants, seed: int) -> dict[str, Any]:
    clock = ManualClock(T0)
    script = iter(SCRIPT)
    handled: list[Any] = []

    def fetch() -> list[Any]:
        if next(script, "ok") == "error":
            raise ConnectionError("scripted failure")
        return [{"id": len(handled) + 1}]

    loop = PollLoop(
        fetch,
        clock,
        random.Random(seed),
        INTERVAL_S,
        variants=variants,
        handle=handled.append,
    )
    runner = threading.Thread(target=loop.run, kwargs={"max_turns": len(SCRIPT)}, daemon=True)
    runner.start()
    runner.join(5.0)
    finished = not runner.is_alive()
    if not finished:
        loop.stop.set()  # a loop that does not stop after its turns: ended here, and reported
        runner.join(5.0)
    elapsed, stamps_ok, delays_ok = 0.0, True, True
    for sleeps, tick in enumerate(loop.ticks):
        # The clock keeps datetimes: each sleep lands on a whole microsecond, so after
        # ``sleeps`` sleeps the stamp may sit up to half a microsecond per sleep off the sum.
        stamps_ok &= abs(tick.at_s - elapsed) <= 1e-6 * (sleeps + 1)
        if tick.outcome == "ok":
            delays_ok &= INTERVAL_S <= tick.delay_s <= INTERVAL_S + min(INTERVAL_S / 2, 30.0)
        else:
            delays_ok &= BASE_S <= tick.delay_s <= min(CAP_S, BASE_S * 2 ** max(tick.attempt, 1))
        elapsed += tick.delay_s
    return {
        "finished_after_its_turns": finished,
        "turns": len(loop.ticks),
        "outcomes": [t.outcome for t in loop.ticks],
        "attempts": [t.attempt for t in loop.ticks],
        "handled": len(handled),
        "delays_within_bounds": delays_ok,
        "stamped_at_virtual_time": stamps_ok,
    }


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_backoff_numbers_and_bookkeeping(ctx) -> None:
    """Ceilings min(300, 10 * 2^n) s at every attempt (10**6 too), bad attempts refused, delays
    drawn across [10 s, ceiling]; the loop takes exactly its turns and counts attempts
    1, 2, 3, 0, 0, 1 with the right sleeps at the right virtual instants."""
    prefix = ctx.variant == "prefix"
    variants = Variants.only(FIX, ctx.variant)
    seed = ctx.rng.randrange(2**32)
    expected_loop = {
        "finished_after_its_turns": True,
        "turns": len(SCRIPT),
        "outcomes": SCRIPT,
        "attempts": [1, 2, 3, 0, 0, 1],
        "handled": 2,
        "delays_within_bounds": True,
        "stamped_at_virtual_time": True,
    }
    explore_named(
        ctx,
        {
            "ceilings": lambda steps: steps.run("backoff", functools.partial(_ceilings, prefix)),
            "delays": lambda steps: steps.run("backoff", functools.partial(_delays, prefix, seed)),
            "loop": lambda steps: steps.run("loop", functools.partial(_loop, variants, seed)),
        },
        checks={
            "ceilings": [
                Check(
                    "agt.step_is",
                    process="backoff",
                    want="ok",
                    value={"ceilings": CEILINGS, "bad_refused": [True] * len(BAD_ATTEMPTS)},
                )
            ],
            "delays": [
                Check(
                    "agt.step_is",
                    process="backoff",
                    want="ok",
                    value={str(n): [True, True] for n in ATTEMPTS[:6]},
                )
            ],
            "loop": [Check("agt.step_is", process="loop", want="ok", value=expected_loop)],
        },
    )
