"""A fault-injection verification harness: real servers, real faults, checked histories.

The public surface is re-exported here; machinery lives in submodules.
"""

from __future__ import annotations

from harness.crashpoints import crashpoint
from harness.errors import HarnessError
from harness.history import History, Op, OpType
from harness.scenario import Case, ScenarioContext, ScenarioResult, scenario
from harness.verdict import Validity, Verdict

__all__ = [
    "Case",
    "HarnessError",
    "History",
    "Op",
    "OpType",
    "ScenarioContext",
    "ScenarioResult",
    "Validity",
    "Verdict",
    "crashpoint",
    "scenario",
]
__version__ = "0.1.0"
