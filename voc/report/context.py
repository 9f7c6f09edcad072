"""The numbers a report shows, computed from a finished run's tables (no model needed).

Everything here is a pure function of records, segments and the manifest, so the HTML and
Markdown reports show the same figures and `voc report` can re-render any past run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from voc.io.records import ANALYZED_STATUSES
from voc.kpi.scores import KPI_FUNCTIONS, Kpi

Row = Mapping[str, Any]
SENTIMENT_ORDER = ("negative", "mixed", "neutral", "positive")
EMOTION_ORDER = ("anger", "disgust", "fear", "sadness", "surprise", "joy", "neutral")
LANGUAGE_NAMES = {"fa": "Persian", "en": "English", "mixed": "Mixed", "other": "Other"}
QUOTES_PER_LIST = 5


def share_table(values: Iterable[Any], order: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Counts and percentages of each value, in `order` first, then by count."""
    counts = Counter(v for v in values if v is not None)
    total = sum(counts.values())
    keys = [k for k in order if k in counts] + [
        k for k, _ in counts.most_common() if k not in order]
    return [{"key": k, "count": counts[k], "share": round(100 * counts[k] / total, 1)}
            for k in keys] if total else []


def _kpis(records: Sequence[Row]) -> list[Kpi]:
    """KPIs per respondent: a multi-question survey repeats a score on each answer."""
    kpis = []
    for name, function in KPI_FUNCTIONS.items():
        per_respondent = {(r["source"], r["id"]): r.get(name) for r in records}
        kpi = function(per_respondent.values())
        if kpi.n:
            kpis.append(kpi)
    return kpis


def _breakdown(records: Sequence[Row], key: str) -> list[dict[str, Any]]:
    groups: dict[Any, list[Row]] = {}
    for record in records:
        groups.setdefault(record.get(key) or "—", []).append(record)
    rows = []
    for value, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        scored = [m["sentiment_score"] for m in members if m.get("sentiment_score") is not None]
        negative = sum(m.get("sentiment") in ("negative", "mixed") for m in members)
        analysed = sum(m.get("sentiment") is not None for m in members)
        rows.append({
            "value": str(value),
            "count": len(members),
            "mean_sentiment": round(sum(scored) / len(scored), 3) if scored else None,
            "negative_share": round(100 * negative / analysed, 1) if analysed else None,
            "kpis": {k.name: k.as_dict() for k in _kpis(members)},
        })
    return rows


def _period(date: str | None) -> str | None:
    return date[:7] if date else None  # YYYY-MM


def _trend(records: Sequence[Row]) -> list[dict[str, Any]]:
    months: dict[str, list[Row]] = {}
    for record in records:
        month = _period(record.get("date"))
        if month:
            months.setdefault(month, []).append(record)
    rows = []
    for month in sorted(months):
        members = months[month]
        scored = [m["sentiment_score"] for m in members if m.get("sentiment_score") is not None]
        nps = KPI_FUNCTIONS["nps"]({(m["source"], m["id"]): m.get("nps")
                                    for m in members}.values())
        rows.append({"period": month, "count": len(members),
                     "mean_sentiment": round(sum(scored) / len(scored), 3) if scored else None,
                     "nps": nps.value})
    return rows


def _quotes(segments: Sequence[Row], sentiment: str) -> list[dict[str, Any]]:
    """The clearest examples of a sentiment, one per record, taking turns across languages
    (strongest first within each) so a bilingual run shows both voices."""
    by_lang: dict[str, list[Row]] = {}
    for segment in sorted((s for s in segments if s.get("sentiment") == sentiment),
                          key=lambda s: abs(s.get("sentiment_score") or 0), reverse=True):
        if len(segment["text"]) >= 12:
            by_lang.setdefault(segment.get("lang") or "other", []).append(segment)
    queues = sorted(by_lang.values(), key=len, reverse=True)
    chosen: list[dict[str, Any]] = []
    seen: set[int] = set()
    while queues and len(chosen) < QUOTES_PER_LIST:
        for members in queues:
            while members and members[0]["row_id"] in seen:
                members.pop(0)
            if members and len(chosen) < QUOTES_PER_LIST:
                segment = members.pop(0)
                seen.add(segment["row_id"])
                chosen.append({"text": segment["text"], "lang": segment.get("lang"),
                               "emotion": segment.get("emotion"),
                               "score": segment.get("sentiment_score")})
        queues = [members for members in queues if members]
    return chosen


def build_context(records: Sequence[Row], segments: Sequence[Row],
                  manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report templates render."""
    analysed = [r for r in records if r["status"] in ANALYZED_STATUSES]
    has_sentiment = any(r.get("sentiment") for r in analysed)
    counts = manifest.get("counts", {})
    context: dict[str, Any] = {
        "run_id": manifest.get("run_id"),
        "finished_at": manifest.get("finished_at"),
        "volume": {"records": len(records), "analysed": len(analysed),
                   "segments": len(segments), "respondents": len({(r["source"], r["id"])
                                                                  for r in records}),
                   "sources": sorted({r["source"] for r in records})},
        "languages": [{**row, "name": LANGUAGE_NAMES.get(row["key"], row["key"])}
                      for row in share_table(r["lang"] for r in records)],
        "finglish": sum(bool(r.get("finglish")) for r in records),
        "statuses": share_table(r["status"] for r in records),
        "kpis": [k.as_dict() for k in _kpis(records)],
        "has_sentiment": has_sentiment,
        "sentiment_mix": share_table((r.get("sentiment") for r in analysed), SENTIMENT_ORDER),
        "emotion_mix": share_table((r.get("emotion") for r in analysed), EMOTION_ORDER),
        "negative_quotes": _quotes(segments, "negative"),
        "positive_quotes": _quotes(segments, "positive"),
        "breakdowns": {
            name: _breakdown(records, key)
            for name, key in (("Channel", "channel"), ("Language", "lang"),
                              ("Source", "source"), ("Question", "question"))
            if len({r.get(key) for r in records}) > 1
        },
        "trend": _trend(records),
        "redactions": manifest.get("redactions", {}),
        "models": manifest.get("models", {}),
        "inputs": manifest.get("inputs", []),
        "counts": counts,
        "timings": manifest.get("timings_s", {}),
        "versions": manifest.get("versions", {}),
    }
    context["takeaways"] = _takeaways(context)
    context["changes"] = []
    return context


def _takeaways(context: Mapping[str, Any]) -> dict[str, str]:
    """One plain-language line per section."""
    volume = context["volume"]
    languages = ", ".join(f"{row['name']} {row['share']}%" for row in context["languages"])
    summary = (f"{volume['analysed']} of {volume['records']} answers analysed "
               f"({languages}).")
    if context["sentiment_mix"]:
        negative = sum(row["share"] for row in context["sentiment_mix"]
                       if row["key"] in ("negative", "mixed"))
        summary += f" {negative:.0f}% contain a complaint (negative or mixed)."
    kpis = {k["name"]: k for k in context["kpis"]}
    if "nps" in kpis:
        k = kpis["nps"]
        summary += f" NPS {k['value']:+.0f} (95% CI {k['low']:+.0f} to {k['high']:+.0f})."
    trend = context["trend"]
    trend_line = "No dates in the input, so no trend."
    if len(trend) >= 2:
        first, last = trend[0], trend[-1]
        trend_line = f"{len(trend)} months, {first['period']} to {last['period']}."
        if first["mean_sentiment"] is not None and last["mean_sentiment"] is not None:
            change = last["mean_sentiment"] - first["mean_sentiment"]
            direction = "better" if change > 0.05 else "worse" if change < -0.05 else "stable"
            trend_line += f" Sentiment is {direction} ({change:+.2f})."
    return {"summary": summary, "trend": trend_line,
            "method": "How far to trust these numbers: models, data counts and settings."}


def _negative_share(context: Mapping[str, Any]) -> float | None:
    if not context["sentiment_mix"]:
        return None
    return sum(row["share"] for row in context["sentiment_mix"]
               if row["key"] in ("negative", "mixed"))


def compare_runs(current: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    """Plain-language changes since an earlier run, biggest KPI moves first."""
    changes: list[tuple[float, str]] = []
    before = {k["name"]: k for k in previous["kpis"]}
    for kpi in current["kpis"]:
        old = before.get(kpi["name"])
        if old and old["value"] is not None and kpi["value"] is not None:
            delta = kpi["value"] - old["value"]
            changes.append((abs(delta), f"{kpi['name'].upper()} {old['value']:.1f} → "
                                        f"{kpi['value']:.1f} ({delta:+.1f})"))
    new, old_share = _negative_share(current), _negative_share(previous)
    if new is not None and old_share is not None:
        delta = new - old_share
        changes.append((abs(delta), f"answers with a complaint {old_share:.0f}% → {new:.0f}% "
                                    f"({delta:+.0f} points)"))
    changes.append((0.0, f"volume {previous['volume']['records']} → "
                         f"{current['volume']['records']} answers"))
    return [text for _, text in sorted(changes, key=lambda item: -item[0])]
