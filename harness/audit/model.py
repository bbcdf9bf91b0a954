"""The run document, saved as results.json: everything every report format is made from.

Only inputs are stored as the source of truth (the header, pytest's per-test
outcomes, every scenario result with its cases and histories, the fix catalog
and the claims as they were); derived views (state-change table, claim
verdicts, findings) are written beside them for other tools but are always
recomputed on load, so re-rendering a results.json gives the same report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.catalog import Catalog
from harness.errors import ConfigError
from harness.ledger.claims import Claim
from harness.scenario import ScenarioResult

AUDIT_SCHEMA = "fault-harness/audit/1"

# The header every report prints; a results.json without one of these is corrupt.
META_REQUIRED = (
    "date",
    "commit",
    "machine",
    "versions",
    "packages",
    "command",
    "seed",
    "backend",
    "workers",
    "wall_s",
)
# Added to the header over time: an older results.json still renders.
META_OPTIONAL: dict[str, Any] = {
    "argv": [],
    "selection": {},
    "pytest_exit": None,
    "pytest_summary": "",
}


@dataclass(frozen=True)
class TestOutcome:
    """One pytest item of the run, scenario or not."""

    __test__ = False  # not a pytest test class, despite its name

    nodeid: str
    outcome: str  # passed, failed, skipped, error
    fix_id: str | None = None
    duration_s: float = 0.0
    message: str = ""
    scenario: str | None = None  # set for a @scenario item, None for a plain test
    variant: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestOutcome:
        item = data.get("item") or {}
        return cls(
            nodeid=str(data["nodeid"]),
            outcome=str(data["outcome"]),
            fix_id=data.get("fix_id"),
            duration_s=float(data.get("duration_s", 0.0)),
            message=str(data.get("message", "")),
            scenario=data.get("scenario") or item.get("scenario"),
            variant=data.get("variant") or item.get("variant"),
        )


@dataclass
class Run:
    meta: dict[str, Any]
    results: list[ScenarioResult]
    catalog: Catalog
    claims: list[Claim]
    tests: list[TestOutcome] = field(default_factory=list)
    mutation: dict[str, Any] = field(default_factory=dict)  # fix id -> mutation score (JSON)

    def to_json(self) -> dict[str, Any]:
        # Imported here: analysis imports this module for the Run type.
        from harness.audit.analysis import analyze
        from harness.audit.replayability import annotate

        analysis = analyze(self)
        return {
            "schema": AUDIT_SCHEMA,
            "meta": self.meta,
            "tests": [asdict(t) for t in self.tests],
            "results": [annotate(r) for r in self.results],
            "catalog": self.catalog.to_json(),
            "claims": [c.to_json() for c in self.claims],
            "derived": analysis.to_json(),
            "mutation": self.mutation,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "results.json") -> Run:
        if not isinstance(data, dict) or "schema" not in data:
            raise ConfigError(f"{source} is not a harness results file (no schema field)")
        if data["schema"] != AUDIT_SCHEMA:
            raise ConfigError(
                f"{source} has schema {data['schema']!r}, this harness reads {AUDIT_SCHEMA!r}; "
                "re-run 'harness audit' to write a current one"
            )
        meta = data.get("meta")
        if not isinstance(meta, dict):
            raise ConfigError(f"{source} is corrupt: no meta header")
        missing = [k for k in META_REQUIRED if k not in meta]
        if missing:
            raise ConfigError(f"{source} is corrupt: its meta header lacks {', '.join(missing)}")
        try:
            return cls(
                meta={**meta, **{k: v for k, v in META_OPTIONAL.items() if k not in meta}},
                results=[ScenarioResult.from_json(r) for r in data["results"]],
                catalog=Catalog.from_json(data["catalog"]),
                claims=[Claim.from_json(c) for c in data["claims"]],
                tests=[TestOutcome.from_json(t) for t in data.get("tests", [])],
                mutation=dict(data.get("mutation") or {}),
            )
        except ConfigError as exc:
            raise ConfigError(f"{source} is corrupt: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"{source} is corrupt: {type(exc).__name__} {exc} while reading it"
            ) from None

    def dumps(self) -> str:
        """One top-level key per line and one scenario result per line.

        Readable and diffable enough, and it keeps json's C encoder (an ``indent``
        switches to the pure-Python one, several times slower on big runs).
        """
        parts = []
        for key, value in self.to_json().items():
            if key == "results":
                rows = ",\n".join("  " + json.dumps(r, default=str) for r in value)
                parts.append(f' "results": [\n{rows}\n ]')
            else:
                parts.append(f" {json.dumps(key)}: {json.dumps(value, default=str)}")
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def load(cls, path: Path) -> Run:
        text = read_limited(path, MAX_RESULTS_BYTES)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from None
        return cls.from_json(data, str(path))


# A full audit writes about 2 MB; a file far beyond that is not a results file
# (``--from /dev/zero`` must not read until memory runs out).
MAX_RESULTS_BYTES = 64 << 20


def read_limited(path: Path, limit: int) -> str:
    """The UTF-8 text of ``path``, at most ``limit`` bytes; anything else is one ConfigError."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ConfigError(f"{path} is larger than {limit >> 20} MB: not a harness results file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start}): not a harness results file"
        ) from None
