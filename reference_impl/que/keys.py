"""The key schemes: the old flat one, the new workspace-scoped one, the queue, idempotency."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyScheme:
    """Key names as the seed's system spells them (``ai:jobs:<id>``, ``ai:job:<ws>:<id>``).

    ``namespace`` lets two queues share one Redis database without sharing keys.
    """

    namespace: str = "ai"

    def old_job(self, job_id: str) -> str:
        return f"{self.namespace}:jobs:{job_id}"

    def new_job(self, workspace_id: object, job_id: str) -> str:
        # ``object``: the pre-fix variants format whatever they are given
        # (``None`` becomes ``ai:job:None:<id>``); the fixed one validates first.
        return f"{self.namespace}:job:{workspace_id}:{job_id}"

    @property
    def queue(self) -> str:
        return f"{self.namespace}:queue:pending"

    def idempotency(self, workspace_id: object, client_request_id: str) -> str:
        return f"{self.namespace}:idempotency:{workspace_id}:{client_request_id}"

    def pattern(self) -> str:
        """A SCAN pattern matching every key of this scheme."""
        return f"{self.namespace}:*"
