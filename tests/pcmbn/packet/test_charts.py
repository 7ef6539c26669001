"""Packet charts: one deterministic PNG per chart of `schemas/packet.yaml`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.image
import pandas as pd

from pcmbn.packet.charts import DPI, FIG_SIZE, legend_name, write_charts
from pcmbn.packet.model import SERIES_COLUMNS, PacketData

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MakePacket = Callable[..., PacketData]


def test_one_png_per_chart_in_spec_order(make_packet: MakePacket, tmp_path: Path) -> None:
    data = make_packet()
    paths = write_charts(data, tmp_path / "out")
    keys = [spec.key for spec in data.catalog.packet.charts]
    assert keys and [p.name for p in paths] == [f"BieuDo_{key}.png" for key in keys]
    width, height = int(FIG_SIZE[0] * DPI), int(FIG_SIZE[1] * DPI)  # matplotlib truncates
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[:2] == (height, width)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_same_data_gives_the_same_bytes(make_packet: MakePacket, tmp_path: Path) -> None:
    first = write_charts(make_packet(), tmp_path / "a")
    second = write_charts(make_packet(), tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_data_changes_the_picture(make_packet: MakePacket, tmp_path: Path) -> None:
    data = make_packet()
    before = write_charts(data, tmp_path / "a")[0].read_bytes()
    by_month = data.by_month.copy()
    by_month.loc[by_month["code"] == "DT01", "value"] = 1.0
    after = write_charts(make_packet(by_month=by_month), tmp_path / "b")[0].read_bytes()
    assert before != after


def test_charts_without_any_data_are_still_written(make_packet: MakePacket, tmp_path: Path) -> None:
    empty = pd.DataFrame(columns=list(SERIES_COLUMNS))
    data = make_packet(by_month=empty, campaign_name=None, campaign_months=())
    paths = write_charts(data, tmp_path)
    assert len(paths) == len(data.catalog.packet.charts)
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert matplotlib.image.imread(path).ndim == 3


def test_a_year_of_months_with_gaps_renders(make_packet: MakePacket, tmp_path: Path) -> None:
    from pcmbn.periods import Period, months_between

    months = tuple(months_between(Period.month(2024, 1), Period.month(2024, 12)))
    rows = [(m.code, "", "TT02", float(1000 * i)) for i, m in enumerate(months) if i % 4]
    data = make_packet(
        months=months,
        campaign_months=months[6:9],
        by_month=pd.DataFrame(rows, columns=SERIES_COLUMNS),
    )
    paths = write_charts(data, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)


def test_legend_names_are_short(make_packet: MakePacket) -> None:
    data = make_packet()
    assert legend_name(data, "NN02") == "Trẻ em dưới 16 tuổi"
    assert legend_name(data, "DT01") == "Vụ mua bán người được phát hiện"
    assert all(len(legend_name(data, code)) <= 46 for code in data.catalog.indicators)
    assert legend_name(data, "XX99") == "XX99"


def test_every_value_axis_starts_at_zero_and_only_the_packet_months_are_drawn(
    make_packet: MakePacket,
) -> None:
    """Issue 12, item 18: no axis starting at 175, no month outside the packet's span."""
    from pcmbn.packet.charts import chart_figure

    data = make_packet()
    for spec in data.catalog.packet.charts:
        fig = chart_figure(data, spec)
        axes = fig.get_axes()
        assert len(axes) == (2 if spec.secondary else 1)
        for ax in axes:
            assert ax.get_ylim()[0] == 0, spec.key
        labels = [t.get_text() for t in axes[0].get_xticklabels()]
        assert labels == [m.short_label for m in data.months], spec.key
        left, right = axes[0].get_xlim()
        assert (left, right) == (-0.5, len(data.months) - 0.5)
