"""The AGT invariants of FIXES.md as registered checkers: pure functions of a case's record.

A record is the case's history (the ops, each recovery step among them), its
snapshots of the database (``after_fault``, ``after_recovery``; ``final`` for races)
and its facts (``meta["facts"]``: what the reset created, e.g. the command ids).
``stage`` names the snapshot a check judges; history checks "as of" a stage see
only the ops recorded before that snapshot. Limits come from FIXES.md, written
here, never read from reference_impl. Each checker's ``examples`` are its
conformance cases (tests/agt/test_checks.py runs them).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checkers import register
from harness.history import History, OpType
from harness.verdict import Verdict

State = dict[str, list[dict[str, Any]]]
#: FIXES.md AGT-3: a never-acknowledged command is re-delivered at most 5 times.
RETRY_LIMIT = 5


def _state(history: History, stage: str) -> State:
    return history.snapshots[stage]  # a missing snapshot raises: UNKNOWN, never a pass


def _facts(history: History) -> dict[str, Any]:
    return dict(history.meta.get("facts") or {})


def _as_of(history: History, stage: str | None) -> History:
    return history if stage is None else history.upto(stage)


def _delivered(history: History, f: str = "poll_op", exclude: tuple[str, ...] = ()) -> list[int]:
    return [
        int(cid)
        for op in history
        if op.type is OpType.OK and op.f == f and op.process not in exclude
        for cid in op.value or []
    ]


def _hist(ops: list[tuple[str, str, str, Any]], **snapshots: Any) -> dict[str, Any]:
    """A history as JSON for the conformance examples: (process, type, f, value) per op;
    ``facts=`` goes to the meta, every other keyword is a snapshot."""
    facts = snapshots.pop("facts", None)
    return {
        "schema": 1,
        "ops": [
            {"index": i, "process": p, "type": t, "f": f, "value": v}
            for i, (p, t, f, v) in enumerate(ops)
        ],
        "snapshots": snapshots,
        "meta": {} if facts is None else {"facts": facts},
    }


_AGENT_OK = {
    "agents": [{"id": "a1"}],
    "registration_tokens": [{"id": 1, "used_at": "t", "used_by_agent": "a1"}],
    "refresh_tokens": [{"agent_id": "a1", "expires_at": "2", "revoked_at": None}],
    "commands": [],
}
_ORPHAN = {**_AGENT_OK, "registration_tokens": [{"id": 1, "used_at": None, "used_by_agent": None}]}


def _states(stage: str, good: Any, bad: Any, **facts: Any) -> list[Any]:
    """Two conformance examples of a check of snapshot ``stage``: ``good`` holds, ``bad`` not."""
    params = {"stage": stage}
    return [
        (_hist([], **{stage: good}, facts=facts), params, "valid"),
        (_hist([], **{stage: bad}, facts=facts), params, "invalid"),
    ]


@register(
    "agt.registration_all_or_nothing",
    example={"stage": "after_fault"},
    examples=_states("after_fault", _AGENT_OK, _ORPHAN),
)
def registration_all_or_nothing(history: History, *, stage: str = "after_fault") -> Verdict:
    """Every agent came with a consumed token and a refresh token; every consumed token has its agent."""
    state = _state(history, stage)
    agents = {a["id"] for a in state["agents"]}
    consumed = [t for t in state["registration_tokens"] if t["used_at"] is not None]
    by_token = {t["used_by_agent"] for t in consumed}
    refresh = Counter(r["agent_id"] for r in state["refresh_tokens"])
    orphans = sorted(a for a in agents if a not in by_token)
    no_refresh = sorted(a for a in agents if refresh[a] == 0)
    dangling = [t for t in consumed if t["used_by_agent"] not in agents]
    if orphans or no_refresh or dangling:
        parts = []
        if orphans:
            parts.append(f"{len(orphans)} agent(s) with no consumed token (orphans)")
        if no_refresh:
            parts.append(f"{len(no_refresh)} agent(s) with no refresh token")
        if dangling:
            parts.append(f"{len(dangling)} token(s) consumed with no agent")
        return Verdict.violated(
            "agt.registration_all_or_nothing",
            f"{stage}: " + "; ".join(parts),
            orphan_agents=orphans,
            agents_without_refresh=no_refresh,
            consumed_without_agent=dangling,
            rows=state,
        )
    return Verdict.ok(
        "agt.registration_all_or_nothing",
        f"{stage}: {len(agents)} agent(s), {len(consumed)} consumed token(s), all complete",
    )


def _win(agent: str, recovered: bool = False) -> tuple[str, str, str, Any]:
    return ("a", "ok", "register_op", {"agent_id": agent, "recovered": recovered})


@register(
    "agt.single_winner",
    examples=[
        (_hist([_win("x"), _win("x", True)]), {}, "valid"),
        (_hist([_win("x"), _win("y")]), {}, "invalid"),
    ],
)
def single_winner(history: History, *, stage: str | None = None, f: str = "register_op") -> Verdict:
    """Of the registrations with one token, at most one created an agent (a recovery is not a win)."""
    wins = [
        op.value
        for op in _as_of(history, stage)
        if op.type is OpType.OK
        and op.f == f
        and isinstance(op.value, dict)
        and not op.value.get("recovered")
    ]
    agents = {w["agent_id"] for w in wins}
    if len(agents) > 1:
        return Verdict.violated(
            "agt.single_winner",
            f"one registration token created {len(agents)} agents",
            agents=sorted(agents),
        )
    return Verdict.ok("agt.single_winner", f"{len(agents)} winning registration(s)")


_REVOKED_EXTENDED = {
    **_AGENT_OK,
    "refresh_tokens": [{"agent_id": "a1", "expires_at": "2026-05", "revoked_at": "2026-04"}],
}


@register(
    "agt.never_revoked_and_extended",
    example={"stage": "final"},
    examples=_states("final", _AGENT_OK, _REVOKED_EXTENDED),
)
def never_revoked_and_extended(history: History, *, stage: str = "final") -> Verdict:
    """No refresh token is both revoked and extended past its revocation."""
    bad = [
        t
        for t in _state(history, stage)["refresh_tokens"]
        if t["revoked_at"] is not None and t["expires_at"] > t["revoked_at"]
    ]
    if bad:
        return Verdict.violated(
            "agt.never_revoked_and_extended",
            f"{stage}: {len(bad)} refresh token(s) revoked and extended past the revocation",
            tokens=bad,
        )
    return Verdict.ok(
        "agt.never_revoked_and_extended", f"{stage}: no token both revoked and extended"
    )


@register(
    "agt.recovery_completes",
    examples=[
        (_hist([("retry", "invoke", "op", None), ("retry", "ok", "op", 1)]), {}, "valid"),
        (_hist([("retry", "invoke", "op", None), ("retry", "info", "op", None)]), {}, "invalid"),
        (_hist([]), {}, "invalid"),
    ],
)
def recovery_completes(history: History, *, process: str = "retry") -> Verdict:
    """The last operation of ``process`` (a recovery step) completed ``ok``."""
    done = [op for op in history if op.process == process and op.type is not OpType.INVOKE]
    if not done or done[-1].type is not OpType.OK:
        last = done[-1] if done else None
        return Verdict.violated(
            "agt.recovery_completes",
            f"{process} did not complete: {last.error if last else 'no completion'}",
            op=last.to_json() if last else None,
        )
    return Verdict.ok("agt.recovery_completes", f"{process} completed")


def _cmds(*rows: tuple[int, str, Any]) -> State:
    return {
        "commands": [{"id": i, "status": s, "expires_at": e, "retry_count": 0} for i, s, e in rows]
    }


@register(
    "agt.no_expired_delivery",
    example={"stage": "final"},
    examples=[
        (
            _hist(
                [("a", "ok", "poll_op", [1])], final=_cmds((1, "sent", None), (2, "pending", "t"))
            ),
            {"stage": "final"},
            "valid",
        ),
        (
            _hist([("a", "ok", "poll_op", [2])], final=_cmds((1, "sent", None), (2, "sent", "t"))),
            {"stage": "final"},
            "invalid",
        ),
    ],
)
def no_expired_delivery(history: History, *, stage: str = "final", f: str = "poll_op") -> Verdict:
    """No command with an expiry (the scenarios' only expiring ones are already past it) is delivered."""
    expired = {c["id"] for c in _state(history, stage)["commands"] if c["expires_at"] is not None}
    bad = sorted(set(_delivered(_as_of(history, stage), f)) & expired)
    if bad:
        return Verdict.violated(
            "agt.no_expired_delivery", f"{stage}: expired command(s) {bad} delivered", ids=bad
        )
    return Verdict.ok("agt.no_expired_delivery", f"{stage}: no expired command delivered")


@register(
    "agt.pending_delivered_next",
    examples=[
        (
            _hist(
                [("retry", "ok", "poll_op", [1])],
                after_fault=_cmds((1, "pending", None)),
                facts={"ids": [1]},
            ),
            {},
            "valid",
        ),
        (
            _hist(
                [("retry", "ok", "poll_op", [])],
                after_fault=_cmds((1, "pending", None)),
                facts={"ids": [1]},
            ),
            {},
            "invalid",
        ),
    ],
)
def pending_delivered_next(
    history: History, *, late: str = "after_lease", f: str = "poll_op"
) -> Verdict:
    """What the fault left pending (of the case's commands) was delivered within the lease
    (by the next poll), not only by the ``late`` poll after it."""
    ids = set(_facts(history)["ids"])
    pending = [
        c["id"]
        for c in _state(history, "after_fault")["commands"]
        if c["status"] == "pending" and c["id"] in ids
    ]
    missing = sorted(set(pending) - set(_delivered(history, f, exclude=(late,))))
    if missing:
        return Verdict.violated(
            "agt.pending_delivered_next",
            f"after recovery: command(s) {missing} left pending were not delivered by the next poll",
            missing=missing,
        )
    return Verdict.ok(
        "agt.pending_delivered_next", "what the fault left pending went to the next poll"
    )


@register(
    "agt.all_delivered",
    examples=[
        (_hist([("a", "ok", "poll_op", [1, 2])], facts={"ids": [1, 2]}), {}, "valid"),
        (_hist([("a", "ok", "poll_op", [1])], facts={"ids": [1, 2]}), {}, "invalid"),
    ],
)
def all_delivered(history: History, *, f: str = "poll_op") -> Verdict:
    """Every command of the case reached the agent (after recovery and the lease, at the latest)."""
    never = sorted(set(_facts(history)["ids"]) - set(_delivered(history, f)))
    if not never:
        return Verdict.ok("agt.all_delivered", "every command delivered")
    rows = history.snapshots.get("after_recovery", {}).get("commands")
    why = f"after recovery: command(s) {never} never delivered, even after the lease"
    return Verdict.violated("agt.all_delivered", why, missing=never, rows=rows)


@register(
    "agt.none_lost",
    example={"stage": "final"},
    examples=[
        (
            _hist(
                [("a", "ok", "poll_op", [1])], final=_cmds((1, "sent", None), (2, "pending", None))
            ),
            {"stage": "final"},
            "valid",
        ),
        (_hist([], final=_cmds((1, "sent", None))), {"stage": "final"}, "invalid"),
    ],
)
def none_lost(history: History, *, stage: str = "final", f: str = "poll_op") -> Verdict:
    """Every command is either delivered (returned to a poller) or still pending."""
    state = _state(history, stage)
    delivered = set(_delivered(history, f))
    lost = [c for c in state["commands"] if c["id"] not in delivered and c["status"] != "pending"]
    if lost:
        return Verdict.violated(
            "agt.none_lost",
            f"{len(lost)} command(s) marked {sorted({c['status'] for c in lost})} but never delivered",
            lost=lost,
        )
    return Verdict.ok("agt.none_lost", f"{len(state['commands'])} command(s), none lost")


@register(
    "agt.non_blocking",
    examples=[
        ({"schema": 1, "ops": [], "snapshots": {}, "meta": {"blocked_steps": 0}}, {}, "valid"),
        ({"schema": 1, "ops": [], "snapshots": {}, "meta": {"blocked_steps": 2}}, {}, "invalid"),
    ],
)
def non_blocking(history: History) -> Verdict:
    """SKIP LOCKED's other promise (the seed's 9b): a poller never waits on another's locks."""
    blocked = int(history.meta.get("blocked_steps", 0))
    if blocked:
        return Verdict.violated(
            "agt.non_blocking", f"{blocked} step(s) waited on another poller's locks"
        )
    return Verdict.ok("agt.non_blocking", "no poller waited on another")


@register(
    "agt.counter_counts_redeliveries",
    example={"stage": "final"},
    examples=[
        (
            _hist([("a", "ok", "poll_op", [1])], final={"commands": [{"id": 1, "retry_count": 1}]}),
            {"stage": "final"},
            "valid",
        ),
        (
            _hist(
                [("a", "ok", "poll_op", [1]), ("b", "ok", "poll_op", [1])],
                final={"commands": [{"id": 1, "retry_count": 1}]},
            ),
            {"stage": "final"},
            "invalid",
        ),
    ],
)
def counter_counts_redeliveries(
    history: History, *, stage: str = "final", f: str = "poll_op"
) -> Verdict:
    """Each stuck command's retry_count equals the times it was re-delivered."""
    rows = _state(history, stage)["commands"]
    got = Counter(_delivered(history, f))
    wrong = [r for r in rows if r["retry_count"] != got[r["id"]]]
    if wrong:
        return Verdict.violated(
            "agt.counter_counts_redeliveries",
            f"{len(wrong)} command(s) whose retry_count differs from its re-deliveries",
            rows=wrong,
            deliveries={str(k): v for k, v in sorted(got.items())},
        )
    return Verdict.ok(
        "agt.counter_counts_redeliveries", f"{len(rows)} command(s), counters match re-deliveries"
    )


@register(
    "agt.bounded_redelivery",
    example={"allowed": 6},
    examples=[
        (
            _hist(
                [("agent", "ok", "poll_op", [1])] * 6,
                final={"commands": [{"id": 1, "status": "failed", "retry_count": 5}]},
            ),
            {"allowed": 6},
            "valid",
        ),
        (
            _hist(
                [("agent", "ok", "poll_op", [1])] * 7,
                final={"commands": [{"id": 1, "status": "failed", "retry_count": 6}]},
            ),
            {"allowed": 6},
            "invalid",
        ),
    ],
)
def bounded_redelivery(
    history: History, *, allowed: int, stage: str = "final", f: str = "poll_op"
) -> Verdict:
    """A never-acknowledged command: delivered at most ``allowed`` times, then failed."""
    rows = _state(history, stage)["commands"]
    total = len(_delivered(history, f))
    status = rows[0]["status"] if rows else None
    if total <= allowed and status == "failed":
        return Verdict.ok(
            "agt.bounded_redelivery", f"delivered {total} time(s) (limit {allowed}), then failed"
        )
    return Verdict.violated(
        "agt.bounded_redelivery",
        f"delivered {total} time(s) (limit {allowed}); status {status}, "
        f"retry_count {rows[0]['retry_count'] if rows else None}",
        rows=rows,
    )


_OLD = {"columns": [["t", "a"]], "indexes": [], "versions": [1]}
_NEW = {"columns": [["t", "a"], ["t", "b"]], "indexes": [["i", "x"]], "versions": [1, 2]}
_HALF = {"columns": [["t", "a"], ["t", "b"]], "indexes": [], "versions": [1]}


@register(
    "agt.schema_whole",
    example={"stage": "after_fault"},
    examples=_states("after_fault", _NEW, _HALF, old=_OLD, new=_NEW),
)
def schema_whole(history: History, *, stage: str = "after_fault") -> Verdict:
    """The schema is wholly the old one or wholly the new one (facts ``old``/``new``)."""
    facts = _facts(history)
    old, new, got = facts["old"], facts["new"], _state(history, stage)
    if got in (old, new):
        which = "old" if got == old else "new"
        return Verdict.ok(
            "agt.schema_whole", f"{stage}: schema wholly {which} (versions {got['versions']})"
        )
    extra = [c for c in got["columns"] if c not in old["columns"]]
    idx = [i[0] for i in got["indexes"] if i not in old["indexes"]]
    return Verdict.violated(
        "agt.schema_whole",
        f"{stage}: schema half-migrated: versions {got['versions']}, new columns "
        f"{[c[1] for c in extra]}, new indexes {idx}",
        schema=got,
    )


@register(
    "agt.schema_is",
    example={"want": "new"},
    examples=[
        (ex[0], {"want": "new"}, ex[2])
        for ex in _states("after_recovery", _NEW, _OLD, old=_OLD, new=_NEW)
    ],
)
def schema_is(history: History, *, want: str, stage: str = "after_recovery") -> Verdict:
    """The schema at ``stage`` is exactly the reference ``want`` ("old" or "new", from the facts)."""
    got = _state(history, stage)
    if got == _facts(history)[want]:
        return Verdict.ok("agt.schema_is", f"{stage}: the {want} schema")
    return Verdict.violated("agt.schema_is", f"{stage}: not the {want} schema", schema=got)


def _last(history: History, process: str) -> Any:
    done = [op for op in history if op.process == process and op.type is not OpType.INVOKE]
    return done[-1] if done else None


_REG = {**_AGENT_OK}


@register(
    "agt.agent_recovers",
    examples=[
        (
            _hist(
                [("agent_retry", "ok", "register_op", {"agent_id": "a1"})],
                after_fault=_REG,
                after_recovery=_REG,
            ),
            {},
            "valid",
        ),
        (
            _hist(
                [("agent_retry", "fail", "register_op", None)],
                after_fault=_REG,
                after_recovery=_REG,
            ),
            {},
            "invalid",
        ),
    ],
)
def agent_recovers(history: History, *, process: str = "agent_retry") -> Verdict:
    """The agent's retry with its token and secret got the same agent (and no other agent exists)."""
    retry = _last(history, process)
    before, final = _state(history, "after_fault"), _state(history, "after_recovery")
    if retry is not None and retry.type is OpType.OK:
        same = bool(before["agents"]) and retry.value["agent_id"] == before["agents"][0]["id"]
        if same and len(final["agents"]) == 1:
            return Verdict.ok(
                "agt.agent_recovers", "the retry got the same agent and a fresh token"
            )
        return Verdict.violated("agt.agent_recovers", "the retry created another agent", rows=final)
    return Verdict.violated(
        "agt.agent_recovers",
        f"the agent is stranded: its retry was refused ({retry.error if retry else 'no reply'}); "
        "it needs a new registration token",
        agents=final["agents"],
        registration_tokens=final["registration_tokens"],
    )


@register(
    "agt.single_use_kept",
    examples=[
        (_hist([("stranger", "info", "register_op", None)]), {}, "valid"),
        (_hist([("stranger", "ok", "register_op", {"agent_id": "b"})]), {}, "invalid"),
    ],
)
def single_use_kept(history: History, *, process: str = "stranger") -> Verdict:
    """A different secret with the consumed registration token is refused."""
    other = _last(history, process)
    if other is not None and other.type is not OpType.OK:
        return Verdict.ok(
            "agt.single_use_kept", "a different secret with the consumed token is refused"
        )
    return Verdict.violated(
        "agt.single_use_kept",
        "a stranger with the consumed token registered",
        op=other.to_json() if other else None,
    )


@register(
    "agt.no_error",
    examples=[
        (_hist([("runner", "ok", "up", None)]), {}, "valid"),
        (_hist([("runner", "fail", "up", None)]), {}, "invalid"),
    ],
)
def no_error(history: History) -> Verdict:
    """Every completed operation of the case is ``ok``."""
    bad = [
        op for op in history if op.type in (OpType.FAIL, OpType.INFO) and op.process != "nemesis"
    ]
    if bad:
        return Verdict.violated(
            "agt.no_error", f"{bad[0].f}: {bad[0].error}", error=bad[0].error, op=bad[0].to_json()
        )
    return Verdict.ok("agt.no_error", "no error")
