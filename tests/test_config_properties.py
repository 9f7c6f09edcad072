"""Property-based tests of the config loader: whatever a user's YAML holds, loading it ends
in valid settings or in a one-line `ConfigError`, never another exception or a value that
the stages cannot run with (a zero segment length looped forever)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.errors import ConfigError
from voc.pipeline.config import DEFAULT_CONFIG, load_config

# Hypothesis: hundreds of generated configs per property.
pytestmark = pytest.mark.slow

PROPERTIES = settings(max_examples=200, deadline=2000,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["off", "auto", "onnx", "fa", "EMAIL", "-5", "0", "1e9"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)
SECTIONS = [key for key, value in DEFAULT_CONFIG.items() if isinstance(value, dict)]
# Keys users really write (right and slightly wrong), so most examples reach the ranges.
KEYS = st.sampled_from(sorted({key for section in SECTIONS for key in DEFAULT_CONFIG[section]}
                              | {"max_char", "kind", "backnd", ""}))


@st.composite
def user_configs(draw: st.DrawFn) -> Any:
    config: dict[Any, Any] = {}
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "pipeline", "spacy_model",
                                                  "normalise"]), max_size=4, unique=True)):
        if section in SECTIONS and draw(st.booleans()):
            config[section] = draw(st.dictionaries(KEYS, VALUES, max_size=3))
        else:
            config[section] = draw(VALUES)
    return draw(st.one_of(st.just(config), VALUES))


@PROPERTIES
@given(config=user_configs())
def test_any_yaml_loads_to_valid_settings_or_a_one_line_error(tmp_path: Path,
                                                             config: Any) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert set(loaded) == set(DEFAULT_CONFIG)
    assert loaded["segment"]["max_segment_chars"] >= 20
    assert loaded["normalize"]["max_chars"] >= 1
    assert 0.0 <= loaded["journey"]["min_confidence"] <= 1.0
    assert loaded["drivers"]["min_support"] >= 1


@PROPERTIES
@given(text=st.text(max_size=200))
def test_any_text_file_loads_or_fails_in_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)
