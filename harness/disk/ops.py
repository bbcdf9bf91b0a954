"""A recorded run as data: the file operations it made, in order, on an initial tree.

Files are inodes (``ino``) so that a write through a descriptor still lands on the
file after a rename; names are paths relative to the recorded root (``"q/0001"``).
Data operations (``write``, ``truncate``) act on an inode; directory operations
(``create``, ``mkdir``, ``rename``, ``unlink``, ``rmdir``) act on names in a
directory (``parent``); ``fsync`` makes an inode durable, ``dirsync`` a directory.
``mark`` is an event the recorded process emitted (an acknowledgement it gave its
caller, a crash point it passed): it changes no file.

A trace is JSON (``Trace.to_json``/``from_json``) so a stored run can be explored
again without re-running it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigError

DATA_KINDS = frozenset({"write", "truncate"})
DIR_KINDS = frozenset({"create", "mkdir", "rename", "unlink", "rmdir"})
SYNC_KINDS = frozenset({"fsync", "dirsync"})


def parent_of(name: str) -> str:
    """The directory holding ``name`` ("" is the recorded root)."""
    return posixpath.dirname(name)


@dataclass(frozen=True)
class Op:
    """One file operation (or mark). Unused fields keep their defaults.

    kind      fields
    write     ino, offset, data
    truncate  ino, size
    create    name, ino          (a new empty file linked at name)
    mkdir     name
    rename    name (source), dst, ino (the inode moved), replaced (inode dst held, or -1)
    unlink    name, ino
    rmdir     name
    fsync     ino                (file data and size; fdatasync is recorded the same)
    dirsync   name               (the directory; "" is the root)
    mark      label, mark_kind   ("ack", "point")
    """

    kind: str
    name: str = ""
    ino: int = -1
    offset: int = 0
    data: bytes = b""
    size: int = 0
    dst: str = ""
    replaced: int = -1
    label: str = ""
    mark_kind: str = ""

    def parents(self) -> tuple[str, ...]:
        """The directories whose sync makes this directory operation durable."""
        if self.kind == "rename":
            src, dst = parent_of(self.name), parent_of(self.dst)
            return (src,) if src == dst else (src, dst)
        return (parent_of(self.name),)

    def names(self) -> tuple[str, ...]:
        """The directory entries this operation changes."""
        return (self.name, self.dst) if self.kind == "rename" else (self.name,)

    def describe(self) -> str:
        k = self.kind
        if k == "write":
            return f"write ino{self.ino} @{self.offset} {len(self.data)}B {self.data[:24]!r}"
        if k == "truncate":
            return f"truncate ino{self.ino} to {self.size}"
        if k == "rename":
            return f"rename {self.name} -> {self.dst}"
        if k in ("create", "unlink"):
            return f"{k} {self.name} (ino{self.ino})"
        if k == "fsync":
            return f"fsync ino{self.ino}"
        if k == "dirsync":
            return f"dirsync {self.name or '.'}"
        if k == "mark":
            return f"{self.mark_kind} {self.label}"
        return f"{k} {self.name}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key, default in _DEFAULTS.items():
            value = getattr(self, key)
            if value != default:
                out[key] = base64.b64encode(value).decode() if key == "data" else value
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Op:
        values = dict(raw)
        if "data" in values:
            values["data"] = base64.b64decode(values["data"])
        return cls(**values)


_DEFAULTS: dict[str, Any] = {
    "name": "",
    "ino": -1,
    "offset": 0,
    "data": b"",
    "size": 0,
    "dst": "",
    "replaced": -1,
    "label": "",
    "mark_kind": "",
}


@dataclass
class Trace:
    """What a run did to the files under its root, starting from ``files``/``dirs``.

    ``files`` maps each initial file name to (inode, content); inode numbers of files
    the run creates follow. ``recorder`` names what recorded it (``strace``...).
    """

    ops: list[Op] = field(default_factory=list)
    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    recorder: str = ""

    def marks(self, mark_kind: str = "ack") -> list[tuple[int, str]]:
        """(op index, label) of each mark of that kind."""
        return [
            (i, op.label)
            for i, op in enumerate(self.ops)
            if op.kind == "mark" and op.mark_kind == mark_kind
        ]

    def acked_before(self, index: int) -> list[str]:
        """Labels acknowledged by the time the ops up to ``index`` (inclusive) had run."""
        return [label for i, label in self.marks("ack") if i <= index]

    def digest(self) -> str:
        """A short fingerprint: the same run recorded again gives the same one."""
        text = json.dumps(self.to_json(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def describe(self) -> str:
        return "\n".join(f"{i:>5}  {op.describe()}" for i, op in enumerate(self.ops))

    def to_json(self) -> dict[str, Any]:
        return {
            "recorder": self.recorder,
            "dirs": sorted(self.dirs),
            "files": {
                name: [ino, base64.b64encode(data).decode()]
                for name, (ino, data) in sorted(self.files.items())
            },
            "ops": [op.to_json() for op in self.ops],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Trace:
        try:
            return cls(
                ops=[Op.from_json(o) for o in raw["ops"]],
                files={
                    str(n): (int(v[0]), base64.b64decode(v[1])) for n, v in raw["files"].items()
                },
                dirs=[str(d) for d in raw.get("dirs", [])],
                recorder=str(raw.get("recorder", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"not a disk trace (expected ops, files, dirs): {exc}") from None
