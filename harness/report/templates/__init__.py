"""Jinja2 templates of the report formats, and the one environment that loads them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

_HERE = Path(__file__).parent


@cache
def environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
