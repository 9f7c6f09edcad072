"""The notebook API: `voc.analyze(...)` runs `voc analyze` and hands back its tables.

It builds the CLI's `AnalyzeOptions` and calls the same `voc.analysis.analyze`, so a
notebook gets exactly the CLI's pipeline, defaults, files and one-line errors (raised as
`VocError`). The run is written to a folder (`out`, else a temporary one that lives as long
as the result); the result reads its tables from there when first asked for them.

Importing this module is cheap: pandas, torch and the pipeline load on the first call.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voc.errors import InputError, VocError, environment_problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Analysis", "analyze"]

PathLike = str | os.PathLike[str]
# The run's tables a notebook reads most; any other (e.g. "pain_themes") via `table(name)`.
TABLES = ("records", "segments", "themes", "pain_points", "drivers", "journey")
ENGINES = ("local", "ray")


class ReportHTML(str):
    """The run's report.html; shown inline in Jupyter, in a sandboxed frame so its styles
    and its Content-Security-Policy stay its own."""

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self, quote=True)}" sandbox title="voc report" '
                'style="width:100%;height:80vh;border:1px solid #ddd"></iframe>')


class Analysis:
    """A finished voc run: its tables as DataFrames, its KPIs, its report and manifest.

    Tables a run's configuration did not produce (e.g. `drivers` without scores or with the
    stage left out) are empty DataFrames.
    """

    def __init__(self, directory: Path, manifest: dict[str, Any],
                 workspace: tempfile.TemporaryDirectory[str] | None = None) -> None:
        self.directory = directory
        self.manifest = manifest
        # Keeps a temporary run folder alive (and removes it) with this object.
        self._workspace = workspace

    @classmethod
    def load(cls, directory: PathLike) -> Analysis:
        """A finished run from its folder (`voc analyze --out DIR` or `save(DIR)`)."""
        path = Path(directory)
        return cls(path, _read_manifest(path))

    def _path(self, name: str) -> Path:
        # The folder may have been analysed into again since: never mix two runs' files.
        if _read_manifest(self.directory).get("run_id") != self.manifest.get("run_id"):
            raise VocError(f"{self.directory} now holds another run; load it with "
                           "voc.Analysis.load() or analyse again")
        return self.directory / name

    def table(self, name: str) -> pd.DataFrame:
        """One of the run's tables (`<name>.parquet`) as a DataFrame; empty when the run
        has none of that name."""
        import pandas as pd
        import pyarrow.parquet as pq

        filename = f"{name}.parquet"
        if filename not in self.manifest.get("outputs", []):
            return pd.DataFrame()
        return pq.read_table(self._path(filename)).to_pandas()

    @cached_property
    def records(self) -> pd.DataFrame:
        """One row per input answer, in input order (records.parquet)."""
        return self.table("records")

    @cached_property
    def segments(self) -> pd.DataFrame:
        """One row per sentence or clause of an analysed answer (segments.parquet)."""
        return self.table("segments")

    @cached_property
    def themes(self) -> pd.DataFrame:
        return self.table("themes")

    @cached_property
    def pain_points(self) -> pd.DataFrame:
        """Pain-point segments, most severe first."""
        return self.table("pain_points")

    @cached_property
    def drivers(self) -> pd.DataFrame:
        """Themes and journey cells by their impact on NPS/CSAT."""
        return self.table("drivers")

    @cached_property
    def journey(self) -> pd.DataFrame:
        """Stage x touchpoint: volume, pain-point share, severity, emotion, NPS."""
        return self.table("journey")

    @cached_property
    def kpis(self) -> dict[str, Any]:
        """kpis.json: NPS, CSAT and CES with intervals, overall and per group ({} if none)."""
        if "kpis.json" not in self.manifest.get("outputs", []):
            return {}
        return json.loads(self._path("kpis.json").read_text(encoding="utf-8"))

    def report_html(self) -> ReportHTML:
        """The self-contained HTML report (a str; shown inline when a cell returns it)."""
        return ReportHTML(self._path("report.html").read_text(encoding="utf-8"))

    def _repr_html_(self) -> str:
        return self.report_html()._repr_html_()

    def save(self, directory: PathLike) -> Path:
        """Write the run's files, exactly as `voc analyze --out DIR` does, into `directory`
        (replacing an earlier run there whole, as the CLI does); return its path."""
        from voc.io.writers import prepare_output_dir, publish_run, staged_run

        target = prepare_output_dir(Path(directory))
        if target.resolve() == self.directory.resolve():
            return target
        outputs = list(self.manifest["outputs"])
        sources = {name: self._path(name) for name in outputs}
        try:
            with staged_run(target, str(self.manifest["run_id"])) as staging:
                for name, source in sources.items():
                    shutil.copyfile(source, staging / name)
                publish_run(staging, target, outputs)
        except OSError as exc:
            _raise_environment_problem(exc)
            raise
        return target

    def __repr__(self) -> str:
        counts = self.manifest.get("counts", {})
        themes = (self.manifest.get("themes") or {}).get("themes") or {}
        shown = f", {themes['n_themes']} themes" if "n_themes" in themes else ""
        return (f"<voc.Analysis {counts.get('records_out', 0)} records "
                f"({counts.get('by_status', {}).get('ok', 0)} ok), "
                f"{counts.get('segments', 0)} segments{shown}; run {self.manifest.get('run_id')} "
                f"in {self.directory}>")


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / "run.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{directory} is not a finished voc run (no run.json)") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {directory / 'run.json'}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise InputError(f"{directory / 'run.json'} is not a voc run manifest")
    return manifest


def _raise_environment_problem(exc: BaseException) -> None:
    """Raise a full disk or a read-only folder as the CLI's one-line VocError; return for
    anything else (a bug, to be raised as it is)."""
    if (problem := environment_problem(exc)) is not None:
        raise VocError(problem) from exc


def _split_inputs(data: Any) -> tuple[list[Path], list[Any]]:
    """Paths and DataFrames from one input or a list of them."""
    import pandas as pd

    items = [data] if isinstance(data, str | os.PathLike | pd.DataFrame) else data
    if not isinstance(items, Sequence) or isinstance(items, bytes):
        raise InputError(f"cannot analyse a {type(data).__name__}: pass a file or folder "
                         "path, a pandas DataFrame, or a list of them")
    paths: list[Path] = []
    frames: list[Any] = []
    for item in items:
        if isinstance(item, pd.DataFrame):
            frames.append(item)
        elif isinstance(item, str | os.PathLike):
            paths.append(Path(item).expanduser())
        else:
            raise InputError(f"cannot analyse a {type(item).__name__}: pass a file or folder "
                             "path, a pandas DataFrame, or a list of them")
    if not paths and not frames:
        raise InputError("no input given: pass a file or folder path, a pandas DataFrame, "
                         "or a list of them")
    return paths, frames


def _optional_path(value: PathLike | None) -> Path | None:
    return Path(value).expanduser() if value is not None else None


def analyze(
    data: Any,
    *,
    text_col: str | Sequence[str] | None = None,
    id_col: str | None = None,
    date_col: str | None = None,
    channel_col: str | None = None,
    score_col: Mapping[str, str] | None = None,
    journey: PathLike | None = None,
    store: PathLike | None = None,
    config: PathLike | Mapping[str, Any] | None = None,
    out: PathLike | None = None,
    csv: bool = False,
    encoding: str | None = None,
    sheet: str | None = None,
    max_chars: int | None = None,
    workers: int | None = None,
    encoder: str | None = None,
    heads: PathLike | None = None,
    themes: PathLike | None = None,
    previous_themes: PathLike | None = None,
    backend: str | None = None,
    engine: str = "local",
    alert_rules: PathLike | None = None,
    wait: bool = False,
    quiet: bool = False,
) -> Analysis:
    """Analyse feedback exports or DataFrames, as `voc analyze` does; return the run.

    `data` is a file or folder path (CSV, TSV, XLSX, JSON, JSONL, Parquet), a pandas
    DataFrame, or a list of them. Every option is the CLI option of the same name, with the
    same default: `text_col` one column or a list (multi-question surveys); `score_col`
    maps column names to "nps", "csat" or "ces"; `journey` a shipped map's name or a YAML
    file; `store` a DuckDB store for incremental runs; `config` a pipeline YAML file or its
    settings as a dict; `out` the folder to write (default: a temporary one, kept while
    the result is); `csv` also writes CSV copies. Progress shows on a terminal or in
    Jupyter unless `quiet`. Problems with the input or options raise `VocError` carrying
    the CLI's one-line message.

    >>> result = voc.analyze(df, text_col="نظر")          # doctest: +SKIP
    >>> result.themes.head(); result.kpis["overall"]      # doctest: +SKIP
    """
    from rich.console import Console

    from voc.analysis import AnalyzeOptions
    from voc.analysis import analyze as run_analysis
    from voc.io.columns import ColumnOverrides, parse_score_option
    from voc.io.readers import ReadOptions, read_frame
    from voc.progress import can_show_progress, stage_progress

    paths, frames = _split_inputs(data)
    if engine not in ENGINES:
        raise VocError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise VocError(f"workers must be at least 1, got {workers}")
    texts = (text_col,) if isinstance(text_col, str) else tuple(text_col or ())
    scores = tuple(parse_score_option(f"{name}:{kind}")
                   for name, kind in (score_col or {}).items())
    tables = tuple(read_frame(frame, "DataFrame" if len(frames) == 1 else f"DataFrame {i}")
                   for i, frame in enumerate(frames, start=1))
    workspace = None
    if out is None:
        workspace = tempfile.TemporaryDirectory(prefix="voc-run-")
        out = workspace.name
    options = AnalyzeOptions(
        inputs=paths,
        input_tables=tables,
        out=Path(out).expanduser(),
        columns=ColumnOverrides(text=texts, id=id_col, date=date_col, channel=channel_col,
                                scores=scores),
        read=ReadOptions(encoding=encoding, sheet=sheet),
        config=config if isinstance(config, Mapping) else _optional_path(config),
        formats=("parquet", "csv") if csv else ("parquet",),
        max_chars=max_chars,
        workers=workers,
        encoder=encoder,
        heads=_optional_path(heads),
        themes_curation=_optional_path(themes),
        previous_themes=_optional_path(previous_themes),
        journey=os.fspath(journey) if journey is not None else None,
        backend=backend,
        store=os.fspath(store) if store is not None else None,
        wait_for_store=wait,
        engine=engine,
        alert_rules=_optional_path(alert_rules),
    )
    console = Console(stderr=True)
    show = not quiet and can_show_progress(console)
    try:
        with stage_progress(console if show else None) as on_stage:
            manifest = run_analysis(options, on_stage=on_stage)
    except BaseException as exc:
        if workspace is not None:
            workspace.cleanup()
        if isinstance(exc, Exception) and not isinstance(exc, VocError):
            _raise_environment_problem(exc)
        raise
    return Analysis(options.out, manifest, workspace)
