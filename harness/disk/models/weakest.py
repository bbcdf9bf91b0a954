"""``weakest``: only what POSIX and fsync(2) promise.

- A file's writes and truncations are durable once that file is fsynced
  (fsync or fdatasync); before, each persists or not, independently of the others.
- A create, mkdir, rename, unlink or rmdir is durable once its directory is fsynced
  (both directories for a rename across them); fsync of the file is not enough.
- Unsynced directory operations persist in any subset that keeps, for each name,
  a prefix of the operations on it (a rename of ``a`` needs the create of ``a``),
  and an entry in a new directory needs that directory's mkdir.
- A write may tear at sector (512-byte) granularity, keeping its first sectors; an
  append may reach the disk as its new size with zeros for data; a rename may be
  seen half done (the new name linked, the old one not yet removed).
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.disk.models.base import Model, Pending, data_op_tears, register
from harness.disk.ops import DATA_KINDS, DIR_KINDS, Op, Trace


@register("weakest")
class Weakest(Model):
    summary = "fsync makes a file's data durable, fsync of its directory its name; nothing else"

    def at(self, trace: Trace) -> Iterator[Pending]:
        durable: list[int] = []
        pending: list[int] = []
        deps: dict[int, frozenset[int]] = {}
        tears: dict[int, tuple[str, ...]] = {}
        unsynced_dirs: dict[int, set[str]] = {}  # pending dir op -> directories not yet synced
        last_on_name: dict[str, int] = {}
        sizes = {ino: len(data) for ino, data in trace.files.values()}
        for i, op in enumerate(trace.ops):
            if op.kind in DATA_KINDS:
                pending.append(i)
                data_op_tears(i, op, sizes, tears, zeros=True)
            elif op.kind in DIR_KINDS:
                pending.append(i)
                keys = set(op.names()) | set(op.parents())
                deps[i] = frozenset(last_on_name[k] for k in keys if k in last_on_name)
                for name in op.names():
                    last_on_name[name] = i
                unsynced_dirs[i] = set(op.parents())
                if op.kind == "rename" and op.ino >= 0:
                    tears[i] = ("half",)
            elif op.kind == "fsync":
                done = [j for j in pending if _data_of(trace.ops[j], op.ino)]
                self._settle(done, durable, pending, deps, tears)
            elif op.kind == "dirsync":
                done = []
                for j in pending:
                    left = unsynced_dirs.get(j)
                    if left is not None:
                        left.discard(op.name)
                        if not left:
                            done.append(j)
                self._settle(done, durable, pending, deps, tears)
                for j in done:
                    unsynced_dirs.pop(j, None)
                for name in [n for n, j in last_on_name.items() if j in done]:
                    del last_on_name[name]
            yield Pending(i, list(durable), list(pending), dict(deps), dict(tears))

    @staticmethod
    def _settle(
        done: list[int],
        durable: list[int],
        pending: list[int],
        deps: dict[int, frozenset[int]],
        tears: dict[int, tuple[str, ...]],
    ) -> None:
        gone = set(done)
        durable.extend(done)
        durable.sort()
        pending[:] = [j for j in pending if j not in gone]
        for j in done:
            deps.pop(j, None)
            tears.pop(j, None)
        for j in list(deps):
            deps[j] = deps[j] - gone


def _data_of(op: Op, ino: int) -> bool:
    return op.kind in DATA_KINDS and op.ino == ino
