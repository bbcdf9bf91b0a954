import xml.etree.ElementTree as ET
from pathlib import Path

from harness.audit.model import Run


def test_one_test_case_per_scenario_and_variant(toy_audit: Path, toy_run: Run) -> None:
    root = ET.parse(toy_audit / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(toy_run.results) == int(suite.get("tests", "0"))
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert names == {
        (f"{r.fix_id}.{r.scenario}", f"{r.scenario}[{r.variant}]") for r in toy_run.results
    }
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["never_flips[prefix]"]
    assert suite.get("failures") == "1"
    # A measured variant (the seed's proposal) fails its scenario but not the build.
    seed = next(c for c in cases if c.get("name") == "retry_applies_once[seed]")
    assert seed.find("failure") is None
