"""The pytest side of a mutation run (``-p harness.mutate.plugin``, driven by ``harness mutate``).

Every test of the fixes under mutation is parametrized over the plan's
mutants (first the original code, which must pass), so one session per
worker runs them all against the same warm servers. Per item:

- the mutant is named in ``HARNESS_MUTANT`` for the test and every child,
  server and forked process it starts;
- an item whose mutant another item already killed is skipped (a marker file);
- the first case whose verdict is not VALID kills the mutant and ends the
  item at once (``ScenarioContext.record`` raises), so a killed mutant costs
  one failing case, not a whole exploration;
- an item that runs past the plan's time limit ends as ``timeout``, which is
  not a kill: only a verdict that says why counts.

Each item's outcome is appended to ``<run>/outcomes-<pid>.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.mutate.runtime import ENV_DIR, ENV_MUTANT, promote
from harness.scenario import ScenarioContext
from harness.verdict import Validity

PLAN = "plan.json"
_RESULT_KEY = "harness_scenario_result"  # what harness.fixtures.scenario attaches


class MutantKilled(Exception):
    """A case under a mutant was not VALID: the mutant is caught; stop exploring."""


class MutantTimeout(BaseException):
    """The item ran past the mutation run's time limit without a verdict.

    A BaseException, like KeyboardInterrupt: code under test that catches every
    ``Exception`` (a poll loop counting errors) must not swallow it and loop on."""


_plan: dict[str, Any] | None = None
_killed_by: dict[str, Any] | None = None


def _folder() -> Path:
    return Path(os.environ[ENV_DIR])


def _load_plan() -> dict[str, Any] | None:
    if not os.environ.get(ENV_DIR):
        return None
    data: dict[str, Any] = json.loads((_folder() / PLAN).read_text())
    return data


def pytest_configure(config: pytest.Config) -> None:
    global _plan
    _plan = _load_plan()
    if _plan is None:
        return
    promote()
    _wrap_record()
    try:  # no shrinking: a mutant needs one counterexample, not the smallest
        from hypothesis import Phase, settings

        settings.register_profile(
            "harness-mutate",
            parent=settings.get_profile(settings._current_profile or "default"),
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            derandomize=True,
            deadline=None,
        )
        settings.load_profile("harness-mutate")
    except Exception:  # hypothesis absent or changed: it only costs time
        pass


def _wrap_record() -> None:
    original = ScenarioContext.record
    if getattr(original, "__harness_mutate__", False):
        return

    def record(self: ScenarioContext, case_id: str, verdict: Any, **kwargs: Any) -> Any:
        case = original(self, case_id, verdict, **kwargs)
        if verdict.validity is not Validity.VALID and os.environ.get(ENV_MUTANT):
            global _killed_by
            _killed_by = {
                "scenario": self.result.ref,
                "case": case_id,
                "validity": verdict.validity.value,
                "summary": verdict.summary,
                "checker": verdict.checker,
            }
            raise MutantKilled(f"{self.result.ref}:{case_id}: {verdict.summary}")
        return case

    record.__harness_mutate__ = True  # type: ignore[attr-defined]
    ScenarioContext.record = record  # type: ignore[method-assign]


def _fix_of(node: Any) -> str | None:
    marker = node.get_closest_marker("fix")
    return str(marker.args[0]).upper() if marker and marker.args else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _plan is None or "harness_mutant" not in metafunc.fixturenames:
        return
    mutants = _plan["fixes"].get(_fix_of(metafunc.definition) or "")
    if mutants is None:
        return
    ids = ["", *mutants]
    metafunc.parametrize(
        "harness_mutant",
        ids,
        indirect=True,
        ids=["original", *(f"m{i}" for i in range(1, len(ids)))],
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups; deselection keeps the order
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _plan is None:
        return
    order = {(fix, m): i for fix, ids in _plan["fixes"].items() for i, m in enumerate(["", *ids])}
    first: dict[str, str] = _plan.get("first", {})  # mutant -> the test that killed it last time

    def key(item: pytest.Item) -> tuple[int, int]:
        mutant = _mutant_of(item)
        killer = first.get(mutant or "")
        lead = 0 if killer is not None and item.nodeid.split("[")[0] == killer else 1
        return order.get((_fix_of(item), mutant), -1), lead

    items.sort(key=key)  # stable: the originals first, then one mutant after another
    for item in items:
        mutant = _mutant_of(item)
        if mutant is not None:
            # One worker per mutant (--dist loadgroup): its tests run one after another,
            # so the first kill skips the rest instead of racing them on another worker.
            group = f"{_fix_of(item)}|{mutant}"
            _join_group(item, hashlib.sha256(group.encode()).hexdigest()[:12])


def _join_group(item: pytest.Item, group: str) -> None:
    """Put ``item`` in xdist's ``--dist loadgroup`` group ``group``: its node id ends in
    ``@group``, which is what the scheduler reads. Not through the ``xdist_group`` mark:
    xdist 3.8 writes the suffix to ``item._nodeid``, which pytest 9.2 no longer reads
    (its node id is a structured ``_id``), so no group ever formed and a mutant's tests
    ran on both workers, the second often after the first had already killed it."""
    grouped = f"{item.nodeid}@{group}"
    current = getattr(item, "_id", None)
    if current is not None and not isinstance(current, str) and hasattr(current, "parse"):
        item._id = type(current).parse(grouped)
    else:
        item._nodeid = grouped  # type: ignore[attr-defined]
    if item.nodeid != grouped:
        raise pytest.UsageError(
            f"harness mutate cannot group the tests of one mutant with this pytest "
            f"({pytest.__version__}): node id {item.nodeid!r} did not take the group"
        )


def _mutant_of(item: pytest.Item) -> str | None:
    params = getattr(item, "callspec", None)
    mutant = params.params.get("harness_mutant") if params is not None else None
    return mutant if isinstance(mutant, str) else None


def _killed_marker(fix: str | None, mutant: str) -> Path:
    # Every worker must name the same file: a digest, not hash() (salted per process).
    # Per fix: a mutant another fix's scenarios killed is still this fix's to catch.
    key = f"{fix}|{mutant}".encode()
    return _folder() / "killed" / hashlib.sha256(key).hexdigest()[:20]


@pytest.fixture(autouse=True)
def harness_mutant(request: pytest.FixtureRequest) -> Iterator[str | None]:
    mutant = getattr(request, "param", None)
    if _plan is None or mutant is None:
        yield None
        return
    if mutant and _killed_marker(_fix_of(request.node), mutant).exists():
        pytest.skip("mutant already killed by another test")
    old = os.environ.get(ENV_MUTANT)
    os.environ[ENV_MUTANT] = mutant
    try:
        yield mutant
    finally:
        if old is None:
            os.environ.pop(ENV_MUTANT, None)
        else:
            os.environ[ENV_MUTANT] = old


def _on_alarm(signum: int, frame: Any) -> None:
    signal.alarm(5)  # again, should something catch even this one
    raise MutantTimeout("no verdict within the mutation run's time limit")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    if _plan is None or not _is_mutated(item):
        return (yield)
    global _killed_by
    _killed_by = None
    limit = int(_plan.get("timeout_s", 0))
    previous = signal.signal(signal.SIGALRM, _on_alarm) if limit else None
    if limit:
        signal.alarm(limit)
    try:
        return (yield)
    finally:
        if limit:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


def _is_mutated(item: pytest.Item) -> bool:
    params = getattr(item, "callspec", None)
    return params is not None and "harness_mutant" in params.params


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    if _plan is None or not _is_mutated(item):
        return report
    mutant = item.callspec.params["harness_mutant"]  # type: ignore[attr-defined]
    outcome: dict[str, Any] | None = None
    if report.when == "setup" and report.skipped:
        outcome = {"status": "skipped"}
    elif report.when == "setup" and report.failed:
        outcome = {"status": "error", "evidence": _short(report)}
    elif report.when == "call":
        outcome = _classify(report, call)
    if outcome is not None:
        fix = _fix_of(item)
        outcome.update(
            fix=fix,
            mutant=mutant,
            nodeid=item.nodeid.split("@")[0],  # less xdist's group suffix
            duration_s=round(report.duration, 3),
        )
        if outcome["status"] == "killed" and mutant:
            marker = _killed_marker(fix, mutant)
            marker.parent.mkdir(exist_ok=True)
            marker.touch()
        path = _folder() / f"outcomes-{os.getpid()}.jsonl"
        with open(path, "a") as fh:
            fh.write(json.dumps(outcome) + "\n")
    return report


def _classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> dict[str, Any]:
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, MutantKilled) and _killed_by is not None:
        return {"status": "killed", "evidence": _killed_by}
    if isinstance(exc, MutantTimeout):
        return {"status": "timeout", "evidence": str(exc)}
    if report.passed:
        return {"status": "survived"}
    result = next((json.loads(str(v)) for k, v in report.user_properties if k == _RESULT_KEY), None)
    if result is not None:
        bad = [c for c in result.get("cases", []) if c["verdict"]["validity"] != "valid"]
        if bad:
            case = bad[0]
            return {
                "status": "killed",
                "evidence": {
                    "scenario": result.get("replay", ""),
                    "case": case["case_id"],
                    "validity": case["verdict"]["validity"],
                    "summary": case["verdict"]["summary"],
                },
            }
        if result.get("error"):
            return {"status": "killed", "evidence": {"error": result["error"][:300]}}
    return {"status": "killed", "evidence": {"error": _short(report)}}


def _short(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    last = next((ln for ln in reversed(lines) if ln.startswith("E ")), lines[-1] if lines else "")
    return last[:300]
