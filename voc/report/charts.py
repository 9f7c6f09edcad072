"""Inline SVG charts: no script, no network, readable without colour (values as text).

Every chart prints its numbers next to the marks, so a grey-scale print or a colour-blind
reader loses nothing; colour only repeats what the labels say. All text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from voc.report.stats import shorten

PALETTE = {
    "negative": "#b03a2e", "mixed": "#d68910", "neutral": "#8a949e", "positive": "#1e8449",
    "anger": "#b03a2e", "disgust": "#7d3c98", "fear": "#34495e", "sadness": "#2e6da4",
    "surprise": "#d68910", "joy": "#1e8449",
}
_DEFAULT = "#3b6ea5"
_LABEL_CHARS = 30


def _svg(width: int, height: int, label: str) -> str:
    # The box scrolls sideways on a phone instead of shrinking the labels out of reading size.
    return (f'<div class="chart-box"><svg class="chart" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">')


def bar_chart(rows: Sequence[tuple[str, float, str]], width: int = 560,
              label: str = "bar chart") -> Markup:
    """Horizontal bars: (label, value 0..100, value text) per row."""
    if not rows:
        return Markup("")
    height = 24 * len(rows) + 4
    label_width = 190
    bar_space = width - label_width - 90
    parts = [_svg(width, height, label)]
    for index, (name, value, text) in enumerate(rows):
        y = 4 + 24 * index
        length = max(0.0, min(value, 100.0)) / 100 * bar_space
        colour = PALETTE.get(str(name), _DEFAULT)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">'
            f'{escape(shorten(name, _LABEL_CHARS))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="18" '
            f'fill="{colour}"><title>{escape(name)}: {escape(text)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 14}">{escape(text)}</text>')
    parts.append("</svg></div>")
    return Markup("".join(parts))


def stacked_bar(rows: Sequence[tuple[str, float]], width: int = 560, height: int = 28,
                label: str = "shares") -> Markup:
    """One 100% bar split by share (percent), labelled inside where there is room."""
    if not rows:
        return Markup("")
    parts = [_svg(width, height, label)]
    x = 0.0
    for name, share in rows:
        length = share / 100 * width
        colour = PALETTE.get(name, _DEFAULT)
        parts.append(f'<rect x="{x:.1f}" y="0" width="{length:.1f}" height="{height}" '
                     f'fill="{colour}"><title>{escape(name)}: {share:.0f}%</title></rect>')
        text = f"{name} {share:.0f}%" if length > 8 * len(name) + 30 else (
            f"{share:.0f}%" if length > 30 else "")
        if text:
            parts.append(f'<text x="{x + 5:.1f}" y="{height / 2 + 5:.1f}" class="on-dark">'
                         f'{escape(text)}</text>')
        x += length
    parts.append("</svg></div>")
    return Markup("".join(parts))


def stacked_rows(rows: Sequence[tuple[str, Sequence[tuple[str, float]]]], width: int = 640,
                 label: str = "shares per group") -> Markup:
    """One 100% bar per group (label, [(key, percent)]), keys named inside the bars."""
    if not rows:
        return Markup("")
    label_width, row_height = 200, 30
    bar_space = width - label_width
    parts = [_svg(width, row_height * len(rows) + 4, label)]
    for index, (name, shares) in enumerate(rows):
        y = 2 + row_height * index
        parts.append(f'<text x="{label_width - 6}" y="{y + 18}" text-anchor="end">'
                     f'{escape(shorten(name, 30))}</text>')
        x = float(label_width)
        for key, share in shares:
            length = share / 100 * bar_space
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="24" '
                         f'fill="{PALETTE.get(key, _DEFAULT)}"><title>{escape(name)}, '
                         f'{escape(key)}: {share:.0f}%</title></rect>')
            text = (f"{key} {share:.0f}%" if length > 7 * len(key) + 34
                    else f"{share:.0f}" if length > 22 else "")
            if text:
                parts.append(f'<text x="{x + 4:.1f}" y="{y + 17}" class="on-dark">'
                             f'{escape(text)}</text>')
            x += length
    parts.append("</svg></div>")
    return Markup("".join(parts))


def interval_chart(rows: Sequence[tuple[str, float, float | None, float | None, str]],
                   width: int = 640, label: str = "impact with 95% intervals") -> Markup:
    """Bars from zero with 95% interval whiskers: (label, value, low, high, text)."""
    if not rows:
        return Markup("")
    label_width, text_width, row_height = 210, 150, 26
    values = [v for _, value, low, high, _ in rows for v in (value, low, high) if v is not None]
    low_end, high_end = min(0.0, *values), max(0.0, *values)
    span = (high_end - low_end) or 1.0
    plot = width - label_width - text_width

    def x_of(value: float) -> float:
        return label_width + (value - low_end) / span * plot

    height = row_height * len(rows) + 24
    parts = [_svg(width, height, label),
             f'<line x1="{x_of(0):.1f}" y1="0" x2="{x_of(0):.1f}" y2="{height - 18}" '
             'stroke="#5b6673" stroke-dasharray="3,3"/>',
             f'<text x="{x_of(0):.1f}" y="{height - 4}" text-anchor="middle" '
             'class="muted">0</text>']
    for index, (name, value, low, high, text) in enumerate(rows):
        y = 4 + row_height * index
        start, end = sorted((x_of(0), x_of(value)))
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">'
            f'{escape(shorten(name, _LABEL_CHARS))}</text>'
            f'<rect x="{start:.1f}" y="{y + 2}" width="{max(end - start, 1):.1f}" height="14" '
            f'fill="{_DEFAULT}" opacity="0.8"><title>{escape(name)}: {escape(text)}</title>'
            '</rect>')
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{x_of(low):.1f}" y1="{y + 9}" x2="{x_of(high):.1f}" y2="{y + 9}" '
                'stroke="#1d2530" stroke-width="1.5"/>'
                f'<line x1="{x_of(low):.1f}" y1="{y + 3}" x2="{x_of(low):.1f}" y2="{y + 15}" '
                'stroke="#1d2530"/>'
                f'<line x1="{x_of(high):.1f}" y1="{y + 3}" x2="{x_of(high):.1f}" '
                f'y2="{y + 15}" stroke="#1d2530"/>')
        parts.append(f'<text x="{width - text_width + 8}" y="{y + 14}">{escape(text)}</text>')
    parts.append("</svg></div>")
    return Markup("".join(parts))


def line_chart(points: Sequence[tuple[str, float | None]], low: float, high: float,
               value_format: str = "{:+.2f}", width: int = 560, height: int = 150,
               band: Sequence[tuple[float | None, float | None]] | None = None,
               label: str = "trend") -> Markup:
    """A labelled line over periods; gaps where a value is missing; optional interval band."""
    if not points:
        return Markup("")
    step = (width - 80) / max(len(points) - 1, 1)
    span = (high - low) or 1.0

    def y_of(value: float) -> float:
        clipped = min(max(value, low), high)
        return height - 30 - (clipped - low) / span * (height - 55)

    parts = [_svg(width, height, label)]
    if band:
        upper = [(40 + i * step, y_of(h)) for i, (lo, h) in enumerate(band)
                 if lo is not None and h is not None]
        lower = [(40 + i * step, y_of(lo)) for i, (lo, h) in enumerate(band)
                 if lo is not None and h is not None]
        if len(upper) > 1:
            outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in [*upper, *reversed(lower)])
            parts.append(f'<polygon points="{outline}" fill="{_DEFAULT}" opacity="0.15">'
                         '<title>95% interval</title></polygon>')
    if low < 0 < high:
        parts.append(f'<line x1="30" y1="{y_of(0):.1f}" x2="{width - 30}" y2="{y_of(0):.1f}" '
                     'stroke="#c5ccd4" stroke-dasharray="3,3"/>')
    coordinates = [(40 + i * step, y_of(v)) for i, (_, v) in enumerate(points) if v is not None]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{_DEFAULT}" '
                     'stroke-width="2"/>')
    every = max(1, len(points) // 8)
    for index, (name, value) in enumerate(points):
        x = 40 + index * step
        if index % every == 0 or index == len(points) - 1:
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">'
                         f'{escape(name)}</text>')
        if value is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="3" '
                         f'fill="{_DEFAULT}"/><text x="{x:.1f}" y="{y_of(value) - 8:.1f}" '
                         f'text-anchor="middle">{escape(value_format.format(value))}</text>')
    parts.append("</svg></div>")
    return Markup("".join(parts))


def column_chart(points: Sequence[tuple[str, int]], width: int = 560, height: int = 150,
                 label: str = "volume") -> Markup:
    """Vertical bars with their counts on top: volume per period."""
    if not points:
        return Markup("")
    top = max(count for _, count in points) or 1
    slot = (width - 20) / len(points)
    bar = min(48.0, slot * 0.7)
    every = max(1, len(points) // 8)
    parts = [_svg(width, height, label)]
    for index, (name, count) in enumerate(points):
        x = 10 + index * slot + (slot - bar) / 2
        length = count / top * (height - 50)
        y = height - 25 - length
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{length:.1f}" '
                     f'fill="{_DEFAULT}" opacity="0.8"><title>{escape(name)}: {count}</title>'
                     f'</rect><text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" '
                     f'text-anchor="middle">{count}</text>')
        if index % every == 0 or index == len(points) - 1:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" '
                         f'text-anchor="middle">{escape(name)}</text>')
    parts.append("</svg></div>")
    return Markup("".join(parts))


def sparkline(values: Sequence[float | None], caption: str, width: int = 120,
              height: int = 28) -> Markup:
    """A tiny trend line for a table cell; the caption says the change in words."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return Markup(f'<span class="muted">{escape(caption)}</span>')
    top = max(v for _, v in known) or 1.0
    step = (width - 8) / max(len(values) - 1, 1)
    path = " ".join(f"{4 + i * step:.1f},{height - 4 - v / top * (height - 8):.1f}"
                    for i, v in known)
    last_x, last_v = 4 + known[-1][0] * step, known[-1][1]
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">'
        f'<polyline points="{path}" fill="none" stroke="{_DEFAULT}" stroke-width="1.5"/>'
        f'<circle cx="{last_x:.1f}" cy="{height - 4 - last_v / top * (height - 8):.1f}" r="2.5" '
        f'fill="{_DEFAULT}"/><title>{escape(caption)}</title></svg>'
        f' <span class="muted">{escape(caption)}</span>')


def heat_style(value: float, top: float) -> str:
    """Cell shading for the journey heatmap; the cell prints its numbers as well."""
    alpha = 0.06 + 0.84 * (value / top if top else 0.0)
    ink = "#fff" if alpha > 0.5 else "#1d2530"
    return f"background: rgba(176, 58, 46, {alpha:.2f}); color: {ink}"
