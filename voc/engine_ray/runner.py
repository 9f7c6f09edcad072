"""`--engine ray`: the row-local stages on Ray Data, so one command scales to a cluster.

Records are cut into batches; `map_batches` sends each batch to an actor that built the
row-local components once (spaCy, hazm, the encoder and heads stay loaded per worker)
and returns the batch's records, segments and embeddings as one pickled row. Batches
stream back to the driver as they finish, where the store commits each one, and the
corpus-level stages then run over the whole data as with the local engine.

Ray connects to the cluster in `RAY_ADDRESS` when it is set (e.g. `ray://head:10001` or
`auto` on a node of a `ray start` / KubeRay cluster), else starts a local Ray with
`--workers` CPUs.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterator, Mapping
from typing import Any

from voc.errors import ConfigError
from voc.pipeline.base import Component, Record, Tables

log = logging.getLogger(__name__)


class RowLocalActor:
    """One per Ray worker: builds the stages once, then runs them on each batch."""

    def __init__(self, config: Mapping[str, Any], stages: list[str]) -> None:
        import voc.pipeline.run as pipeline_run

        self.components = pipeline_run.build_components({**config, "pipeline": stages})

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        from voc.pipeline.run import run_components

        records = [pickle.loads(payload) for payload in batch["record"]]
        tables = run_components(self.components, Tables(records=records))
        return {"result": [pickle.dumps(tables, protocol=pickle.HIGHEST_PROTOCOL)]}


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
            options["num_cpus"] = workers
        ray.init(address=address or None, **options)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
    return ray


def ray_chunks(config: Mapping[str, Any], workers: int, chunk_size: int):  # type: ignore[no-untyped-def]
    """A chunk runner (see voc.store.incremental) that runs on Ray Data."""

    def run(components: list[Component], records: list[Record]) -> Iterator[Tables]:
        ray = ensure_ray(workers)
        stages = [c.name for c in components]
        rows = [{"row_id": r["row_id"], "record": pickle.dumps(r)} for r in records]
        size = max(1, min(chunk_size, -(-len(rows) // max(workers, 1))))
        dataset = ray.data.from_items(rows).map_batches(
            RowLocalActor,
            fn_constructor_kwargs={"config": dict(config), "stages": stages},
            batch_size=size, batch_format="numpy", num_cpus=1,
            compute=ray.data.ActorPoolStrategy(size=max(workers, 1)),
        )
        log.info("ray: %d records in batches of %d on %d workers", len(rows), size, workers,
                 extra={"event": "ray_plan", "records": len(rows), "batch": size})
        for row in dataset.iter_rows():
            yield pickle.loads(row["result"])

    return run
