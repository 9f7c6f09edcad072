"""Pipeline configs: the shipped default file, user overrides and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from voc.errors import ConfigError
from voc.pipeline.base import registered_components
from voc.pipeline.config import DEFAULT_CONFIG, component_settings, load_config
from voc.pipeline.run import build_components


def test_shipped_default_file_equals_the_built_in_default() -> None:
    shipped = yaml.safe_load((REPO / "pipelines" / "default.yaml").read_text(encoding="utf-8"))
    assert shipped == DEFAULT_CONFIG
    assert set(DEFAULT_CONFIG["pipeline"]) <= set(registered_components())


def test_a_user_config_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("normalize:\n  persian_informal: off\nsegment:\n  contrastive: false\n",
                    encoding="utf-8")
    config = load_config(path)
    assert config["normalize"] == {"persian_informal": False, "max_chars": 5000}  # YAML 1.1
    assert config["segment"]["contrastive"] is False
    assert config["pipeline"] == DEFAULT_CONFIG["pipeline"]
    config["pipeline"] = ["language", "redact", "normalize", "segment"]
    assert build_components(config)[2].persian.informal == "off"
    assert component_settings(config, "segment")["spacy_model"] == "auto"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normalise: {}\n", "unknown key 'normalise'"),
        ("pipeline: [language, sentiment_magic]\n", "unknown pipeline component"),
        ("- just\n- a list\n", "must be a mapping"),
        ("pipeline: [language\n", "not valid YAML at line"),
        ("normalize:\n  persian_informal: sometimes\n", "invalid settings for component"),
        ("classify:\n  backend: gpu\n", "classify.backend must be auto or one of"),
    ],
)
def test_invalid_configs_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        build_components(load_config(path))
