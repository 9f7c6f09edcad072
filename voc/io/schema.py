"""Column types of the output tables (the public output contract).

Types are fixed here rather than inferred so that a column that happens to be all-null in
one run (no score column, no date) keeps its type, and scheduled jobs that append runs
or query them with DuckDB never see a column change type between runs.
"""

from __future__ import annotations

import pyarrow as pa

from voc.heads.labels import EMOTION_LABELS

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
])
