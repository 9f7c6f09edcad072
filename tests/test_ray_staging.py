"""The Parquet parts the Ray engine streams between the driver and its workers carry
records, segments and embeddings without loss, in the default engine's order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from voc.engine_ray.staging import (
    ANALYSED_SCHEMA,
    INPUT_SCHEMA,
    analysed_columns,
    part_files,
    records_from_batch,
    staging_folder,
    tables_from_columns,
    theme_inputs,
    write_input,
)
from voc.errors import ConfigError
from voc.pipeline.base import Tables


def _analysed(row_ids: list[int], dim: int = 4) -> Tables:
    records = [{"row_id": r, "status": "ok", "text": f"answer {r}", "scores": {"nps": r % 11}}
               for r in row_ids]
    segments = [{"row_id": r, "segment_id": f"{r}-{i}", "segment_index": i,
                 "text": f"{'خیلی بد' if r % 2 else 'too slow'} {r}.{i}",
                 "lang": "fa" if r % 2 else "en"}
                for r in row_ids for i in range(r % 3)]  # some records have no segments
    # Each segment's vector names it, so any reordering shows.
    embeddings = np.array([[s["row_id"], s["segment_index"], *range(dim - 2)]
                           for s in segments], dtype=np.float32).reshape(-1, dim)
    return Tables(records=records, segments=segments, embeddings=embeddings)


def test_input_parts_hold_every_record_once(tmp_path: Path) -> None:
    records = [{"row_id": i, "text": f"t{i}", "date": None} for i in range(23)]
    assert write_input(records, tmp_path / "input", rows_per_part=10) == 3
    files = part_files(tmp_path / "input")
    assert [pq.read_schema(f) for f in files] == [INPUT_SCHEMA] * 3
    back = [r for f in files for r in records_from_batch(pq.read_table(f).to_pydict())]
    assert back == records


def test_analysed_columns_round_trip(tmp_path: Path) -> None:
    tables = _analysed([5, 1, 2, 4])
    table = pa.table(analysed_columns(tables), schema=ANALYSED_SCHEMA)
    pq.write_table(table, tmp_path / "part.parquet")
    back = tables_from_columns(pq.read_table(tmp_path / "part.parquet").to_pydict())
    assert back.records == tables.records
    # Segments come back grouped by record, with their own embedding rows.
    order = sorted(range(len(tables.segments)),
                   key=lambda i: [5, 1, 2, 4].index(tables.segments[i]["row_id"]))
    assert back.segments == [tables.segments[i] for i in order]
    assert tables.embeddings is not None and back.embeddings is not None
    np.testing.assert_array_equal(back.embeddings, tables.embeddings[order])


def test_theme_inputs_are_in_row_then_segment_order(tmp_path: Path) -> None:
    folder = tmp_path / "analysed"
    folder.mkdir()
    # Parts finish in any order on a cluster; the fit must not depend on it.
    for index, rows in enumerate(([7, 8], [1, 2, 4], [5])):
        pq.write_table(pa.table(analysed_columns(_analysed(rows)), schema=ANALYSED_SCHEMA),
                       folder / f"part-{index}.parquet")
    embeddings, row_ids, texts, groups = theme_inputs(part_files(folder))
    reference = _analysed([1, 2, 4, 5, 7, 8])
    assert reference.embeddings is not None
    assert row_ids == [s["row_id"] for s in reference.segments]
    assert texts == [s["text"] for s in reference.segments]
    assert groups == [s["lang"] for s in reference.segments]
    np.testing.assert_array_equal(embeddings, reference.embeddings)


def test_an_unwritable_staging_folder_is_a_one_line_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match="VOC_RAY_STAGING") as error:
        staging_folder(str(blocker / "staging"), "run1")
    assert "\n" not in str(error.value)
    assert staging_folder(str(tmp_path / "ok"), "run2").is_dir()
