"""Run a pipeline against a store: analyse only new or changed records, reuse the rest.

The row-local stages (see `voc.store.keys`) run over the records the store has no
analysis for, in batches that are each committed in one transaction, so a killed run
resumes where it stopped. Their output is merged with the reused analyses in input
order, and the corpus-level stages (themes, drivers) then run over the whole data, as
they do without a store.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from voc.pipeline.base import Component, Record, Segment, Tables
from voc.pipeline.executor import merge_counts, run_pipeline
from voc.pipeline.run import StageCallback, run_components
from voc.store.keys import (
    analysis_fields,
    analysis_inputs,
    config_hash,
    content_hash,
    fingerprint,
    record_key,
    row_local_prefix,
    spacy_identity,
)
from voc.store.store import Store

if TYPE_CHECKING:
    from voc.engine_ray.runner import RayEngine

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
DEFAULT_COMMIT_EVERY = 5000
# Analyses of records in these states are not stored: a row that failed may succeed
# on the next run.
_NOT_STORED = frozenset({"error"})

ChunkRunner = Callable[[list[Component], list[Record]], Iterator[Tables]]


@dataclass(frozen=True)
class ExecuteOptions:
    workers: int = 1
    engine: str = "local"
    commit_every: int = DEFAULT_COMMIT_EVERY


@dataclass
class StoreRun:
    """What a run learned from and wrote to its store (for the manifest and `runs`)."""

    store: Store
    run_id: str
    fingerprint: str
    keys: list[tuple[str, str]]
    counts: dict[str, int] = field(default_factory=dict)
    previous: dict[str, Any] | None = None


def local_chunks(workers: int, chunk_size: int) -> ChunkRunner:
    """The default engine: this machine's cores, batch after batch."""

    def run(components: list[Component], records: list[Record]) -> Iterator[Tables]:
        for start in range(0, len(records), chunk_size):
            chunk = Tables(records=records[start: start + chunk_size])
            yield run_pipeline(components, chunk, workers=workers)

    return run


def _add_timings(target: dict[str, float], source: Mapping[str, float]) -> None:
    for name, seconds in source.items():
        target[name] = round(target.get(name, 0.0) + seconds, 3)


def _segments_by_row(tables: Tables) -> dict[int, list[tuple[Segment, np.ndarray | None]]]:
    by_row: dict[int, list[tuple[Segment, np.ndarray | None]]] = {}
    for index, segment in enumerate(tables.segments):
        vector = None if tables.embeddings is None else tables.embeddings[index]
        by_row.setdefault(segment["row_id"], []).append((segment, vector))
    return by_row


def execute(
    components: list[Component], tables: Tables, config: Mapping[str, Any],
    options: ExecuteOptions, *, store: Store | None = None, run_id: str = "",
    started_at: dt.datetime | None = None, on_stage: StageCallback | None = None,
) -> tuple[Tables, StoreRun | None]:
    """Run `components` over `tables`, through the store and engine the options name."""
    if store is None and options.engine == "local":
        return run_pipeline(components, tables, workers=options.workers,
                            on_stage=on_stage), None
    row_local = row_local_prefix(components)
    rest = components[len(row_local):]
    timings: dict[str, float] = tables.stats.setdefault("timings_s", {})
    records = tables.records
    inputs = analysis_inputs(row_local)
    hashes = [content_hash(r, inputs) for r in records]
    keys = [(record_key(r, content), content) for r, content in zip(records, hashes,
                                                                    strict=True)]
    analysis_print, described = fingerprint(row_local, config, {"spacy": spacy_identity(config)})

    reused: dict[str, dict[str, Any]] = {}
    stored_segments: dict[str, list[dict[str, Any]]] = {}
    stored_vectors: dict[str, list[np.ndarray | None]] = {}
    store_run: StoreRun | None = None
    if store is not None:
        started = time.perf_counter()
        reused, stored_segments, stored_vectors = store.lookup((k[1] for k in keys),
                                                               analysis_print)
        previous = store.previous_run(before=run_id)
        store_run = StoreRun(store, run_id, analysis_print, keys, previous=previous)
        store_run.counts = _change_counts(store, previous, keys, reused)
        store.begin_run(run_id, started_at=started_at or dt.datetime.now(dt.UTC),
                        engine=options.engine, config=config, config_hash=config_hash(config),
                        fingerprint=analysis_print, fingerprint_description=described)
        timings["store_lookup"] = round(time.perf_counter() - started, 3)

    todo = [r for r, (_, content) in zip(records, keys, strict=True) if content not in reused]
    hash_of = {r["row_id"]: content for r, (_, content) in zip(records, keys, strict=True)}
    key_of = {r["row_id"]: key for r, (key, _) in zip(records, keys, strict=True)}
    log.info("%d of %d records to analyse, %d reused from the store", len(todo), len(records),
             len(records) - len(todo),
             extra={"event": "incremental_plan", "analyse": len(todo),
                    "reuse": len(records) - len(todo)})
    analysed: dict[int, Record] = {}
    analysed_segments: dict[int, list[tuple[Segment, np.ndarray | None]]] = {}
    stats: dict[str, Any] = {}
    engine: RayEngine | None = None
    if todo and row_local:
        if on_stage:
            on_stage("+".join(c.name for c in row_local), 0, len(components))
        if options.engine == "ray":
            from voc.engine_ray.runner import RayEngine

            engine = RayEngine(config, options.workers, options.commit_every)
            # Themes are fitted on a sample in the Ray pass only when it sees all the data.
            chunks = engine.run(row_local, todo, whole_run=len(todo) == len(records))
        else:
            chunks = local_chunks(options.workers, options.commit_every)(row_local, todo)
        for chunk in chunks:
            _add_timings(timings, chunk.stats.pop("timings_s", {}))
            stats.setdefault("models", {}).update(chunk.stats.pop("models", {}))
            merge_counts(stats, chunk.stats)
            by_row = _segments_by_row(chunk)
            for record in chunk.records:
                analysed[record["row_id"]] = record
                analysed_segments[record["row_id"]] = by_row.get(record["row_id"], [])
            if store is not None:
                _commit_chunk(store, run_id, analysis_print, chunk, hash_of, key_of, timings)
    elif todo:
        analysed = {r["row_id"]: r for r in todo}
    for key, value in stats.items():
        tables.stats[key] = value
    if engine is not None:
        tables.prefit.update(engine.prefit)
        _add_timings(timings, engine.timings)
    _merge(tables, analysed, analysed_segments, reused, stored_segments, stored_vectors,
           hash_of)
    if store_run is not None:
        store_run.counts.update(total=len(records), reused=len(records) - len(todo),
                                analyzed=len(todo), segments=len(tables.segments))
    return run_components(rest, tables, on_stage), store_run


def _commit_chunk(store: Store, run_id: str, analysis_print: str, chunk: Tables,
                  hash_of: Mapping[int, str], key_of: Mapping[int, str],
                  timings: dict[str, float]) -> None:
    started = time.perf_counter()
    keep = [(hash_of[r["row_id"]], key_of[r["row_id"]], analysis_fields(r))
            for r in chunk.records if r["status"] not in _NOT_STORED]
    segments = [(hash_of[s["row_id"]], s) for s in chunk.segments]
    stored = store.save_analyses(run_id, analysis_print, keep, segments, chunk.embeddings)
    _add_timings(timings, {"store_commit": time.perf_counter() - started})
    log.info("committed %d analysed records to the store", stored,
             extra={"event": "store_commit", "records": stored, "run_id": run_id})


def _change_counts(store: Store, previous: Mapping[str, Any] | None,
                   keys: list[tuple[str, str]], reused: Mapping[str, Any]) -> dict[str, int]:
    """New and changed records compared with the previous run: by id, else content hash."""
    before: dict[str, str] = {}
    if previous is not None:
        before = {m["record_key"]: m["content_hash"]
                  for m in store.run_members(previous["run_id"])}
    new = sum(1 for key, _ in keys if key not in before)
    changed = sum(1 for key, content in keys if key in before and before[key] != content)
    return {"new": new, "changed": changed}


def _merge(tables: Tables, analysed: Mapping[int, Record],
           analysed_segments: Mapping[int, list[tuple[Segment, np.ndarray | None]]],
           reused: Mapping[str, dict[str, Any]],
           stored_segments: Mapping[str, list[dict[str, Any]]],
           stored_vectors: Mapping[str, list[np.ndarray | None]],
           hash_of: Mapping[int, str]) -> None:
    """Records in input order, each with its fresh or reused analysis and segments."""
    records: list[Record] = []
    segments: list[Segment] = []
    vectors: list[np.ndarray | None] = []
    for record in tables.records:
        row_id = record["row_id"]
        if row_id in analysed:
            records.append(analysed[row_id])
            for segment, vector in analysed_segments.get(row_id, []):
                segments.append(segment)
                vectors.append(vector)
            continue
        content = hash_of[row_id]
        record.update(analysis_fields(reused[content]))
        records.append(record)
        for segment, vector in zip(stored_segments.get(content, []),
                                   stored_vectors.get(content, []), strict=True):
            index = segment["segment_index"]
            segments.append({"row_id": row_id, "segment_id": f"{row_id}-{index}",
                             **{k: v for k, v in segment.items() if v is not None
                                or k in _SEGMENT_KEEP_NULL}})
            vectors.append(vector)
    tables.records = records
    tables.segments = segments
    present = [v for v in vectors if v is not None]
    if segments and len(present) == len(vectors):
        tables.embeddings = np.vstack(present).astype(np.float32)
    elif not segments:
        tables.embeddings = None


# Segment columns a fresh analysis always sets, even to null.
_SEGMENT_KEEP_NULL = frozenset({"segment_index", "text", "lang", "char_start", "char_end",
                                "terms", "sentiment", "sentiment_score", "emotion",
                                "emotion_scores"})
