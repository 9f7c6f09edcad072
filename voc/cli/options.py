"""Options every `voc` command that runs for a while shares: logging and debugging."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class LogFormatChoice(StrEnum):
    text = "text"
    json = "json"


DebugOption = Annotated[bool, typer.Option(
    "--debug", help="Show full tracebacks and debug logs when something fails.")]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress bars or info messages; errors and results only.")]
LogFormatOption = Annotated[LogFormatChoice, typer.Option(
    "--log-format", help="'json' writes one JSON object per log line on stderr, for schedulers.")]
