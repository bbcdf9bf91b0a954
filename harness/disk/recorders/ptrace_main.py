"""``python -m harness.disk.recorders.ptrace_main RESULT CWD OUT ERR TIMEOUT -- ARGV...``:
the ptrace recorder's tracer process (see ``ptrace.py``); writes (calls, exit code,
timed out) to RESULT as a pickle."""

from __future__ import annotations

import pickle
import sys

from harness.disk.recorders.ptrace import run_tracer


def main(args: list[str]) -> int:
    result, cwd, out, err, timeout_s, sep, *argv = args
    if sep != "--" or not argv:
        print("usage: ptrace_main RESULT CWD OUT ERR TIMEOUT -- ARGV...", file=sys.stderr)
        return 2
    traced = run_tracer(argv, cwd, out, err, float(timeout_s))
    with open(result, "wb") as f:
        pickle.dump(traced, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
