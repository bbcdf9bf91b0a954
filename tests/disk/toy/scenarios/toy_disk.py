"""A power-loss scenario: the writer runs under a recorder, every crash state is checked."""

import functools
import os
from pathlib import Path

from harness.checkers import Check
from harness.disk import ack, explore, record_call
from harness.scenario import ScenarioContext, scenario


def write_queue(root: str, safe: bool) -> None:
    qdir = os.path.join(root, "q")
    for i in range(2):
        name = os.path.join(qdir, f".tmp-{i}" if safe else f"entry-{i}")
        with open(name, "wb") as f:
            f.write(f"entry {i}\n".encode())
            f.flush()
            os.fsync(f.fileno())
        if safe:
            os.rename(name, os.path.join(qdir, f"entry-{i}"))
            fd = os.open(qdir, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        ack(str(i))


def read_queue(path: Path) -> list[str]:
    qdir = path / "q"
    return [
        p.name.removeprefix("entry-")
        for p in qdir.iterdir()
        if p.name.startswith("entry-") and p.read_bytes() == f"entry {p.name[6:]}\n".encode()
    ]


@scenario("DSK-1", variants=("prefix", "fixed"))
def test_queue_power_loss(ctx: ScenarioContext, tmp_path: Path) -> None:
    """Acknowledged entries survive every crash state under the weakest model."""
    root = tmp_path / "root"
    (root / "q").mkdir(parents=True)
    rec = record_call(functools.partial(write_queue, str(root), ctx.variant == "fixed"), root)
    explore(
        rec.trace,
        recover=read_queue,
        checks=[Check("acked_recovered")],
        models=("weakest",),
        ctx=ctx,
    )
