"""Small pure helpers the report sections share: shares of a file's counts, the KPI and
impact wording the template filters use (voc.report.environment), quotes' language."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from voc.language.script import first_persian_script

Row = Mapping[str, Any]
UNASSIGNED = ("unassigned", "", None)
_LATIN = re.compile(r"[A-Za-z]")


def count_table(found: Mapping[Any, int], order: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Counts as a run's file gives them (value -> count) with their percentages, in
    `order` first, then by count (ties in the given order); zero counts left out."""
    counts = Counter({k: int(v) for k, v in found.items() if k is not None and v})
    total = sum(counts.values())
    keys = [k for k in order if k in counts] + [
        k for k, _ in counts.most_common() if k not in order]
    return [{"key": k, "count": counts[k], "share": round(100 * counts[k] / total, 1)}
            for k in keys] if total else []


def kpi_text(name: str, value: float | None) -> str:
    """A KPI as people read it: NPS signed points, CSAT percent, CES two decimals."""
    if value is None:
        return "—"
    if name == "nps":
        return f"{value:+.0f}"
    if name == "csat":
        return f"{value:.0f}%"
    return f"{value:.2f}"


def kpi_interval(name: str, low: float | None, high: float | None) -> str:
    """A KPI's 95% interval as people read it, or why there is none."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "no interval (too few)"
    return f"95% CI {kpi_text(name, low)} to {kpi_text(name, high)}"


def impact_text(impact: float, low: float | None, high: float | None) -> str:
    """A driver's impact in signed points, with its interval where it has one."""
    interval = f" ({low:+.1f} to {high:+.1f})" if low is not None and high is not None else ""
    return f"{impact:+.1f}{interval}"


def script_lang(text: str, fallback: str | None = None) -> str:
    """`fa` when the first letter is Persian script, `en` when Latin: for `lang=` only."""
    persian, latin = first_persian_script(text), _LATIN.search(text)
    if persian is not None and (not latin or persian < latin.start()):
        return "fa"
    if latin:
        return "en" if fallback in (None, "fa", "mixed") else fallback
    return fallback or "und"


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def isolate(text: Any) -> str:
    """Text wrapped in Unicode first-strong isolates, for putting a name (often Persian,
    or feedback carrying bidi overrides) inside an English sentence: its direction can
    then neither reorder the sentence around it nor leak past its end."""
    return f"\u2068{text}\u2069"
