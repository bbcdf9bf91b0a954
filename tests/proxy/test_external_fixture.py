"""HARNESS_TOXIPROXY points the fixtures at an external Toxiproxy; a test runs unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from harness.proxy import ProxyServer

INNER = textwrap.dedent(
    """
    import socket

    def test_through_the_external_proxy(toxiproxy, proxied):
        assert toxiproxy.external and toxiproxy.server is None
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen()
            link = proxied(*srv.getsockname())
            assert link.name in toxiproxy.proxies()
            with socket.create_connection((link.host, link.port), timeout=5) as c:
                peer, _ = srv.accept()
                c.sendall(b"hi")
                assert peer.recv(2) == b"hi"
                peer.close()
    """
)


def _run(tmp_path, env_value: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {**os.environ, "HARNESS_TOXIPROXY": env_value}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "test_inner.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_env_selects_the_external_server(tmp_path) -> None:
    with ProxyServer() as external:
        result = _run(tmp_path, f"{external.api_host}:{external.api_port}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert external.call(_names(external)) == []  # the fixture destroyed its link


async def _list(server: ProxyServer) -> list[str]:
    return sorted(server.app.proxies.proxies)


def _names(server: ProxyServer):
    return _list(server)


def test_bad_env_value_is_one_clear_error(tmp_path) -> None:
    result = _run(tmp_path, "not-an-address")
    assert result.returncode != 0
    assert "harness: HARNESS_TOXIPROXY / --harness-toxiproxy must be host:port" in result.stdout
    assert "Traceback" not in result.stdout
