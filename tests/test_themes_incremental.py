"""Incremental theme runs: a previous fit is reused (segments assigned to its themes, no
clustering) while few segments lie outside it, and fitted again otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import voc.themes.model as theme_model
from tests.test_themes import synthetic
from voc.errors import ConfigError
from voc.pipeline.base import Artifacts, RunState, create_component
from voc.pipeline.settings import ThemesSettings
from voc.themes.component import ThemesComponent
from voc.themes.model import STATE_JSON, STATE_TENSORS, ThemeModel

PER_GROUP = 30  # segments per topic and language; the first run sees the first BASE
BASE = 25


def _data() -> tuple[np.ndarray, list[dict[str, Any]]]:
    vectors, langs, docs, truth = synthetic(PER_GROUP, seed=0)
    # Distinct texts: a later run knows a segment by its language and text.
    segments = [{"row_id": i, "segment_id": f"{i}-0", "text": f"{doc} n{i}", "lang": lang,
                 "topic": topic, "sentiment": "negative", "sentiment_score": -0.5,
                 "emotion": "anger", "journey_stage": "delivery"}
                for i, (doc, lang, topic) in enumerate(zip(docs, langs, truth, strict=True))]
    return vectors, segments


def _rows(extra_per_group: int) -> np.ndarray:
    """The first run's rows, then `extra_per_group` new ones per topic and language."""
    groups = len(_data()[1]) // PER_GROUP
    base = [g * PER_GROUP + i for g in range(groups) for i in range(BASE)]
    extra = [g * PER_GROUP + BASE + i for g in range(groups) for i in range(extra_per_group)]
    return np.asarray(base + extra)


def _run(rows: np.ndarray, out: Path | None = None, previous: Path | None = None,
         **settings: Any) -> RunState:
    vectors, segments = _data()
    chosen = [dict(segments[i]) for i in rows]
    config = {"random_state": 7, "pain_view": False, **settings}
    if previous is not None:
        config["previous"] = str(previous)
    tables = ThemesComponent(ThemesSettings(**config))(RunState(
        records=[{"row_id": s["row_id"]} for s in chosen], segments=chosen,
        embeddings=vectors[rows]))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / STATE_TENSORS).write_bytes(tables.files[STATE_TENSORS])
        (out / STATE_JSON).write_text(json.dumps(tables.documents["themes_model"]),
                                      encoding="utf-8")
    return tables


def _ids(tables: RunState) -> dict[int, int | None]:
    return {s["row_id"]: s["theme_id"] for s in tables.segments}


def _forbid_clustering(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("clustering (UMAP + HDBSCAN, or Ward) ran in an assigned run")

    monkeypatch.setattr(theme_model, "cluster", refuse)


@pytest.fixture
def fitted(tmp_path: Path) -> tuple[RunState, Path]:
    out = tmp_path / "run1"
    return _run(_rows(0), out), out


def test_a_few_new_segments_are_assigned_without_clustering(
        fitted: tuple[RunState, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    first, state = fitted
    assert first.stats.themes["themes"]["mode"] == "fitted"
    assert first.documents["themes_model"]["n_fitted"] == len(_rows(0))
    _forbid_clustering(monkeypatch)
    rows = _rows(1)  # 8 new of 208 segments (3.8%)
    second = _run(rows, previous=state)
    summary = second.stats.themes["themes"]
    assert summary["mode"] == "assigned"
    assert "8 of 208 segments" in summary["mode_reason"]
    before, after = _ids(first), _ids(second)
    assert all(after[row] == theme for row, theme in before.items())
    # New segments join the theme their topic has in the first run.
    _, segments = _data()
    topic_theme: dict[str, set[int | None]] = {}
    for row, theme in before.items():
        topic_theme.setdefault(segments[row]["topic"], set()).add(theme)
    new = [s for s in second.segments if s["row_id"] not in before]
    assert len(new) == 8
    assert all(s["theme_id"] in topic_theme[s["topic"]] for s in new)
    assert {r["theme_id"] for r in second.outputs["themes"].rows} <= set(before.values())
    assert sum(r["size"] for r in second.outputs["themes"].rows) == len(rows)


def test_an_assigned_run_keeps_the_names_and_names_nothing_again(
        fitted: tuple[RunState, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import voc.themes.describe as describe

    first, state = fitted
    names = {r["theme_id"]: (r["label_fa"], r["label_en"]) for r in first.outputs["themes"].rows}
    assert any(any(pair) for pair in names.values())

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("themes were named again in a run that kept them")

    with monkeypatch.context() as patch:
        patch.setattr(describe, "name_themes", refuse)
        second = _run(_rows(1), previous=state)
    assert second.stats.themes["themes"]["mode"] == "assigned"
    assert {r["theme_id"]: (r["label_fa"], r["label_en"])
            for r in second.outputs["themes"].rows} == names
    # A state named under other rules (an older voc) is named again.
    document = json.loads((state / STATE_JSON).read_text(encoding="utf-8"))
    document["naming"] = "other rules"
    (state / STATE_JSON).write_text(json.dumps(document), encoding="utf-8")
    calls: list[int] = []
    original = describe.name_themes
    monkeypatch.setattr(describe, "name_themes",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    _run(_rows(1), previous=state)
    assert calls


def test_assignment_is_deterministic_and_keeps_the_fits_coverage(
        fitted: tuple[RunState, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _, state = fitted
    _forbid_clustering(monkeypatch)
    one = _run(_rows(1), tmp_path / "a", previous=state)
    two = _run(_rows(1), tmp_path / "b", previous=state)
    assert _ids(one) == _ids(two)
    assert one.files[STATE_TENSORS] == two.files[STATE_TENSORS]
    assert one.documents["themes_model"] == two.documents["themes_model"]
    # The state still counts what the fit covered, not what was assigned since.
    assert one.documents["themes_model"]["n_fitted"] == len(_rows(0))
    assert ThemeModel.load(tmp_path / "a").covered_.sum() == len(_rows(0))  # type: ignore[union-attr]


def test_many_new_segments_or_a_changed_setup_refit(
        fitted: tuple[RunState, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, state = fitted
    calls = []
    real = theme_model.cluster

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(theme_model, "cluster", counting)
    many = _run(_rows(5), previous=state)  # 40 new of 240 (16.7%)
    assert many.stats.themes["themes"]["mode"] == "fitted" and len(calls) == 1
    assert "40 of 240" in many.stats.themes["themes"]["mode_reason"]
    # Small nights add up: what the fit never saw is counted from the fit, not the last run.
    second = tmp_path / "run2"
    assert _run(_rows(2), second, previous=state).stats.themes["themes"]["mode"] == "assigned"
    third = _run(_rows(4), previous=second)  # 32 of 232 (13.8%) outside the first fit
    assert third.stats.themes["themes"]["mode"] == "fitted"
    # Other theme settings, or a threshold of 0, mean fitting again.
    changed = _run(_rows(1), previous=state, max_themes=3)
    assert changed.stats.themes["themes"]["mode"] == "fitted"
    assert "settings" in changed.stats.themes["themes"]["mode_reason"]
    strict = _run(_rows(1), previous=state, refit_fraction=0.0)
    assert strict.stats.themes["themes"]["mode"] == "fitted"


def test_seeds_and_curation_apply_to_an_assigned_run(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = [{"name": "refund", "keywords": {"en": ["refund"], "fa": ["مرجوعی"]}}]
    first = _run(_rows(0), tmp_path / "run1", seeds=seeds)
    refund = next(t["theme_id"] for t in first.documents["themes_model"]["themes"]
                  if t["key"] == "seed:refund")
    others = sorted({s["theme_id"] for s in first.segments} - {refund, None})
    curation = tmp_path / "themes.yaml"
    curation.write_text(f"rename:\n  {refund}: Refunds\nmerge:\n  - [{others[0]}, {others[1]}]\n",
                        encoding="utf-8")
    _forbid_clustering(monkeypatch)
    second = _run(_rows(1), previous=tmp_path / "run1", seeds=seeds, curation=str(curation))
    assert second.stats.themes["themes"]["mode"] == "assigned"
    by_id = {r["theme_id"]: r for r in second.outputs["themes"].rows}
    assert by_id[refund]["label"] == "Refunds"
    assert others[1] not in by_id
    new = [s for s in second.segments if s["row_id"] not in _ids(first)]
    assert all(s["theme_id"] == refund for s in new if "refund" in s["text"]
               or "مرجوعی" in s["text"])


def test_refit_fraction_is_validated() -> None:
    with pytest.raises(ConfigError, match="refit_fraction"):
        create_component("themes", {"refit_fraction": 1.5})


def test_a_sample_fit_with_assignments_made_elsewhere_is_kept_not_refitted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The Ray engine fits themes on a sample and assigns the rest in its distributed
    pass: the themes stage keeps those assignments (no clustering) and reports how."""
    from voc.themes.cluster import OUTLIER
    from voc.themes.component import ThemePrefit, language_group

    vectors, segments = _data()
    component = ThemesComponent(ThemesSettings(random_state=7, pain_view=False))
    sample = _rows(0)
    documents = [s["text"] for s in segments]
    groups = [language_group(s) for s in segments]
    fitted = component.fit(vectors[sample], [documents[i] for i in sample],
                           [groups[i] for i in sample])
    rest = np.setdiff1d(np.arange(len(segments)), sample)
    assigned = fitted.assign(vectors[rest], [groups[i] for i in rest],
                             [documents[i] for i in rest])
    assert set(assigned.tolist()) <= {*fitted.theme_ids_, OUTLIER}
    labels = np.empty(len(segments), dtype=np.int64)
    labels[sample], labels[rest] = fitted.labels_, assigned
    state = fitted.extended(documents, groups, labels)
    assert state.covered_ is not None and state.covered_.sum() == len(sample)

    _forbid_clustering(monkeypatch)
    tables = RunState(records=[{"row_id": s["row_id"]} for s in segments],
                      segments=[dict(s) for s in segments], embeddings=vectors,
                      artifacts=Artifacts(fits={"themes": ThemePrefit(state, "sampled",
                                                                     "a sample of 150")}))
    tables = component(tables)
    kept = [s["theme_id"] if s["theme_id"] is not None else OUTLIER for s in tables.segments]
    assert kept == labels.tolist()
    assert tables.stats.themes["themes"]["mode"] == "sampled"
    assert tables.stats.themes["themes"]["mode_reason"] == "a sample of 150"
    # The saved state says the fit covered only the sample: a later run fits again.
    saved = tables.documents["themes_model"]
    assert saved["n_fitted"] == len(sample)
    assert saved["n_segments"] == len(segments)


def test_theme_model_fits_assigns_saves_and_loads(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """ThemeModel is one estimator: settings in the constructor, fit() sets the fitted
    attributes, assign() labels segments under them, save()/load() keep them."""
    from voc.themes.component import language_group, settings_from_config
    from voc.themes.model import ThemeModel

    vectors, segments = _data()
    documents = [s["text"] for s in segments]
    groups = [language_group(s) for s in segments]
    with pytest.raises(ValueError, match="fit"):
        ThemeModel().assign(vectors, groups, documents)
    model = ThemeModel(settings_from_config(ThemesSettings(random_state=7))).fit(
        vectors, groups, documents, setup="test setup")
    assert model.mode_ == "fitted" and len(model.labels_) == len(segments)
    assert len(set(model.labels_.tolist())) > 2
    json_path, tensor_path = model.save(tmp_path / "state")
    assert (json_path.name, tensor_path.name) == (STATE_JSON, STATE_TENSORS)

    _forbid_clustering(monkeypatch)
    loaded = ThemeModel.load(tmp_path / "state", settings=model.settings)
    assert loaded.mode_ == "loaded" and loaded.theme_ids_ == model.theme_ids_
    np.testing.assert_allclose(loaded.centres_, model.centres_, rtol=1e-6)
    # Segments the fit saw keep their theme; assigning fits nothing (no clustering).
    assert loaded.assign(vectors, groups, documents).tolist() == model.labels_.tolist()
    assert loaded.mode_ == "loaded"  # assign() leaves the fitted attributes as they were
    # A later fit may take the loaded model as `previous`: with every segment covered, it
    # assigns (refit_fraction) instead of clustering, and says so.
    again = ThemeModel(model.settings).fit(vectors, groups, documents, previous=loaded,
                                           setup="test setup", refit_fraction=0.1)
    assert again.mode_ == "assigned"
    assert again.labels_.tolist() == model.labels_.tolist()


def test_a_fitted_model_travels_to_workers_without_loaded_models() -> None:
    """The Ray engine ships the fitted ThemeModel to its workers: the encoder for seeds'
    examples travels as its description (loaded there once per process) and the tokenizer
    as its flag, so the pickle holds the fitted state and little else."""
    import pickle

    from voc.themes.component import SeedEncoder, language_group

    vectors, segments = _data()
    documents = [s["text"] for s in segments]
    groups = [language_group(s) for s in segments]
    component = ThemesComponent(ThemesSettings(
        random_state=7, pain_view=False, seeds=[{"name": "delivery", "keywords": ["courier"]}]))
    model = component.fit(vectors, documents, groups)
    assert isinstance(model.encode, SeedEncoder)
    payload = pickle.dumps(model)
    state = sum(a.nbytes for a in (model.labels_, model.centres_, model.segment_keys_,
                                   model.covered_) if a is not None)
    assert len(payload) < state + 50_000
    copy = pickle.loads(payload)
    assert copy.theme_ids_ == model.theme_ids_ and copy.encode == model.encode
    np.testing.assert_array_equal(copy.labels_, model.labels_)
