"""The Prefect UI's run forms: Vietnamese titles and help, plans and milestones as choices."""

from __future__ import annotations

import pytest

from pcmbn.resources import resources_for
from pcmbn.serve.deployments import load_deployments
from pcmbn.serve.forms import load_parameter_labels, localise_form
from pcmbn.settings import PROJECT_ROOT, Settings

LABELS = {"plan": {"title": "Kế hoạch", "description": "Chọn kế hoạch."}}


@pytest.mark.parametrize(
    ("name", "schema", "expected"),
    [
        ("plan", {"type": "string"},
         {"type": "string", "title": "Kế hoạch", "description": "Chọn kế hoạch.",
          "enum": ["A", "B"]}),
        ("milestone", {"type": "string"},
         {"type": "string", "enum": ["so_ket", "tong_ket"]}),
        ("period", {"title": "period"}, {"title": "period"}),
        ("plan", {"enum": ["A"]},
         {"enum": ["A"], "title": "Kế hoạch", "description": "Chọn kế hoạch."}),
    ],
)  # fmt: skip
def test_localise_form(name: str, schema: dict, expected: dict) -> None:
    assert localise_form({name: schema}, LABELS, ["B", "A"])[name] == expected


def test_every_parameter_of_every_deployment_has_a_vietnamese_label() -> None:
    """Adding a flow parameter without its label in schemas/parameters.yaml fails here."""
    import inspect

    from prefect.flows import load_flow_from_entrypoint

    labels = load_parameter_labels(PROJECT_ROOT / "schemas")
    for spec in load_deployments(PROJECT_ROOT / "prefect.yaml"):
        file, _, name = spec.entrypoint.partition(":")
        flow = load_flow_from_entrypoint(f"{PROJECT_ROOT / file}:{name}")
        missing = set(inspect.signature(flow.fn).parameters) - set(labels)
        assert not missing, f"{spec.name}: no label for {sorted(missing)}"


@pytest.mark.slow
def test_a_runner_deployment_registers_the_localised_form() -> None:
    from pcmbn.serve.runner import runner_deployment

    labels = load_parameter_labels(PROJECT_ROOT / "schemas")
    plans = sorted(resources_for(Settings.from_env()).catalog.plans)
    specs = {s.name: s for s in load_deployments(PROJECT_ROOT / "prefect.yaml")}
    deployment = runner_deployment(specs["tong-hop-chay-lai"], PROJECT_ROOT, labels, plans)
    properties = deployment._parameter_openapi_schema.properties
    assert properties["plan"]["title"] == "Kế hoạch" and properties["plan"]["enum"] == plans
    assert properties["period"]["title"] == "Kỳ báo cáo"
    assert properties["units"]["description"].startswith("Mã các đơn vị")
