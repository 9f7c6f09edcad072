"""Customer-domain recipe, near-duplicate removal and leave-one-source-out helpers (#16).

Small fixtures written by the tests; nothing here needs the shared data folder or a model.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from voc.heads.embedding_expert import FrozenLR, apply_neutral_offset
from voc.training.data import _map_label, load_labelled
from voc.training.dedup import NearDuplicates, first_of_each_group, normalize_for_dedup
from voc.training.transfer import loso_train_mask, row_weights, summarize

SENTIMENT = ("negative", "neutral", "positive")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_star_ranges_map_fractional_ratings_and_where_filters_rows(tmp_path: Path) -> None:
    from voc.training.recipes import star_map

    path = write_csv(tmp_path / "r.csv", [
        ["text", "rate", "placeholder"],
        ["broke in a day", "1.5", "0"], ["meh", "3.0", "0"], ["love it", "4.75", "0"],
        ["no rating", "0", "0"], ["Nothing", "2", "1"], ["fine I guess", "2.5", "0"],
    ])
    pairs = load_labelled(path, "text", "rate", star_map(None), allowed_labels=SENTIMENT,
                          where={"placeholder": "0"})
    assert pairs == [("broke in a day", "negative"), ("love it", "positive")]
    neutral = load_labelled(path, "text", "rate", star_map("neutral"),
                            allowed_labels=SENTIMENT)
    assert ("meh", "neutral") in neutral and ("Nothing", "negative") in neutral
    # Exact keys win over ranges; ranges over "*".
    assert _map_label("3", {"3": "neutral", "1..5": "positive"}) == "neutral"
    assert _map_label("x", {"1..5": "positive", "*": None}) is None


def test_customer_recipe_follows_the_voc_definition() -> None:
    from voc.training.recipes import DEFAULT_SOURCES, customer_sources

    by_name = {s.name: s for s in customer_sources(three="neutral")}
    apps = by_name["en_app_review_types"].label_map
    assert isinstance(apps, dict)
    assert _map_label("bug report", apps) == "negative"
    assert _map_label("feature request", apps) == "neutral"
    assert _map_label("rating", apps) is None
    assert ("placeholder", "0") in by_name["en_booking_parts"].where
    assert ("labels_agree", "1") in by_name["fa_itrc_instagram"].where
    stars = by_name["fa_digikala_rated"].label_map
    assert isinstance(stars, dict) and _map_label("3", stars) == "neutral"
    names = {s.name for s in DEFAULT_SOURCES}
    assert {"en_googleplay_videoconf", "fa_digikala_rated", "en_booking_parts"} <= names
    # Both languages hold customer sources that leave-one-source-out scores.
    assert {s.language for s in DEFAULT_SOURCES if s.customer and s.task == "sentiment"} == {
        "en", "fa"}


def test_near_duplicates_group_copies_and_close_variants_only() -> None:
    texts = [
        "The app keeps crashing when I join a meeting!!",
        "the app keeps crashing when i join a meeting",
        "The app keeps crashing when I join a meeting, please fix",
        "Refund arrived in two days, thank you",
        "اپلیکیشن مدام قطع می‌شود",
        "اپلیکیشن مدام قطع میشود",
        "😎", "😡",
    ]
    groups = NearDuplicates(threshold=0.7).groups(texts)
    assert groups[0] == groups[1] == groups[2] == 0
    assert groups[3] == 3 and groups[4] == groups[5] == 4
    assert groups[6] != groups[7]
    assert first_of_each_group(groups).tolist() == [0, 3, 4, 6, 7]
    assert normalize_for_dedup("Good!!  App") == "good app"


def test_loso_mask_drops_the_held_source_and_its_twins_elsewhere() -> None:
    sources = np.array([0, 0, 1, 1, 2, 2])
    groups = np.array([10, 11, 10, 12, 13, 11])
    trainable = np.array([True, True, True, True, True, False])
    mask = loso_train_mask(sources, groups, 0, trainable)
    assert mask.tolist() == [False, False, False, True, True, False]


def test_row_weights_balance_sources_and_apply_multipliers() -> None:
    sources = np.array([0, 0, 0, 0, 1])
    flat = row_weights(sources, 0.0)
    assert np.allclose(flat, 1.0)
    balanced = row_weights(sources, 1.0)
    assert balanced[:4].sum() == pytest.approx(balanced[4])
    damped = row_weights(sources, 0.0, {1: 0.5})
    assert damped[4] == pytest.approx(damped[0] / 2) and damped.mean() == pytest.approx(1.0)


def test_frozen_lr_learns_and_neutral_offset_shifts_decisions() -> None:
    rng = np.random.default_rng(0)
    centers = np.eye(3, 8) * 3
    y = np.repeat([0, 1, 2], 40)
    x = centers[y] + rng.normal(scale=0.5, size=(120, 8))
    model = FrozenLR(c=1.0).fit(x, y)
    probs = model.predict_proba(x)
    assert probs.shape == (120, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert (probs.argmax(axis=1) == y).mean() > 0.95
    lowered = apply_neutral_offset(probs, -5.0)
    assert lowered[:, 1].mean() < probs[:, 1].mean()
    # A model that never saw neutral gives it probability 0.
    binary = FrozenLR().fit(x[y != 1], y[y != 1]).predict_proba(x)
    assert np.all(binary[:, 1] == 0)
    assert summarize({"a": {"accuracy": 0.5}, "b": {"accuracy": 1.0}}, ["a", "b", "c"]) == 0.75


def test_prepare_data_drops_training_twins_of_heldout_texts(tmp_path: Path) -> None:
    from voc.training.recipes import DataSource, Recipe
    from voc.training.train import prepare_data

    base = [f"review number {i} says the parcel arrived late again" for i in range(20)]
    rows = [["text", "label"]] + [[t, "negative"] for t in base] + [
        [f"great product {i} {'x' * i} works perfectly every day", "positive"]
        for i in range(20)]
    first = write_csv(tmp_path / "a.csv", rows)
    # The second file repeats the first one's texts with small changes.
    second = write_csv(tmp_path / "b.csv", [["text", "label"]]
                       + [[t + "!", lab] for t, lab in rows[1:]])
    sources = (
        DataSource(name="a", task="sentiment", path=str(first), text_col="text",
                   label_col="label"),
        DataSource(name="b", task="sentiment", path=str(second), text_col="text",
                   label_col="label"),
    )
    data = prepare_data(Recipe(name="t", sources=sources, heldout_fraction=0.25), seed=13)
    held = {normalize_for_dedup(t) for h in data.heldout for t in h.texts}
    trained = {normalize_for_dedup(t) for t in data.train.texts + data.dev.texts}
    assert held and not held & trained
    assert data.counts["b"]["dropped_as_heldout_duplicates"] > 0


def test_embedding_expert_round_trips_and_mixes_per_script() -> None:
    from voc.heads.embedding_expert import EmbeddingExpert

    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2, -1], 30)  # -1: a row without a sentiment label
    x = np.eye(4, 16)[np.where(y >= 0, y, 3)] * 3 + rng.normal(scale=0.3, size=(120, 16))
    expert = EmbeddingExpert.fit(x, y, weights={"latin": 1.0, "persian": 0.0})
    probs = expert.probs(x[y >= 0])
    assert (probs.argmax(axis=1) == y[y >= 0]).mean() > 0.95
    tensors, meta = expert.to_tensors()
    loaded = EmbeddingExpert.from_tensors(tensors, meta)
    np.testing.assert_allclose(loaded.probs(x), expert.probs(x), rtol=1e-5)
    heads = np.full((2, 3), 1 / 3, dtype=np.float32)
    mixed = loaded.mix(heads, x[:2], ["english text", "متن فارسی"])
    np.testing.assert_allclose(mixed[0], expert.probs(x[:1])[0], rtol=1e-4)
    np.testing.assert_allclose(mixed[1], heads[1], rtol=1e-5)
    # Trained on two classes only, the third is never predicted.
    binary = EmbeddingExpert.fit(x[y != 1], y[y != 1])
    assert binary.probs(x)[:, 1].max() < 1e-6


def test_dev_sample_keeps_at_most_n_rows_per_task_and_source() -> None:
    from voc.training.train import _Examples, _sample_examples

    examples = _Examples()
    for i in range(10):
        examples.add(f"a {i}", "sentiment", i % 3, source=0)
    for i in range(3):
        examples.add(f"b {i}", "sentiment", 1, source=1)
    examples.add("a 0", "emotion", 2, source=2)
    sample = _sample_examples(examples, 4, seed=13)
    sources = [s[0] for s in sample.sources]
    # Source 0 gives 4 rows, plus "a 0" when the emotion sample (source 2) pulls it in.
    assert 4 <= sources.count(0) <= 5
    assert sources.count(1) == 3
    # "a 0" keeps both labels when sampled for emotion.
    row = sample.texts.index("a 0")
    assert sample.labels[row] == examples.labels[0]
    assert _sample_examples(examples, 4, seed=13).texts == sample.texts
