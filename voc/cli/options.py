"""Options several `voc` commands share: logging, debugging and the encoder backend."""

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


class BackendChoice(StrEnum):
    auto = "auto"
    torch = "torch"
    torch_int8 = "torch-int8"
    torch_bf16 = "torch-bf16"
    onnx = "onnx"
    onnx_int8 = "onnx-int8"


BackendOption = Annotated[BackendChoice, typer.Option(
    "--backend", help="Encoder inference backend. 'auto' measures the available ones once per "
    "machine and model and keeps the fastest whose outputs stay within cosine 0.995 of torch "
    "fp32; it weighs torch-bf16 only on CPUs with native bf16 (AVX512-BF16/AMX). Any backend "
    "can be named: bf16 elsewhere is emulated, correct but slow.")]
