"""Column types of the output tables (the public output contract).

Types are fixed here rather than inferred so that a column that happens to be all-null in
one run (no score column, no date) keeps its type, and scheduled jobs that append runs
or query them with DuckDB never see a column change type between runs.
"""

from __future__ import annotations

import pyarrow as pa

from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS

EMOTION_SCORES = pa.struct([(label, pa.float64()) for label in EMOTION_LABELS])

RECORDS_SCHEMA = pa.schema([
    ("row_id", pa.int64()),
    ("source", pa.string()),
    ("source_row", pa.int64()),
    ("question", pa.string()),
    ("id", pa.string()),
    ("date", pa.string()),
    ("channel", pa.string()),
    ("nps", pa.float64()),
    ("csat", pa.float64()),
    ("ces", pa.float64()),
    ("meta", pa.string()),
    ("text", pa.string()),
    ("text_normalized", pa.string()),
    ("text_redacted", pa.string()),
    ("lang", pa.string()),
    ("script", pa.string()),
    ("finglish", pa.bool_()),
    ("pii_found", pa.int32()),
    ("n_segments", pa.int32()),
    ("sentiment", pa.string()),
    ("sentiment_score", pa.float64()),
    ("emotion", pa.string()),
    # Ids of the themes the record's segments belong to (see THEMES_SCHEMA), sorted, once each.
    ("themes", pa.list_(pa.int64())),
    # journey component: the distinct stages/touchpoints its segments were linked to
    # (journey order, `unassigned` left out) and whether any segment is a pain point.
    ("journey_stages", pa.list_(pa.string())),
    ("touchpoints", pa.list_(pa.string())),
    ("is_pain_point", pa.bool_()),
    ("status", pa.string()),
    ("status_detail", pa.string()),
])

SEGMENTS_SCHEMA = pa.schema([
    ("row_id", pa.int64()),
    ("segment_id", pa.string()),
    ("segment_index", pa.int32()),
    ("text", pa.string()),
    ("lang", pa.string()),
    ("char_start", pa.int32()),
    ("char_end", pa.int32()),
    ("terms", pa.string()),
    ("sentiment", pa.string()),
    ("sentiment_score", pa.float64()),
    ("emotion", pa.string()),
    ("emotion_scores", EMOTION_SCORES),
    # The segment's theme (a row of themes.parquet); null when it fits no theme (outlier).
    ("theme_id", pa.int64()),
    ("theme_label", pa.string()),
    # Pain-point segments' theme among pain points only (a row of pain_themes.parquet).
    ("pain_theme_id", pa.int64()),
    # journey component (voc/journey): pain point, its severity and effort signal (0..1),
    # and the link to a journey-map stage and touchpoint (`unassigned` when unsure).
    ("is_pain_point", pa.bool_()),
    # What made it one: any of negative, effort, unmet_expectation (comma-joined).
    ("pain_cues", pa.string()),
    ("severity", pa.float64()),
    ("effort", pa.float64()),
    ("journey_stage", pa.string()),
    ("touchpoint", pa.string()),
    # Confidence of the stage link (0..1); the touchpoint's own is `touchpoint_confidence`.
    ("link_confidence", pa.float64()),
    ("touchpoint_confidence", pa.float64()),
    # Why: "keywords: checkout, payment; description: Purchase (0.84); channel: app"
    ("link_evidence", pa.string()),
])

SENTIMENT_MIX = pa.struct([(label, pa.float64()) for label in SENTIMENT_LABELS])

# DIR/themes.parquet (and themes.json): one row per theme, largest first. Ids are stable
# across runs that pass the previous run's theme state (see voc.themes). The "what hurts"
# view DIR/pain_themes.parquet has the same columns, fitted on pain-point segments only
# (its `share` is of pain-point segments).
THEMES_SCHEMA = pa.schema([
    ("theme_id", pa.int64()),
    ("label", pa.string()),
    ("label_fa", pa.string()),
    ("label_en", pa.string()),
    ("keywords_fa", pa.list_(pa.string())),
    ("keywords_en", pa.list_(pa.string())),
    ("size", pa.int64()),  # segments in the theme
    ("share", pa.float64()),  # size / all segments of the run (unthemed included)
    ("sentiment_mix", SENTIMENT_MIX),  # share of the theme's segments per sentiment label
    ("top_emotion", pa.string()),  # most frequent non-neutral emotion, else neutral
    ("examples", pa.list_(pa.string())),  # 3-5 representative redacted segment texts
    ("origin", pa.string()),  # discovered | seeded | curated (pinned, split or merged)
    ("records", pa.int64()),  # distinct records with a segment in the theme
    ("size_fa", pa.int64()),
    ("size_en", pa.int64()),
    ("sentiment_score", pa.float64()),  # mean segment sentiment score, -1..1
    ("pain_points", pa.int64()),  # segments flagged is_pain_point (null before journey ran)
    ("stages", pa.list_(pa.string())),  # journey stages touched, most frequent first
    ("touchpoints", pa.list_(pa.string())),
    # One line for a reader: customers, how they feel, what they mention, where.
    ("description", pa.string()),
    # Over time (voc.themes.describe.theme_trends): the run's periods (week or month,
    # voc.kpi.periods), the theme's share of the respondents with an analysed answer in
    # each (0..1, null where a period has none; respondents, the report's customers,
    # not answers), and the latest period against all earlier ones: the
    # change in share (0..1), its two-proportion z, and rising | falling | stable | not
    # enough data (|z| > 1.96 is a move unlikely to be chance).
    ("trend_periods", pa.list_(pa.string())),
    ("trend_share", pa.list_(pa.float64())),
    ("trend_change", pa.float64()),
    ("trend_z", pa.float64()),
    ("trend_direction", pa.string()),
    # Distinct respondents (voc.kpi.scores.respondent_key) with a segment in the theme:
    # the report's "customers"; `records` counts answers, two per two-question survey.
    ("respondents", pa.int64()),
])

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
  "overall": {"records": 120, "nps": KPI, "csat": KPI, "ces": KPI, **ANSWERS},
  "by": {
    "theme":      [{"key": "3", "label": "delivery delays", "records": 40,
                    "nps": KPI, "csat": KPI, "ces": KPI, **ANSWERS}, ...],
    "stage":      [{"key": "delivery", "label": "Delivery", ...}, ...],
    "touchpoint": [...], "channel": [...], "lang": [...], "source": [...],
    "question": [...],
    "meta.<column>": [...]       # one per column of `meta` with few distinct values
  },
  "min_support": 10,
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
"""
