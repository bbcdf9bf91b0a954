"""Syscall recorders, one per module, each registered under its name."""

from harness.disk.recorders import ptrace, strace  # noqa: F401  (imported to register)
from harness.disk.recorders.base import (
    ENV_RECORDER,
    Choice,
    ProcessRecorder,
    RecorderUnavailable,
    Traced,
    choose,
    get_recorder,
    recorder_names,
    register,
)

__all__ = [
    "ENV_RECORDER",
    "Choice",
    "ProcessRecorder",
    "RecorderUnavailable",
    "Traced",
    "choose",
    "get_recorder",
    "recorder_names",
    "register",
]
