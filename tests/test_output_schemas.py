"""The output files' column names, order and types are a public contract (users' scripts,
DuckDB appends of scheduled runs): tests/data/output_schemas.json freezes them, so a change
to a declaration that moves, renames or retypes a column fails here, not in a user's job."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from voc.io import schema

GOLDEN = Path(__file__).parent / "data" / "output_schemas.json"


def _columns(table_schema: pa.Schema) -> list[list[str]]:
    return [[field.name, str(field.type)] for field in table_schema]


def test_every_output_schema_is_the_frozen_contract() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assembled = {
        "records.parquet": schema.RECORDS_SCHEMA, "segments.parquet": schema.SEGMENTS_SCHEMA,
        "themes.parquet": schema.THEMES_SCHEMA, "pain_themes.parquet": schema.THEMES_SCHEMA,
        "pain_points.parquet": schema.PAIN_POINTS_SCHEMA,
        "journey.parquet": schema.JOURNEY_SCHEMA, "drivers.parquet": schema.DRIVERS_SCHEMA,
    }
    assert {name: _columns(table) for name, table in assembled.items()} == golden
