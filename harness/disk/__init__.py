"""Power loss: record a real process's file operations, build every crash state a
power cut allows under a named persistence model, recover and check each.

    from harness.checkers import Check
    from harness.disk import record_call, explore
    rec = record_call(functools.partial(writer, root), root)       # strace / ptrace
    result = explore(rec.trace, recover=read_queue, checks=[Check("acked_recovered")],
                     models=("weakest", "ext4-ordered"))
    result.summary(); result.failing[0].state.id                   # op12:keep=3-5

SQLite is recorded at its own file layer instead (``harness.disk.sqlite``). See
docs/disk.md for the models, the bounds and what is not modelled.
"""

from __future__ import annotations

from harness.disk.checks import acked_recovered
from harness.disk.child import ack
from harness.disk.explore import (
    AFTER_POWER,
    CASE_PREFIX,
    Exploration,
    StateResult,
    explore,
    rebuild,
)
from harness.disk.models import get_model, model_names
from harness.disk.ops import Op, Trace
from harness.disk.record import Recording, RecordingFailed, record_call, record_command
from harness.disk.recorders import RecorderUnavailable, choose, recorder_names
from harness.disk.states import Bounds, CrashState, UnknownState, enumerate_states, lookup

__all__ = [
    "AFTER_POWER",
    "CASE_PREFIX",
    "Bounds",
    "CrashState",
    "Exploration",
    "Op",
    "RecorderUnavailable",
    "Recording",
    "RecordingFailed",
    "StateResult",
    "Trace",
    "UnknownState",
    "ack",
    "acked_recovered",
    "choose",
    "enumerate_states",
    "explore",
    "get_model",
    "lookup",
    "model_names",
    "rebuild",
    "record_call",
    "record_command",
    "recorder_names",
]
