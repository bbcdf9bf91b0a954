"""A harness process SIGKILLed while it records (as a mutation run's timeout kills its
worker) leaves neither the tracer nor the recorded child running.

Found in a mutation run: a mutant made a DLQ enqueue loop forever under strace, the
worker was killed, and strace with its tracee ran on for 18 minutes as orphans.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from harness.disk.recorders import get_recorder, recorder_names
from tests.test_hygiene import wait_until

DRIVER = textwrap.dedent(
    """
    import os, signal, sys
    from harness.disk import record_call

    def hang(marker=sys.argv[2]):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        signal.pause()  # a recorded call that never returns

    record_call(hang, sys.argv[3], recorder=sys.argv[1], timeout_s=600)
    """
)


@pytest.mark.parametrize("recorder", recorder_names())
def test_killed_recording_harness_leaves_nothing(recorder: str, tmp_path: Path) -> None:
    problem = get_recorder(recorder).problem()
    if problem:
        pytest.skip(f"recorder {recorder} is not usable here: {problem}")
    marker, root = tmp_path / "tracee.pid", tmp_path / "root"
    root.mkdir()
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, recorder, str(marker), str(root)],
        start_new_session=True,
    )
    try:
        assert wait_until(lambda: marker.exists() and marker.read_text(), 60), "tracee never ran"
        tracee = psutil.Process(int(marker.read_text()))
        tracer = tracee.parent()
        assert tracer is not None and tracer.pid != driver.pid
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        _gone, alive = psutil.wait_procs([tracer, tracee], timeout=10)
        assert not alive, f"left running after the harness was killed: {alive}"
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
