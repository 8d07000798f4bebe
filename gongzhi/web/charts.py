"""Server-rendered SVG bar charts: readable without JavaScript, printable, accessible.

Build a chart with `bar_chart(...)`; put it in a page with `{% include "web/chart_bar.svg" with chart=chart %}`
(the SVG is inline, so no extra request and no CSP exception), or get the standalone document with `render_svg`.
Each chart carries `<title>` and `<desc>` (referenced by aria-labelledby), every bar has its own `<title>` with the
exact value, and the numbers are printed next to the bars. Labels are escaped by the template engine; colours are
SVG presentation attributes (no style attributes, so the strict CSP holds).

Bars are horizontal: category labels on the left read well in Chinese and on a 360 px phone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.template.loader import render_to_string

# Colour-blind-safe palette (Okabe–Ito), dark enough for white-background contrast.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

WIDTH = 640
LABEL_WIDTH = 150
VALUE_WIDTH = 60
BAR_HEIGHT = 14
BAR_GAP = 2
GROUP_GAP = 10
TOP = 34  # room for the legend
LABEL_CHARS = 9


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    value: int
    value_label: str
    series: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Group:
    label: str
    short_label: str
    y: float
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Legend:
    name: str
    color: str
    x: float
    text_x: float


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    unit: str
    width: int
    height: float
    label_width: int
    groups: list[Group] = field(default_factory=list)
    legend: list[Legend] = field(default_factory=list)
    max_value: int = 0

    @property
    def empty(self) -> bool:
        return not self.groups


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _format(value: int, unit: str) -> str:
    return f"{value:,}{unit}"


def bar_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    unit: str = "",
) -> BarChart:
    """A horizontal bar chart: one group per category, one bar per series in each group.

    `series` is [(name, values)], each values list as long as `categories`. Negative values are drawn as 0.
    """
    if not re.fullmatch(r"[A-Za-z][\w-]{0,60}", chart_id):
        raise ValueError("chart_id must be a simple identifier")
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    top = max([0, *(max(v, 0) for _n, values in series for v in values)])
    scale_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    per_group = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    groups: list[Group] = []
    y = float(TOP)
    for i, label in enumerate(categories):
        bars = []
        for j, (name, values) in enumerate(series):
            value = max(int(values[i]), 0)
            width = (value / top * scale_width) if top else 0.0
            bar_y = y + j * (BAR_HEIGHT + BAR_GAP)
            bars.append(
                Bar(
                    x=LABEL_WIDTH,
                    y=bar_y,
                    width=round(max(width, 1.0 if value else 0.0), 1),
                    height=BAR_HEIGHT,
                    color=PALETTE[j % len(PALETTE)],
                    value=value,
                    value_label=_format(value, unit),
                    series=name,
                    text_x=round(LABEL_WIDTH + width + 4, 1),
                    text_y=bar_y + BAR_HEIGHT - 3,
                )
            )
        groups.append(
            Group(label=label, short_label=_short(label), y=y, label_y=y + per_group / 2 + 4, bars=bars)
        )
        y += per_group + GROUP_GAP
    legend = []
    x = float(LABEL_WIDTH)
    for j, (name, _values) in enumerate(series):
        legend.append(Legend(name=name, color=PALETTE[j % len(PALETTE)], x=x, text_x=x + 16))
        x += 16 + 14 * len(name) + 24
    return BarChart(
        id=chart_id,
        title=title,
        description=description,
        unit=unit,
        width=WIDTH,
        height=max(y - GROUP_GAP + 8, TOP + 20),
        label_width=LABEL_WIDTH,
        groups=groups,
        legend=legend if len(series) > 1 else [],
        max_value=top,
    )


def render_svg(chart: BarChart) -> str:
    """The chart as a standalone SVG document."""
    return render_to_string("web/chart_bar.svg", {"chart": chart, "standalone": True})
