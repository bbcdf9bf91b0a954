"""Which variant of each fix the server runs, chosen at run time.

Every fix AGT-1..AGT-9 has a ``fixed`` and a ``prefix`` variant (the behaviour
the seed describes before its fix). A scenario runs one fix in one variant and
every other fix fixed, so a failure points at exactly one fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from reference_impl.agt.errors import InvalidArgument

FIX_IDS = tuple(f"AGT-{n}" for n in range(1, 10))
VARIANT_NAMES = ("fixed", "prefix")
ENV = "AGT_VARIANTS"  # e.g. "AGT-2=prefix,AGT-3=prefix", read by server processes


@dataclass(frozen=True)
class Variants:
    """Variant per fix id; anything not named runs ``fixed``."""

    chosen: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for fix_id, name in self.chosen.items():
            if fix_id not in FIX_IDS:
                raise InvalidArgument(f"unknown fix id {fix_id!r}; known: {', '.join(FIX_IDS)}")
            if name not in VARIANT_NAMES:
                raise InvalidArgument(
                    f"unknown variant {name!r} for {fix_id}; known: {', '.join(VARIANT_NAMES)}"
                )

    @classmethod
    def only(cls, fix_id: str, variant: str) -> Variants:
        """``fix_id`` in ``variant``, every other fix fixed."""
        return cls({fix_id: variant})

    @classmethod
    def parse(cls, text: str) -> Variants:
        """From ``"AGT-2=prefix,AGT-3=fixed"`` (the form server processes get in ``AGT_VARIANTS``)."""
        chosen: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            fix_id, sep, name = part.partition("=")
            if not sep:
                raise InvalidArgument(f"variant setting {part!r} is not FIX=VARIANT")
            chosen[fix_id.strip().upper()] = name.strip()
        return cls(chosen)

    @classmethod
    def from_env(cls) -> Variants:
        return cls.parse(os.environ.get(ENV, ""))

    def render(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.chosen.items()))

    def of(self, fix_id: str) -> str:
        return self.chosen.get(fix_id, "fixed")

    def prefix(self, fix_id: str) -> bool:
        return self.of(fix_id) == "prefix"


FIXED = Variants()
