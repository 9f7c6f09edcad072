"""Run a configured pipeline over records, timing each component."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

# Importing the component modules registers them by name.
import voc.heads.component
import voc.journey.component
import voc.kpi.component
import voc.language.component
import voc.normalize.component
import voc.privacy.component
import voc.segment.component
import voc.themes.component  # noqa: F401
from voc.errors import ConfigError
from voc.pipeline.base import Component, RunState, check_pipeline, create_component
from voc.pipeline.resources import Resources

log = logging.getLogger(__name__)

StageCallback = Callable[[str, int, int], None]


def build_components(config: Mapping[str, Any],
                     resources: Resources | None = None) -> list[Component]:
    """Instantiate the components the config names, in order, sharing one Resources."""
    names = config.get("pipeline") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError("'pipeline' in the pipeline config must be a list of component names")
    # Before any component is built (classify and journey load files) or input is read.
    check_pipeline(names)
    resources = resources or Resources.from_config(config)
    components = []
    for name in names:
        try:
            # The section, checked against the stage's settings model; shared keys
            # (spacy_model, the encoder) reach it as the Resources.
            components.append(create_component(name, config.get(name), resources))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"invalid settings for component '{name}': {exc}") from exc
    return components


def run_components(
    components: list[Component], state: RunState, on_stage: StageCallback | None = None
) -> RunState:
    """Run each component in turn; record per-stage wall time in `state.stats`."""
    timings = state.stats.timings_s
    for index, component in enumerate(components):
        if on_stage:
            on_stage(component.name, index, len(components))
        started = time.perf_counter()
        state = component(state)
        elapsed = time.perf_counter() - started
        timings[component.name] = round(elapsed, 3)
        log.info("stage %s done in %.2fs", component.name, elapsed,
                 extra={"event": "stage_done", "stage": component.name,
                        "seconds": round(elapsed, 3)})
    if on_stage:
        on_stage("done", len(components), len(components))
    return state
