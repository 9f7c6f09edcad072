"""Turn input tables into feedback records: one record per answer to one open question.

A survey row with two open questions becomes two records that share the row's id, date,
channel, scores and other columns, and differ in `question` and `text`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from voc.io.columns import SCORE_KINDS, SCORE_RANGES, ColumnRoles
from voc.io.encoding import repair_unsafe_characters
from voc.io.readers import InputTable
from voc.io.values import parse_date, parse_number
from voc.pipeline.fields import Field, record_field

STATUS_OK = "ok"
STATUS_EMPTY = "empty"
STATUS_TOO_LONG = "too_long"
STATUS_UNSUPPORTED_LANGUAGE = "unsupported_language"
STATUS_INVALID_ROW = "invalid_row"
STATUS_ERROR = "error"
STATUSES = (STATUS_OK, STATUS_EMPTY, STATUS_TOO_LONG, STATUS_UNSUPPORTED_LANGUAGE,
            STATUS_INVALID_ROW, STATUS_ERROR)
# Records in these states carry text that later stages analyse.
ANALYZED_STATUSES = frozenset({STATUS_OK, STATUS_TOO_LONG})
# A record's triage state; the reader sets it and any row stage may change it (a record a
# stage fails on is `error`), so those stages assign these very declarations.
STATUS_FIELDS = (
    record_field("status", pa.string(), "one of STATUSES: ok, empty, too_long, "
                 "unsupported_language, invalid_row, error"),
    record_field("status_detail", pa.string(), "why a record is not `ok`, when known"),
)
# The fields `iter_records` gives every record, before any pipeline stage runs, with their
# output types: the pipeline's order check, the store's reuse key and records.parquet's
# schema (voc.io.schema) start from these.
RECORD_INPUT_FIELDS: tuple[Field, ...] = (
    record_field("row_id", pa.int64(), "the record's number in this run; joins its segments"),
    record_field("source", pa.string(), "the input file's name"),
    record_field("source_row", pa.int64(), "the row's line or row number in that file"),
    record_field("question", pa.string(), "the open-text column this answer came from"),
    record_field("id", pa.string(), "the export's response id, else source:source_row"),
    record_field("date", pa.string(), "the response date, ISO 8601, when one parsed"),
    record_field("channel", pa.string(), "the export's channel column, as written"),
    *(record_field(kind, pa.float64(), f"the {kind.upper()} score, when valid")
      for kind in SCORE_KINDS),
    record_field("meta", pa.string(), "the row's other columns, as a JSON object"),
    record_field("text", pa.string(), "the answer (redacted in the published files)"),
    *STATUS_FIELDS,
)
READER_FIELDS: frozenset[str] = frozenset(f.key for f in RECORD_INPUT_FIELDS)


@dataclass
class ValueProblems:
    """Cells that could not be used as dates or scores; reported, never fatal."""

    unparsed_dates: int = 0
    invalid_scores: dict[str, int] = field(default_factory=dict)


def _text_of(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value if isinstance(value, str) else str(value)


def _score(value: Any, kind: str, problems: ValueProblems) -> float | None:
    if value is None or _text_of(value).strip() == "":
        return None
    number = parse_number(value)
    low, high = SCORE_RANGES[kind]
    if number is None or not low <= number <= high:
        problems.invalid_scores[kind] = problems.invalid_scores.get(kind, 0) + 1
        return None
    return number


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return None if isinstance(value, float) and math.isnan(value) else value
    return str(value)


def iter_records(
    table: InputTable, roles: ColumnRoles, first_row_id: int, problems: ValueProblems
) -> Iterator[dict[str, Any]]:
    """Yield the records of one table, numbering them from `first_row_id`."""
    # A file name with bytes that are not UTF-8 arrives with surrogates (surrogateescape),
    # which no output format can hold; the cells themselves were repaired on reading.
    source = repair_unsafe_characters(Path(table.source).name)[0]
    other_columns = [c for c in table.columns if c not in roles.metadata and c not in roles.text]
    row_id = first_row_id
    for index, row in enumerate(table.rows):
        date_value = row.get(roles.date) if roles.date else None
        date = parse_date(date_value)
        if date_value not in (None, "") and date is None:
            problems.unparsed_dates += 1
        scores: dict[str, float | None] = {kind: None for kind in SCORE_KINDS}
        for column, kind in roles.scores.items():
            scores[kind] = _score(row.get(column), kind, problems)
        meta = {c: _jsonable(row.get(c)) for c in other_columns if row.get(c) not in (None, "")}
        row_error = table.row_errors.get(index)
        for question in roles.text:
            record_id = row.get(roles.id) if roles.id else None
            yield {
                "row_id": row_id,
                "source": source,
                "source_row": table.row_numbers[index],
                "question": question,
                "id": _text_of(record_id) or f"{source}:{table.row_numbers[index]}",
                "date": date,
                "channel": _text_of(row.get(roles.channel)).strip() or None
                if roles.channel else None,
                **scores,
                "meta": json.dumps(meta, ensure_ascii=False) if meta else None,
                "text": _text_of(row.get(question)),
                "status": STATUS_INVALID_ROW if row_error and not row else STATUS_OK,
                "status_detail": row_error,
            }
            row_id += 1
