"""What the store is given to keep: one consensus run (the agents' outputs and the synthesis)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from reference_impl.cns.errors import InvalidArgument


@dataclass(frozen=True)
class AgentOutput:
    agent_name: str
    content_json: str
    response_text: str | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class Synthesis:
    output_markdown: str
    status: str
    agreements: str | None = None
    conflicts: str | None = None
    degraded: bool = False

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


@dataclass(frozen=True)
class ConsensusRun:
    """``created_at`` is the caller's timestamp text (kept verbatim: the migration keeps it too)."""

    spec_id: str
    stage: str
    run_id: str | None
    created_at: str
    outputs: tuple[AgentOutput, ...] = field(default_factory=tuple)
    synthesis: Synthesis | None = None

    def __post_init__(self) -> None:
        for name in ("spec_id", "stage", "created_at"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidArgument(f"{name} must be a non-empty string, got {value!r}")
        if not self.outputs and self.synthesis is None:
            raise InvalidArgument("a consensus run needs at least one output or a synthesis")
