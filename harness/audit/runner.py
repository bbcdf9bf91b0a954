"""Runs the scenarios under pytest in a child process and gathers what it wrote.

A child process, not ``pytest.main``: every server and fixture the run starts
dies with it, a second run in the same process starts clean, and pytest-xdist
works as it does on the command line. The child writes scenario results
(``--harness-results``) and progress events (``harness.audit.events``); the
parent tails the events to show progress.

The child runs in its own process group and dies with this process
(``PR_SET_PDEATHSIG``); its scratch folder is in this run's records. Whatever
ends this process (SIGINT, SIGTERM, SIGHUP, to it or to its group), the child's
group is SIGKILLed and the reaper removes what it left, before this returns; a
SIGKILL of this process takes the child with it, and the next run's reaper
removes the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import psutil

from harness import procs
from harness.audit.events import ENV as EVENTS_ENV
from harness.audit.model import TestOutcome
from harness.audit.settings import Settings
from harness.errors import HarnessError
from harness.procs.parentdeath import die_with_parent
from harness.scenario import FIXED, ScenarioResult, case_ref, derive_seed

KEEP_ENV = "HARNESS_KEEP_SERVERS"
STOP_WAIT_S = 5.0  # for a SIGKILLed process group to be gone (it takes milliseconds)
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
    # the tests' tmp_path folders inside the run's own (tracked) folder: removed with it,
    # not kept in pytest's /tmp/pytest-of-<user> after the run
    argv += ["--basetemp", str(results.parent / "basetemp")]
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
    on_collected: Callable[[list[dict[str, Any]]], None] | None = None,
) -> PytestRun:
    """Run pytest on the selection. ``stream_output``: echo pytest's output as it comes,
    but only once ``on_collected`` (given the collected items) has accepted them: a
    selection it refuses (raises) stops the run with that error alone on the screen."""
    if not settings.scenarios.exists():
        raise RunFailed(
            f"scenarios path {settings.scenarios} does not exist; set [tool.harness] scenarios"
        )
    # In the run records, so the next run removes it if this one is SIGKILLed.
    tmp = procs.temp_dir("harness-run-")
    try:
        results_path = tmp / "results.jsonl"
        events_path = tmp / "events.jsonl"
        events_path.touch()
        log_path = tmp / "pytest.log"
        argv = pytest_argv(settings, sel, results_path)
        t0 = time.perf_counter()
        events: list[dict[str, Any]] = []
        with open(log_path, "w") as log, open(events_path) as tail, open(log_path) as output:
            proc = _start(argv, settings.root, _env(sel, events_path), log)
            echo = _Echo(output, held=on_collected is not None) if stream_output else None

            def handle(event: dict[str, Any]) -> None:
                if event["event"] == "collected" and on_collected is not None:
                    on_collected(event["items"])
                    if echo is not None:
                        echo.held = False
                if on_event is not None:
                    on_event(event)

            try:
                with _signals_raise():
                    _follow(proc, tail, events, handle, echo)
            except _Terminated as exc:
                _stop(proc)
                raise RunFailed(
                    f"terminated ({signal.Signals(exc.signum).name}); the scenario run was stopped"
                ) from None
            except BaseException:
                _stop(proc)
                raise
            finally:
                procs.untrack(proc.pid)
        wall = time.perf_counter() - t0
        log_text = log_path.read_text(errors="replace")
        code = proc.returncode
        if code in _BROKEN or code < 0:
            raise RunFailed(_broken_message(code, log_text))
        results = []
        if results_path.exists():
            results = [
                ScenarioResult.from_json(json.loads(line))
                for line in results_path.read_text().splitlines()
                if line.strip()
            ]
    finally:
        procs.remove_path(tmp)
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
    echo: _Echo | None = None,
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
        if echo is not None:
            echo.forward()
        if done:
            return
        time.sleep(0.05)


class _Echo:
    """pytest's output (from its log file) copied to stdout as it grows, once not held."""

    def __init__(self, log: TextIO, held: bool) -> None:
        self.log, self.held = log, held

    def forward(self) -> None:
        if self.held:
            return
        text = self.log.read()
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()


def _start(argv: list[str], cwd: Path, env: dict[str, str], log: TextIO) -> subprocess.Popen[bytes]:
    """pytest in its own process group, dying with this process.

    Its own group: a terminal's Ctrl-C reaches this process only, which stops the
    child's whole group itself, at once; whichever process or group a signal hits,
    the same stop follows. ``PR_SET_PDEATHSIG``: a SIGKILLed harness takes its
    pytest (and, through theirs, its workers and servers) with it.
    """
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent(os.getpid()),
    )
    procs.track(proc, "pytest", stop_signal=signal.SIGTERM)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Interrupted: end the scenario run now, then remove what it leaves.

    SIGKILL to pytest's group (pytest and its xdist workers); their servers die with
    them (parent-death signal). No grace period is needed: nothing of an interrupted
    run is kept, and its run records say what is left to remove (a server still
    dying, its shared memory, its work directory), which the reaper does before this
    returns. An interrupt so ends everything in well under a second, not after a
    teardown of unknown length.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    _group_gone(proc, time.monotonic() + STOP_WAIT_S)
    procs.reap_stale()


def _group_gone(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """True once no live process is left in the child's group (a zombie is dead: its
    parent died with it and init reaps it when it gets to it, which can take a second)."""
    while True:
        proc.poll()  # reaps the leader
        if not _live_members(proc.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def _live_members(pgid: int) -> list[int]:
    out = []
    for pid in psutil.pids():
        try:
            if os.getpgid(pid) == pgid and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except (OSError, psutil.Error):
            continue
    return out


class _Terminated(Exception):
    """The audit itself got SIGTERM or SIGHUP (a CI timeout, a closed terminal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``_Terminated`` (SIGINT raises KeyboardInterrupt already)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    previous = {sig: signal.signal(sig, raise_) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _broken_message(code: int, log_text: str) -> str:
    if code == 4:  # a usage error (a bad setting): pytest's own one line says it all
        for line in log_text.splitlines():
            if line.startswith("ERROR: "):
                return line.removeprefix("ERROR: ").removeprefix("harness: ").strip()[:300]
    last = _last_line(log_text)
    return (
        f"pytest could not run the scenarios ({_BROKEN.get(code, f'signal {-code}')}, "
        f"exit {code}): {last}"
    )


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
