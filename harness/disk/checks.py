"""Ready-made state checks: ALICE's contract, "everything acknowledged is recoverable".

check = acked_recovered(lambda view: view)   # the view is the set of labels recovered
explore(trace, recover=read_queue, check=check)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from harness.disk.states import CrashState
from harness.verdict import Verdict

Labels = Callable[[Any], Collection[str]]


def acked_recovered(
    labels: Labels | None = None, *, name: str = "acked_recovered"
) -> Callable[[CrashState, Any], Verdict]:
    """A check: every label acknowledged before the crash is among ``labels(view)``."""
    pick = labels or (lambda view: view)

    def check(state: CrashState, view: Any) -> Verdict:
        found = set(pick(view))
        lost = [label for label in state.acked if label not in found]
        if lost:
            return Verdict.violated(
                name,
                f"{len(lost)} acknowledged entr{'y' if len(lost) == 1 else 'ies'} lost: "
                f"{', '.join(lost[:5])}",
                state=state.id,
                model=state.model,
                lost=lost,
                recovered=sorted(found)[:50],
            )
        return Verdict.ok(
            name, f"all {len(state.acked)} acknowledged entries recovered", state=state.id
        )

    check.__name__ = name
    return check
