"""junit.xml for CI servers: one test case per scenario and variant.

A test case fails when the scenario did not meet its expectation (the fixed
variant failed, or a pre-fix variant was not caught) and errors when the
harness could not decide; a measured variant never fails the build.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.audit.model import Run


def render(run: Run) -> str:
    suite = ET.Element("testsuite", name="harness-audit")
    failures = errors = 0
    total_s = 0.0
    for r in run.results:
        total_s += r.duration_s
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{r.fix_id}.{r.scenario}",
            name=f"{r.scenario}[{r.variant}]",
            time=f"{r.duration_s:.3f}",
        )
        props = ET.SubElement(case, "properties")
        for key, value in (
            ("outcome", r.outcome),
            ("expected", {True: "PASS", False: "FAIL", None: "measured"}[r.expects_pass]),
            ("seed", str(r.seed)),
            ("cases", str(len(r.cases))),
            ("replay", r.replay()),
        ):
            ET.SubElement(props, "property", name=key, value=value)
        if r.outcome == "UNKNOWN" and r.expects_pass is not None:
            errors += 1
            err = ET.SubElement(case, "error", message=f"could not decide: {r.error or 'no case'}")
            err.text = r.replay()
        elif not r.meets_expectation:
            failures += 1
            bad = r.failing_cases()
            if r.expects_pass:
                message = f"fixed variant FAILED {len(bad)} of {len(r.cases)} cases"
            else:
                message = f"pre-fix variant not caught ({r.outcome})"
            fail = ET.SubElement(case, "failure", message=message)
            fail.text = "\n".join(
                [f"{c.case_id}: {c.verdict.summary}\n  replay: {r.replay(c.case_id)}" for c in bad]
                or [f"replay: {r.replay()}"]
            )
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            f"{c.case_id}: {c.verdict.validity}: {c.verdict.summary}" for c in r.cases
        )
    suite.set("tests", str(len(run.results)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{total_s:.3f}")
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
