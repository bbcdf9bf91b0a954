"""The report's numbers are the run's numbers: parse the tables back and compare."""

import re
from pathlib import Path

import pytest

from harness.audit.model import Run
from harness.scenario import FIXED


def _table(markdown: str, heading: str) -> list[dict[str, str]]:
    """The first pipe table after ``heading``, as dicts keyed by its header row."""
    lines = markdown[markdown.index(heading) :].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([cell.strip() for cell in ln.strip().strip("|").split("|")])
    header, _, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def check_state_table(md: str, run: Run) -> None:
    rows = _table(md, "### State-change table")
    expected: dict[tuple[str, str], dict[str, str]] = {}
    for r in run.results:
        expected.setdefault((r.fix_id, r.scenario), {})[r.variant] = r.outcome
    parsed = {(row["Fix"], row["Scenario"]): row for row in rows}
    assert set(parsed) == set(expected)
    variants = {r.variant for r in run.results}
    measured = {(r.fix_id, r.scenario, r.variant) for r in run.results if r.expects_pass is None}
    measured_everywhere = {v for (_, _, v) in measured} - {
        r.variant for r in run.results if r.expects_pass is not None
    }
    for key, outcomes in expected.items():
        row = parsed[key]
        for variant in variants:
            cell = outcomes.get(variant, "—")
            if (*key, variant) in measured and variant not in measured_everywhere:
                cell += " (measured)"
            assert row[variant] == cell, (key, variant)
        judged = {v: o for v, o in outcomes.items() if (*key, v) not in measured}
        caught = all(o == "FAIL" for v, o in judged.items() if v != FIXED)
        if set(judged) == {FIXED}:
            assert row["Flipped"] == "n/a"  # nothing here must be caught
        elif "UNKNOWN" in judged.values():
            assert row["Flipped"] == "undecided"
        else:
            assert row["Flipped"] == ("yes" if caught and outcomes[FIXED] == "PASS" else "NO")


def test_state_change_table_equals_the_recorded_results(toy_audit: Path, toy_run: Run) -> None:
    check_state_table((toy_audit / "VERIFICATION.md").read_text(), toy_run)


EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "latest"


@pytest.mark.skipif(not (EXAMPLE / "results.json").exists(), reason="no committed example report")
def test_the_committed_example_report_matches_its_results() -> None:
    check_state_table((EXAMPLE / "VERIFICATION.md").read_text(), Run.load(EXAMPLE / "results.json"))


def test_counts_equal_the_recorded_results(toy_audit: Path, toy_run: Run) -> None:
    md = (toy_audit / "VERIFICATION.md").read_text()
    runs = len(toy_run.results)
    cases = sum(len(r.cases) for r in toy_run.results)
    fails = sum(1 for r in toy_run.results if r.outcome == "FAIL")
    assert f"scenario runs (scenario \N{MULTIPLICATION SIGN} variant): **{runs}**" in md
    assert f"cases explored: **{cases}**" in md
    assert f"{fails} FAIL" in md
    assert f"pytest items: **{len(toy_run.tests)}**" in md


def test_test_counts_equal_pytests_own_summary(toy_audit: Path, toy_run: Run) -> None:
    """Our count of pytest items against pytest's own last line, from the same run."""
    summary = toy_run.meta["pytest_summary"]
    words = dict(
        (w, int(n)) for n, w in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary)
    )
    outcomes = [t.outcome for t in toy_run.tests]
    assert words.get("passed", 0) == outcomes.count("passed")
    assert words.get("failed", 0) == outcomes.count("failed")
    assert words.get("error", words.get("errors", 0)) == outcomes.count("error")
    assert (
        f"pytest's own summary of the same run: `{summary}`"
        in (toy_audit / "VERIFICATION.md").read_text()
    )


def test_every_failure_carries_its_replay_command(toy_audit: Path, toy_run: Run) -> None:
    md = (toy_audit / "VERIFICATION.md").read_text()
    html = (toy_audit / "report.html").read_text()
    failing = [(r, c) for r in toy_run.results for c in r.failing_cases()]
    assert failing
    for r, c in failing:
        assert f"`{r.replay(c.case_id)}`" in md
        assert r.replay(c.case_id) in html


def test_findings_name_the_scenario_that_did_not_flip_and_the_refuted_claim(
    toy_audit: Path,
) -> None:
    md = (toy_audit / "VERIFICATION.md").read_text()
    findings = _table(md, "## FINDINGS")
    text = " ".join(f["Finding"] for f in findings)
    assert "TOY-2/never_flips did not flip" in text
    assert "Seed claim TOY-C2 refuted" in text
    assert "not exercised in this run: TOY-4" in text
    assert "TOY-5/fixture_breaks/fixed: the harness could not decide" in text
    assert "toy store refused to start" in text
    assert "TOY-5/fixture_breaks did not flip" not in text
    claims = {row["Claim"]: row["Verdict"] for row in _table(md, "CLAIMS LEDGER")}
    assert claims == {
        "TOY-C1": "**CONFIRMED**",
        "TOY-C2": "**REFUTED**",
        "TOY-C3": "**UNTESTED**",
        "TOY-C4": "**REFUTED**",  # a benchmark figure below the stated one
    }
    assert "## FINAL STATUS: NOT VERIFIED" in md


def test_a_claim_decided_by_a_benchmark_figure_shows_the_figure_and_how_it_was_measured(
    toy_audit: Path,
) -> None:
    md = (toy_audit / "VERIFICATION.md").read_text()
    (row,) = [r for r in _table(md, "CLAIMS LEDGER") if r["Claim"] == "TOY-C4"]
    assert row["Tested by"] == "bench/results/toy.json: increments_per_s.fixed >= 10000"
    evidence = row["Reason / evidence"]
    assert "increments_per_s.fixed measured 4,200/s, below the stated >= 10000" in evidence
    assert "on this machine (bench/results/toy.json, 2026-12-01T02:00:00Z)" in evidence
    assert "measured by `python bench/toy_bench.py --ops 1000` on cpus 2" in evidence
    (finding,) = [f for f in _table(md, "## FINDINGS") if "TOY-C4" in f["Finding"]]
    assert finding["Severity"] == "LOW"  # a figure on this machine, not a defect
    assert "re-measure on the target hardware" in finding["Action"]
    html = (toy_audit / "report.html").read_text()
    assert "<code>bench/results/toy.json</code>: increments_per_s.fixed &gt;= 10000" in html
