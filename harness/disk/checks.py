"""The short form of ALICE's contract, "everything acknowledged is recoverable", as a
``check(state, view)`` callable. A scenario passes the registered checker instead
(``checks=[Check("acked_recovered")]``), whose cases a stored run can judge again.

check = acked_recovered(lambda view: view)   # the view is the set of labels recovered
explore(trace, recover=read_queue, check=check)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from harness.checkers.acked_recovered import verdict_of
from harness.disk.states import CrashState
from harness.verdict import Verdict

Labels = Callable[[Any], Collection[str]]


def acked_recovered(
    labels: Labels | None = None, *, name: str = "acked_recovered"
) -> Callable[[CrashState, Any], Verdict]:
    """A check: every label acknowledged before the crash is among ``labels(view)``."""
    pick = labels or (lambda view: view)

    def check(state: CrashState, view: Any) -> Verdict:
        return verdict_of(name, state.acked, list(pick(view)), state=state.id, model=state.model)

    check.__name__ = name
    return check
