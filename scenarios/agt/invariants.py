"""The AGT invariants of the fix catalog (docs/fixes.md) as checks over a state snapshot (and a history).

Each returns a ``Verdict`` whose evidence is the offending rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.history import History, OpType
from harness.verdict import Verdict

State = dict[str, list[dict[str, Any]]]


def registration_all_or_nothing(state: State) -> Verdict:
    """Every agent came with a consumed token and a refresh token; every consumed token has its agent."""
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
            "registration_all_or_nothing",
            "; ".join(parts),
            orphan_agents=orphans,
            agents_without_refresh=no_refresh,
            consumed_without_agent=dangling,
            rows=state,
        )
    return Verdict.ok(
        "registration_all_or_nothing",
        f"{len(agents)} agent(s), {len(consumed)} consumed token(s), all complete",
    )


def single_winner(history: History, f: str = "register_op") -> Verdict:
    """Of the registrations with one token, at most one created an agent (a recovery is not a win)."""
    wins = [
        op.value
        for op in history
        if op.type is OpType.OK
        and op.f == f
        and isinstance(op.value, dict)
        and not op.value.get("recovered")
    ]
    agents = {w["agent_id"] for w in wins}
    if len(agents) > 1:
        return Verdict.violated(
            "token_single_use",
            f"one registration token created {len(agents)} agents",
            agents=sorted(agents),
        )
    return Verdict.ok("token_single_use", f"{len(agents)} winning registration(s)")


def at_most_once_within_lease(history: History, f: str = "poll_op") -> Verdict:
    """No command id returned by two successful polls (all polls happen within one lease)."""
    seen: dict[int, list[str]] = {}
    for op in history:
        if op.type is OpType.OK and op.f == f:
            for cid in op.value or []:
                seen.setdefault(int(cid), []).append(op.process)
    dup = {cid: procs for cid, procs in seen.items() if len(procs) > 1}
    if dup:
        return Verdict.violated(
            "at_most_once_within_lease",
            f"{len(dup)} command(s) delivered more than once within a lease",
            duplicates={str(k): v for k, v in sorted(dup.items())},
        )
    return Verdict.ok("at_most_once_within_lease", f"{len(seen)} command(s), each delivered once")


def none_lost(state: State, delivered: set[int]) -> Verdict:
    """Every command is either delivered (returned to a poller) or still pending."""
    lost = [c for c in state["commands"] if c["id"] not in delivered and c["status"] != "pending"]
    if lost:
        return Verdict.violated(
            "no_lost_command",
            f"{len(lost)} command(s) marked {sorted({c['status'] for c in lost})} but never delivered",
            lost=lost,
        )
    return Verdict.ok("no_lost_command", f"{len(state['commands'])} command(s), none lost")


def never_revoked_and_extended(state: State) -> Verdict:
    bad = [
        t
        for t in state["refresh_tokens"]
        if t["revoked_at"] is not None and t["expires_at"] > t["revoked_at"]
    ]
    if bad:
        return Verdict.violated(
            "never_revoked_and_extended",
            f"{len(bad)} refresh token(s) revoked and extended past the revocation",
            tokens=bad,
        )
    return Verdict.ok("never_revoked_and_extended", "no token both revoked and extended")


def last_op_ok(history: History, process: str) -> Verdict:
    """The last operation of ``process`` (a recovery step) completed ``ok``."""
    done = [op for op in history if op.process == process and op.type is not OpType.INVOKE]
    if not done or done[-1].type is not OpType.OK:
        last = done[-1] if done else None
        return Verdict.violated(
            "recovery_completes",
            f"{process} did not complete: {last.error if last else 'no completion'}",
            op=last.to_json() if last else None,
        )
    return Verdict.ok("recovery_completes", f"{process} completed")
