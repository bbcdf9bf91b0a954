"""Process hygiene: nothing the harness starts outlives its run, even a killed one.

Each test uses its own state directory (HARNESS_CACHE_DIR), so "harness
processes" are exactly the processes whose command line or working directory
lies under it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness.procs.state import subdir

PY = sys.executable


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Not under pytest's tmp_path: that is mode 0700, and PostgreSQL runs as another user.
    path = Path(tempfile.mkdtemp(prefix="harness-hygiene-"))
    # Share the PostgreSQL template cache (initdb output): only processes and records are per test.
    monkeypatch.delenv("HARNESS_CACHE_DIR", raising=False)
    (path / "pg-templates").symlink_to(subdir("pg-templates"))
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(path))
    monkeypatch.setenv("HARNESS_WORK_DIR", str(path / "work"))
    yield path
    for proc in harness_processes(path):  # never leak, even when an assertion failed
        proc.kill()
    shutil.rmtree(path, ignore_errors=True)


def harness_processes(root: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            where = " ".join(proc.cmdline()) + " " + proc.cwd()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(root) in where and proc.pid != os.getpid():
            found.append(proc)
    return found


def wait_until(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def run_script(body: str, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PY, "-c", textwrap.dedent(body)],
        cwd=state,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


SLEEPER = """
import subprocess, time
from harness import procs
child = subprocess.Popen(["sleep", "300"], start_new_session=True)
procs.track(child, "sleeper")
work = procs.temp_dir("scratch-")
print(child.pid, work, flush=True)
"""


def test_tracked_process_and_path_are_gone_at_exit(state: Path) -> None:
    proc = run_script(SLEEPER, state)
    out, _ = proc.communicate(timeout=60)
    pid, work = out.split()
    assert proc.returncode == 0
    assert (
        not psutil.pid_exists(int(pid)) or psutil.Process(int(pid)).status() == psutil.STATUS_ZOMBIE
    )
    assert not Path(work).exists()
    assert list((state / "runs").iterdir()) == [state / "runs" / ".reap.lock"]


def test_sigkilled_owner_is_reaped_by_the_next_run(state: Path) -> None:
    proc = run_script(SLEEPER + "time.sleep(300)\n", state)
    assert proc.stdout is not None
    pid, work = proc.stdout.readline().split()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert psutil.pid_exists(int(pid)) and Path(work).exists()  # left behind, as a killed run does

    from harness import procs

    assert procs.reap_stale() == 1
    assert wait_until(lambda: not harness_processes(state))
    assert not Path(work).exists()


def test_reap_spares_a_live_owner_and_a_reused_pid(state: Path) -> None:
    from harness.procs import records
    from harness.procs.records import ProcRecord

    other = subprocess.Popen(["sleep", "300"], cwd=state)
    try:
        # A record of a dead owner whose pid now belongs to another process (start time differs).
        stale = state / "runs" / "999999-1.0"
        records.write(stale, ProcRecord(other.pid, 1.0, "old", signal.SIGTERM))
        # A record of a live owner (this test process) for a process it really started.
        live = records.owner_dir()
        records.write(live, ProcRecord(other.pid, records.create_time(other.pid) or 0, "mine", 15))
        from harness import procs

        assert procs.reap_stale() == 0
        assert other.poll() is None
        assert not stale.exists() and live.exists()
    finally:
        other.kill()
        other.wait()
        shutil.rmtree(records.owner_dir(), ignore_errors=True)


def test_sigterm_stops_everything_tracked(state: Path) -> None:
    # Handlers installed before the line that tells the test to send the signal.
    body = SLEEPER.replace("print(", "procs.install_signal_handlers()\nprint(")
    proc = run_script(body + "time.sleep(300)\n", state)
    assert proc.stdout is not None
    _pid, work = proc.stdout.readline().split()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    proc.stdout.close()
    assert wait_until(lambda: not harness_processes(state))
    assert not Path(work).exists()


def test_servers_die_with_their_owner(state: Path) -> None:
    """A server's owner that ends without cleaning up (os._exit, as an xdist worker does)."""
    proc = run_script(
        """
        import os
        import harness.backends as b
        s = b.resolve()
        pg, rd = b.get("local").postgres(s), b.get("local").redis(s)
        pg.start(); rd.start()
        print(pg.pid, rd.pid, flush=True)
        os._exit(0)
        """,
        state,
    )
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert wait_until(lambda: not harness_processes(state))
    from harness import procs

    procs.reap_stale()  # the next run removes the work directories
    assert list((state / "work").iterdir()) == []


HOLD = """
import os, pathlib, time

def test_hold(pg_server, redis_server):
    pathlib.Path(os.environ["READY_FILE"]).write_text(f"{pg_server.pid} {redis_server.pid}")
    time.sleep(300)
"""
QUICK = """
def test_quick(pg_server, redis_db):
    redis_db.client().set("k", "v")
    with pg_server.connect() as conn:
        conn.execute("SELECT 1")
"""


def _pytest(test_dir: Path, state: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "READY_FILE": str(test_dir / "ready")}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.Popen(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *extra],
        cwd=test_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkilled_pytest_leaves_nothing_after_the_next_run(state: Path, tmp_path: Path) -> None:
    (tmp_path / "test_hold.py").write_text(HOLD)
    (tmp_path / "test_quick.py").write_text(QUICK)
    first = _pytest(tmp_path, state, "test_hold.py")
    try:
        assert wait_until(lambda: (tmp_path / "ready").exists(), 120), "the servers never started"
        assert len(harness_processes(state)) >= 2
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The killed run could clean nothing: its records and work directories are left.
    assert [p for p in (state / "runs").iterdir() if p.is_dir()]
    assert list((state / "work").iterdir())
    second = _pytest(tmp_path, state, "test_quick.py")
    assert second.wait(timeout=180) == 0
    assert wait_until(lambda: not harness_processes(state)), harness_processes(state)
    assert list((state / "work").iterdir()) == []
    assert [p.name for p in (state / "runs").iterdir() if p.is_dir()] == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_to_pytest_stops_its_servers(state: Path, tmp_path: Path, sig: int) -> None:
    (tmp_path / "test_hold.py").write_text(HOLD)
    run = _pytest(tmp_path, state, "test_hold.py")
    try:
        assert wait_until(lambda: (tmp_path / "ready").exists(), 120), "the servers never started"
    finally:
        run.send_signal(sig)
        run.wait(timeout=60)
    assert wait_until(lambda: not harness_processes(state), 5)
    assert list((state / "work").iterdir()) == []


def test_a_failing_run_stops_its_servers(state: Path, tmp_path: Path) -> None:
    (tmp_path / "test_fail.py").write_text(QUICK + "    raise AssertionError('boom')\n")
    run = _pytest(tmp_path, state, "test_fail.py")
    assert run.wait(timeout=180) == 1
    assert wait_until(lambda: not harness_processes(state), 5)
    assert list((state / "work").iterdir()) == []


KEEP = """
def _schema(dsn):
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (v text)")

def test_leaves_data(pg_database_factory, redis_db):
    db = pg_database_factory("keep", _schema)
    with db.connect(autocommit=True) as conn:
        conn.execute("INSERT INTO t VALUES ('left for inspection')")
    redis_db.client().set("k", "left for inspection")
"""
KEPT_LINE = re.compile(
    r"harness: kept (?P<role>\w+) \(pid (?P<pid>\d+)\) on [\d.]+:\d+: "
    r"connect: (?P<connect>[^;]+); stop: (?P<stop>harness doctor --stop-kept) \(or kill -\w+ \d+\)"
)


def _run(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    full.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(argv, cwd=cwd, env=full, capture_output=True, text=True, timeout=180)


def _runs(tool: str, cwd: Path) -> bool:
    """Installed and working: Debian's psql is a wrapper that fails when no server package
    provides the real binary, so being on PATH is not enough."""
    return shutil.which(tool) is not None and _run([tool, "--version"], cwd).returncode == 0


def _query(argv: list[str], query: str, cwd: Path) -> str:
    """Run the printed psql / redis-cli command, or (not installed: a machine with only the
    wheels) the same connection through the Python clients."""
    opts = dict(zip(argv[1::2], argv[2::2], strict=False))
    if _runs(argv[0], cwd):
        extra = ["-At", "-c", query] if argv[0] == "psql" else query.split()
        return _run([*argv, *extra], cwd).stdout.strip()
    if argv[0] == "psql":
        import psycopg

        conninfo = f"host={opts['-h']} port={opts['-p']} user={opts['-U']} dbname={opts['-d']}"
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(query).fetchone()
        return str(row[0]) if row else ""
    import redis

    with redis.Redis(host=opts["-h"], port=int(opts["-p"]), decode_responses=True) as client:
        return str(client.execute_command(*query.split()))


def test_kept_servers_outlive_the_run_and_the_reaper_until_stopped(
    state: Path, tmp_path: Path
) -> None:
    """HARNESS_KEEP_SERVERS=1 (harness repro --keep): servers stay up until the documented stop."""
    (tmp_path / "test_keep.py").write_text(KEEP)
    (tmp_path / "test_quick.py").write_text(QUICK)
    # Not -q: that hides the report header, where the next run names kept servers.
    pytest_argv = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist"]
    done = _run([*pytest_argv, "test_keep.py"], tmp_path, HARNESS_KEEP_SERVERS="1")
    assert done.returncode == 0, done.stdout + done.stderr
    kept = {m["role"]: m for m in KEPT_LINE.finditer(done.stdout)}
    assert set(kept) == {"postgres", "redis"}, done.stdout
    pids = {int(m["pid"]) for m in kept.values()}

    # The printed commands reach the servers, with the scenario's data (psql names its database).
    psql = shlex.split(kept["postgres"]["connect"])
    assert psql[0] == "psql" and psql[psql.index("-d") + 1].startswith("hf_keep_")
    assert _query(psql, "SELECT v FROM t", tmp_path) == "left for inspection"
    redis_cli = shlex.split(kept["redis"]["connect"])
    assert _query(redis_cli, "GET k", tmp_path) == "left for inspection"

    # The next run (its reaper) leaves them alone and names them in its header.
    again = _run([*pytest_argv, "test_quick.py"], tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "kept server(s) still running" in again.stdout
    assert all(psutil.pid_exists(pid) for pid in pids)
    doctor = _run([PY, "-m", "harness.cli", "doctor", "--no-start"], tmp_path)
    assert doctor.returncode == 0, doctor.stderr
    assert sum(f"(pid {pid})" in doctor.stdout for pid in pids) == 2, doctor.stdout

    # The documented stop: every kept process gone, its work directory removed.
    stop = _run([PY, "-m", "harness.cli", *kept["redis"]["stop"].split()[1:]], tmp_path)
    assert stop.returncode == 0 and "2 kept server(s) stopped" in stop.stdout, stop.stderr
    assert wait_until(lambda: not harness_processes(state)), harness_processes(state)
    assert list((state / "work").iterdir()) == []
    assert list((state / "kept").iterdir()) == []


def test_a_killed_kept_server_leaves_no_files(state: Path) -> None:
    """A user who stops a kept server with kill: the next run removes its files and record."""
    proc = run_script(
        """
        import harness.backends as b
        from harness import procs
        s = b.resolve({"keep_servers": "1"})
        rd = b.get("local").redis(s)
        rd.start()
        print(rd.keep(rd.connect_command()).pid, flush=True)
        """,
        state,
    )
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    pid = int(out)
    assert psutil.pid_exists(pid) and list((state / "work").iterdir())
    from harness import procs

    procs.reap_stale()
    assert psutil.pid_exists(pid)  # kept: the reaper leaves it running
    os.kill(pid, signal.SIGTERM)
    assert wait_until(lambda: not harness_processes(state))
    procs.reap_stale()
    assert list((state / "work").iterdir()) == [] and list((state / "kept").iterdir()) == []


KILLED = """
def test_kills_its_server(redis_server, redis_db):
    redis_db.client().set("k", "written before the kill")
    redis_server.kill()
"""


def test_a_server_the_last_case_killed_is_restarted_from_its_data_and_kept(
    state: Path, tmp_path: Path
) -> None:
    (tmp_path / "test_killed.py").write_text(KILLED)
    argv = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "test_killed.py"]
    done = _run(argv, tmp_path, HARNESS_KEEP_SERVERS="1")
    assert done.returncode == 0, done.stdout + done.stderr
    kept = [m for m in KEPT_LINE.finditer(done.stdout) if m["role"] == "redis"]
    assert len(kept) == 1, done.stdout
    assert _query(shlex.split(kept[0]["connect"]), "GET k", tmp_path) == "written before the kill"
    stop = _run([PY, "-m", "harness.cli", "doctor", "--stop-kept"], tmp_path)
    assert stop.returncode == 0 and "1 kept server(s) stopped" in stop.stdout, stop.stderr
    assert wait_until(lambda: not harness_processes(state)), harness_processes(state)
    assert list((state / "work").iterdir()) == []


# ---- issue 14 ------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_defect2_sigkilled_harness_takes_its_pytest_run_with_it(
    state: Path, tmp_path: Path
) -> None:
    from tests.report.toyproject import copy_toy

    project = copy_toy(tmp_path / "toy")
    marker = tmp_path / "started"
    env = {**os.environ, "TOY_BLOCK": str(marker)}
    env.pop("PYTEST_XDIST_WORKER", None)
    audit = subprocess.Popen(
        [PY, "-m", "harness.cli", "audit", "-q", "--fix", "TOY-6", "--out", str(tmp_path / "r")],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: marker.exists() and marker.read_text() != "", 120)
        scenario_pid = int(marker.read_text())
        pytest_pids = [p.pid for p in psutil.Process(audit.pid).children(recursive=True)]
    finally:
        audit.kill()
        audit.wait()
    assert scenario_pid in pytest_pids
    assert wait_until(lambda: not any(_alive(p) for p in pytest_pids), 5), "pytest outlived it"
    # The killed harness could not remove its scratch folder, but recorded it.
    left = list((state / "work").glob("harness-run-*"))
    assert len(left) == 1
    recorded = [f.read_text() for f in (state / "runs").rglob("*.json")]
    assert any(str(left[0]) in text for text in recorded)
    from harness import procs

    procs.reap_stale()  # the next run's start
    assert list((state / "work").iterdir()) == []
    assert [p for p in (state / "runs").iterdir() if p.is_dir()] == []


PG_HOLD = """
import time
import harness.backends as b
pg = b.get("local").postgres(b.resolve())
pg.start()
print(pg.pid, flush=True)
time.sleep(300)
"""


def test_defect6_a_killed_runs_postgres_shared_memory_is_removed(state: Path) -> None:
    from harness import procs
    from harness.procs import sysv

    proc = run_script(PG_HOLD, state)
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    try:
        assert [s for s in sysv.segments() if s.creator_pid == pid], "no System V segment"
        # Its dynamic shared memory lives in its data directory, not in /dev/shm.
        assert "/dev/shm/PostgreSQL." not in Path(f"/proc/{pid}/maps").read_text()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert wait_until(lambda: not harness_processes(state))
    assert [s for s in sysv.segments() if s.creator_pid == pid]  # left, as a killed run does
    procs.reap_stale()
    assert [s for s in sysv.segments() if s.creator_pid == pid] == []
    assert list((state / "work").iterdir()) == []


def test_defect6_a_server_a_scenario_kills_leaves_no_segment(state: Path) -> None:
    proc = run_script(
        """
        import harness.backends as b
        from harness.procs import sysv
        pg = b.get("local").postgres(b.resolve())
        pg.start()
        first = pg.pid
        pg.kill()  # a crash scenario's SIGKILL
        pg.restart()
        second = pg.pid
        pg.kill()
        pg.close()
        print(sum(1 for s in sysv.segments() if s.creator_pid in (first, second)), flush=True)
        """,
        state,
    )
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and out.strip() == "0", out


def test_defect6_the_reaper_removes_only_the_segment_it_recorded(state: Path) -> None:
    """A stale record whose segment is not the one recorded (another creator, another key:
    the id was reused) leaves it be; the exact record removes it."""
    import ctypes

    from harness import procs
    from harness.procs import records, sysv
    from harness.procs.records import SegmentRecord

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_private, ipc_creat = 0, 0o1000
    shmid = libc.shmget(ipc_private, 4096, ipc_creat | 0o600)
    assert shmid >= 0, ctypes.get_errno()
    try:
        seg = sysv.find(shmid)
        assert seg is not None and seg.creator_pid == os.getpid()
        wrong = [
            SegmentRecord(shmid, seg.key, seg.creator_pid + 1),
            SegmentRecord(shmid, seg.key + 1, seg.creator_pid),
        ]
        for n, record in enumerate(wrong):
            records.write(state / "runs" / f"99999{n}-1.0", record)
        procs.reap_stale()
        assert sysv.find(shmid) is not None
        assert [p for p in (state / "runs").iterdir() if p.is_dir()] == []
        records.write(state / "runs" / "999999-1.0", SegmentRecord(shmid, seg.key, os.getpid()))
        procs.reap_stale()
        assert sysv.find(shmid) is None
    finally:
        libc.shmctl(shmid, 0, None)  # IPC_RMID, if the test failed before the reaper did
