"""Pipeline component: the segments table, the unit later stages classify."""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa

from voc.io.records import STATUS_FIELDS
from voc.language.detect import detect_language
from voc.pipeline.base import RunState, mark_row_error, register
from voc.pipeline.fields import Declares, Kind, record_field, record_fields, segment_field
from voc.pipeline.resources import Resources
from voc.pipeline.settings import SegmentSettings
from voc.segment.segmenter import Segmenter

_BATCH = 2000


class SegmentComponent:
    """Splits each analysed record into sentence/clause segments with their language."""

    name: ClassVar[str] = "segment"
    settings_model: ClassVar[type[SegmentSettings]] = SegmentSettings
    # A row stage: an incremental run reuses its output for an unchanged record; parallel:
    # one record at a time, so the local executor splits records across CPU cores.
    declares: ClassVar[Declares] = Declares(
        Kind.ROW, parallel=True,
        requires=record_fields("row_id", "text_normalized", "lang", "status"),
        assigns=(record_field("n_segments", pa.int32(), "sentences or clauses it split into"),
                 *STATUS_FIELDS,
                 segment_field("row_id", pa.int64(), "the record it is part of"),
                 segment_field("segment_id", pa.string(), "row_id-segment_index"),
                 segment_field("segment_index", pa.int32(), "its place in the record, from 0"),
                 segment_field("text", pa.string(), "the segment's normalized, redacted text"),
                 segment_field("lang", pa.string(), "fa or en (a mixed answer's clause's own)"),
                 segment_field("char_start", pa.int32(), "where it starts in text_normalized"),
                 segment_field("char_end", pa.int32(), "... and ends (exclusive)"),
                 segment_field("terms", pa.string(), "its content words, space-separated")))

    def __init__(self, settings: SegmentSettings,
                 resources: Resources | None = None) -> None:
        self.segmenter = Segmenter(
            (resources or Resources()).english(),
            contrastive=settings.contrastive,
            max_segment_chars=settings.max_segment_chars,
        )

    def __call__(self, state: RunState) -> RunState:
        records = list(state.analyzed())
        segments = []
        for offset in range(0, len(records), _BATCH):
            batch = records[offset: offset + _BATCH]
            try:
                spans_per_record = self.segmenter.segment(
                    [r["text_normalized"] for r in batch], [r["lang"] for r in batch])
            except Exception:  # isolate the bad record, keep the rest of the batch
                spans_per_record = []
                for record in batch:
                    try:
                        spans_per_record.extend(self.segmenter.segment(
                            [record["text_normalized"]], [record["lang"]]))
                    except Exception as exc:
                        mark_row_error(record, self.name, exc)
                        spans_per_record.append([])
            for record, spans in zip(batch, spans_per_record, strict=True):
                record["n_segments"] = len(spans)
                for index, span in enumerate(spans):
                    # A mixed answer's clauses are often each in one language.
                    lang = (detect_language(span.text).lang if record["lang"] == "mixed"
                            else record["lang"])
                    segments.append({
                        "row_id": record["row_id"],
                        "segment_id": f"{record['row_id']}-{index}",
                        "segment_index": index,
                        "text": span.text,
                        "lang": lang if lang != "other" else record["lang"],
                        "char_start": span.start,
                        "char_end": span.end,
                        "terms": span.terms,
                    })
        for record in state.records:
            record.setdefault("n_segments", 0)
        state.segments = segments
        return state


register(SegmentComponent.name)(SegmentComponent)
