"""The agent-side AGT invariants (AGT-5 rate limit, AGT-6 jitter, AGT-7 backoff and poll
loop) as registered checkers: pure functions of the record.

Bounds are FIXES.md's, written here: backoff base 10 s, cap 300 s; jitter cap
min(interval / 2, 30 s); a shutdown ends the loop within 1 s.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checkers import register
from harness.history import History, Op, OpType
from harness.verdict import Verdict

BACKOFF_BASE_S = 10.0
BACKOFF_CAP_S = 300.0
PROMPT_SHUTDOWN_S = 1.0
JITTER_CAP_S = 30.0


def _last_ok(history: History, f: str) -> Op:
    done = [op for op in history if op.f == f and op.type is not OpType.INVOKE]
    if not done:
        raise LookupError(f"no {f!r} op in the record")
    return done[-1]


def _h(*ops: tuple[str, str, str, Any], **snapshots: Any) -> dict[str, Any]:
    return {
        "schema": 1,
        "ops": [
            {"index": i, "process": p, "type": t, "f": f, "value": v, "time_ns": i * 10**6}
            for i, (p, t, f, v) in enumerate(ops)
        ],
        "snapshots": snapshots,
        "meta": {},
    }


@register(
    "agt.jitter_capped",
    example={"cap": 2.5},
    examples=[
        (_h(("a", "ok", "jitter_draws", {"cap": 2.5, "worst": 2.4})), {"cap": 2.5}, "valid"),
        (_h(("a", "ok", "jitter_draws", {"cap": 5.0, "worst": 4.9})), {"cap": 2.5}, "invalid"),
    ],
)
def jitter_capped(history: History, *, cap: float) -> Verdict:
    """The code's jitter cap is ``cap`` and its largest draw stays under it."""
    got = _last_ok(history, "jitter_draws").value
    if got["cap"] == cap and got["worst"] <= cap:
        return Verdict.ok(
            "agt.jitter_capped", f"cap {got['cap']} s, largest of the draws {got['worst']:.2f} s"
        )
    return Verdict.violated(
        "agt.jitter_capped",
        f"cap {got['cap']} s (want {cap} s), largest draw {got['worst']:.2f} s",
        cap_s=got["cap"],
        want_cap_s=cap,
        largest_draw_s=got["worst"],
    )


@register(
    "agt.delay_in_bounds",
    examples=[
        (_h(("a", "ok", "backoff_delay", 250.0)), {}, "valid"),
        (_h(("a", "info", "backoff_delay", None)), {}, "invalid"),
        (_h(("a", "ok", "backoff_delay", 1e9)), {}, "invalid"),
    ],
)
def delay_in_bounds(history: History) -> Verdict:
    """The backoff delay computed is in [10 s, 300 s] (no overflow at a huge attempt count)."""
    op = _last_ok(history, "backoff_delay")
    if op.type is not OpType.OK:
        return Verdict.violated("agt.delay_in_bounds", f"the delay overflows: {op.error}")
    if BACKOFF_BASE_S <= op.value <= BACKOFF_CAP_S:
        return Verdict.ok("agt.delay_in_bounds", f"delay {op.value:.1f} s")
    return Verdict.violated("agt.delay_in_bounds", f"delay {op.value} s", delay_s=op.value)


_PROMPT = {"virtual_lag_s": 0.1, "wall_s": 0.01, "sleep_in_progress_s": 300.0}
_LATE = {"virtual_lag_s": 250.0, "wall_s": 0.01, "sleep_in_progress_s": 300.0}


@register(
    "agt.prompt_shutdown",
    example={"f": "poll_loop"},
    examples=[
        (_h(("a", "ok", "poll_loop", _PROMPT)), {"f": "poll_loop"}, "valid"),
        (_h(("a", "ok", "poll_loop", _LATE)), {"f": "poll_loop"}, "invalid"),
    ],
)
def prompt_shutdown(history: History, *, f: str = "poll_loop") -> Verdict:
    """A shutdown mid-backoff ends the loop within a second, virtual and wall-clock."""
    run = _last_ok(history, f).value
    lag, wall, sleeping = run["virtual_lag_s"], run["wall_s"], run["sleep_in_progress_s"]
    if lag < PROMPT_SHUTDOWN_S and wall < PROMPT_SHUTDOWN_S:
        return Verdict.ok(
            "agt.prompt_shutdown",
            f"returned {lag:.3f} s (virtual), {wall:.3f} s (wall) after shutdown, "
            f"mid-backoff of {sleeping:.0f} s",
        )
    return Verdict.violated(
        "agt.prompt_shutdown",
        f"returned {lag:.1f} s after shutdown: the {sleeping:.0f} s backoff ran to its end",
        **run,
    )


def _window(ticks: list[dict[str, Any]], start: float, end: float | None) -> list[dict[str, Any]]:
    return [t for t in ticks if t["at_s"] >= start and (end is None or t["at_s"] < end)]


def _ticks(*rows: tuple[float, str, int, float]) -> list[dict[str, Any]]:
    return [{"at_s": a, "outcome": o, "attempt": n, "delay_s": d} for a, o, n, d in rows]


_GROWS = _ticks(*[(i * 10.0, "error", i + 1, min(300.0, 10.0 * 2 ** (i + 1))) for i in range(6)])


@register(
    "agt.delays_grow_and_cap",
    example={"down": [0.0, 2000.0]},
    examples=[
        (_h(ticks=_GROWS), {"down": [0.0, 2000.0]}, "valid"),
        (_h(ticks=_GROWS[:3]), {"down": [0.0, 2000.0]}, "invalid"),
        (_h(ticks=_ticks((0.0, "error", 1, 5.0))), {"down": [0.0, 2000.0]}, "invalid"),
    ],
)
def delays_grow_and_cap(history: History, *, down: list[float]) -> Verdict:
    """While the link is down: attempts 1, 2, ... (at least 5), each delay within
    [10 s, min(300 s, 10 s * 2^n)]."""
    errors = [
        t for t in _window(history.snapshots["ticks"], down[0], down[1]) if t["outcome"] == "error"
    ]
    bad = [
        (t["attempt"], round(t["delay_s"], 1))
        for t in errors
        if not BACKOFF_BASE_S
        <= t["delay_s"]
        <= min(BACKOFF_CAP_S, 10.0 * 2 ** min(t["attempt"], 16))
    ]
    attempts = [t["attempt"] for t in errors]
    if bad or attempts != list(range(1, len(attempts) + 1)) or max(attempts, default=0) < 5:
        return Verdict.violated(
            "agt.delays_grow_and_cap",
            f"while the link was down: attempts {attempts}, out-of-bounds delays {bad}",
            attempts=attempts,
            out_of_bounds=bad,
        )
    return Verdict.ok(
        "agt.delays_grow_and_cap",
        f"{len(errors)} failures, attempts 1..{attempts[-1]}, delays within [10 s, min(300 s, 10 s*2^n)]",
    )


_RESET = _ticks((10.0, "ok", 0, 60.0), (20.0, "error", 1, 10.0))
_NO_RESET = _ticks((10.0, "ok", 3, 60.0), (20.0, "error", 4, 80.0))


@register(
    "agt.first_success_resets",
    example={"back": [0.0, 15.0], "down_again": [15.0, 30.0]},
    examples=[
        (_h(ticks=_RESET), {"back": [0.0, 15.0], "down_again": [15.0, 30.0]}, "valid"),
        (_h(ticks=_NO_RESET), {"back": [0.0, 15.0], "down_again": [15.0, 30.0]}, "invalid"),
    ],
)
def first_success_resets(
    history: History, *, back: list[float], down_again: list[float]
) -> Verdict:
    """The first success once the link is back resets the counter; the next failure is attempt 1."""
    ticks = history.snapshots["ticks"]
    came_back = _window(ticks, back[0], back[1])
    again = [t for t in _window(ticks, down_again[0], down_again[1]) if t["outcome"] == "error"]
    first_ok = next((t for t in came_back if t["outcome"] == "ok"), None)
    problems = []
    if first_ok is None or first_ok["attempt"] != 0:
        left = first_ok["attempt"] if first_ok else "n/a"
        problems.append(f"first success after the link returned left the counter at {left}")
    if not again or again[0]["attempt"] != 1:
        problems.append(
            f"the next failure counted as attempt {again[0]['attempt'] if again else 'n/a'}, not 1"
        )
    if problems:
        return Verdict.violated(
            "agt.first_success_resets",
            "; ".join(problems),
            after_restore=came_back[:3],
            next_failures=again[:3],
        )
    return Verdict.ok(
        "agt.first_success_resets",
        "first success reset the counter; the next failure was attempt 1",
    )


def _poll(who: str, server: int, status: str = "ok") -> list[tuple[str, str, str, Any]]:
    value = {"server": server, "limiter": "redis"} if status == "ok" else {"server": server}
    return [(who, "invoke", "poll", {"server": server}), (who, status, "poll", value)]


_LIMITED = [op for i in range(7) for op in _poll("noisy", i % 3, "ok" if i < 5 else "fail")]
_LIMITED += _poll("quiet", 0)
_OVER = [op for i in range(7) for op in _poll("noisy", 0)] + _poll("quiet", 0)
_RL = {"limit": 5, "quiet": 1}


@register(
    "agt.rate_limit",
    example={"limit": 5, "quiet": 3},
    examples=[
        (_h(*_LIMITED), _RL, "valid"),
        (_h(*_OVER), _RL, "invalid"),
        (_h(*_OVER), {**_RL, "per_process": True}, "invalid"),
    ],
)
def rate_limit(
    history: History,
    *,
    limit: int,
    quiet: int,
    per_process: bool = False,
    prompt_s: float = 3.0,
) -> Verdict:
    """The noisy agent is served exactly ``limit`` times across processes (``per_process``:
    at most ``limit`` by each, the outage policy); the quiet one all ``quiet`` polls; every
    answer within ``prompt_s``."""
    served: Counter[tuple[str, int]] = Counter()
    slowest = 0.0
    invoked: dict[str, Op] = {}
    for op in history:
        if op.f != "poll":
            continue
        if op.type is OpType.INVOKE:
            invoked[op.process] = op
            continue
        start = invoked.pop(op.process, None)
        if start is not None:
            slowest = max(slowest, (op.time_ns - start.time_ns) / 1e9)
        if op.type is OpType.OK:
            served[(op.process, int(op.value["server"]))] += 1
    noisy = sum(n for (who, _), n in served.items() if who == "noisy")
    quiet_served = sum(n for (who, _), n in served.items() if who == "quiet")
    problems, evidence = [], {}
    if per_process:
        over = {s: n for (who, s), n in served.items() if who == "noisy" and n > limit}
        if over:
            problems.append(
                f"servers {sorted(over)} let the noisy agent poll {over} times (limit {limit} each)"
            )
            evidence["served_per_server"] = {str(k): v for k, v in over.items()}
    elif noisy != limit:
        problems.append(f"noisy agent served {noisy} times across processes (limit {limit})")
        evidence["served"] = noisy
    if quiet_served != quiet:
        problems.append(f"quiet agent served {quiet_served} of {quiet}")
    if slowest >= prompt_s:
        problems.append(f"an answer took {slowest:.2f} s")
    if problems:
        return Verdict.violated("agt.rate_limit", "; ".join(problems), **evidence)
    return Verdict.ok(
        "agt.rate_limit",
        f"noisy agent served {noisy} (limit {limit}{' per process' if per_process else ''}), "
        f"quiet {quiet_served} of {quiet}, slowest answer {slowest:.2f} s",
    )
