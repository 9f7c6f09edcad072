"""Report sections about the journey: stage order, the pain heatmap, emotions per stage."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from voc.errors import VocError
from voc.report.data import RunData
from voc.report.stats import (
    UNASSIGNED,
    customer_count,
    isolate,
    script_lang,
    share_table,
    shorten,
)

Row = Mapping[str, Any]
EMOTION_ORDER = ("anger", "disgust", "fear", "sadness", "surprise", "joy", "neutral")
MAX_TOUCHPOINT_COLUMNS = 8


def has_journey(run: RunData) -> bool:
    return any(s.get("journey_stage") is not None for s in run.segments)


def has_pain_points(run: RunData) -> bool:
    return any(s.get("is_pain_point") is not None for s in run.segments)


def _journey_map(run: RunData) -> Any:
    """The run's journey map, when its config names one this machine can load."""
    from voc.journey.maps import load_journey_map

    section = (run.manifest.get("config") or {}).get("journey") or {}
    name = section.get("map") or section.get("journey") if isinstance(section, dict) else None
    if not name:
        return None
    try:
        return load_journey_map(name)
    except (VocError, OSError, ValueError):
        return None


def journey_names(run: RunData) -> dict[str, Any]:
    """Stage and touchpoint ids in journey order with display names (English · Persian)."""
    stages: dict[str, str] = {}
    touchpoints: dict[str, str] = {}
    journey_map = _journey_map(run)
    if journey_map is not None:
        for item in journey_map.stages:
            stages[item.id] = _bilingual(item.name)
        for item in journey_map.touchpoints:
            touchpoints[item.id] = _bilingual(item.name)
    for row in run.journey or ():  # journey.parquet is in journey-map order
        stage, touchpoint = row.get("journey_stage"), row.get("touchpoint")
        if stage not in UNASSIGNED:
            stages.setdefault(stage, row.get("stage_name") or stage)
        if touchpoint not in UNASSIGNED:
            touchpoints.setdefault(touchpoint, row.get("touchpoint_name") or touchpoint)
    for key, names in (("journey_stage", stages), ("touchpoint", touchpoints)):
        present = {v for s in run.segments if (v := s.get(key)) is not None}
        for value in sorted(present - set(UNASSIGNED) - set(names)):
            names[value] = str(value).replace("_", " ")
    return {"stages": stages, "touchpoints": touchpoints}


def _bilingual(name: Mapping[str, str]) -> str:
    english, persian = name.get("en"), name.get("fa")
    if english and persian:
        return f"{english} · {isolate(persian)}"
    return english or persian or ""


def _top_label(members: Sequence[Row]) -> str | None:
    """The cell's most frequent theme; without themes, its most severe complaint."""
    labels = Counter(s["theme_label"] for s in members if s.get("theme_label"))
    if labels:
        return labels.most_common(1)[0][0]
    return shorten(_worst(members)["text"], 45)


def _worst(members: Sequence[Row]) -> Row:
    return max(members, key=lambda s: (s.get("severity") or 0, len(s["text"]) >= 12))


def _pain_figures(members: Sequence[Row], who: Mapping[int, Any]) -> dict[str, Any]:
    """A group of pain points in figures: count, customers, mean severity, weight (the sum
    of severities), top pain point and the most severe one as its quote."""
    weight = sum(s.get("severity") or 0 for s in members)
    worst = _worst(members)
    return {"pain_points": len(members),
            "customers": customer_count((s["row_id"] for s in members), who),
            "severity": round(weight / len(members), 2), "weight": weight,
            "top": _top_label(members),
            "quote": {"text": shorten(worst["text"], 400),
                      "lang": script_lang(worst["text"], worst.get("lang"))}}


def heatmap(run: RunData, names: Mapping[str, Any], who: Mapping[int, Any]
            ) -> dict[str, Any] | None:
    """Pain per stage x touchpoint: count, customers (respondents, `who`: row id ->
    respondent), mean severity, top pain point.

    The cell's weight is volume x mean severity (= the sum of severities), so a few
    severe complaints and many mild ones compare on one scale.
    """
    pains = [s for s in run.segments if s.get("is_pain_point")]
    if not pains or not has_journey(run):
        return None
    stage_ids = [*names["stages"], "unassigned"]
    cells: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for segment in pains:
        stage = segment.get("journey_stage")
        touchpoint = segment.get("touchpoint")
        cells[(stage if stage not in UNASSIGNED else "unassigned",
               touchpoint if touchpoint not in UNASSIGNED else "unassigned")].append(segment)
    weight_by_touchpoint: Counter[str] = Counter()
    for (_, touchpoint), members in cells.items():
        weight_by_touchpoint[touchpoint] += sum(s.get("severity") or 0 for s in members)
    ordered = [t for t in [*names["touchpoints"], "unassigned"] if t in weight_by_touchpoint]
    shown = sorted(ordered, key=lambda t: -weight_by_touchpoint[t])[:MAX_TOUCHPOINT_COLUMNS]
    columns = [t for t in ordered if t in shown]
    others = [t for t in ordered if t not in shown]
    rows, top = [], 0.0
    for stage in stage_ids:
        row_cells: list[dict[str, Any] | None] = []
        for touchpoint in [*columns, *(["other"] if others else [])]:
            keys = [touchpoint] if touchpoint != "other" else others
            members = [s for t in keys for s in cells.get((stage, t), ())]
            if not members:
                row_cells.append(None)
                continue
            figures = _pain_figures(members, who)
            top = max(top, figures["weight"])
            row_cells.append({**figures,
                              "linked": stage != "unassigned" or touchpoint != "unassigned"})
        if any(row_cells):
            rows.append({"stage": stage, "name": names["stages"].get(stage, "Unassigned"),
                         "cells": row_cells,
                         "pain_points": sum(c["pain_points"] for c in row_cells if c)})
    column_names = [names["touchpoints"].get(t, "Unassigned") for t in columns]
    if others:
        column_names.append(f"Other ({len(others)} touchpoints)")
    linked = sum(1 for s in pains if s.get("journey_stage") not in UNASSIGNED)
    return {"columns": column_names, "rows": rows, "top_weight": top,
            "pain_points": len(pains), "linked_share": round(100 * linked / len(pains), 1),
            "hottest": _hottest_place(rows, cells, columns, column_names, who)}


def _hottest_place(rows: Sequence[Mapping[str, Any]],
                   cells: Mapping[tuple[str, str], Sequence[Row]], columns: Sequence[str],
                   column_names: Sequence[str], who: Mapping[int, Any]) -> dict[str, Any]:
    """Where pain concentrates, in figures that agree with the stage table beside it.

    The heaviest stage (sum of severities) is the place. It is narrowed to one of its
    touchpoints only when that cell holds at least half the stage's weight; otherwise the
    figures are the whole stage's, so "Pain concentrates at Delivery: 47 pain points" never
    sits next to a table that gives Delivery 93. Without any linked stage, the heaviest
    touchpoint is the place; a cell with neither only when nothing was linked at all.
    """
    staged = [r for r in rows if r["stage"] != "unassigned"]
    if staged:
        row = max(staged, key=lambda r: sum(c["weight"] for c in r["cells"] if c))
        weight = sum(c["weight"] for c in row["cells"] if c)
        named = [(i, c) for i, c in enumerate(row["cells"])
                 if c and (columns[i] if i < len(columns) else "other") != "unassigned"]
        if named:
            index, cell = max(named, key=lambda item: item[1]["weight"])
            if cell["weight"] >= weight / 2:
                touchpoint_name = column_names[index]
                return {"stage": row["name"], "touchpoint": touchpoint_name,
                        "place": f"{isolate(row['name'])} / {isolate(touchpoint_name)}",
                        **cell}
        members = [s for (stage, _), found in cells.items() if stage == row["stage"]
                   for s in found]
        return {"stage": row["name"], "touchpoint": None, "place": row["name"],
                **_pain_figures(members, who), "linked": True}
    candidates = [(r, c, i) for r in rows for i, c in enumerate(r["cells"]) if c]
    found_row, cell, index = max([item for item in candidates if item[1]["linked"]]
                                 or candidates, key=lambda item: item[1]["weight"])
    return {"stage": found_row["name"], "touchpoint": column_names[index],
            "place": column_names[index], **cell}


def stage_path(run: RunData, names: Mapping[str, Any], who: Mapping[int, Any]
               ) -> list[dict[str, Any]]:
    """The journey in stage order with pain volume per stage (the drawn journey line) and
    the customers (respondents, `who`) who reported it."""
    by_stage: dict[str, list[Row]] = defaultdict(list)
    for segment in run.segments:
        if segment.get("journey_stage") not in UNASSIGNED:
            by_stage[segment["journey_stage"]].append(segment)
    path = []
    for stage, name in names["stages"].items():
        members = by_stage.get(stage, [])
        pains = [s for s in members if s.get("is_pain_point")]
        path.append({"stage": stage, "name": name, "segments": len(members),
                     "pain_points": len(pains),
                     "customers": customer_count((s["row_id"] for s in pains), who),
                     "pain_share": round(100 * len(pains) / len(members), 0) if members else None})
    return path


def emotions_by_stage(run: RunData, names: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Emotion shares of every segment linked to each stage, in journey order."""
    rows = []
    for stage, name in names["stages"].items():
        members = [s for s in run.segments if s.get("journey_stage") == stage]
        emotions = share_table((s.get("emotion") for s in members), EMOTION_ORDER)
        if emotions:
            rows.append({"stage": stage, "name": name, "segments": len(members),
                         "emotions": emotions})
    return rows
