"""Helpers and fixtures for the audit's tests: a toy project whose scenarios need no server.

The toy project (tests/report/toy) has its own pyproject.toml with a
``[tool.harness]`` table, so these tests also prove that the harness reads
its paths from there. Each test gets its own copy, so nothing is written in
the source tree.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.audit.model import Run
from harness.cli import main

TOY = Path(__file__).parent / "toy"


def copy_toy(dest: Path) -> Path:
    shutil.copytree(TOY, dest, ignore=shutil.ignore_patterns("__pycache__", "reports"))
    return dest


@contextlib.contextmanager
def in_dir(path: Path) -> Iterator[None]:
    with contextlib.chdir(path):
        yield


def run_cli(project: Path, *argv: str) -> tuple[int, str, str]:
    """Run ``harness ARGV`` in ``project``; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with in_dir(project), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def toy_project(tmp_path: Path) -> Path:
    return copy_toy(tmp_path / "toy")


@pytest.fixture(scope="session")
def toy_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real audit of the toy project, shared: the folder of its report.

    Two modules import this fixture (tests/report and tests/test_cli_audit.py), so pytest
    holds two definitions; the folder under the session's base temp makes it one run.
    """
    project = tmp_path_factory.getbasetemp() / "toy-audit" / "toy"
    latest = project / "reports" / "latest"
    if not latest.exists():
        copy_toy(project)
        code, out, err = run_cli(project, "audit", "-q")
        assert code == 1, (out, err)  # the toy's never_flips scenario is a regression
    return latest.resolve()


@pytest.fixture(scope="session")
def toy_run(toy_audit: Path) -> Run:
    return Run.load(toy_audit / "results.json")
