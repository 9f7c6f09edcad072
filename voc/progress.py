"""The stage progress bar that `voc analyze` and `voc.analyze()` both show.

One rich progress display: a live bar on a terminal, a live cell output in Jupyter (rich
renders there through IPython and ipywidgets), and nothing where neither can show one (a
scheduled job's log, a script's piped stderr, a notebook without ipywidgets, where rich
would only warn).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:  # the pipeline imports every component; the bar needs none of them
    from voc.pipeline.run import StageCallback


def can_show_progress(console: Console) -> bool:
    """True where a live bar renders: a terminal, or a Jupyter notebook with ipywidgets."""
    return console.is_terminal or (console.is_jupyter and find_spec("ipywidgets") is not None)


@contextmanager
def stage_progress(console: Console | None) -> Iterator[StageCallback | None]:
    """Yield a stage callback that drives a progress bar on ``console`` (None: no bar)."""
    if console is None:
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total} stages"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("reading", total=None)

        def on_stage(name: str, done: int, total: int) -> None:
            progress.update(task, description=name, completed=done, total=total)

        yield on_stage
