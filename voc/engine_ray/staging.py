"""Parquet files between the driver and the Ray workers.

The driver writes the records to analyse as Parquet parts; Ray Data streams them through
the model-holding actors and writes what they produce as Parquet again, so neither side
holds the whole data set in flight, and on a cluster the parts live on storage every
node reaches. Records and segments are plain dicts whose fields vary by stage, so each
travels pickled in one binary column; embeddings travel as float32 bytes.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from voc.errors import ConfigError
from voc.pipeline.base import Record, RunState, Segment

INPUT_SCHEMA = pa.schema([("row_id", pa.int64()), ("record", pa.binary())])
# One row per analysed record.
ANALYSED_SCHEMA = pa.schema([
    ("row_id", pa.int64()),
    ("record", pa.binary()),
    ("segments", pa.binary()),
    ("embedding_dim", pa.int32()),
    ("embeddings", pa.binary()),  # float32, one row per segment
])
_PICKLE = pickle.HIGHEST_PROTOCOL


def staging_folder(root: str | None, run_key: str) -> Path:
    """Where this run's parts go: under `root` (VOC_RAY_STAGING, a folder every node of
    a cluster mounts) or the system's temporary folder for local Ray."""
    import tempfile

    base = Path(root).expanduser() if root else Path(tempfile.gettempdir())
    folder = base / f"voc-ray-{run_key}-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write the Ray engine's Parquet parts under {base} "
                          f"({exc.strerror}); point VOC_RAY_STAGING at a writable folder "
                          "that every Ray node mounts") from exc
    return folder


def write_input(records: Sequence[Record], folder: Path, rows_per_part: int) -> int:
    """The records as Parquet parts of `rows_per_part` rows; returns the number of parts."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = 0
    for start in range(0, len(records), rows_per_part):
        chunk = records[start: start + rows_per_part]
        table = pa.table({"row_id": [r["row_id"] for r in chunk],
                          "record": [pickle.dumps(r, protocol=_PICKLE) for r in chunk]},
                         schema=INPUT_SCHEMA)
        pq.write_table(table, folder / f"part-{parts:06d}.parquet")
        parts += 1
    return parts


def records_from_batch(batch: dict[str, Any]) -> list[Record]:
    return [pickle.loads(payload) for payload in batch["record"]]


def analysed_columns(state: RunState) -> dict[str, list[Any]]:
    """A batch's analysis as columns of ANALYSED_SCHEMA, one row per record."""
    by_row: dict[int, list[int]] = {}
    for index, segment in enumerate(state.segments):
        by_row.setdefault(segment["row_id"], []).append(index)
    dim = 0 if state.embeddings is None else int(state.embeddings.shape[1])
    columns: dict[str, list[Any]] = {name: [] for name in ANALYSED_SCHEMA.names}
    for record in state.records:
        members = by_row.get(record["row_id"], [])
        segments = [state.segments[i] for i in members]
        vectors = (np.zeros((len(members), dim), dtype=np.float32) if state.embeddings is None
                   else np.asarray(state.embeddings[members], dtype=np.float32))
        columns["row_id"].append(record["row_id"])
        columns["record"].append(pickle.dumps(record, protocol=_PICKLE))
        columns["segments"].append(pickle.dumps(segments, protocol=_PICKLE))
        columns["embedding_dim"].append(dim)
        columns["embeddings"].append(vectors.tobytes())
    return columns


def _vectors(payload: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(payload, dtype=np.float32).reshape(-1, dim) if dim \
        else np.zeros((0, 0), dtype=np.float32)


def part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.parquet"))


def run_state_from_columns(columns: Mapping[str, list[Any]]) -> RunState:
    """Analysed records in ANALYSED_SCHEMA columns back as a RunState."""
    records = [pickle.loads(payload) for payload in columns["record"]]
    segments: list[Segment] = []
    blocks = []
    for payload, dim, vectors in zip(columns["segments"], columns["embedding_dim"],
                                     columns["embeddings"], strict=True):
        members = pickle.loads(payload)
        segments.extend(members)
        if dim and members:
            blocks.append(_vectors(vectors, dim))
    complete = bool(blocks) and len(segments) == sum(len(b) for b in blocks)
    return RunState(records=records, segments=segments,
                    embeddings=np.vstack(blocks) if complete else None)


def read_transformed(files: Iterable[Path]
                     ) -> dict[str, dict[tuple[int, int], dict[str, Any]]]:
    """From the corpus pass's parts: by stage, each segment's fields by (row id, segment
    index)."""
    found: dict[str, dict[tuple[int, int], dict[str, Any]]] = {}
    for path in files:
        table = pq.read_table(path, columns=["row_id", "transformed"]).to_pydict()
        for row_id, payload in zip(table["row_id"], table["transformed"], strict=True):
            for name, rows in pickle.loads(payload).items():
                for fields in rows:
                    index = fields.pop("segment_index")
                    found.setdefault(name, {})[(row_id, index)] = fields
    return found
