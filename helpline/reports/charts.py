"""Charts as SVG written on the server: bars and lines whose labels are real <text> elements, so the
browser and WeasyPrint lay them out and shape Khmer through HarfBuzz (matplotlib draws glyphs
itself and breaks Khmer clusters). No script, no style attribute (the Content-Security-Policy
allows neither inline): colours and fonts are presentation attributes.

Every chart compares the period shown with the one before it: the current period solid and dark,
the previous one pale (and dashed for lines), named in a legend. A value may be shown as text other
than its number ("<5" in a table for publication): its bar is then not drawn."""

from __future__ import annotations

import re
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
        """A value shown as a number (a count, or an average such as 3.25) is drawn; "<5", "x"
        and "—" are not."""
        return self.shown is None or re.fullmatch(r"[\d,]+(\.\d+)?", self.shown[index]) is not None


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline, as in SVG
    body: str
    size: int = 13
    anchor: str = "start"  # start | middle | end
    fill: str = INK

    def svg(self) -> str:
        return (
            f'<text x="{self.x:.1f}" y="{self.y:.1f}" font-size="{self.size}" text-anchor="{self.anchor}" '
            f'fill="{self.fill}">{escape(self.body)}</text>'
        )

    def html(self, width: int) -> str:
        """The label as an HTML box over the drawing, placed where the SVG text would be."""
        top = self.y - self.size * 1.05
        place = {
            "start": f"left:{self.x:.1f}px",
            "end": f"right:{width - self.x:.1f}px",
            "middle": f"left:{self.x - 60:.1f}px;width:120px;text-align:center",
        }[self.anchor]
        return (
            f'<span class="chart-label" style="position:absolute;{place};top:{top:.1f}px;'
            f"font-size:{self.size}px;line-height:{self.size * 1.3:.1f}px;color:{self.fill};"
            f'white-space:nowrap">{escape(self.body)}</span>'
        )


Part = str | Text


@dataclass(frozen=True)
class Chart:
    """A drawing and its labels. `svg()` for the browser: one SVG whose labels are real <text> the
    browser shapes. `overlay()` for WeasyPrint, which lays SVG text out letter by letter (Khmer
    clusters come apart, seen on a rendered page): the same drawing without its text, the labels
    as HTML boxes placed over it, which Pango shapes as it does the rest of the page."""

    width: int
    height: int
    title: str
    parts: tuple[Part, ...]

    def _open(self) -> str:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" height="{self.height}" '
            f'font-family="{FONT}"><title>{escape(self.title)}</title>'
        )

    def svg(self) -> SafeString:
        body = "".join(p.svg() if isinstance(p, Text) else p for p in self.parts)
        return mark_safe(self._open() + body + "</svg>")  # noqa: S308  # nosec B308 B703 (texts escaped)

    def overlay(self) -> SafeString:
        shapes = "".join(p for p in self.parts if isinstance(p, str))
        labels = "".join(p.html(self.width) for p in self.parts if isinstance(p, Text))
        return mark_safe(  # noqa: S308  # nosec B308 B703 (every text went through escape())
            f'<div class="chart-frame" style="position:relative;width:{self.width}px;'
            f'height:{self.height}px">' + self._open() + shapes + "</svg>" + labels + "</div>"
        )

    def __str__(self) -> str:
        return str(self.svg())

    def __html__(self) -> str:
        return str(self.svg())


def _text(x: float, y: float, body: str, *, size: int = 13, anchor: str = "start", fill: str = INK) -> Text:
    return Text(x, y, body, size, anchor, fill)


def _frame(width: int, height: int, title: str, body: list[Part]) -> Chart:
    return Chart(width, height, title, tuple(body))


def _legend(series: Sequence[Series], y: float, x: float = 0) -> list[Part]:
    out: list[Part] = []
    for s, colour in zip(series, (CURRENT, PREVIOUS), strict=False):
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" fill="{colour}"/>')
        out.append(_text(x + 20, y, s.name, size=12, fill=MUTED))
        x += 30 + 8 * max(len(s.name), 6)
    return out


def _combining(ch: str) -> bool:
    """A Khmer vowel sign, sign or subscript (coeng and what follows it is counted once)."""
    return "\u17b6" <= ch <= "\u17d3" or ch == "\u17dd"


def _scale(series: Sequence[Series]) -> int:
    top = max((v for s in series for i, v in enumerate(s.values) if s.drawn(i)), default=0)
    return max(top, 1)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, label_width: int | None = None
) -> Chart:
    """Horizontal bars, one group per label (labels of any length and script read well this way)."""
    width, row, bar = 700, 36, 13
    top_margin = 30
    height = top_margin + row * max(len(labels), 1) + 6
    if label_width is None:
        # Room for the longest label, roughly (a Khmer cluster's marks take little room), within bounds.
        longest = max((sum(1 for ch in label if not _combining(ch)) for label in labels), default=0)
        label_width = min(max(120, 11 * longest + 20), 390)
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


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Chart:
    """Lines over time: the current period's points against the previous period's, point by point
    (the n-th day, week or month of each)."""
    width, height = 700, 260
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


def column_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Chart:
    """Vertical bars side by side (hours of the day: few, short labels)."""
    width, height = 700, 240
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
