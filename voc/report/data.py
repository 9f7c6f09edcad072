"""A finished run as the report sees it: the tables and documents in its directory.

`voc analyze` and `voc report DIR` both render from this, so a report never shows a
figure that is not in the run's files. Only records, segments and `run.json` are
required; every other table comes from an optional pipeline component (themes, journey,
drivers, run comparison) and may be absent in lighter configs, in which case its section
is left out with a note saying why. The exception is kpis.json: a run whose pipeline
has the drivers stage wrote it, and the report reads its KPIs from it rather than
computing them, so a run folder without it is an error that says to re-run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from voc.errors import InputError

Row = dict[str, Any]

OPTIONAL_TABLES = ("themes", "pain_points", "journey", "drivers")
OPTIONAL_DOCUMENTS = ("kpis", "changes", "alerts")


@dataclass
class RunData:
    """Everything a report can show about one run; optional parts are None when absent."""

    records: list[Row]
    segments: list[Row]
    manifest: dict[str, Any]
    themes: list[Row] | None = None
    pain_points: list[Row] | None = None
    journey: list[Row] | None = None
    drivers: list[Row] | None = None
    kpis: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None
    alerts: dict[str, Any] | None = None
    head_metrics: dict[str, Any] | None = None
    directory: Path | None = None
    problems: list[str] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _head_metrics(manifest: Mapping[str, Any], run_dir: Path) -> dict[str, Any] | None:
    """The heads' model-card measurements: metrics.json beside the heads file the run used.

    A copy in the run directory wins, so a report re-rendered on another machine keeps it.
    """
    candidates = [run_dir / "head_metrics.json"]
    heads = (manifest.get("models") or {}).get("heads")
    if heads:
        candidates.append(Path(heads).with_name("metrics.json"))
    for path in candidates:
        if path.is_file():
            try:
                document = _read_json(path)
            except (OSError, ValueError):
                continue
            if isinstance(document, dict):
                return document
    return None


def load_run_data(run_dir: Path, manifest: dict[str, Any] | None = None) -> RunData:
    """Read a finished run; a directory without run.json is not a finished run.

    `voc analyze` passes the manifest it is about to write last (run.json marks a
    finished run), and the tables it has just written are read back from disk.
    A broken optional table does not stop the report: it is skipped and named in
    `problems`, which the report shows.
    """
    manifest_path = run_dir / "run.json"
    if manifest is None and not manifest_path.is_file():
        raise InputError(f"{run_dir} is not a finished voc run (no run.json); run "
                         "'voc analyze ... --out DIR' first")
    try:
        if manifest is None:
            manifest = _read_json(manifest_path)
        records = pq.read_table(run_dir / "records.parquet").to_pylist()
        segments = pq.read_table(run_dir / "segments.parquet").to_pylist()
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the run in {run_dir}: {exc}") from exc
    run = RunData(records=records, segments=segments, manifest=manifest, directory=run_dir)
    # A reused output directory may still hold another run's tables: only the files this
    # run's manifest lists as its outputs belong to it.
    listed = manifest.get("outputs")

    def belongs(path: Path) -> bool:
        return path.is_file() and (not isinstance(listed, list) or path.name in listed)

    for name in OPTIONAL_TABLES:
        path = run_dir / f"{name}.parquet"
        if belongs(path):
            try:
                setattr(run, name, pq.read_table(path).to_pylist())
            except (OSError, ValueError) as exc:
                run.problems.append(f"{name}.parquet could not be read ({exc})")
    for name in OPTIONAL_DOCUMENTS:
        path = run_dir / f"{name}.json"
        if belongs(path):
            try:
                document = _read_json(path)
            except (OSError, ValueError) as exc:
                run.problems.append(f"{name}.json could not be read ({exc})")
                continue
            setattr(run, name, document if isinstance(document, dict) else {"items": document})
    if run.kpis is None and not (run_dir / "kpis.json").exists() \
            and "drivers" in ((manifest.get("config") or {}).get("pipeline") or ()):
        # The report shows kpis.json's figures and computes none of its own; a run whose
        # drivers stage ran wrote it, so its absence is a folder from before, or damaged.
        raise InputError(f"{run_dir} has no kpis.json, which the report reads its KPIs "
                         "from; re-run 'voc analyze' on this run's input to render it")
    stale = stale_outputs(run)
    if stale:
        # The report reads these figures and counts none itself: a run written before the
        # files carried them is re-run, as a run without kpis.json is.
        raise InputError(f"{run_dir} was written by an older voc ({', '.join(stale)} "
                         "lack the figures the report reads); re-run 'voc analyze' on "
                         "this run's input to render it")
    run.head_metrics = _head_metrics(manifest, run_dir)
    return run


def stale_outputs(run: RunData) -> list[str]:
    """The run's files that lack what the report reads (written before they carried it):
    run.json's counts, kpis.json's overall answer mix (voc.kpi.component.answer_mix),
    journey.parquet's and themes.parquet's pain figures."""
    stale = []
    if not isinstance(run.manifest.get("counts"), dict):
        stale.append("run.json")
    if run.kpis is not None and "analysed_respondents" not in (run.kpis.get("overall") or {}):
        stale.append("kpis.json")
    for name in ("journey", "themes"):
        rows = getattr(run, name)
        if rows and any("pain_respondents" not in row for row in rows):
            stale.append(f"{name}.parquet")
    return stale
