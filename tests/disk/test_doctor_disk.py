"""``harness doctor`` says which disk recorder it would use, and why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cli import main


def test_doctor_names_the_disk_recorder_and_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("HARNESS_DISK_RECORDER", raising=False)
    main(["doctor", "--no-start"])
    out = capsys.readouterr().out
    assert "disk recorders (power-loss scenarios; in order of preference):" in out
    if shutil.which("strace"):
        assert "selected disk recorder: strace (the most preferred one that can run here)" in out

    # a pip-only machine: no strace on PATH; the pure-Python tracer is chosen
    monkeypatch.setenv("PATH", str(tmp_path))
    main(["doctor", "--no-start"])
    out = capsys.readouterr().out
    assert "strace   cannot record: no strace on PATH" in out
    assert (
        "selected disk recorder: ptrace (the most preferred one that can run here "
        "(strace: no strace on PATH))" in out
    )
