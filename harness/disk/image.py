"""What a crash state leaves on disk: the initial tree with the kept operations applied.

``build_image`` replays, in trace order, every durable op and every kept pending op
(a torn one only in part) on the initial files; ``materialize`` writes the result
into a directory for recovery to run on.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from harness.disk.models import SECTOR, Pending
from harness.disk.ops import Op, Trace
from harness.disk.states import CrashState


@dataclass(frozen=True)
class Image:
    files: dict[str, bytes]
    dirs: frozenset[str]

    def digest(self) -> str:
        h = hashlib.sha256()
        for d in sorted(self.dirs):
            h.update(b"d" + d.encode() + b"\0")
        for name in sorted(self.files):
            h.update(b"f" + name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return h.hexdigest()


def _write(data: bytearray, op: Op, tear: str | None) -> None:
    start, payload = op.offset, op.data
    if tear == "zero":
        end = start + len(payload)
        if end > len(data):
            data.extend(b"\0" * (end - len(data)))
        return
    if tear is not None and tear.startswith("s"):
        sectors = int(tear[1:])
        limit = (start // SECTOR + sectors) * SECTOR
        payload = payload[: max(0, limit - start)]
    if start > len(data):
        data.extend(b"\0" * (start - len(data)))
    data[start : start + len(payload)] = payload


def build_image(trace: Trace, state: CrashState, info: Pending) -> Image:
    names: dict[str, int] = {n: ino for n, (ino, _) in trace.files.items()}
    data: dict[int, bytearray] = {ino: bytearray(d) for ino, d in trace.files.values()}
    dirs: set[str] = set(trace.dirs)
    applied = sorted(set(info.durable) | state.kept)
    for i in applied:
        op = trace.ops[i]
        tear = state.tear[1] if state.tear and state.tear[0] == i else None
        k = op.kind
        if k == "write":
            _write(data.setdefault(op.ino, bytearray()), op, tear)
        elif k == "truncate":
            buf = data.setdefault(op.ino, bytearray())
            if op.size < len(buf):
                del buf[op.size :]
            else:
                buf.extend(b"\0" * (op.size - len(buf)))
        elif k == "create":
            names[op.name] = op.ino
            data[op.ino] = bytearray()
        elif k == "unlink":
            names.pop(op.name, None)
        elif k == "mkdir":
            dirs.add(op.name)
        elif k == "rmdir":
            dirs.discard(op.name)
        elif k == "rename":
            _rename(names, dirs, op, half=tear == "half")
    files = {
        name: bytes(data.get(ino, b"")) for name, ino in names.items() if _reachable(name, dirs)
    }
    return Image(files, frozenset(d for d in dirs if _reachable(d, dirs)))


def _rename(names: dict[str, int], dirs: set[str], op: Op, *, half: bool) -> None:
    if op.ino < 0:  # a directory: its subtree moves
        prefix = op.name + "/"
        for name in [n for n in names if n.startswith(prefix)]:
            names[op.dst + "/" + name[len(prefix) :]] = names.pop(name)
        for d in [d for d in dirs if d == op.name or d.startswith(prefix)]:
            dirs.discard(d)
            dirs.add(op.dst + d[len(op.name) :])
        return
    if op.name in names:
        names[op.dst] = names[op.name] if half else names.pop(op.name)


def _reachable(name: str, dirs: set[str]) -> bool:
    parent = os.path.dirname(name)
    while parent:
        if parent not in dirs:
            return False
        parent = os.path.dirname(parent)
    return True


def materialize(image: Image, target: Path) -> None:
    """Write ``image`` under ``target`` (an empty, existing directory)."""
    for d in sorted(image.dirs, key=lambda p: p.count("/")):
        (target / d).mkdir(exist_ok=True)
    for name, content in image.files.items():
        (target / name).write_bytes(content)
