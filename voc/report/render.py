"""Render a run's report as self-contained HTML and as Markdown, from its tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voc.io.writers import atomic_write
from voc.report import charts
from voc.report.context import build_context
from voc.report.data import RunData
from voc.report.environment import environment, md_quote, pct, signed
from voc.report.stats import impact_text

__all__ = ["md_quote", "pct", "render_report", "signed", "write_report"]

Row = Mapping[str, Any]


def _chart_inputs(context: Mapping[str, Any]) -> dict[str, Any]:
    """Chart rows (label, value, text) prepared once, so templates stay declarative."""
    trend = context["trend"]
    drivers = context["drivers"]
    return {
        "charts": charts,
        "languages_bars": [(row["name"], row["share"], f"{row['count']} ({pct(row['share'], 1)})")
                           for row in context["languages"]],
        "sentiment_stack": [(row["key"], row["share"]) for row in context["sentiment_mix"]],
        "emotion_bars": [(row["key"], row["share"], pct(row["share"], 1))
                         for row in context["emotion_mix"]],
        "volume_points": [(row["period"], row["count"]) for row in trend],
        "sentiment_points": [(row["period"], row["mean_sentiment"]) for row in trend],
        "nps_points": [(row["period"], row["nps"]) for row in trend],
        "nps_band": [(row["nps_low"], row["nps_high"]) for row in trend],
        "has_trend_nps": any(row["nps"] is not None for row in trend),
        "driver_charts": [
            (group["title"], charts.interval_chart(
                [(i["label"], i["impact"], i["low"], i["high"],
                  impact_text(i["impact"], i["low"], i["high"]))
                 for i in group["items"]], label=f"{drivers['metric']} impact of "
                                                  f"{group['title'].lower()}"))
            for group in drivers["groups"]] if drivers else [],
        "stage_emotion_rows": [(row["name"], [(e["key"], e["share"]) for e in row["emotions"]])
                               for row in context["stage_emotions"]],
    }


def render_report(run: RunData, previous: RunData | None = None) -> tuple[str, str]:
    """Return (html, markdown) for a run, compared with an earlier run when given."""
    context = build_context(run, previous)
    context.update(_chart_inputs(context))
    templates = environment()
    html = templates.get_template("report.html.j2").render(**context)
    markdown = templates.get_template("report.md.j2").render(**context)
    return html, markdown


def write_report(out: Path, run: RunData, previous: RunData | None = None) -> list[str]:
    html, markdown = render_report(run, previous)
    atomic_write(out / "report.html", lambda stream: stream.write(html.encode("utf-8")))
    atomic_write(out / "report.md", lambda stream: stream.write(markdown.encode("utf-8")))
    return ["report.html", "report.md"]
