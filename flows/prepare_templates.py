"""Flow: before each reporting month closes, prepare every expected unit's blank workbook.

The standing office sends these out so that units fill the right version, with their code,
the plan and the period already written: most reading errors never happen.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.naming import tag_run, templates_run_name
from pcmbn.clock import today_in_vietnam
from pcmbn.periods import open_month, parse_period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from tasks.templates import write_unit_templates


@flow(name="prepare-templates", flow_run_name=templates_run_name)
def prepare_templates(plan: str, period: str | None = None, out: str | None = None) -> list[str]:
    """Write templates for `plan` and `period` (default: the month units are reporting on now)."""
    settings = Settings.from_env()
    resources = resources_for(settings)
    the_plan = resources.catalog.plan(plan)
    the_period = (
        parse_period(period)
        if period
        else open_month(today_in_vietnam(), the_plan.reporting.cutoff)
    )
    tag_run(the_plan.id, [the_period.code])
    out_dir = out or str(resources.layout.outbox(the_plan.id, the_period.code))
    paths = write_unit_templates(settings, the_plan.id, the_period, out_dir)
    get_run_logger().info(
        "Đã tạo biểu mẫu %s kế hoạch %s trong %s (%s tệp)",
        the_period.in_sentence,
        the_plan.id,
        out_dir,
        len(paths),
    )
    create_markdown_artifact(
        key="bieu-mau",
        markdown=(
            f"## Biểu mẫu {the_plan.id} · {the_period.label_vi}\n\n"
            f"Đã tạo {len(paths) - 1 if len(paths) > 1 else len(paths)} biểu mẫu trong "
            f"`{out_dir}`.\n\n" + "\n".join(f"- `{p}`" for p in paths)
        ),
        description="Biểu mẫu báo cáo gửi các đơn vị",
    )
    return paths


if __name__ == "__main__":
    import sys

    from pcmbn.console import run_guarded

    written = run_guarded(lambda _settings: prepare_templates(*sys.argv[1:3]))
    print(f"Đã tạo {len(written)} tệp trong thư mục {Path(written[0]).parent}.")
