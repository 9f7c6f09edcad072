"""Render a run's report as self-contained HTML and as Markdown, from its tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from voc.io.writers import atomic_write
from voc.report import charts
from voc.report.context import build_context, compare_runs
from voc.report.data import RunData

Row = Mapping[str, Any]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")


def md_quote(text: str) -> str:
    """Feedback as one inert Markdown line: no markup, no HTML, no line breaks."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("voc.report", "templates"),
        # Every piece of feedback is untrusted: HTML output escapes everything by default.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md_quote"] = md_quote
    return environment


def _chart_inputs(context: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "charts": charts,
        "languages_bars": [(row["name"], row["share"], f"{row['count']} ({row['share']}%)")
                           for row in context["languages"]],
        "sentiment_stack": [(row["key"], row["share"]) for row in context["sentiment_mix"]],
        "emotion_bars": [(row["key"], row["share"], f"{row['share']}%")
                         for row in context["emotion_mix"]],
        "trend_points": [(row["period"], row["mean_sentiment"]) for row in context["trend"]],
        "model_card_metrics": None,
    }


def render_report(run: RunData, previous: RunData | None = None) -> tuple[str, str]:
    """Return (html, markdown) for a run, compared with an earlier run when given."""
    context = build_context(run.records, run.segments, run.manifest)
    if previous is not None:
        context["changes"] = compare_runs(
            context, build_context(previous.records, previous.segments, previous.manifest))
    context.update(_chart_inputs(context))
    environment = _environment()
    html = environment.get_template("report.html.j2").render(**context)
    markdown = environment.get_template("report.md.j2").render(**context)
    return html, markdown


def write_report(out: Path, run: RunData, previous: RunData | None = None) -> list[str]:
    html, markdown = render_report(run, previous)
    atomic_write(out / "report.html", lambda stream: stream.write(html.encode("utf-8")))
    atomic_write(out / "report.md", lambda stream: stream.write(markdown.encode("utf-8")))
    return ["report.html", "report.md"]
