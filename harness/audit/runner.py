"""Runs the scenarios under pytest in a child process and gathers what it wrote.

A child process, not ``pytest.main``: every server and fixture the run starts
dies with it, a second run in the same process starts clean, and pytest-xdist
works as it does on the command line. The child writes scenario results
(``--harness-results``) and progress events (``harness.audit.events``); the
parent tails the events to show progress.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from harness.audit.events import ENV as EVENTS_ENV
from harness.audit.model import TestOutcome
from harness.audit.settings import Settings
from harness.errors import HarnessError
from harness.scenario import FIXED, ScenarioResult, case_ref, derive_seed

KEEP_ENV = "HARNESS_KEEP_SERVERS"
# pytest's exit codes that mean the run itself broke, not a test.
_BROKEN = {2: "interrupted", 3: "internal error", 4: "usage error"}


class RunFailed(HarnessError):
    """pytest could not run the scenarios (exit 2: the harness could not decide)."""


@dataclass
class Selection:
    fixes: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    seed: int | None = None
    exact_seed: bool = False  # replay: the seed is the scenario's own, not a base
    case: str | None = None
    workers: int = 0
    backend: str | None = None
    keep: bool = False
    verbose: bool = False
    collect_only: bool = False


@dataclass
class PytestRun:
    results: list[ScenarioResult]
    tests: list[TestOutcome]
    collected: list[dict[str, Any]]
    exit_code: int
    wall_s: float
    log: str  # pytest's own output

    @property
    def summary(self) -> str:
        """pytest's own last line (``3 failed, 60 passed in 90.1s``), to set beside our counts."""
        for line in reversed(self.log.splitlines()):
            text = line.strip().strip("=").strip()
            if re.search(
                r"\b(passed|failed|error|errors|skipped|deselected|no tests ran)\b", text
            ) and re.search(r" in [\d.]+s", text):
                return text
        return ""


def pytest_argv(settings: Settings, sel: Selection, results: Path) -> list[str]:
    argv = [sys.executable, "-m", "pytest", str(settings.scenarios), "-p", "harness.audit.events"]
    argv += ["--rootdir", str(settings.root), "-o", "console_output_style=classic"]
    if sel.collect_only:
        return [*argv, "--collect-only", "-q", *_filters(sel)]
    argv += ["--harness-results", str(results), "-rfE"]
    argv += ["-v", "-s"] if sel.verbose else ["-q"]
    if sel.workers > 0:
        argv += ["-n", str(sel.workers)]
    elif _xdist_installed():
        argv += ["-p", "no:xdist"]
    return [*argv, *_filters(sel)]


def _xdist_installed() -> bool:
    try:
        import xdist  # noqa: F401
    except ImportError:
        return False
    return True


def _filters(sel: Selection) -> list[str]:
    out: list[str] = []
    if sel.fixes:
        out += ["--harness-fixes", ",".join(sel.fixes)]
    if sel.variants:
        out += ["--harness-variants", ",".join(sel.variants)]
    if sel.scenarios:
        out += ["--harness-scenarios", ",".join(sel.scenarios)]
    if sel.seed is not None:
        out += ["--harness-seed", str(sel.seed)]
    if sel.exact_seed:
        out += ["--harness-exact-seed", "1"]
    if sel.case is not None:
        out += ["--harness-case", sel.case]
    return out


def _env(sel: Selection, events: Path) -> dict[str, str]:
    env = dict(os.environ)
    # A user's addopts could change what the audit counts; an outer pytest's (or xdist
    # worker's) variables would make the child believe it is someone else's worker.
    for name in [n for n in env if n.startswith(("PYTEST_", "HARNESS_EVENTS"))]:
        env.pop(name)
    env[EVENTS_ENV] = str(events)
    if sel.backend:
        env["HARNESS_BACKEND"] = sel.backend
    if sel.keep:
        env[KEEP_ENV] = "1"
    return env


def run_pytest(
    settings: Settings,
    sel: Selection,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    stream_output: bool = False,
) -> PytestRun:
    if not settings.scenarios.exists():
        raise RunFailed(
            f"scenarios path {settings.scenarios} does not exist; set [tool.harness] scenarios"
        )
    with tempfile.TemporaryDirectory(prefix="harness-run-") as tmp:
        results_path = Path(tmp) / "results.jsonl"
        events_path = Path(tmp) / "events.jsonl"
        events_path.touch()
        log_path = Path(tmp) / "pytest.log"
        argv = pytest_argv(settings, sel, results_path)
        t0 = time.perf_counter()
        events: list[dict[str, Any]] = []
        with open(log_path, "w") as log, open(events_path) as tail:
            proc = subprocess.Popen(
                argv,
                cwd=settings.root,
                env=_env(sel, events_path),
                stdout=None if stream_output else log,
                stderr=subprocess.STDOUT if not stream_output else None,
                stdin=subprocess.DEVNULL,
            )
            try:
                with _sigterm_raises():
                    _follow(proc, tail, events, on_event)
            except _Terminated:
                _stop(proc, child_was_told=False)
                raise RunFailed("terminated (SIGTERM); the scenario run was stopped") from None
            except BaseException:
                _stop(proc)
                raise
        wall = time.perf_counter() - t0
        log_text = log_path.read_text(errors="replace")
        code = proc.returncode
        if code in _BROKEN or code < 0:
            last = _last_line(log_text)
            raise RunFailed(
                f"pytest could not run the scenarios ({_BROKEN.get(code, f'signal {-code}')}, "
                f"exit {code}): {last}"
            )
        results = []
        if results_path.exists():
            results = [
                ScenarioResult.from_json(json.loads(line))
                for line in results_path.read_text().splitlines()
                if line.strip()
            ]
    collected = [i for e in events if e["event"] == "collected" for i in e["items"]]
    # One line per item: a teardown error after a passing call replaces the call's line.
    finished = {e["nodeid"]: e for e in events if e["event"] == "test"}
    tests = [TestOutcome.from_json(e) for e in finished.values()]
    results += _unfinished(list(finished.values()), results, sel)
    return PytestRun(results, tests, collected, code, wall, log_text)


def _unfinished(
    events: list[dict[str, Any]], results: list[ScenarioResult], sel: Selection
) -> list[ScenarioResult]:
    """A result for each scenario item that broke before recording one (a fixture error).

    Such an item did run and could not decide: it must show in the table as
    UNKNOWN and stop the gate, not vanish from the report.
    """
    have = {r.ref for r in results}
    out = []
    for e in events:
        item = e.get("item")
        if not item or e["outcome"] not in ("failed", "error"):
            continue
        ref = case_ref(item["fix_id"], item["scenario"], item["variant"])
        if ref in have:
            continue
        variant = item["variant"]
        base = sel.seed or 0
        seed = (
            base if sel.exact_seed else derive_seed(base, item["fix_id"], item["scenario"], variant)
        )
        out.append(
            ScenarioResult(
                fix_id=item["fix_id"],
                scenario=item["scenario"],
                variant=variant,
                seed=seed,
                error=f"{e['outcome']} before any case was recorded: {e['message'] or 'no message'}",
                expects_pass=None if variant in item.get("measured", []) else variant == FIXED,
                description=item.get("description", ""),
                duration_s=float(e.get("duration_s", 0.0)),
            )
        )
        have.add(ref)
    return out


def _follow(
    proc: subprocess.Popen[bytes],
    tail: TextIO,
    events: list[dict[str, Any]],
    on_event: Callable[[dict[str, Any]], None] | None,
) -> None:
    """Tail the events file until the child exits, handing each event on as it comes."""
    pending = ""  # a line caught half-written waits for its end
    while True:
        done = proc.poll() is not None
        for chunk in tail:
            line, pending = pending + chunk, ""
            if not line.endswith("\n"):
                pending = line
                continue
            event = json.loads(line)
            events.append(event)
            if on_event is not None:
                on_event(event)
        if done:
            return
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes], child_was_told: bool = True) -> None:
    """Interrupted: give pytest time to tear its servers down, then insist.

    A Ctrl-C reaches the child too (same process group), so first just wait;
    a second SIGINT now would cut its teardown short. Then SIGTERM (the server
    fixtures stop everything on it), then SIGKILL. A SIGTERM sent to the audit
    alone is passed on at once.
    """
    steps: list[tuple[signal.Signals | None, float]] = [
        (signal.SIGTERM, 15.0),
        (signal.SIGKILL, 15.0),
    ]
    if child_was_told:
        steps.insert(0, (None, 30.0))
    for action, wait_s in steps:
        if proc.poll() is not None:
            return
        if action is not None:
            proc.send_signal(action)
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        return


class _Terminated(Exception):
    """The audit itself got SIGTERM (a CI timeout): stop the child, then leave."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_(signum: int, frame: object) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, raise_)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _last_line(text: str) -> str:
    """The line that says why pytest could not run: its ERROR summary line if it has one."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for prefix in ("ERROR ", "E   "):
        hits = [ln for ln in lines if ln.startswith(prefix)]
        if hits:
            return (hits[0][1:] if prefix == "E   " else hits[0]).strip()[:300]
    for ln in reversed(lines):
        if "error" in ln.lower():
            return ln[:300]
    return lines[-1][:300] if lines else "no output"
