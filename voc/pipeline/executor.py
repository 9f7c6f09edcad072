"""The one way a pipeline runs: `execute()`, by stage kind, on an Executor.

A stage's kind (voc.pipeline.fields.Kind) decides how it runs:

* **row** stages (the leading ones: language ... classify) run batch by batch on the
  executor: `LocalExecutor` (this machine, the `parallel` row stages in forked worker
  processes) or `RayExecutor` (voc.engine_ray.runner, on Ray Data). A cache may hold
  their output for unchanged records (`RowCache`; the store's is
  voc.store.incremental.StoreCache): only the rest is analysed, and each finished batch
  is committed to it.
* **corpus** stages (journey, themes) need the whole run. An executor that distributes
  them fits a `parallel` one from its batches' shares and applies the fit batch by batch
  (voc.pipeline.base.CorpusComponent); the stage then adopts that fit
  (RunState.artifacts.fits) instead of fitting again. Otherwise it fits and applies in
  one call on the whole run.
* **aggregate** stages (drivers) run on the whole run.

Executors name no stage: they see components, their declarations and the protocols.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, cast

import numpy as np

from voc.io.records import READER_FIELDS
from voc.pipeline.base import (
    AdoptedFit,
    Component,
    CorpusComponent,
    Record,
    RunState,
    Segment,
)
from voc.pipeline.fields import Kind
from voc.pipeline.run import StageCallback, run_components
from voc.pipeline.settings import DEFAULT_BATCH_SIZE

log = logging.getLogger(__name__)

# Below this many records the cost of forking and copying outweighs the gain.
MIN_PARALLEL_RECORDS = 5000
_CHUNKS_PER_WORKER = 4

_worker_components: list[Component] = []


class Executor(Protocol):
    """Runs the row stages over records, batch after batch (each batch's records in one
    RunState, its stats included); given corpus stages it may fit them from the batches
    and apply them batch-wise, leaving the fits (by stage name) in `fits` and its own
    timings in `timings` once the batches are consumed."""

    name: str
    fits: dict[str, AdoptedFit]
    timings: dict[str, float]

    def map_rows(self, components: list[Component], records: list[Record],
                 corpus: Sequence[CorpusComponent] = ()) -> Iterator[RunState]: ...


class RowCache(Protocol):
    """Row-stage output kept between runs (the store)."""

    def plan(self, state: RunState, components: list[Component]) -> list[Record]:
        """The records the row stages must analyse; the others are reused."""
        ...

    def commit(self, batch: RunState) -> None: ...

    def reuse(self, record: Record) -> list[tuple[Segment, np.ndarray | None]]:
        """Fill `record` with its stored analysis; return its stored segments."""
        ...

    def finish(self, state: RunState) -> None: ...


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _default_sigterm() -> None:
    # Workers are forked from the CLI, whose SIGTERM handler unwinds to close the store;
    # the pool stops its workers with SIGTERM and they must just die.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(records: list[dict[str, Any]]) -> RunState:
    return run_components(_worker_components, RunState(records=records))


def _run_forked(components: list[Component], state: RunState, workers: int) -> RunState:
    """Run `components` over the records in `workers` processes (or inline when small)."""
    if workers <= 1 or len(state.records) < MIN_PARALLEL_RECORDS or \
            "fork" not in multiprocessing.get_all_start_methods():
        return run_components(components, state)

    global _worker_components
    _worker_components = components
    size = -(-len(state.records) // (workers * _CHUNKS_PER_WORKER))
    chunks = [state.records[i: i + size] for i in range(0, len(state.records), size)]
    records: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=_default_sigterm) as pool:
            for result in pool.imap(_run_chunk, chunks):
                records.extend(result.records)
                segments.extend(result.segments)
                # The workers' stage timings overlap: the caller times the whole step.
                state.stats.add(result.stats, timings=False)
    finally:
        _worker_components = []
    state.records = records
    state.segments = segments
    return state


class LocalExecutor:
    """This machine: batch after batch (one batch without a cache); in each, the leading
    `parallel` row stages in forked worker processes on large inputs, then the others
    (classify: one encoder, batched across records) in this process."""

    name = "local"

    def __init__(self, workers: int = 1, batch_size: int | None = None) -> None:
        self.workers = max(workers, 1)
        self.batch_size = batch_size
        self.fits: dict[str, AdoptedFit] = {}
        self.timings: dict[str, float] = {}

    def map_rows(self, components: list[Component], records: list[Record],
                 corpus: Sequence[CorpusComponent] = ()) -> Iterator[RunState]:
        size = self.batch_size or max(len(records), 1)
        for start in range(0, len(records), size):
            yield self.run_rows(components, RunState(records=records[start: start + size]))

    def run_rows(self, components: list[Component], state: RunState) -> RunState:
        split = next((i for i, c in enumerate(components) if not c.declares.parallel),
                     len(components))
        forked, inline = components[:split], components[split:]
        if forked:
            started = time.perf_counter()
            state = _run_forked(forked, state, self.workers)
            state.stats.timings_s["per_record_stages"] = round(time.perf_counter() - started, 3)
            state.stats.workers = self.workers if len(state.records) >= MIN_PARALLEL_RECORDS \
                else 1
        return run_components(inline, state)


def row_prefix(components: Sequence[Component]) -> list[Component]:
    """The leading row stages: their output for a record depends only on that record."""
    prefix = []
    for component in components:
        if component.declares.kind is not Kind.ROW:
            break
        prefix.append(component)
    return prefix


def batch_corpus(rows: Sequence[Component], rest: Sequence[Component]
                 ) -> list[CorpusComponent]:
    """The corpus stages an executor may fit from the row batches: declared parallel, and
    needing nothing the row stages (or the reader) do not provide."""
    available = set(READER_FIELDS).union(*(c.declares.assigned() for c in rows))
    return [cast(CorpusComponent, c) for c in rest
            if c.declares.kind is Kind.CORPUS and c.declares.parallel
            and set(c.declares.requires) <= available]


def execute(components: list[Component], state: RunState, executor: Executor, *,
            cache: RowCache | None = None, on_stage: StageCallback | None = None
            ) -> RunState:
    """Run `components` over `state`: the row stages through `cache` and `executor`, then
    the corpus and aggregate stages over the whole run, in pipeline order."""
    rows = row_prefix(components)
    rest = components[len(rows):]
    todo = cache.plan(state, rows) if cache is not None else state.records
    analysed: dict[int, Record] = {}
    analysed_segments: dict[int, list[tuple[Segment, np.ndarray | None]]] = {}
    if todo and rows:
        if on_stage:
            on_stage("+".join(c.name for c in rows), 0, len(components))
        # What needs the whole run is fitted from the batches only when they are all of it.
        corpus = batch_corpus(rows, rest) if len(todo) == len(state.records) else []
        for batch in executor.map_rows(rows, todo, corpus):
            if cache is not None:
                cache.commit(batch)
            state.stats.add(batch.stats)
            by_row = _segments_by_row(batch)
            for record in batch.records:
                analysed[record["row_id"]] = record
                analysed_segments[record["row_id"]] = by_row.get(record["row_id"], [])
    elif todo:
        analysed = {r["row_id"]: r for r in todo}
    state.artifacts.fits.update(executor.fits)
    for name, seconds in executor.timings.items():
        state.stats.timings_s[name] = round(state.stats.timings_s.get(name, 0.0) + seconds, 3)
    _merge(state, analysed, analysed_segments, cache)
    if cache is not None:
        cache.finish(state)
    return run_components(rest, state, on_stage)


def _segments_by_row(state: RunState) -> dict[int, list[tuple[Segment, np.ndarray | None]]]:
    by_row: dict[int, list[tuple[Segment, np.ndarray | None]]] = {}
    for index, segment in enumerate(state.segments):
        vector = None if state.embeddings is None else state.embeddings[index]
        by_row.setdefault(segment["row_id"], []).append((segment, vector))
    return by_row


def _merge(state: RunState, analysed: Mapping[int, Record],
           analysed_segments: Mapping[int, list[tuple[Segment, np.ndarray | None]]],
           cache: RowCache | None) -> None:
    """Records in input order, each with its fresh or reused analysis and segments."""
    records: list[Record] = []
    segments: list[Segment] = []
    vectors: list[np.ndarray | None] = []
    for record in state.records:
        row_id = record["row_id"]
        if row_id in analysed:
            records.append(analysed[row_id])
            found = analysed_segments.get(row_id, [])
        elif cache is not None:
            records.append(record)
            found = cache.reuse(record)
        else:  # no row stage ran
            records.append(record)
            found = []
        for segment, vector in found:
            segments.append(segment)
            vectors.append(vector)
    state.records = records
    state.segments = segments
    present = [v for v in vectors if v is not None]
    if segments and len(present) == len(vectors):
        state.embeddings = np.vstack(present).astype(np.float32)
    elif not segments:
        state.embeddings = None


def make_executor(engine: str, config: Mapping[str, Any], workers: int,
                  batch_size: int | None = None) -> Executor:
    """The executor `--engine` names: `local` (default) or `ray`."""
    if engine == "ray":
        from voc.engine_ray.runner import RayExecutor

        return RayExecutor(config, workers, batch_size or DEFAULT_BATCH_SIZE)
    return LocalExecutor(workers, batch_size)


def run_pipeline(components: list[Component], state: RunState, *, workers: int = 1,
                 on_stage: StageCallback | None = None) -> RunState:
    """`execute` on this machine without a cache (benches and tests)."""
    return execute(components, state, LocalExecutor(workers), on_stage=on_stage)
