"""The Prefect UI's run form for each deployment, in Vietnamese, with choice lists.

Prefect builds the form from the flow's parameter schema: titles are the Python names and a
plan is free text. `localise_form` rewrites the schema a runner deployment will register: each
parameter gets its Vietnamese title and help from `schemas/parameters.yaml`, `plan` becomes a
choice of the catalog's plans and `milestone` of the two conference kinds. Done when the
service starts (the catalog is data; nothing is computed at import time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from pcmbn.errors import UsageError

PARAMETERS_FILE = "parameters.yaml"
MILESTONES = ("so_ket", "tong_ket")


def load_parameter_labels(schemas: Path) -> dict[str, dict[str, str]]:
    """`schemas/parameters.yaml`: parameter name → {title, description}."""
    path = schemas / PARAMETERS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"Không đọc được {path}: {exc}") from None
    if not isinstance(raw, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("title"), str) for v in raw.values()
    ):
        raise UsageError(f"{path}: mỗi tham số cần một mục có title (và description).")
    return {str(k): {"title": v["title"], "description": str(v.get("description", ""))}
            for k, v in raw.items()}  # fmt: skip


def localise_form(
    properties: dict[str, dict[str, Any]],
    labels: Mapping[str, Mapping[str, str]],
    plan_ids: Iterable[str],
) -> dict[str, dict[str, Any]]:
    """The schema's `properties`, each titled and described in Vietnamese, choices added."""
    plans = sorted(plan_ids)
    localised: dict[str, dict[str, Any]] = {}
    for name, schema in properties.items():
        entry = dict(schema)
        label = labels.get(name)
        if label is not None:
            entry["title"] = label["title"]
            if label.get("description"):
                entry["description"] = label["description"]
        if name == "plan" and "enum" not in entry:
            entry["enum"] = plans
        if name == "milestone" and "enum" not in entry:
            entry["enum"] = list(MILESTONES)
        localised[name] = entry
    return localised
