"""results.json: the run document every other format is made from (see harness.audit.model)."""

from __future__ import annotations

from harness.audit.model import Run


def render(run: Run) -> str:
    return run.dumps()
