"""``harness repro``: run exactly one case again and say whether it reproduces its verdict."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from harness.audit.model import Run
from harness.audit.runner import Selection, run_pytest
from harness.audit.settings import Settings
from harness.catalog import Catalog
from harness.errors import ConfigError, UnknownName
from harness.history import History
from harness.scenario import Case, ScenarioResult, case_ref, derive_seed, parse_case_ref

EXIT_REPRODUCED, EXIT_DIFFERENT = 0, 1


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


def repro(
    settings: Settings,
    catalog: Catalog,
    ref: str,
    seed: int | None,
    keep: bool,
    backend: str | None,
    recorded_path: Path | None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    fix_id, scen, variant, case_id = parse_case_ref(ref)
    fix_id = catalog.fix(fix_id).id
    recorded = find_recorded(recorded_path, ref)
    if seed is None:
        seed = recorded.result.seed if recorded else derive_seed(0, fix_id, scen, variant)
    sel = Selection(
        fixes=[fix_id],
        variants=[variant],
        scenarios=[scen],
        seed=seed,
        exact_seed=True,
        case=case_id,
        verbose=True,
        keep=keep,
        backend=backend,
    )
    out.write(f"replaying {ref} with seed {seed}\n")
    out.flush()
    run = run_pytest(settings, sel, stream_output=True)
    base = case_ref(fix_id, scen, variant)
    result = next((r for r in run.results if r.ref == base), None)
    if result is None:
        raise ConfigError(
            f"no scenario {base} ran; 'harness list --fix {fix_id}' shows what exists"
        )
    if result.error and "does not exist in this scenario" in result.error:
        raise ConfigError(f"{ref}: {result.error}")
    cases = [c for c in result.cases if case_id is None or c.case_id == case_id]
    out.write(
        f"\n{base}: {result.outcome} ({len(result.cases)} cases, {result.duration_s:.2f} s)\n"
    )
    if result.error:
        out.write(f"  harness error: {result.error}\n")
    for c in cases:
        out.write(f"  {c.case_id}: {c.verdict.validity}: {c.verdict.summary}\n")
        if c.verdict.evidence:
            out.write(f"    evidence: {json.dumps(c.verdict.evidence, default=str)[:2000]}\n")
        if c.history is not None:
            print_history(c.history, out)
    if keep:
        out.write(
            "--keep: the servers were left up with the data the case left behind; the "
            "'kept servers' lines above say how to connect and how to stop them "
            "(harness doctor --stop-kept)\n"
        )
    now_case = cases[0] if case_id is not None and cases else None
    now = _validity(result, now_case)
    if recorded is None:
        out.write(f"no recorded verdict to compare with; this run: {now}\n")
        return EXIT_REPRODUCED
    then = _validity(recorded.result, recorded.case)
    if now == then:
        out.write(f"REPRODUCED: {now}, as recorded in {recorded.source}\n")
        return EXIT_REPRODUCED
    out.write(f"NOT REPRODUCED: recorded {then} in {recorded.source}, this run {now}\n")
    return EXIT_DIFFERENT
