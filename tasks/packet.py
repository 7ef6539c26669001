"""Tasks: read a conference packet's data from the history store, then write and archive it."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.domain import Milestone
from pcmbn.packet.build import build_packet_data
from pcmbn.packet.bundle import PacketFiles, write_packet
from pcmbn.packet.model import PacketData
from pcmbn.periods import Period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.storage import publish


@task(name="read-packet-data", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def read_packet_data(
    settings: Settings, plan_id: str, milestone: Milestone, months: list[Period]
) -> PacketData:
    resources = resources_for(settings)
    catalog = resources.catalog
    return build_packet_data(resources.store, catalog, catalog.plan(plan_id), milestone, months)


@task(name="write-packet", cache_policy=NO_CACHE)
def write_and_record_packet(settings: Settings, data: PacketData) -> PacketFiles:
    """Write the files and the zip, archive the zip, record it (with an audit row)."""
    resources = resources_for(settings)
    layout = resources.layout
    files = write_packet(data, layout.packets_dir(data.plan.id), settings.archive_root)
    for local in (
        files.folder,
        files.zip_path,
        files.zip_path.with_name(files.zip_path.name + ".sha256"),
    ):
        publish(local, layout)
    resources.store.record_packet(
        {
            "sha256": files.sha256,
            "plan_id": data.plan.id,
            "milestone": data.milestone.kind.value,
            "span_start": data.start.code,
            "span_end": data.end.code,
            "zip_path": str(files.zip_path),
            "archive_url": files.archive_url,
            "built_at": datetime.now(tz=UTC),
            "built_by": settings.actor,
            "missing_periods": ",".join(p.code for p in data.missing_periods) or None,
            "unapproved_periods": ",".join(p.code for p in data.unapproved_periods) or None,
        }
    )
    return files
