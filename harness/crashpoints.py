"""The crash-point marker: the one piece of the harness that code under test imports.

Reference code calls ``crashpoint("agt.register.after_consume")`` between its
steps. Unarmed (the normal case) it costs one global read. Armed, the harness's
controller decides at each point: record it, pause there while the harness
acts (cut a link, kill a server), or SIGKILL the process.

Point names are dotted, lower case: ``<system>.<operation>.<where>``.
"""

from __future__ import annotations

from typing import Protocol


class Controller(Protocol):
    """What an armed process consults at every crash point."""

    def reached(self, name: str) -> None:
        """Called at each point; may block (pause) or never return (SIGKILL)."""


_controller: Controller | None = None


def crashpoint(name: str) -> None:
    """Mark the point between two steps; a no-op unless a controller is armed."""
    controller = _controller
    if controller is not None:
        controller.reached(name)


def arm(controller: Controller) -> None:
    """Install ``controller`` for this process (the harness does this in a child)."""
    global _controller
    _controller = controller


def disarm() -> None:
    """Back to no-op markers."""
    global _controller
    _controller = None


def armed() -> bool:
    return _controller is not None
