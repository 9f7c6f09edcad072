"""`voc report`: re-render a finished run's report from its tables (no model needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    run_dir: Annotated[Path, typer.Argument(help="Output directory of a finished 'voc analyze'.")],
    previous: Annotated[Path | None, typer.Option(
        "--previous", help="An earlier run's directory to compare with.")] = None,
) -> None:
    """Write DIR/report.html and DIR/report.md from the run's tables."""
    from voc.report.data import load_run_data
    from voc.report.render import write_report

    current = load_run_data(run_dir)
    earlier = load_run_data(previous) if previous is not None else None
    written = write_report(run_dir, current, previous=earlier)
    typer.echo(", ".join(str(run_dir / name) for name in written))
