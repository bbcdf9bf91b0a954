"""Faults at a crash point in *this* process: the action runs where the code stands.

The crash runner pauses a child at a point and acts from the parent. Some faults
need the caller's own client to walk into them instead: cut the link, lose its
replies or kill the server when the point is first reached, then let the code
go on into the fault. That is this controller. Killing the calling process at a
point stays the crash runner's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from harness import crashpoints


class PointActions:
    """Controller: records every point reached; runs each armed action once."""

    def __init__(self, actions: dict[str, Callable[[], None]] | None = None) -> None:
        self.actions = dict(actions or {})
        self.seen: list[str] = []
        self.fired: list[str] = []

    def reached(self, name: str) -> None:
        self.seen.append(name)
        action = self.actions.pop(name, None)
        if action is not None:
            self.fired.append(name)
            action()


@contextmanager
def at_points(actions: dict[str, Callable[[], None]] | None = None) -> Iterator[PointActions]:
    """Arm ``{point: action}`` in this process for the ``with`` block."""
    controller = PointActions(actions)
    crashpoints.arm(controller)
    try:
        yield controller
    finally:
        crashpoints.disarm()


def discover_in_process(run: Callable[[], object], prefix: str = "") -> list[str]:
    """The points ``run`` passes here whose names start with ``prefix``, in order, once each."""
    with at_points() as controller:
        run()
    out: list[str] = []
    for name in controller.seen:
        if name.startswith(prefix) and name not in out:
            out.append(name)
    return out
