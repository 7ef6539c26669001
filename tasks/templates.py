"""Task: write blank report templates for the units expected in a period."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from pcmbn.periods import Period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.template_writer import write_templates


@task(name="write-templates", retries=2, retry_delay_seconds=5)
def write_unit_templates(
    settings: Settings, plan_id: str, period: Period, out_dir: str
) -> list[str]:
    """Write one workbook per expected unit plus a zip; retried because it only does I/O."""
    catalog = resources_for(settings).catalog
    plan = catalog.plan(plan_id)
    units = catalog.expected_units(plan, period)
    return [str(path) for path in write_templates(catalog, plan, period, units, Path(out_dir))]
