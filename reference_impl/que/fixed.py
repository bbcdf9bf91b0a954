"""The reference fix: every write is one Lua script that validates, then writes all or nothing.

- QUE-1: the idempotency key is read and set inside the same atomic script
  as the job, so a failed attempt leaves no key (the retry goes through), a
  duplicate finds the key (it is not queued again), and a retry after an
  unknown outcome (reply lost) returns the job the first attempt queued.
- QUE-2: old hash, new hash, queue entry and idempotency key: all or nothing,
  also under a command error (types are checked before the first write), a
  link cut before or after the script was sent, and a server kill (the script's
  effects reach the AOF as one MULTI/EXEC block).
- QUE-3: status updates are atomic across both schemas: a failure on either
  side raises and leaves both untouched; the new key is updated only if it
  exists. Failures are logged and counted.
- QUE-4: inputs are validated before any write.
- QUE-5: one atomic read, new key first, falling back to the old one.
- QUE-6: every dual-write attempt is counted once: ``succeeded``, ``failed``
  (the server refused; nothing written) or ``unknown`` (the link failed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import redis

from harness.crashpoints import crashpoint
from reference_impl.que import scripts
from reference_impl.que.base import LOG, EnqueueResult, JobQueue, NewJob, StatusUpdate
from reference_impl.que.errors import JobNotFound, SchemaWriteError
from reference_impl.que.job import status_fields
from reference_impl.que.validation import (
    optional_request_id,
    require_job_id,
    require_status,
    require_workspace_id,
)

T = TypeVar("T")

#: Errors after which the client cannot know whether the server applied the write.
LINK_ERRORS = (redis.ConnectionError, redis.TimeoutError)


class FixedQueue(JobQueue):
    variant = "fixed"

    def _prepare(self) -> None:
        client = self.redis
        # redis-py Script: EVALSHA, and on NOSCRIPT (e.g. after a server
        # restart emptied the script cache) SCRIPT LOAD and EVALSHA again.
        self._enqueue = client.register_script(scripts.ENQUEUE)
        self._update = client.register_script(scripts.UPDATE_STATUS)
        self._read = client.register_script(scripts.GET_JOB)

    def _enqueue_job(self, job: NewJob) -> EnqueueResult:
        job_id, workspace_id = job.job_id, job.workspace_id
        require_job_id(job_id)
        require_workspace_id(workspace_id)
        request_id = optional_request_id(job.client_request_id)
        data = job.fields(self.config.clock)
        keys = [self.keys.queue, self.keys.old_job(job_id)]
        if self.config.new_schema:
            keys.append(self.keys.new_job(workspace_id, job_id))
        if request_id is not None:
            keys.append(self.keys.idempotency(workspace_id, request_id))
        args: list[Any] = [
            int(self.config.new_schema),
            int(request_id is not None),
            job_id,
            self.config.idempotency_ttl_s,
        ]
        for field, value in data.items():
            args += [field, value]
        crashpoint("que.enqueue.before_script")
        status, mapped = self._write("enqueue", lambda: self._enqueue(keys=keys, args=args))
        crashpoint("que.enqueue.after_script")
        created = int(status) == 1
        if created and self.config.new_schema:
            self.metrics.record("enqueue", "succeeded")
        return EnqueueResult(_text(mapped), created=created)

    def _update_job(self, update: StatusUpdate) -> None:
        job_id, status, workspace_id = update.job_id, update.status, update.workspace_id
        require_job_id(job_id)
        require_status(status)
        if self.config.new_schema or workspace_id is not None:
            require_workspace_id(workspace_id)
        updates = status_fields(status, update.result, self.config.clock)
        keys = [self.keys.old_job(job_id)]
        dual = self.config.new_schema
        if dual:
            keys.append(self.keys.new_job(workspace_id, job_id))
        args: list[Any] = [int(dual)]
        for field, value in updates.items():
            args += [field, value]
        crashpoint("que.update_status.before_script")
        self._write("update_status", lambda: self._update(keys=keys, args=args))
        crashpoint("que.update_status.after_script")
        if dual:
            self.metrics.record("update_status", "succeeded")

    def get_job(self, job_id: str, workspace_id: str | None = None) -> dict[str, str] | None:
        require_job_id(job_id)
        dual = self.config.new_schema and workspace_id is not None
        keys = [self.keys.old_job(job_id)]
        if dual:
            keys.append(self.keys.new_job(require_workspace_id(workspace_id), job_id))
        crashpoint("que.get_job.before_script")
        _source, flat = self._read(keys=keys, args=[int(dual)])
        pairs = iter(flat)
        return self._decode(dict(zip(pairs, pairs, strict=True)))

    def _write(self, operation: str, call: Callable[[], T]) -> T:
        """Run one script; log, count and raise a failure with what is known of it."""
        dual = self.config.new_schema
        try:
            return call()
        except LINK_ERRORS as exc:
            LOG.error("%s: link failed, outcome unknown: %s", operation, exc)
            if dual:
                self.metrics.record(operation, "unknown")
            raise
        except redis.ResponseError as exc:
            raised = _classify(exc)
            # A missing job is the caller's error, not a failed dual write.
            if dual and not isinstance(raised, JobNotFound):
                self.metrics.record(operation, "failed")
            LOG.error("%s failed, nothing written: %s", operation, raised)
            raise raised from exc


def _classify(exc: redis.ResponseError) -> Exception:
    message = str(exc)
    if message.startswith("QUE_NOJOB"):
        return JobNotFound(f"no job hash at {message.split()[1]}; nothing written")
    if message.startswith("QUE_SCHEMA"):
        _tag, schema, key, kind = message.split()[:4]
        return SchemaWriteError(
            schema,
            f"{schema}-schema key {key} holds a {kind}, not the expected type; nothing written",
        )
    return exc


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
