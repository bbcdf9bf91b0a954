"""``ext4-ordered``: what a default ext4 mount (data=ordered, delalloc) gives in practice.

After ALICE's measurements of ext4 in ordered mode:
- Directory operations reach the disk in the order they were made, each whole
  (no half-done rename): a crash keeps a prefix of them. Any fsync (of a file or a
  directory) commits the journal, so every directory operation made before it is
  durable: fsync of a new file makes its name durable too.
- File data is durable once that file is fsynced; before, each write persists or not,
  independently. Data is written before the metadata that exposes it, so an append
  never shows zeros; a write spanning several sectors may still keep only its first.
- A rename that replaces a file carries the data written to the renamed file
  (ext4's auto_da_alloc): if the rename persists, those writes did too.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.disk.models.base import Model, Pending, data_op_tears, register
from harness.disk.ops import DATA_KINDS, DIR_KINDS, Trace


@register("ext4-ordered")
class Ext4Ordered(Model):
    summary = "directory operations in order, committed by any fsync; data only after its fsync"

    def at(self, trace: Trace) -> Iterator[Pending]:
        durable: list[int] = []
        pending: list[int] = []
        deps: dict[int, frozenset[int]] = {}
        tears: dict[int, tuple[str, ...]] = {}
        last_dir_op: int | None = None
        sizes = {ino: len(data) for ino, data in trace.files.values()}
        for i, op in enumerate(trace.ops):
            if op.kind in DATA_KINDS:
                pending.append(i)
                data_op_tears(i, op, sizes, tears, zeros=False)
            elif op.kind in DIR_KINDS:
                pending.append(i)
                needs = {last_dir_op} if last_dir_op is not None else set()
                if op.kind == "rename" and op.replaced >= 0:
                    needs |= {
                        j
                        for j in pending
                        if trace.ops[j].kind in DATA_KINDS and trace.ops[j].ino == op.ino
                    }
                deps[i] = frozenset(needs)
                last_dir_op = i
            elif op.kind in ("fsync", "dirsync"):
                done = [
                    j
                    for j in pending
                    if trace.ops[j].kind in DIR_KINDS
                    or (op.kind == "fsync" and trace.ops[j].ino == op.ino)
                ]
                gone = set(done)
                durable.extend(done)
                durable.sort()
                pending = [j for j in pending if j not in gone]
                for j in done:
                    deps.pop(j, None)
                    tears.pop(j, None)
                for j in list(deps):
                    deps[j] = deps[j] - gone
                if last_dir_op in gone:
                    last_dir_op = None
            yield Pending(i, list(durable), list(pending), dict(deps), dict(tears))
