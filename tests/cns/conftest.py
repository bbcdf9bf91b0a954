"""CNS unit tests: real SQLite files in temporary directories (``sqlite_path``), no mocks."""

from __future__ import annotations

import random

import pytest

from reference_impl.cns import AgentOutput, ConsensusRun, StoreConfig, Synthesis


class SleepRecorder:
    """The retry helper's injected sleep: records, never sleeps."""

    def __init__(self) -> None:
        self.slept_s: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept_s.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def config(sleeps: SleepRecorder) -> StoreConfig:
    return StoreConfig(sleep=sleeps, rng=random.Random(7), pool_wait_s=5.0)


@pytest.fixture(params=["prefix", "seed", "fixed"])
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_run(
    n: int,
    *,
    spec: str = "SPEC-1",
    run_id: str | None = "r",
    agents: int = 3,
    synthesis: bool = True,
    created_at: str | None = None,
) -> ConsensusRun:
    return ConsensusRun(
        spec_id=spec,
        stage="plan" if n % 2 else "tasks",
        run_id=None if run_id is None else f"{run_id}{n}",
        created_at=created_at or f"2025-11-13T10:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z",
        outputs=tuple(
            AgentOutput(f"agent{a}", f'{{"n": {n}, "agent": {a}}}', f"response {n}/{a}")
            for a in range(agents)
        ),
        synthesis=Synthesis(f"# run {n}", "ok", degraded=bool(n % 3 == 0)) if synthesis else None,
    )
