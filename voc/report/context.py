"""The numbers a report shows, read from a finished run's files (no model needed).

Everything here is a pure function of a `RunData`, and a view over it: the figures are
the run's own (run.json's counts, kpis.json, themes.parquet, journey.parquet,
drivers.parquet), chosen and ordered here, never counted from records or segments
(issue 18); only the quotes are picked from the segments. Numbers stay numbers: the
templates (and the sentences of templates/sentences.j2) print them, with the filters of
voc.report.environment, so the HTML and Markdown reports show the same figures and a
figure is never printed and parsed back. `voc report` re-renders any past run whose
files carry these figures. A section whose inputs the run lacks (no themes stage, no
scores, no dates) is left out, and `notes` says why, so a reader never mistakes "not
measured" for "zero".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from voc.io.records import ANALYZED_STATUSES
from voc.kpi.component import BREAKDOWN_ROWS
from voc.kpi.scores import KPI_FUNCTIONS
from voc.privacy.pii import PII_KIND_DESCRIPTIONS, PII_KINDS
from voc.report import journey as journey_section
from voc.report import themes as theme_section
from voc.report.data import RunData
from voc.report.environment import sentences
from voc.report.stats import (
    count_table,
    isolate,
    script_lang,
    shorten,
)

Row = Mapping[str, Any]
SENTIMENT_ORDER = theme_section.SENTIMENT_ORDER
EMOTION_ORDER = journey_section.EMOTION_ORDER
LANGUAGE_NAMES = {"fa": "Persian", "en": "English", "mixed": "Mixed", "other": "Other"}
QUOTES_PER_LIST = 5
MAX_BREAKDOWN_ROWS = BREAKDOWN_ROWS  # kpis.json's `others` holds the folded groups
MAX_DRIVERS = 10


def _quote_key(text: str) -> str:
    """The same answer with or without its final full stop is one quote, not two."""
    return text.casefold().strip().rstrip(".!?؟。…").strip()


def _quotes(segments: Sequence[Row], sentiment: str) -> list[dict[str, Any]]:
    """The clearest examples of a sentiment (strongest score first), one per record, taking
    turns across languages so a bilingual run shows both voices."""
    return _taking_turns(sorted((s for s in segments if s.get("sentiment") == sentiment),
                                key=lambda s: abs(s.get("sentiment_score") or 0),
                                reverse=True))


def _complaint_quotes(segments: Sequence[Row]) -> list[dict[str, Any]]:
    """The most severe pain points, one per record, taking turns across languages.

    Severity (journey.painpoints) weighs negativity with anger/disgust and effort, so a
    quote here reads as a complaint by more than one measure: ranked by sentiment score
    alone, a flat statement the heads misread as negative led the list at -1.00 ("The
    refund was back on my card in 2 days", emotion neutral) above every angry complaint.
    Runs without pain points (the stage switched off) fall back to the most negative
    segments."""
    pains = [s for s in segments if s.get("is_pain_point")]
    if not pains:
        return _quotes(segments, "negative")
    return _taking_turns(sorted(pains, key=lambda s: (-(s.get("severity") or 0.0),
                                                      s.get("sentiment_score") or 0.0)))


def _taking_turns(ranked: Sequence[Row]) -> list[dict[str, Any]]:
    """Up to QUOTES_PER_LIST of ``ranked``, languages taking turns (best first within
    each), no record or text twice, fragments under 12 characters left out."""
    by_lang: dict[str, list[Row]] = {}
    for segment in ranked:
        if len(segment["text"]) >= 12:
            by_lang.setdefault(segment.get("lang") or "other", []).append(segment)
    queues = sorted(by_lang.values(), key=len, reverse=True)
    chosen: list[dict[str, Any]] = []
    seen: set[Any] = set()  # records and texts already quoted: no answer twice
    while queues and len(chosen) < QUOTES_PER_LIST:
        for members in queues:
            while members and ({members[0]["row_id"], _quote_key(members[0]["text"])} & seen):
                members.pop(0)
            if members and len(chosen) < QUOTES_PER_LIST:
                segment = members.pop(0)
                seen.update((segment["row_id"], _quote_key(segment["text"])))
                chosen.append({"text": shorten(segment["text"], 400),
                               "lang": script_lang(segment["text"], segment.get("lang")),
                               "emotion": segment.get("emotion"),
                               "score": segment.get("sentiment_score")})
        queues = [members for members in queues if members]
    return chosen


def _negative_share(rows: Sequence[Row]) -> float | None:
    if not rows:
        return None
    return sum(row["share"] for row in rows if row["key"] in ("negative", "mixed"))


def _analysed_keys(groups: Sequence[Row] | None) -> set[Any]:
    """The keys of a kpis.json dimension's groups with analysed answers (null included:
    answers without a value)."""
    return {group.get("key") for group in groups or () if group.get("analysed")}


def _group_kpis(row: Row | None) -> dict[str, dict[str, Any] | None]:
    """A kpis.json group's KPIs as numbers (value, n), None where not measured: the
    template prints them (the `kpi` filter) with n beside."""
    found: dict[str, dict[str, Any] | None] = {}
    for name in KPI_FUNCTIONS:
        kpi = (row or {}).get(name)
        found[name] = ({"value": kpi["value"], "n": kpi["n"]}
                       if isinstance(kpi, dict) and kpi.get("n")
                       and kpi.get("value") is not None else None)
    return found


def _breakdown(groups: Sequence[Row], labels: Mapping[str, str], others: Row | None = None
               ) -> list[dict[str, Any]]:
    """One row per kpis.json group of a dimension with analysed answers, largest first,
    read, not counted (voc.kpi.component): the analysed answers with the group's key and
    their sentiment and pain (answer_figures), and the KPIs of every respondent of the
    group with a score, analysed or not, as the headline figures. The group with key null
    is the answers without a value ("—"). Past MAX_BREAKDOWN_ROWS the smallest groups are
    merged into one "N others" row: its figures are kpis.json's `others` for the
    dimension, the same groups together (each respondent and answer once); a kpis.json
    without it (older) gives the row the sum of the groups' counts and no figures (they
    are the groups' own, not to be averaged here). A kpis.json from before the groups
    carried answer figures gives no rows (notes say to re-run)."""
    if any("analysed" not in group for group in groups):
        return []
    ranked = sorted((group for group in groups if group.get("analysed")),
                    key=lambda group: (-group["analysed"], str(group.get("key"))))
    rows = [{
        "value": "—" if group.get("key") is None
        else labels.get(str(group["key"]), str(group["key"])),
        "count": group["analysed"],
        # Numbers stay numbers (None: not measured): the template formats them, and the
        # takeaway compares them without parsing a printed "67%" back.
        "mean_sentiment": group.get("mean_sentiment"),
        "negative_share": group.get("negative_share"),
        "pain_share": group.get("pain_share"),
        # n next to each score: a group of 12 answers moves NPS by 8 points per person.
        "kpis": _group_kpis(group),
    } for group in ranked]
    if len(rows) > MAX_BREAKDOWN_ROWS:
        rest = ranked[MAX_BREAKDOWN_ROWS - 1:]
        merged = others if others is not None and [g.get("key") for g in rest] == list(
            others.get("keys") or ()) else None
        rows = [*rows[:MAX_BREAKDOWN_ROWS - 1], {
            # The template words it ("3 others"): the count stays a number here.
            "value": None, "folded": True, "others": len(rest),
            "count": merged["analysed"] if merged
            else sum(group["analysed"] for group in rest),
            "mean_sentiment": (merged or {}).get("mean_sentiment"),
            "negative_share": (merged or {}).get("negative_share"),
            "pain_share": (merged or {}).get("pain_share"),
            "kpis": _group_kpis(merged)}]
    return rows


def _trend(kpis: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per period, kpis.json's rows (voc.kpi.component): the analysed answers' count,
    sentiment and pain, each answer in the period of its own date, and NPS over all
    respondents with a score in the period, analysed or not (NPS is a per-respondent
    score, so the trend agrees with the headline figure). A kpis.json from before it
    carried the answers' figures gives no trend (notes say to re-run)."""
    rows = []
    for row in ((kpis or {}).get("periods") or {}).get("rows") or ():
        if "analysed" not in row:
            return []
        nps = row.get("nps") or {}
        rows.append({
            "period": row["period"], "count": row["analysed"],
            "mean_sentiment": row.get("mean_sentiment"),
            "negative_share": row.get("negative_share"), "pain_share": row.get("pain_share"),
            "nps": nps.get("value"), "nps_low": nps.get("low"), "nps_high": nps.get("high"),
            "nps_n": nps.get("n") or 0,
        })
    return rows


def _pain_item(card: Mapping[str, Any], analysed: int, metric: str | None) -> dict[str, Any]:
    """`analysed`: the respondents with an analysed answer, whom the share is of. The
    sentences are sentences.j2's, a product manager forwards them as they are: who, how
    many, where, which way, and what fixing it is worth (how much the score would rise
    if these customers scored like everyone else, voc.kpi.drivers)."""
    say = sentences()
    where = " / ".join(isolate(part) for part in (*card["stages"][:1], *card["touchpoints"][:1]))
    customers = card["pain_customers"]
    share = 100 * customers / analysed if analysed else 0.0
    trend = str(say.trend(card["direction"], card["change"]))
    impact = card["impact"]
    consequence = (str(say.impact_sentence(impact, metric))
                   if impact and metric is not None and impact["impact"] > 0 else None)
    sentence = str(say.pain_sentence(customers, share, where,
                                     str(say.course(card["direction"], trend)), consequence))
    return {"label": card["label"], "name": card["name"], "customers": customers,
            "share": share, "where": where or "not linked to a stage",
            "trend": trend, "severity": card["mean_severity"],
            "impact": str(say.impact_text(impact, metric))
            if impact and metric is not None else None,
            "sentence": sentence, "description": card.get("description"),
            "quote": card["quotes"][0] if card["quotes"] else None}


def _drivers(run: RunData, names: Mapping[str, Any]) -> dict[str, Any] | None:
    metric = theme_section.driver_metric(run)
    if metric is None:
        return None
    groups = []
    for kind, title in (("theme", "Themes"), ("stage_touchpoint", "Journey stage × touchpoint")):
        rows = sorted((d for d in run.drivers or () if d.get("kind") == kind
                       and d.get("metric") == metric and d.get("supported")
                       and d.get("impact") is not None), key=lambda d: -d["impact"])
        if not rows:
            continue
        items = []
        for driver in rows[:MAX_DRIVERS]:
            label = driver.get("label") or driver.get("group") or "?"
            if kind == "stage_touchpoint":
                label = " / ".join(str(names[k].get(driver.get(c), driver.get(c)))
                                   for k, c in (("stages", "journey_stage"),
                                                ("touchpoints", "touchpoint")))
            # Numbers (None: not measured): the template prints them.
            items.append({
                "label": label, "impact": driver["impact"], "low": driver.get("impact_low"),
                "high": driver.get("impact_high"), "n": driver.get("n"),
                "score_group": driver.get("score_group"),
                "score_rest": driver.get("score_rest"),
                "regression": driver.get("regression_impact"),
            })
        groups.append({"kind": kind, "title": title, "items": items})
    if not groups:
        return None
    return {"metric": metric.upper(), "name": metric, "groups": groups}


def _changes(run: RunData, current: Mapping[str, Any], previous: RunData | None
             ) -> list[str]:
    """Plain-language changes (sentences.j2): against `--previous`, then the run's own
    changes.json."""
    say = sentences()
    changes: list[tuple[float, str]] = []
    if previous is not None:
        before = {k["name"]: k for k in _overall_kpis(previous)}
        for kpi in current["kpis"]:
            old = before.get(kpi["name"])
            if old and old["value"] is not None and kpi["value"] is not None:
                changes.append((abs(kpi["value"] - old["value"]),
                                str(say.kpi_change(kpi["name"], old["value"], kpi["value"]))))
        # Each run's own figure from its kpis.json (voc.kpi.component.answer_figures),
        # not recounted from the previous run's records; a run without it has no line.
        old_share, new_share = (((r.kpis or {}).get("overall") or {}).get("negative_share")
                                for r in (previous, run))
        if new_share is not None and old_share is not None:
            changes.append((abs(new_share - old_share),
                            str(say.complaint_change(old_share, new_share))))
        # Each run's answers as its run.json counts them.
        volumes = [int((r.manifest.get("counts") or {}).get("records_out") or 0)
                   for r in (previous, run)]
        changes.append((0.0, str(say.volume_change(*volumes))))
    document = run.changes or {}
    for theme in document.get("emerging_themes") or ():
        share = (theme.get("current") or {}).get("share")
        status = "new theme" if theme.get("status") == "new" else "growing theme"
        changes.append((50.0, str(say.theme_change(status, theme.get("label") or theme.get("key"),
                                                   share))))
    for shift in document.get("shifts") or ():
        if shift.get("dimension") == "overall" or shift.get("change") is None:
            continue
        scale = 100 if shift.get("metric") == "sentiment" else 1
        changes.append((abs(shift["change"]) * scale,
                        str(say.shift_change(shift.get("metric"), shift.get("dimension"),
                                             shift.get("label") or shift.get("key"),
                                             shift["change"], shift.get("q") or 0))))
    for pain in document.get("new_pain_points") or ():
        changes.append((40.0, str(say.new_pain(pain.get("label") or pain.get("key")))))
    return [text for _, text in sorted(changes, key=lambda item: -item[0])]


def _overall_kpis(run: RunData) -> list[dict[str, Any]]:
    """The run's KPIs as kpis.json gives them (none without it: the report computes no
    KPI of its own; voc.report.data refuses a run that should have one and lacks it)."""
    overall = (run.kpis or {}).get("overall") or {}
    return [{**overall[name], "name": name, "label": name.upper()} for name in KPI_FUNCTIONS
            if isinstance(overall.get(name), dict) and overall[name].get("n")
            and overall[name].get("value") is not None]


def _head_accuracy(metrics: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for name, result in ((metrics or {}).get("heldout") or {}).items():
        if isinstance(result, dict) and result.get("accuracy") is not None:
            rows.append({"set": name, "task": result.get("task"),
                         "language": result.get("language"), "n": result.get("n"),
                         "accuracy": float(result["accuracy"]),
                         "macro_f1": float(result.get("macro_f1") or 0)})
    return rows


def _redaction_scope(config: Mapping[str, Any]) -> list[str]:
    """What this run searched for and replaced, in words; [] when nothing was redacted."""
    if "redact" not in (config.get("pipeline") or []):
        return []
    kinds = (config.get("redact") or {}).get("kinds") or PII_KINDS
    return [PII_KIND_DESCRIPTIONS[k] for k in PII_KINDS if k in kinds]


def _settings(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("pipeline", " → ".join(map(str, config.get("pipeline") or [])))]
    for key, value in config.items():
        if key != "pipeline":
            rows.append((key, shorten(json.dumps(value, ensure_ascii=False, default=str), 300)))
    return rows


def build_context(run: RunData, previous: RunData | None = None) -> dict[str, Any]:
    """Everything the report templates render."""
    segments, manifest = run.segments, run.manifest
    # Counted by the run, read here: run.json's counts (answers per status and language)
    # and kpis.json's overall (respondents, the analysed answers' mixes, segments).
    counts = manifest.get("counts") or {}
    overall = (run.kpis or {}).get("overall") or {}
    by_status = counts.get("by_status") or {}
    analysed = sum(int(by_status.get(status) or 0) for status in ANALYZED_STATUSES)
    notes: dict[str, str] = {}
    names = journey_section.journey_names(run)
    # Customers are respondents (voc.kpi.scores.respondent_key), never answer rows.
    analysed_customers = int(overall.get("analysed_respondents") or 0)
    pain_customers = overall.get("pain_respondents")
    cards = theme_section.theme_cards(run, names)
    metric = theme_section.driver_metric(run)
    sentiment_mix = count_table(overall.get("sentiments") or {}, SENTIMENT_ORDER)
    segment_count = int(counts.get("segments") or 0)

    context: dict[str, Any] = {
        "run_id": manifest.get("run_id"),
        "finished_at": manifest.get("finished_at"),
        "volume": {"records": int(counts.get("records_out") or 0), "analysed": analysed,
                   "segments": segment_count,
                   "respondents": int(overall.get("records") or 0),
                   "sources": sorted(str(group["key"]) for group in
                                     ((run.kpis or {}).get("by") or {}).get("source") or ()
                                     if group.get("key") is not None),
                   "analysed_customers": analysed_customers,
                   "pain_customers": pain_customers,
                   "pain_share": 100 * pain_customers / analysed_customers
                   if pain_customers is not None and analysed_customers else None},
        "languages": [{**row, "name": LANGUAGE_NAMES.get(row["key"], row["key"])}
                      for row in count_table({k: v for k, v in
                                              (counts.get("by_lang") or {}).items()
                                              if k != "unknown"})],
        "finglish": int(counts.get("finglish") or 0),
        "statuses": count_table(by_status),
        "kpis": _overall_kpis(run),
        "has_sentiment": bool(sentiment_mix),
        "sentiment_mix": sentiment_mix,
        "emotion_mix": count_table(overall.get("emotions") or {}, EMOTION_ORDER),
        "negative_quotes": _complaint_quotes(segments),
        "positive_quotes": _quotes(segments, "positive"),
        "themes": cards[:15],
        "themes_total": len(cards),
        "unthemed_share": 100 * int(overall.get("unthemed_segments") or 0) / segment_count
        if cards and segment_count else None,
        "driver_metric": metric.upper() if metric else None,
        "top_pains": [_pain_item(c, analysed_customers, metric)
                      for c in theme_section.top_pain_points(cards)],
        "heatmap": journey_section.heatmap(run, names),
        "stage_path": journey_section.stage_path(run, names)
        if journey_section.has_journey(run) else [],
        "stage_emotions": journey_section.emotions_by_stage(run, names),
        "drivers": _drivers(run, names),
        # kpis.json's period grid: periods with no analysed answer stay in it (their NPS).
        "period_unit": ((run.kpis or {}).get("periods") or {}).get("unit") or "month",
        "trend": _trend(run.kpis),
        "moving_themes": theme_section.rising_and_falling(cards),
        "alerts": list((run.alerts or {}).get("fired") or []),
        "redactions": manifest.get("redactions", {}),
        "redaction_scope": _redaction_scope(manifest.get("config") or {}),
        "models": manifest.get("models", {}),
        "head_accuracy": _head_accuracy(run.head_metrics),
        "inputs": manifest.get("inputs", []),
        "counts": manifest.get("counts", {}),
        "settings": _settings(manifest.get("config") or {}),
        "versions": manifest.get("versions", {}),
        "problems": list(run.problems),
    }
    # (title, kpis.json `by` dimension, how a key is shown): a dimension is broken down
    # where the analysed answers have more than one value of it.
    kpi_groups = (run.kpis or {}).get("by") or {}
    breakdown_keys: list[tuple[str, str, Mapping[str, str]]] = [
        (name, key, LANGUAGE_NAMES if key == "lang" else {})
        for name, key in (("Channel", "channel"), ("Language", "lang"), ("Source", "source"),
                          ("Question", "question"))
        if len(_analysed_keys(kpi_groups.get(key))) > 1]
    breakdown_keys += [(dimension.removeprefix("meta.").replace("_", " ").capitalize(),
                        dimension, {}) for dimension in sorted(kpi_groups)
                       if dimension.startswith("meta.")]
    folded = (run.kpis or {}).get("others") or {}
    tables = {name: _breakdown(kpi_groups.get(dimension) or (), labels, folded.get(dimension))
              for name, dimension, labels in breakdown_keys}
    context["breakdowns"] = {name: rows for name, rows in tables.items() if rows}
    if not context["top_pains"] and context["heatmap"]:
        context["top_pains"] = _hotspot_pains(context["heatmap"], analysed_customers)
    context["changes"] = _changes(run, context, previous)
    context["notes"] = _notes(run, context, notes)
    context["takeaways"] = _takeaways(context)
    return context


def _hotspot_pains(heat: Mapping[str, Any], analysed: int) -> list[dict[str, Any]]:
    """Without themes, the hottest linked journey cells stand in for the top pain points
    (a cell with neither stage nor touchpoint says nothing about where it hurts)."""
    cells = sorted(((row, heat["columns"][i], cell) for row in heat["rows"]
                    for i, cell in enumerate(row["cells"]) if cell and cell["linked"]),
                   key=lambda item: -item[2]["weight"])[:3]
    return [{"label": f"Problems at {isolate(row['name'])} / {isolate(touchpoint)}",
             "name": f"Problems at {isolate(row['name'])} / {isolate(touchpoint)}",
             "sentence": str(sentences().hotspot_sentence(cell["customers"])),
             "customers": cell["customers"],
             "share": 100 * cell["customers"] / analysed if analysed else None,
             "where": None, "trend": "trend needs themes", "severity": cell["severity"],
             "impact": None, "quote": cell["quote"]}
            for row, touchpoint, cell in cells]


def _notes(run: RunData, context: Mapping[str, Any], notes: dict[str, str]) -> dict[str, str]:
    """Why a section is missing: the run did not measure it (not: it found nothing)."""
    if not context["themes"]:
        notes["themes"] = ("This run has no themes (the themes stage did not run: older run "
                           "or a config without it).")
    if not journey_section.has_pain_points(run):
        notes["pain"] = "This run has no pain-point detection (the journey stage did not run)."
    if not context["heatmap"]:
        notes["journey"] = ("No journey map links in this run (the journey stage did not run "
                            "or found no pain points, or the drivers stage, which writes "
                            "journey.parquet, did not run).")
    if not context["stage_emotions"]:
        notes["emotions"] = "Emotions per journey stage need journey links and emotions."
    if not context["drivers"]:
        notes["drivers"] = ("No key-driver table in this run: drivers need an NPS or CSAT "
                            "score column and the drivers stage.")
    if run.kpis is None:
        notes["kpis"] = ("No NPS, CSAT or CES in this run, nor the customer counts and "
                         "sentiment mix: the drivers stage writes them (kpis.json) and did "
                         "not run.")
    if any("analysed" not in group for groups in ((run.kpis or {}).get("by") or {}).values()
           for group in groups):
        notes["breakdowns"] = ("This run's kpis.json has no answer figures per group "
                               "(written before it had): re-run 'voc analyze' to show "
                               "the breakdowns.")
    periods = ((run.kpis or {}).get("periods") or {}).get("rows") or ()
    if len(context["trend"]) < 2 and len(periods) >= 2:
        notes["trends"] = ("This run's kpis.json has no sentiment per period (written "
                           "before it had): re-run 'voc analyze' to show the trends.")
    elif len(context["trend"]) < 2:
        notes["trends"] = ("Trends need a date column spanning at least two periods, and "
                           "the drivers stage (kpis.json).")
    return notes


def _takeaways(context: Mapping[str, Any]) -> dict[str, str]:
    """One plain-language line per section: the figures each line is about are chosen
    here, and sentences.j2 words them."""
    say = sentences()
    volume = context["volume"]
    kpis = {k["name"]: k for k in context["kpis"]}
    takeaways = {"summary": str(say.summary(
        volume, context["languages"], _negative_share(context["sentiment_mix"]),
        context["top_pains"][0] if context["top_pains"] else None, kpis.get("nps")))}
    themes = context["themes"]
    if themes:
        takeaways["themes"] = str(say.themes(context["themes_total"],
                                             context["driver_metric"], themes[0]))
    if context["heatmap"]:
        takeaways["journey"] = str(say.journey(context["heatmap"]["hottest"]))
    if context["drivers"]:
        top_driver = context["drivers"]["groups"][0]["items"][0]
        takeaways["drivers"] = str(say.drivers(top_driver, context["drivers"]["metric"]))
    if context["stage_emotions"]:
        angriest = max(context["stage_emotions"], key=lambda row: next(
            (e["share"] for e in row["emotions"] if e["key"] == "anger"), 0))
        anger = next((e["share"] for e in angriest["emotions"] if e["key"] == "anger"), 0)
        takeaways["emotions"] = str(say.emotions(angriest["name"], anger))
    trend = context["trend"]
    if len(trend) >= 2:
        first, last = trend[0], trend[-1]
        change = (last["mean_sentiment"] - first["mean_sentiment"]
                  if first["mean_sentiment"] is not None
                  and last["mean_sentiment"] is not None else None)
        word = (None if change is None else "better" if change > 0.05
                else "worse" if change < -0.05 else "about the same")
        rising = context["moving_themes"]["rising"]
        takeaways["trends"] = str(say.trends(len(trend), context["period_unit"], first, last,
                                             change, word, rising[0] if rising else None))
    if context["breakdowns"]:
        takeaways["breakdowns"] = str(say.breakdowns(_most_negative(context["breakdowns"])))
    accuracy = [row["accuracy"] for row in context["head_accuracy"]
                if row["task"] == "sentiment"]
    takeaways["method"] = str(say.method(min(accuracy) if accuracy else None,
                                         max(accuracy) if accuracy else None))
    return takeaways


def _most_negative(breakdowns: Mapping[str, Sequence[Row]]) -> dict[str, Any] | None:
    """The group with the largest negative share among those of 20+ answers."""
    worst: dict[str, Any] | None = None
    for name, rows in breakdowns.items():
        for row in rows:
            share = row["negative_share"]
            if row["count"] >= 20 and share is not None and not row.get("folded") and (
                    worst is None or share > worst["share"]):
                worst = {"share": share, "name": name, "value": row["value"]}
    return worst
