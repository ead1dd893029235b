"""The server-drawn charts: grouped bars and lines, round gridline values, period labels that
never overlap, a legend, colours apart in grey, and nothing unescaped."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from flaskbank.services.analytics.catalog import Chart, Column, Kind, Report, Table
from flaskbank.warehouse.base import AsOf
from flaskbank.web.staff.chart_scale import text_width, ticks
from flaskbank.web.staff.charts import COLOURS, SIZE, WIDTH, bar_chart, chart_of, line_chart

_TEXT = re.compile(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"[^>]*class="(\S+)">([^<]*)<')


def _rows(periods: int, series: tuple[str, ...] = ("EUR", "USD")) -> list[dict[str, str | None]]:
    first = date(2025, 1, 1)
    return [
        {"day": (first + timedelta(days=i)).isoformat(), "ccy": ccy, "amount": f"{i * 1111}.25"}
        for i in range(periods)
        for ccy in series
    ]


def _labels(svg: str, role: str) -> list[tuple[float, str, str]]:
    return [
        (float(x), anchor, text) for x, anchor, kind, text in _TEXT.findall(svg) if kind == role
    ]


def test_bars_are_grouped_per_series_with_a_legend_title_and_desc() -> None:
    svg = str(bar_chart(_rows(6), x="day", y="amount", series="ccy", title="Deposits"))
    bars = re.findall(
        r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="(#\w+)"', svg
    )
    assert bars.count(COLOURS[0]) == 7 and bars.count(COLOURS[1]) == 7  # 6 bars and a swatch
    assert [text for _, _, text in _labels(svg, "legend")] == ["EUR", "USD"]
    assert "<title" in svg and "Deposits</title>" in svg and "<desc" in svg
    assert "Bar chart of 6 points from 2025-01-01 to 2025-01-06, 2 series (EUR, USD)" in svg
    assert "<script" not in svg and "style=" not in svg


@pytest.mark.parametrize(
    ("low", "high"),
    [("0", "1"), ("-12.5", "100.25"), ("0", "987654321.99"), ("1234", "1299"), ("-5", "-1")],
)
def test_gridlines_sit_at_round_values_covering_zero(low: str, high: str) -> None:
    found = ticks(Decimal(low), Decimal(high))
    step = found[1] - found[0]
    assert 2 <= len(found) <= 6
    assert step.normalize().as_tuple().digits[0] in (1, 2, 5)
    assert all(b - a == step for a, b in zip(found, found[1:], strict=False))
    assert found[0] <= min(Decimal(low), 0) and found[-1] >= max(Decimal(high), 0)
    assert all(t % step == 0 for t in found)


def test_gridline_labels_have_thousands_separators() -> None:
    svg = str(line_chart(_rows(12), x="day", y="amount", series="ccy"))
    assert [t for _, _, t in _labels(svg, "y-tick")] == ["0", "5,000", "10,000", "15,000"]


@pytest.mark.parametrize("draw", [line_chart, bar_chart])
def test_120_period_labels_are_thinned_and_never_overlap(draw) -> None:  # type: ignore[no-untyped-def]
    svg = str(draw(_rows(120), x="day", y="amount", series="ccy"))
    shown = _labels(svg, "x-tick")
    assert 5 <= len(shown) < 60 and shown[-1][2] == "2025-04-30"  # the latest period shows
    boxes = []
    for x, anchor, text in shown:
        width = text_width(text, SIZE)
        start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        boxes.append((start, start + width))
    assert all(a >= 0 and b <= WIDTH for a, b in boxes)
    assert all(right < left for (_, right), (left, _) in zip(boxes, boxes[1:], strict=False))


def test_series_colours_differ_in_grey() -> None:
    def lightness(colour: str) -> float:  # CIE L*, what a grey printer keeps of a colour
        r, g, b = ((int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        return 116 * y ** (1 / 3) - 16

    levels = sorted(lightness(c) for c in COLOURS)
    assert all(b - a > 15 for a, b in zip(levels, levels[1:], strict=False))


def test_chart_of_draws_the_kind_the_report_asks_for_and_escapes_data() -> None:
    rows = [{"day": "2025-01-31", "ccy": "<script>&", "amount": "10.00"}]
    columns = (
        Column("day", "Day", Kind.DATE),
        Column("ccy", "Currency"),
        Column("amount", "Amount"),
    )
    table = Table("t", "T", columns, rows)

    def drawn(kind: str) -> str:
        chart = Chart(kind, "day", "amount", "ccy", "Amounts")
        return str(chart_of(Report("r", "R", {}, AsOf(None, "", 0), (table,), chart)))

    assert "<rect" in drawn("bar") and "<polyline" not in drawn("bar")
    assert "<polyline" in drawn("line")
    assert "<script" not in drawn("line") and "&lt;script&gt;&amp;" in drawn("line")
