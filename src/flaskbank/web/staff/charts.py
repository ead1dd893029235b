"""Charts drawn on the server as SVG, so that pages need no script (the CSP allows none
inline): a line per series, the axis ranges labelled, every value escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 260, 96, 16, 16, 40
#: Colours that tell series apart also in grey print.
COLOURS = ("#1f4e79", "#c0504d", "#4f7f3a", "#7f6000")


def line_chart(
    rows: Sequence[Mapping[str, str | None]], *, x: str, y: str, series: str | None
) -> Markup | None:
    """An SVG line chart of rows[y] (decimal text) against rows[x], one line per value of
    rows[series]; None when there is nothing to draw."""
    points: dict[str, list[tuple[str, Decimal]]] = {}
    for row in rows:
        value = row.get(y)
        if value is not None:
            points.setdefault(str(row.get(series)) if series else y, []).append(
                (str(row.get(x)), Decimal(value))
            )
    labels = sorted({label for line in points.values() for label, _ in line})
    if not labels:
        return None
    values = [v for line in points.values() for _, v in line]
    low, high = min(min(values), Decimal(0)), max(values)
    span = (high - low) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def at(label: str, value: Decimal) -> str:
        px = LEFT + labels.index(label) * step
        py = TOP + plot_h - float((value - low) / span) * plot_h
        return f"{px:.1f},{py:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' class="chart" aria-label="{escape(y)} by {escape(x)}">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"'
        ' stroke="#888" />',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888" />',
        _text(LEFT - 6, TOP + 4, f"{high:,}", "end"),
        _text(LEFT - 6, TOP + plot_h, f"{low:,}", "end"),
        _text(LEFT, HEIGHT - 16, labels[0], "start"),
        _text(WIDTH - RIGHT, HEIGHT - 16, labels[-1], "end"),
    ]
    for i, (name, line) in enumerate(sorted(points.items())):
        colour = COLOURS[i % len(COLOURS)]
        drawn = " ".join(at(label, value) for label, value in line)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{drawn}" />'
        )
        parts.append(_text(WIDTH - RIGHT, TOP + 14 * (i + 1), name, "end", colour))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape)


def _text(x: float, y: float, text: str, anchor: str, colour: str = "#333") -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="12" text-anchor="{anchor}" fill="{colour}">'
        f"{escape(text)}</text>"
    )
