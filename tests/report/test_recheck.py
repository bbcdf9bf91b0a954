"""``harness report --recheck``: a stored run judged again from its records, with no server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.audit.model import Run
from harness.audit.recheck import recheck
from harness.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "latest" / "results.json"


def test_the_committed_example_rechecks_to_identical_verdicts():
    outcome, rejudged = recheck(Run.load(EXAMPLE).results)
    assert outcome.rechecked > 100, outcome.summary()
    assert outcome.changed == [], outcome.changed[:3]
    before = {r.ref: r.outcome for r in Run.load(EXAMPLE).results}
    assert {r.ref: r.outcome for r in rejudged} == before


def test_a_record_that_no_longer_supports_its_verdict_is_reported(tmp_path, capsys):
    data = json.loads(EXAMPLE.read_text())
    case = next(
        c
        for r in data["results"]
        for c in r["cases"]
        if c["detail"].get("checks") and c["verdict"]["validity"] == "valid"
    )
    case["verdict"]["validity"] = "invalid"  # the stored verdict says what its record does not
    tampered = tmp_path / "results.json"
    tampered.write_text(json.dumps(data))
    assert main(["report", "--recheck", str(tampered)]) == 1
    out = capsys.readouterr().out
    assert "1 changed" in out and f":{case['case_id']}" in out


def test_report_without_a_source_is_a_one_line_error(capsys):
    assert main(["report"]) == 2
    assert "--recheck" in capsys.readouterr().err


def test_the_command_line_rechecks_the_example_from_a_checkout() -> None:
    """`harness report --recheck` finds the project's checkers in the checkout (they are not
    installed) and gives every recorded verdict again."""
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "report", "--recheck", str(EXAMPLE)],
        cwd=EXAMPLE.parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 changed" in out.stdout
