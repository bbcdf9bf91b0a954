"""The audit's steps, joined: inputs (catalog, claims) + a pytest run -> one ``Run``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from harness.audit import meta
from harness.audit.analysis import gate_problems
from harness.audit.model import Run
from harness.audit.progress import Display
from harness.audit.runner import Selection, run_pytest
from harness.audit.settings import Settings
from harness.catalog import Catalog, load_catalog
from harness.errors import ConfigError
from harness.ledger.claims import Claim, load_claims

# Jepsen's convention for the gate: valid, invalid, unknown.
EXIT_OK, EXIT_REGRESSED, EXIT_UNDECIDED = 0, 1, 2
NO_TESTS_COLLECTED = 5  # pytest's exit code


def load_inputs(settings: Settings) -> tuple[Catalog, list[Claim]]:
    catalog = load_catalog(settings.catalog)
    claims = load_claims(settings.claims, {f.id for f in catalog.fixes})
    return catalog, claims


def run_scenarios(settings: Settings, sel: Selection, command: str, display: Display) -> Run:
    """Validate the selection, run it, and return the run document (nothing is written)."""
    catalog, claims = load_inputs(settings)
    sel.fixes = catalog.check_fix_ids(sel.fixes)
    with display:
        out = run_pytest(settings, sel, on_event=display.on_event)
    if not out.results and (out.exit_code == NO_TESTS_COLLECTED or sel.fixes or sel.variants):
        wanted = ", ".join(
            f"{k} {v}" for k, v in (("fixes", sel.fixes), ("variants", sel.variants)) if v
        )
        raise ConfigError(
            f"no scenario matched the selection ({wanted or 'everything'}); "
            "'harness list' shows the fixes, scenarios and variants that exist"
        )
    header = meta.collect(
        settings.root,
        command,
        seed=sel.seed if sel.seed is not None else 0,
        backend=sel.backend or meta.default_backend(),
        workers=sel.workers,
        wall_s=round(out.wall_s, 2),
        selection={"fixes": sel.fixes, "variants": sel.variants},
        pytest_exit=out.exit_code,
        pytest_summary=out.summary,
    )
    return Run(meta=header, results=out.results, catalog=catalog, claims=claims, tests=out.tests)


def gate_verdict(run: Run) -> tuple[int, list[str]]:
    """The gate's exit code and the lines that explain it."""
    results = run.results
    if not results:
        return EXIT_UNDECIDED, ["no scenario ran: nothing to gate on"]
    regressions, undecided = gate_problems(results, run.tests)
    if regressions:
        return EXIT_REGRESSED, ["REGRESSED: " + line for line in regressions] + [
            "UNDECIDED: " + line for line in undecided
        ]
    if undecided:
        return EXIT_UNDECIDED, ["UNDECIDED: " + line for line in undecided]
    fixed = sum(1 for r in results if r.expects_pass is True)
    caught = sum(1 for r in results if r.expects_pass is False)
    return EXIT_OK, [
        f"OK: {fixed} fixed variant(s) pass, {caught} pre-fix variant(s) caught "
        f"({len(results)} scenario runs)"
    ]


def default_folder(settings: Settings, run: Run) -> Path:
    """reports/<UTC date-time of the run>/: sortable, one per run."""
    try:
        when = dt.datetime.fromisoformat(str(run.meta["date"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        when = dt.datetime.now(dt.UTC)
    return settings.reports / when.strftime("%Y-%m-%dT%H%M%SZ")
