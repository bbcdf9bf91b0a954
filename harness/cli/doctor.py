"""``harness doctor``: which server binaries are here, which backend would serve, and does it.

Prints every place checked for binaries (with versions), every backend and
whether it can serve, the backend it would use and why, then starts and stops
that backend's servers once (``--no-start`` skips that). Exits non-zero with
one line when the selected backend cannot serve.

It also lists the servers kept by ``HARNESS_KEEP_SERVERS`` / ``harness repro
--keep`` (which no run stops by itself); ``--stop-kept`` stops them and removes
their files, and does nothing else.
"""

from __future__ import annotations

import argparse
import time

from harness import procs
from harness.backends import all_backends, resolve, selected
from harness.backends.binaries import Candidate, postgres_candidates, redis_candidates
from harness.backends.settings import SPEC_BY_NAME, Settings
from harness.cli import Command, register
from harness.disk import doctor as disk_doctor
from harness.errors import BackendUnavailable

_FLAGS = ("backend", "config", "pg_bindir", "redis_server", "pg_port", "redis_port")


def setup(parser: argparse.ArgumentParser) -> None:
    for name in _FLAGS:
        spec = SPEC_BY_NAME[name]
        parser.add_argument(
            "--" + name.replace("_", "-"), dest=name, help=f"{spec.help} (env {spec.env})"
        )
    parser.add_argument(
        "--no-start", action="store_true", help="only look; do not start the servers"
    )
    parser.add_argument(
        "--stop-kept",
        action="store_true",
        help="stop the servers kept by --keep / HARNESS_KEEP_SERVERS=1, remove their files",
    )


def run(args: argparse.Namespace) -> int:
    if args.stop_kept:
        stopped = procs.stop_kept()
        for record in stopped:
            print(f"stopped kept {record.role} (pid {record.pid}) on {record.address}")
        print(f"{len(stopped)} kept server(s) stopped")
        return 0
    settings = resolve({name: getattr(args, name) for name in _FLAGS})
    backend = selected(settings)  # an unknown name is one line, before anything is printed
    print("PostgreSQL binaries (in order of preference):")
    _print_candidates(postgres_candidates(settings))
    print("redis-server (in order of preference):")
    _print_candidates(redis_candidates(settings))
    print("backends:")
    for each in all_backends():
        problem = each.problem(settings)
        state = "can serve" if problem is None else f"cannot serve: {problem}"
        print(f"  {each.name:<15} {state}")
    _print_kept()
    print("\n".join(disk_doctor.lines()))
    print(f"selected backend: {backend.name} ({_why(settings)})")
    problem = backend.problem(settings)
    if problem is not None:
        raise BackendUnavailable(f"backend {backend.name!r} cannot serve: {problem}")
    for line in backend.describe(settings):
        print(f"  {line}")
    if not args.no_start:
        for make in (backend.postgres, backend.redis):
            try:
                server = make(settings)
            except BackendUnavailable as exc:  # e.g. an external backend given only one DSN
                print(f"  skipped: {exc}")
                continue
            started = time.perf_counter()
            try:
                server.start()
                ready_s = time.perf_counter() - started
                print(
                    f"  {'started' if server.owned else 'reached'} {server.kind} {server.version} on {server.host}:{server.port} in {ready_s:.2f} s"
                )
            finally:
                server.close()
    print(f"ok: backend {backend.name!r} can serve")
    return 0


def _print_kept() -> None:
    running = procs.kept()
    if running:
        print("kept servers (left up by --keep; no run stops them by itself):")
    for record in running:
        print(f"  {record.describe()}")


def _print_candidates(candidates: list[Candidate]) -> None:
    chosen = next((c for c in candidates if c.usable), None)
    if not candidates:
        print("  (every source disabled)")
    for c in candidates:
        if c.usable:
            mark = "use" if c is chosen else "ok "
            print(f"  [{mark}] {c.version:<8} {c.origin}: {c.path}")
        else:
            print(f"  [ - ] {c.origin}: {c.problem}")


def _why(settings: Settings) -> str:
    source = settings.source("backend")
    if source == "default":
        return "the default; set HARNESS_BACKEND or --backend to choose another"
    if source == "explicit":
        return "--backend"
    return f"from {source}"


register(
    Command("doctor", "show which server binaries and backend the harness would use", setup, run)
)
