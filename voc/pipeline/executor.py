"""Execute a pipeline, running the per-record stages on several CPU cores.

Language tagging, redaction, normalization and segmentation look at one record at a
time, so big inputs are cut into chunks that forked worker processes handle in
parallel; the workers inherit the already-built components (hazm, spaCy) instead of
loading them again. Records keep their order and the output is identical to a
single-process run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Mapping
from typing import Any

from voc.pipeline.base import Component, Tables
from voc.pipeline.run import StageCallback, run_components

# Below this many records the cost of forking and copying outweighs the gain.
MIN_PARALLEL_RECORDS = 5000
_CHUNKS_PER_WORKER = 4

_worker_components: list[Component] = []


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _default_sigterm() -> None:
    # Workers are forked from the CLI, whose SIGTERM handler unwinds to close the store;
    # the pool stops its workers with SIGTERM and they must just die.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(records: list[dict[str, Any]]) -> Tables:
    return run_components(_worker_components, Tables(records=records))


def merge_counts(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Add up numeric statistics (e.g. redaction counts) reported by each chunk."""
    for key, value in source.items():
        if isinstance(value, Mapping):
            merge_counts(target.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            target[key] = target.get(key, 0) + value
        else:
            target.setdefault(key, value)


def run_per_record_stages(components: list[Component], tables: Tables, workers: int) -> Tables:
    """Run `components` over the records in `workers` processes (or inline when small)."""
    if workers <= 1 or len(tables.records) < MIN_PARALLEL_RECORDS or \
            "fork" not in multiprocessing.get_all_start_methods():
        return run_components(components, tables)

    global _worker_components
    _worker_components = components
    size = -(-len(tables.records) // (workers * _CHUNKS_PER_WORKER))
    chunks = [tables.records[i: i + size] for i in range(0, len(tables.records), size)]
    records: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    stats: dict[str, Any] = {}
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=_default_sigterm) as pool:
            for result in pool.imap(_run_chunk, chunks):
                records.extend(result.records)
                segments.extend(result.segments)
                merge_counts(stats, {k: v for k, v in result.stats.items()
                                      if k != "timings_s"})
    finally:
        _worker_components = []
    tables.records = records
    tables.segments = segments
    for key, value in stats.items():
        tables.stats[key] = value
    return tables


def run_pipeline(components: list[Component], tables: Tables, *, workers: int = 1,
                 on_stage: StageCallback | None = None) -> Tables:
    """Run the leading per-record components (in parallel when worth it), then the rest."""
    split = next((i for i, c in enumerate(components) if not c.per_record), len(components))
    per_record, whole_table = components[:split], components[split:]
    if per_record:
        if on_stage:
            on_stage("+".join(c.name for c in per_record), 0, len(components))
        started = time.perf_counter()
        timings = tables.stats.get("timings_s", {})
        tables = run_per_record_stages(per_record, tables, workers)
        tables.stats["timings_s"] = timings | tables.stats.get("timings_s", {})
        tables.stats["timings_s"]["per_record_stages"] = round(time.perf_counter() - started, 3)
        tables.stats["workers"] = workers if len(tables.records) >= MIN_PARALLEL_RECORDS else 1
    return run_components(whole_table, tables, on_stage)
