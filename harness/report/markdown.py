"""VERIFICATION.md: the audit report in the seeds' shape, rendered from one run."""

from __future__ import annotations

import re

from harness.audit.analysis import Analysis
from harness.audit.model import Run
from harness.report import context
from harness.report.templates import environment


def render(run: Run, analysis: Analysis | None = None) -> str:
    text = (
        environment(autoescape=False)
        .get_template("verification.md.j2")
        .render(context.build(run, analysis))
    )
    # Templates leave runs of blank lines where blocks were skipped; Markdown needs one.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
