"""``python -m harness.disk.run_child FILE``: the recorded child of ``record_call``.

Kept apart from ``harness.disk.child`` (which the package imports) so that running it
with ``-m`` does not import it twice.
"""

from __future__ import annotations

import os
import sys

import cloudpickle

from harness import crashpoints
from harness.disk.child import ENV_KILL_AT, Marker
from harness.procs.parentdeath import die_with_parent_now


def main(argv: list[str]) -> int:
    # The tracer (strace) detaches its tracees when it dies; this child must not outlive it.
    die_with_parent_now()
    with open(argv[0], "rb") as f:
        fn = cloudpickle.load(f)
    crashpoints.arm(Marker(os.environ.get(ENV_KILL_AT) or None))
    fn()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
