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
    read_transformed,
    records_from_batch,
    run_state_from_columns,
    staging_folder,
    write_input,
)
from voc.errors import ConfigError
from voc.pipeline.base import RunState
from voc.pipeline.settings import ThemesSettings


def _analysed(row_ids: list[int], dim: int = 4) -> RunState:
    records = [{"row_id": r, "status": "ok", "text": f"answer {r}", "scores": {"nps": r % 11}}
               for r in row_ids]
    segments = [{"row_id": r, "segment_id": f"{r}-{i}", "segment_index": i,
                 "text": f"{'خیلی بد' if r % 2 else 'too slow'} {r}.{i}",
                 "lang": "fa" if r % 2 else "en"}
                for r in row_ids for i in range(r % 3)]  # some records have no segments
    # Each segment's vector names it, so any reordering shows.
    embeddings = np.array([[s["row_id"], s["segment_index"], *range(dim - 2)]
                           for s in segments], dtype=np.float32).reshape(-1, dim)
    return RunState(records=records, segments=segments, embeddings=embeddings)


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
    back = run_state_from_columns(pq.read_table(tmp_path / "part.parquet").to_pydict())
    assert back.records == tables.records
    # Segments come back grouped by record, with their own embedding rows.
    order = sorted(range(len(tables.segments)),
                   key=lambda i: [5, 1, 2, 4].index(tables.segments[i]["row_id"]))
    assert back.segments == [tables.segments[i] for i in order]
    assert tables.embeddings is not None and back.embeddings is not None
    np.testing.assert_array_equal(back.embeddings, tables.embeddings[order])


def test_theme_fit_sees_segments_in_row_then_segment_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches finish in any order on a cluster; the themes stage's fit from their shares
    must see the segments in the local executor's order (row id, then position)."""
    from voc.themes.component import ThemesComponent

    seen: dict[str, object] = {}

    class Stop(Exception):
        pass

    def fit(self: ThemesComponent, embeddings: np.ndarray, texts: list[str],
            groups: list[str]) -> None:
        seen.update(embeddings=embeddings, texts=texts, groups=groups)
        raise Stop

    monkeypatch.setattr(ThemesComponent, "fit", fit)
    component = ThemesComponent(ThemesSettings(random_state=7))
    # Through the Parquet parts, as the Ray executor's batches come back.
    shares = []
    for index, rows in enumerate(([7, 8], [1, 2, 4], [5])):
        path = tmp_path / f"part-{index}.parquet"
        pq.write_table(pa.table(analysed_columns(_analysed(rows)), schema=ANALYSED_SCHEMA),
                       path)
        shares.append(component.collect(run_state_from_columns(pq.read_table(path).to_pydict())))
    with pytest.raises(Stop):
        component.fit_shares(shares)
    reference = _analysed([1, 2, 4, 5, 7, 8])
    assert reference.embeddings is not None
    assert seen["texts"] == [s["text"] for s in reference.segments]
    assert seen["groups"] == [s["lang"] for s in reference.segments]
    np.testing.assert_array_equal(seen["embeddings"], reference.embeddings)


def test_transformed_fields_come_back_by_stage_and_segment(tmp_path: Path) -> None:
    import pickle

    rows = {3: {"journey": [{"segment_index": 0, "journey_stage": "delivery"},
                            {"segment_index": 1, "journey_stage": "returns"}],
                "themes": [{"segment_index": 0, "theme_id": 2},
                           {"segment_index": 1, "theme_id": -1}]},
            4: {}}
    pq.write_table(pa.table({"row_id": list(rows),
                             "transformed": [pickle.dumps(v) for v in rows.values()]}),
                   tmp_path / "part-0.parquet")
    found = read_transformed(part_files(tmp_path))
    assert found == {"journey": {(3, 0): {"journey_stage": "delivery"},
                                 (3, 1): {"journey_stage": "returns"}},
                     "themes": {(3, 0): {"theme_id": 2}, (3, 1): {"theme_id": -1}}}


def test_an_unwritable_staging_folder_is_a_one_line_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match="VOC_RAY_STAGING") as error:
        staging_folder(str(blocker / "staging"), "run1")
    assert "\n" not in str(error.value)
    assert staging_folder(str(tmp_path / "ok"), "run2").is_dir()


def test_a_blocks_actor_batches_hand_over_their_statistics_and_shares(
        tmp_path: Path) -> None:
    """Ray Data joins actor batches into blocks: each batch's report (statistics and
    corpus shares) rides on its first row, and the block's RunState adds them up, as the
    local executor's batches carry theirs. Ray itself is not needed: the actor is a
    class and the block a table."""
    import pickle

    from voc.engine_ray.runner import RowActor, write_part
    from voc.pipeline.config import DEFAULT_CONFIG

    actor = RowActor(DEFAULT_CONFIG, ["redact"], ["journey"])

    def batch(texts: dict[int, str]) -> pa.Table:
        records = [{"row_id": row_id, "status": "ok", "text": text}
                   for row_id, text in texts.items()]
        return pa.table({"row_id": list(texts), "record": [pickle.dumps(r) for r in records]},
                        schema=INPUT_SCHEMA)

    first = pa.table(actor(batch({0: "call me on +1 415 555 0100", 1: "fine"})))
    second = pa.table(actor(batch({2: "write to a@b.com or +1 415 555 0101"})))
    state, reports = write_part(pa.concat_tables([first, second]), tmp_path / "part.parquet")
    assert [r["row_id"] for r in state.records] == [0, 1, 2]
    assert state.stats.redactions == {"EMAIL": 1, "PHONE": 2}
    # One report per actor batch; the journey stage's share is None without segments.
    assert [report.shares for report in reports] == [{"journey": None}] * 2
    # The part keeps the analysis only, not the reports.
    assert pq.read_schema(tmp_path / "part.parquet") == ANALYSED_SCHEMA
