"""TRC-2: the DLQ enqueue is durable (temp file, fsync, rename, fsync the directory);
replay sets a torn file aside without spending a retry slot; eviction after
DLQ_MAX_RETRIES real attempts.

Invariant: after a power loss at any point (un-fsynced data lost or torn,
un-synced names undone, under the ``weakest`` and ``ext4-ordered`` models of
``harness.disk``), every enqueue that returned is recoverable, no torn file costs a
retry slot, nothing is replayed twice into the database, and the attempts a
replayer made are not forgotten.
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, AtPoint, Cut, Kill
from harness.disk import explore, record_call
from harness.races import discover_steps, enumerate_schedules, explore_schedules
from harness.scenario import scenario
from reference_impl.trc import Dlq, replay, write_batch
from reference_impl.trc.envelope import encode
from reference_impl.trc.errors import DlqError
from scenarios.trc import child_ops, invariants, power, trcdb
from scenarios.trc.batches import dlq_file, foreign_row_batch, make_batch
from scenarios.trc.checks import at  # (importing it registers the trc.* checkers)
from scenarios.trc.world import World, dlq_state

FIX = "TRC-2"
VARIANTS = ("prefix", "seed", "fixed")
MODELS = ("weakest", "ext4-ordered")
#: the retry limit these scenarios configure; checks are written against it
MAX_RETRIES = 3
#: how long one power-loss recording may take before it is a hang (``record_call`` SIGKILLs
#: it and raises "did not finish within 20 s"): each records a fresh Python process under
#: strace doing a few small enqueues or replay passes, 0.6-1.1 s measured at load average 3
#: on the 2-core machine; 20 s leaves room for a machine many times as loaded, and a hang
#: (an enqueue's write loop that never advances) ends as an error long before a mutation
#: run's own per-test limit (60 s), which would count it as a timeout, not a catch.
RECORDING_LIMIT_S = 20.0


def _fresh_root(world: World, name: str) -> Path:
    root = world.root / name
    (root / "dlq").mkdir(parents=True)
    return root


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dlq_enqueue_power_loss(ctx, trc_world) -> None:
    """Power lost at every point of two DLQ enqueues, then the DLQ replayed into PostgreSQL:
    every enqueue that returned is stored, no torn file costs a slot, one copy of each row."""
    world = trc_world(ctx, batches=2)
    root = _fresh_root(world, "enqueue")
    rec = record_call(
        functools.partial(power.enqueue_batches, str(root / "dlq"), ctx.variant, world.batches),
        root,
        timeout_s=RECORDING_LIMIT_S,
    )

    def recover(path: Path) -> dict[str, Any]:
        # The machine comes back: the replayer runs over what the disk kept.
        world.conn.execute("DELETE FROM logs; DELETE FROM spans; DELETE FROM traces")
        # with the smallest DLQ_MAX_RETRIES a replayer accepts (1, the setting's boundary):
        # one pass must store every batch in its one attempt
        dlq = Dlq(path / "dlq", world.variant, 1)
        # the replayer meets the temp files of enqueues that never returned (as it would one
        # still writing), then the operator sweeps them
        report = replay(world.conn, dlq)
        dlq.sweep_temp()
        return {
            "zero_retries_refused": _refuses_zero_retries(path / "dlq", world),
            "temp_left": sorted(p.name for p in (path / "dlq").glob(".*.tmp")),
            "db": trcdb.snapshot(world.conn),
            "report": {
                "stored": report.stored,
                "failed": report.failed,
                "set_aside": report.set_aside,
            },
            "left": power.listing(path / "dlq", world.batches),
        }

    result = explore(
        rec.trace,
        recover=recover,
        checks=[Check("trc.enqueues_recovered")],
        facts={"batches": [b.to_dict() for b in world.batches]},
        models=MODELS,
        seed=ctx.seed,
        ctx=ctx,
    )
    ctx.explored(
        recording_s=round(rec.duration_s, 3), trace_ops=len(rec.trace.ops), summary=result.summary()
    )


def _refuses_zero_retries(directory: Path, world: World) -> bool:
    """Whether a DLQ set to 0 retries is refused (a clear error), as bad input must be: a
    replayer allowed no attempt would evict every batch the enqueues kept unstored."""
    try:
        Dlq(directory, world.variant, 0)
    except DlqError:
        return True
    return False


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dlq_replay_power_loss(ctx, trc_world) -> None:
    """Power lost at every point of DLQ_MAX_RETRIES failing replay passes over a DLQ holding one
    batch and one torn file: the batch is never lost, its attempts are never forgotten and it
    is evicted only after DLQ_MAX_RETRIES real attempts; the torn file spends no slot."""
    world = trc_world(ctx, batches=1)
    root = _fresh_root(world, "replay")
    batch = world.batches[0]
    # the torn file sorts after the batch: a pass that gives up at the failed write never meets it
    torn = replace(make_batch(ctx.rng, "acme"), batch_id="ffffffff-ffff-4fff-8fff-ffffffffffff")
    (root / "dlq" / f"{batch.batch_id}.json").write_bytes(encode(batch))
    data = encode(torn)
    (root / "dlq" / f"{torn.batch_id}.json").write_bytes(data[: len(data) // 2])
    world.conn.execute("ALTER TABLE spans RENAME TO spans_away")  # every write fails, for real
    passes = MAX_RETRIES
    try:
        rec = record_call(
            functools.partial(
                power.replay_passes, world.dsn, str(root / "dlq"), ctx.variant, MAX_RETRIES, passes
            ),
            root,
            timeout_s=RECORDING_LIMIT_S,
        )
    finally:
        world.conn.execute("ALTER TABLE spans_away RENAME TO spans")

    def recover(path: Path) -> list[dict[str, Any]]:
        return power.listing(path / "dlq", [batch])

    result = explore(
        rec.trace,
        recover=recover,
        checks=[Check("trc.replay_attempts_durable")],
        facts={"batch": batch.batch_id, "torn": torn.batch_id, "max_retries": MAX_RETRIES},
        models=MODELS,
        seed=ctx.seed,
        ctx=ctx,
    )
    ctx.explored(
        recording_s=round(rec.duration_s, 3),
        trace_ops=len(rec.trace.ops),
        summary=result.summary(),
        dlq_after_run=dlq_state(root / "dlq"),
    )


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dlq_replay_commit_power_loss(ctx, trc_world) -> None:
    """Power lost at every point of a replay pass that stores its batch (COMMIT, then the
    file's removal), then the replayer run again over what the disk kept, against the
    database as the COMMIT left it: the batch is stored once, never twice."""
    world = trc_world(ctx, batches=1)
    root = _fresh_root(world, "commit")
    batch = world.batches[0]
    (root / "dlq" / f"{batch.batch_id}.json").write_bytes(encode(batch))
    rec = record_call(
        functools.partial(
            power.replay_passes, world.dsn, str(root / "dlq"), ctx.variant, MAX_RETRIES, 1
        ),
        root,
        timeout_s=RECORDING_LIMIT_S,
    )
    scratch = world.root / "scratch"

    def replay_after(committed: bool, files: dict[str, bytes]) -> dict[str, Any]:
        # The database is another machine: it kept the COMMIT if it happened. Then the
        # replayer runs over the files the power cut left.
        world.conn.execute("DELETE FROM logs; DELETE FROM spans; DELETE FROM traces")
        if committed:
            write_batch(world.conn, batch, world.variant)
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        for name, data in files.items():
            (scratch / name).write_bytes(data)
        replay(world.conn, Dlq(scratch, world.variant, MAX_RETRIES))
        return trcdb.tables(world.conn)

    def recover(path: Path) -> dict[str, Any]:
        # The rows after the replayer ran again over what the disk kept, for each way the
        # cut pass's COMMIT may have gone: the check takes the ones the cut's point allows.
        files = power.files_of(path / "dlq")
        after = {out: replay_after(c, files) for c, out in invariants.COMMIT_OUTCOMES.items()}
        return after | {"left": sorted(files)}

    try:
        result = explore(
            rec.trace,
            recover=recover,
            checks=[Check("trc.replayed_once_after_commit")],
            facts={"batches": [batch.to_dict()], **power.commit_points(rec.trace)},
            models=("weakest",),
            seed=ctx.seed,
            ctx=ctx,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ctx.explored(
        recording_s=round(rec.duration_s, 3),
        trace_ops=len(rec.trace.ops),
        summary=result.summary(),
    )


#: a replay pass must settle every kind of file: checked after each kill and after recovery
REPLAY_CHECKS = [
    *at(AFTER_FAULT, "trc.replay_settled", "trc.acked_batch_kept", "trc.one_copy"),
    *at(AFTER_RECOVERY, "trc.replay_settled", "trc.every_batch_stored", "trc.one_copy"),
]


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dlq_replay_killed_at_every_step(ctx, trc_world) -> None:
    """The replayer SIGKILLed at every step of one pass over a DLQ holding two batches in the
    documented file format, one file of each unreadable kind (empty, torn, foreign JSON, a
    batch that fails validation, our envelope without its checksum), an enqueue's temp file
    and one file that already used its DLQ_MAX_RETRIES attempts (left by a replayer that
    died before evicting it); then replayed to the end. No unreadable file spends a slot,
    the exhausted one is evicted without a further attempt, each batch is stored once, and
    a pass the kill spared reports each file as it went."""
    _replay_at_every_step(ctx, trc_world, lambda world: [Kill()])


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dlq_replay_link_cut_at_every_step(ctx, trc_world, pg_link) -> None:
    """The same pass with the replayer's database link cut at every step: the pass stops at
    the failed write (one attempt spent, on the batch it was writing; docs/trc.md: a database
    that is down must not spend every file's attempts in one pass), no unreadable file spends
    a slot, and the replay after recovery stores every batch once."""
    _replay_at_every_step(ctx, trc_world, lambda world: [Cut(pg_link)])


#: how long the replayer's session waits for a lock before its statement fails: a setting of
#: its connection (as a deployment gives it), far below the op's time limit
LOCK_TIMEOUT = "100ms"


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dlq_replay_writes_refused(ctx, trc_world) -> None:
    """The same pass against a database that is up but refuses every write: another session
    (a maintenance job) holds the spans table locked from the pass's first file on, and the
    replayer's session gives up on a lock after 100 ms. The pass stops at the first refused
    write (one attempt spent: a database failing every write must not spend every file's
    attempts in one pass, docs/trc.md), no unreadable file spends a slot; once the lock is
    gone, the replay stores every batch once."""

    def lock_spans(world: World) -> list[Any]:
        lock = _TableLock(world.dsn, "spans")
        return [AtPoint("spans_locked", lock.take, undo=lock.release)]

    def op(world: World) -> Any:
        dsn = make_conninfo(world.dsn, options=f"-c lock_timeout={LOCK_TIMEOUT}")
        return functools.partial(
            child_ops.replay_pass, dsn, str(world.dlq_dir), world.variant.name, world.max_retries
        )

    # the lock is taken before the pass meets its first file, and held until the pass ends
    _replay_at_every_step(
        ctx, trc_world, lock_spans, points=["trc.replay.file"], baseline=False, op=op
    )


class _TableLock:
    """A session holding ``table`` locked (ACCESS EXCLUSIVE, as VACUUM FULL or an ALTER
    TABLE does) in an open transaction, until ``release``."""

    def __init__(self, dsn: str, table: str) -> None:
        self.dsn, self.table = dsn, table
        self.conn: psycopg.Connection | None = None

    def take(self) -> None:
        self.conn = psycopg.connect(self.dsn, connect_timeout=3)  # a transaction, left open
        self.conn.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


def _replay_at_every_step(
    ctx, trc_world, faults: Callable[[World], list[Any]], *, op: Any = None, **options: Any
) -> None:
    readable = replace(make_batch(ctx.rng, "acme"), batch_id=_ids(2))
    # a second batch after the first: a pass that goes on after an unreachable database
    # spends its attempt too
    later = replace(make_batch(ctx.rng, "acme"), batch_id=_ids(4))
    exhausted = replace(make_batch(ctx.rng, "acme"), batch_id=_ids(1))
    torn = dlq_file(make_batch(ctx.rng, "acme"))
    # our envelope, whole JSON, with its batch but no checksum: nothing vouches for the batch
    unsummed = json.loads(dlq_file(make_batch(ctx.rng, "acme")))
    del unsummed["sha256"]
    files = {
        # unreadable files sort first, so that a pass that stops at one misses the rest
        "00-empty.json": b"",
        "01-foreign.json": b"[]\n",
        "02-invalid.json": dlq_file(foreign_row_batch(ctx.rng, "acme", "umbra")),
        "03-torn.json": torn[: len(torn) // 2],
        "04-unsummed.json": json.dumps(unsummed).encode() + b"\n",
        # an enqueue still writing its temp file: not a DLQ file, the replayer passes it by
        f".{_ids(3)}.tmp": torn[: len(torn) // 3],
        f"{exhausted.batch_id}.a{MAX_RETRIES}.json": dlq_file(exhausted),
        f"{readable.batch_id}.json": dlq_file(readable),
        f"{later.batch_id}.json": dlq_file(later),
    }
    unreadable = {"00-empty.json": "empty", "01-foreign.json": "foreign"}
    unreadable |= {"02-invalid.json": "invalid", "03-torn.json": "torn", "04-unsummed.json": "torn"}
    world = trc_world(ctx, batches=0, dead_lettered=(), max_retries=MAX_RETRIES, dlq_files=files)
    expect = {
        "unreadable": unreadable,
        "exhausted": {f"{exhausted.batch_id}.a{MAX_RETRIES}.json": exhausted.to_dict()},
        "readable": [readable.to_dict(), later.to_dict()],
        "max_retries": MAX_RETRIES,
    }

    def reset() -> dict[str, Any]:
        world.reset()
        return {"batches": [readable.to_dict(), later.to_dict()], "dlq": expect}

    ops = world.replay_op if op is None else (lambda link: op(world))
    world.explore(ctx, ops, faults(world), REPLAY_CHECKS, reset=reset, **options)


#: the step boundaries of two instances replaying at once: after the start-up sweep listed the
#: temp files, before the first file is read, after it was read (before the rename that claims
#: it), after the claim (a point's later passes, ``trc.replay.file#2``..., do not stop a step)
RACE_POINTS = ["trc.dlq.sweep.listed", "trc.replay.file", "trc.replay.read", "trc.replay.counted"]
RACE_CHECKS = [
    *at("final", "trc.replayers_claimed_once", "trc.one_copy", "trc.every_batch_stored"),
    *at("final", "trc.dlq_drained"),
]


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_two_replayers_at_once(ctx, trc_world) -> None:
    """Two instances start at once on one DLQ holding two batches and the temp file of an
    enqueue that never returned: each sweeps the temp files, then makes one replay pass;
    every interleaving of their steps with at most one preemption. Nothing is replayed twice
    into the database (one copy of each row), of two passes that listed one file only one
    claims it, every batch is stored and nothing is left; each pass returns, accounting for
    every file it listed."""
    batches = [replace(make_batch(ctx.rng, "acme"), batch_id=_ids(n)) for n in (1, 2)]
    temp = {f".{_ids(3)}.tmp": dlq_file(make_batch(ctx.rng, "acme"))[:40]}
    world = trc_world(ctx, batches=0, dead_lettered=batches, dlq_files=temp)
    op = functools.partial(
        child_ops.start_and_replay,
        world.dsn,
        str(world.dlq_dir),
        world.variant.name,
        world.max_retries,
    )
    # The two instances are one program on one DLQ: a schedule and its mirror (the names
    # swapped) are the same execution, and no check tells the instances apart. So the steps
    # are counted on one instance and, of each mirror pair, the schedule where replay_a moves
    # first is run. One preemption reaches every way the second instance can come between
    # the first one's steps: after its sweep listed the temp file, after it listed the
    # files, after it read one, after it claimed one.
    one = discover_steps({"replay": op}, setup=world.reset, points=RACE_POINTS)
    steps = {"replay_a": one["replay"], "replay_b": one["replay"]}
    explore_schedules(
        {"replay_a": op, "replay_b": op},
        checks=RACE_CHECKS,
        snapshot=world.state,
        setup=world.reset,
        schedules=[
            s for s in enumerate_schedules(steps, max_preemptions=1) if s.steps[0] == "replay_a"
        ],
        points=RACE_POINTS,
        ctx=ctx,
    )


def _ids(n: int) -> str:
    """A batch id that sorts after the unreadable files' names, the nth in name order."""
    return f"{n}0000000-0000-4000-8000-00000000000{n}"
