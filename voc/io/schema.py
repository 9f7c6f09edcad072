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
])

SENTIMENT_MIX = pa.struct([(label, pa.float64()) for label in SENTIMENT_LABELS])

# DIR/themes.parquet (and themes.json): one row per theme, largest first. Ids are stable
# across runs that pass the previous run's theme state (see voc.themes).
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
])
