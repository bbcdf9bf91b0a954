"""Compare two audit runs (results.json) of the same --seed: the state-change table must not move.

    python bench/compare_runs.py BEFORE/results.json AFTER/results.json

Per scenario x variant: the verdict (PASS/FAIL/UNKNOWN) must be the same, and a pre-fix
variant must not have fewer failing cases. Prints every row that differs and the audit
time ratio (after / before, from each run's recorded duration); exits 1 on a regression.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _rows(path: Path) -> tuple[dict[tuple[str, str, str], dict], float]:
    data = json.loads(path.read_text())
    rows = {}
    for r in data["results"]:
        failing = [c for c in r["cases"] if c["verdict"]["validity"] != "valid"]
        rows[(r["fix_id"], r["scenario"], r["variant"])] = {
            "seconds": float(r.get("duration_s") or 0.0),
            "outcome": r["outcome"],
            "failing": len(failing),
            "cases": len(r["cases"]),
        }
    meta = data.get("meta", {})
    seconds = float(meta.get("wall_s") or sum(r["duration_s"] for r in data["results"]))
    return rows, seconds


def main(before_path: str, after_path: str) -> int:
    before, t_before = _rows(Path(before_path))
    after, t_after = _rows(Path(after_path))
    bad = 0
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        ref = "/".join(key)
        if b is None or a is None:
            print(f"{ref}: {'new' if b is None else 'gone'} ({a or b})")
            bad += b is not None
            continue
        prefix = key[2] != "fixed"
        regressed = b["outcome"] != a["outcome"] or (prefix and a["failing"] < b["failing"])
        if regressed or a["cases"] != b["cases"] or a["failing"] != b["failing"]:
            tag = "REGRESSED" if regressed else "changed"
            print(
                f"{tag} {ref}: {b['outcome']} -> {a['outcome']}, failing {b['failing']} -> "
                f"{a['failing']} of {b['cases']} -> {a['cases']} cases"
            )
        bad += regressed
    same = sum(1 for k in before if k in after and before[k]["outcome"] == after[k]["outcome"])
    print(f"{same}/{len(before)} scenario x variant verdicts unchanged; {bad} regression(s)")
    print(
        f"audit time: before {t_before:.1f} s, after {t_after:.1f} s, ratio {t_after / t_before:.2f}"
    )
    # New scenarios (issue 13's oracles) add time of their own: the engine's cost is the
    # time of the scenario x variant runs both trees have.
    common = [k for k in before if k in after]
    s_before = sum(before[k]["seconds"] for k in common)
    s_after = sum(after[k]["seconds"] for k in common)
    if s_before > 0:
        print(
            f"scenario time over the {len(common)} runs both have: before {s_before:.1f} s, "
            f"after {s_after:.1f} s, ratio {s_after / s_before:.2f}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: compare_runs.py BEFORE/results.json AFTER/results.json", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
