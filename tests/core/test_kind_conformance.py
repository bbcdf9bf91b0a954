"""The public conformance tests of every pluggable kind, run over every built-in one
(what a third party runs on its own kinds: docs/core.md, "Conformance of every kind").

Checkers: tests/core/test_checkers.py; backends: tests/backends/test_conformance.py
(every backend flavour). Here: every toxic through the harness's proxy on a live
loopback link, every blocking detector against its real database."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.backends import PostgresServer
from harness.proxy.toxics import Stub, Toxic, toxic_names
from harness.proxy.toxics import base as toxic_registry
from harness.proxy.toxics import register as register_toxic
from harness.proxy.toxics.base import Attr
from harness.proxy.toxics.conformance import PAYLOAD, check_toxic_conformance
from harness.races import detector_kinds
from harness.races.conformance import check_detector_conformance, pg_locker, sqlite_locker


@pytest.mark.parametrize("kind", toxic_names())
def test_every_toxic_alters_a_live_link_and_is_removable(kind: str) -> None:
    check_toxic_conformance(kind)


def _postgres(
    pg_server: PostgresServer, tmp_path: Path
) -> tuple[dict[str, Any], Any, Callable[[], None]]:
    name = "conformance_blocking"

    def make() -> None:  # the harness's reset: the database dropped and made again
        pg_server.drop_database(name)
        pg_server.create_database(name)
        with pg_server.connect(name) as conn:
            conn.execute("CREATE TABLE conformance (id int PRIMARY KEY, n int)")
            conn.execute("INSERT INTO conformance VALUES (1, 0)")

    make()
    dsn = pg_server.dsn(name)
    return {"dsn": dsn}, functools.partial(pg_locker, dsn), make


def _sqlite(
    pg_server: PostgresServer, tmp_path: Path
) -> tuple[dict[str, Any], Any, Callable[[], None]]:
    path = tmp_path / "conformance.db"

    def make() -> None:
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE conformance (id int PRIMARY KEY, n int)")
            conn.execute("INSERT INTO conformance VALUES (1, 0)")
        conn.close()

    make()
    return {}, functools.partial(sqlite_locker, str(path)), make


DATABASES = {"postgres": _postgres, "sqlite": _sqlite}


def test_every_detector_has_a_database_here() -> None:
    assert set(detector_kinds()) == set(DATABASES)


@pytest.mark.parametrize("kind", detector_kinds())
def test_every_detector_sees_a_real_block_and_survives_a_reset(
    kind: str, pg_server: PostgresServer, tmp_path: Path
) -> None:
    params, worker, reset = DATABASES[kind](pg_server, tmp_path)
    check_detector_conformance(kind, params, worker=worker, reset=reset)


class _Passthrough(Toxic):
    """Forwards everything unchanged: a toxic that does not do its job."""

    type_name = "test_passthrough"
    attrs = (Attr("every", 1, 1, 10),)

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            stub.replace(chunk.data)
            stub.forward()


class _Upper(_Passthrough):
    """Upper-cases what passes: a third party's toxic that alters bytes."""

    type_name = "test_upper_conf"

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            stub.replace(chunk.data.upper())
            stub.forward()


def test_a_toxic_that_changes_nothing_fails_and_one_that_alters_passes() -> None:
    # PAYLOAD holds ASCII lower-case letters (bytes 97-122): upper-casing alters them
    for cls, passes in ((_Passthrough, False), (_Upper, True)):
        register_toxic(cls)
        try:
            if passes:
                assert check_toxic_conformance(cls.type_name).data != PAYLOAD
            else:
                with pytest.raises(AssertionError, match="left the exchange as it was"):
                    check_toxic_conformance(cls.type_name)
        finally:
            toxic_registry._REGISTRY.pop(cls.type_name, None)


@pytest.mark.parametrize(("answer", "message"), [(False, "timed out"), (True, None)])
def test_a_detector_that_always_answers_the_same_fails(
    tmp_path: Path, answer: bool, message: str | None
) -> None:
    from harness.races.blocking import _KINDS

    class Fixed:
        def is_blocked(self, worker: Any, workers: Any) -> bool:
            return answer

        def confirm_blocked(self, worker: Any, workers: Any) -> bool:
            return answer

        def close(self) -> None:
            pass

    _KINDS.add("test_fixed", Fixed)
    try:
        _, worker, _ = _sqlite(None, tmp_path)  # type: ignore[arg-type]
        with pytest.raises(AssertionError, match=message):
            check_detector_conformance("test_fixed", {}, worker=worker, step_timeout_s=1.0)
    finally:
        _KINDS.pop("test_fixed")
