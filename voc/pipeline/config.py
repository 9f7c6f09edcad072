"""Pipeline configs: which components run, in which order, with which settings.

The built-in defaults are the settings models' (voc.pipeline.settings), so an installed
`voc` needs no files; `voc/data/default.yaml` (shipped too) spells out the same settings as
a starting point for users' own configs (a test keeps the two equal). A user config only needs the
keys it changes, and every key it holds is checked.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voc.errors import ConfigError
from voc.io.yaml_files import load_yaml
from voc.pipeline.settings import PipelineSettings, settings_dict, validate_config

DEFAULT_CONFIG: dict[str, Any] = settings_dict(PipelineSettings())
# Settings every component sees, so that shared resources are configured in one place.
# (The encoder + heads that journey and themes encode with reach them as the run's
# Resources, voc.pipeline.resources, not as a copy of classify's section.)
_SHARED_KEYS = ("spacy_model",)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(source: Path | Mapping[str, Any] | None) -> dict[str, Any]:
    """The default config, updated with the user's YAML file (or, from the notebook API,
    the same settings as a dict) when one is given."""
    if source is None:
        return copy.deepcopy(DEFAULT_CONFIG)
    if isinstance(source, Mapping):
        loaded: Any = source
        path: Path | str = "given in code"
    else:
        path = source
        loaded = load_yaml(path, "pipeline config")
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, Mapping):
        raise ConfigError(f"pipeline config {path} must be a mapping of settings")
    for key, value in loaded.items():
        if isinstance(DEFAULT_CONFIG.get(key), dict) and value is not None \
                and not isinstance(value, Mapping):
            raise ConfigError(f"pipeline config {path}: '{key}' must be a mapping of "
                              f"settings, got {value!r}")
    return validate_config(_merge(DEFAULT_CONFIG, loaded), path)


def component_settings(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A stage's section with the shared keys, as plain data: what the incremental store's
    fingerprint compares (voc.store.keys). Components take their typed section instead
    (voc.pipeline.base.create_component)."""
    settings = {key: config[key] for key in _SHARED_KEYS if key in config}
    settings.update(config.get(name) or {})
    return settings
