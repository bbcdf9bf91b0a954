"""The CI Hypothesis profile is chosen from the environment, and a bad name is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.fixtures.hypothesis_profiles import CI_PROFILE, chosen_profile


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"CI": "true"}, CI_PROFILE),
        ({"CI": "1"}, CI_PROFILE),
        ({"CI": "false"}, None),
        ({"CI": ""}, None),
        ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
    ],
)
def test_profile_choice(environ: dict[str, str], expected: str | None) -> None:
    assert chosen_profile(environ) == expected


def _header(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    full = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    full.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "test_x.py"],
        cwd=tmp_path,
        env={**full, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ci_loads_the_ci_profile(tmp_path: Path) -> None:
    done = _header(tmp_path, CI="true")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hypothesis profile 'ci'" in done.stdout


def test_unknown_profile_is_one_line(tmp_path: Path) -> None:
    done = _header(tmp_path, HYPOTHESIS_PROFILE="nonesuch")
    assert done.returncode != 0
    assert "is not a registered Hypothesis profile" in done.stderr
    assert "Traceback" not in done.stderr
