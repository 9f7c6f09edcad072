"""Pipeline configs: which components run, in which order, with which settings.

The built-in default lives here in code so an installed `voc` needs no files;
`pipelines/default.yaml` spells out the same settings as a starting point for users'
own configs (a test keeps the two equal). A user config only needs the keys it changes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voc.errors import ConfigError
from voc.io.yaml_files import load_yaml

DEFAULT_CONFIG: dict[str, Any] = {
    "pipeline": ["language", "redact", "normalize", "segment", "classify", "journey", "themes",
                 "drivers"],
    "spacy_model": "auto",
    "language": {"supported": ["fa", "en", "mixed"]},
    "redact": {"kinds": ["EMAIL", "URL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "NAME"]},
    "normalize": {"persian_informal": "lexicon", "max_chars": 5000},
    "segment": {"contrastive": True, "max_segment_chars": 600},
    "classify": {"encoder": None, "heads": None, "backend": "auto", "token_budget": 4096,
                 "cache": True},
    "journey": {"map": "ecommerce", "min_confidence": 0.32, "min_touchpoint_confidence": 0.6,
                "use_channel": True},
    "themes": {"seeds": [], "curation": None, "previous": None, "max_fit": 50000,
               "max_outlier_share": 0.15, "random_state": 42, "refit_fraction": 0.1},
    "drivers": {"min_support": 10},
}
# Settings every component sees, so that shared resources are configured in one place.
_SHARED_KEYS = ("spacy_model",)
# Sections a component sees besides its own: journey encodes its map's descriptions, and
# themes its seeds' examples, with the very encoder classify used, so they read classify's
# settings.
_SECTIONS_SEEN = {"journey": ("classify",), "themes": ("classify",)}


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(path: Path | None) -> dict[str, Any]:
    """The default config, updated with the user's YAML file when one is given."""
    if path is None:
        return copy.deepcopy(DEFAULT_CONFIG)
    loaded = load_yaml(path, "pipeline config")
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, Mapping):
        raise ConfigError(f"pipeline config {path} must be a mapping of settings")
    unknown = sorted(set(loaded) - set(DEFAULT_CONFIG))
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}' in pipeline config {path}; known keys: "
            f"{', '.join(DEFAULT_CONFIG)}"
        )
    return _merge(DEFAULT_CONFIG, loaded)


def component_settings(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    settings = {key: config[key] for key in _SHARED_KEYS if key in config}
    settings.update(config.get(name) or {})
    for section in _SECTIONS_SEEN.get(name, ()):
        settings[section] = dict(config.get(section) or {})
    return settings
