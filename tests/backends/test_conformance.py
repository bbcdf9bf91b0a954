"""Every registered backend keeps the one Server contract (run over all of them)."""

from __future__ import annotations

import re

import pytest

from harness.errors import NotOwned

from .conftest import Flavour


def test_postgres_contract(flavour: Flavour) -> None:
    server = flavour.backend.postgres(flavour.settings)
    server.start()
    try:
        assert server.kind == "postgres" and server.is_running()
        assert server.host and 0 < server.port < 65536
        assert re.match(r"^\d+(\.\d+)*$", server.version), server.version
        with server.connect() as conn:
            assert conn.execute("SHOW server_version").fetchone()[0].startswith(server.version)
        server.create_database("conformance_db")
        with server.connect("conformance_db") as conn:
            conn.execute("CREATE TABLE t (x int)")
        server.create_database("conformance_copy", template="conformance_db")
        with server.connect("conformance_copy") as conn:
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
        server.drop_database("conformance_copy")
        server.drop_database("conformance_db")
        server.drop_database("conformance_db")  # dropping what is gone is fine
    finally:
        server.close()


def test_redis_contract(flavour: Flavour) -> None:
    server = flavour.backend.redis(flavour.settings)
    server.start()
    try:
        assert server.kind == "redis" and server.is_running()
        assert re.match(r"^\d+(\.\d+)*$", server.version), server.version
        assert server.url(3).endswith("/3")
        client = server.client(3)
        assert client.ping()
        assert client.info("server")["redis_version"] == server.version
    finally:
        server.close()


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_owned_servers_come_back_with_their_data(owned_flavour: Flavour, how: str) -> None:
    pg = owned_flavour.backend.postgres(owned_flavour.settings)
    rd = owned_flavour.backend.redis(owned_flavour.settings)
    assert pg.owned and rd.owned
    pg.start()
    rd.start()
    try:
        with pg.connect() as conn:
            conn.execute("CREATE TABLE durable (x int)")
            conn.execute("INSERT INTO durable VALUES (42)")  # committed (autocommit)
        rd.client().set("durable", "42")
        ports = pg.port, rd.port
        getattr(pg, how)()
        getattr(rd, how)()
        assert not pg.is_running() and not rd.is_running()
        pg.restart()
        rd.restart()
        assert (pg.port, rd.port) == ports
        with pg.connect() as conn:
            assert conn.execute("SELECT x FROM durable").fetchall() == [(42,)]
        assert rd.client().get("durable") == b"42"
    finally:
        pg.close()
        rd.close()


def test_servers_not_owned_are_never_touched(external_flavour: Flavour) -> None:
    pg = external_flavour.backend.postgres(external_flavour.settings)
    rd = external_flavour.backend.redis(external_flavour.settings)
    assert not pg.owned and not rd.owned
    pg.start()
    rd.start()
    for server in (pg, rd):
        for action in (server.kill, server.restart, server.stop):
            with pytest.raises(NotOwned, match="the harness did not start it") as info:
                action()
            assert "\n" not in str(info.value)
        server.close()
        assert server.is_running()
