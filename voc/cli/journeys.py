"""`voc journeys`: list, show and validate journey maps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

journeys_app = typer.Typer(help="List, show and validate journey maps (YAML).",
                           no_args_is_help=True)


@journeys_app.command("list")
def list_maps() -> None:
    """List the journey maps shipped with voc."""
    from voc.journey.maps import DEFAULT_JOURNEY, built_in_journeys, load_journey_map

    for name in built_in_journeys():
        journey = load_journey_map(name)
        marker = " (default)" if name == DEFAULT_JOURNEY else ""
        typer.echo(f"{name}{marker}: {journey.name.get('en') or journey.name.get('fa')} — "
                   f"{len(journey.stages)} stages, {len(journey.touchpoints)} touchpoints")


@journeys_app.command("show")
def show(
    journey: Annotated[str, typer.Argument(help="A built-in map name or a path to a YAML map.")
                       ] = "ecommerce",
    lang: Annotated[str, typer.Option("--lang", help="Language of the names shown: en or fa.")
                    ] = "en",
) -> None:
    """Print a map's stages (in journey order), touchpoints and channel mapping as JSON."""
    from voc.journey.maps import describe, load_journey_map

    typer.echo(json.dumps(describe(load_journey_map(journey), lang), ensure_ascii=False,
                          indent=2))


@journeys_app.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Journey map YAML files to check.")],
) -> None:
    """Check journey maps; errors name the file, line and field to fix (exit 2)."""
    from voc.journey.maps import load_journey_map

    for path in paths:
        journey = load_journey_map(path)
        typer.echo(f"{path}: ok ({len(journey.stages)} stages, "
                   f"{len(journey.touchpoints)} touchpoints)")
