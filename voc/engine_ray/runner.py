"""`--engine ray`: the row-local stages on Ray Data, so one command scales to a cluster.

1. The driver writes the records to analyse as Parquet parts; Ray Data streams them
   (`read_parquet`, a block per part) through `map_batches` with one model-holding actor
   per worker (spaCy, hazm, the encoder and heads load once per worker). Each finished
   batch streams back, is written as a Parquet part of analysed records, segments and
   embeddings, and is committed to the store, so a killed run resumes after its last
   finished batch.
2. Themes: UMAP + HDBSCAN is fitted on the driver over a stratified sample of at most
   `themes.max_fit` segments; a second Ray pass (`read_parquet` of the analysed parts,
   `map_batches`, `write_parquet`) assigns every other segment to the fitted themes. The
   themes stage then keeps those assignments and only describes the themes.
3. The corpus-level stages (journey, themes, drivers, the report) run on the driver, as
   with the default engine.

Ray connects to the cluster in `RAY_ADDRESS` when it is set (e.g. `ray://head:10001` or
`auto` on a node of a `ray start` / KubeRay cluster), else starts a local Ray with
`--workers` CPUs for the actors and one for Parquet reading and writing. The Parquet
parts go under `VOC_RAY_STAGING` (on a cluster: a folder every node mounts), else the
system's temporary folder, and are removed after the run.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from voc.engine_ray.staging import (
    ANALYSED_SCHEMA,
    analysed_columns,
    part_files,
    read_assignments,
    records_from_batch,
    staging_folder,
    tables_from_columns,
    theme_inputs,
    write_input,
)
from voc.errors import ConfigError
from voc.pipeline.base import Component, Record, Tables
from voc.pipeline.config import component_settings
from voc.pipeline.executor import merge_counts

log = logging.getLogger(__name__)

THEMES_STAGE = "themes"


class RowLocalActor:
    """One per Ray worker: builds the stages once, then runs them on each batch."""

    def __init__(self, config: Mapping[str, Any], stages: list[str]) -> None:
        import voc.pipeline.run as pipeline_run

        self.components = pipeline_run.build_components({**config, "pipeline": stages})

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        from voc.pipeline.run import run_components

        tables = run_components(self.components,
                                Tables(records=records_from_batch(batch.to_pydict())))
        columns: dict[str, list[Any]] = analysed_columns(tables)
        # Statistics (timings, model ids, redaction counts) ride on the batch's first row.
        columns["stats"] = [pickle.dumps(tables.stats, protocol=pickle.HIGHEST_PROTOCOL),
                            *[None] * (len(tables.records) - 1)]
        return columns


class ThemeAssigner:
    """One per Ray worker: assigns analysed segments to themes fitted on a sample."""

    def __init__(self, settings: Mapping[str, Any], fitted: Any) -> None:
        from voc.themes.component import ThemesComponent

        self.component = ThemesComponent(settings)
        self.fitted = fitted

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        columns = batch.to_pydict()
        counts = [len(texts) for texts in columns["segment_texts"]]
        texts = [t for row in columns["segment_texts"] for t in row]
        groups = [g for row in columns["segment_groups"] for g in row]
        dims = {d for d, n in zip(columns["embedding_dim"], counts, strict=True) if n}
        labels: list[int] = []
        if texts:
            vectors = np.frombuffer(b"".join(columns["embeddings"]), dtype=np.float32)
            embeddings = vectors.reshape(len(texts), dims.pop())
            labels = self.component.assign(embeddings, texts, groups, self.fitted).tolist()
        theme_ids, start = [], 0
        for count in counts:
            theme_ids.append(labels[start: start + count])
            start += count
        return {"row_id": columns["row_id"], "theme_ids": theme_ids}


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ConfigError("--engine ray needs Ray: pip install 'voc[ray]'") from exc
    return ray


def ensure_ray(workers: int) -> Any:
    ray = _ray()
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        # Ray's own INFO lines would break `--log-format json` on stderr.
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "logging_level": logging.ERROR}
        if not address:
            # The actors take one CPU each; Ray Data's Parquet listing, reading and writing
            # tasks need one more, or they wait for a CPU forever.
            options["num_cpus"] = workers + 1
        ray.init(address=address or None, **options)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
    return ray


class RayEngine:
    """A chunk runner (see voc.store.incremental) on Ray Data. After a run over every
    record of the input, `prefit` holds the themes fitted on a sample and assigned in
    the distributed pass, for the themes stage."""

    def __init__(self, config: Mapping[str, Any], workers: int, batch_size: int) -> None:
        self.config = config
        self.workers = max(workers, 1)
        self.batch_size = batch_size
        self.prefit: dict[str, Any] = {}
        self.timings: dict[str, float] = {}

    def run(self, components: list[Component], records: list[Record], *,
            whole_run: bool = False) -> Iterator[Tables]:
        ray = ensure_ray(self.workers)
        stages = [c.name for c in components]
        size = max(1, min(self.batch_size, -(-len(records) // self.workers)))
        staging = staging_folder(os.environ.get("VOC_RAY_STAGING"), uuid.uuid4().hex[:8])
        try:
            parts = write_input(records, staging / "input", size)
            log.info("ray: %d records in %d parts of %d on %d workers", len(records), parts,
                     size, self.workers,
                     extra={"event": "ray_plan", "records": len(records), "batch": size,
                            "staging": str(staging)})
            # Ray's Parquet reader joins small parts into one block, which one actor would
            # take alone: one block per part, so every actor gets batches.
            dataset = ray.data.read_parquet(str(staging / "input")).repartition(
                parts).map_batches(
                RowLocalActor, fn_constructor_kwargs={"config": dict(self.config),
                                                      "stages": stages},
                batch_size=size, batch_format="pyarrow", num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=self.workers))
            analysed = staging / "analysed"
            analysed.mkdir()
            for index, batch in enumerate(dataset.iter_batches(batch_size=None,
                                                               batch_format="pyarrow")):
                yield _write_part(batch, analysed / f"part-{index:06d}.parquet")
            if whole_run and THEMES_STAGE in (self.config.get("pipeline") or []) \
                    and "classify" in stages:
                started = time.perf_counter()
                self.prefit = self._themes(ray, analysed, staging / "assigned")
                self.timings["themes_ray_fit_and_assign"] = round(
                    time.perf_counter() - started, 3)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _themes(self, ray: Any, analysed: Path, assigned: Path) -> dict[str, Any]:
        from voc.themes.cluster import MIN_LANGUAGE_GROUP, stratified_sample
        from voc.themes.component import ThemePrefit, ThemesComponent
        from voc.themes.model import previous_from_fit, segment_keys

        started = time.perf_counter()
        embeddings, row_ids, texts, groups = theme_inputs(part_files(analysed))
        if not texts:
            return {}
        settings = component_settings(self.config, THEMES_STAGE)
        component = ThemesComponent(settings)
        limit = component.settings.cluster.max_fit
        if len(texts) <= limit:
            fit = component.fit(embeddings, texts, groups)
            return {THEMES_STAGE: ThemePrefit(previous_from_fit(fit), fit.mode,
                                              f"{fit.reason}; fitted by the ray engine")}
        # Each language group needs enough members for its centring mean, or the themes
        # stage would not accept the fit (see voc.themes.model.reuse_decision).
        sample = stratified_sample(groups, limit, component.settings.cluster.random_state,
                                   minimum=MIN_LANGUAGE_GROUP)
        fit = component.fit(embeddings[sample], [texts[i] for i in sample],
                            [groups[i] for i in sample])
        fitted = previous_from_fit(fit)
        fit_seconds = time.perf_counter() - started
        parts = part_files(analysed)
        ray.data.read_parquet(str(analysed)).select_columns(
            ["row_id", "segment_texts", "segment_groups", "embedding_dim", "embeddings"],
        ).repartition(len(parts)).map_batches(
            ThemeAssigner, fn_constructor_kwargs={"settings": settings, "fitted": fitted},
            batch_format="pyarrow", num_cpus=1,
            compute=ray.data.ActorPoolStrategy(size=self.workers),
        ).write_parquet(str(assigned))
        by_row = read_assignments(part_files(assigned))
        labels = np.array([theme for row_id in dict.fromkeys(row_ids)
                           for theme in by_row[row_id]], dtype=np.int64)
        keys = segment_keys(texts, groups)
        assert fitted.keys is not None and fitted.fitted is not None
        state = replace(fitted, keys=keys, labels=labels,
                        fitted=np.isin(keys, fitted.keys[fitted.fitted]))
        log.info("ray: themes fitted on %d of %d segments, the rest assigned in %.1fs",
                 len(sample), len(texts), time.perf_counter() - started - fit_seconds,
                 extra={"event": "ray_themes", "sample": len(sample), "segments": len(texts)})
        return {THEMES_STAGE: ThemePrefit(
            state, "sampled", f"fitted on a stratified sample of {len(sample)} of "
            f"{len(texts)} segments (themes.max_fit); the rest assigned in the Ray pass")}


def _write_part(batch: pa.Table, path: Path) -> Tables:
    """Keep a finished batch as a Parquet part; return it as Tables for the store."""
    pq.write_table(batch.select(ANALYSED_SCHEMA.names).cast(ANALYSED_SCHEMA), path)
    columns = batch.to_pydict()
    tables = tables_from_columns(columns)
    # A block may hold several actor batches: add up their statistics.
    for payload in columns["stats"]:
        if payload is not None:
            merge_counts(tables.stats, pickle.loads(payload))
    return tables
