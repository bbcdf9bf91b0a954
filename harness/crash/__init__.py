"""Crash points, run for real: a child killed (SIGKILL) or paused at each point in turn."""

from __future__ import annotations

from harness.crash.child import Fail, record, report_backend_pid
from harness.crash.explore import CrashCase, explore_crashes, explore_faults
from harness.crash.in_process import PointActions, at_points, discover_in_process
from harness.crash.runner import CaseRun, Outcome, discover, run_case
from harness.crash.spawn import default_spawner, make_spawner, shutdown

__all__ = [
    "CaseRun",
    "CrashCase",
    "Fail",
    "Outcome",
    "PointActions",
    "at_points",
    "default_spawner",
    "discover",
    "discover_in_process",
    "explore_crashes",
    "explore_faults",
    "make_spawner",
    "record",
    "report_backend_pid",
    "run_case",
    "shutdown",
]
