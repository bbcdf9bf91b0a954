"""Checkers that hold a step or a row to an exact expectation written in the scenario.

For oracle cases (issue 13): the expected outcome, error kind or value comes
from the fix's statement and the deployment the scenario chose, written into
the check's parameters, never read from reference_impl. ``agt.step_is`` judges
the last completion of one process's step; ``agt.row_is`` one row of a snapshot.
"""

from __future__ import annotations

from typing import Any

from harness.checkers import register
from harness.history import History, OpType
from harness.verdict import Verdict

_OK_STEP = {
    "schema": 1,
    "ops": [
        {"index": 0, "process": "renew", "type": "invoke", "f": "renew", "value": None},
        {"index": 1, "process": "renew", "type": "ok", "f": "renew", "value": "2026-01-08"},
    ],
    "snapshots": {"final": {"t": [{"id": 1, "x": "a"}]}},
    "meta": {},
}
_FAILED_STEP = {
    **_OK_STEP,
    "ops": [
        _OK_STEP["ops"][0],
        {
            "index": 1,
            "process": "renew",
            "type": "fail",
            "f": "renew",
            "value": None,
            "error": "TokenExpired: x",
        },
    ],
}


@register(
    "agt.step_is",
    example={"process": "renew", "want": "ok"},
    examples=[
        (_OK_STEP, {"process": "renew", "want": "ok", "value": "2026-01-08"}, "valid"),
        (_OK_STEP, {"process": "renew", "want": "ok", "value": "2026-01-09"}, "invalid"),
        (_FAILED_STEP, {"process": "renew", "want": "fail", "error_has": "TokenExpired"}, "valid"),
        (_FAILED_STEP, {"process": "renew", "want": "ok"}, "invalid"),
    ],
)
def step_is(
    history: History,
    *,
    process: str,
    want: str,
    error_has: str | None = None,
    value: Any = None,
) -> Verdict:
    """The last completion of ``process``'s step is ``want`` (ok / fail / info), its error
    text holds ``error_has``, its value equals ``value`` (when given)."""
    done = [op for op in history if op.process == process and op.type is not OpType.INVOKE]
    if not done:
        return Verdict.unknown("agt.step_is", f"no completed step of {process!r} in the record")
    last = done[-1]
    problems = []
    if last.type.value != want:
        problems.append(f"ended {last.type.value}, want {want}")
    if error_has is not None and error_has not in str(last.error):
        problems.append(f"error {last.error!r} does not name {error_has!r}")
    if value is not None and last.value != value:
        problems.append(f"value {last.value!r}, want {value!r}")
    if problems:
        return Verdict.violated(
            "agt.step_is",
            f"{process}: " + "; ".join(problems),
            got=last.value,
            error=last.error,
            want=want,
        )
    return Verdict.ok("agt.step_is", f"{process}: {want}" + (f" ({last.value})" if value else ""))


@register(
    "agt.row_is",
    example={"table": "t", "match": {"id": 1}, "want": {}},
    examples=[
        (_OK_STEP, {"table": "t", "match": {"id": 1}, "want": {"x": "a"}}, "valid"),
        (_OK_STEP, {"table": "t", "match": {"id": 1}, "want": {"x": "b"}}, "invalid"),
        (_OK_STEP, {"table": "t", "match": {"id": 2}, "want": {}}, "invalid"),
    ],
)
def row_is(
    history: History,
    *,
    table: str,
    match: dict[str, Any],
    want: dict[str, Any],
    stage: str = "final",
) -> Verdict:
    """Exactly one row of ``table`` (in the ``stage`` snapshot) matches ``match``, and it has
    every field of ``want``."""
    rows = [
        r for r in history.snapshots[stage][table] if all(r.get(k) == v for k, v in match.items())
    ]
    if len(rows) != 1:
        return Verdict.violated(
            "agt.row_is", f"{table}: {len(rows)} row(s) match {match}, want 1", rows=rows
        )
    wrong = {k: {"got": rows[0].get(k), "want": v} for k, v in want.items() if rows[0].get(k) != v}
    if wrong:
        return Verdict.violated("agt.row_is", f"{table} {match}: {wrong}", row=rows[0])
    return Verdict.ok("agt.row_is", f"{table} {match}: as expected")


@register(
    "agt.nothing_registered",
    example={},
    examples=[
        ({**_OK_STEP, "snapshots": {"final": {"agents": [], "refresh_tokens": []}}}, {}, "valid"),
        (
            {**_OK_STEP, "snapshots": {"final": {"agents": [{"id": "a"}], "refresh_tokens": []}}},
            {},
            "invalid",
        ),
    ],
)
def nothing_registered(history: History, *, stage: str = "final") -> Verdict:
    """No agent and no refresh token exist (a refused registration wrote nothing)."""
    state = history.snapshots[stage]
    agents, refresh = state["agents"], state["refresh_tokens"]
    if agents or refresh:
        return Verdict.violated(
            "agt.nothing_registered",
            f"{len(agents)} agent(s), {len(refresh)} refresh token(s) after a refusal",
            agents=agents,
            refresh_tokens=refresh,
        )
    return Verdict.ok("agt.nothing_registered", "no agent, no refresh token")


_RECOVERED = {
    **_OK_STEP,
    "ops": [
        {"index": 0, "process": "recover", "type": "invoke", "f": "r", "value": None},
        {
            "index": 1,
            "process": "recover",
            "type": "ok",
            "f": "r",
            "value": {"recovered": True, "agent": "a"},
        },
    ],
    "snapshots": {
        "final": {
            "facts": {"agent": "a"},
            "refresh_tokens": [
                {"agent_id": "a", "revoked_at": "t0", "expires_at": "t0"},
                {"agent_id": "a", "revoked_at": None, "expires_at": "t7"},
            ],
        }
    },
}


@register(
    "agt.recovered_same_agent",
    example={"now": "t0", "fresh_until": "t7"},
    examples=[
        (_RECOVERED, {"now": "t0", "fresh_until": "t7"}, "valid"),
        (_RECOVERED, {"now": "t0", "fresh_until": "t8"}, "invalid"),
        (_RECOVERED, {"now": None, "fresh_until": None}, "invalid"),
    ],
)
def recovered_same_agent(
    history: History, *, now: str | None, fresh_until: str | None, stage: str = "final"
) -> Verdict:
    """AGT-9's follow-through. ``now`` given: the step got the same agent back (recovered),
    the lost reply's refresh token is revoked and expires at ``now``, one fresh token valid
    until ``fresh_until``. ``now`` None (a refusal): the agent keeps exactly its one
    unrevoked refresh token."""
    state = history.snapshots[stage]
    agent = state["facts"].get("agent")
    mine = [r for r in state["refresh_tokens"] if r["agent_id"] == agent]
    name = "agt.recovered_same_agent"
    if now is None:
        live = [r for r in mine if r["revoked_at"] is None]
        if agent and (len(mine) != 1 or len(live) != 1):
            return Verdict.violated(name, f"a refusal changed the agent's refresh tokens: {mine}")
        return Verdict.ok(name, "refused: the agent's refresh token untouched")
    done = [op for op in history if op.type is OpType.OK]
    value = done[-1].value if done else None
    problems = []
    if (
        not isinstance(value, dict)
        or value.get("agent") != agent
        or value.get("recovered") is not True
    ):
        problems.append(f"reply {value!r}: not the same agent recovered ({agent})")
    revoked = [r for r in mine if r["revoked_at"] == now and r["expires_at"] == now]
    fresh = [r for r in mine if r["revoked_at"] is None]
    if len(revoked) != 1:
        problems.append(
            f"{len(revoked)} lost refresh token(s) revoked and expired at {now}, want 1"
        )
    if len(fresh) != 1 or fresh[0]["expires_at"] != fresh_until:
        problems.append(f"live refresh tokens {fresh}, want one until {fresh_until}")
    if problems:
        return Verdict.violated(name, "; ".join(problems), tokens=mine)
    return Verdict.ok(name, "same agent, lost token revoked, one fresh token")


@register(
    "agt.schema_summary_is",
    example={"versions": [1, 2], "retry_count": True, "index": True},
    examples=[
        (
            {
                **_OK_STEP,
                "snapshots": {"final": {"versions": [1], "retry_count": False, "index": False}},
            },
            {"versions": [1], "retry_count": False, "index": False},
            "valid",
        ),
        (
            {
                **_OK_STEP,
                "snapshots": {"final": {"versions": [1], "retry_count": True, "index": False}},
            },
            {"versions": [1], "retry_count": False, "index": False},
            "invalid",
        ),
    ],
)
def schema_summary_is(
    history: History,
    *,
    versions: list[int],
    retry_count: bool,
    index: bool,
    stage: str = "final",
) -> Verdict:
    """The recorded versions, the retry_count column and its partial index are as expected."""
    state = history.snapshots[stage]
    want = {"versions": versions, "retry_count": retry_count, "index": index}
    got = {k: state[k] for k in want}
    if got != want:
        return Verdict.violated("agt.schema_summary_is", f"schema {got}, want {want}", got=got)
    return Verdict.ok("agt.schema_summary_is", f"schema {got}")


@register(
    "agt.one_live_refresh_token",
    example={},
    examples=[
        (
            {
                **_RECOVERED,
                "snapshots": {
                    "final": {
                        "facts": {"agent": "a"},
                        "refresh_tokens": [{"agent_id": "a", "revoked_at": None}],
                    }
                },
            },
            {},
            "valid",
        ),
        (
            {
                **_RECOVERED,
                "snapshots": {
                    "final": {
                        "facts": {"agent": "a"},
                        "refresh_tokens": [
                            {"agent_id": "a", "revoked_at": None},
                            {"agent_id": "a", "revoked_at": None},
                        ],
                    }
                },
            },
            {},
            "invalid",
        ),
    ],
)
def one_live_refresh_token(history: History, *, stage: str = "final") -> Verdict:
    """The recovered agent holds exactly one unrevoked refresh token (single use kept)."""
    state = history.snapshots[stage]
    agent = state["facts"].get("agent")
    live = [
        r for r in state["refresh_tokens"] if r["agent_id"] == agent and r["revoked_at"] is None
    ]
    if len(live) != 1:
        return Verdict.violated(
            "agt.one_live_refresh_token",
            f"agent {agent}: {len(live)} live refresh tokens, want 1",
            live=live,
        )
    return Verdict.ok("agt.one_live_refresh_token", f"agent {agent}: one live refresh token")
