"""Workers the scheduler tests run (a module, so they pickle by reference)."""

from __future__ import annotations

import time

from harness.crashpoints import crashpoint


def append_steps(path: str, name: str, points: int) -> str:
    """Writes one line per step, so the file shows the order steps really ran in."""
    for i in range(points):
        with open(path, "a") as fh:
            fh.write(f"{name}{i}\n")
        crashpoint("w.step")
    with open(path, "a") as fh:
        fh.write(f"{name}end\n")
    return name


def stuck() -> None:
    crashpoint("w.before_sleep")
    time.sleep(3600)


def raises() -> None:
    crashpoint("w.a")
    raise RuntimeError("worker broke")


def rolls(rng) -> int:
    return rng.randrange(1000)
