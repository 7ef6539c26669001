"""`prefect.yaml` read into deployment specs: the project's own file, and each mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pcmbn.errors import UsageError
from pcmbn.serve.deployments import load_deployments, parse_deployments
from pcmbn.settings import PROJECT_ROOT

FILE = Path("prefect.yaml")


def test_the_projects_file_has_every_deployment_with_its_schedule() -> None:
    raw = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    specs = load_deployments(PROJECT_ROOT / "prefect.yaml")
    assert [s.name for s in specs] == [d["name"] for d in raw["deployments"]]
    by_name = {s.name: s for s in specs}
    monthly = by_name["tong-hop-hang-thang"]
    assert monthly.entrypoint == "flows/monthly_aggregation.py:monthly_aggregation"
    assert [(s.cron, s.timezone, s.active) for s in monthly.schedules] == [
        ("0 7 18 * *", "Asia/Ho_Chi_Minh", False)
    ]
    assert monthly.concurrency_limit == 1
    assert by_name["tong-hop-chay-lai"].parameters == {
        "plan": "ST-KH-30-7-2024",
        "period": "2024-07",
        "units": None,
    }
    for spec in specs:
        assert (PROJECT_ROOT / spec.flow_file).is_file()


def _one(**fields: object) -> dict[str, object]:
    entry = {"name": "a", "entrypoint": "flows/x.py:f"}
    entry.update(fields)
    return {"deployments": [entry]}


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({}, "thiếu danh sách deployments"),
        ({"deployments": ["x"]}, "phải là một mục"),
        ({"deployments": [{"entrypoint": "flows/x.py:f"}]}, "thiếu name"),
        (_one(entrypoint="flows/x.py"), "entrypoint phải có dạng"),
        (_one(parameters=[1]), "parameters phải là"),
        (_one(concurrency_limit="1"), "concurrency_limit phải là số nguyên"),
        (_one(schedules=[{}]), "đúng một trong hai"),
        (_one(schedules=[{"cron": "0 7", "interval": 5}]), "đúng một trong hai"),
        (_one(schedules=[{"cron": "every day"}]), "cron không hợp lệ"),
        (_one(schedules=[{"interval": -5}]), "interval phải là số giây dương"),
        (_one(schedules=[{"interval": 5, "active": "yes"}]), "active phải là true hoặc false"),
        (
            {"deployments": [{"name": "a", "entrypoint": "f.py:a"}] * 2},
            "tên bị trùng: a",
        ),
    ],
)
def test_a_mistake_in_the_file_is_named(document: object, words: str) -> None:
    with pytest.raises(UsageError, match=words) as caught:
        parse_deployments(document, FILE)
    assert "prefect.yaml" in str(caught.value)


def test_an_interval_schedule_is_read_in_seconds() -> None:
    (spec,) = parse_deployments(_one(schedules=[{"interval": 15}]), FILE)
    assert spec.schedules[0].interval_s == 15.0 and spec.schedules[0].active


def test_a_missing_or_broken_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Không đọc được tệp cấu hình triển khai"):
        load_deployments(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("deployments: [\n", encoding="utf-8")
    with pytest.raises(UsageError, match="cú pháp YAML"):
        load_deployments(broken)
