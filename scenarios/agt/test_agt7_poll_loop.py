"""AGT-7 end to end: the real poll loop against a real server behind the proxy, on an
injected clock (no test sleeps for real; the link faults fire at virtual instants).

Timeline (virtual seconds): link down from 0; back at 2000; down at 2300; back at
2900; down at 3300; shutdown at 5000, in the middle of a backoff.
Invariant: while down, delays grow (ceiling 10 s * 2^n) and cap at 300 s; the
first success resets the counter, the next error starts again at attempt 1;
the shutdown ends the loop in under a second, virtual and wall-clock.
"""

from __future__ import annotations

import random
import threading
import time

from harness.history import History
from harness.scenario import scenario
from harness.verdict import Verdict
from reference_impl.agt import Deployment, ManualClock, SystemClock, Variants, backoff
from reference_impl.agt.agent_loop import PollLoop, Tick
from reference_impl.agt.client import Client
from reference_impl.agt.ratelimit import LocalLimiter
from reference_impl.agt.server import App, Server
from scenarios.agt import agtdb, http_servers

FIX = "AGT-7"
DOWN: list[tuple[float, float | None]] = [(0.0, 2000.0), (2300.0, 2900.0), (3300.0, None)]
SHUTDOWN_AT = 5000.0


def _windows_ticks(ticks: list[Tick], start: float, end: float | None) -> list[Tick]:
    return [t for t in ticks if t.at_s >= start and (end is None or t.at_s < end)]


def _grow_and_cap(ticks: list[Tick]) -> Verdict:
    errors = [t for t in _windows_ticks(ticks, DOWN[0][0], DOWN[0][1]) if t.outcome == "error"]
    bad = [
        (t.attempt, round(t.delay_s, 1))
        for t in errors
        if not backoff.BACKOFF_BASE_S
        <= t.delay_s
        <= min(backoff.BACKOFF_CAP_S, 10.0 * 2 ** min(t.attempt, 16))
    ]
    attempts = [t.attempt for t in errors]
    if bad or attempts != list(range(1, len(attempts) + 1)) or max(attempts, default=0) < 5:
        return Verdict.violated(
            "delays_grow_and_cap",
            f"while the link was down: attempts {attempts}, out-of-bounds delays {bad}",
            attempts=attempts,
            out_of_bounds=bad,
        )
    return Verdict.ok(
        "delays_grow_and_cap",
        f"{len(errors)} failures, attempts 1..{attempts[-1]}, delays within [10 s, min(300 s, 10 s*2^n)]",
    )


def _resets(ticks: list[Tick]) -> Verdict:
    back = _windows_ticks(ticks, DOWN[0][1] or 0.0, DOWN[1][0])
    again = [t for t in _windows_ticks(ticks, DOWN[1][0], DOWN[1][1]) if t.outcome == "error"]
    first_ok = next((t for t in back if t.outcome == "ok"), None)
    problems = []
    if first_ok is None or first_ok.attempt != 0:
        problems.append(
            f"first success after the link returned left the counter at {first_ok.attempt if first_ok else 'n/a'}"
        )
    if not again or again[0].attempt != 1:
        problems.append(
            f"the next failure counted as attempt {again[0].attempt if again else 'n/a'}, not 1"
        )
    if problems:
        return Verdict.violated(
            "reset_on_success",
            "; ".join(problems),
            after_restore=[t.__dict__ for t in back[:3]],
            next_failures=[t.__dict__ for t in again[:3]],
        )
    return Verdict.ok(
        "reset_on_success", "first success reset the counter; the next failure was attempt 1"
    )


@scenario(FIX, variants=("prefix", "fixed"))
def test_poll_loop_through_cut_link(ctx, pg_database_factory, proxied) -> None:
    """The agent's loop polls a real server through a link the proxy cuts and restores."""
    db = agtdb.fresh(pg_database_factory)
    dep = agtdb.deployment("AGT-1", "fixed")
    agent, _ = agtdb.registered_agent(str(db.dsn), dep)
    server_dep = Deployment(agtdb.SIGNING_KEY, clock=SystemClock())
    history = History()
    with Server(App(str(db.dsn), server_dep, LocalLimiter(10_000, 60.0, SystemClock()))) as server:
        link = proxied(server.host, server.port)
        client = Client(link.host, link.port, timeout_s=1.0)
        client.agent_id, client.access_token = agent, http_servers.access_token(agent)
        clock, stop = ManualClock(), threading.Event()
        shutdown: dict[str, float] = {}

        def fault(action: str, at: float):
            def fire() -> None:
                history.fault(action, {"at_s": at})
                if action == "cut":
                    link.cut()
                elif action == "restore":
                    link.restore()
                else:
                    shutdown["at_s"] = at
                    shutdown["wall"] = time.perf_counter()
                    stop.set()

            return fire

        for start, end in DOWN:
            clock.call_later(start, fault("cut", start)) if start else link.cut()
            if start == 0.0:
                history.fault("cut", {"at_s": 0.0})
            if end is not None:
                clock.call_later(end, fault("restore", end))
        clock.call_later(SHUTDOWN_AT, fault("shutdown", SHUTDOWN_AT))
        t0 = clock.now()
        loop = PollLoop(
            client.poll,
            clock,
            random.Random(ctx.seed),
            60.0,
            stop=stop,
            variants=Variants.only(FIX, ctx.variant),
        )
        loop.run(max_turns=500)
        ended_at = (clock.now() - t0).total_seconds()
        wall_lag = time.perf_counter() - shutdown.get("wall", time.perf_counter())
        link.restore()
    history.snapshot("ticks", [t.__dict__ for t in loop.ticks])
    lag = ended_at - shutdown.get("at_s", float("inf"))
    in_backoff = [t for t in loop.ticks if t.at_s <= SHUTDOWN_AT][-1]
    prompt = (
        Verdict.ok(
            "prompt_shutdown",
            f"returned {lag:.3f} s (virtual), {wall_lag:.3f} s (wall) after shutdown, mid-backoff of {in_backoff.delay_s:.0f} s",
        )
        if lag < 1.0 and wall_lag < 1.0
        else Verdict.violated(
            "prompt_shutdown",
            f"returned {lag:.1f} s after shutdown: the {in_backoff.delay_s:.0f} s backoff ran to its end",
            virtual_lag_s=lag,
            wall_lag_s=wall_lag,
        )
    )
    cases = {
        "link_down:delays_grow_and_cap": _grow_and_cap(loop.ticks),
        "link_back:first_success_resets": _resets(loop.ticks),
        "link_down_again:shutdown_mid_backoff": prompt,
    }
    for case, verdict in cases.items():
        if ctx.selected(case):
            ctx.record(
                case,
                verdict,
                history=history,
                detail={"turns": len(loop.ticks), "timeline": DOWN, "shutdown_at_s": SHUTDOWN_AT},
            )
    ctx.explored(
        turns=len(loop.ticks),
        faults=["cut", "restore", "cut", "restore", "cut", "shutdown"],
        injected_clock=True,
    )
