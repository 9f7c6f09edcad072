"""The output files' column names, order and types are a public contract (users' scripts,
DuckDB appends of scheduled runs): tests/data/output_schemas.json freezes them as they were
when voc.io.schema wrote them by hand, before the stage declarations became their source.
A declaration that moves, renames or retypes a column fails here, not in a user's job."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from voc.io.schema import output_schemas

GOLDEN = Path(__file__).parent / "data" / "output_schemas.json"


def columns(table_schema: pa.Schema) -> list[list[str]]:
    return [[field.name, str(field.type)] for field in table_schema]


def golden() -> dict[str, list[list[str]]]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_every_output_schema_is_the_frozen_contract() -> None:
    assembled = {f"{name}.parquet": columns(schema)
                 for name, schema in output_schemas().items()}
    assert assembled == golden()
