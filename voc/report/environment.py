"""The report's Jinja environment: its templates and the filters that turn the context's
numbers into text. The context (voc.report.context) keeps numbers; these filters, the
report templates and the sentence macros (templates/sentences.j2) are the only places a
number becomes a string (issue 18)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from voc.report.stats import impact_text, isolate, kpi_interval, kpi_text

# Characters that start Markdown markup mid-line; `&<>` become entities first, and line
# breaks are folded, so nothing can start a heading, list or quote either.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def md_quote(text: str) -> str:
    """Feedback as one inert Markdown line: no markup, no HTML, no line breaks."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def pct(value: float | None, digits: int = 0) -> str:
    """A percentage (0..100) as printed, "—" where not measured."""
    return "—" if value is None else f"{value:.{digits}f}%"


def signed(value: float | None, digits: int = 1) -> str:
    """A change or impact with its sign, "—" where not measured."""
    return "—" if value is None else f"{value:+.{digits}f}"


@cache
def environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("voc.report", "templates"),
        # Every piece of feedback is untrusted: HTML output escapes everything by default.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md_quote"] = md_quote
    # Numbers stay numbers in the context; these make them text, here only (issue 18).
    environment.filters["pct"] = pct
    environment.filters["signed"] = signed
    environment.filters["kpi"] = lambda value, name: kpi_text(name, value)
    environment.filters["kpi_interval"] = lambda kpi: kpi_interval(
        kpi["name"], kpi.get("low"), kpi.get("high"))
    environment.filters["impact"] = lambda item: impact_text(
        item["impact"], item.get("low"), item.get("high"))
    environment.filters["isolate"] = isolate
    return environment


def sentences() -> Any:
    """The sentence macros (templates/sentences.j2), called from Python with numbers:
    `sentences().journey(hottest)` returns the line."""
    return environment().get_template("sentences.j2").module
