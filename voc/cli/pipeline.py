"""`voc pipeline show`: the configured stages, in order, with what each reads and writes
(with the types and descriptions their producers declare) and the tables it writes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

pipeline_app = typer.Typer(help="Inspect the analysis pipeline a config describes.",
                           no_args_is_help=True)
_stdout = Console()
if not _stdout.is_terminal:  # piped into a file or a log: never wrap field names
    _stdout = Console(width=200)


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v!r}" for k, v in value.items()) or "{}"
    return repr(value) if not isinstance(value, str) else value


def stage_table(position: int, name: str, config: dict[str, Any]) -> Table:
    """One stage: its settings (its config section), then the fields it requires, reads
    when present and assigns, with their output column types (as the stage or reader that
    produces each declares it), and the run-level tables it writes."""
    from voc.pipeline.base import declaration, declared_fields

    declares = declaration(name)
    known = declared_fields()
    parallel = ", parallel" if declares.parallel else ""
    table = Table(title=f"{position}. {name} ({declares.kind}{parallel})", title_justify="left",
                  header_style="bold")
    table.add_column("part")
    table.add_column("name")
    table.add_column("value / type")
    table.add_column("about")
    for key, value in (config.get(name) or {}).items():
        table.add_row("setting", key, _value(value))
    for part, keys in (("requires", declares.requires), ("optional", declares.optional),
                       ("assigns", declares.assigned())):
        for key in keys:
            table.add_row(part, key, known[key].describe(), known[key].doc)
    for output, schema in declares.tables.items():
        table.add_row("writes", f"{output}.parquet", f"{len(schema)} columns")
    return table


@pipeline_app.command("show")
def show(
    config: Annotated[Path | None, typer.Option(
        "--config", help="Pipeline config YAML to describe (default: the built-in one, "
        "spelled out in voc/data/default.yaml).")] = None,
) -> None:
    """Print the stages in run order with their kind, settings, and the record and segment
    fields each requires, optionally reads and assigns; a misordered pipeline is an error
    (exit 2), as it would be for 'voc analyze'."""
    # Importing the pipeline runner registers every stage.
    import voc.pipeline.run  # noqa: F401
    from voc.pipeline.base import check_pipeline
    from voc.pipeline.config import load_config

    loaded = load_config(config)
    names = list(loaded["pipeline"])
    check_pipeline(names)
    for position, name in enumerate(names, start=1):
        _stdout.print(stage_table(position, name, loaded))
    if "spacy_model" in loaded:
        _stdout.print(f"shared: spacy_model={loaded['spacy_model']}")
