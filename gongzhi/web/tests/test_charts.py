"""The SVG bar chart module (gongzhi.web.charts): well-formed, labelled, accessible, escaped, scaled."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from gongzhi.web import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def _text(element: ET.Element | None) -> str:
    assert element is not None
    return element.text or ""


def _chart(**kw: Any) -> charts.BarChart:
    args: dict[str, Any] = {
        "title": "事项清理前后",
        "description": "每个社区清理前后的事项数",
        "categories": ["铜霞社区", "狮子山社区"],
        "series": [("清理前", [124, 41]), ("清理后", [45, 12])],
        "unit": "项",
    }
    args.update(kw)
    return charts.bar_chart("c1", **args)


def test_renders_labels_values_title_and_desc():
    svg = charts.render_svg(_chart())
    root = ET.fromstring(svg.split("?>", 1)[1])
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert _text(root.find("s:title", NS)) == "事项清理前后"
    assert _text(root.find("s:desc", NS)) == "每个社区清理前后的事项数"
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("铜霞社区") for t in texts)
    assert "124项" in texts and "45项" in texts and "12项" in texts
    assert "清理前" in texts and "清理后" in texts  # the legend
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find("s:title", NS) is not None]
    assert [_text(b.find("s:title", NS)) for b in bars][:2] == [
        "铜霞社区 · 清理前: 124项",
        "铜霞社区 · 清理后: 45项",
    ]
    assert "<script" not in svg and "style=" not in svg


def test_bars_are_proportional_and_the_largest_fills_the_scale():
    chart = _chart()
    widths = {(g.label, b.series): b.width for g in chart.groups for b in g.bars}
    full = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    assert widths[("铜霞社区", "清理前")] == full
    assert widths[("狮子山社区", "清理前")] == pytest.approx(full * 41 / 124, abs=0.1)
    assert widths[("铜霞社区", "清理后")] == pytest.approx(full * 45 / 124, abs=0.1)


def test_text_is_escaped_and_long_labels_are_shortened_with_the_full_name_kept():
    chart = _chart(categories=["<b>&</b>", "一个名字特别特别长的社区居委会"], title="a < b")
    svg = charts.render_svg(chart)
    ET.fromstring(svg.split("?>", 1)[1])  # still well-formed
    assert "<b>" not in svg and "&lt;b&gt;&amp;&lt;/b&gt;" in svg
    assert "a &lt; b" in svg
    assert "一个名字特别特别…" in svg and "<title>一个名字特别特别长的社区居委会</title>" in svg


def test_zero_and_empty_data():
    zero = _chart(series=[("清理前", [0, 0])])
    assert all(b.width == 0 for g in zero.groups for b in g.bars)
    assert zero.legend == []  # one series: no legend
    empty = charts.bar_chart("e", title="t", description="d", categories=[], series=[("a", [])])
    assert empty.empty
    assert "暂无数据" in charts.render_svg(empty)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        charts.bar_chart("x", title="t", description="d", categories=["a", "b"], series=[("s", [1])])
    with pytest.raises(ValueError):
        charts.bar_chart('x" onload="alert(1)', title="t", description="d", categories=[], series=[])
