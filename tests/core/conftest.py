from __future__ import annotations

import os

import pytest

from harness.crash.spawn import Spawner, make_spawner


@pytest.fixture(scope="module", params=["zygote", "fork"])
def any_spawner(request: pytest.FixtureRequest):
    """Each spawn method in turn (the zygote is started once per module)."""
    spawner: Spawner = make_spawner(request.param)
    yield spawner
    spawner.close()


def gone(pid: int) -> bool:
    """The process no longer runs (it may linger as a zombie of the fork server for a moment)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def pid_alive(pid: int) -> bool:
    return not gone(pid) and os.path.exists(f"/proc/{pid}")
