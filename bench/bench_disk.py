"""Power-loss crash states built and checked per second, and the recording's overhead.

    .venv/bin/python bench/bench_disk.py [--entries 8] [--rounds 3]

The workload is a small file queue (tests/disk/writers.py): ``--entries`` entries written
without fsync (every op stays pending: the most states per op) and with the safe
protocol (temp file, fsync, rename, directory fsync). For each: the recording time under
each recorder that can run here, as a ratio to the same process run unrecorded (both
fresh interpreters running the same pickled callable), then crash states built,
materialized, recovered and checked per second under both models. The bar (issue 10):
at least 200 states/s on this machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cloudpickle

from harness.disk import acked_recovered, explore, record_call
from harness.disk.child import ENV_ACK_FD
from harness.disk.recorders import get_recorder, recorder_names
from tests.disk import writers

BAR = 200.0
MODELS = ("weakest", "ext4-ordered")


def fresh_root(base: Path, name: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=name, dir=base))
    (root / "q").mkdir()
    return root


def unrecorded(fn, root: Path) -> float:
    """The same child ``record_call`` runs, without a tracer."""
    pickled = root.parent / f"{root.name}.pickle"
    pickled.write_bytes(cloudpickle.dumps(fn))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    with open(os.devnull, "wb") as null:
        env[ENV_ACK_FD] = str(null.fileno())
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "harness.disk.run_child", str(pickled)],
            cwd=root,
            env=env,
            check=True,
            pass_fds=(null.fileno(),),
        )
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    check = acked_recovered(writers.ok_entries)
    with tempfile.TemporaryDirectory(prefix="bench-disk-") as tmp:
        base = Path(tmp)
        for writer in (writers.no_fsync, writers.safe):
            print(f"{writer.__name__} ({args.entries} entries):")
            fn_of = lambda root, w=writer: functools.partial(w, str(root), args.entries)  # noqa: E731
            plain = min(
                unrecorded(fn_of(r), r)
                for r in [fresh_root(base, "plain") for _ in range(args.rounds)]
            )
            print(f"  unrecorded run: {plain * 1000:.0f} ms (best of {args.rounds})")
            trace = None
            for name in recorder_names():
                if get_recorder(name).problem() is not None:
                    print(f"  {name:<7}: cannot run here")
                    continue
                times = []
                for _ in range(args.rounds):
                    root = fresh_root(base, name)
                    rec = record_call(fn_of(root), root, recorder=name)
                    times.append(rec.duration_s)
                    trace = trace or rec.trace
                best = min(times)
                print(
                    f"  {name:<7}: recorded in {best * 1000:.0f} ms, overhead x{best / plain:.2f}"
                    f" ({len(rec.trace.ops)} ops)"
                )
            assert trace is not None
            t0 = time.perf_counter()
            result = explore(trace, recover=writers.read_queue, check=check, models=MODELS)
            elapsed = time.perf_counter() - t0
            rate = result.built() / elapsed
            verdict = "ok" if rate >= BAR else f"BELOW the bar of {BAR:.0f}/s"
            print(f"  explore: {result.summary()}")
            print(
                f"  {rate:,.0f} crash states built and checked per second ({verdict}); "
                f"{result.images / elapsed:,.0f} disk images materialized and recovered per second"
            )
            nodedupe = explore(
                trace, recover=writers.read_queue, check=check, models=MODELS, dedupe=False
            )
            print(
                f"  without dedupe (recovery on every state): "
                f"{nodedupe.built() / nodedupe.duration_s:,.0f} states/s"
            )


if __name__ == "__main__":
    main()
