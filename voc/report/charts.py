"""Inline SVG charts: no script, no network, readable without colour (values as text)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = {"negative": "#c0392b", "mixed": "#e67e22", "neutral": "#95a5a6",
           "positive": "#27ae60"}
_DEFAULT = "#3b6ea5"


def bar_chart(rows: Sequence[tuple[str, float, str]], width: int = 520) -> Markup:
    """Horizontal bars: (label, value 0..100, value text) per row."""
    height = 24 * len(rows) + 4
    label_width = 170
    bar_space = width - label_width - 70
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for index, (label, value, text) in enumerate(rows):
        y = 4 + 24 * index
        length = max(0.0, min(value, 100.0)) / 100 * bar_space
        colour = PALETTE.get(str(label), _DEFAULT)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="18" '
            f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 14}">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(rows: Sequence[tuple[str, float]], width: int = 520) -> Markup:
    """One 100% bar split by share, labelled inside where there is room."""
    parts = [f'<svg class="chart" viewBox="0 0 {width} 30" width="100%" role="img" '
             f'xmlns="http://www.w3.org/2000/svg">']
    x = 0.0
    for label, share in rows:
        length = share / 100 * width
        colour = PALETTE.get(label, _DEFAULT)
        parts.append(f'<rect x="{x:.1f}" y="0" width="{length:.1f}" height="30" '
                     f'fill="{colour}"><title>{escape(label)}: {share}%</title></rect>')
        if length > 60:
            parts.append(f'<text x="{x + 5:.1f}" y="20" fill="#fff">{escape(label)} '
                         f'{share:.0f}%</text>')
        x += length
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(points: Sequence[tuple[str, float | None]], low: float, high: float,
               width: int = 520, height: int = 140) -> Markup:
    """A labelled line over periods; gaps where a value is missing."""
    if not points:
        return Markup("")
    step = (width - 60) / max(len(points) - 1, 1)
    span = (high - low) or 1.0

    def y_of(value: float) -> float:
        return height - 30 - (value - low) / span * (height - 50)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'xmlns="http://www.w3.org/2000/svg">']
    coordinates = [(30 + i * step, y_of(v)) for i, (_, v) in enumerate(points) if v is not None]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{_DEFAULT}" '
                     'stroke-width="2"/>')
    for index, (label, value) in enumerate(points):
        x = 30 + index * step
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">'
                     f'{escape(label)}</text>')
        if value is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="3" '
                         f'fill="{_DEFAULT}"/><text x="{x:.1f}" y="{y_of(value) - 8:.1f}" '
                         f'text-anchor="middle">{value:+.2f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
