"""Report sections about themes: ranked theme cards, the top pain points, rising and falling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voc.report.data import RunData
from voc.report.stats import isolate, script_lang, shorten
from voc.themes.describe import is_pain_theme

Row = Mapping[str, Any]
SENTIMENT_ORDER = ("negative", "mixed", "neutral", "positive")
QUOTES_PER_THEME = 4


def driver_metric(run: RunData) -> str | None:
    """The score the drivers explain: NPS where the run has it, else CSAT."""
    metrics = {d.get("metric") for d in run.drivers or ()}
    return next((m for m in ("nps", "csat") if m in metrics), None)


def theme_impacts(run: RunData) -> dict[int, Row]:
    metric = driver_metric(run)
    return {int(d["theme_id"]): d for d in run.drivers or ()
            if d.get("kind") == "theme" and d.get("metric") == metric
            and d.get("theme_id") is not None and d.get("impact") is not None}


def _quotes(examples: Sequence[str] | None) -> list[dict]:
    """The theme's own representative examples (themes.parquet), capped so a run of rants
    cannot blow up the report's size."""
    return [{"text": shorten(text, 400), "lang": script_lang(text)}
            for text in list(examples or ())[:QUOTES_PER_THEME]]


def theme_cards(run: RunData, names: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One card per themes.parquet row, ranked by impact on the score when drivers exist,
    else size. Every figure is the themes stage's (voc.themes.describe.theme_rows): size,
    customers (`respondents`), sentiment mix, pain points and the customers who reported
    them, mean severity, stages, and the trend and its test (`trend_*`, computed by
    voc.themes.describe.theme_trends); a run whose table lacks the trend shows none."""
    described = sorted((t for t in run.themes or () if t.get("theme_id") is not None),
                       key=lambda t: int(t["theme_id"]))
    if not described:
        return []
    impacts = theme_impacts(run)
    cards: list[dict[str, Any]] = []
    for table in described:
        theme_id = int(table["theme_id"])
        label = table.get("label") or f"theme {theme_id}"
        # Shares are 0..1 in the file; the card shows percent and points.
        trend = [None if share is None else 100 * share
                 for share in table.get("trend_share") or ()]
        change = 100 * (table.get("trend_change") or 0.0)
        mix = table.get("sentiment_mix") or {}
        sentiment = [(k, round(100 * (mix.get(k) or 0), 1)) for k in SENTIMENT_ORDER
                     if mix.get(k)]
        pain_points = int(table.get("pain_points") or 0)
        mean_severity = table.get("mean_severity")
        cards.append({
            "theme_id": theme_id, "label": label,
            "label_en": table.get("label_en"), "label_fa": table.get("label_fa"),
            "name": bilingual_name(label, table.get("label_en"), table.get("label_fa")),
            "description": table.get("description"),
            "keywords_en": list(table.get("keywords_en") or [])[:6],
            "keywords_fa": list(table.get("keywords_fa") or [])[:6],
            "size": int(table.get("size") or 0),
            "customers": int(table.get("respondents") or 0),
            "share": round(100 * (table.get("share") or 0.0), 1),
            "sentiment": sentiment,
            "negative_share": round(sum(v for k, v in sentiment
                                        if k in ("negative", "mixed")), 0),
            "top_emotion": table.get("top_emotion") or "neutral",
            "stages": [names["stages"].get(s, s) for s in list(table.get("stages") or [])[:3]],
            "touchpoints": [names["touchpoints"].get(t, t)
                            for t in list(table.get("touchpoints") or [])[:3]],
            "pain_points": pain_points,
            "pain_customers": int(table.get("pain_respondents") or 0),
            "severity_sum": (mean_severity or 0.0) * pain_points,
            "mean_severity": round(mean_severity, 2) if mean_severity is not None else None,
            "trend": trend, "change": round(change, 1),
            "direction": table.get("trend_direction") or "not enough data",
            "impact": impacts.get(theme_id),
            "quotes": _quotes(table.get("examples")),
        })
    if impacts:
        cards.sort(key=lambda c: (c["impact"] is None or not c["impact"].get("supported"),
                                  -(c["impact"]["impact"] if c["impact"] else 0), -c["size"]))
    else:
        cards.sort(key=lambda c: (-c["size"], c["theme_id"]))
    return cards


def bilingual_name(label: str, english: str | None, persian: str | None) -> str:
    """The theme's name in both languages when it has both ("Late delivery · تأخیر در
    ارسال"), else its label. A curated label (one text) stays as the researcher wrote it."""
    if english and persian and label in (english, persian):
        return f"{english} · {isolate(persian)}"
    return label


def top_pain_points(cards: Sequence[Mapping[str, Any]], limit: int = 3) -> list[dict]:
    """What hurts most: the complaint themes (mostly pain points) by impact on the score
    when known, else by pain volume x severity."""
    pains = [c for c in cards if is_pain_theme(c["pain_points"], c["size"])]
    if any(c["impact"] for c in pains):
        pains = sorted(pains, key=lambda c: (c["impact"] is None
                                             or not c["impact"].get("supported"),
                                             -(c["impact"]["impact"] if c["impact"] else 0)))
    else:
        pains = sorted(pains, key=lambda c: -c["severity_sum"])
    return [dict(card) for card in pains[:limit]]


def rising_and_falling(cards: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    moving = [c for c in cards if c["direction"] in ("rising", "falling")]
    return {"rising": sorted((c for c in moving if c["direction"] == "rising"),
                             key=lambda c: -c["change"]),
            "falling": sorted((c for c in moving if c["direction"] == "falling"),
                              key=lambda c: c["change"])}
