"""The checker conformance test, runnable by anyone on their own checkers.

    from harness.checkers.conformance import check_conformance
    for name in ("acme.no_double_charge", "acme.refund_once"):
        check_conformance(name)          # raises AssertionError naming what is wrong

What every checker must do: return a Verdict named after it, JSON evidence, a
one-line summary; be deterministic (a pure function of the record); on an empty
record with its ``example`` parameters decide or say UNKNOWN, never crash; refuse
a non-History with ConfigError; and give the expected validity on each of its
registered ``examples`` (record JSON, parameters, "valid"/"invalid"/"unknown").
"""

from __future__ import annotations

import json

from harness.checkers.registry import get_checker
from harness.errors import ConfigError
from harness.history import History
from harness.verdict import Verdict


def check_conformance(name: str, *, min_examples: int = 0) -> int:
    """Run the conformance checks on registered checker ``name``; returns the number of
    examples checked. ``min_examples``: fail when it has fewer (scenario checkers want 2:
    one valid, one invalid)."""
    checker = get_checker(name)
    assert checker.doc, f"checker {name!r} has no docstring (its first line is its description)"
    for history in (History(), History.from_json(History().to_json())):
        v1 = checker(history, **checker.example)
        v2 = checker(history, **checker.example)
        assert isinstance(v1, Verdict) and v1.checker == name, (
            f"{name}: verdict named {v1.checker!r}"
        )
        assert v1 == v2, f"{name}: two verdicts on one record differ (not a pure function)"
        json.dumps(v1.to_json())
        assert v1.summary and "\n" not in v1.summary, f"{name}: summary must be one line"
    try:
        checker([], **checker.example)  # type: ignore[arg-type]
    except ConfigError:
        pass
    else:
        raise AssertionError(f"{name}: a non-History must be a ConfigError")
    seen = set()
    for i, (record, params, want) in enumerate(checker.examples):
        verdict = checker(History.from_json(record), **params)
        assert str(verdict.validity) == want, (
            f"{name}: example {i} ({params}) gave {verdict.validity} ({verdict.summary}), want {want}"
        )
        json.dumps(verdict.to_json())
        seen.add(want)
    assert len(checker.examples) >= min_examples, (
        f"{name}: {len(checker.examples)} conformance example(s), want at least {min_examples}"
    )
    if min_examples >= 2:
        assert {"valid", "invalid"} <= seen, f"{name}: examples must show both a pass and a fail"
    return len(checker.examples)
