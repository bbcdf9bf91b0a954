"""Merges what children report into one ``History`` (Jepsen's single-interpreter view)."""

from __future__ import annotations

from typing import Any

from harness.history import History, Op, OpType


class Recorder:
    """Places child ops in the history; closes a dead child's open ops as ``info``."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._open: dict[str, list[Op]] = {}

    def child_op(self, process: str, message: tuple[Any, ...]) -> None:
        _, type_, f, value, error, t_ns = message
        op = self.history.add(
            Op(0, process, OpType(type_), f, value, self.history.elapsed_ns(t_ns), error)
        )
        stack = self._open.setdefault(process, [])
        if op.type is OpType.INVOKE:
            stack.append(op)
            return
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].f == f:
                del stack[i]
                break

    def crashed(self, process: str, reason: str) -> None:
        """A process died mid-operation: each open op's outcome is unknown."""
        for invoked in reversed(self._open.pop(process, [])):
            self.history.info(invoked, reason)
