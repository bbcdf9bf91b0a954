"""The public surface of harness.disk, pinned; every registered kind keeps its contract."""

from __future__ import annotations

import harness.disk
from harness.disk.recorders import get_recorder, recorder_names


def test_disk_exports() -> None:
    assert sorted(harness.disk.__all__) == [
        "AFTER_POWER",
        "Bounds",
        "CASE_PREFIX",
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
    assert harness.disk.model_names() == ["ext4-ordered", "weakest"]


def test_every_recorder_says_whether_it_can_run_and_how() -> None:
    assert recorder_names() == ["strace", "ptrace"]  # preference order
    for name in recorder_names():
        recorder = get_recorder(name)
        problem = recorder.problem()
        assert problem is None or (isinstance(problem, str) and "\n" not in problem)
        assert recorder.name == name and recorder.how
