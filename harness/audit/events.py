"""A pytest plugin the audit loads (``-p harness.audit.events``) to follow a run as it goes.

It appends one JSON line per event to the file named by ``HARNESS_EVENTS_FILE``:
``collected`` (every item, with its fix and scenario), ``total`` (under
xdist), ``test`` (one finished item) and ``finished``. The audit's parent
process tails that file to show progress and to count tests. Without the
variable set the plugin does nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

ENV = "HARNESS_EVENTS_FILE"
_FIX_KEY = "harness_fix"
_ITEM_KEY = "harness_item"
_RESULT_KEY = "harness_scenario_result"  # as harness.fixtures.scenario stores it


def _emit(event: dict[str, Any]) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    # One write per line, O_APPEND: whole lines even if the parent reads concurrently.
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, default=str) + "\n")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _item_info(item: pytest.Item) -> dict[str, Any]:
    marker = item.get_closest_marker("fix")
    spec = getattr(getattr(item, "function", None), "__harness_scenario__", None)
    callspec = getattr(item, "callspec", None)
    info: dict[str, Any] = {
        "nodeid": item.nodeid,
        "fix_id": marker.args[0] if marker and marker.args else None,
    }
    if spec is not None:
        info.update(
            scenario=spec.name,
            variant=callspec.params.get("variant") if callspec else None,
            variants=list(spec.variants),
            measured=list(spec.measured),
            description=spec.description,
        )
    return info


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Fix id and scenario travel to the controller (xdist) in the report's user_properties,
    # so an item that errors before producing a result is still known for what it is.
    for item in items:
        marker = item.get_closest_marker("fix")
        if marker and marker.args:
            item.user_properties.append((_FIX_KEY, marker.args[0]))
        info = _item_info(item)
        if "scenario" in info:
            item.user_properties.append((_ITEM_KEY, json.dumps(info)))


def pytest_collection_finish(session: pytest.Session) -> None:
    if _is_worker(session.config):
        return
    _emit({"event": "collected", "items": [_item_info(i) for i in session.items]})


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    _emit({"event": "total", "count": len(ids)})


_config: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _config[:] = [config]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _config and _is_worker(_config[0]):
        return  # the controller sees every worker's reports; emit once, there
    failed_setup = report.when in ("setup", "teardown") and report.failed
    if not (report.when == "call" or failed_setup or (report.when == "setup" and report.skipped)):
        return
    outcome: str = report.outcome
    if failed_setup:
        outcome = "error"
    fix_id = next((str(v) for k, v in report.user_properties if k == _FIX_KEY), None)
    scenario = _scenario_summary(report)
    message = _message(report) if (report.failed or report.skipped) else ""
    item = next((json.loads(str(v)) for k, v in report.user_properties if k == _ITEM_KEY), None)
    _emit(
        {
            "event": "test",
            "nodeid": report.nodeid,
            "outcome": outcome,
            "fix_id": fix_id,
            "duration_s": round(report.duration, 4),
            "message": message,
            "item": item,
            **scenario,
        }
    )


def _message(report: pytest.TestReport) -> str:
    """One line saying why: pytest's ``E`` line, the crash message, or the skip reason."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        return str(longrepr[2])[:300]
    text = str(longrepr or "")
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()[:300]
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip().splitlines()[0][:300]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _scenario_summary(report: pytest.TestReport) -> dict[str, Any]:
    """The scenario's own verdict, for the progress line (the full result goes elsewhere)."""
    for key, value in report.user_properties:
        if key == _RESULT_KEY:
            data = json.loads(str(value))
            return {
                "scenario": data["scenario"],
                "variant": data["variant"],
                "scenario_outcome": data["outcome"],
                "expects_pass": data["expects_pass"],
                "meets_expectation": data["meets_expectation"],
                "cases": len(data["cases"]),
            }
    return {}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _is_worker(session.config):
        return
    _emit({"event": "finished", "exitstatus": int(exitstatus)})
