"""Faults placed at an exact crash point of the queue code, in this process.

A small adapter over ``harness.crashpoints``: the controller runs an action
(cut the link, lose its replies, kill the server) the first time the named point
is reached, then lets the code go on into the fault. Killing the *client*
process at a point is the harness's crash runner's job, not this.
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
    controller = PointActions(actions)
    crashpoints.arm(controller)
    try:
        yield controller
    finally:
        crashpoints.disarm()


def discover(run: Callable[[], object], prefix: str) -> list[str]:
    """The points ``run`` passes whose names start with ``prefix``, in order, once each."""
    with at_points() as controller:
        run()
    out: list[str] = []
    for name in controller.seen:
        if name.startswith(prefix) and name not in out:
            out.append(name)
    return out
