"""Toy writers of a small file-based queue (one file per entry under ``q/``), the
model's calibration: (a) no fsync, (b) fsync of the file only, (c) the safe protocol."""

from __future__ import annotations

import os
from pathlib import Path

from harness.disk import ack

ENTRY_BYTES = 600  # more than a sector, so an unsynced write can tear


def payload(i: int) -> bytes:
    head = f"entry {i}\n".encode()
    return head + b"x" * (ENTRY_BYTES - len(head) - 1) + b"\n"


def no_fsync(root: str, n: int = 3) -> None:
    for i in range(n):
        with open(os.path.join(root, "q", f"entry-{i}"), "wb") as f:
            f.write(payload(i))
        ack(str(i))


def fsync_file_only(root: str, n: int = 3) -> None:
    for i in range(n):
        with open(os.path.join(root, "q", f"entry-{i}"), "wb") as f:
            f.write(payload(i))
            f.flush()
            os.fsync(f.fileno())
        ack(str(i))


def safe(root: str, n: int = 3) -> None:
    qdir = os.path.join(root, "q")
    for i in range(n):
        tmp = os.path.join(qdir, f".tmp-{i}")
        with open(tmp, "wb") as f:
            f.write(payload(i))
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(qdir, f"entry-{i}"))
        fd = os.open(qdir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        ack(str(i))


def read_queue(root: Path) -> dict[str, str]:
    """Recovery: each entry file as "ok" or "torn" (its bytes are not what was written)."""
    out: dict[str, str] = {}
    qdir = root / "q"
    if not qdir.is_dir():
        return out
    for path in qdir.iterdir():
        if not path.name.startswith("entry-"):
            continue  # temp files are not entries
        label = path.name.removeprefix("entry-")
        out[label] = "ok" if path.read_bytes() == payload(int(label)) else "torn"
    return out


def ok_entries(view: dict[str, str]) -> list[str]:
    return [label for label, status in view.items() if status == "ok"]
