"""Each checker on histories with a known answer, and a conformance test over the registry."""

from __future__ import annotations

import sqlite3

import pytest

from harness.checkers import check, checkers, get_checker, register, snapshot_tables
from harness.checkers.conformance import check_conformance
from harness.checkers.registry import CHECKERS
from harness.errors import ConfigError, UnknownName
from harness.history import History
from harness.verdict import Validity, Verdict


def ops(history: History, process: str, f: str, value, outcome: str = "ok", result=None):
    inv = history.invoke(process, f, value)
    if outcome == "ok":
        history.ok(inv, result if result is not None else value)
    elif outcome == "fail":
        history.fail(inv, "refused")
    elif outcome == "info":
        history.info(inv, "link cut")
    return inv


# --- the registry ---------------------------------------------------------


def test_registry_lists_the_builtin_checkers():
    builtin = {"at_most_once", "total_queue", "no_orphans", "idempotent", "stores_equal"}
    assert builtin | {"acked_recovered"} <= set(checkers())


def test_unknown_checker_names_the_known_ones():
    with pytest.raises(
        UnknownName, match=r"unknown checker 'at_most_twice'; known: .*at_most_once"
    ):
        get_checker("at_most_twice")


def test_a_second_checker_under_a_taken_name_is_an_error():
    def other(history: History) -> Verdict:
        """Another."""
        return Verdict.ok("at_most_once", "")

    with pytest.raises(ConfigError, match="checker 'at_most_once' is registered twice"):
        register("at_most_once")(other)


def test_unknown_parameter_is_a_config_error():
    with pytest.raises(ConfigError, match="has no parameter lease; it takes: f, key"):
        check("at_most_once", History(), lease=5)


def test_a_checker_that_raises_is_unknown_never_valid():
    @register("explodes")
    def explodes(history: History) -> Verdict:
        raise ZeroDivisionError("oops")

    @register("returns_bool")
    def returns_bool(history: History) -> Verdict:
        return True  # type: ignore[return-value]

    try:
        v = check("explodes", History())
        assert v.validity is Validity.UNKNOWN and "ZeroDivisionError" in v.summary
        assert check("returns_bool", History()).validity is Validity.UNKNOWN
    finally:
        CHECKERS.remove("explodes")
        CHECKERS.remove("returns_bool")


@pytest.mark.parametrize("name", checkers())
def test_conformance(name):
    """Every registered checker (the scenarios' ones, from their entry points, with at least
    one valid and one invalid example each)."""
    check_conformance(name, min_examples=2 if "." in name else 0)


# --- at_most_once ---------------------------------------------------------


def test_at_most_once_catches_a_double_delivery():
    h = History()
    ops(h, "p1", "deliver", None, result=[1, 2])
    ops(h, "p2", "deliver", None, result=[2, 3])
    ops(h, "p3", "deliver", None, "info")  # unknown: not counted
    v = check("at_most_once", h)
    assert v.validity is Validity.INVALID
    assert v.evidence["duplicated_count"] == 1 and v.evidence["duplicated"][0]["item"] == 2


def test_at_most_once_passes_distinct_deliveries_and_keys_dicts():
    h = History()
    ops(h, "p1", "poll", None, result=[{"id": 1}, {"id": 2}])
    ops(h, "p2", "poll", None, result={"id": 3})
    assert check("at_most_once", h, f="poll", key="id").valid
    with pytest.raises(ConfigError, match="has no field 'uid'"):
        check("at_most_once", h, f="poll", key="uid")


# --- total_queue ----------------------------------------------------------


def test_total_queue_counts_lost_duplicated_unexpected_recovered():
    h = History()
    for item in (1, 2, 3):
        ops(h, "c", "enqueue", item)
    ops(h, "c", "enqueue", 4, "info")  # unknown outcome ... and it did take effect
    ops(h, "c", "enqueue", 5, "fail")
    ops(h, "w", "dequeue", None, result=[1, 1, 4, 9])
    v = check("total_queue", h)
    assert v.validity is Validity.INVALID
    e = v.evidence
    assert (e["lost"], e["duplicated"], e["unexpected"], e["recovered"]) == ([2, 3], [1], [9], [4])
    assert v.summary == "2 lost, 1 duplicated, 1 unexpected"


def test_total_queue_valid_with_final_drain_snapshot():
    h = History()
    for item in ("a", "b"):
        ops(h, "c", "enqueue", item)
    ops(h, "w", "dequeue", None, result="a")
    h.snapshot("queue", ["b"])
    assert check("total_queue", h, remaining="queue").valid
    assert check("total_queue", h).validity is Validity.INVALID  # b lost without the drain
    assert check("total_queue", h, remaining="nope").validity is Validity.UNKNOWN


# --- no_orphans -----------------------------------------------------------


def test_no_orphans_finds_children_without_parents():
    h = History()
    h.snapshot(
        "after",
        {
            "traces": [{"id": 1}],
            "spans": [
                {"trace_id": 1, "span_id": "s1"},
                {"trace_id": 2, "span_id": "s2"},
                {"trace_id": None, "span_id": "s3"},
            ],
            "logs": [{"trace_id": 1, "span_id": "s1"}, {"trace_id": 1, "span_id": "zz"}],
        },
    )
    rels = ["spans(trace_id) -> traces(id)", "logs(trace_id, span_id) -> spans(trace_id, span_id)"]
    v = check("no_orphans", h, relations=rels)
    assert v.validity is Validity.INVALID and v.evidence["orphan_count"] == 2
    assert v.evidence["orphans"][rels[0]] == [{"trace_id": 2, "span_id": "s2"}]
    assert (
        check("no_orphans", h, relations=rels[:1], snapshot="before").validity is Validity.UNKNOWN
    )


def test_no_orphans_bad_relation_is_a_config_error():
    h = History()
    h.snapshot("after", {"a": [], "b": []})
    with pytest.raises(ConfigError, match="is not 'child\\(fk\\) -> parent\\(pk\\)'"):
        check("no_orphans", h, relations=["a.b_id -> b.id"])
    with pytest.raises(ConfigError, match="same length"):
        check("no_orphans", h, relations=["a(x, y) -> b(id)"])
    with pytest.raises(ConfigError, match="non-empty list"):
        check("no_orphans", h, relations="a(x) -> b(id)")


# --- idempotent -----------------------------------------------------------


def test_idempotent_duplicated_missing_phantom():
    h = History()
    ops(h, "c", "enqueue", {"request_id": "r1"})
    ops(h, "c", "enqueue", {"request_id": "r1"}, "info")  # retry of r1
    ops(h, "c", "enqueue", {"request_id": "r2"})  # acknowledged, no row: missing
    ops(h, "c", "enqueue", {"request_id": "r3"}, "fail")  # failed, yet a row: phantom
    ops(h, "c", "enqueue", {"request_id": "r4"}, "info")  # unknown, no row: fine
    h.snapshot(
        "after",
        {"jobs": [{"request_id": "r1"}, {"request_id": "r1"}, {"request_id": "r3"}]},
    )
    v = check("idempotent", h)
    assert v.validity is Validity.INVALID
    assert v.evidence["duplicated"] == {"r1": 2}
    assert v.evidence["missing"] == ["r2"] and v.evidence["phantom"] == ["r3"]


def test_idempotent_valid():
    h = History()
    ops(h, "c", "enqueue", {"request_id": "r1"}, "info")
    ops(h, "c", "enqueue", {"request_id": "r1"})
    h.snapshot("after", {"jobs": [{"request_id": "r1", "id": 7}]})
    assert check("idempotent", h).valid


# --- stores_equal ---------------------------------------------------------


def test_stores_equal_reports_each_kind_of_mismatch():
    h = History()
    h.snapshot("old", [{"id": 1, "s": "a"}, {"id": 2, "s": "b"}, {"id": 3, "s": "c"}])
    h.snapshot("new", {"1": {"id": 1, "s": "a"}, "2": {"id": 2, "s": "B"}, "4": {"id": 4}})
    h.snapshot(
        "new_rows",
        [{"id": 1, "s": "a", "extra": 0}, {"id": 2, "s": "b", "extra": 1}, {"id": 3, "s": "c"}],
    )
    assert check("stores_equal", h, left="old", right="new_rows", key="id", fields=["s"]).valid
    assert not check("stores_equal", h, left="old", right="new_rows", key="id").valid
    with pytest.raises(ConfigError, match="set key="):
        check("stores_equal", h, left="old", right="new")
    with pytest.raises(ConfigError, match="two different snapshots"):
        check("stores_equal", h, left="old", right="old")


def test_snapshot_tables_reads_sqlite_rows_sorted(tmp_path):
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.executescript("CREATE TABLE p(id INTEGER); INSERT INTO p VALUES (2), (1);")
    assert snapshot_tables(conn, ["p"]) == {"p": [{"id": 1}, {"id": 2}]}
    with pytest.raises(ConfigError, match="not a plain identifier"):
        snapshot_tables(conn, ["p; DROP TABLE p"])
    conn.close()
