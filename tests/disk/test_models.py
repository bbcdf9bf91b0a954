"""The persistence models and the crash states built from them, on hand-made traces."""

from __future__ import annotations

import pytest

from harness.disk import Bounds, Trace, enumerate_states, get_model, lookup, model_names
from harness.disk.image import build_image
from harness.disk.ops import Op
from harness.disk.states import parse_state_id, pending_at, state_id
from harness.errors import ConfigError


def _trace(*ops: Op) -> Trace:
    return Trace(ops=list(ops), files={"old": (0, b"o" * 10)})


NEW_FILE = _trace(
    Op("create", name="a", ino=1),  # 0
    Op("write", ino=1, offset=0, data=b"x" * 1000),  # 1: two sectors, an append
    Op("fsync", ino=1),  # 2
    Op("rename", name="a", dst="old", ino=1, replaced=0),  # 3
    Op("mark", label="1", mark_kind="ack"),  # 4
    Op("dirsync", name=""),  # 5
)


@pytest.mark.parametrize("model", model_names())
def test_every_model_keeps_the_contract(model: str) -> None:
    """One Pending per op; durable and pending are disjoint ops already run; deps and
    tears only name pending ops; syncs and marks are never pending."""
    infos = list(get_model(model).at(NEW_FILE))
    assert [i.index for i in infos] == list(range(len(NEW_FILE.ops)))
    for info in infos:
        assert not set(info.durable) & set(info.pending)
        assert all(j <= info.index for j in [*info.durable, *info.pending])
        assert all(NEW_FILE.ops[j].kind not in ("fsync", "dirsync", "mark") for j in info.pending)
        for j, needs in info.deps.items():
            assert j in info.pending and needs <= set(info.pending)
        assert set(info.tears) <= set(info.pending)
    assert infos[-1].pending == []  # after the directory sync everything is durable
    assert get_model(model).summary


def test_weakest_fsync_of_a_new_file_does_not_make_its_name_durable() -> None:
    info = pending_at(NEW_FILE, "weakest", 2)
    assert info.durable == [1] and info.pending == [0]
    info = pending_at(NEW_FILE, "weakest", 3)
    assert info.deps[3] == {0}  # the rename of "a" needs the create of "a"
    assert info.tears[3] == ("half",)


def test_ext4_ordered_fsync_commits_earlier_directory_operations() -> None:
    info = pending_at(NEW_FILE, "ext4-ordered", 2)
    assert info.durable == [0, 1] and info.pending == []
    info = pending_at(NEW_FILE, "ext4-ordered", 3)
    assert info.pending == [3] and 3 not in info.tears  # a rename is atomic there


def test_tears_of_an_append_under_each_model() -> None:
    assert pending_at(NEW_FILE, "weakest", 1).tears[1] == ("s1", "zero")
    assert pending_at(NEW_FILE, "ext4-ordered", 1).tears[1] == ("s1",)  # never zeros


def test_images_of_torn_writes_and_half_renames() -> None:
    def image(model: str, sid: str) -> dict[str, bytes]:
        state = lookup(NEW_FILE, model, sid)
        return build_image(NEW_FILE, state, pending_at(NEW_FILE, model, state.index)).files

    assert image("weakest", "op1:keep=0-1:tear=1/s1")["a"] == b"x" * 512
    assert image("weakest", "op1:keep=0-1:tear=1/zero")["a"] == b"\0" * 1000
    assert image("weakest", "op1:keep=1") == {"old": b"o" * 10}  # data without a name
    half = image("weakest", "op3:keep=0,3:tear=3/half")
    assert half["a"] == half["old"] == b"x" * 1000
    assert image("weakest", "op4:keep=0") == {"a": b"x" * 1000, "old": b"o" * 10}


def test_state_ids_read_back_exactly() -> None:
    for kept, tear in [
        (frozenset(), None),
        (frozenset({3, 4, 5, 7}), (5, "s2")),
        (frozenset({9}), None),
    ]:
        text = state_id(12, kept, tear)
        assert parse_state_id(text) == (12, kept, tear)
    assert state_id(12, frozenset({3, 4, 5, 7}), None) == "op12:keep=3-5,7"


def test_exploration_bounds() -> None:
    writes = [Op("write", ino=0, offset=i, data=b"y") for i in range(10)]
    trace = _trace(*writes)
    states = list(enumerate_states(trace, "weakest", Bounds(exhaustive_max=8, samples=5)))
    at = {i: [s for s in states if s.index == i] for i in range(10)}
    assert len(at[2]) == 2**3  # three pending writes: every subset
    assert len(at[7]) == 2**8
    # nine pending: none, all, nine leave-one-out, up to five samples
    assert 2 + 9 <= len(at[8]) <= 2 + 9 + 5
    again = list(enumerate_states(trace, "weakest", Bounds(exhaustive_max=8, samples=5)))
    assert again == states  # seeded: the same states every run
    marks_only = Bounds(crash_points="marks")
    assert {s.index for s in enumerate_states(NEW_FILE, "weakest", marks_only)} == {4}
    with pytest.raises(ConfigError, match=r"exhaustive_max must be 0\.\.16"):
        Bounds(exhaustive_max=40)
