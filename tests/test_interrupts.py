"""Interrupting ``harness audit``: every signal, to the process and to its group, early and
mid-run, ends everything in under 3 s and leaves nothing past the next run's start.

The audit runs a one-scenario project (a PostgreSQL and a Redis server, under one
pytest-xdist worker, blocking until stopped). "Early" is as soon as the scenario run
(pytest) has started; "mid-run" once the servers are up and the scenario is running. Whatever the interrupt, these must hold:

- SIGINT / SIGTERM: the harness exits (130 / 2) and no process of the run is left,
  within 3 s of the signal; SIGKILL: the harness is gone at once and its pytest, worker
  and servers die with it (parent-death signal), also within 3 s;
- after the next run's start (the reaper): no process, no folder (the run's scratch
  folder, the servers' work folders), no run record, no ``/dev/shm`` entry and no System V
  segment that the run's servers created.

Other harness runs (other worktrees, the system PostgreSQL) are live on this machine:
everything is counted by this test's own state and work folders and the pids its run
reported, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from harness.procs import sysv
from harness.procs.state import subdir

LIMIT_S = 3.0

PROJECT = {
    "pyproject.toml": """
        [tool.harness]
        catalog = "scenarios/catalog"
        claims = "scenarios/claims"
        scenarios = "scenarios"
        reports = "reports"

        [tool.pytest.ini_options]
        python_files = ["int_*.py"]
        addopts = "-p no:cacheprovider"
    """,
    "scenarios/catalog/int.toml": """
        [[system]]
        id = "INT"
        name = "interrupt probe"
        seed = "none"

        [[fix]]
        id = "INT-1"
        system = "INT"
        title = "Holds two servers until stopped"
        invariant = "Nothing outlives an interrupted run."
        seed = "none"
    """,
    "scenarios/claims/.keep": "",
    "scenarios/int_hold.py": """
        import os
        import threading
        from pathlib import Path

        from harness.scenario import scenario


        @scenario("INT-1", variants=("fixed",))
        def test_holds_servers(ctx, pg_server, redis_server):
            ready = Path(os.environ["INT_READY"])
            tmp = ready.with_suffix(".tmp")
            tmp.write_text(f"{os.getpid()} {pg_server.pid} {redis_server.pid}")
            tmp.replace(ready)
            threading.Event().wait()  # until the run is interrupted
    """,
}


@dataclass
class Run:
    state: Path
    work: Path
    project: Path
    ready: Path


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    state = Path(tempfile.mkdtemp(prefix="harness-interrupt-"))
    # The servers' work folder on /dev/shm, as by default: its entries are the run's there.
    work = Path(tempfile.mkdtemp(prefix="harness-interrupt-", dir="/dev/shm"))
    monkeypatch.delenv("HARNESS_CACHE_DIR", raising=False)
    (state / "pg-templates").symlink_to(subdir("pg-templates"))  # share initdb's output
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(state))
    monkeypatch.setenv("HARNESS_WORK_DIR", str(work))
    project = state / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text).lstrip())
    yield Run(state, work, project, state / "ready")
    for proc in _processes(state, work):  # never leak, even when an assertion failed
        proc.kill()
    shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


def _processes(*roots: Path) -> list[psutil.Process]:
    """Live processes whose command line or working folder lies under one of ``roots``."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            where = " ".join(proc.cmdline()) + " " + proc.cwd()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(str(r) in where for r in roots) and proc.pid != os.getpid():
            found.append(proc)
    return found


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start(run: Run, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INT_READY": str(run.ready)}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "audit", "-q", "-n", str(workers), "--out", "r"],
        cwd=run.project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, to signal the group as a terminal would
    )


def _shm_of(pids: list[int]) -> tuple[set[tuple[int, int, int]], set[str]]:
    """System V segments these processes created, and /dev/shm files they have mapped."""
    segments = {(s.shmid, s.key, s.creator_pid) for s in sysv.segments() if s.creator_pid in pids}
    files: set[str] = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        files |= {ln.split()[-1] for ln in maps.splitlines() if " /dev/shm/" in ln}
    return segments, files


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
EXIT = {"SIGINT": 130, "SIGTERM": 2, "SIGKILL": -signal.SIGKILL}


@pytest.mark.parametrize("when", ["early", "mid-run"])
@pytest.mark.parametrize("target", ["process", "group"])
@pytest.mark.parametrize("sig", list(SIGNALS))
def test_defect7_interrupt_ends_everything_fast_and_leaves_nothing(
    run: Run, sig: str, target: str, when: str
) -> None:
    # Mid-run under one xdist worker (the worker holds the servers); early, the run is
    # interrupted before any worker could start, so none is asked for (it is faster).
    audit = _start(run, workers=1 if when == "mid-run" else 0)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        if when == "early":
            # The scenario run has just been started: pytest is starting, no server yet.
            while not psutil.Process(audit.pid).children():
                assert audit.poll() is None, audit.communicate()
                assert time.monotonic() < deadline, "the scenario run never started"
                time.sleep(0.005)
        else:
            while not run.ready.exists():
                assert audit.poll() is None, audit.communicate()
                assert time.monotonic() < deadline, "the scenario never started"
                time.sleep(0.02)
            _worker, *servers = (int(v) for v in run.ready.read_text().split())
        before_segments, before_files = _shm_of(servers)
        if servers:
            assert before_segments, "PostgreSQL made no System V segment: nothing is tested"
        run_pids = [p.pid for p in _processes(run.state, run.work)]
        t0 = time.monotonic()
        if target == "group":
            os.killpg(audit.pid, SIGNALS[sig])
        else:
            audit.send_signal(SIGNALS[sig])
        code = audit.wait(timeout=30)
        while any(_alive(p) for p in run_pids) and time.monotonic() - t0 < 30:
            time.sleep(0.01)
        ended_s = time.monotonic() - t0
    finally:
        if audit.poll() is None:
            audit.kill()
            audit.wait()
    assert audit.stderr is not None
    err = audit.stderr.read().decode()
    audit.stderr.close()
    print(f"{sig} to the {target} {when}: everything ended in {ended_s:.2f} s")
    assert code == EXIT[sig], err
    assert ended_s < LIMIT_S, f"{sig} to the {target} {when}: processes ran {ended_s:.2f} s"
    assert [p for p in run_pids if _alive(p)] == []
    if sig != "SIGKILL":
        assert err.count("\n") == 1 and "Traceback" not in err, err

    # The next run's start: its reaper removes what a killed run could not.
    from harness import procs

    procs.reap_stale()
    assert _processes(run.state, run.work) == []
    assert list(run.work.iterdir()) == []  # scratch folder and server folders
    assert [p for p in (run.state / "runs").iterdir() if p.is_dir()] == []
    assert not (run.project / "r").exists()
    after_segments = {
        (s.shmid, s.key, s.creator_pid) for s in sysv.segments() if s.creator_pid in servers
    }
    assert after_segments == set()
    assert [f for f in before_files if os.path.exists(f)] == []
