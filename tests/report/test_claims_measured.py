"""Claims decided by benchmark evidence: a figures file fed in, never a timed test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.audit.service import load_inputs
from harness.audit.settings import load_settings
from harness.errors import ConfigError
from harness.history import History
from harness.ledger import Claim, ClaimStatus, judge_all, load_claims
from harness.scenario import Case, ScenarioResult
from harness.verdict import Verdict

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
CLAIM = """
[[claim]]
id = "X-C1"
seed = "s.txt"
section = "Acceptance"
claim = "it is fast"
fixes = ["X-1"]
{extra}
"""
MEASURED = """
[[claim.measured_by]]
figures = "results/x.json"
figure = "{figure}"
{bound}
{age}
"""


def figures_file(root: Path, figures: dict[str, Any], **over: Any) -> None:
    doc = {
        "format": 1,
        "bench": "bench/x.py",
        "command": "python bench/x.py --scale 0.1",
        "date": "2026-11-30T12:00:00Z",
        "machine": {"cpus": 2, "load_before": 7.0},
        "scale": {"file": "0.1 of 153 MB"},
        "figures": figures,
        **over,
    }
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "x.json").write_text(json.dumps(doc))


def claims(
    root: Path,
    bound: str = "at_least = 100000",
    figure: str = "selects_per_s",
    age: str = "",
    extra: str = "",
) -> list[Claim]:
    folder = root / "claims"
    folder.mkdir(exist_ok=True)
    text = MEASURED.format(figure=figure, bound=bound, age=age) + extra
    (folder / "x.toml").write_text(CLAIM.format(extra=text))
    return load_claims(folder, root=root, now=NOW)


def verdict(root: Path, results: list[ScenarioResult] | None = None, **kw: Any):
    return judge_all(claims(root, **kw), results or [])[0]


def per_s(value: float | None) -> dict[str, Any]:
    return {"selects_per_s": {"value": value, "unit": "/s"}}


@pytest.mark.parametrize(
    ("value", "bound", "status", "words"),
    [
        (100_000, "at_least = 100000", ClaimStatus.CONFIRMED, "within the stated >= 100000"),
        (99_999.5, "at_least = 100000", ClaimStatus.REFUTED, "below the stated >= 100000"),
        (0, "at_most = 0", ClaimStatus.CONFIRMED, "within the stated <= 0"),
        (1, "at_most = 0", ClaimStatus.REFUTED, "above the stated <= 0"),
    ],
)
def test_a_figure_on_either_side_of_the_stated_bound(
    tmp_path: Path, value: float, bound: str, status: ClaimStatus, words: str
) -> None:
    figures_file(tmp_path, per_s(value))
    v = verdict(tmp_path, bound=bound)
    assert v.status is status
    assert words in v.reason and "on this machine" in v.reason
    (m,) = v.measured
    assert m["value"] == value and m["command"] == "python bench/x.py --scale 0.1"
    assert m["machine"] == "cpus 2, load_before 7.0" and m["scale"] == "file 0.1 of 153 MB"
    assert v.evidence == []  # no scenario evidence: the report's replay columns stay empty


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda root: None, "no figures file results/x.json: run the benchmark"),
        (
            lambda root: (root / "results").mkdir() or (root / "results/x.json").write_text("{"),
            "results/x.json is not JSON",
        ),
        (lambda root: figures_file(root, per_s(1), format=2), "format 2, this harness reads"),
        (lambda root: figures_file(root, per_s(1), date="yesterday"), "not an ISO 8601 time"),
        (lambda root: figures_file(root, per_s(1), machine="a box"), "'machine' missing"),
        (lambda root: figures_file(root, {}), "has no measured figure 'selects_per_s'"),
        (lambda root: figures_file(root, per_s(None)), "has no measured figure"),
        (
            lambda root: figures_file(root, {"selects_per_s": {"value": "fast"}}),
            "is not a number",
        ),
    ],
)
def test_a_file_that_cannot_decide_leaves_the_claim_untested_with_why(
    tmp_path: Path, setup: Any, words: str
) -> None:
    setup(tmp_path)
    v = verdict(tmp_path)
    assert v.status is ClaimStatus.UNTESTED
    assert words in v.reason


def test_stale_figures_are_untested_and_the_day_before_is_not(tmp_path: Path) -> None:
    figures_file(tmp_path, per_s(200_000), date="2026-11-01T03:00:00Z")  # 30 days before NOW
    fresh = verdict(tmp_path, age="max_age_days = 30")
    assert fresh.status is ClaimStatus.CONFIRMED
    stale = verdict(tmp_path, age="max_age_days = 29")
    assert stale.status is ClaimStatus.UNTESTED
    assert "stale: measured 2026-11-01T03:00:00Z, 30 days before this run (at most 29)" in (
        stale.reason
    )


def _result(valid: bool) -> ScenarioResult:
    r = ScenarioResult("X-1", "scen", "seed", seed=1, expects_pass=None)
    verdict_ = Verdict.ok("c", "fine") if valid else Verdict.violated("c", "broken")
    r.cases.append(Case("case-1", verdict_, {}, History()))
    return r


TESTED = '\n[[claim.tested_by]]\nscenario = "X-1/scen/seed"\nholds_if = "PASS"\n'


def test_scenario_and_figure_together(tmp_path: Path) -> None:
    figures_file(tmp_path, per_s(50_000))
    refuted = verdict(tmp_path, [_result(True)], extra=TESTED)
    assert refuted.status is ClaimStatus.REFUTED  # the figure disagrees though the scenario agrees
    assert "below the stated" in refuted.reason and len(refuted.evidence) == 1
    figures_file(tmp_path, per_s(150_000))
    confirmed = verdict(tmp_path, [_result(True)], extra=TESTED)
    assert confirmed.status is ClaimStatus.CONFIRMED
    assert confirmed.reason.startswith("X-1/scen/seed PASS; selects_per_s measured 150,000/s")
    not_run = verdict(tmp_path, [], extra=TESTED)
    assert not_run.status is ClaimStatus.UNTESTED
    assert "did not run: X-1/scen/seed" in not_run.reason
    assert "1 of 1 measured figures agree" in not_run.reason


def test_a_stored_claim_is_judged_again_without_the_file(tmp_path: Path) -> None:
    figures_file(tmp_path, per_s(42_000))
    (claim,) = claims(tmp_path)
    (tmp_path / "results" / "x.json").unlink()
    again = Claim.from_json(json.loads(json.dumps(claim.to_json())))
    assert again == claim
    (v,) = judge_all([again], [])
    assert v.status is ClaimStatus.REFUTED and "42,000/s" in v.reason


@pytest.mark.parametrize(
    ("bound", "message"),
    [
        ("at_least = 1\nat_most = 2", "exactly one of at_least and at_most"),
        ("", "exactly one of at_least and at_most"),
        ('at_least = "fast"', "'at_least' must be a number"),
        ("at_least = true", "'at_least' must be a number"),
        ("at_least = 1\nunit = 's'", r"unknown key\(s\) \['unit'\]"),
        ("at_least = 1\nmax_age_days = -1", "max_age_days must be >= 0"),
    ],
)
def test_bad_measured_by_is_refused_in_one_line(tmp_path: Path, bound: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        claims(tmp_path, bound=bound)
    assert "\n" not in str(err.value) and "measured_by #1" in str(err.value)


@pytest.mark.parametrize("path", ["/etc/x.json", "../x.json"])
def test_a_figures_path_outside_the_project_is_refused(tmp_path: Path, path: str) -> None:
    folder = tmp_path / "claims"
    folder.mkdir()
    entry = MEASURED.format(figure="f", bound="at_least = 1", age="").replace(
        "results/x.json", path
    )
    (folder / "x.toml").write_text(CLAIM.format(extra=entry))
    with pytest.raises(ConfigError, match="must be a path inside the project"):
        load_claims(folder, root=tmp_path, now=NOW)


def test_the_cns_figure_claims_read_the_committed_benchmark_file() -> None:
    _, loaded = load_inputs(load_settings(Path(__file__)))
    by_id = {c.id: c for c in loaded}
    for claim_id in ("CNS-C13", "CNS-C16", "CNS-C17"):
        claim = by_id[claim_id]
        assert claim.measured_by, claim_id
        for m in claim.measured_by:
            assert m.figures == "bench/results/cns_seed.json"
            # Present and of the format (a figure may be unmeasured: a rate with no event).
            assert "no figures file" not in m.measurement.problem, m.measurement.problem
            assert "format" not in m.measurement.problem, m.measurement.problem
            assert m.figure.rsplit(".", 1)[-1] in ("seed", "fixed", "prefix"), m.figure


def test_a_refuted_claim_still_shows_the_figures_that_agree(tmp_path: Path) -> None:
    figures_file(tmp_path, {**per_s(45_000), "speedup": {"value": 14.8, "unit": "x"}})
    second = MEASURED.format(figure="speedup", bound="at_least = 5", age="")
    v = verdict(tmp_path, extra=second)
    assert v.status is ClaimStatus.REFUTED
    first, then = v.reason.split("; ")
    assert first.startswith("selects_per_s measured 45,000/s, below the stated >= 100000")
    assert then.startswith("speedup measured 14.8x, within the stated >= 5")
