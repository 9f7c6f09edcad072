"""Pipeline component `drivers` (last): KPIs per group, key drivers, the journey matrix
and the pain-point table, from the records' scores and the segments' journey links and
themes. Writes DIR/kpis.json, drivers.parquet, journey.parquet and pain_points.parquet.

kpis.json also holds the KPIs per period (voc.kpi.periods), so the report's trend reads
them instead of computing its own: NPS is a per-respondent score, so a period's NPS
counts every respondent with a score whose answer is dated in it, analysed or not, as
the overall figure does; one person's answers to two questions count once.

Beside the KPIs, `overall` and each period row carry the answers' sentiment and pain
figures (`answer_figures`), and `by` has every group the report breaks down by (source
and question too), so the report shows these figures and computes none (issue 18).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from voc.heads.labels import EMOTION_LABELS
from voc.io.columns import meta_of, segment_columns
from voc.io.records import ANALYZED_STATUSES
from voc.journey.linking import UNASSIGNED
from voc.journey.maps import JourneyMap
from voc.kpi.drivers import key_drivers
from voc.kpi.periods import PeriodGrid, period_grid
from voc.kpi.scores import KPI_FUNCTIONS, nps, respondent_key
from voc.pipeline.base import OutputTable, Record, RunState, Segment, register
from voc.pipeline.fields import Declares, Kind, record_fields, segment_fields
from voc.pipeline.settings import DriversSettings
from voc.privacy.columns import redact_value

if TYPE_CHECKING:
    from voc.pipeline.resources import Resources

DRIVER_METRICS = ("nps", "csat")
# The most rows a breakdown shows: past it, the smallest groups are one "N others" row,
# whose figures kpis.json's `others` carries (the report folds the same groups).
BREAKDOWN_ROWS = 15

# DIR/pain_points.parquet: one row per pain-point segment, with what a CX team filters on.
PAIN_POINTS_SCHEMA = pa.schema([
    ("row_id", pa.int64()),
    ("segment_id", pa.string()),
    ("id", pa.string()),
    ("date", pa.string()),
    ("channel", pa.string()),
    ("lang", pa.string()),
    ("text", pa.string()),
    ("journey_stage", pa.string()),
    ("touchpoint", pa.string()),
    ("link_confidence", pa.float64()),
    ("link_evidence", pa.string()),
    ("severity", pa.float64()),
    ("effort", pa.float64()),
    # What made it a pain point: any of negative, effort, unmet_expectation (comma-joined).
    ("cues", pa.string()),
    ("sentiment", pa.string()),
    ("sentiment_score", pa.float64()),
    ("emotion", pa.string()),
    ("theme_id", pa.int64()),
    ("nps", pa.float64()),
    ("csat", pa.float64()),
    ("ces", pa.float64()),
])

# DIR/journey.parquet: the journey matrix, one row per stage x touchpoint seen in the run
# (`unassigned` included), in journey-map order. Shares and NPS are over that cell.
JOURNEY_SCHEMA = pa.schema([
    ("journey_stage", pa.string()),
    ("touchpoint", pa.string()),
    ("stage_name", pa.string()),
    ("touchpoint_name", pa.string()),
    ("segments", pa.int64()),  # volume: linked segments
    ("records", pa.int64()),  # distinct answers behind them
    ("pain_points", pa.int64()),
    ("pain_point_share", pa.float64()),  # 0..1
    ("mean_severity", pa.float64()),  # over the cell's pain points (null: none)
    ("dominant_emotion", pa.string()),  # most frequent non-neutral emotion, else neutral
    ("nps", pa.float64()),  # over the distinct records behind the cell
    ("nps_low", pa.float64()),
    ("nps_high", pa.float64()),
    ("nps_n", pa.int64()),
    # What the report's journey sections show, so it groups no segments itself (issue 18).
    # Distinct respondents (voc.kpi.scores.respondent_key) with a segment in the cell, and
    # with a pain point in it: the report's "customers".
    ("respondents", pa.int64()),
    ("pain_respondents", pa.int64()),
    ("severity_sum", pa.float64()),  # sum of the pain points' severities (the heat weight)
    # Segments per emotion label (an emotionless segment in none): shares per stage add up.
    ("emotion_counts", pa.struct([(label, pa.int64()) for label in EMOTION_LABELS])),
    # The theme labels of the cell's pain points, most frequent first (ties: first seen),
    # and how many pain points carry each.
    ("pain_themes", pa.list_(pa.string())),
    ("pain_theme_counts", pa.list_(pa.int64())),
    # The most severe pain point (the first of equals, preferring one of 12+ characters):
    # its text (redacted as the segments are), language and severity.
    ("worst_pain", pa.string()),
    ("worst_pain_lang", pa.string()),
    ("worst_severity", pa.float64()),
])

# DIR/drivers.parquet: key drivers of a score, one row per group (a theme, or a stage x
# touchpoint cell) and metric, ranked by impact among the groups with enough support.
DRIVERS_SCHEMA = pa.schema([
    ("kind", pa.string()),  # theme | stage_touchpoint
    ("group", pa.string()),  # theme id, or "stage/touchpoint"
    ("label", pa.string()),
    ("theme_id", pa.int64()),
    ("journey_stage", pa.string()),
    ("touchpoint", pa.string()),
    ("metric", pa.string()),  # nps | csat
    ("n", pa.int64()),  # scored records mentioning the group
    ("share", pa.float64()),  # of all scored records, 0..1
    ("score_group", pa.float64()),  # the metric among those records
    ("score_rest", pa.float64()),  # ... and among all the others
    # Thematic-style impact, in score points: the overall score if the group's
    # detractors (NPS 0-6; CSAT 1-3) scored like the rest of the answers, minus the actual
    # overall score. Positive = the group drags the score down by that much.
    ("impact", pa.float64()),
    ("impact_low", pa.float64()),
    ("impact_high", pa.float64()),
    # Regression estimate: least-squares fit of each record's score (NPS: promoter 100,
    # passive 0, detractor -100; CSAT: 100 for top-2-box) on all groups' indicators at
    # once, times the group's share, sign flipped so positive = drags the score down.
    ("regression_impact", pa.float64()),
    ("regression_low", pa.float64()),
    ("regression_high", pa.float64()),
    ("supported", pa.bool_()),  # n >= drivers.min_support: only these are ranked
    ("rank", pa.int64()),  # 1 = biggest supported driver per kind and metric
])

KPIS_DOCUMENT_DOC = """DIR/kpis.json (written by the drivers component):

{
  "overall": {"records": 120, "nps": KPI, "csat": KPI, "ces": KPI, **ANSWERS, **MIX},
  "by": {
    "theme":      [{"key": "3", "label": "delivery delays", "records": 40,
                    "nps": KPI, "csat": KPI, "ces": KPI, **ANSWERS,
                    "pain_respondents": 25}, ...],
    "stage":      [{"key": "delivery", "label": "Delivery", ...}, ...],
    "touchpoint": [...], "channel": [...], "lang": [...], "source": [...],
    "question": [...],
    "meta.<column>": [...]       # one per column of `meta` with few distinct values
  },
  "min_support": 10,
  "others": {"channel": {"keys": ["kiosk", ...], "records": 9, "nps": KPI, "csat": KPI,
                         "ces": KPI, **ANSWERS}},  # only dimensions with > 15 groups
  "periods": {"unit": "month",   # or "week": voc.kpi.periods, the run's one period grid
              "rows": [{"period": "2026-07", "records": 29, "nps": KPI, "csat": KPI,
                        "ces": KPI, **ANSWERS}, ...]}  # every period with a dated record
}

KPI = {"name": "nps", "value": 12.5, "low": -3.1, "high": 28.0, "n": 80}: value and the
95% interval bounds (null when n is too small; value null when n is 0). NPS in points
-100..100, CSAT in percent (top-2-box), CES mean on 1..7. A record counts once per group
it belongs to (a record touching two stages counts in both); `records` is the group's
record count, `n` the records with that score. Groups are sorted by `records`, largest
first; `unassigned` is its own group for stage and touchpoint. Each group's ANSWERS are
over the analysed answers with its key: an answer's own channel, lang, source, question
and meta value, its segments' themes, stages and touchpoints. In channel, lang, source,
question and meta.<column>, a group with "key": null (label "—", listed last) holds the
answers without a value and the respondents with none, when there are such answers.
In `periods` a respondent counts once, in the period of their first answer's date
(analysed or not, as `overall`); a period's `records` is its respondents.

ANSWERS = {"analysed": 52, "mean_sentiment": -0.125, "negative_share": 40.4,
"pain_share": 31.0} (voc.kpi.component.answer_figures): over the analysed answer rows
(status ok or too_long), each in the period (group) of its own date (key), not over
respondents: `analysed` counts them, `mean_sentiment` is their mean sentiment_score (-1..1),
`negative_share` the percent negative or mixed, `pain_share` the percent with a pain-point
segment (null when the run detected no pain points); null when no answer was analysed.
In theme, stage and touchpoint, `pain_respondents` counts the group's respondents with a
pain-point segment in that group (null when the run detected no pain points).

In `others`, a dimension of `by` with more than BREAKDOWN_ROWS (15) groups with analysed
answers has its groups after the 14 largest (by `analysed`, then key: the report's order)
together, as the report's "N others" row shows them: KPIs over the respondents of any of
them, ANSWERS over the answers with any of their keys, each respondent and answer once.

MIX = {"analysed_respondents": 95, "pain_respondents": 60,
"sentiments": {"negative": 30, "positive": 15, ...}, "emotions": {"anger": 12, ...},
"segments": 210, "unthemed_segments": 31} (voc.kpi.component.answer_mix), in `overall`
only: the respondents with an analysed answer and with a pain point (null when the run
detected no pain points), the analysed answers per sentiment and per emotion label (most
frequent first; an answer without one in none), the run's segments and those without a
theme. The answers' count per language and status are run.json's `counts`.
"""
_NON_EMOTIONS = {"neutral", None}


@dataclass
class Respondent:
    """One survey response / review / ticket: the records of its answers together."""

    scores: dict[str, float | None]
    channel: str | None
    source: str | None = None
    langs: set[str] = field(default_factory=set)
    questions: set[str] = field(default_factory=set)
    meta: dict[str, Any] = field(default_factory=dict)
    themes: set[str] = field(default_factory=set)
    stages: set[str] = field(default_factory=set)
    touchpoints: set[str] = field(default_factory=set)
    cells: set[tuple[str, str]] = field(default_factory=set)
    # The themes and stage x touchpoint cells of their pain-point segments.
    pain_themes: set[str] = field(default_factory=set)
    pain_cells: set[tuple[str, str]] = field(default_factory=set)
    # The row id of the respondent's first answer: its date places them in a period.
    first_row: int | None = None


def respondents(records: Sequence[Record], segments: Sequence[Segment]
                ) -> tuple[list[Respondent], dict[int, int]]:
    """Group records by input row (source, source_row); map row_id -> respondent index."""
    index: dict[tuple[Any, Any], int] = {}
    people: list[Respondent] = []
    of_row: dict[int, int] = {}
    for record in records:
        key = respondent_key(record)
        if key not in index:
            index[key] = len(people)
            people.append(Respondent(
                scores={m: record.get(m) for m in KPI_FUNCTIONS},
                channel=record.get("channel"), source=record.get("source"),
                meta=meta_of(record), first_row=record["row_id"]))
        person = people[index[key]]
        of_row[record["row_id"]] = index[key]
        if record.get("lang"):
            person.langs.add(record["lang"])
        if record.get("question"):
            person.questions.add(str(record["question"]))
    for segment in segments:
        person = people[of_row[segment["row_id"]]]
        if segment.get("theme_id") is not None:
            person.themes.add(str(segment["theme_id"]))
        stage = segment.get("journey_stage") or UNASSIGNED
        touchpoint = segment.get("touchpoint") or UNASSIGNED
        person.stages.add(stage)
        person.touchpoints.add(touchpoint)
        person.cells.add((stage, touchpoint))
        if segment.get("is_pain_point"):
            person.pain_cells.add((stage, touchpoint))
            if segment.get("theme_id") is not None:
                person.pain_themes.add(str(segment["theme_id"]))
    return people, of_row


def kpis(people: Sequence[Respondent]) -> dict[str, Any]:
    return {name: function(p.scores[name] for p in people).as_dict()
            for name, function in KPI_FUNCTIONS.items()}


def _breakdown(people: Sequence[Respondent], keys: Callable[[Respondent], Iterable[str]],
               labels: Mapping[str, str],
               answers: Callable[[Record], Iterable[str | None]] | None = None,
               records: Sequence[Record] = (), pain_rows: set[int] | None = None,
               pains: Callable[[Respondent], set[str]] | None = None
               ) -> list[dict[str, Any]]:
    """One row per group key: its respondents' KPIs and, with `answers` (an answer's
    group keys) and `records`, the answer_figures of the analysed answers with that key.
    With `pains` (a respondent's group keys of their pain points) and pain points
    detected, `pain_respondents`: the group's respondents with a pain point in it.
    An answer key None (the answer has no value) makes a group with key null: the
    answers, and the respondents, without a value (the report's "—" row)."""
    groups: dict[str | None, list[Respondent]] = {}
    for person in people:
        for key in keys(person):
            groups.setdefault(key, []).append(person)
    answered: dict[str | None, list[Record]] = {}
    if answers is not None and records:
        for record in records:
            for answer_key in answers(record):
                answered.setdefault(answer_key, []).append(record)
        if None in answered:
            groups[None] = [p for p in people if not list(keys(p))]
    rows = [{"key": key, "label": "—" if key is None else labels.get(key, key),
             "records": len(members), **kpis(members),
             **(answer_figures(answered.get(key, ()), pain_rows)
                if answers is not None and records else {}),
             **({"pain_respondents": None if pain_rows is None
                 else sum(key in pains(p) for p in members)} if pains is not None else {})}
            for key, members in groups.items()]
    return sorted(rows, key=lambda row: (row["key"] is None, -row["records"],
                                         row["key"] or ""))


def _folded(people: Sequence[Respondent], keys: Callable[[Respondent], Iterable[str]],
            answers: Callable[[Record], Iterable[str | None]], records: Sequence[Record],
            pain_rows: set[int] | None, rows: Sequence[Mapping[str, Any]]
            ) -> dict[str, Any] | None:
    """Past BREAKDOWN_ROWS groups with analysed answers, the groups after the largest
    BREAKDOWN_ROWS - 1 (by analysed answers, then key: the report's order) together, as
    the report's "N others" row shows them: their KPIs over the respondents of any of
    them and the answer_figures of the answers with any of their keys, each respondent
    and answer once. None when a dimension has no more groups than that."""
    ranked = sorted((row for row in rows if row.get("analysed")),
                    key=lambda row: (-row["analysed"], str(row.get("key"))))
    if len(ranked) <= BREAKDOWN_ROWS:
        return None
    folded = [row["key"] for row in ranked[BREAKDOWN_ROWS - 1:]]
    chosen = set(folded)
    members = [p for p in people
               if chosen & set(keys(p)) or (None in chosen and not list(keys(p)))]
    found = [r for r in records if chosen & set(answers(r))]
    return {"keys": folded, "records": len(members), **kpis(members),
            **answer_figures(found, pain_rows)}


def _meta_key(column: str) -> Callable[[Record], list[str | None]]:
    """An answer's group key for a `meta` column: its value, redacted (the answers of
    one respondent are one input row's, with its one meta)."""
    def key(record: Record) -> list[str | None]:
        value = meta_of(record).get(column)
        return [redact_value(value)] if value not in (None, "") else [None]
    return key


def _value(value: Any) -> list[str | None]:
    """An answer's one group key, None when it has no value."""
    return [str(value) if value not in (None, "") else None]


def _meta_values(column: str) -> Callable[[Respondent], list[str]]:
    """A respondent's value of one `meta` column, with personal data inside it replaced."""
    return lambda p: [redact_value(p.meta[column])] if p.meta.get(column) is not None else []


def pain_rows_of(segments: Sequence[Segment]) -> set[int] | None:
    """Row ids of the answers with a pain point; None when pain points were not detected
    (no segment carries `is_pain_point`: the journey stage did not run)."""
    if not any(s.get("is_pain_point") is not None for s in segments):
        return None
    return {s["row_id"] for s in segments if s.get("is_pain_point")}


def answer_figures(records: Iterable[Record], pain_rows: set[int] | None
                   ) -> dict[str, Any]:
    """Sentiment and pain of the analysed answers among `records`.

    The population is answer rows (records) whose status is analysed (ANALYZED_STATUSES),
    not respondents and not segments: sentiment is a property of what was said, and an
    answer is what a reader counts as "answers" beside these figures (the report's
    "Answers" column). An answer's sentiment is its record's (the segments' aggregate);
    it is negative when that is negative or mixed; it reports a problem when one of its
    segments is a pain point. Shares in percent. Stored to four decimals (the mean to six),
    not to the digit the report prints: rounded twice, 6 of 11 (54.545%) was stored as
    54.5 and printed as 54%.
    """
    analysed = [r for r in records if r.get("status") in ANALYZED_STATUSES]
    scores = [float(r["sentiment_score"]) for r in analysed
              if r.get("sentiment_score") is not None]
    negative = sum(r.get("sentiment") in ("negative", "mixed") for r in analysed)
    return {
        "analysed": len(analysed),
        "mean_sentiment": round(sum(scores) / len(scores), 6) if scores else None,
        "negative_share": round(100 * negative / len(analysed), 4) if analysed else None,
        "pain_share": round(100 * sum(r["row_id"] in pain_rows for r in analysed)
                            / len(analysed), 4)
        if pain_rows is not None and analysed else None,
    }


def answer_mix(records: Sequence[Record], segments: Sequence[Segment],
               pain_rows: set[int] | None) -> dict[str, Any]:
    """The run's answers in counts, for `overall` (the report's volume and mixes): the
    respondents with an analysed answer and with a pain point (null when pain points
    were not detected), the analysed answers per sentiment and per emotion (most frequent
    first, ties in answer order; answers without one in none), the segments and those
    without a theme."""
    analysed = [r for r in records if r.get("status") in ANALYZED_STATUSES]
    who = {r["row_id"]: respondent_key(r) for r in records}
    return {
        "analysed_respondents": len({who[r["row_id"]] for r in analysed}),
        "pain_respondents": None if pain_rows is None
        else len({who.get(row, row) for row in pain_rows}),
        "sentiments": dict(Counter(r["sentiment"] for r in analysed
                                   if r.get("sentiment") is not None).most_common()),
        "emotions": dict(Counter(r["emotion"] for r in analysed
                                 if r.get("emotion") is not None).most_common()),
        "segments": len(segments),
        "unthemed_segments": sum(s.get("theme_id") is None for s in segments),
    }


def period_kpis(people: Sequence[Respondent], grid: PeriodGrid,
                records: Sequence[Record] = (), pain_rows: set[int] | None = None
                ) -> dict[str, Any]:
    """KPIs per period, in time order: each respondent in the period of their first
    answer (the answer their scores are taken from), every period of the grid listed.
    With `records`, each row also has `answer_figures` of the answers dated in it (each
    answer in the period of its own date)."""
    by_period: dict[str, list[Respondent]] = {period: [] for period in grid.periods}
    for person in people:
        period = grid.of_row.get(person.first_row) if person.first_row is not None else None
        if period is not None:
            by_period[period].append(person)
    answers: dict[str, list[Record]] = {period: [] for period in grid.periods}
    for record in records:
        if (period := grid.of_row.get(record["row_id"])) is not None:
            answers[period].append(record)
    return {"unit": grid.unit,
            "rows": [{"period": period, "records": len(members), **kpis(members),
                      **(answer_figures(answers[period], pain_rows) if records else {})}
                     for period, members in by_period.items()]}


def kpi_document(people: Sequence[Respondent], labels: Mapping[str, Mapping[str, str]],
                 min_support: int, grid: PeriodGrid | None = None,
                 records: Sequence[Record] = (), pain_rows: set[int] | None = None,
                 segments: Sequence[Segment] | None = None) -> dict[str, Any]:
    """The kpis.json document (shape: KPIS_DOCUMENT_DOC); `periods` is
    left out without a grid (no dated records given). With `records` (and `pain_rows`,
    pain_rows_of the segments), `overall`, each period and each `by` group also carry
    answer_figures; the theme, stage and touchpoint groups only with `segments` (they
    place an answer in its segments' groups)."""
    # Each group's answer figures group the answers as the respondents: an answer by its
    # segments' themes, stages and touchpoints, its own channel, language, source,
    # question and meta value.
    themes: dict[int, set[str]] = {}
    stages: dict[int, set[str]] = {}
    touchpoints: dict[int, set[str]] = {}
    for segment in segments or ():
        row = segment["row_id"]
        if segment.get("theme_id") is not None:
            themes.setdefault(row, set()).add(str(segment["theme_id"]))
        stages.setdefault(row, set()).add(segment.get("journey_stage") or UNASSIGNED)
        touchpoints.setdefault(row, set()).add(segment.get("touchpoint") or UNASSIGNED)
    linked = records if segments is not None else ()

    def segment_keys(keys: Mapping[int, set[str]]) -> Callable[[Record], Iterable[str]]:
        return lambda record: keys.get(record["row_id"], ())

    by: dict[str, list[dict[str, Any]]] = {}
    others: dict[str, dict[str, Any]] = {}

    def add(dimension: str, keys: Callable[[Respondent], Iterable[str]],
            dimension_labels: Mapping[str, str],
            answers: Callable[[Record], Iterable[str | None]], answered: Sequence[Record],
            pains: Callable[[Respondent], set[str]] | None = None) -> None:
        by[dimension] = _breakdown(people, keys, dimension_labels, answers, answered,
                                   pain_rows, pains)
        folded = _folded(people, keys, answers, answered, pain_rows, by[dimension])
        if folded is not None:
            others[dimension] = folded

    add("theme", lambda p: p.themes, labels.get("theme", {}), segment_keys(themes), linked,
        lambda p: p.pain_themes)
    add("stage", lambda p: p.stages, labels.get("stage", {}), segment_keys(stages), linked,
        lambda p: {stage for stage, _ in p.pain_cells})
    add("touchpoint", lambda p: p.touchpoints, labels.get("touchpoint", {}),
        segment_keys(touchpoints), linked,
        lambda p: {touchpoint for _, touchpoint in p.pain_cells})
    add("channel", lambda p: [p.channel] if p.channel else [], {},
        lambda r: _value(r.get("channel")), records)
    add("lang", lambda p: p.langs, {}, lambda r: _value(r.get("lang")), records)
    add("source", lambda p: [p.source] if p.source else [], {},
        lambda r: _value(r.get("source")), records)
    add("question", lambda p: p.questions, {}, lambda r: _value(r.get("question")), records)
    for column in segment_columns([p.meta for p in people]):
        # Keys are shown (kpis.json, dashboards): personal data inside a value is replaced.
        add(f"meta.{column}", _meta_values(column), {}, _meta_key(column), records)
    overall = {"records": len(people), **kpis(people),
               **(answer_figures(records, pain_rows) if records else {}),
               **(answer_mix(records, segments or (), pain_rows) if records else {})}
    document: dict[str, Any] = {"overall": overall, "by": by, "min_support": min_support,
                                "others": others}
    if grid is not None:
        document["periods"] = period_kpis(people, grid, records, pain_rows)
    return document


def driver_rows(people: Sequence[Respondent], labels: Mapping[str, Mapping[str, str]],
                min_support: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    kinds: dict[str, Callable[[Respondent], set[Any]]] = {
        "theme": lambda p: p.themes,
        "stage_touchpoint": lambda p: {c for c in p.cells if UNASSIGNED not in c},
    }
    for metric in DRIVER_METRICS:
        scored = [p for p in people if p.scores.get(metric) is not None]
        values = [float(p.scores[metric]) for p in scored]  # type: ignore[arg-type]
        for kind, groups_of in kinds.items():
            found = [groups_of(p) for p in scored]
            groups = sorted({g for of_person in found for g in of_person}, key=str)
            # One pass over people, not one per group (100k people x 60 groups took 10 s).
            column = {g: i for i, g in enumerate(groups)}
            flags = np.zeros((len(scored), len(groups)), dtype=bool)
            for index, of_person in enumerate(found):
                flags[index, [column[g] for g in of_person]] = True
            memberships = {_group_key(g): flags[:, i] for i, g in enumerate(groups)}
            for estimate in key_drivers(values, memberships, metric, min_support):
                row = {"kind": kind, "group": estimate.group, "metric": metric,
                       **{k: v for k, v in vars(estimate).items() if k != "group"}}
                if kind == "theme":
                    row.update(theme_id=_int_or_none(estimate.group),
                               label=labels.get("theme", {}).get(estimate.group,
                                                                 estimate.group))
                else:
                    stage, touchpoint = estimate.group.split("/", 1)
                    row.update(journey_stage=stage, touchpoint=touchpoint,
                               label=f"{labels['stage'].get(stage, stage)} / "
                                     f"{labels['touchpoint'].get(touchpoint, touchpoint)}")
                rows.append(row)
    return sorted(rows, key=lambda r: (r["metric"], r["kind"], r["rank"] is None,
                                       r["rank"] or 0, -r["n"]))


def _group_key(group: Any) -> str:
    return "/".join(group) if isinstance(group, tuple) else str(group)


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def dominant_emotion(emotions: Iterable[str | None]) -> str:
    counts = Counter(e for e in emotions if e is not None and e not in _NON_EMOTIONS)
    return counts.most_common(1)[0][0] if counts else "neutral"


def _pain_themes(pains: Sequence[Segment]) -> dict[str, list[Any]]:
    """The theme labels of pain points, most frequent first (ties: first seen)."""
    counts = Counter(s["theme_label"] for s in pains if s.get("theme_label"))
    ranked = counts.most_common()
    return {"pain_themes": [label for label, _ in ranked],
            "pain_theme_counts": [count for _, count in ranked]}


def _worst_pain(pains: Sequence[Segment]) -> dict[str, Any]:
    """The most severe pain point, the first of equals, preferring 12+ characters (a
    readable quote)."""
    if not pains:
        return {"worst_pain": None, "worst_pain_lang": None, "worst_severity": None}
    worst = max(pains, key=lambda s: (s.get("severity") or 0, len(s["text"]) >= 12))
    return {"worst_pain": worst["text"], "worst_pain_lang": worst.get("lang"),
            "worst_severity": worst.get("severity") or 0.0}


def journey_matrix(segments: Sequence[Segment], people: Sequence[Respondent],
                   of_row: Mapping[int, int], journey: JourneyMap | None
                   ) -> list[dict[str, Any]]:
    cells: dict[tuple[str, str], list[Segment]] = {}
    for segment in segments:
        key = (segment.get("journey_stage") or UNASSIGNED,
               segment.get("touchpoint") or UNASSIGNED)
        cells.setdefault(key, []).append(segment)
    stage_order = {s: i for i, s in enumerate(journey.stage_ids())} if journey else {}
    touch_order = {t: i for i, t in enumerate(journey.touchpoint_ids())} if journey else {}
    stage_names = {s.id: s.label() for s in journey.stages} if journey else {}
    touch_names = {t.id: t.label() for t in journey.touchpoints} if journey else {}
    rows = []
    for (stage, touchpoint), members in cells.items():
        pains = [s for s in members if s.get("is_pain_point")]
        who = {of_row[s["row_id"]] for s in members}
        score = nps(people[i].scores.get("nps") for i in who)
        rows.append({
            "journey_stage": stage, "touchpoint": touchpoint,
            "stage_name": stage_names.get(stage, stage),
            "touchpoint_name": touch_names.get(touchpoint, touchpoint),
            "segments": len(members),
            "records": len({s["row_id"] for s in members}),
            "pain_points": len(pains),
            "pain_point_share": round(len(pains) / len(members), 4),
            "mean_severity": round(sum(s["severity"] for s in pains) / len(pains), 4)
            if pains else None,
            "dominant_emotion": dominant_emotion(s.get("emotion") for s in members),
            "nps": score.value, "nps_low": score.low, "nps_high": score.high,
            "nps_n": score.n,
            "respondents": len(who),
            "pain_respondents": len({of_row[s["row_id"]] for s in pains}),
            "severity_sum": round(sum(s.get("severity") or 0.0 for s in pains), 6),
            "emotion_counts": {label: sum(s.get("emotion") == label for s in members)
                               for label in EMOTION_LABELS},
            **_pain_themes(pains), **_worst_pain(pains),
        })
    last = len(stage_order) + len(touch_order) + 1
    return sorted(rows, key=lambda r: (stage_order.get(r["journey_stage"], last),
                                       touch_order.get(r["touchpoint"], last)))


def pain_point_rows(records: Sequence[Record], segments: Sequence[Segment]
                    ) -> list[dict[str, Any]]:
    by_row = {r["row_id"]: r for r in records}
    rows = []
    for segment in segments:
        if not segment.get("is_pain_point"):
            continue
        record = by_row[segment["row_id"]]
        rows.append({
            "row_id": segment["row_id"], "segment_id": segment.get("segment_id"),
            "id": record.get("id"), "date": record.get("date"),
            "channel": record.get("channel"), "lang": segment.get("lang"),
            "text": segment["text"],
            **{k: segment.get(k) for k in ("journey_stage", "touchpoint", "link_confidence",
                                           "link_evidence", "severity", "effort",
                                           "sentiment", "sentiment_score", "emotion",
                                           "theme_id")},
            "cues": segment.get("pain_cues"),
            **{m: record.get(m) for m in KPI_FUNCTIONS},
        })
    return sorted(rows, key=lambda r: -(r["severity"] or 0.0))


def _labels(segments: Sequence[Segment], journey: JourneyMap | None
            ) -> dict[str, dict[str, str]]:
    themes = {str(s["theme_id"]): s.get("theme_label") or str(s["theme_id"])
              for s in segments if s.get("theme_id") is not None}
    return {
        "theme": themes,
        "stage": {s.id: s.label() for s in journey.stages} if journey else {},
        "touchpoint": {t.id: t.label() for t in journey.touchpoints} if journey else {},
    }


class DriversComponent:
    """KPIs, key drivers, the journey matrix and the pain-point table for the run."""

    name: ClassVar[str] = "drivers"
    settings_model: ClassVar[type[DriversSettings]] = DriversSettings
    # Aggregate: run-level tables only; it adds no record or segment field. Themes and
    # journey links are grouped on when those stages ran (else `unassigned`).
    declares: ClassVar[Declares] = Declares(
        Kind.AGGREGATE,
        requires=record_fields("row_id", "source", "source_row", *KPI_FUNCTIONS),
        # Without segments it still gives the KPIs (every record `unassigned`).
        optional=(*record_fields("id", "date", "channel", "meta", "lang", "question",
                                 "status", "sentiment", "sentiment_score", "emotion"),
                  *segment_fields("row_id", "text", "segment_id", "lang", "theme_id",
                                  "theme_label", "journey_stage", "touchpoint",
                                  "is_pain_point", "severity", "effort", "pain_cues",
                                  "link_confidence", "link_evidence", "sentiment",
                                  "sentiment_score", "emotion")),
        tables={"drivers": DRIVERS_SCHEMA, "journey": JOURNEY_SCHEMA,
                "pain_points": PAIN_POINTS_SCHEMA})

    def __init__(self, settings: DriversSettings,
                 resources: Resources | None = None) -> None:
        self.min_support = settings.min_support

    def __call__(self, state: RunState) -> RunState:
        journey = state.artifacts.journey_map
        segments = state.segments
        people, of_row = respondents(state.records, segments)
        labels = _labels(segments, journey)
        state.documents["kpis"] = kpi_document(people, labels, self.min_support,
                                                period_grid(state.records), state.records,
                                                pain_rows_of(segments), segments)
        state.outputs["drivers"] = OutputTable(driver_rows(people, labels, self.min_support))
        state.outputs["journey"] = OutputTable(journey_matrix(segments, people, of_row, journey))
        state.outputs["pain_points"] = OutputTable(pain_point_rows(state.records, segments))
        return state


register(DriversComponent.name)(DriversComponent)
