"""What ``harness doctor`` says about power-loss recording: each recorder, and which one
would be used and why (never an error: a missing recorder only matters to disk scenarios)."""

from __future__ import annotations

from harness.disk.recorders import (
    ENV_RECORDER,
    RecorderUnavailable,
    choose,
    get_recorder,
    recorder_names,
)
from harness.errors import UnknownName


def lines() -> list[str]:
    out = ["disk recorders (power-loss scenarios; in order of preference):"]
    for name in recorder_names():
        recorder = get_recorder(name)
        problem = recorder.problem()
        state = "can record" if problem is None else f"cannot record: {problem}"
        out.append(f"  {name:<8} {state} ({recorder.how})")
    out.append("  sqlite   the VFS shim (apsw) records SQLite databases opened through it")
    try:
        choice = choose()
        out.append(f"selected disk recorder: {choice.recorder.name} ({choice.why})")
    except (RecorderUnavailable, UnknownName) as exc:
        out.append(f"selected disk recorder: none: {exc} (set {ENV_RECORDER} to choose)")
    return out
