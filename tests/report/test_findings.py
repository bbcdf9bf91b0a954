"""Findings and final status are derived from the results, with a severity and an action."""

import json
from pathlib import Path

from harness.audit.analysis import analyze
from harness.audit.model import Run


def _edited(toy_audit: Path, change) -> Run:
    data = json.loads((toy_audit / "results.json").read_text())
    change(data)
    return Run.from_json(data)


def test_a_failing_fixed_variant_is_critical_with_its_replay(toy_audit: Path) -> None:
    def break_fixed(d):
        for r in d["results"]:
            if r["scenario"] == "crash_every_step" and r["variant"] == "fixed":
                r["cases"][1]["verdict"].update(validity="invalid", summary="torn value")

    a = analyze(_edited(toy_audit, break_fixed))
    critical = [f for f in a.findings if f.severity == "CRITICAL"]
    assert len(critical) == 1
    assert "TOY-1/crash_every_step/fixed: the fixed variant fails 1 of 2 cases: torn value" in (
        critical[0].finding
    )
    assert "harness repro TOY-1/crash_every_step/fixed:crash@toy.incr.write --seed" in (
        critical[0].action
    )
    assert a.findings[0] is critical[0]  # most severe first
    assert a.status == "NOT VERIFIED"
    assert next(p for p in a.parts if p.fix.id == "TOY-1").status == "FAIL"


def test_all_good_is_verified_and_counts_what_was_not_exercised(toy_audit: Path) -> None:
    def only_good(d):
        d["results"] = [r for r in d["results"] if r["fix_id"] in ("TOY-1", "TOY-3")]
        d["tests"] = [t for t in d["tests"] if t["fix_id"] in ("TOY-1", "TOY-3")]

    a = analyze(_edited(toy_audit, only_good))
    assert a.status == "VERIFIED"
    assert a.status_detail.startswith("2 of 2 exercised fixes verified")
    assert "4 of 6 fixes in the catalog not exercised" in a.status_detail
    # A refuted claim, fixes not exercised, and a scenario whose pre-fix variant is only measured.
    assert {f.severity for f in a.findings} == {"MEDIUM", "LOW", "INFO"}
    (info,) = [f for f in a.findings if f.severity == "INFO"]
    assert "TOY-1/prefix_only_measured does not flip by design" in info.finding
    assert info.action == "None: crash_every_step, race_two_writers catches the pre-fix code."


def test_a_fix_whose_scenarios_never_catch_the_old_code_is_a_finding(toy_audit: Path) -> None:
    def only_measured(d):
        d["results"] = [
            r
            for r in d["results"]
            if r["fix_id"] != "TOY-1" or r["scenario"] == "prefix_only_measured"
        ]

    a = analyze(_edited(toy_audit, only_measured))
    assert any(
        f.severity == "HIGH" and f.finding.startswith("TOY-1: no scenario catches its pre-fix code")
        for f in a.findings
    )


def test_two_scenarios_with_one_name_are_a_finding(toy_audit: Path) -> None:
    def duplicate(d):
        d["results"].append(dict(d["results"][0]))

    a = analyze(_edited(toy_audit, duplicate))
    assert any("was reported 2 times" in f.finding for f in a.findings)
