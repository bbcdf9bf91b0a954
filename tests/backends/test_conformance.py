"""Every registered backend keeps the one Server contract (run over all of them)."""

from __future__ import annotations

import pytest

from harness.backends.conformance import check_backend_conformance
from harness.errors import NotOwned

from .conftest import Flavour


def test_backend_conformance(flavour: Flavour) -> None:
    """The public conformance test (what a third party runs on its own backend): both
    servers start, answer, reset, and leave nothing on close."""
    check_backend_conformance(flavour.backend.name, flavour.settings)


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
