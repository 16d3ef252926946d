"""Charts as SVG written on the server: bars and lines whose labels are real <text> elements, so the
browser and WeasyPrint lay them out and shape Khmer through HarfBuzz (matplotlib draws glyphs
itself and breaks Khmer clusters). No script, no style attribute (the Content-Security-Policy
allows neither inline): colours and fonts are presentation attributes.

Every chart compares the period shown with the one before it: the current period solid and dark,
the previous one pale (and dashed for lines), named in a legend. A value may be shown as text other
than its number ("<5" in a table for publication): its bar is then not drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "'Khmer OS System', 'Khmer OS', 'Noto Sans Khmer', 'DejaVu Sans', sans-serif"
CURRENT = "#1f5fa8"
PREVIOUS = "#a9c1e0"
INK = "#222222"
MUTED = "#666666"
GRID = "#dddddd"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    shown: Sequence[str] | None = None  # text in place of each number (suppressed values)

    def text(self, index: int) -> str:
        return self.shown[index] if self.shown is not None else f"{self.values[index]:,}"

    def drawn(self, index: int) -> bool:
        return self.shown is None or self.shown[index].replace(",", "").isdigit()


def _text(x: float, y: float, body: str, *, size: int = 13, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(body)}</text>"
    )


def _frame(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every piece of text went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{FONT}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _legend(series: Sequence[Series], y: float, x: float = 0) -> list[str]:
    out = []
    for s, colour in zip(series, (CURRENT, PREVIOUS), strict=False):
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" fill="{colour}"/>')
        out.append(_text(x + 20, y, s.name, size=12, fill=MUTED))
        x += 30 + 8 * max(len(s.name), 6)
    return out


def _scale(series: Sequence[Series]) -> int:
    top = max((v for s in series for i, v in enumerate(s.values) if s.drawn(i)), default=0)
    return max(top, 1)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, label_width: int = 260
) -> SafeString:
    """Horizontal bars, one group per label (labels of any length and script read well this way)."""
    width, row, bar = 720, 36, 13
    top_margin = 30
    height = top_margin + row * max(len(labels), 1) + 6
    plot = width - label_width - 70
    peak = _scale(series)
    body = _legend(series, 16, label_width)
    for i, label in enumerate(labels):
        y0 = top_margin + i * row
        body.append(_text(label_width - 8, y0 + row / 2 + 4, label, anchor="end"))
        for k, (s, colour) in enumerate(zip(series, (CURRENT, PREVIOUS), strict=False)):
            y = y0 + 4 + k * (bar + 2)
            length = plot * s.values[i] / peak if s.drawn(i) else 0
            if length:
                body.append(
                    f'<rect x="{label_width}" y="{y:.1f}" width="{max(length, 1):.1f}" '
                    f'height="{bar}" fill="{colour}"/>'
                )
            body.append(
                _text(
                    label_width + length + 5, y + bar - 2, s.text(i), size=11, fill=INK if k == 0 else MUTED
                )
            )
    if not labels:
        body.append(_text(label_width, top_margin + 20, "—", fill=MUTED))
    return _frame(width, height, title, body)


def _axis(peak: int) -> tuple[int, list[int]]:
    """A round top for the value axis and its gridlines."""
    steps = (1, 2, 5)
    magnitude = 1
    while True:
        for s in steps:
            step = s * magnitude
            if peak <= step * 4:
                return step * 4, [step * n for n in range(5)]
        magnitude *= 10


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Lines over time: the current period's points against the previous period's, point by point
    (the n-th day, week or month of each)."""
    width, height = 720, 260
    left, right, top, bottom = 56, 16, 30, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    ceiling, ticks = _axis(_scale(series))
    n = max(len(labels), 1)
    body = _legend(series, 16, left)

    def x_of(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y_of(v: int) -> float:
        return top + plot_h - plot_h * v / ceiling

    for t in ticks:
        y = y_of(t)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{t:,}", size=11, anchor="end", fill=MUTED))
    every = max(1, -(-len(labels) // 12))  # at most about twelve labels under the axis
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(_text(x_of(i), height - bottom + 18, label, size=11, anchor="middle", fill=MUTED))
    for k, (s, colour) in enumerate(reversed(list(zip(series, (CURRENT, PREVIOUS), strict=False)))):
        index = len(series) - 1 - k
        dash = ' stroke-dasharray="5 4"' if index else ""
        points = [(x_of(i), y_of(v)) for i, v in enumerate(s.values[: len(labels)]) if s.drawn(i)]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
            if len(points) <= 40:
                body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
    return _frame(width, height, title, body)


def column_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Vertical bars side by side (hours of the day: few, short labels)."""
    width, height = 720, 240
    left, right, top, bottom = 56, 10, 30, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    ceiling, ticks = _axis(_scale(series))
    n = max(len(labels), 1)
    slot = plot_w / n
    bar = max(2.0, (slot - 4) / max(len(series), 1))
    body = _legend(series, 16, left)
    for t in ticks:
        y = top + plot_h - plot_h * t / ceiling
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{t:,}", size=11, anchor="end", fill=MUTED))
    for i, label in enumerate(labels):
        x0 = left + i * slot + 2
        for k, (s, colour) in enumerate(zip(series, (CURRENT, PREVIOUS), strict=False)):
            if not s.drawn(i):
                continue
            h = plot_h * s.values[i] / ceiling
            body.append(
                f'<rect x="{x0 + k * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        body.append(
            _text(x0 + slot / 2 - 2, height - bottom + 16, label, size=10, anchor="middle", fill=MUTED)
        )
    return _frame(width, height, title, body)
