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
    shipped = yaml.safe_load((REPO / "voc" / "data" / "default.yaml").read_text(encoding="utf-8"))
    assert shipped == DEFAULT_CONFIG
    assert set(DEFAULT_CONFIG["pipeline"]) <= set(registered_components())


def test_a_user_config_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("normalize:\n  persian_informal: off\nsegment:\n  contrastive: false\n",
                    encoding="utf-8")
    config = load_config(path)
    # YAML 1.1 reads a bare `off` as false; the settings model reads it back as "off".
    assert config["normalize"] == {"persian_informal": "off", "max_chars": 5000}
    assert config["segment"]["contrastive"] is False
    assert config["pipeline"] == DEFAULT_CONFIG["pipeline"]
    config["pipeline"] = ["language", "redact", "normalize", "segment"]
    assert build_components(config)[2].persian.informal == "off"
    assert component_settings(config, "segment")["spacy_model"] == "auto"


def test_each_component_takes_its_sections_typed_settings() -> None:
    """A stage is built from its section's settings model (defaults and ranges defined
    there once), not from a mapping it reads with defaults of its own."""
    from voc.pipeline.base import _factory
    from voc.pipeline.resources import Resources
    from voc.pipeline.settings import PipelineSettings

    for name in registered_components():
        assert _factory(name).settings_model is PipelineSettings.model_fields[name].annotation
    built = build_components({**DEFAULT_CONFIG, "pipeline": ["language", "redact", "normalize",
                                                             "segment"],
                              "normalize": {"max_chars": 120}})
    assert built[2].max_chars == 120
    # The resources of the default config are the settings models' defaults.
    assert Resources.from_config(DEFAULT_CONFIG) == Resources()
    # A stage built in code from plain data is checked as a config file is.
    with pytest.raises(ConfigError, match=r"segment\.max_segment_chars = 0 is not allowed"):
        build_components({"pipeline": ["language", "redact", "normalize", "segment"],
                          "segment": {"max_segment_chars": 0}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normalise: {}\n", "unknown key 'normalise'"),
        ("pipeline: [language, sentiment_magic]\n", "unknown pipeline component"),
        ("- just\n- a list\n", "must be a mapping"),
        ("pipeline: [language\n", "not valid YAML at line"),
        ("normalize:\n  persian_informal: sometimes\n",
         "bad.yaml, line 2: normalize.persian_informal = 'sometimes' is not allowed"),
        ("classify:\n  backend: gpu\n", "classify.backend = 'gpu' is not allowed"),
        # A typo inside a section did nothing and said nothing.
        ("normalize:\n  max_char: 100\n",
         r"line 2: unknown key 'normalize.max_char'; known keys here: persian_informal, "
         "max_chars"),
        ("segment:\n  max_segment_chars: 0\n",
         "line 2: segment.max_segment_chars = 0 is not allowed: Input should be greater"),
        ("normalize: {max_chars: -5}\n", "normalize.max_chars = -5 is not allowed"),
        ("journey:\n  min_confidence: 1.5\n", "journey.min_confidence = 1.5"),
        ("themes:\n  umap_neighbors: one\n", "themes.umap_neighbors = 'one'"),
        ("themes:\n  cross_lingual_neighbors: -1\n", "themes.cross_lingual_neighbors = -1"),
        ("drivers:\n  min_support: 0\n", "drivers.min_support = 0"),
        ("redact:\n  kinds: [EMAIL, PASSPORT]\n", "unknown kind 'PASSPORT'"),
        ("segment: 5\n", "'segment' must be a mapping"),
        # Seeds are typed too: a malformed one fails at load, with its line.
        ("themes:\n  seeds:\n    - name: late\n      keywords: [late]\n    - name: price\n"
         "      keyword: [price]\n",
         r"bad.yaml, line 6: unknown key 'themes\.seeds\.1\.keyword'; known keys here: name, "
         "label, keywords, examples"),
        ("themes:\n  seeds:\n    - name: late\n      label: [Late]\n      keywords: [late]\n",
         r"line 4: themes\.seeds\.0\.label: must be a text or a mapping"),
        ("themes:\n  seeds:\n    - name: late\n",
         r"line 3: themes\.seeds\.0: seed 'late' needs 'keywords' or 'examples'"),
        ("themes:\n  seeds:\n    - {name: a, keywords: [x]}\n    - {name: a, keywords: [y]}\n",
         r"line 2: themes\.seeds: seed name 'a' is used twice"),
    ],
)
def test_invalid_configs_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        build_components(load_config(path))


def test_cli_refuses_bad_settings_in_one_line_before_reading_input(run_cli,
                                                                   tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("segment:\n  max_segment_chars: 0\n", encoding="utf-8")
    missing = tmp_path / "never-read.csv"
    missing.write_text("comment\nhello\n", encoding="utf-8")
    result = run_cli("analyze", missing, "--out", tmp_path / "o", "--config", config)
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "line 2: segment.max_segment_chars = 0" in result.stderr
    result = run_cli("analyze", missing, "--out", tmp_path / "o", "--max-chars", "-5")
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "--max-chars" in result.stderr


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--alert-rules", "rules:\n  - name: x\n    metric: nps\n    drop_by: 5\n",
         "rule 1, line 4: unknown field 'drop_by'"),
        ("--themes", "rename:\n  3: Late delivery\npinn: [3]\n",
         "line 3: unknown key 'pinn'"),
    ],
)
def test_cli_refuses_bad_rules_and_curation_files_in_one_line(
        run_cli, tmp_path: Path, option: str, text: str, message: str) -> None:
    # The other config files a run reads are checked as strictly as the pipeline config:
    # exit 2 and one line naming the file and the line, before any output is written.
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text("comment\nhello\n", encoding="utf-8")
    result = run_cli("analyze", data, "--out", tmp_path / "o", option, bad)
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr and message in result.stderr
    assert not any((tmp_path / "o").glob("*"))
