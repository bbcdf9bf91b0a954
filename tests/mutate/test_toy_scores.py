"""``harness mutate`` end to end on the toy project (tests/mutate/toy): a weak scenario
scores low, a strong one (which runs the code in a forked child) scores 100%."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.report.toyproject import run_cli

TOY = Path(__file__).parent / "toy"


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("mutate") / "toy"
    shutil.copytree(TOY, dest, ignore=shutil.ignore_patterns("__pycache__", "reports"))
    equivalents = dest / "scenarios/catalog/mutate/equivalents.toml"
    equivalents.write_text(
        '[[equivalent]]\nmutant = "toysys/timing.py::jitter_cap:10:number:0"\n'
        'reason = "the toy marks one for the test"\n\n'
        '[[equivalent]]\nmutant = "toysys/timing.py::jitter_cap:99:number:0"\n'
        'reason = "a mark that matches nothing"\n'
    )
    return dest


@pytest.fixture(scope="module")
def scored(toy: Path) -> tuple[int, str, dict[str, dict]]:
    code, out, err = run_cli(toy, "mutate", "--fix", "TOY", "-n", "0", "--json", "scores.json")
    assert code == 0, (out, err)
    scores = {s["fix_id"]: s for s in json.loads((toy / "scores.json").read_text())}
    return code, out, scores


def test_the_tests_of_one_mutant_run_on_one_worker(toy: Path, tmp_path: Path) -> None:
    # --dist loadgroup: TOY-1 has two tests; each mutant's pair must share a worker (xdist
    # hands consecutive ungrouped items to alternate workers), so a kill skips the rest
    code, out, err = run_cli(
        toy, "mutate", "--fix", "TOY-1", "-n", "2", "--no-save", "--keep", str(tmp_path)
    )
    assert code in (0, 1), (out, err)
    workers: dict[str, set[str]] = {}
    for path in tmp_path.glob("*/outcomes-*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["mutant"]:
                workers.setdefault(row["mutant"], set()).add(path.name)
    assert len(workers) >= 5
    split = {m: sorted(w) for m, w in workers.items() if len(w) > 1}
    assert not split, split


def test_a_weak_scenario_scores_low(scored):
    _, _, scores = scored
    weak = scores["TOY-1"]
    assert weak["score"] is not None and weak["score"] < 0.5, weak["caught"]
    survivors = {m["id"] for m in weak["mutants"] if m["status"] == "survived"}
    assert "toysys/timing.py::jitter_cap:14:arithmetic:0" in survivors  # interval / 2 -> * 2


def test_a_strong_scenario_in_a_forked_child_kills_every_mutant(scored):
    _, _, scores = scored
    strong = scores["TOY-2"]
    assert strong["score"] == 1.0, [m for m in strong["mutants"] if m["status"] != "killed"]
    killed = next(m for m in strong["mutants"] if m["id"].endswith("CAP_S:5:number:0"))
    assert killed["evidence"]["case"] == "interval=61"  # the first case that failed, with why
    assert "want 30.0 s" in killed["evidence"]["summary"]


def test_an_equivalence_mark_is_reported_with_its_reason_and_not_counted(scored):
    _, out, scores = scored
    for score in scores.values():
        marked = [m for m in score["mutants"] if m["status"] == "equivalent"]
        assert [m["reason"] for m in marked] == ["the toy marks one for the test"]
        assert score["equivalent"] == 1
        assert score["stale_equivalents"] == ["toysys/timing.py::jitter_cap:99:number:0"]
    assert "STALE equivalence mark" in out
    assert "SURVIVED toysys/timing.py:14 interval_s / 2.0 -> interval_s * 2.0" in out


def test_scores_are_saved_for_the_audit(scored, toy):
    saved = json.loads((toy / "reports/mutation/TOY-2.json").read_text())
    assert saved["caught"] == "5/5 (100%)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fix", "NOPE-1"], "unknown fix id 'NOPE-1'"),
        (["--fix", "TOY-1", "--min-score", "2"], "--min-score must be between 0 and 1"),
        (["--fix", "TOY-1", "--mutant", "toysys/x.py::f:1:number:0"], "no mutant"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(toy, argv, message):
    code, _out, err = run_cli(toy, "mutate", *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1, err


def test_the_list_needs_no_run(toy):
    code, out, _ = run_cli(toy, "mutate", "--fix", "TOY-2", "--list")
    assert code == 0
    assert "TOY-2: 6 mutants" in out and "[equivalent]" in out
