"""Report sections about the journey: stage order, the pain heatmap, emotions per stage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from voc.errors import VocError
from voc.report.data import RunData
from voc.report.stats import UNASSIGNED, count_table, isolate, script_lang, shorten

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
    """Stage and touchpoint ids in journey order with display names (English · Persian):
    the journey map's, then those journey.parquet holds besides (every stage and
    touchpoint a segment was linked to; ids not in the map shown with spaces)."""
    stages: dict[str, str] = {}
    touchpoints: dict[str, str] = {}
    journey_map = _journey_map(run)
    if journey_map is not None:
        for item in journey_map.stages:
            stages[item.id] = _bilingual(item.name)
        for item in journey_map.touchpoints:
            touchpoints[item.id] = _bilingual(item.name)
    for row in run.journey or ():  # journey.parquet is in journey-map order
        for key, label, names in (("journey_stage", "stage_name", stages),
                                  ("touchpoint", "touchpoint_name", touchpoints)):
            value = row.get(key)
            if value not in UNASSIGNED and value not in names:
                name = row.get(label)
                names[value] = name if name and name != value else str(value).replace("_", " ")
    return {"stages": stages, "touchpoints": touchpoints}


def _bilingual(name: Mapping[str, str]) -> str:
    english, persian = name.get("en"), name.get("fa")
    if english and persian:
        return f"{english} · {isolate(persian)}"
    return english or persian or ""


def stage_pain_respondents(run: RunData) -> dict[str, int]:
    """kpis.json's respondents with a pain point per stage (a stage's cells share them)."""
    groups = ((run.kpis or {}).get("by") or {}).get("stage") or ()
    return {str(g["key"]): int(g.get("pain_respondents") or 0) for g in groups}


def _pain_figures(cells: Sequence[Row], customers: int | None = None) -> dict[str, Any]:
    """journey.parquet cells' pain points together: count, customers (the cells'
    `pain_respondents`, or `customers` where the caller has the distinct count), mean
    severity, weight (the sum of severities), top pain point (the most frequent theme,
    else the most severe complaint) and the most severe one as its quote."""
    pain_points = sum(int(c["pain_points"]) for c in cells)
    weight = sum(float(c["severity_sum"] or 0.0) for c in cells)
    themes: Counter[str] = Counter()
    for cell in cells:
        themes.update(dict(zip(cell["pain_themes"] or (), cell["pain_theme_counts"] or (),
                               strict=True)))
    worst = max((c for c in cells if c["worst_pain"] is not None),
                key=lambda c: (c["worst_severity"] or 0, len(c["worst_pain"]) >= 12))
    return {"pain_points": pain_points,
            "customers": customers if customers is not None
            else sum(int(c["pain_respondents"]) for c in cells),
            "severity": round(weight / pain_points, 2), "weight": weight,
            "top": themes.most_common(1)[0][0] if themes else shorten(worst["worst_pain"], 45),
            "quote": {"text": shorten(worst["worst_pain"], 400),
                      "lang": script_lang(worst["worst_pain"], worst["worst_pain_lang"])}}


def _place(row: Row, key: str) -> str:
    value = row.get(key)
    return "unassigned" if value in UNASSIGNED else str(value)


def heatmap(run: RunData, names: Mapping[str, Any]) -> dict[str, Any] | None:
    """Pain per stage x touchpoint, read from journey.parquet: count, customers
    (respondents), mean severity, top pain point.

    The cell's weight is volume x mean severity (= the sum of severities), so a few
    severe complaints and many mild ones compare on one scale. Touchpoints past
    MAX_TOUCHPOINT_COLUMNS are one "Other" column; its customers are the sum of its
    cells' (a respondent with pain at two of them counts twice there).
    """
    if not has_journey(run):
        return None
    cells: dict[tuple[str, str], Row] = {
        (_place(row, "journey_stage"), _place(row, "touchpoint")): row
        for row in run.journey or () if row.get("pain_points")}
    if not cells:
        return None
    weight_by_touchpoint: dict[str, float] = {}
    for (_, touchpoint), cell in cells.items():
        weight_by_touchpoint[touchpoint] = (weight_by_touchpoint.get(touchpoint, 0.0)
                                            + float(cell["severity_sum"] or 0.0))
    ordered = [t for t in [*names["touchpoints"], "unassigned"] if t in weight_by_touchpoint]
    shown = sorted(ordered, key=lambda t: -weight_by_touchpoint[t])[:MAX_TOUCHPOINT_COLUMNS]
    columns = [t for t in ordered if t in shown]
    others = [t for t in ordered if t not in shown]
    stage_ids = [*names["stages"], "unassigned"]
    rows, top = [], 0.0
    for stage in stage_ids:
        row_cells: list[dict[str, Any] | None] = []
        for touchpoint in [*columns, *(["other"] if others else [])]:
            keys = [touchpoint] if touchpoint != "other" else others
            members = [cells[(stage, t)] for t in keys if (stage, t) in cells]
            if not members:
                row_cells.append(None)
                continue
            figures = _pain_figures(members)
            top = max(top, figures["weight"])
            row_cells.append({**figures,
                              "linked": stage != "unassigned" or touchpoint != "unassigned"})
        if any(row_cells):
            rows.append({"stage": stage, "name": names["stages"].get(stage, "Unassigned"),
                         "cells": row_cells,
                         "pain_points": sum(c["pain_points"] for c in row_cells if c)})
    column_names = [names["touchpoints"].get(t, "Unassigned") for t in columns]
    if others:
        # The heading counts them ("Other (6 touchpoints)") in the template.
        column_names.append("Other touchpoints")
    pain_points = sum(int(c["pain_points"]) for c in cells.values())
    linked = sum(int(c["pain_points"]) for (stage, _), c in cells.items()
                 if stage != "unassigned")
    return {"columns": column_names, "other_touchpoints": len(others) if others else None,
            "rows": rows, "top_weight": top,
            "pain_points": pain_points, "linked_share": round(100 * linked / pain_points, 1),
            "hottest": _hottest_place(rows, cells, columns, column_names,
                                      stage_pain_respondents(run))}


def _hottest_place(rows: Sequence[Mapping[str, Any]], cells: Mapping[tuple[str, str], Row],
                   columns: Sequence[str], column_names: Sequence[str],
                   stage_customers: Mapping[str, int]) -> dict[str, Any]:
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
        members = [found for (stage, _), found in cells.items() if stage == row["stage"]]
        return {"stage": row["name"], "touchpoint": None, "place": row["name"],
                **_pain_figures(members, stage_customers.get(row["stage"])), "linked": True}
    candidates = [(r, c, i) for r in rows for i, c in enumerate(r["cells"]) if c]
    found_row, cell, index = max([item for item in candidates if item[1]["linked"]]
                                 or candidates, key=lambda item: item[1]["weight"])
    return {"stage": found_row["name"], "touchpoint": column_names[index],
            "place": column_names[index], **cell}


def stage_path(run: RunData, names: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The journey in stage order with pain volume per stage (the drawn journey line) and
    the customers (respondents, kpis.json's per stage) who reported it, from
    journey.parquet's cells."""
    customers = stage_pain_respondents(run)
    path = []
    for stage, name in names["stages"].items():
        members = [row for row in run.journey or () if row.get("journey_stage") == stage]
        segments = sum(int(row["segments"]) for row in members)
        pains = sum(int(row["pain_points"]) for row in members)
        path.append({"stage": stage, "name": name, "segments": segments,
                     "pain_points": pains, "customers": customers.get(stage, 0),
                     "pain_share": round(100 * pains / segments, 0) if segments else None})
    return path


def emotions_by_stage(run: RunData, names: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Emotion shares of every segment linked to each stage, in journey order: the sums
    of journey.parquet's `emotion_counts` over the stage's cells."""
    rows = []
    for stage, name in names["stages"].items():
        members = [row for row in run.journey or () if row.get("journey_stage") == stage]
        counts: Counter[str] = Counter()
        for row in members:
            counts.update({k: v for k, v in (row["emotion_counts"] or {}).items() if v})
        emotions = count_table(counts, EMOTION_ORDER)
        if emotions:
            rows.append({"stage": stage, "name": name,
                         "segments": sum(int(row["segments"]) for row in members),
                         "emotions": emotions})
    return rows
