"""Time to render a report folder from a results.json (the bar: under 2 s).

Usage: python bench/bench_report.py [RESULTS_JSON]

Without an argument it renders the committed example (reports/latest/results.json)
and a synthetic run ten times its size; each is loaded, analysed and rendered
to all four formats in memory (the folder write is a rename, not timed here).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from harness.audit.model import Run
from harness.catalog import Catalog, Fix, System
from harness.history import History
from harness.report.folder import render_all
from harness.scenario import Case, ScenarioResult
from harness.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 3


def synthetic(fixes: int = 27, scenarios: int = 2, cases: int = 8, ops: int = 40) -> Run:
    """A run shaped like a real one, bigger: races and crashes with histories on every case."""
    rng = random.Random(0)
    results = []
    for f in range(1, fixes + 1):
        for s in range(scenarios):
            for variant in ("prefix", "seed", "fixed"):
                r = ScenarioResult(
                    f"SYN-{f}",
                    f"scenario_{s}",
                    variant,
                    rng.randrange(2**32),
                    expects_pass={"fixed": True, "seed": None}.get(variant, False),
                    explored={"crash_points": cases, "processes": 4},
                )
                for c in range(cases):
                    h = History()
                    for i in range(ops // 2):
                        op = h.invoke(f"p{i % 4}", "poll", {"i": i})
                        if i == ops // 4:
                            h.fault("kill", {"at": f"syn.step{c}"})
                        h.ok(op, [i])
                    bad = variant != "fixed" and c % 7 == 0
                    v = (
                        Verdict.violated("check", "duplicate", ids=[c])
                        if bad
                        else Verdict.ok("check", "fine")
                    )
                    r.cases.append(Case(f"crash@syn.step{c}", v, {"crash_point": c}, h))
                results.append(r)
    catalog = Catalog(
        (System("SYN", "synthetic", "seed.txt"),),
        tuple(Fix(f"SYN-{f}", "SYN", "t", "i", "seed.txt") for f in range(1, fixes + 1)),
    )
    meta = {
        "date": "2026-01-01T00:00:00Z",
        "commit": "x",
        "machine": "m",
        "versions": {},
        "packages": {},
        "command": "bench",
        "seed": 0,
        "backend": "local",
        "workers": 0,
        "wall_s": 0,
    }
    return Run(meta, results, catalog, [])


def measure(label: str, make_text: str | None, run: Run | None = None) -> None:
    best = float("inf")
    size = 0
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        loaded = Run.from_json(__import__("json").loads(make_text)) if make_text else run
        assert loaded is not None
        files = render_all(loaded)
        best = min(best, time.perf_counter() - t0)
        size = sum(len(v) for v in files.values())
    cases = sum(len(r.cases) for r in loaded.results)
    print(
        f"{label}: {len(loaded.results)} scenario runs, {cases} cases -> "
        f"{size / 1e6:.1f} MB of reports in {best:.3f} s (best of {REPEAT})"
    )


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "reports" / "latest" / "results.json"
    if path.exists():
        measure(
            f"render {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
            path.read_text(),
        )
    else:
        print(f"{path} not found: skipping the real report")
    big = synthetic()
    measure("render synthetic (load+analyse+render)", big.dumps())


if __name__ == "__main__":
    main()
