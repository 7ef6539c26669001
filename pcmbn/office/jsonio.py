"""Strict JSON: the one way the project turns data into JSON text.

Python's `json` writes `NaN` and `Infinity` by default, which no strict parser (a browser, `jq`,
PostgreSQL's `jsonb`) accepts, so one bad cell would break every consumer of `--format json` or of
a packet's `manifest.json`. Everything goes through `dumps_strict`, which refuses non-finite
numbers (`allow_nan=False`): a NaN that reaches it is a bug to fix upstream, not data to pass on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps_strict"]


def dumps_strict(
    document: Any,
    *,
    indent: int | None = None,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """`document` as JSON text with Vietnamese kept readable; ValueError on NaN or ±Infinity."""
    return json.dumps(
        document,
        ensure_ascii=False,
        allow_nan=False,
        indent=indent,
        sort_keys=sort_keys,
        default=default,
    )
