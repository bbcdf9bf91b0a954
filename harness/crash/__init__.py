"""Crash points, run for real: a child killed (SIGKILL) or paused at each point in turn."""

from __future__ import annotations

from harness.crash.child import Fail, record, report_backend_pid
from harness.crash.explore import (
    AFTER_FAULT,
    AFTER_RECOVERY,
    NO_FAULT,
    CrashCase,
    FaultCase,
    explore_crashes,
    explore_faults,
    explore_named,
    explore_points,
)
from harness.crash.faults import AtPoint, Cut, Fault, InProcess, Kill, through
from harness.crash.in_process import PointActions, at_points, discover_in_process
from harness.crash.runner import CaseRun, Outcome, discover, run_case
from harness.crash.spawn import default_spawner, make_spawner, shutdown
from harness.crash.steps import Steps

__all__ = [
    "AFTER_FAULT",
    "AFTER_RECOVERY",
    "NO_FAULT",
    "AtPoint",
    "CaseRun",
    "CrashCase",
    "Cut",
    "Fail",
    "Fault",
    "FaultCase",
    "InProcess",
    "Kill",
    "Outcome",
    "PointActions",
    "Steps",
    "at_points",
    "default_spawner",
    "discover",
    "discover_in_process",
    "explore_crashes",
    "explore_faults",
    "explore_named",
    "explore_points",
    "make_spawner",
    "record",
    "report_backend_pid",
    "run_case",
    "shutdown",
    "through",
]
