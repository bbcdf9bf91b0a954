"""Mutation scores in the audit's outputs: results.json, VERIFICATION.md, report.html, the gate."""

from __future__ import annotations

import argparse
import copy
import json

import pytest

from harness.audit.model import Run
from harness.mutate import audit_hook
from harness.mutate.model import FixScore, MutantResult
from harness.report import html, markdown
from tests.report.toyproject import toy_audit, toy_run

__all__ = ["toy_audit", "toy_run"]


def _score() -> FixScore:
    def m(n: int, status: str, reason: str = "") -> MutantResult:
        return MutantResult(
            f"toy.py::f:{n}:comparison:0",
            "toy.py",
            "f",
            n,
            "comparison",
            "a < b -> a <= b",
            status,
            reason=reason,
        )

    return FixScore("TOY-1", [m(1, "killed"), m(2, "survived"), m(3, "equivalent", "same set")])


@pytest.fixture
def run_with_scores(toy_run: Run) -> Run:
    run = copy.deepcopy(toy_run)
    run.mutation = {"source": "a test", "scores": {"TOY-1": _score().to_json()}}
    return run


def test_results_json_keeps_the_scores(run_with_scores):
    again = Run.from_json(json.loads(run_with_scores.dumps()))
    assert again.mutation["scores"]["TOY-1"]["caught"] == "1/2 (50%)"


def test_verification_md_has_the_column_the_table_and_every_survivor(run_with_scores):
    text = markdown.render(run_with_scores)
    assert "| Flipped | Mutants caught |" in text
    assert "| 1/2 (50%) |" in text  # TOY-1's rows
    assert "| not run |" in text  # a fix that was not measured
    assert "SURVIVED `toy.py:2`: `a < b -> a <= b`" in text
    assert "EQUIVALENT `toy.py:3`: `a < b -> a <= b`: same set" in text


def test_report_html_has_the_column_and_the_survivors(run_with_scores):
    page = html.render(run_with_scores)
    assert "<th>Mutants caught</th>" in page and 'id="mutation-table"' in page
    assert "toy.py::f:2:comparison:0" in page and "same set" in page


def test_a_run_without_scores_says_so(toy_run):
    assert "Not measured in this run" in markdown.render(toy_run)


def test_the_gate_fails_below_the_bar_only_when_asked(run_with_scores):
    asked = argparse.Namespace(mutate=True, min_mutation_score=0.95)
    code, lines = audit_hook.gate(run_with_scores, asked, 0, ["OK: ..."])
    assert code == 1 and any("TOY-1 mutation score 1/2 (50%) is below 95%" in ln for ln in lines)
    code, lines = audit_hook.gate(run_with_scores, argparse.Namespace(mutate=False), 0, ["OK"])
    assert (code, lines) == (0, ["OK"])
