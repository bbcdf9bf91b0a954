"""CNS-2: schema versions in PRAGMA user_version, each migration one IMMEDIATE transaction.

Invariant: killed at any point of a start-up migration (SIGKILL at every crash
point), the file opens at a whole version with integrity_check ok, and a
restart completes it; a rerun is a no-op; two processes starting at once
migrate once (competing processes under a chosen interleaving).
"""

from __future__ import annotations

import functools

from harness.crash.explore import explore_crashes
from harness.races import explore_schedules, make_detector
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict, compose
from scenarios.cns import checks, data, files, ops

VARIANTS = ("prefix", "seed", "fixed")


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_killed_at_every_migration_point(ctx: ScenarioContext, tmp_path) -> None:
    template = data.legacy_template(tmp_path)
    path = tmp_path / "store.db"
    after: dict[str, object] = {}

    def setup() -> None:
        after.clear()
        data.reset_to(template, path)

    def recover() -> None:
        try:
            ops.open_close(ctx.variant, str(path))
            first = files.snapshot(path)
            ops.open_close(ctx.variant, str(path))
            after["rerun_changed"] = files.snapshot(path) != first
        except Exception as exc:
            after["error"] = f"{type(exc).__name__}: {exc}"

    def check(run) -> Verdict:
        snap = files.snapshot(path)
        parts = [checks.integrity(snap), checks.whole_version(snap)]
        if "error" in after:
            parts.append(Verdict.violated("cns.restart", f"restart failed: {after['error']}"))
        elif after:
            done = snap["user_version"] >= 1 and set(snap["tables"]) >= files.NEW_TABLES
            parts.append(Verdict.ok("cns.restart", "restart completed the migration") if done
                         else Verdict.violated("cns.restart", "restart left the file unmigrated"))
            parts.append(Verdict.violated("cns.rerun_no_op", "a second start changed the file")
                         if after["rerun_changed"] else
                         Verdict.ok("cns.rerun_no_op", "a second start changed nothing"))
        return compose("cns.migration", parts)

    explore_crashes(functools.partial(ops.open_close, ctx.variant, str(path)),
                    setup=setup, check=check, recover=recover, ctx=ctx)


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_two_processes_migrate_at_once(ctx: ScenarioContext, tmp_path) -> None:
    """Both start on the legacy file and run the data migration; the first is paused at its
    first point (inside its migration), the second runs into it; then both finish."""
    template = data.legacy_template(tmp_path)
    path = tmp_path / "store.db"
    op = functools.partial(ops.migrate_all, ctx.variant, str(path))

    def check(run) -> Verdict:
        snap = files.snapshot(path)
        parts = [checks.integrity(snap)]
        for name in ("a", "b"):
            res = run.results[name]
            parts.append(Verdict.ok(f"cns.{name}_started", f"{name} started up") if
                         res.outcome.value == "ok" else
                         Verdict.violated(f"cns.{name}_started",
                                          f"{name} failed to start: {res.error}"))
        copies = len(snap.get("new", []))
        parts.append(Verdict.ok("cns.migrated_once", f"{copies} outputs for {len(snap['old'])} artifacts")
                     if copies == len(snap["old"]) else
                     Verdict.violated("cns.migrated_once",
                                      f"{copies} outputs for {len(snap['old'])} artifacts"))
        return compose("cns.concurrent_migration", parts)

    explore_schedules({"a": op, "b": op}, check=check, schedules=["a,b", "b,a,a"],
                      setup=lambda: data.reset_to(template, path),
                      blocking=make_detector("sqlite"), ctx=ctx)
