"""Report sections about themes: ranked theme cards, the top pain points, rising and falling."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from voc.report.data import RunData
from voc.report.stats import (
    UNASSIGNED,
    customer_count,
    isolate,
    script_lang,
    share_table,
    shorten,
)
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


def _quotes(theme_segments: Sequence[Row], examples: Sequence[str] | None) -> list[dict]:
    """The theme's own representative examples, else its clearest segments."""
    if examples:
        texts = [(text, None) for text in examples]
    else:
        ranked = sorted(theme_segments, key=lambda s: (not s.get("is_pain_point"),
                                                       -abs(s.get("sentiment_score") or 0)))
        texts, seen = [], set()
        for segment in ranked:
            if segment["row_id"] not in seen and len(segment["text"]) >= 12:
                seen.add(segment["row_id"])
                texts.append((segment["text"], segment.get("lang")))
    # Quotes are capped so a run of rants cannot blow up the report's size.
    return [{"text": shorten(text, 400), "lang": script_lang(text, lang)}
            for text, lang in texts[:QUOTES_PER_THEME]]


def _top(values: Sequence[Any], limit: int = 3) -> list[str]:
    counts = Counter(v for v in values if v not in UNASSIGNED)
    return [str(v) for v, _ in counts.most_common(limit)]


def theme_cards(run: RunData, names: Mapping[str, Any], who: Mapping[int, Any]
                ) -> list[dict[str, Any]]:
    """One card per theme, ranked by impact on the score when drivers exist, else size.

    The trend and its test are the themes stage's (themes.parquet `trend_*`, computed
    by voc.themes.describe.theme_trends); a run whose table lacks them shows none.
    Customers are respondents (`who`: row id -> respondent), as themes.parquet's
    `respondents` counts them."""
    by_theme: dict[int, list[Row]] = defaultdict(list)
    for segment in run.segments:
        if segment.get("theme_id") is not None:
            by_theme[int(segment["theme_id"])].append(segment)
    described = {int(t["theme_id"]): t for t in run.themes or () if t.get("theme_id") is not None}
    if not by_theme and not described:
        return []
    impacts = theme_impacts(run)
    total_segments = len(run.segments) or 1
    cards: list[dict[str, Any]] = []
    for theme_id in sorted(set(by_theme) | set(described)):
        members = by_theme.get(theme_id, [])
        table = described.get(theme_id, {})
        label = table.get("label") or next((s["theme_label"] for s in members
                                            if s.get("theme_label")), f"theme {theme_id}")
        rows = {s["row_id"] for s in members}
        pains = [s for s in members if s.get("is_pain_point")]
        # Shares are 0..1 in the file; the card shows percent and points.
        trend = [None if share is None else 100 * share
                 for share in table.get("trend_share") or ()]
        change = 100 * (table.get("trend_change") or 0.0)
        mix = table.get("sentiment_mix")
        sentiment = ([(k, round(100 * (mix.get(k) or 0), 1)) for k in SENTIMENT_ORDER
                      if mix.get(k)] if mix else
                     [(r["key"], r["share"]) for r in share_table(
                         (s.get("sentiment") for s in members), SENTIMENT_ORDER)])
        emotions = Counter(s.get("emotion") for s in members if s.get("emotion") != "neutral")
        impact = impacts.get(theme_id)
        stages = _top([s.get("journey_stage") for s in members]) or list(
            table.get("stages") or [])[:3]
        touchpoints = _top([s.get("touchpoint") for s in members]) or list(
            table.get("touchpoints") or [])[:3]
        cards.append({
            "theme_id": theme_id, "label": label,
            "label_en": table.get("label_en"), "label_fa": table.get("label_fa"),
            "name": bilingual_name(label, table.get("label_en"), table.get("label_fa")),
            "description": table.get("description"),
            "keywords_en": list(table.get("keywords_en") or [])[:6],
            "keywords_fa": list(table.get("keywords_fa") or [])[:6],
            "size": int(table.get("size") or len(members)),
            "customers": int(customers) if (customers := table.get("respondents")) is not None
            else customer_count(rows, who),
            "share": round(100 * (share if (share := table.get("share")) is not None
                                  else len(members) / total_segments), 1),
            "sentiment": sentiment,
            "negative_share": round(sum(v for k, v in sentiment
                                        if k in ("negative", "mixed")), 0),
            "top_emotion": table.get("top_emotion") or (
                emotions.most_common(1)[0][0] if emotions else "neutral"),
            "stages": [names["stages"].get(s, s) for s in stages],
            "touchpoints": [names["touchpoints"].get(t, t) for t in touchpoints],
            "pain_points": len(pains),
            "pain_customers": customer_count((s["row_id"] for s in pains), who),
            "severity_sum": sum(s.get("severity") or 0 for s in pains),
            "mean_severity": round(sum(s.get("severity") or 0 for s in pains) / len(pains), 2)
            if pains else None,
            "trend": trend, "change": round(change, 1),
            "direction": table.get("trend_direction") or "not enough data",
            "impact": impact,
            "quotes": _quotes(members, table.get("examples")),
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
