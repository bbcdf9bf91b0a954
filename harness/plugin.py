"""The pytest plugin (entry point ``pytest11: harness``).

Each concern lives in its own module under ``harness.fixtures``; this module
only loads them, so a new concern is one line here.
"""

from __future__ import annotations

pytest_plugins = [
    "harness.fixtures.options",
    "harness.fixtures.scenario",
    "harness.fixtures.servers",
    "harness.fixtures.proxy",
    "harness.fixtures.faults",
    "harness.fixtures.hypothesis_profiles",
]
