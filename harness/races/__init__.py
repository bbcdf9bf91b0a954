"""Races: deterministic schedules of workers paused at crash points, and seeded hammering."""

from __future__ import annotations

from harness.races.blocking import BlockingDetector, WorkerView, detector_kinds, make_detector
from harness.races.explore import (
    ScheduleCase,
    SearchResult,
    discover_steps,
    explore_schedules,
    find_failing_schedule,
)
from harness.races.hammer import HammerCase, explore_hammer, hammer
from harness.races.schedule import Schedule, count_interleavings, enumerate_schedules
from harness.races.scheduler import ScheduleRun, run_schedule
from harness.races.strategy import schedules

__all__ = [
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
