"""The QUE checkers on their conformance examples: each passes what it must and catches
what it must, judged from JSON records alone (no server), as ``report --recheck`` does."""

from __future__ import annotations

import pytest

from harness.checkers import checkers, get_checker
from harness.checkers.conformance import check_conformance
from harness.history import History
from scenarios.que import checks

QUE = [name for name in checkers() if name.startswith("que.")]


def test_every_que_checker_has_a_valid_and_an_invalid_example():
    assert len(QUE) >= 10
    for name in QUE:
        expected = {want for _, _, want in get_checker(name).examples}
        assert expected == {"valid", "invalid"}, name


@pytest.mark.parametrize("name", QUE)
def test_conformance(name: str) -> None:
    """The harness's conformance test, examples included (each judged from its JSON)."""
    assert check_conformance(name, min_examples=2) >= 2


def test_no_partial_job_catches_each_partial_shape():
    job = checks._job
    cases = {
        "queue entry without hashes": checks._snap(("j1",)),
        "new without old": checks._snap((), {}, {"ws:j1": job("j1")}),
        "queued twice": checks._snap(("j1", "j1"), {"j1": job("j1")}, {"ws:j1": job("j1")}),
    }
    for name, state in cases.items():
        assert checks.partial_jobs(state), name


def test_a_missing_snapshot_is_unknown_never_a_pass():
    verdict = get_checker("que.exactly_once")(History(), stage="after_recovery")
    assert verdict.validity.value == "unknown"
