"""Unit tests of the three QUE variants against a real redis-server (no faults here)."""

from __future__ import annotations

import pytest
import redis

from reference_impl.que import InvalidInput, JobNotFound, SchemaWriteError, make_queue

JOB = {"action_provider": "google", "action_name": "gmail.send", "actor_id": "user-1"}


def enqueue(q, job_id, ws="ws-1", req=None):
    return q.enqueue(
        job_id=job_id, params={"to": "a@b"}, workspace_id=ws, client_request_id=req, **JOB
    )


def test_enqueue_writes_both_schemas_and_queue(make, client, queue_variant):
    q = make(queue_variant)
    res = enqueue(q, "j1", req="r1")
    assert res.created and res.job_id == "j1"
    assert client.hgetall("ai:jobs:j1")["status"] == "pending"
    assert client.hgetall("ai:job:ws-1:j1") == client.hgetall("ai:jobs:j1")
    assert client.lrange("ai:queue:pending", 0, -1) == ["j1"]
    assert client.get("ai:idempotency:ws-1:r1") == "j1"
    assert 0 < client.ttl("ai:idempotency:ws-1:r1") <= 86400
    assert q.metrics.count("enqueue", "succeeded") == 1


def test_flag_off_writes_old_schema_only(make, client, queue_variant):
    q = make(queue_variant, new_schema=False)
    enqueue(q, "j1")
    assert client.exists("ai:jobs:j1") and not client.exists("ai:job:ws-1:j1")
    assert q.metrics.counts() == {}


def test_sequential_duplicate(make, client, queue_variant):
    q = make(queue_variant)
    enqueue(q, "j1", req="r1")
    second = enqueue(q, "j2", req="r1")
    queued = client.lrange("ai:queue:pending", 0, -1)
    if queue_variant == "seed":
        # The seed writes first and ignores SET NX's answer: the duplicate is queued.
        assert second.created and queued == ["j1", "j2"]
    else:
        assert not second.created and queued == ["j1"]
    if queue_variant == "fixed":
        assert second.job_id == "j1"


def test_fixed_rejects_reused_job_id(make, client):
    q = make("fixed")
    enqueue(q, "j1", req="r1")
    again = enqueue(q, "j1", req="r2")
    assert not again.created and client.llen("ai:queue:pending") == 1


@pytest.mark.parametrize("ws", ["", None, 123])
def test_fixed_and_seed_validate_workspace_id(make, client, ws):
    for variant in ("seed", "fixed"):
        q = make(variant)
        with pytest.raises(InvalidInput, match="workspace_id"):
            enqueue(q, "j1", ws=ws, req="r1")
        with pytest.raises(InvalidInput, match="workspace_id"):
            q.update_status("j1", "running", workspace_id=ws)
    assert client.dbsize() == 0


def test_status_update_dual_write(make, client, queue_variant):
    q = make(queue_variant)
    enqueue(q, "j1")
    q.update_status("j1", "completed", result={"ok": 1}, workspace_id="ws-1")
    for key in ("ai:jobs:j1", "ai:job:ws-1:j1"):
        assert client.hget(key, "status") == "completed"
        assert client.hget(key, "result") == '{"ok": 1}'


def test_status_update_skips_missing_new_key(make, client, queue_variant):
    enqueue(make(queue_variant, new_schema=False), "j1")
    make(queue_variant).update_status("j1", "running", workspace_id="ws-1")
    assert client.hget("ai:jobs:j1", "status") == "running"
    assert not client.exists("ai:job:ws-1:j1")


def test_read_falls_back_to_old_key(make, queue_variant):
    enqueue(make(queue_variant, new_schema=False), "j1")
    found = make(queue_variant).get_job("j1", workspace_id="ws-1")
    if queue_variant == "prefix":
        assert found is None  # no fallback: the lagging job is invisible
    else:
        assert found is not None and found["job_id"] == "j1"


def test_fixed_wrongtype_on_queue_writes_nothing(make, client):
    client.set("ai:queue:pending", "not a list")
    q = make("fixed")
    with pytest.raises(SchemaWriteError) as err:
        enqueue(q, "j1", req="r1")
    assert err.value.schema == "queue"
    assert sorted(client.keys("*")) == ["ai:queue:pending"]
    assert q.metrics.counts() == {"enqueue/failed": 1}
    client.delete("ai:queue:pending")
    assert enqueue(q, "j1", req="r1").created


def test_seed_wrongtype_on_queue_leaves_partial_job(make, client):
    client.set("ai:queue:pending", "not a list")
    q = make("seed")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        enqueue(q, "j1", req="r1")
    # MULTI/EXEC does not roll back: both hashes stay, with no queue entry.
    assert client.exists("ai:jobs:j1") and client.exists("ai:job:ws-1:j1")


def test_fixed_update_errors(make, client):
    q = make("fixed")
    with pytest.raises(JobNotFound):
        q.update_status("nope", "running", workspace_id="ws-1")
    enqueue(q, "j1")
    client.delete("ai:job:ws-1:j1")
    client.set("ai:job:ws-1:j1", "garbage")
    with pytest.raises(SchemaWriteError) as err:
        q.update_status("j1", "running", workspace_id="ws-1")
    assert err.value.schema == "new"
    assert client.hget("ai:jobs:j1", "status") == "pending"
    assert q.metrics.count("update_status", "failed") == 1


def test_fixed_survives_script_cache_flush(make, client):
    q = make("fixed")
    client.script_flush()
    assert enqueue(q, "j1", req="r1").created
    assert q.get_job("j1", "ws-1")["job_id"] == "j1"


def test_unknown_variant(client):
    with pytest.raises(
        ValueError, match="unknown queue variant 'nope'; known: fixed, prefix, seed"
    ):
        make_queue("nope", client)


def test_fixed_refuses_wrong_typed_idempotency_key(make, client):
    client.hset("ai:idempotency:ws-1:r1", mapping={"x": "1"})
    q = make("fixed")
    with pytest.raises(SchemaWriteError) as err:
        enqueue(q, "j1", req="r1")
    assert err.value.schema == "idempotency"
    assert sorted(client.keys("*")) == ["ai:idempotency:ws-1:r1"]


def test_fixed_dedupes_with_the_flag_off(make, client):
    q = make("fixed", new_schema=False)
    first = enqueue(q, "j1", req="r1")
    again = enqueue(q, "j2", req="r1")
    assert first.created and not again.created and again.job_id == "j1"
    assert client.lrange("ai:queue:pending", 0, -1) == ["j1"]


def test_metrics_registry_is_per_queue(make):
    a, b = make("fixed"), make("fixed")
    enqueue(a, "j1", req="r1")
    assert a.metrics.counts() == {"enqueue/succeeded": 1}
    assert b.metrics.counts() == {}


@pytest.mark.parametrize("ttl", [0, -5, 1.5, True, "60"])
def test_config_refuses_a_ttl_redis_would_refuse_after_the_writes(ttl):
    from reference_impl.que import QueueConfig

    with pytest.raises(ValueError, match="idempotency_ttl_s"):
        QueueConfig(idempotency_ttl_s=ttl)
