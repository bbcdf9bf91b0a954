from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.disk import Recording, record_call
from tests.disk import writers


def record_writer(tmp: Path, writer: Callable[..., None], recorder: str | None = None) -> Recording:
    root = tmp / "root"
    (root / "q").mkdir(parents=True)
    return record_call(functools.partial(writer, str(root)), root, recorder=recorder)


@pytest.fixture(scope="module", params=[None, "ptrace"], ids=["preferred", "ptrace"])
def recorded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Recording]:
    """Each calibration writer recorded once per module, by the preferred recorder (strace
    here) and by the pip-only ``ptrace`` recorder: the calibration must hold for both."""
    out = {}
    for name in ("no_fsync", "fsync_file_only", "safe"):
        tmp = tmp_path_factory.mktemp(name)
        out[name] = record_writer(tmp, getattr(writers, name), recorder=request.param)
        assert request.param is None or out[name].recorder == request.param
    return out
