from pathlib import Path

import pytest

from harness.audit.service import load_inputs
from harness.audit.settings import load_settings
from harness.errors import ConfigError
from harness.history import History
from harness.ledger import ClaimStatus, judge_all, load_claims
from harness.scenario import Case, ScenarioResult
from harness.verdict import Verdict

CLAIM = """
[[claim]]
id = "X-C1"
seed = "s.txt"
section = "Part 1"
claim = "it holds"
fixes = ["X-1"]
{extra}
"""
TESTED = '\n[[claim.tested_by]]\nscenario = "X-1/scen/{variant}"\nholds_if = "{holds}"\n'


def ledger(tmp_path: Path, *entries: str) -> Path:
    (tmp_path / "x.toml").write_text("".join(entries))
    return tmp_path


def test_the_real_ledger_loads_and_names_only_catalog_fixes() -> None:
    _, claims = load_inputs(load_settings(Path(__file__)))
    assert claims, "the ledger is empty"
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids))
    by_system = {c.system for c in claims}
    assert {"TRC", "CNS"} <= by_system


def test_every_trc_claim_names_its_scenarios_or_why_not() -> None:
    _, claims = load_inputs(load_settings(Path(__file__)))
    trc = [c for c in claims if c.system == "TRC"]
    assert len(trc) >= 13
    untested = [c.id for c in trc if not c.tested_by]
    assert untested == ["TRC-C10"]  # the GraphRAG performance claim, outside the fixes


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('untested_reason = "x"\nweight = 3', r"unknown key\(s\) \['weight'\]"),
        (TESTED.format(variant="fixed", holds="MAYBE"), "holds_if must be PASS or FAIL"),
        ("", "no tested_by, no measured_by and no untested_reason"),
        (TESTED.format(variant="fixed:case-1", holds="PASS"), "names a case"),
        (
            '\n[[claim.tested_by]]\nscenario = "X-1/only-two"\nholds_if = "PASS"\n',
            "is not FIX/SCENARIO/VARIANT",
        ),
    ],
)
def test_bad_claims_are_refused_in_one_line(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        load_claims(ledger(tmp_path, CLAIM.format(extra=extra)))
    assert "\n" not in str(err.value)


def test_duplicate_claim_ids_are_refused(tmp_path: Path) -> None:
    one = CLAIM.format(extra='untested_reason = "x"')
    with pytest.raises(ConfigError, match="duplicate claim id 'X-C1'"):
        load_claims(ledger(tmp_path, one, one))


def test_claims_must_name_catalog_fixes(tmp_path: Path) -> None:
    folder = ledger(tmp_path, CLAIM.format(extra=TESTED.format(variant="fixed", holds="PASS")))
    with pytest.raises(ConfigError, match="fix id 'X-1' is not in the fix catalog"):
        load_claims(folder, known_fixes={"Y-1"})


def _result(variant: str, valid: bool | None, expects: bool | None = True) -> ScenarioResult:
    r = ScenarioResult("X-1", "scen", variant, seed=7, expects_pass=expects)
    if valid is None:
        r.error = "RuntimeError: boom"
        return r
    verdict = Verdict.ok("c", "fine") if valid else Verdict.violated("c", "broken", rows=2)
    r.cases.append(Case("case-1", verdict, {}, History()))
    return r


def _judge(tmp_path: Path, tests: list[tuple[str, str]], results: list[ScenarioResult]):
    extra = "".join(TESTED.format(variant=v, holds=h) for v, h in tests)
    claims = load_claims(ledger(tmp_path, CLAIM.format(extra=extra)))
    return judge_all(claims, results)[0]


def test_confirmed_when_every_scenario_ran_and_agrees(tmp_path: Path) -> None:
    v = _judge(
        tmp_path,
        [("fixed", "PASS"), ("prefix", "FAIL")],
        [_result("fixed", True), _result("prefix", False, False)],
    )
    assert v.status is ClaimStatus.CONFIRMED
    assert len(v.evidence) == 2


def test_refuted_with_failing_cases_and_replays_as_evidence(tmp_path: Path) -> None:
    v = _judge(tmp_path, [("seed", "PASS")], [_result("seed", False, None)])
    assert v.status is ClaimStatus.REFUTED
    (evidence,) = v.evidence
    assert evidence["outcome"] == "FAIL" and evidence["holds_if"] == "PASS"
    assert evidence["failing_cases"][0]["replay"] == "harness repro X-1/scen/seed:case-1 --seed 7"


def test_untested_when_nothing_ran_partial_or_undecided(tmp_path: Path) -> None:
    assert _judge(tmp_path / "a", [("fixed", "PASS")], []).status is ClaimStatus.UNTESTED
    partial = _judge(
        tmp_path / "b", [("fixed", "PASS"), ("prefix", "FAIL")], [_result("fixed", True)]
    )
    assert (
        partial.status is ClaimStatus.UNTESTED and "did not run: X-1/scen/prefix" in partial.reason
    )
    broken = _judge(tmp_path / "c", [("fixed", "PASS")], [_result("fixed", None)])
    assert broken.status is ClaimStatus.UNTESTED and "could not decide" in broken.reason


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    for sub in ("a", "b", "c"):
        (tmp_path / sub).mkdir()
