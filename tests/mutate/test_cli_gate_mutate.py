"""``harness audit --mutate`` and ``harness gate --mutate`` end to end through the CLI, on the
toy project (tests/mutate/toy): the scores measured in the run reach results.json and the
report's table, and the gate on them exits 1 for a fix below the bar, 0 when every fix is
at or above it (docs/mutation.md). One measured run (the audit; ``gate --mutate`` measures
the same way), then the gate reads its results.json: the whole module stays near 20 s."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.report.toyproject import run_cli

TOY = Path(__file__).parent / "toy"


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("gate-mutate") / "toy"
    shutil.copytree(TOY, dest, ignore=shutil.ignore_patterns("__pycache__", "reports"))
    (dest / "scenarios/claims").mkdir()  # the audit's report reads it; the toy claims nothing
    return dest


def test_audit_mutate_puts_the_measured_scores_in_results_and_the_table(toy: Path) -> None:
    code, out, err = run_cli(toy, "audit", "-q", "--mutate", "--fix", "TOY", "--out", "rep")
    assert code == 0, (out, err)  # both fixes flip; the audit itself does not gate on scores
    mutation = json.loads((toy / "rep/results.json").read_text())["mutation"]
    assert mutation["source"].startswith("this run (`harness mutate`")
    weak, strong = mutation["scores"]["TOY-1"], mutation["scores"]["TOY-2"]
    assert weak["score"] < 0.5 and strong["score"] == 1.0, (weak["caught"], strong["caught"])
    table = (toy / "rep/VERIFICATION.md").read_text()
    assert "| Mutants caught |" in table
    assert f"| {weak['caught']} |" in table and f"| {strong['caught']} |" in table
    saved = json.loads((toy / "reports/mutation/TOY-1.json").read_text())
    assert saved["caught"] == weak["caught"]  # measured scores are saved as `mutate` saves them


@pytest.mark.parametrize(
    ("bar", "code", "regressed"), [("0.95", 1, True), ("0.1", 0, False)], ids=["below", "above"]
)
def test_the_gate_on_those_scores_exits_1_below_the_bar_only(
    toy: Path, bar: str, code: int, regressed: bool
) -> None:
    """Gated on the audit's results.json: TOY-1 scores 1/6 (17%), TOY-2 100%."""
    results = toy / "rep/results.json"
    if not results.exists():
        pytest.skip("needs the audit of the test above")
    argv = ["gate", "--from", str(results), "--mutate", "--min-mutation-score", bar]
    got, out, err = run_cli(toy, *argv)
    assert got == code, (out, err)
    assert "MUTATION: TOY-2 caught" in out and "(100%)" in out
    assert ("REGRESSED: TOY-1 mutation score" in out) is regressed
    assert "REGRESSED: TOY-2" not in out
