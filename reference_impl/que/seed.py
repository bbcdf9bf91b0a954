"""Exactly what the seed proposes: FIX 1 + FIX 2 (enqueue), FIX 3 (status), FIX 4 (validation).

FIX 2's code supersedes FIX 1's enqueue body: a MULTI/EXEC pipeline of the
three writes, then ``SET NX EX`` of the idempotency key with its result
ignored, success counted before that SET and failure counted in the same
``except``. The read falls back from the new key to the old one, as the seed's
``test_get_job_fallback_from_new_to_old`` expects. Kept as the seed wrote it,
flaws included: this variant is measured, not trusted.
"""

from __future__ import annotations

from harness.crashpoints import crashpoint
from reference_impl.que.base import LOG, EnqueueResult, JobQueue, NewJob, StatusUpdate
from reference_impl.que.job import status_fields
from reference_impl.que.validation import InvalidInput


class SeedQueue(JobQueue):
    variant = "seed"

    def _enqueue_job(self, job: NewJob) -> EnqueueResult:
        job_id, workspace_id = job.job_id, job.workspace_id
        if not workspace_id or not isinstance(workspace_id, str):
            raise InvalidInput(f"workspace_id must be non-empty string, got {workspace_id!r}")
        data = job.fields(self.config.clock)
        crashpoint("que.enqueue.start")
        try:
            pipe = self.redis.pipeline()
            pipe.hset(self.keys.old_job(job_id), mapping=data)
            if self.config.new_schema:
                pipe.hset(self.keys.new_job(workspace_id, job_id), mapping=data)
            pipe.rpush(self.keys.queue, job_id)
            crashpoint("que.enqueue.before_exec")
            pipe.execute()
            crashpoint("que.enqueue.after_exec")
            if self.config.new_schema:
                self.metrics.record("enqueue", "succeeded")
            if job.client_request_id:
                key = self.keys.idempotency(workspace_id, job.client_request_id)
                self.redis.set(key, job_id, nx=True, ex=self.config.idempotency_ttl_s)
                crashpoint("que.enqueue.after_idempotency")
            return EnqueueResult(job_id, created=True)
        except Exception as exc:
            LOG.error("Failed to enqueue job %s for workspace %s: %s", job_id, workspace_id, exc)
            if self.config.new_schema:
                self.metrics.record("enqueue", "failed")
            raise

    def _update_job(self, update: StatusUpdate) -> None:
        job_id, status, workspace_id = update.job_id, update.status, update.workspace_id
        if self.config.new_schema and (not workspace_id or not isinstance(workspace_id, str)):
            raise InvalidInput(
                f"workspace_id required when AI_JOBS_NEW_SCHEMA=on; got {workspace_id!r}. "
                "Call update_status with explicit workspace_id."
            )
        updates = status_fields(status, update.result, self.config.clock)
        crashpoint("que.update_status.start")
        try:
            self.redis.hset(self.keys.old_job(job_id), mapping=updates)
        except Exception as exc:
            LOG.error("Failed to update old schema for job %s: %s", job_id, exc)
            raise
        crashpoint("que.update_status.after_old")
        if self.config.new_schema and workspace_id:
            new_key = self.keys.new_job(workspace_id, job_id)
            try:
                if self.redis.exists(new_key):
                    crashpoint("que.update_status.before_new")
                    self.redis.hset(new_key, mapping=updates)
                    crashpoint("que.update_status.after_new")
            except Exception as exc:
                LOG.error(
                    "Failed to update new schema for job %s in workspace %s: %s",
                    job_id,
                    workspace_id,
                    exc,
                )
                self.metrics.record("update_status", "failed")
                raise

    def get_job(self, job_id: str, workspace_id: str | None = None) -> dict[str, str] | None:
        crashpoint("que.get_job.start")
        if self.config.new_schema and workspace_id:
            found = self._decode(self.redis.hgetall(self.keys.new_job(workspace_id, job_id)))
            if found is not None:
                return found
            crashpoint("que.get_job.fallback")
        return self._decode(self.redis.hgetall(self.keys.old_job(job_id)))
