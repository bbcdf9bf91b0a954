"""Bad input: one clear line, a HarnessError (the CLI prints it and exits non-zero)."""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path

import pytest

from harness.disk import (
    RecorderUnavailable,
    RecordingFailed,
    Trace,
    UnknownState,
    acked_recovered,
    choose,
    explore,
    lookup,
    record_call,
    record_command,
)
from harness.disk.ops import Op
from harness.errors import ConfigError, HarnessError, UnknownName


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


def test_no_recorder_available_names_what_was_tried_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no strace
    monkeypatch.setitem(sys.modules, "ptrace", None)  # python-ptrace not importable
    monkeypatch.delenv("HARNESS_DISK_RECORDER", raising=False)
    with pytest.raises(RecorderUnavailable) as info:
        choose()
    text = _one_line(info.value)
    assert "strace: no strace on PATH" in text and "python-ptrace is not installed" in text
    assert "pip install python-ptrace" in text


def test_an_asked_for_recorder_that_cannot_run_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HARNESS_DISK_RECORDER", "strace")
    with pytest.raises(RecorderUnavailable, match=r"'strace' \(HARNESS_DISK_RECORDER\) cannot run"):
        choose()
    monkeypatch.setenv("HARNESS_DISK_RECORDER", "dtrace")
    with pytest.raises(UnknownName, match="unknown disk recorder 'dtrace'; known: ptrace, strace"):
        choose()


def _fails(root: str) -> None:
    with open(root + "/half", "w") as f:
        f.write("x")
    raise RuntimeError("the writer broke: disk full")


def test_a_traced_process_that_fails_gives_its_stderr(tmp_path: Path) -> None:
    with pytest.raises(RecordingFailed) as info:
        record_call(functools.partial(_fails, str(tmp_path)), tmp_path)
    text = _one_line(info.value)
    assert "exited with 1" in text and "RuntimeError: the writer broke: disk full" in text


def _spins() -> None:
    while True:  # a recorded call that never returns and makes no system call
        pass


@pytest.mark.parametrize("kill_at", [None, "never.reached"])
def test_a_traced_process_past_its_time_limit_says_it_timed_out(
    tmp_path: Path, kill_at: str | None
) -> None:
    # with kill_at too: the limit's SIGKILL must not pass for a kill at a crash point
    with pytest.raises(RecordingFailed) as info:
        record_call(_spins, tmp_path, timeout_s=1.5, kill_at=kill_at)
    text = _one_line(info.value)
    assert "did not finish within 1.5 s" in text and "timed out" in text


def test_a_command_that_does_not_exist_fails_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(RecordingFailed) as info:
        record_command(["/nonexistent/writer"], tmp_path)
    assert "exited with" in _one_line(info.value)


def test_bad_arguments_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a directory"):
        record_command(["true"], tmp_path / "missing")
    with pytest.raises(ConfigError, match="non-empty list"):
        record_command("true", tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot pickle"):
        record_call(functools.partial(print, threading.Lock()), tmp_path)
    trace = Trace(ops=[Op("create", name="a", ino=0)])
    with pytest.raises(UnknownName, match="unknown persistence model 'ext5'"):
        explore(trace, recover=lambda p: None, check=acked_recovered(), models=("ext5",))
    with pytest.raises(ConfigError, match="recover must be a callable"):
        explore(trace, recover=None, check=acked_recovered())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state_id", "message"),
    [
        ("op1", "is not a crash state id"),
        ("op9:keep=none", "no crash point 9"),
        ("op1:keep=5", "ops [5] are not pending at op 1"),
        ("op1:keep=1", "keeps an op without one it needs"),
        ("op1:keep=0-1:tear=1/s7", "op 1 cannot tear as 's7'"),
    ],
)
def test_a_state_id_that_does_not_exist_is_one_line(state_id: str, message: str) -> None:
    # op 1 renames the file op 0 created: under weakest the rename needs the create
    trace = Trace(ops=[Op("create", name="x", ino=0), Op("rename", name="x", dst="y", ino=0)])
    with pytest.raises(UnknownState) as info:
        lookup(trace, "weakest", state_id)
    assert message in _one_line(info.value)
    assert isinstance(info.value, HarnessError)
