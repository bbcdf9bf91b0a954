"""The bytes of one DLQ file: a versioned JSON envelope around one batch, with its checksum.

A file cut short by a power loss is usually not JSON; one whose lost sectors
read back as zeros or old bytes may still parse, which is what the sha256 of
the batch is for. ``decode`` says which of four ways a file is unreadable
(``UnreadableDlqFile.kind``): empty, torn, foreign, invalid.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reference_impl.trc.batch import Batch, validate
from reference_impl.trc.errors import InvalidBatch, UnreadableDlqFile

FORMAT = "trc-dlq"
VERSION = 1


def _canonical(batch: dict[str, Any]) -> bytes:
    return json.dumps(batch, sort_keys=True, separators=(",", ":")).encode()


def encode(batch: Batch) -> bytes:
    body = batch.to_dict()
    envelope = {
        "format": FORMAT,
        "version": VERSION,
        "sha256": hashlib.sha256(_canonical(body)).hexdigest(),
        "batch": body,
    }
    return json.dumps(envelope, sort_keys=True).encode() + b"\n"


def decode(path: str, data: bytes) -> Batch:
    """The batch in ``data`` (read from ``path``), or ``UnreadableDlqFile`` saying why not."""
    if not data.strip(b"\x00 \t\r\n"):
        raise UnreadableDlqFile(path, "empty", f"{len(data)} bytes, none of them content")
    try:
        envelope = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableDlqFile(path, "torn", f"not whole JSON ({exc})") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise UnreadableDlqFile(path, "foreign", f"JSON, but not a {FORMAT!r} envelope")
    if envelope.get("version") != VERSION:
        raise UnreadableDlqFile(
            path, "foreign", f"envelope version {envelope.get('version')!r}, this reads {VERSION}"
        )
    body = envelope.get("batch")
    if not isinstance(body, dict) or not isinstance(envelope.get("sha256"), str):
        raise UnreadableDlqFile(path, "torn", "envelope without its batch or checksum")
    if hashlib.sha256(_canonical(body)).hexdigest() != envelope["sha256"]:
        raise UnreadableDlqFile(path, "torn", "the batch does not match its sha256")
    try:
        batch = Batch.from_dict(body)
        validate(batch)
    except InvalidBatch as exc:
        raise UnreadableDlqFile(path, "invalid", str(exc)) from None
    return batch
