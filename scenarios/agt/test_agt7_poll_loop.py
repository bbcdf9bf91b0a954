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

from harness.checkers import Check
from harness.crash import explore_named
from harness.history import History
from harness.scenario import scenario
from reference_impl.agt import Deployment, ManualClock, SystemClock, Variants
from reference_impl.agt.agent_loop import PollLoop
from reference_impl.agt.client import Client
from reference_impl.agt.ratelimit import LocalLimiter
from reference_impl.agt.server import App, Server
from scenarios.agt import agtdb, checks_agent, http_servers

assert checks_agent  # registers the agt.* agent-side checkers

FIX = "AGT-7"
DOWN: list[tuple[float, float | None]] = [(0.0, 2000.0), (2300.0, 2900.0), (3300.0, None)]
SHUTDOWN_AT = 5000.0


@scenario(FIX, variants=("prefix", "fixed"))
def test_poll_loop_through_cut_link(ctx, pg_database_factory, proxied) -> None:
    """The agent's loop polls a real server through a link the proxy cuts and restores."""
    db = agtdb.fresh(pg_database_factory)
    dep = agtdb.deployment("AGT-1", "fixed")
    agent, _ = agtdb.registered_agent(str(db.dsn), dep)
    server_dep = Deployment(agtdb.SIGNING_KEY, clock=SystemClock())
    recorded: list[History] = []

    def run_loop(steps) -> None:
        """One run of the loop serves the three cases: each gets its record."""
        if recorded:
            for op in recorded[0]:
                steps.history.add(op)
            steps.history.snapshot("ticks", recorded[0].snapshots["ticks"])
            return
        with Server(
            App(str(db.dsn), server_dep, LocalLimiter(10_000, 60.0, SystemClock()))
        ) as server:
            link = proxied(server.host, server.port)
            steps.run("agent", _loop(ctx, link, agent, steps), f="poll_loop")
        recorded.append(steps.history)

    explore_named(
        ctx,
        dict.fromkeys(
            (
                "link_down:delays_grow_and_cap",
                "link_back:first_success_resets",
                "link_down_again:shutdown_mid_backoff",
            ),
            run_loop,
        ),
        checks={
            "link_down:delays_grow_and_cap": [Check("agt.delays_grow_and_cap", down=list(DOWN[0]))],
            "link_back:first_success_resets": [
                Check(
                    "agt.first_success_resets",
                    back=[DOWN[0][1], DOWN[1][0]],
                    down_again=list(DOWN[1]),
                )
            ],
            "link_down_again:shutdown_mid_backoff": [Check("agt.prompt_shutdown", f="poll_loop")],
        },
    )
    ctx.explored(
        turns=len(recorded[0].snapshots["ticks"]) if recorded else 0,
        faults=["cut", "restore", "cut", "restore", "cut", "shutdown"],
        injected_clock=True,
    )


def _loop(ctx, link, agent: str, steps):
    """The loop on an injected clock, the link cut and restored at virtual instants."""

    def run() -> dict:
        client = Client(link.host, link.port, timeout_s=1.0)
        client.agent_id, client.access_token = agent, http_servers.access_token(agent)
        clock, stop = ManualClock(), threading.Event()
        shutdown: dict[str, float] = {}

        def fault(action: str, at: float):
            def fire() -> None:
                steps.history.fault(action, {"at_s": at})
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
            if start:
                clock.call_later(start, fault("cut", start))
            else:
                fault("cut", 0.0)()
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
        try:
            loop.run(max_turns=500)
        finally:
            link.restore()
        steps.history.snapshot("ticks", [dict(t.__dict__) for t in loop.ticks])
        in_backoff = [t for t in loop.ticks if t.at_s <= SHUTDOWN_AT][-1]
        return {
            "virtual_lag_s": (clock.now() - t0).total_seconds()
            - shutdown.get("at_s", float("inf")),
            "wall_s": time.perf_counter() - shutdown.get("wall", time.perf_counter()),
            "sleep_in_progress_s": in_backoff.delay_s,
            "turns": len(loop.ticks),
        }

    return run
