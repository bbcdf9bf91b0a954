"""Batch validation and the DLQ envelope: bad input is refused with a message that names it."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from reference_impl.trc import Batch, InvalidBatch, UnreadableDlqFile, validate
from reference_impl.trc.envelope import decode, encode
from scenarios.trc.batches import make_batch


@pytest.fixture
def batch() -> Batch:
    return make_batch(random.Random(7), "acme", traces=2)


def test_a_generated_batch_is_valid(batch: Batch) -> None:
    validate(batch)


def _with(batch: Batch, table: str, index: int, **change: object) -> Batch:
    rows = list(getattr(batch, table))
    rows[index] = dataclasses.replace(rows[index], **change)
    return dataclasses.replace(batch, **{table: tuple(rows)})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: dataclasses.replace(b, tenant_id=None), "batch has no tenant_id"),
        (lambda b: dataclasses.replace(b, tenant_id=""), "batch has no tenant_id"),
        (lambda b: dataclasses.replace(b, tenant_id="Acme Corp"), "tenant_id must match"),
        (lambda b: _with(b, "traces", 0, tenant_id=None), "trace has no tenant_id"),
        (lambda b: _with(b, "spans", 1, tenant_id=""), "span has no tenant_id"),
        (lambda b: _with(b, "logs", 0, tenant_id=None), "log has no tenant_id"),
        (lambda b: _with(b, "spans", 0, tenant_id="other"), "span row of tenant 'other'"),
        (lambda b: dataclasses.replace(b, batch_id="batch-1"), "batch_id must be a UUID"),
        (lambda b: dataclasses.replace(b, batch_id=7), "batch_id must be a UUID string"),
        (lambda b: _with(b, "traces", 0, trace_id="abc"), "trace_id must be 32"),
        (lambda b: _with(b, "traces", 0, trace_id="A" * 32), "trace_id must be 32"),
        (lambda b: _with(b, "traces", 0, trace_id="0" * 32), "must not be all zeros"),
        (lambda b: _with(b, "spans", 0, span_id="xyz"), "span_id must be 16"),
        (lambda b: _with(b, "spans", 0, span_id="0" * 16), "must not be all zeros"),
        (lambda b: _with(b, "spans", 1, parent_span_id="nope"), "parent_span_id must be 16"),
        (lambda b: _with(b, "logs", 0, seq=-1), "log seq must be an integer"),
        (lambda b: _with(b, "logs", 0, seq=True), "log seq must be an integer"),
        (lambda b: _with(b, "traces", 0, name="x\x00"), "no NUL"),
        (lambda b: dataclasses.replace(b, traces=()), "has no trace"),
        (lambda b: dataclasses.replace(b, traces=b.traces[1:]), "not in the batch"),
        (lambda b: dataclasses.replace(b, spans=b.spans[1:]), "not in the batch"),
        (lambda b: dataclasses.replace(b, spans=(*b.spans, b.spans[0])), "appears twice"),
        (lambda b: dataclasses.replace(b, logs=(*b.logs, b.logs[0])), "appears twice"),
    ],
)
def test_bad_batches_are_refused_by_name(batch: Batch, change, message: str) -> None:
    with pytest.raises(InvalidBatch, match=message):
        validate(change(batch))


def test_batch_round_trips_through_a_dict(batch: Batch) -> None:
    assert Batch.from_dict(json.loads(json.dumps(batch.to_dict()))) == batch


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a batch is a JSON object"),
        ({"tenant_id": "acme", "traces": []}, "'batch_id' is missing"),
        ({"batch_id": "x", "tenant_id": "a", "traces": {}}, "must be a list of objects"),
        ({"batch_id": "x", "tenant_id": "a", "traces": [{"bogus": 1}]}, "wrong fields"),
    ],
)
def test_from_dict_refuses_wrong_shapes(data: object, message: str) -> None:
    with pytest.raises(InvalidBatch, match=message):
        Batch.from_dict(data)


def test_envelope_round_trips(batch: Batch) -> None:
    assert decode("f", encode(batch)) == batch


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "empty"),
        (b"\x00" * 4096, "empty"),
        (b'{"format": "trc-dlq", "vers', "torn"),
        (b"\xff\xfe garbage", "torn"),
        (b'{"hello": "world"}', "foreign"),
        (b"[1, 2, 3]", "foreign"),
        (b'{"format": "trc-dlq", "version": 2, "batch": {}}', "foreign"),
        (b'{"format": "trc-dlq", "version": 1}', "torn"),
    ],
)
def test_unreadable_files_are_classified(data: bytes, kind: str) -> None:
    with pytest.raises(UnreadableDlqFile) as caught:
        decode("dlq/x.json", data)
    assert caught.value.kind == kind
    assert "dlq/x.json" in str(caught.value)


def test_every_truncation_of_a_file_is_unreadable(batch: Batch) -> None:
    data = encode(batch)
    for cut in range(len(data) - 1):  # the last byte is the newline
        with pytest.raises(UnreadableDlqFile):
            decode("f", data[:cut])


def test_a_sector_of_zeros_inside_is_caught_by_the_checksum(batch: Batch) -> None:
    data = bytearray(encode(batch))
    at = data.index(b'"body": "acme log 0"') + 9
    data[at : at + 4] = b"acmf"  # still JSON, still our envelope: only the sha256 can tell
    with pytest.raises(UnreadableDlqFile) as caught:
        decode("f", bytes(data))
    assert caught.value.kind == "torn"


def test_an_envelope_holding_an_invalid_batch_is_invalid(batch: Batch) -> None:
    bad = dataclasses.replace(batch, tenant_id="")
    with pytest.raises(UnreadableDlqFile) as caught:
        decode("f", encode(bad))
    assert caught.value.kind == "invalid"
