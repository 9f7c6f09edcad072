"""The output contract: every output file's columns, in order, with their types.

Types are fixed rather than inferred so that a column that happens to be all-null in
one run (no score column, no date) keeps its type, and scheduled jobs that append runs
or query them with DuckDB never see a column change type between runs.

No type is written here: each column is declared, with its type and what it holds, where
it is produced. The reader declares the fields every record starts with
(voc.io.records.RECORD_INPUT_FIELDS); each stage declares the record and segment fields it
assigns and the run-level tables it writes (its `Declares`, voc.pipeline.fields: e.g.
themes.parquet in voc.themes.component, drivers, journey and pain_points in
voc.kpi.component). This module assembles them. records.parquet and segments.parquet hold
the reader's and the default pipeline's fields whichever stages a config runs (a run
without journey still has its columns, null), then any field an extra stage of the
configured pipeline assigns. tests/data/output_schemas.json freezes the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

# Every stage registers itself on import; they must not import this module (they declare,
# it assembles), or the import would go round.
import voc.pipeline.run  # noqa: F401
from voc.pipeline.base import declared_fields, declared_tables
from voc.pipeline.config import DEFAULT_CONFIG
from voc.pipeline.fields import RECORD, SEGMENT, Field

# The contract's column order, which users' scripts and DuckDB appends rely on. The stage
# order cannot give it: the text columns sit together although redact runs before
# normalize and language, themes' columns come before journey's though journey runs
# first, and `status`, set by the reader and changed by the row stages, comes last.
RECORD_COLUMNS = (
    "row_id", "source", "source_row", "question", "id", "date", "channel", "nps", "csat",
    "ces", "meta", "text", "text_normalized", "text_redacted", "lang", "script", "finglish",
    "pii_found", "n_segments", "sentiment", "sentiment_score", "emotion", "themes",
    "journey_stages", "touchpoints", "is_pain_point", "status", "status_detail",
)
SEGMENT_COLUMNS = (
    "row_id", "segment_id", "segment_index", "text", "lang", "char_start", "char_end",
    "terms", "sentiment", "sentiment_score", "emotion", "emotion_scores", "theme_id",
    "theme_label", "pain_theme_id", "is_pain_point", "pain_cues", "severity", "effort",
    "journey_stage", "touchpoint", "link_confidence", "touchpoint_confidence",
    "link_evidence",
)
RECORDS = "records"
SEGMENTS = "segments"


def _stages(pipeline: Sequence[str]) -> list[str]:
    """The default pipeline's stages, then the configured pipeline's others, in order."""
    default: list[str] = DEFAULT_CONFIG["pipeline"]
    return [*default, *(name for name in pipeline if name not in default)]


def _assemble(table: str, order: Sequence[str], pipeline: Sequence[str]) -> pa.Schema:
    declared = declared_fields(_stages(pipeline))
    # In-memory data (type None: the embeddings) is never written.
    written: dict[str, Field] = {f.name: f for f in declared.values()
                                 if f.table == table and f.type is not None}
    missing = [name for name in order if name not in written]
    if missing:
        raise ValueError(f"{table} columns {', '.join(missing)} are in the output contract "
                         "but neither the reader nor any default stage assigns them")
    return pa.schema([(name, written[name].type) for name in order]
                     + [(f.name, f.type) for f in written.values() if f.name not in order])


def records_schema(pipeline: Sequence[str] = ()) -> pa.Schema:
    """records.parquet's columns: the contract's, then those extra stages of `pipeline`
    (a config's list; the default pipeline when empty) assign."""
    return _assemble(RECORD, RECORD_COLUMNS, pipeline)


def segments_schema(pipeline: Sequence[str] = ()) -> pa.Schema:
    return _assemble(SEGMENT, SEGMENT_COLUMNS, pipeline)


def output_schemas(pipeline: Sequence[str] = ()) -> dict[str, pa.Schema]:
    """Every table a run of `pipeline` (the default one when empty) writes, by output name
    (DIR/<name>.parquet and .csv): records and segments, then each run-level table its
    stages declare writing, in pipeline order."""
    names = list(pipeline) or _stages(())
    return {RECORDS: records_schema(pipeline), SEGMENTS: segments_schema(pipeline),
            **declared_tables(names)}
