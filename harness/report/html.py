"""report.html: the report for a browser, self-contained (inline CSS and SVG, no network)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.audit.analysis import Analysis, analyze
from harness.audit.model import Run
from harness.report import context
from harness.report.templates import environment
from harness.report.timeline import render_svg, worth_drawing

MAX_FAILING_TIMELINES = 60  # per scenario variant; beyond that, results.json has them
MAX_PASSING_TIMELINES = 60


@dataclass(frozen=True)
class Timeline:
    case_id: str
    validity: str
    svg: str
    open: bool


def _timelines(run: Run) -> tuple[dict[str, list[Timeline]], dict[str, int]]:
    """Pictures of race and crash cases: every one, up to a bound per scenario variant."""
    shown: dict[str, list[Timeline]] = {}
    omitted: dict[str, int] = {}
    for r in run.results:
        drawable = [c for c in r.cases if worth_drawing(c.history)]
        bad = [c for c in drawable if not c.verdict.valid][:MAX_FAILING_TIMELINES]
        good = [c for c in drawable if c.verdict.valid]
        pics = []
        for i, c in enumerate(bad + good[:MAX_PASSING_TIMELINES]):
            assert c.history is not None
            svg = render_svg(c.history, f"{r.ref}:{c.case_id}")
            pics.append(Timeline(c.case_id, str(c.verdict.validity), svg, open=i == 0))
        shown[r.ref] = pics
        omitted[r.ref] = len(drawable) - len(pics)
    return shown, omitted


def render(run: Run, analysis: Analysis | None = None) -> str:
    ctx = context.build(run, analysis or analyze(run))
    ctx["timelines"], ctx["omitted"] = _timelines(run)
    return environment(autoescape=True).get_template("report.html.j2").render(ctx)
