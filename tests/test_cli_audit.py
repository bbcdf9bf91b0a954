"""The audit's commands end to end on the toy project (tests/report/toy): exit codes,
one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.report import toyproject
from tests.report.toyproject import run_cli

# The toy project's fixtures (their conftest covers tests/report only).
toy_audit = toyproject.toy_audit
toy_project = toyproject.toy_project


def _edit_results(src: Path, dst: Path, change) -> Path:
    data = json.loads(src.read_text())
    change(data)
    dst.write_text(json.dumps(data))
    return dst


def test_audit_writes_a_dated_folder_and_points_latest_at_it(toy_audit: Path) -> None:
    assert sorted(p.name for p in toy_audit.iterdir()) == [
        "VERIFICATION.md",
        "junit.xml",
        "report.html",
        "results.json",
    ]
    latest = toy_audit.parent / "latest"
    assert latest.is_symlink() and latest.resolve() == toy_audit
    assert [p.name for p in toy_audit.parent.iterdir() if p.name.startswith(".")] == []


def test_audit_of_selected_fixes_passes(toy_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    code, stdout, progress = run_cli(
        toy_project, "audit", "--fix", "toy-1", "--fix", "TOY-3", "--out", str(out)
    )
    assert code == 0, stdout
    # Progress as it goes, one line per item (stderr is not a terminal here).
    assert "[1/9] FAIL    TOY-1  race_two_writers[prefix] caught (3 cases)" in progress
    assert "PASS    TOY-3  retry_applies_once[fixed] as expected (1 cases)" in progress
    assert "OK: 4 fixed variant(s) pass, 3 pre-fix variant(s) caught (9 scenario runs)" in stdout
    md = (out / "VERIFICATION.md").read_text()
    assert "`harness audit --fix TOY-1 --fix TOY-3`" in md
    assert "never_flips" not in md.split("## EDGE CASES")[0]
    assert not (toy_project / "reports").exists()  # --out: no dated folder, no latest


def test_audit_with_two_workers_gives_the_same_results(
    toy_project: Path, tmp_path: Path, toy_audit: Path
) -> None:
    code, _, _ = run_cli(toy_project, "audit", "-q", "-n", "2", "--out", str(tmp_path / "x"))
    assert code == 1

    def key(d):
        return sorted(
            (r["fix_id"], r["scenario"], r["variant"], r["outcome"], r["seed"])
            for r in d["results"]
        )

    ours = json.loads((tmp_path / "x" / "results.json").read_text())
    theirs = json.loads((toy_audit / "results.json").read_text())
    assert key(ours) == key(theirs)
    assert len(ours["tests"]) == len(theirs["tests"])


def test_gate_exit_codes_follow_jepsen(toy_audit: Path, tmp_path: Path) -> None:
    results = toy_audit / "results.json"
    code, out, _ = run_cli(toy_audit, "gate", "--from", str(results))
    assert code == 1 and "REGRESSED: TOY-2/never_flips/prefix" in out
    assert "UNDECIDED: TOY-5/fixture_breaks/fixed: could not decide (error before any case" in out
    assert "toy store refused to start" in out

    def drop_toy2(d):
        d["results"] = [r for r in d["results"] if r["fix_id"] not in ("TOY-2", "TOY-5")]
        d["tests"] = [t for t in d["tests"] if t["fix_id"] not in ("TOY-2", "TOY-5")]

    good = _edit_results(results, tmp_path / "good.json", drop_toy2)
    code, out, _ = run_cli(
        toy_audit, "gate", "--from", str(good), "--junit", str(tmp_path / "j.xml")
    )
    assert code == 0 and out.startswith("gate: OK") and (tmp_path / "j.xml").exists()

    def break_one(d):
        drop_toy2(d)
        d["results"][0]["error"] = "RuntimeError: fixture broke"

    unsure = _edit_results(results, tmp_path / "unsure.json", break_one)
    code, out, _ = run_cli(toy_audit, "gate", "--from", str(unsure))
    assert code == 2 and "UNDECIDED" in out


def test_gate_names_a_fixed_variant_that_fails(toy_audit: Path, tmp_path: Path) -> None:
    def break_fixed(d):
        for r in d["results"]:
            if r["variant"] == "fixed" and r["scenario"] == "race_two_writers":
                r["cases"][0]["verdict"]["validity"] = "invalid"
                r["cases"][0]["verdict"]["summary"] = "lost update"

    bad = _edit_results(toy_audit / "results.json", tmp_path / "bad.json", break_fixed)
    code, out, _ = run_cli(toy_audit, "gate", "--from", str(bad))
    assert code == 1
    assert (
        "TOY-1/race_two_writers/fixed: the fixed variant FAILED (1 of 3 cases; first: schedule-0: lost update)"
        in out
    )
    assert "harness repro TOY-1/race_two_writers/fixed:schedule-0 --seed" in out


def test_list_shows_fixes_scenarios_variants_and_claims(toy_project: Path) -> None:
    code, out, _ = run_cli(toy_project, "list", "--fix", "TOY-3")
    assert code == 0
    assert "TOY-3  Deduplicated writes" in out
    assert "scenario retry_applies_once  variants: prefix, seed, fixed (measured: seed)" in out
    assert "claim TOY-C2" in out and "TOY-1" not in out


def test_repro_reproduces_the_recorded_verdict(
    toy_audit: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = toy_audit.parent.parent
    code, out, _ = run_cli(project, "repro", "TOY-1/crash_every_step/prefix:crash@toy.incr.write")
    assert code == 0, out
    assert "REPRODUCED: invalid" in out and "run 2/" not in out  # exact: replayed once
    assert "nemesis" in out and "kill" in out  # the case's history is printed
    # A whole scenario variant, every case, with the recorded seed as it is.
    code, out, _ = run_cli(project, "repro", "TOY-1/race_two_writers/prefix")
    assert code == 0 and "REPRODUCED: invalid" in out
    assert "schedule-0: valid" in out and "schedule-1: invalid" in out


def test_repro_says_when_a_verdict_does_not_reproduce(toy_audit: Path, tmp_path: Path) -> None:
    def flip(d):
        for r in d["results"]:
            if r["scenario"] == "race_two_writers" and r["variant"] == "prefix":
                for c in r["cases"]:
                    c["verdict"]["validity"] = "valid"

    recorded = _edit_results(toy_audit / "results.json", tmp_path / "r.json", flip)
    code, out, _ = run_cli(
        toy_audit.parent.parent,
        "repro",
        "TOY-1/race_two_writers/prefix:schedule-1",
        "--from",
        str(recorded),
    )
    assert code == 1 and "NOT REPRODUCED: recorded valid" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit", "--fix", "TOY-9"], "unknown fix id 'TOY-9'"),
        (["list", "--fix", "NOPE-1"], "unknown fix id 'NOPE-1'"),
        (["repro", "TOY-1/crash_every_step"], "is not FIX/SCENARIO/VARIANT"),
        (
            ["repro", "TOY-1/crash_every_step/prefix:crash@nowhere"],
            "unknown case id of TOY-1/crash_every_step/prefix",
        ),
        (["repro", "TOY-1/no_such_scenario/prefix", "--from", "/nonexistent.json"], "no such file"),
        (["audit", "-n", "-1"], "--workers must be 0 or more"),
        (["gate", "--backend", "cloud9"], "unknown backend 'cloud9'; known: external, local"),
        (["audit", "--fix", "TOY-4"], "no scenario matched the selection (fixes ['TOY-4'])"),
        (
            ["gate", "-q", "--variant", "nonsense"],
            "no scenario matched the selection (variants ['nonsense'])",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(toy_audit: Path, argv: list[str], message: str) -> None:
    code, _, err = run_cli(toy_audit.parent.parent, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_defect10_repro_of_an_unknown_scenario_is_only_its_one_line(
    toy_project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(toy_project, "repro", "TOY-1/no_such_scenario/prefix")
    assert code == 2 and "no scenario TOY-1/no_such_scenario/prefix;" in err
    assert err.count("\n") == 1
    child_out, child_err = capfd.readouterr()  # nothing of pytest's own output before it
    assert out == "" and child_out == "" and child_err == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"schema": "someone-else/1"}', "has schema 'someone-else/1'"),
        ("[1, 2]", "is not a harness results file"),
        ('{"schema": "fault-harness/audit/1", "meta": {}}', "is corrupt"),
    ],
)
def test_corrupt_or_foreign_results_are_refused(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "results.json"
    bad.write_text(content)
    (tmp_path / "pyproject.toml").write_text("")
    for argv in (
        ["report", "--from", str(bad), "--out", str(tmp_path / "out")],
        ["gate", "--from", str(bad)],
    ):
        code, _, err = run_cli(tmp_path, *argv)
        assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root writes anywhere: permissions cannot be tested as root"
)
def test_unwritable_output_folder_is_refused(toy_audit: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run_cli(
        toy_audit, "report", "--from", str(toy_audit / "results.json"), "--out", str(locked / "r")
    )
    assert code == 2 and "cannot write the report" in err
    assert list(locked.iterdir()) == []


def test_output_that_is_not_a_report_folder_is_never_replaced(
    toy_audit: Path, tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    code, _, err = run_cli(
        toy_audit, "report", "--from", str(toy_audit / "results.json"), "--out", str(precious)
    )
    assert code == 2 and "is not a report folder" in err
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]
    file_out = tmp_path / "afile"
    file_out.write_text("x")
    code, _, err = run_cli(toy_audit, "audit", "--out", str(file_out))
    assert code == 2 and "is a file" in err


def test_a_file_where_the_report_folder_must_go_fails_cleanly(
    toy_audit: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    code, _, err = run_cli(
        toy_audit, "report", "--from", str(toy_audit / "results.json"), "--out", str(blocker / "r")
    )
    assert code == 2 and "cannot write the report" in err
    assert blocker.read_text() == "a file, not a folder"


def test_a_terminated_audit_stops_its_scenario_run_and_writes_nothing(
    toy_project: Path, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    import psutil

    marker = tmp_path / "started"
    env = {**os.environ, "TOY_BLOCK": str(marker)}
    env.pop("PYTEST_XDIST_WORKER", None)
    audit = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "audit",
            "-q",
            "--fix",
            "TOY-6",
            "--out",
            str(tmp_path / "r"),
        ],
        cwd=toy_project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert audit.poll() is None, audit.communicate()
            assert time.monotonic() < deadline, "the toy scenario never started"
            time.sleep(0.05)
        scenario_pid = int(marker.read_text())
        audit.send_signal(signal.SIGTERM)
        _, err = audit.communicate(timeout=60)
    finally:
        if audit.poll() is None:
            audit.kill()
            audit.wait()
    assert audit.returncode == 2
    assert "terminated (SIGTERM)" in err and err.count("\n") == 1
    assert not psutil.pid_exists(scenario_pid) or psutil.Process(scenario_pid).status() == "zombie"
    assert not (tmp_path / "r").exists()


def test_a_scenario_module_that_cannot_be_collected_stops_the_audit(toy_project: Path) -> None:
    (toy_project / "scenarios" / "toy_broken.py").write_text("def test_x(:\n")
    code, _, err = run_cli(toy_project, "audit", "-q")
    assert code == 2
    assert "pytest could not run the scenarios" in err and "ERROR scenarios/toy_broken.py" in err
    assert err.count("\n") == 1
    assert not (toy_project / "reports").exists()


# ---- issue 14: one regression test per defect ----------------------------------------


def test_defect3_gate_from_non_utf8_exits_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    noise = tmp_path / "noise.json"
    noise.write_bytes(bytes(range(256)) * 4)
    code, out, err = run_cli(tmp_path, "gate", "--from", str(noise))
    assert code == 2 and out == ""
    assert "is not UTF-8 text" in err and err.count("\n") == 1 and "Traceback" not in err
    # An endless file is read up to a limit, not into a MemoryError.
    code, _, err = run_cli(tmp_path, "gate", "--from", "/dev/zero")
    assert code == 2 and "is larger than 64 MB" in err and err.count("\n") == 1


def _mark_hammer(data: dict, value: str) -> None:
    """The prefix race's schedule-1 recorded as a hammer case (as racing.hammering writes)."""
    for r in data["results"]:
        if r["scenario"] == "race_two_writers" and r["variant"] == "prefix":
            for c in r["cases"]:
                if c["case_id"] == "schedule-1":
                    c["history"]["meta"]["hammer"] = {"seed": 1, "processes": 2, "ops": 1}
                    c["verdict"]["validity"] = value


def test_defect4_hammer_case_is_rerun_and_labelled(toy_audit: Path, tmp_path: Path) -> None:
    project = toy_audit.parent.parent
    ref = "TOY-1/race_two_writers/prefix:schedule-1"
    hammered = _edit_results(
        toy_audit / "results.json", tmp_path / "h.json", lambda d: _mark_hammer(d, "invalid")
    )
    code, out, _ = run_cli(project, "repro", ref, "--from", str(hammered), "--runs", "2")
    assert code == 0, out
    assert "re-runnable, not exactly replayable" in out
    assert "run 2/2: invalid" in out
    assert "REPRODUCED: the recorded verdict invalid recurred in 2 of 2 runs" in out
    # A verdict that never recurs: exit 1, and the count says so.
    other = _edit_results(
        toy_audit / "results.json", tmp_path / "v.json", lambda d: _mark_hammer(d, "valid")
    )
    code, out, _ = run_cli(project, "repro", ref, "--from", str(other), "--runs", "2")
    assert code == 1 and "NOT REPRODUCED: the recorded verdict valid recurred in 0 of 2" in out
    # (An exact case is replayed once: test_repro_reproduces_the_recorded_verdict.)

    # The reports say which cases replay exactly and which are only re-runnable.
    code, _, _ = run_cli(project, "report", "--from", str(hammered), "--out", str(tmp_path / "r"))
    assert code == 0
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    kinds = {
        (r["scenario"], r["variant"], c["case_id"]): c["replay_kind"]
        for r in data["results"]
        for c in r["cases"]
    }
    assert kinds[("race_two_writers", "prefix", "schedule-1")] == "rerun"
    assert kinds[("race_two_writers", "prefix", "schedule-0")] == "exact"
    assert kinds[("crash_every_step", "prefix", "crash@toy.incr.write")] == "exact"
    for name in ("VERIFICATION.md", "report.html"):
        text = (tmp_path / "r" / name).read_text()
        assert "re-runnable, not exactly replayable" in text, name


@pytest.mark.parametrize("where", ["/proc/harness-report", "/sys/harness-report"])
def test_defect5_out_in_proc_or_sys_is_refused_before_running(
    toy_project: Path, where: str
) -> None:
    # Not -q: a run that started would show its progress lines on stderr.
    code, out, err = run_cli(toy_project, "audit", "--out", where)
    assert code == 2 and out == ""
    assert f"cannot write the report to {where}" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HARNESS_PG_PORT": "abc"}, "HARNESS_PG_PORT must be a port number 1-65535, got 'abc'"),
        ({"HARNESS_SEED": "abc"}, "HARNESS_SEED must be an integer, got 'abc'"),
        ({"HARNESS_WORK_DIR": "/etc/passwd"}, "/etc/passwd"),
    ],
)
def test_defect10_bad_settings_are_one_line(
    toy_project: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for argv in (["audit", "-q"], ["gate", "-q"], ["repro", "TOY-1/race_two_writers/prefix"]):
        code, out, err = run_cli(toy_project, *argv)
        assert code == 2 and "UNDECIDED" not in out, (argv, out)
        assert message in err and err.count("\n") == 1, (argv, err)


def _ini(project: Path, line: str) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.pytest.ini_options]\n", f"[tool.pytest.ini_options]\n{line}\n"
        )
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'harness_pg_port = "abc"',
            "ini key harness_pg_port must be a port number 1-65535, got 'abc'",
        ),
        ('harness_seed = "abc"', "ini key harness_seed must be an integer, got 'abc'"),
        ('harness_nosuch = "1"', "unknown ini key harness_nosuch in"),
    ],
)
def test_defect10_bad_ini_keys_are_named_as_ini_keys(
    toy_project: Path, line: str, message: str
) -> None:
    _ini(toy_project, line)
    code, out, err = run_cli(toy_project, "gate", "-q")
    assert code == 2 and "UNDECIDED" not in out
    assert message in err and err.count("\n") == 1, err


def test_defect14_a_system_id_selects_all_its_fixes(toy_project: Path) -> None:
    code, out, _ = run_cli(toy_project, "list", "--fix", "toy")
    assert code == 0
    assert all(f"TOY-{n}  " in out for n in range(1, 7)) and "6 fixes" in out
    every = "['TOY-1', 'TOY-2', 'TOY-3', 'TOY-4', 'TOY-5', 'TOY-6']"
    # audit and gate share the selection: shown by its (empty) result
    code, _, err = run_cli(toy_project, "gate", "-q", "--fix", "TOY", "--variant", "none")
    assert code == 2 and f"(fixes {every}, variants ['none'])" in err, err
    code, out, _ = run_cli(toy_project, "repro", "TOY/race_two_writers/prefix:schedule-1")
    assert code == 0 and "replaying TOY-1/race_two_writers/prefix:schedule-1" in out
    code, _, err = run_cli(toy_project, "list", "--fix", "TOYS")
    assert code == 2 and "or a system id for all its fixes: TOY" in err


def test_defect14_the_pytest_option_takes_a_system_id(toy_project: Path) -> None:
    import subprocess
    import sys

    def collect(selector: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "--harness-fixes", selector],
            cwd=toy_project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = collect("toy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_race_two_writers[prefix]" in done.stdout
    assert "test_blocks_when_asked[fixed]" in done.stdout  # TOY-6
    done = collect("NOPE")
    assert done.returncode == 4 and "unknown fix id 'NOPE'" in done.stderr
