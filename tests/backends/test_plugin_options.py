"""The server settings as pytest options: in ini and on the command line; bad ones are one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_pytest(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HARNESS_") or k == "HARNESS_CACHE_DIR"
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_setting_is_a_command_line_option(tmp_path: Path) -> None:
    out = run_pytest(tmp_path, "--help").stdout
    for flag in (
        "--harness-backend",
        "--harness-pg-bindir",
        "--harness-no-system-binaries",
        "--harness-pg-dsn",
    ):
        assert flag in out


def test_unknown_backend_is_one_line(tmp_path: Path) -> None:
    for args, env in ((["--harness-backend", "nope"], None), ([], {"HARNESS_BACKEND": "nope"})):
        done = run_pytest(tmp_path, *args, env=env)
        assert done.returncode == 4
        assert "Traceback" not in done.stderr + done.stdout
        errors = [ln for ln in done.stderr.splitlines() if "unknown backend" in ln]
        assert errors == [
            "ERROR: harness: unknown backend 'nope'; known: external, local, testcontainers"
        ]


def test_backend_from_the_ini(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nharness_backend = bogus\n")
    done = run_pytest(tmp_path)
    assert done.returncode == 4 and "unknown backend 'bogus'" in done.stderr


def test_unreadable_config_is_one_line(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, env={"HARNESS_CONFIG": str(tmp_path / "missing.toml")})
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert "harness: cannot read config" in done.stderr
