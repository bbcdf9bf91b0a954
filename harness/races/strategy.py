"""Hypothesis draws schedules and shrinks a failing one to a minimal schedule.

Each step draws which of the workers with steps left goes next, as an index
into that list; Hypothesis shrinks indices toward 0, i.e. toward running the
first worker to its end before the next: the fewest context switches that
still fail.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from harness.races.schedule import Schedule, _check_steps


def schedules(steps: Mapping[str, int]) -> st.SearchStrategy[Schedule]:
    """Complete interleavings of ``steps`` (worker -> number of steps)."""
    counts = _check_steps(steps)
    names = list(counts)

    @st.composite
    def draw(data: st.DrawFn) -> Schedule:
        left = dict(counts)
        out: list[str] = []
        while True:
            live = [n for n in names if left[n] > 0]
            if not live:
                return Schedule(out)
            pick = live[data(st.integers(0, len(live) - 1))] if len(live) > 1 else live[0]
            left[pick] -= 1
            out.append(pick)

    return draw()
