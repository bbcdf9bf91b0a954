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


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recording]:
    """Each calibration writer recorded once (by the preferred recorder) for the module."""
    out = {}
    for name in ("no_fsync", "fsync_file_only", "safe"):
        out[name] = record_writer(tmp_path_factory.mktemp(name), getattr(writers, name))
    return out
