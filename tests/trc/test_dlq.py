"""The DLQ directory: enqueue per variant, attempt counting by rename, set-aside and eviction."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from reference_impl.trc import FIXED, PREFIX, SEED, Dlq, DlqError, variant
from reference_impl.trc.envelope import decode
from reference_impl.trc.errors import UnknownVariant
from scenarios.trc.batches import make_batch


def test_every_variant_enqueues_one_whole_file(dlq_dir: Path, variant) -> None:
    batch = make_batch(random.Random(1), "acme")
    path = Dlq(dlq_dir, variant).enqueue(batch)
    assert path == dlq_dir / f"{batch.batch_id}.json"
    assert decode(str(path), path.read_bytes()) == batch
    assert sorted(p.name for p in dlq_dir.iterdir()) == [path.name]  # no temp file left


def test_fixed_enqueue_of_a_batch_already_there_keeps_one_file_and_its_count(
    dlq_dir: Path,
) -> None:
    dlq = Dlq(dlq_dir, FIXED)
    batch = make_batch(random.Random(1), "acme")
    dlq.enqueue(batch)
    counted = dlq.count_attempt(dlq.pending()[0])
    assert counted is not None
    assert dlq.enqueue(batch) == counted.path
    assert [(e.stem, e.attempts) for e in dlq.pending()] == [(batch.batch_id, 1)]


@pytest.mark.parametrize("v", [PREFIX, SEED])
def test_pre_fix_enqueue_of_a_batch_already_there_writes_a_second_copy(dlq_dir: Path, v) -> None:
    dlq = Dlq(dlq_dir, v)
    batch = make_batch(random.Random(1), "acme")
    dlq.enqueue(batch)
    dlq.count_attempt(dlq.pending()[0])
    dlq.enqueue(batch)
    assert sorted(e.attempts for e in dlq.pending()) == [0, 1]


def test_counting_an_attempt_renames_and_a_stale_claim_loses(dlq_dir: Path) -> None:
    dlq = Dlq(dlq_dir, FIXED)
    dlq.enqueue(make_batch(random.Random(1), "acme"))
    entry = dlq.pending()[0]
    first = dlq.count_attempt(entry)
    assert first is not None and first.attempts == 1 and first.path.name.endswith(".a1.json")
    assert dlq.count_attempt(entry) is None  # a second replayer with the old listing
    assert [e.attempts for e in dlq.pending()] == [1]


def test_pending_lists_our_names_and_foreign_json_but_not_temp_or_hidden_files(
    dlq_dir: Path,
) -> None:
    (dlq_dir / ".x.tmp").write_bytes(b"half")
    (dlq_dir / "notes.txt").write_text("operator notes")
    (dlq_dir / "other.json").write_text("{}")
    (dlq_dir / "b.a3.json").write_text("{}")
    (dlq_dir / "sub.json").mkdir()
    got = [(e.stem, e.attempts) for e in Dlq(dlq_dir, FIXED).pending()]
    assert got == [("b", 3), ("other", 0)]


def test_set_aside_and_evict_move_files_out_of_the_queue(dlq_dir: Path) -> None:
    dlq = Dlq(dlq_dir, FIXED)
    (dlq_dir / "a.json").write_text("x")
    (dlq_dir / "b.a5.json").write_text("y")
    torn, spent = dlq.pending()
    assert dlq.set_aside(torn) == dlq_dir / "set-aside" / "a.json"
    assert dlq.evict(spent) == dlq_dir / "evicted" / "b.a5.json"
    assert dlq.pending() == []
    assert dlq.evict(spent) is None  # already gone: not an error


def test_sweep_temp_removes_leftovers_of_enqueues_that_never_returned(dlq_dir: Path) -> None:
    (dlq_dir / ".a.tmp").write_bytes(b"half a batch")
    (dlq_dir / "b.json").write_text("{}")
    assert [p.name for p in Dlq(dlq_dir, FIXED).sweep_temp()] == [".a.tmp"]
    assert [p.name for p in dlq_dir.iterdir()] == ["b.json"]


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "5"])
def test_max_retries_must_be_a_positive_integer(dlq_dir: Path, bad: object) -> None:
    with pytest.raises(DlqError, match="max_retries must be an integer >= 1"):
        Dlq(dlq_dir, FIXED, bad)  # type: ignore[arg-type]


def test_a_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DlqError, match="does not exist or is not a directory"):
        Dlq(tmp_path / "nope", FIXED)


def test_variants_by_name() -> None:
    assert variant("seed") is SEED
    with pytest.raises(UnknownVariant, match="known: prefix, seed, fixed"):
        variant("fixd")


def test_variant_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from reference_impl.trc import from_env

    monkeypatch.setenv("TRC_VARIANT", "prefix")
    assert from_env() is PREFIX
    monkeypatch.delenv("TRC_VARIANT")
    assert from_env() is FIXED
