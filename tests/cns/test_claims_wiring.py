"""Every CNS claim is decided by scenarios that exist, or says why it cannot be."""

from __future__ import annotations

from pathlib import Path

from harness.audit.service import load_inputs
from harness.audit.settings import load_settings

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "cns"


def test_every_cns_claim_names_existing_scenarios_or_a_reason() -> None:
    _, claims = load_inputs(load_settings(Path(__file__)))
    cns = [c for c in claims if c.system == "CNS"]
    assert len(cns) == 17
    sources = "".join(p.read_text() for p in SCENARIOS.glob("test_cns*.py"))
    for claim in cns:
        assert claim.tested_by or claim.measured_by or claim.untested_reason, claim.id
        for ref in claim.tested_by:
            _fix, name, variant = ref.scenario.split("/")
            assert f"def test_{name}(" in sources, ref.scenario
            assert variant in ("prefix", "seed", "fixed")
