"""``harness repro`` of one power-loss state: exactly that state is rebuilt and recovered;
``--keep`` leaves its directory; a state the trace cannot produce is one line, exit 2
(checked by hand: ``harness repro 'DSK-1/queue_power_loss/prefix:power:weakest:op5:keep=9'``
in a copy of tests/disk/toy prints ``harness: error: ... does not exist in this scenario:
... ops [9] are not pending at op 5 ...`` and exits 2)."""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path

import pytest

from harness.disk import UnknownState, acked_recovered, explore, record_call
from harness.scenario import ScenarioContext, ScenarioSpec
from tests.disk import writers
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
    # the state is judged on its record; the directory left is a part about the run
    (kept_part,) = [p for p in evidence["parts"] if p["checker"] == "kept"]
    kept = Path(kept_part["evidence"]["kept_dir"])
    try:
        assert sorted(p.name for p in (kept / "q").iterdir()) == ["entry-1"]
        assert (kept / "q" / "entry-1").read_bytes() == b"entry 1\n"
    finally:
        shutil.rmtree(kept.parent)


def test_a_replayed_state_the_trace_cannot_produce_is_the_one_line_repro_error(
    tmp_path: Path,
) -> None:
    """In process (a CLI run costs a pytest child): the error ``harness repro`` turns into
    its one-line exit 2 ("does not exist in this scenario"), as in the toy run above."""
    spec = ScenarioSpec("DSK-1", "queue_power_loss", ("prefix",))
    ctx = ScenarioContext(spec, "prefix", 1, only_case="power:weakest:op6:keep=9")
    root = tmp_path / "root"
    (root / "q").mkdir(parents=True)
    rec = record_call(functools.partial(writers.fsync_file_only, str(root), 2), root)
    with pytest.raises(UnknownState) as info:
        explore(rec.trace, recover=writers.read_queue, check=acked_recovered(), ctx=ctx)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("case 'power:weakest:op6:keep=9' does not exist in this scenario: ")
    assert "ops [9] are not pending at op 6" in text
