"""``harness repro`` of one power-loss state: exactly that state is rebuilt and recovered;
``--keep`` leaves its directory; a state the trace cannot produce is one line, exit 2."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.report.toyproject import run_cli

TOY = Path(__file__).parent / "toy"
PREFIX = "DSK-1/queue_power_loss/prefix"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(TOY, tmp_path / "toy", ignore=shutil.ignore_patterns("__pycache__"))
    )


def test_repro_rebuilds_one_state_and_keeps_its_directory(project: Path) -> None:
    # prefix writer: create, write, fsync, ack per entry (ops 0-3, 4-7); a cut right after
    # the second entry's fsync (op 6) that kept its create (op 4) but not the first's (op 0)
    code, out, err = run_cli(project, "repro", f"{PREFIX}:power:weakest:op6:keep=4", "--keep")
    assert code == 0, (out, err)
    assert "power:weakest:op6:keep=4: invalid: 1 acknowledged entry lost: 0" in out
    evidence = json.loads(re.search(r"evidence: (\{.*\})", out).group(1))
    kept = Path(evidence["kept_dir"])
    try:
        assert sorted(p.name for p in (kept / "q").iterdir()) == ["entry-1"]
        assert (kept / "q" / "entry-1").read_bytes() == b"entry 1\n"
    finally:
        shutil.rmtree(kept.parent)


def test_repro_of_a_state_the_trace_cannot_produce_is_one_line(project: Path) -> None:
    code, _, err = run_cli(project, "repro", f"{PREFIX}:power:weakest:op6:keep=9")
    assert code == 2
    line = err.strip()
    assert "\n" not in line
    assert "does not exist in this scenario" in line and "ops [9] are not pending at op 6" in line
