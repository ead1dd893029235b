"""Charts drawn on the server as SVG, so that pages need no script (the CSP allows none
inline), and the PDF export prints the very same drawing: a line or a group of bars per
series, light gridlines at round values, thinned period labels, a legend, and a <title> and
<desc> for screen readers. Every text is escaped; styling is in attributes, not CSS, so that
the drawing looks the same wherever it is shown."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from ...services.analytics.catalog import Report
from .chart_scale import text_width, thinned, tick_label, ticks

WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM = 720, 280, 84, 36, 30
SIZE = 11  # font size of every label
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK, MUTED, GRID, ZERO = "#1b1f24", "#5b6470", "#e3e7ec", "#8a94a0"
#: Series colours whose grey levels differ (61, 199, 105, 150 of 255), so that series stay
#: apart in grey print; lines are also dashed differently.
COLOURS = ("#1f3b63", "#e9c46a", "#c0392b", "#6c9bd2")
DASHES = ("", "7 4", "2 3", "10 3 2 3")

Rows = Sequence[Mapping[str, str | None]]


@dataclass(frozen=True)
class _Data:
    labels: list[str]  # x values, in the rows' order
    series: dict[str, dict[str, Decimal]]  # series name -> x value -> y value


def _collect(rows: Rows, x: str, y: str, series: str | None, name: str) -> _Data | None:
    labels: dict[str, None] = {}
    found: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        value, label = row.get(y), str(row.get(x))
        labels.setdefault(label)
        if value is not None:
            found.setdefault(str(row.get(series)) if series else name or y, {})[label] = Decimal(
                value
            )
    return _Data(list(labels), found) if found else None


def line_chart(
    rows: Rows, *, x: str, y: str, series: str | None, title: str = "", name: str = ""
) -> Markup | None:
    """A line per value of rows[series] of rows[y] (decimal text) against rows[x]; None when
    there is nothing to draw. `name` labels the one line when there are no series."""
    data = _collect(rows, x, y, series, name)
    if data is None:
        return None
    parts, at_x, at_y, _ = _frame(data, "Line", title or f"{y} by {x}", swatch=_line_swatch)
    for i, (name, points) in enumerate(data.series.items()):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        drawn = " ".join(
            f"{at_x(data.labels.index(k)):.1f},{at_y(v):.1f}" for k, v in points.items()
        )
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2.2"{dashed}'
            f' stroke-linejoin="round" points="{drawn}"><title>{escape(name)}</title></polyline>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text went through escape)


def bar_chart(
    rows: Rows, *, x: str, y: str, series: str | None, title: str = "", name: str = ""
) -> Markup | None:
    """Bars of rows[y] against rows[x], grouped side by side per value of rows[series]."""
    data = _collect(rows, x, y, series, name)
    if data is None:
        return None
    parts, at_x, at_y, band = _frame(data, "Bar", title or f"{y} by {x}", swatch=_bar_swatch)
    width = band * 0.8 / len(data.series)
    base = at_y(Decimal(0))
    for i, (name, points) in enumerate(data.series.items()):
        colour = COLOURS[i % len(COLOURS)]
        for label, value in points.items():
            left = at_x(data.labels.index(label)) - band * 0.4 + i * width
            top, bottom = sorted((at_y(value), base))
            parts.append(
                f'<rect x="{left:.2f}" y="{top:.1f}" width="{max(width - 0.6, 0.4):.2f}"'
                f' height="{max(bottom - top, 0.5):.1f}" fill="{colour}" stroke="{INK}"'
                f' stroke-width="0.3"><title>{escape(name)} {escape(label)}: {value:,}</title>'
                "</rect>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text went through escape)


def chart_of(report: Report) -> Markup | None:
    """The report's chart, drawn from the table it names (its first by default), or None."""
    drawn = report.chart
    if drawn is None or not report.tables:
        return None
    table = next((t for t in report.tables if t.name == drawn.table), report.tables[0])
    titles = {c.name: c.title for c in table.columns}
    draw = bar_chart if drawn.kind == "bar" else line_chart
    return draw(
        table.rows,
        x=drawn.x,
        y=drawn.y,
        series=drawn.series,
        name=titles.get(drawn.y, drawn.y),
        title=drawn.caption or f"{titles.get(drawn.y, drawn.y)} by {titles.get(drawn.x, drawn.x)}",
    )


Swatch = Callable[[float, float, int], str]


def _frame(
    data: _Data, kind: str, title: str, *, swatch: Swatch
) -> tuple[list[str], Callable[[int], float], Callable[[Decimal], float], float]:
    """The chart's opening: <svg>, <title>, <desc>, the legend, gridlines with their values
    and the x labels. Returns the parts and where an x index and a value land."""
    values = [v for points in data.series.values() for v in points.values()]
    scale = ticks(min(values), max(values))
    legend, top = _legend(list(data.series), swatch)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - top - BOTTOM
    band = plot_w / len(data.labels)
    low, span = scale[0], (scale[-1] - scale[0])

    def at_x(index: int) -> float:
        return LEFT + band * (index + 0.5)

    def at_y(value: Decimal) -> float:
        return top + plot_h - float((value - low) / span) * plot_h

    ident = f"chart-{zlib.crc32((title + kind + ''.join(data.labels)).encode()):08x}"
    first, last = data.labels[0], data.labels[-1]
    desc = (
        f"{kind} chart of {len(data.labels)} points from {first} to {last}, "
        f"{len(data.series)} series ({', '.join(data.series)}); values from "
        f"{min(values):,} to {max(values):,}."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" class="chart"'
        f' aria-labelledby="{ident}-t {ident}-d" font-family="{FONT}" font-size="{SIZE}">',
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>',
    ]
    step = scale[1] - scale[0]
    for tick in scale:
        py = at_y(tick)
        colour, width = (ZERO, 1) if tick == 0 else (GRID, 1)
        parts.append(
            f'<line x1="{LEFT}" y1="{py:.1f}" x2="{WIDTH - RIGHT}" y2="{py:.1f}"'
            f' stroke="{colour}" stroke-width="{width}" />'
        )
        parts.append(_text(LEFT - 8, py + 4, tick_label(tick, step), "end", "y-tick"))
    centres = [at_x(i) for i in range(len(data.labels))]
    for px, anchor, label in thinned(centres, data.labels, SIZE, 2, WIDTH - 2):
        parts.append(_text(px, HEIGHT - BOTTOM + 18, label, anchor, "x-tick"))
    parts.extend(legend)
    return parts, at_x, at_y, band


def _legend(names: list[str], swatch: Swatch) -> tuple[list[str], float]:
    """The legend's parts, right-aligned above the plot in as many rows as it needs, and the
    top of the plot below it."""
    rows: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for i, name in enumerate(names):
        width = 18 + text_width(name, SIZE) + 14
        if rows[-1] and used + width > WIDTH - LEFT - RIGHT:
            rows.append([])
            used = 0.0
        rows[-1].append((i, name, width))
        used += width
    parts = []
    for r, row in enumerate(rows):
        px = WIDTH - RIGHT - sum(w for _, _, w in row) + 14
        py = 14 + 18 * r
        for i, name, width in row:
            parts.append(swatch(px, py, i))
            parts.append(_text(px + 18, py + 4, name, "start", "legend", INK))
            px += width
    return parts, 14 + 18 * len(rows) + 6


def _line_swatch(x: float, y: float, i: int) -> str:
    dash = DASHES[i % len(DASHES)]
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 14:.1f}" y2="{y:.1f}"'
        f' stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2.2"{dashed} />'
    )


def _bar_swatch(x: float, y: float, i: int) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="12" height="10"'
        f' fill="{COLOURS[i % len(COLOURS)]}" stroke="{INK}" stroke-width="0.3" />'
    )


def _text(x: float, y: float, text: str, anchor: str, role: str, colour: str = MUTED) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}"'
        f' class="{role}">{escape(text)}</text>'
    )
