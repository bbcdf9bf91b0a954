"""The queue as the seed found it ("Current Flow (BROKEN)").

Idempotency key first, then three separate writes with nothing tying them
together; no input validation; only successes counted; status updates that
neither log nor count a failed new-schema write; reads that trust the new key
alone once the flag is on (the seed shows no pre-fix read path; without a
fallback is the version its FIX 6 test ``test_get_job_fallback_from_new_to_old``
exists to catch).
"""

from __future__ import annotations

from harness.crashpoints import crashpoint
from reference_impl.que.base import EnqueueResult, JobQueue, NewJob, StatusUpdate
from reference_impl.que.job import status_fields


class PrefixQueue(JobQueue):
    variant = "prefix"

    def _enqueue_job(self, job: NewJob) -> EnqueueResult:
        job_id, workspace_id = job.job_id, job.workspace_id
        data = job.fields(self.config.clock)
        crashpoint("que.enqueue.start")
        if job.client_request_id:
            key = self.keys.idempotency(workspace_id, job.client_request_id)
            if not self.redis.set(key, job_id, nx=True, ex=self.config.idempotency_ttl_s):
                return EnqueueResult(job_id, created=False)
            crashpoint("que.enqueue.after_idempotency")
        self.redis.hset(self.keys.old_job(job_id), mapping=data)
        crashpoint("que.enqueue.after_old")
        if self.config.new_schema:
            self.redis.hset(self.keys.new_job(workspace_id, job_id), mapping=data)
            crashpoint("que.enqueue.after_new")
        self.redis.rpush(self.keys.queue, job_id)
        crashpoint("que.enqueue.after_push")
        if self.config.new_schema:
            self.metrics.record("enqueue", "succeeded")
        return EnqueueResult(job_id, created=True)

    def _update_job(self, update: StatusUpdate) -> None:
        job_id, status, workspace_id = update.job_id, update.status, update.workspace_id
        updates = status_fields(status, update.result, self.config.clock)
        crashpoint("que.update_status.start")
        self.redis.hset(self.keys.old_job(job_id), mapping=updates)
        crashpoint("que.update_status.after_old")
        if self.config.new_schema and workspace_id:
            new_key = self.keys.new_job(workspace_id, job_id)
            if self.redis.exists(new_key):
                crashpoint("que.update_status.before_new")
                self.redis.hset(new_key, mapping=updates)
                crashpoint("que.update_status.after_new")

    def get_job(self, job_id: str, workspace_id: str | None = None) -> dict[str, str] | None:
        crashpoint("que.get_job.start")
        if self.config.new_schema and workspace_id:
            return self._decode(self.redis.hgetall(self.keys.new_job(workspace_id, job_id)))
        return self._decode(self.redis.hgetall(self.keys.old_job(job_id)))
