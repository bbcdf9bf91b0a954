"""Turn what a recorder saw (open this name, write to that file) into a ``Trace``.

The builder keeps the namespace the recorded run sees (which name holds which
inode, each inode's size), so that every recorder, syscall-level or SQLite's VFS,
emits the same operations: an ``O_CREAT`` open of a missing name is a ``create``,
an ``O_TRUNC`` of an existing file a ``truncate``, a rename moves an inode.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.disk.ops import Op, Trace


def snapshot(root: Path) -> Trace:
    """An empty trace whose initial tree is what ``root`` holds now."""
    trace = Trace()
    ino = 0
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        rel = "" if rel == "." else rel
        dirnames.sort()
        for d in dirnames:
            trace.dirs.append(os.path.join(rel, d) if rel else d)
        for f in sorted(filenames):
            name = os.path.join(rel, f) if rel else f
            path = Path(dirpath) / f
            if path.is_symlink() or not path.is_file():
                continue
            trace.files[name] = (ino, path.read_bytes())
            ino += 1
    return trace


class TraceBuilder:
    """Appends operations to a trace while tracking names, inodes and sizes."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.names: dict[str, int] = {n: ino for n, (ino, _) in trace.files.items()}
        self.sizes: dict[int, int] = {ino: len(data) for ino, data in trace.files.values()}
        self.dirs: set[str] = set(trace.dirs) | {""}
        self._next_ino = 1 + max(self.sizes, default=-1)

    def _emit(self, op: Op) -> None:
        self.trace.ops.append(op)

    # ---- files ----------------------------------------------------------------

    def open(self, name: str, *, create: bool, truncate: bool) -> int | None:
        """The inode ``name`` opens (creating it if asked); None if it is not a file."""
        ino = self.names.get(name)
        if ino is None:
            if not create or name in self.dirs:
                return None
            ino = self._next_ino
            self._next_ino += 1
            self.names[name] = ino
            self.sizes[ino] = 0
            self._emit(Op("create", name=name, ino=ino))
        elif truncate and self.sizes.get(ino, 0) > 0:
            self.truncate(ino, 0)
        return ino

    def write(self, ino: int, offset: int, data: bytes) -> None:
        if not data:
            return
        self._emit(Op("write", ino=ino, offset=offset, data=bytes(data)))
        self.sizes[ino] = max(self.sizes.get(ino, 0), offset + len(data))

    def truncate(self, ino: int, size: int) -> None:
        self._emit(Op("truncate", ino=ino, size=size))
        self.sizes[ino] = size

    def size(self, ino: int) -> int:
        return self.sizes.get(ino, 0)

    def fsync(self, ino: int) -> None:
        self._emit(Op("fsync", ino=ino))

    # ---- directories ----------------------------------------------------------

    def dirsync(self, name: str) -> None:
        self._emit(Op("dirsync", name=name))

    def mkdir(self, name: str) -> None:
        if name not in self.dirs:
            self.dirs.add(name)
            self._emit(Op("mkdir", name=name))

    def rmdir(self, name: str) -> None:
        if name in self.dirs:
            self.dirs.discard(name)
            self._emit(Op("rmdir", name=name))

    def unlink(self, name: str) -> None:
        ino = self.names.pop(name, None)
        if ino is not None:
            self._emit(Op("unlink", name=name, ino=ino))

    def rename(self, src: str, dst: str) -> None:
        if src == dst:
            return
        if src in self.dirs:
            self._rename_dir(src, dst)
            return
        ino = self.names.pop(src, None)
        if ino is None:
            return
        replaced = self.names.get(dst, -1)
        self.names[dst] = ino
        self._emit(Op("rename", name=src, dst=dst, ino=ino, replaced=replaced))

    def _rename_dir(self, src: str, dst: str) -> None:
        prefix = src + "/"
        for name in [n for n in self.names if n.startswith(prefix)]:
            self.names[dst + "/" + name[len(prefix) :]] = self.names.pop(name)
        for d in [d for d in self.dirs if d == src or d.startswith(prefix)]:
            self.dirs.discard(d)
            self.dirs.add(dst + d[len(src) :])
        self._emit(Op("rename", name=src, dst=dst))

    # ---- events ---------------------------------------------------------------

    def mark(self, mark_kind: str, label: str) -> None:
        self._emit(Op("mark", label=label, mark_kind=mark_kind))
