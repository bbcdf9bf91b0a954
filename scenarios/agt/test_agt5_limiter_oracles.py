"""AGT-5 oracles: the limiter's decisions at the edges of its window, in the shared store
and in the per-process fallback, and what an unreachable store costs (issue 13).

Expected values come from the statement of the policy (reference: the module
docstring of the limiter, restated here as numbers): a sliding window of
``WINDOW_S`` holding at most ``LIMIT`` polls per agent; a refused poll says how
long until the oldest poll in the window leaves it; a poll exactly one window
after the oldest is allowed again, a millisecond before it is not. When Redis
is unreachable each check falls back to the local window, is counted in
``store_errors`` once, and costs one timeout of 0.25 s, no more: tried with a
reply the store never sends (a black-holed link) and with a connect that never
completes (an address whose accept queue is full); a reply late by less than
the timeout is still the store's decision (the other side of the bound). Time
is injected (ManualClock); only the outage cases read the wall clock.
The pre-fix server has no limiter (``NoLimiter``): every case catches it.
"""

from __future__ import annotations

import functools
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from urllib.parse import urlsplit

import redis

from harness.checkers import Check
from harness.crash import explore_named, run_case
from harness.proxy.unanswered import unanswered_connect
from harness.scenario import scenario
from reference_impl.agt import ManualClock
from reference_impl.agt.ratelimit import LocalLimiter, NoLimiter, RedisLimiter
from scenarios.agt import expect_checks
from scenarios.agt.oracles import T0

FIX = "AGT-5"
LIMIT, WINDOW_S = 3, 10.0
#: (seconds after T0, allowed, retry_after_s): three polls fill the window; refused until
#: the first leaves it at exactly 10 s; then the one at 1 s holds the next edge.
SCHEDULE = [
    (0.0, True, 0.0),
    (1.0, True, 0.0),
    (2.0, True, 0.0),
    (5.0, False, 5.0),
    (9.999, False, 0.001),
    (10.0, True, 0.0),
    (10.5, False, 0.5),
    (11.0, True, 0.0),
]
OUTAGE_CHECKS = 3
STORE_TIMEOUT_S = 0.25  # the stated timeout of each Redis call, connect and reply alike
PROMPT_S = 1.0  # well above one timeout, below the 1.25 s a slower timeout would take
SLOW_REPLY_MS = 50  # a reply this late is still inside the timeout: the store decides
CHECK_TIMEOUT_S = 10.0
assert expect_checks  # registers agt.step_is


def _decisions(make: Any) -> list[list[Any]]:
    clock = ManualClock(T0)
    limiter = make(clock)
    out, now = [], 0.0
    for at, _allowed, _retry in SCHEDULE:
        clock.advance(at - now)
        now = at
        d = limiter.check("agent-a")
        out.append([at, d.allowed, round(d.retry_after_s, 3)])
    other = limiter.check("agent-b")  # another agent's window is its own
    out.append(["agent-b", other.allowed, round(other.retry_after_s, 3)])
    return out


EXPECTED = [[at, allowed, retry] for at, allowed, retry in SCHEDULE] + [["agent-b", True, 0.0]]


def _local_decisions(prefix: bool) -> list[list[Any]]:
    """The local window's decisions (run in a child: a check that never returns is killed
    at the case's timeout and says so, instead of hanging the scenario)."""
    if prefix:
        return _decisions(lambda clock: NoLimiter())
    return _decisions(functools.partial(LocalLimiter, LIMIT, WINDOW_S))


def _in_child(op: Any) -> Any:
    run = run_case(op, timeout_s=CHECK_TIMEOUT_S, record_as=None)
    if run.timed_out:
        return f"no answer within {CHECK_TIMEOUT_S} s"
    if run.error is not None:
        raise RuntimeError(run.error)
    return run.value


def _checks_during(limiter: RedisLimiter, fault: AbstractContextManager[Any]) -> dict[str, Any]:
    """``OUTAGE_CHECKS`` polls while ``fault`` holds: their decisions, the store errors counted,
    and what they cost. A timeout never fires early, so a poll that tried the store twice
    took at least two timeouts: the fastest poll says how many each one cost."""
    took, sources = [], []
    try:
        with fault:
            for _ in range(OUTAGE_CHECKS):
                t0 = time.perf_counter()
                d = limiter.check("agent-a")
                took.append(time.perf_counter() - t0)
                sources.append([d.allowed, d.source])
    finally:
        limiter.client.close()
    return {
        "decisions": sources,
        "store_errors": limiter.store_errors,
        "one_timeout_each": min(took) < 2 * STORE_TIMEOUT_S,
        "prompt": max(took) < PROMPT_S,
    }


def _limiter(url: str) -> RedisLimiter:
    # A limit far above the polls made here: every request that reaches the store records.
    limiter = RedisLimiter.from_url(url, 100, WINDOW_S, ManualClock(T0))
    limiter.check("agent-a")  # the store reachable: its script is loaded, one poll recorded
    return limiter


def _reply_never_comes(url: str, link: Any) -> dict[str, Any]:
    """The store takes each request and never answers (a black-holed reply)."""
    return _checks_during(_limiter(url), link.blackholed())


def _reply_late(url: str, link: Any) -> dict[str, Any]:
    """Each reply comes ``SLOW_REPLY_MS`` late: inside the timeout, so the store decides."""
    return _checks_during(_limiter(url), link.toxic("latency", latency=SLOW_REPLY_MS))


def _connect_hangs() -> dict[str, Any]:
    """The store's address never completes a connect (its SYNs are dropped)."""
    with unanswered_connect() as (host, port):
        limiter = RedisLimiter.from_url(f"redis://{host}:{port}/0", 100, WINDOW_S, ManualClock(T0))
        return _checks_during(limiter, nullcontext())


@scenario(FIX, variants=("prefix", "fixed"))
def test_limiter_window_edges(ctx, redis_db, redis_link) -> None:
    """Both limiters decide the same at the window's edges (allowed again exactly one window
    after the oldest poll, refused a millisecond before, with the exact wait); a store whose
    reply never comes or whose connect hangs is given up after one timeout per check (the
    poll falls back, one error counted); a reply inside the timeout is still the store's."""
    proxied = urlsplit(redis_db.url)._replace(netloc=f"{redis_link.host}:{redis_link.port}")
    prefix = ctx.variant == "prefix"

    def local(steps) -> None:
        steps.run(
            "limiter", functools.partial(_in_child, functools.partial(_local_decisions, prefix))
        )

    def shared(steps) -> None:
        client = redis.Redis.from_url(redis_db.url)
        try:
            make = (
                (lambda clock: NoLimiter())
                if prefix
                else functools.partial(RedisLimiter, client, LIMIT, WINDOW_S)
            )
            steps.run("limiter", functools.partial(_decisions, make))
        finally:
            client.close()

    def outage(op: Any) -> Any:
        def case(steps) -> None:
            if prefix:
                steps.run("limiter", lambda: {"decisions": [], "store_errors": 0})
                return
            steps.run("limiter", op)

        return case

    url = proxied.geturl()
    window = [Check("agt.step_is", process="limiter", want="ok", value=EXPECTED)]

    def costs(decisions: list[list[Any]], errors: int) -> list[Check]:
        value = {
            "decisions": decisions,
            "store_errors": errors,
            "one_timeout_each": True,
            "prompt": True,
        }
        return [Check("agt.step_is", process="limiter", want="ok", value=value)]

    explore_named(
        ctx,
        {
            "local_window": local,
            "redis_window": shared,
            "store_reply_late": outage(functools.partial(_reply_late, url, redis_link)),
            "store_reply_never": outage(functools.partial(_reply_never_comes, url, redis_link)),
            "store_connect_hangs": outage(_connect_hangs),
        },
        checks={
            "local_window": window,
            "redis_window": window,
            "store_reply_late": costs([[True, "redis"]] * OUTAGE_CHECKS, 0),
            "store_reply_never": costs([[True, "local"]] * OUTAGE_CHECKS, OUTAGE_CHECKS),
            "store_connect_hangs": costs([[True, "local"]] * OUTAGE_CHECKS, OUTAGE_CHECKS),
        },
    )
