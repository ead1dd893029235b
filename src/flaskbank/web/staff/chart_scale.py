"""The arithmetic behind the charts, apart from drawing: round tick values in 1-2-5 steps,
their labels with thousands separators, and which x labels fit side by side. Values are
Decimal (amounts arrive as text and never become floats); only pixel positions are floats."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

#: The width of one character at a given font size, generous for digits and dashes in a
#: sans-serif face, so that labels judged not to overlap really do not.
CHAR_WIDTH = 0.62


def ticks(low: Decimal, high: Decimal, most: int = 6) -> list[Decimal]:
    """At most `most` round values (steps of 1, 2 or 5 times a power of ten) that cover
    low..high and zero, from the lowest up."""
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        high = low + 1
    exponent = ((high - low) / most).adjusted()
    while True:
        for unit in (1, 2, 5):
            step = Decimal(unit).scaleb(exponent)
            first = (low / step).to_integral_value(ROUND_FLOOR)
            last = (high / step).to_integral_value(ROUND_CEILING)
            if last - first + 1 <= most:
                return [(first + i) * step for i in range(int(last - first) + 1)]
        exponent += 1


def tick_label(value: Decimal, step: Decimal) -> str:
    """`value` with thousands separators and as many decimals as the step needs."""
    places = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{value:,.{places}f}"


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def thinned(
    centres: Sequence[float], labels: Sequence[str], size: float, left: float, right: float
) -> list[tuple[float, str, str]]:
    """(x, anchor, label) for the labels to show under the points at `centres`, so that no two
    overlap and none leaves left..right: every k-th label, k the smallest stride that leaves
    room, counted back from the last (the latest period is the one readers look for)."""
    if not labels:
        return []
    gap = size
    widest = max(text_width(label, size) for label in labels)
    slot = (centres[-1] - centres[0]) / (len(centres) - 1) if len(centres) > 1 else widest
    stride = max(1, int(-(-(widest + gap) // slot)))
    shown: list[tuple[float, str, str]] = []
    edge = right  # the left end of the label placed last, walking leftwards
    for i in range(len(labels) - 1, -1, -stride):
        width = text_width(labels[i], size)
        x, anchor = centres[i], "middle"
        if x + width / 2 > right:
            x, anchor = right, "end"
        elif x - width / 2 < left:
            x, anchor = left, "start"
        start = {"middle": x - width / 2, "end": x - width, "start": x}[anchor]
        if start + width + (gap if shown else 0) > edge or start < left:
            continue
        shown.append((x, anchor, labels[i]))
        edge = start
    return shown[::-1]
