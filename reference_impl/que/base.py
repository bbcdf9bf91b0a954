"""What every variant of the queue offers; scenarios only talk to this surface."""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import redis

from reference_impl.que.config import QueueConfig
from reference_impl.que.job import Fields, job_fields
from reference_impl.que.metrics import DualWriteMetrics

LOG = logging.getLogger("reference_impl.que")


@dataclass(frozen=True)
class EnqueueResult:
    """``created``: this call queued the job. Otherwise ``job_id`` is the job the
    request already maps to, where the variant can tell (the pre-fix ones cannot)."""

    job_id: str
    created: bool


@dataclass(frozen=True)
class NewJob:
    """The arguments of one ``enqueue`` call, as given: each variant validates them (or not)."""

    job_id: str
    action_provider: str
    action_name: str
    params: dict[str, Any]
    workspace_id: str
    actor_id: str
    client_request_id: str | None

    def fields(self, now: Callable[[], datetime]) -> Fields:
        """The job hash. It reads the clock: each variant calls it where its code did."""
        return job_fields(
            job_id=self.job_id,
            action_provider=self.action_provider,
            action_name=self.action_name,
            params=self.params,
            workspace_id=self.workspace_id,
            actor_id=self.actor_id,
            now=now,
        )


@dataclass(frozen=True)
class StatusUpdate:
    """The arguments of one ``update_status`` call, as given: each variant validates them
    (or not)."""

    job_id: str
    status: str
    result: dict[str, Any] | None
    workspace_id: str | None


class JobQueue(abc.ABC):
    variant: ClassVar[str]

    def __init__(
        self,
        client: redis.Redis,
        config: QueueConfig | None = None,
        metrics: DualWriteMetrics | None = None,
    ) -> None:
        self.redis = client
        self.config = config if config is not None else QueueConfig()
        self.keys = self.config.keys
        self.metrics = metrics if metrics is not None else DualWriteMetrics()
        self._prepare()

    def _prepare(self) -> None:
        """What a variant sets up once per queue (the fixed one: its scripts)."""
        return None

    def enqueue(
        self,
        job_id: str,
        action_provider: str,
        action_name: str,
        params: dict[str, Any],
        workspace_id: str,
        actor_id: str,
        client_request_id: str | None = None,
    ) -> EnqueueResult:
        job = NewJob(
            job_id, action_provider, action_name, params, workspace_id, actor_id, client_request_id
        )
        return self._enqueue_job(job)

    @abc.abstractmethod
    def _enqueue_job(self, job: NewJob) -> EnqueueResult:
        """The variant's enqueue: where they differ (order, atomicity, validation) on purpose."""

    def update_status(
        self,
        job_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        workspace_id: str | None = None,
    ) -> None:
        self._update_job(StatusUpdate(job_id, status, result, workspace_id))

    @abc.abstractmethod
    def _update_job(self, update: StatusUpdate) -> None:
        """The variant's status update: where they differ (order, atomicity, logging)."""

    @abc.abstractmethod
    def get_job(self, job_id: str, workspace_id: str | None = None) -> dict[str, str] | None: ...

    def _decode(self, raw: Any) -> dict[str, str] | None:
        if not raw:
            return None
        return {_text(k): _text(v) for k, v in raw.items()}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
