"""``harness repro``: run exactly one case again and say whether it reproduces its verdict."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from harness.audit.model import Run
from harness.audit.replayability import HAMMER_NOTE, RERUN, result_kind
from harness.audit.runner import Selection, run_pytest
from harness.audit.settings import Settings
from harness.catalog import Catalog
from harness.errors import ConfigError, UnknownName
from harness.history import History
from harness.scenario import Case, ScenarioResult, case_ref, derive_seed, parse_case_ref

EXIT_REPRODUCED, EXIT_DIFFERENT = 0, 1
RERUNS = 5  # runs of a hammer case (real concurrency: its verdict may or may not recur)


@dataclass(frozen=True)
class Recorded:
    source: Path
    result: ScenarioResult
    case: Case | None


def find_recorded(path: Path | None, ref: str) -> Recorded | None:
    """The recorded result (and case) of ``ref`` in a results.json, if there is one."""
    if path is None or not path.exists():
        return None
    run = Run.load(path)
    fix_id, scen, variant, case_id = parse_case_ref(ref)
    base = case_ref(fix_id, scen, variant)
    result = next((r for r in run.results if r.ref == base), None)
    if result is None:
        return None
    case = None
    if case_id is not None:
        case = next((c for c in result.cases if c.case_id == case_id), None)
        if case is None:
            raise UnknownName(
                f"case id of {base} in {path}", case_id, [c.case_id for c in result.cases]
            )
    return Recorded(path, result, case)


def _validity(result: ScenarioResult, case: Case | None) -> str:
    return str(case.verdict.validity) if case is not None else str(result.validity)


def print_history(history: History, out: TextIO) -> None:
    for op in history.ops:
        value = json.dumps(op.value, default=str)
        err = f"  error={op.error}" if op.error else ""
        out.write(
            f"    {op.index:>4} {op.time_ns / 1e6:>10.3f} ms  {op.process:<10} {op.type.value:<6} "
            f"{op.f} {value}{err}\n"
        )
    for name, state in history.snapshots.items():
        out.write(f"    snapshot {name}: {json.dumps(state, default=str)[:500]}\n")


def _resolver(
    fix_part: str,
    scen: str,
    variant: str,
    found: list[str],
    then: Callable[[], None] | None = None,
) -> Callable[[list[dict[str, Any]]], None]:
    """Checks the collected items before any output is shown: exactly one fix (of those
    ``fix_part`` names, a fix or a system id) must have this scenario and variant."""

    def check(items: list[dict[str, Any]]) -> None:
        fixes = sorted(
            {
                str(i["fix_id"])
                for i in items
                if i.get("scenario") == scen and i.get("variant") == variant
            }
        )
        if not fixes:
            raise ConfigError(
                f"no scenario {case_ref(fix_part.upper(), scen, variant)}; "
                f"'harness list --fix {fix_part.upper()}' shows the scenarios and variants "
                "that exist"
            )
        if len(fixes) > 1:
            raise ConfigError(
                f"scenario {scen!r} exists in {', '.join(fixes)}; name the fix instead of "
                f"{fix_part.upper()}"
            )
        found[:] = fixes
        if then is not None:
            then()

    return check


def repro(
    settings: Settings,
    catalog: Catalog,
    ref: str,
    seed: int | None,
    keep: bool,
    backend: str | None,
    recorded_path: Path | None,
    out: TextIO | None = None,
    runs: int = RERUNS,
) -> int:
    """Replay ``ref``; an exact case once, a hammer case ``runs`` times (see replayability).

    Exit 0 when the recorded verdict recurred (for a hammer case: in at least one run),
    1 when it did not.
    """
    out = out or sys.stdout
    if runs < 1:
        raise ConfigError(f"--runs must be 1 or more, got {runs}")
    fix_part, scen, variant, case_id = parse_case_ref(ref)
    fix_ids = catalog.check_fix_ids([fix_part])
    if len(fix_ids) == 1:  # a fix id: its recorded seed is known before the run
        ref = case_ref(fix_ids[0], scen, variant, case_id)
    recorded = find_recorded(recorded_path, ref) if len(fix_ids) == 1 else None
    if seed is None and recorded is None and len(fix_ids) > 1:
        # A system id: which fix holds the scenario is known once collected; collect first.
        found: list[str] = []
        collect = Selection(fixes=fix_ids, variants=[variant], scenarios=[scen], collect_only=True)
        _resolver(fix_part, scen, variant, found)(run_pytest(settings, collect).collected)
        fix_ids, ref = found, case_ref(found[0], scen, variant, case_id)
        recorded = find_recorded(recorded_path, ref)
    if seed is None:
        seed = recorded.result.seed if recorded else derive_seed(0, fix_ids[0], scen, variant)
    found = []
    sel = Selection(
        fixes=fix_ids,
        variants=[variant],
        scenarios=[scen],
        seed=seed,
        exact_seed=True,
        case=case_id,
        verbose=True,
        keep=keep,
        backend=backend,
    )
    rerun = recorded is not None and result_kind(recorded.result, case_id) == RERUN

    def announce() -> None:  # once the scenario is known to exist, before pytest's output
        if rerun:
            out.write(f"{ref}: {HAMMER_NOTE}\n")
        out.write(f"replaying {ref} with seed {seed}\n")
        out.flush()

    check = _resolver(fix_part, scen, variant, found, then=announce)
    result, cases = _run_once(settings, sel, ref, check=check)
    sel = replace(sel, fixes=found)
    _print_result(result, cases, out)
    if keep:
        out.write(
            "--keep: the servers were left up with the data the case left behind; the "
            "'kept servers' lines above say how to connect and how to stop them "
            "(harness doctor --stop-kept)\n"
        )
    now_case = cases[0] if case_id is not None and cases else None
    verdicts = [_validity(result, now_case)]
    rerun = rerun or result_kind(result, case_id) == RERUN
    if rerun and not keep:
        if recorded is None:
            out.write(f"{ref}: {HAMMER_NOTE}\n")
        quiet = replace(sel, verbose=False)
        for n in range(2, runs + 1):
            again, again_cases = _run_once(settings, quiet, ref, stream=False)
            verdicts.append(_validity(again, again_cases[0] if case_id and again_cases else None))
            out.write(f"  run {n}/{runs}: {verdicts[-1]}\n")
            out.flush()
    if recorded is None:
        shown = verdicts[0] if len(verdicts) == 1 else ", ".join(verdicts)
        out.write(f"no recorded verdict to compare with; this run: {shown}\n")
        return EXIT_REPRODUCED
    then = _validity(recorded.result, recorded.case)
    if len(verdicts) > 1:
        hits = verdicts.count(then)
        word = "REPRODUCED" if hits else "NOT REPRODUCED"
        out.write(
            f"{word}: the recorded verdict {then} recurred in {hits} of {len(verdicts)} runs "
            f"(a hammer case is re-run, not replayed exactly; recorded in {recorded.source})\n"
        )
        return EXIT_REPRODUCED if hits else EXIT_DIFFERENT
    now = verdicts[0]
    if now == then:
        out.write(f"REPRODUCED: {now}, as recorded in {recorded.source}\n")
        return EXIT_REPRODUCED
    out.write(f"NOT REPRODUCED: recorded {then} in {recorded.source}, this run {now}\n")
    return EXIT_DIFFERENT


def _run_once(
    settings: Settings,
    sel: Selection,
    ref: str,
    stream: bool = True,
    check: Callable[[list[dict[str, Any]]], None] | None = None,
) -> tuple[ScenarioResult, list[Case]]:
    run = run_pytest(settings, sel, stream_output=stream, on_collected=check)
    base = case_ref(sel.fixes[0], sel.scenarios[0], sel.variants[0])
    result = next(
        (r for r in run.results if (r.scenario, r.variant) == (sel.scenarios[0], sel.variants[0])),
        None,
    )
    if result is None:
        raise ConfigError(
            f"no scenario {base} ran; 'harness list --fix {sel.fixes[0]}' shows what exists"
        )
    if result.error and "does not exist in this scenario" in result.error:
        raise ConfigError(f"{ref}: {result.error}")
    cases = [c for c in result.cases if sel.case is None or c.case_id == sel.case]
    return result, cases


def _print_result(result: ScenarioResult, cases: list[Case], out: TextIO) -> None:
    out.write(
        f"\n{result.ref}: {result.outcome} ({len(result.cases)} cases, {result.duration_s:.2f} s)\n"
    )
    if result.error:
        out.write(f"  harness error: {result.error}\n")
    for c in cases:
        out.write(f"  {c.case_id}: {c.verdict.validity}: {c.verdict.summary}\n")
        if c.verdict.evidence:
            out.write(f"    evidence: {json.dumps(c.verdict.evidence, default=str)[:2000]}\n")
        if c.history is not None:
            print_history(c.history, out)
