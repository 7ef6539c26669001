"""Monthly trend charts of a conference packet, one PNG per `schemas/packet.yaml` chart.

The PNGs go into the packet's zip, whose checksum is published in the manifest, so the same data
must give the same bytes: a fixed size and dpi, no "Software" metadata, explicit fonts (never the
caller's rcParams) and no pyplot global state (flows may draw from several threads).
A month nobody reported is a gap in the line, never a zero: a zero is a real figure.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from pcmbn.domain import ChartSpec, ValueType
from pcmbn.office.atomic import atomic_write
from pcmbn.packet.model import PacketData
from pcmbn.reading.numbers import format_number_vi

CM = 1 / 2.54
FIG_SIZE = (16 * CM, 8 * CM)
DPI = 150
FONT_FAMILY = "DejaVu Sans"  # ships with matplotlib and has every Vietnamese glyph
NO_DATA = "Chưa có số liệu"
PRIMARY_COLOURS = ("#1f4e79", "#c00000", "#548235", "#7030a0")
SECONDARY_COLOURS = ("#ed7d31", "#bf9000", "#2e75b6")
CAMPAIGN_COLOUR = "#fdf1e7"
LEGEND_WIDTH = 46


def chart_file_name(key: str) -> str:
    return f"BieuDo_{key}.png"


def write_charts(data: PacketData, out_dir: Path) -> list[Path]:
    """Draw every chart of the packet spec into `out_dir`; return the paths in spec order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in data.catalog.packet.charts:
        path = out_dir / chart_file_name(spec.key)
        atomic_write(path, chart_png(data, spec))
        paths.append(path)
    return paths


def chart_png(data: PacketData, spec: ChartSpec) -> bytes:
    """One chart as PNG bytes (deterministic: same data, same bytes)."""
    buffer = io.BytesIO()
    chart_figure(data, spec).savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def chart_figure(data: PacketData, spec: ChartSpec) -> Figure:
    """One chart as a matplotlib figure: the packet's months only, every value axis from 0."""
    fig = Figure(figsize=FIG_SIZE, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    labels = [p.short_label for p in data.months]
    series = _series(data, spec.indicators)
    primary = [code for code in spec.indicators if code not in spec.secondary]
    secondary = [code for code in spec.indicators if code in spec.secondary]
    handles = _plot(ax, data, primary, series, PRIMARY_COLOURS, "-")
    if secondary:
        ax2 = ax.twinx()
        handles += _plot(ax2, data, secondary, series, SECONDARY_COLOURS, "--", " (trục phải)")
        _style_value_axis(ax2, data, secondary, series)
        ax2.spines["top"].set_visible(False)
    else:
        ax.spines["right"].set_visible(False)
    _style_value_axis(ax, data, primary, series)
    _style_month_axis(ax, labels)
    handles += _shade_campaign(ax, data)
    if not any(_has_data(series[code]) for code in spec.indicators):
        ax.text(
            0.5,
            0.5,
            NO_DATA,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontproperties=_font(10),
            color="#595959",
        )
    ax.set_title(textwrap.fill(spec.title, 80), fontproperties=_font(9, bold=True))
    if handles:
        fig.legend(
            handles=handles, loc="outside lower center", ncols=2, frameon=False, prop=_font(7)
        )
    return fig


def legend_name(data: PacketData, code: str) -> str:
    """A catalog name short enough for a legend: no "Số"/"Trong đó:" lead-in, cut at a word."""
    indicator = data.catalog.indicators.get(code)
    if indicator is None:
        return code
    name = indicator.name.removeprefix("Trong đó:").strip()
    if name.startswith("Số "):
        name = name.removeprefix("Số ")
    name = name[:1].upper() + name[1:]
    return textwrap.shorten(name, LEGEND_WIDTH, placeholder="…")


def _series(data: PacketData, codes: Sequence[str]) -> dict[str, list[float]]:
    """Month-aligned values per indicator; NaN where no row (no unit reported that month)."""
    frame = data.by_month
    found: dict[tuple[str, str], float] = {}
    if not frame.empty:
        for key, code, value in zip(frame["key"], frame["code"], frame["value"], strict=True):
            found[(str(key), str(code))] = math.nan if pd.isna(value) else float(value)
    return {
        code: [found.get((month.code, code), math.nan) for month in data.months] for code in codes
    }


def _has_data(values: Sequence[float]) -> bool:
    return any(not math.isnan(v) for v in values)


def _plot(
    ax: Axes,
    data: PacketData,
    codes: Sequence[str],
    series: dict[str, list[float]],
    colours: Sequence[str],
    style: str,
    suffix: str = "",
) -> list[Line2D]:
    """Lines with markers: NaN breaks the line, so a lone reported month still shows a dot."""
    lines = []
    for i, code in enumerate(codes):
        (line,) = ax.plot(
            range(len(data.months)),
            series[code],
            linestyle=style,
            marker="o",
            markersize=3.5,
            linewidth=1.6,
            color=colours[i % len(colours)],
            label=legend_name(data, code) + suffix,
        )
        lines.append(line)
    return lines


def _style_value_axis(
    ax: Axes, data: PacketData, codes: Sequence[str], series: dict[str, list[float]]
) -> None:
    """Vietnamese numbers (12.500; 2,5), whole ticks for counts, zero at the bottom."""
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_label))
    integers = all(
        data.catalog.indicators[c].value_type is ValueType.INTEGER
        for c in codes
        if c in data.catalog.indicators
    )
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=integers, min_n_ticks=2))
    values = [v for code in codes for v in series[code] if not math.isnan(v)]
    top = max(values, default=0.0)
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    units = dict.fromkeys(
        data.catalog.indicators[c].unit_of_measure for c in codes if c in data.catalog.indicators
    )
    ax.set_ylabel(", ".join(units), fontproperties=_font(7))
    ax.tick_params(axis="y", labelsize=7, labelfontfamily=FONT_FAMILY)
    if not values:
        ax.tick_params(axis="y", left=False, right=False, labelleft=False, labelright=False)


def _style_month_axis(ax: Axes, labels: Sequence[str]) -> None:
    """Month labels "T7/2024"; slanted when a year's worth would collide."""
    slanted = len(labels) > 9
    ax.set_xticks(
        range(len(labels)),
        labels,
        rotation=45 if slanted else 0,
        ha="right" if slanted else "center",
        rotation_mode="anchor",
        fontproperties=_font(7),
    )
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.grid(axis="y", color="#d9d9d9", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.spines["top"].set_visible(False)


def _shade_campaign(ax: Axes, data: PacketData) -> list[Patch]:
    """A light band over the campaign months, named in the legend (too narrow for a label)."""
    index = {month: i for i, month in enumerate(data.months)}
    inside = sorted(index[m] for m in data.campaign_months if m in index)
    if not inside:
        return []
    ax.axvspan(inside[0] - 0.5, inside[-1] + 0.5, color=CAMPAIGN_COLOUR, zorder=0, linewidth=0)
    name = textwrap.shorten(data.campaign_name or "Đợt cao điểm", 60, placeholder="…")
    return [Patch(facecolor=CAMPAIGN_COLOUR, edgecolor="none", label=name)]


def _tick_label(value: float, _position: int | None = None) -> str:
    """Axis ticks the Vietnamese way (12.500; 2,5); ticks arrive as numpy floats."""
    return format_number_vi(float(value))


def _font(size: float, bold: bool = False) -> FontProperties:
    return FontProperties(family=FONT_FAMILY, size=size, weight="bold" if bold else "normal")
