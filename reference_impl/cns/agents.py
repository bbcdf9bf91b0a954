"""The in-memory agent state beside the database (the seed's ``SpecAutoPhase`` sets).

It is what the process shows and acts on; ``listener`` sees every change (a
TUI re-renders there). After a restart it is rebuilt from ``agent_executions``,
which is why the database must hold every change the state ever showed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

SPAWNED = "spawned"
COMPLETED = "completed"
FAILED = "failed"

#: How far along each status is: a later one implies the earlier ones.
RANK = {SPAWNED: 1, COMPLETED: 2, FAILED: 2}

Listener = Callable[[str, str], None]


class AgentState:
    def __init__(self, listener: Listener | None = None) -> None:
        self._agents: dict[str, str] = {}
        self._listener = listener

    def mark(self, agent_id: str, status: str) -> None:
        if status not in RANK:
            raise ValueError(f"unknown agent status {status!r}; known: {', '.join(RANK)}")
        self._agents[agent_id] = status
        if self._listener is not None:
            self._listener(agent_id, status)

    def snapshot(self) -> dict[str, str]:
        return dict(self._agents)

    def replace(self, agents: Mapping[str, str]) -> None:
        """Load a rebuilt state (no listener calls: nothing changed, it was re-read)."""
        self._agents = dict(agents)


def status_of(completed_at: object, extraction_error: object) -> str:
    if extraction_error is not None:
        return FAILED
    if completed_at is not None:
        return COMPLETED
    return SPAWNED


def rebuild(rows: Iterable[tuple[str, object, object]]) -> dict[str, str]:
    """``(agent_id, completed_at, extraction_error)`` rows of ``agent_executions`` -> state."""
    return {agent_id: status_of(done, err) for agent_id, done, err in rows}
