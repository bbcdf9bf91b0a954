"""The public surface others code against, pinned (as trio pins its exports)."""

from __future__ import annotations

import harness.checkers
import harness.crash
import harness.races


def test_crash_exports():
    assert sorted(harness.crash.__all__) == [
        "AFTER_FAULT",
        "AFTER_RECOVERY",
        "AtPoint",
        "CaseRun",
        "CrashCase",
        "Cut",
        "Fail",
        "Fault",
        "FaultCase",
        "InProcess",
        "Kill",
        "NO_FAULT",
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


def test_races_exports():
    assert sorted(harness.races.__all__) == [
        "BlockingDetector",
        "HammerCase",
        "Schedule",
        "ScheduleCase",
        "ScheduleRun",
        "SearchResult",
        "WorkerView",
        "count_interleavings",
        "detector_kinds",
        "discover_steps",
        "enumerate_schedules",
        "explore_hammer",
        "explore_schedules",
        "find_failing_schedule",
        "hammer",
        "make_detector",
        "run_schedule",
        "schedules",
    ]


def test_checkers_exports():
    for name in ("check", "checkers", "get_checker", "register", "check_safe", "snapshot_tables"):
        assert name in harness.checkers.__all__
    for name in harness.checkers.__all__:
        assert hasattr(harness.checkers, name)
