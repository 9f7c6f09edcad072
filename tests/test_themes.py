"""Themes: Persian-aware theme words, clustering across languages, seeds, curation, stable
ids, and the outputs of the sample run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from voc.errors import ConfigError
from voc.pipeline.settings import ThemesSettings
from voc.themes.cluster import OUTLIER, ClusterSettings, center_languages, stratified_sample
from voc.themes.component import THEMES_SCHEMA
from voc.themes.curation import parse_curation, parse_seeds
from voc.themes.describe import keywords_by_language
from voc.themes.model import (
    STATE_JSON,
    STATE_TENSORS,
    ThemeModel,
    ThemeSettings,
)
from voc.themes.vectorizer import BOUNDARY, ThemeTokenizer, join_documents, theme_vectorizer

# --------------------------------------------------------------------------- tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ThemeTokenizer:
    return ThemeTokenizer()


def test_half_space_compounds_stay_one_token(tokenizer: ThemeTokenizer) -> None:
    tokens = tokenizer.tokens("بسته‌بندی خراب بود و می‌خواهم پولم را پس بدهید")
    assert "بسته‌بندی" in tokens
    assert "می‌خواهم" in tokens
    assert "بسته" not in tokens and "بندی" not in tokens


def test_stop_words_placeholders_numbers_and_single_letters_are_dropped(
        tokenizer: ThemeTokenizer) -> None:
    words = tokenizer.phrases("The courier called me at [PHONE] and [EMAIL], 3 times a day "
                              "و پیک ۱۲ بار زنگ زد x")
    assert "courier" in words and "پیک" in words
    for unwanted in ("the", "and", "at", "phone", "email", "PHONE", "3", "۱۲", "x", "a", "و"):
        assert unwanted not in words
    assert not any(ch.isdigit() for word in words for ch in word)


def test_english_contractions_are_not_theme_words(tokenizer: ThemeTokenizer) -> None:
    words = tokenizer.phrases("Kalano's app doesn't open and I've waited")
    assert "kalano app" in words and "open" in words
    assert not any("'" in word for word in words)


def test_persian_plurals_are_lemmatized_but_verbs_kept_readable(
        tokenizer: ThemeTokenizer) -> None:
    tokens = tokenizer.tokens("کالاها و سفارش‌های من")
    assert "کالا" in tokens and "سفارش" in tokens
    # hazm lemmatizes verbs to "past#present" stems; theme words keep the written form.
    assert all("#" not in t for t in tokenizer.tokens("رفتم و می‌خواهم"))


def test_phrases_join_adjacent_content_words_only(tokenizer: ThemeTokenizer) -> None:
    words = tokenizer.phrases("late delivery and rude courier")
    assert "late delivery" in words and "rude courier" in words
    # "delivery rude" would jump over the removed stop word "and".
    assert "delivery rude" not in words
    joined = tokenizer.phrases(join_documents(["late delivery", "rude courier"]))
    assert "delivery rude" not in joined
    assert BOUNDARY not in joined


def test_vectorizer_vocabulary_is_readable_words(tokenizer: ThemeTokenizer) -> None:
    vectorizer = theme_vectorizer(tokenizer)
    vectorizer.fit(["ارسال با تأخیر ۳ روزه انجام شد [PHONE]", "delivery 3 days late!!",
                    "بسته‌بندی‌ها خیلی ضعیف بود"])
    vocabulary = set(vectorizer.get_feature_names_out())
    assert {"ارسال", "تأخیر", "delivery", "late", "days late"} <= vocabulary
    assert all(len(word) > 1 and not any(c.isdigit() for c in word) for word in vocabulary)
    assert all(len(word.split()) <= 2 for word in vocabulary)


# --------------------------------------------------------------------------- synthetic data

TOPICS = {
    "delivery": ({"en": "late delivery courier package", "fa": "ارسال دیر پیک بسته"}),
    "refund": ({"en": "refund money back card", "fa": "مرجوعی پول برگشت کارت"}),
    "app": ({"en": "app crash update login", "fa": "اپلیکیشن خطا آپدیت ورود"}),
    "price": ({"en": "price expensive discount cost", "fa": "قیمت گران تخفیف هزینه"}),
}


def synthetic(n_per_topic_lang: int, seed: int = 0, dim: int = 64,
              language_strength: float = 2.0) -> tuple[np.ndarray, list[str], list[str],
                                                        list[str]]:
    """Embeddings where the language direction is stronger than the topic direction (as
    in multilingual encoders), with one theme document per segment."""
    rng = np.random.default_rng(seed)
    topic_dirs = {t: rng.normal(size=dim) for t in TOPICS}
    lang_dirs = {"fa": rng.normal(size=dim), "en": rng.normal(size=dim)}
    vectors, langs, docs, truth = [], [], [], []
    for topic, words in TOPICS.items():
        for lang in ("fa", "en"):
            for i in range(n_per_topic_lang):
                vectors.append(topic_dirs[topic] + language_strength * lang_dirs[lang]
                               + 0.35 * rng.normal(size=dim))
                vocabulary = words[lang].split()
                docs.append(" ".join(vocabulary[(i + k) % len(vocabulary)] for k in range(3)))
                langs.append(lang)
                truth.append(topic)
    matrix = np.asarray(vectors, dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix, langs, docs, truth


def purity(labels: np.ndarray, truth: list[str]) -> float:
    total = 0
    for label in set(labels.tolist()) - {OUTLIER}:
        members = [truth[i] for i in np.flatnonzero(labels == label)]
        total += max(members.count(t) for t in set(members))
    return total / len(truth)


def test_language_centering_removes_the_language_direction() -> None:
    vectors, langs, _, truth = synthetic(10)
    fa_delivery, en_delivery, fa_refund = 0, 10, 20
    assert truth[fa_delivery] == truth[en_delivery] == "delivery"
    assert truth[fa_refund] == "refund" and langs[fa_refund] == "fa"
    # Raw: same language beats same topic, as with multilingual encoders.
    assert vectors[fa_delivery] @ vectors[fa_refund] > vectors[fa_delivery] @ vectors[en_delivery]
    centred = center_languages(vectors, langs)
    assert centred[fa_delivery] @ centred[en_delivery] > centred[fa_delivery] @ centred[fa_refund]
    assert np.allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-5)


def test_small_input_falls_back_to_ward_and_themes_mix_languages() -> None:
    vectors, langs, docs, truth = synthetic(6)  # 48 segments
    fit = ThemeModel().fit(vectors, langs, docs)
    assert fit.method_ == "ward"
    assert (fit.labels_ != OUTLIER).all()
    assert 2 <= len(fit.themes_) <= 12
    assert purity(fit.labels_, truth) >= 0.9
    for theme_id in fit.themes_:
        member_langs = {langs[i] for i in np.flatnonzero(fit.labels_ == theme_id)}
        assert member_langs == {"fa", "en"}


@pytest.mark.slow  # fits BERTopic (UMAP + HDBSCAN) twice: ~40 s on 2 cores
def test_bertopic_path_is_deterministic_and_bilingual() -> None:
    vectors, langs, docs, truth = synthetic(50, dim=48)  # 400 segments
    settings = ThemeSettings(cluster=ClusterSettings(small_input=300))
    first = ThemeModel(settings).fit(vectors, langs, docs)
    second = ThemeModel(settings).fit(vectors, langs, docs)
    assert first.method_ == "bertopic"
    assert np.array_equal(first.labels_, second.labels_)
    assert purity(first.labels_, truth) >= 0.9
    assert (first.labels_ == OUTLIER).mean() <= 0.15
    mixed = [t for t in first.themes_
             if {langs[i] for i in np.flatnonzero(first.labels_ == t)} == {"fa", "en"}]
    assert len(mixed) == len(first.themes_)


def _two_language_topics() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Already language-centred vectors where the language still outweighs the topic (as
    on real encoder output): every segment's nearest neighbours are its own language's."""
    rng = np.random.default_rng(3)
    axes = np.eye(16)
    topics = {"price": axes[0], "delivery": axes[1]}
    langs = {"en": 3 * axes[2], "fa": 3 * axes[3]}
    vectors, groups, truth = [], [], []
    for topic, topic_dir in topics.items():
        for lang, lang_dir in langs.items():
            for _ in range(10):
                vectors.append(topic_dir + lang_dir + 0.1 * rng.normal(size=16))
                groups.append(lang)
                truth.append(topic)
    return np.asarray(vectors, dtype=np.float32), np.asarray(groups), truth


def test_exact_knn_gives_every_segment_neighbours_in_the_other_language() -> None:
    from voc.themes.cluster import cosine_knn

    vectors, groups, truth = _two_language_topics()
    plain, _ = cosine_knn(vectors, 5)
    assert all((groups[row] == groups[row[0]]).all() for row in plain)  # none across
    indices, distances = cosine_knn(vectors, 5, groups, cross=3)
    assert indices.shape == distances.shape == (len(vectors), 8)
    for i, row in enumerate(indices):
        assert row[0] == i and len(set(row.tolist())) == 8
        assert set(plain[i].tolist()) <= set(row.tolist())  # the ordinary ones stay
        across = [j for j in row if groups[j] != groups[i]]
        assert len(across) == 3
        # ...and they are the nearest of the other language: the same topic.
        assert all(truth[j] == truth[i] for j in across)
    assert (np.diff(distances, axis=1) >= 0).all()  # distance order, as UMAP expects


def test_exact_knn_is_unchanged_in_a_run_of_one_language() -> None:
    from voc.themes.cluster import cosine_knn, cross_language_width

    vectors, _, _ = _two_language_topics()
    one = np.asarray(["en"] * len(vectors))
    plain = cosine_knn(vectors, 5)
    for same in (cosine_knn(vectors, 5, one, cross=4),
                 cosine_knn(vectors, 5, None, cross=4)):
        assert np.array_equal(plain[0], same[0]) and np.array_equal(plain[1], same[1])
    # A language with fewer segments outside it than asked caps the number.
    assert cross_language_width(["en"] * 38 + ["fa"] * 2, 4) == 2
    assert cross_language_width(["en"] * 40, 4) == 0


class _StopUmap(Exception):
    pass


def _umap_arguments(monkeypatch: pytest.MonkeyPatch, vectors: np.ndarray,
                    strata: list[str], settings: ClusterSettings) -> dict[str, object]:
    """The arguments bertopic_clusters gives UMAP (stopped there: no fit)."""
    from voc.themes import cluster as cluster_module

    seen: dict[str, object] = {}

    def recording_umap(**kwargs: object) -> object:
        seen.update(kwargs)
        raise _StopUmap

    monkeypatch.setattr(cluster_module, "umap_class", lambda: recording_umap)
    with pytest.raises(_StopUmap):
        cluster_module.bertopic_clusters(vectors, ["x"] * len(vectors), settings, strata)
    return seen


def test_umap_gets_the_cross_language_neighbours_and_a_monolingual_run_is_unchanged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, groups, _ = _two_language_topics()
    on = ClusterSettings(umap_neighbors=6, cross_lingual_neighbors=4)
    off = ClusterSettings(umap_neighbors=6, cross_lingual_neighbors=0)
    bilingual = _umap_arguments(monkeypatch, vectors, groups.tolist(), on)
    knn = bilingual["precomputed_knn"]
    assert bilingual["n_neighbors"] == 10 and knn[0].shape == (len(vectors), 10)
    assert all((groups[row] != groups[i]).sum() >= 4 for i, row in enumerate(knn[0]))
    # One language: the setting changes nothing UMAP sees.
    english = ["en"] * len(vectors)
    with_setting = _umap_arguments(monkeypatch, vectors, english, on)
    without = _umap_arguments(monkeypatch, vectors, english, off)
    assert with_setting["n_neighbors"] == without["n_neighbors"] == 6
    assert all(np.array_equal(a, b) for a, b in zip(with_setting["precomputed_knn"][:2],
                                                     without["precomputed_knn"][:2],
                                                     strict=True))


def test_neighbours_are_exact_by_brute_force_with_ties_to_the_lower_index() -> None:
    """Duplicate texts tie exactly: the lower index is kept and listed first (a stable
    sort), a row itself comes first, and the result is the brute-force one."""
    from voc.themes.cluster import cosine_knn

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(300, 12)).astype(np.float32)
    vectors[150:] = vectors[rng.integers(0, 150, 150)]  # every other text twice or more
    vectors[40:80] = vectors[7]  # a run of 41 equal texts: longer than top-k's spare
    indices, distances = cosine_knn(vectors, 6)
    unit = vectors.astype(np.float64) / np.linalg.norm(vectors, axis=1)[:, None]
    similar = np.minimum((unit @ unit.T).astype(np.float32), 1.0)
    np.fill_diagonal(similar, 2.0)
    expected = np.argsort(-similar, axis=1, kind="stable")[:, :6]
    assert np.array_equal(indices, expected)
    assert (indices[:, 0] == np.arange(300)).all() and (distances[:, 0] == 0).all()
    assert indices[40].tolist() == [40, 7, *range(41, 45)]


def test_large_inputs_get_exact_neighbours_and_umap_never_searches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Above EXACT_KNN_LIMIT the similarities are float32: the same neighbours as the
    float64 path. UMAP gets them in every run, of one language too, so its NN-descent
    (18 s of numba compiling per process) never runs."""
    from voc.themes import cluster as cluster_module
    from voc.themes.cluster import cosine_knn

    vectors, groups, _ = _two_language_topics()
    small = cosine_knn(vectors, 5, groups, cross=3)
    monkeypatch.setattr(cluster_module, "EXACT_KNN_LIMIT", 10)
    large = cosine_knn(vectors, 5, groups, cross=3)
    assert np.array_equal(small[0], large[0])
    assert np.allclose(small[1], large[1], atol=1e-6)
    on = ClusterSettings(umap_neighbors=6, cross_lingual_neighbors=4)
    bilingual = _umap_arguments(monkeypatch, vectors, groups.tolist(), on)
    assert bilingual["n_neighbors"] == 10
    assert all((groups[row] != groups[i]).sum() >= 4
               for i, row in enumerate(bilingual["precomputed_knn"][0]))
    english = _umap_arguments(monkeypatch, vectors, ["en"] * len(vectors), on)
    assert english["n_neighbors"] == 6 and english["precomputed_knn"][0].shape[1] == 6


def test_cross_lingual_neighbors_setting_reaches_the_clustering() -> None:
    from voc.pipeline.config import DEFAULT_CONFIG
    from voc.pipeline.settings import validate_config
    from voc.themes.component import settings_from_config

    assert DEFAULT_CONFIG["themes"]["cross_lingual_neighbors"] == 8
    assert ClusterSettings().cross_lingual_neighbors == \
        ThemesSettings().cross_lingual_neighbors == 8
    themes = ThemesSettings(**validate_config(
        {"themes": {"cross_lingual_neighbors": 0}})["themes"])
    assert settings_from_config(themes).cluster.cross_lingual_neighbors == 0
    with pytest.raises(ConfigError, match=r"themes\.cross_lingual_neighbors"):
        validate_config({"themes": {"cross_lingual_neighbors": -1}})


def test_shipped_cross_lingual_settings_are_the_ones_the_bench_chose() -> None:
    """themes.cross_lingual_neighbors and the merge threshold are what
    `bench/theme_names_eval.py --choose` chose on its products set."""
    from voc.pipeline.settings import ThemesSettings

    results = json.loads((Path(__file__).resolve().parents[1] / "bench" / "results"
                          / "cross_lingual_choice.json").read_text(encoding="utf-8"))
    assert results["chosen"] == {
        "cross_lingual_neighbors": ThemesSettings().cross_lingual_neighbors,
        "cross_lingual_merge": ThemeSettings().cross_lingual_merge}


def test_max_themes_merges_the_closest_themes() -> None:
    vectors, langs, docs, truth = synthetic(6)
    fit = ThemeModel(ThemeSettings(max_themes=2)).fit(vectors, langs, docs)
    assert len(fit.themes_) == 2
    # Whole topics are merged, never split between the two themes.
    for topic in TOPICS:
        assert len({int(fit.labels_[i]) for i, t in enumerate(truth) if t == topic}) == 1


def test_keywords_per_language(tokenizer: ThemeTokenizer) -> None:
    vectors, langs, docs, _ = synthetic(6)
    fit = ThemeModel().fit(vectors, langs, docs)
    ids = sorted(fit.themes_)
    words = keywords_by_language(docs, np.asarray(langs, dtype=object), fit.labels_, ids,
                                 tokenizer)
    delivery = fit.labels_[0]
    english, persian = " ".join(words["en"][delivery]), " ".join(words["fa"][delivery])
    assert "courier" in english and "late" in english
    assert "پیک" in persian and "ارسال" in persian
    assert not any(w in english for w in ("refund", "crash", "price", "پیک"))
    assert "courier" not in persian


def test_bertopic_describes_its_topics_with_the_segments_own_words(
        tokenizer: ThemeTokenizer) -> None:
    """BERTopic computes topic words in every fit: it gets each segment's content words
    (no stand-in tokens), which every segment it clusters has, and a c-TF-IDF that takes
    a vocabulary of one word (BERTopic's own fails on one: its issue 2034)."""
    from voc.themes.ctfidf import topic_word_models
    from voc.themes.model import without_content

    models = topic_word_models()
    analyzer = models["vectorizer_model"].build_analyzer()
    docs = ["The courier was late", "پیک دیر رسید", "سلام وقت بخیر.", "Nothing, keep it up!",
            "order 12 👍"]
    words = [analyzer(doc) for doc in docs]
    assert words[0] == ["courier", "late"] and "پیک" in words[1] and words[4] == ["order"]
    # A segment without words is never clustered (without_content): the same test.
    assert [not w for w in words] == without_content(docs, tokenizer).tolist()
    counts = models["vectorizer_model"].fit_transform(["order 1", "order 2 order", "ok"])
    weights = models["ctfidf_model"].fit(counts).transform(counts)
    assert counts.shape[1] == 1 and weights.toarray().tolist() == [[1.0], [1.0], [0.0]]


def test_keywords_survive_a_one_word_vocabulary(tokenizer: ThemeTokenizer) -> None:
    langs = np.asarray(["en"] * 4, dtype=object)
    words = keywords_by_language(["refund 12", "refund!", "😡", "123"], langs,
                                 np.array([0, 0, 1, 1]), [0, 1], tokenizer)
    assert words["en"] == {0: ["refund"], 1: []}


def test_segments_without_content_stay_unthemed_in_a_fit_and_an_assignment() -> None:
    vectors, langs, docs, _ = synthetic(20, dim=48)
    courtesy = ["سلام وقت بخیر.", "با تشکر، [NAME]", "Hello there.", "Nothing, keep it up!",
                "12345 👍"]
    # Each courtesy sits on a real theme's vector: only its words keep it out.
    docs = list(docs)
    for k, text in enumerate(courtesy):
        docs[k] = text
    fit = ThemeModel().fit(vectors, langs, docs)
    assert (fit.labels_[: len(courtesy)] == OUTLIER).all()
    assert (fit.labels_[len(courtesy):] != OUTLIER).mean() > 0.8
    again = fit.assign(vectors, langs, [d + " " for d in docs])
    assert (again[: len(courtesy)] == OUTLIER).all()


def test_stratified_sample_keeps_every_stratum() -> None:
    strata = ["fa"] * 900 + ["en"] * 90 + ["mixed"] * 10
    sample = stratified_sample(strata, 100, seed=1)
    chosen = [strata[i] for i in sample]
    assert chosen.count("fa") == 90 and chosen.count("en") == 9 and chosen.count("mixed") == 1
    assert np.array_equal(sample, np.sort(sample))
    assert np.array_equal(sample, stratified_sample(strata, 100, seed=1))


def test_large_inputs_are_fitted_on_a_sample_and_the_rest_assigned() -> None:
    vectors, langs, _, truth = synthetic(50, dim=48)
    # Feedback of one word besides numbers and emoji must not break BERTopic.
    docs = [f"order {i} 👍" for i in range(len(truth))]
    settings = ThemeSettings(cluster=ClusterSettings(small_input=100, max_fit=320))
    fit = ThemeModel(settings).fit(vectors, langs, docs)
    assert fit.method_ == "bertopic-sampled"
    assert purity(fit.labels_, truth) >= 0.9


def test_segments_outside_the_fitted_sample_are_unthemed_no_more_than_allowed() -> None:
    """Above max_fit the rest of the segments are assigned to the sample's themes under a
    threshold of their own: the sample's (set for HDBSCAN's few outliers) once left a
    quarter of a vaguer rest unthemed."""
    vectors, langs, _, _ = synthetic(50, dim=48)
    rng = np.random.default_rng(3)
    vague = vectors + 2.0 * rng.normal(size=vectors.shape).astype(np.float32) / np.sqrt(48)
    vague /= np.linalg.norm(vague, axis=1, keepdims=True)
    both = np.vstack([vectors, vague])
    settings = ThemeSettings(cluster=ClusterSettings(small_input=100, max_fit=320))
    fit = ThemeModel(settings).fit(both, langs + langs,
                                   [f"order {i} 👍" for i in range(len(both))])
    assert fit.method_ == "bertopic-sampled"
    assert (fit.labels_ == OUTLIER).mean() <= settings.cluster.max_outlier_share


# --------------------------------------------------------------------------- seeds


def test_seeded_theme_collects_its_segments_in_both_languages() -> None:
    vectors, langs, docs, truth = synthetic(6)
    seeds = parse_seeds([{"name": "delivery", "label": {"en": "Delivery", "fa": "ارسال"},
                          "keywords": {"en": ["courier"], "fa": ["پیک"]}}], "test")
    fit = ThemeModel(seeds=seeds).fit(vectors, langs, docs)
    seeded = [t for t in fit.themes_.values() if t.key == "seed:delivery"]
    assert len(seeded) == 1 and seeded[0].origin == "seeded"
    members = np.flatnonzero(fit.labels_ == seeded[0].theme_id)
    # Zero-shot: segments without the keyword join by similarity, in both languages.
    assert {truth[i] for i in members} == {"delivery"}
    assert len(members) == truth.count("delivery")
    assert any("courier" not in docs[i] and "پیک" not in docs[i] for i in members)


def test_seed_examples_are_encoded_when_no_keyword_matches() -> None:
    rng = np.random.default_rng(0)
    vectors, langs, docs, truth = synthetic(6, dim=64)
    # A stand-in encoder: an example text "about" a topic lands near that topic's segments.
    topic_of = {"my parcel never came": "delivery", "بسته‌ام نرسید": "delivery"}

    def encode(texts: list[str]) -> np.ndarray:
        rows = [vectors[truth.index(topic_of[t]) + (0 if "بسته" in t else 6)]
                + 0.05 * rng.normal(size=vectors.shape[1]) for t in texts]
        return np.asarray(rows, dtype=np.float32)

    seeds = parse_seeds([{"name": "delivery", "examples": list(topic_of)}], "test")
    without = ThemeModel(seeds=seeds).fit(vectors, langs, docs)
    assert not any(t.key == "seed:delivery" for t in without.themes_.values())
    fit = ThemeModel(seeds=seeds, encode=encode).fit(vectors, langs, docs)
    seeded = next(t for t in fit.themes_.values() if t.key == "seed:delivery")
    members = np.flatnonzero(fit.labels_ == seeded.theme_id)
    assert {truth[i] for i in members} == {"delivery"}
    assert {langs[i] for i in members} == {"fa", "en"}


def test_seed_config_errors_say_what_to_fix() -> None:
    with pytest.raises(ConfigError, match="needs 'keywords' or 'examples'"):
        parse_seeds([{"name": "x"}], "cfg")
    with pytest.raises(ConfigError, match="used twice"):
        parse_seeds([{"name": "x", "keywords": ["a"]}, {"name": "x", "keywords": ["b"]}],
                    "cfg")
    with pytest.raises(ConfigError, match=r"unknown key 'seeds\.0\.keyword'"):
        parse_seeds([{"name": "x", "keyword": ["a"]}], "cfg")


def test_seeds_in_the_config_reach_the_component_as_written() -> None:
    """Seeds are checked when the config loads and kept as plain data (run.json); the
    themes stage gets the same seeds as from the raw list."""
    from voc.pipeline.base import create_component
    from voc.pipeline.settings import validate_config

    raw = [{"name": "late", "label": {"en": "Late"}, "keywords": {"en": ["late"], "fa": ["دیر"]},
            "examples": "my order came late"}]
    config = validate_config({"themes": {"seeds": raw}})
    assert json.loads(json.dumps(config["themes"]["seeds"])) == config["themes"]["seeds"]
    component = create_component("themes", config["themes"])
    assert component.seeds == parse_seeds(raw, "test")
    assert component.seeds[0].keywords == ("دیر", "late")


# --------------------------------------------------------------------------- curation


def _ids_by_topic(fit: ThemeModel, truth: list[str]) -> dict[str, int]:
    return {topic: int(fit.labels_[truth.index(topic)]) for topic in TOPICS}


def test_curation_merges_renames_splits_and_pins() -> None:
    vectors, langs, docs, truth = synthetic(6)
    base = ThemeModel().fit(vectors, langs, docs)
    ids = _ids_by_topic(base, truth)
    curation = parse_curation({
        "merge": [[ids["delivery"], ids["refund"]]],
        "rename": {ids["app"]: {"en": "App problems", "fa": "مشکلات اپ"}},
        "split": [{"theme": ids["price"],
                   "into": [{"name": "discounts", "keywords": ["discount", "تخفیف"]}]}],
        "pin": [ids["app"]],
    })
    fit = ThemeModel(curation=curation).fit(vectors, langs, docs)
    merged = fit.labels_[truth.index("delivery")]
    assert merged == ids["delivery"]
    assert (fit.labels_[[i for i, t in enumerate(truth) if t == "refund"]] == merged).all()
    assert ids["refund"] not in fit.themes_ and fit.aliases_[ids["refund"]] == merged
    app = fit.themes_[ids["app"]]
    assert app.label.en == "App problems" and app.pinned and app.origin == "curated"
    split = [t for t in fit.themes_.values() if t.key == "split:discounts"]
    assert len(split) == 1
    split_members = np.flatnonzero(fit.labels_ == split[0].theme_id)
    assert all("discount" in docs[i] or "تخفیف" in docs[i] for i in split_members)
    assert (fit.labels_ == ids["price"]).any()  # the rest of the price theme stays


def test_curation_file_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match="unknown key 'renam'"):
        parse_curation({"renam": {}})
    with pytest.raises(ConfigError, match="at least two theme ids"):
        parse_curation({"merge": [[3]]})
    with pytest.raises(ConfigError, match="theme id"):
        parse_curation({"pin": ["late"]})
    with pytest.raises(ConfigError, match="'theme'"):
        parse_curation({"split": [{"into": []}]})


def test_curation_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    from voc.themes.curation import load_curation

    path = tmp_path / "themes.yaml"
    path.write_text("rename:\n  3: Late delivery\nmerge:\n  - [4, 7]\n  - [5]\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"themes curation file .*themes\.yaml, line 5: "
                                          r"merge\.1: must list at least two theme ids"):
        load_curation(path)
    path.write_text("split:\n  - theme: 5\n    into:\n      - name: card_declined\n"
                    "        keywords: [declined]\n        labels: Card declined\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 6: unknown key 'split\.0\.into\.0\.labels'; "
                                          "known keys here: name, label, keywords, examples"):
        load_curation(path)
    path.write_text("pin: [3, late]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 1: pin\.1: must be a theme id"):
        load_curation(path)


# --------------------------------------------------------------------------- stable ids


def _save_state(fit: ThemeModel, tmp_path: Path) -> Path:
    from voc.themes.curation import Label

    tensors, document = fit.state_files({i: Label(f"t{i}") for i in fit.themes_})
    (tmp_path / STATE_TENSORS).write_bytes(tensors)
    (tmp_path / STATE_JSON).write_text(json.dumps(document), encoding="utf-8")
    return tmp_path


def test_ids_stay_stable_across_runs_on_overlapping_data(tmp_path: Path) -> None:
    vectors, langs, docs, truth = synthetic(6, seed=0)
    first = ThemeModel().fit(vectors, langs, docs)
    previous = ThemeModel.load(_save_state(first, tmp_path))
    # The same feedback in another order: every segment keeps its theme id.
    order = np.random.default_rng(3).permutation(len(truth))
    again = ThemeModel().fit(vectors[order], [langs[i] for i in order],
                             [docs[i] for i in order], previous=previous)
    assert np.array_equal(again.labels_, first.labels_[order])
    # A later run over part of it: each theme takes an id the first run gave its topic.
    part = order[:40]
    later = ThemeModel().fit(vectors[part], [langs[i] for i in part],
                             [docs[i] for i in part], previous=previous)
    for row, index in enumerate(part):
        same_topic = {int(first.labels_[i]) for i, t in enumerate(truth) if t == truth[index]}
        assert int(later.labels_[row]) in same_topic
    assert later.next_id_ == previous.next_id_  # nothing new was discovered
    # Without the previous state, ids follow this run's own sizes instead.
    fresh = ThemeModel().fit(vectors[order], [langs[i] for i in order], [docs[i] for i in order])
    assert sorted(fresh.themes_) == list(range(len(fresh.themes_)))


def test_pinned_theme_is_kept_as_a_seed_in_the_next_run(tmp_path: Path) -> None:
    vectors, langs, docs, truth = synthetic(6)
    base = ThemeModel().fit(vectors, langs, docs)
    app = _ids_by_topic(base, truth)["app"]
    pinned = ThemeModel(curation=parse_curation({"pin": [app]})).fit(vectors, langs, docs)
    previous = ThemeModel.load(_save_state(pinned, tmp_path))
    assert previous.themes_[app].pinned
    again = ThemeModel().fit(vectors, langs, docs, previous=previous)
    assert again.themes_[app].origin == "curated"
    app_members = np.flatnonzero(again.labels_ == app)
    assert {truth[i] for i in app_members} == {"app"}


def test_missing_previous_state_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no saved themes"):
        ThemeModel.load(tmp_path)


# --------------------------------------------------------------------------- sample run


def test_sample_run_writes_themes_per_contract(sample_run_dir: Path) -> None:
    themes = pq.read_table(sample_run_dir / "themes.parquet")
    assert themes.schema.names[: len(THEMES_SCHEMA.names)] == THEMES_SCHEMA.names
    rows = themes.to_pylist()
    assert 5 <= len(rows) <= 60
    segments = pq.read_table(sample_run_dir / "segments.parquet").to_pylist()
    records = pq.read_table(sample_run_dir / "records.parquet").to_pylist()
    document = json.loads((sample_run_dir / "themes.json").read_text(encoding="utf-8"))
    # At most max_outlier_share of the segments with something to be about stay unthemed;
    # greetings and sign-offs (no_content) are never themed.
    unthemed, no_content = document["unthemed"], document["no_content"]
    assert 0 < no_content < unthemed
    assert (unthemed - no_content) / (document["segments"] - no_content) <= 0.15
    manifest = json.loads((sample_run_dir / "run.json").read_text(encoding="utf-8"))
    assert manifest["themes"]["themes"]["unthemed_share"] == document["unthemed_share"]
    assert [t["theme_id"] for t in document["themes"]] == [r["theme_id"] for r in rows]
    ids = {r["theme_id"] for r in rows}
    assert {s["theme_id"] for s in segments} - {None} == ids
    sizes = {r["theme_id"]: r["size"] for r in rows}
    for theme_id, size in sizes.items():
        assert sum(s["theme_id"] == theme_id for s in segments) == size
    for record in records:
        own = {s["theme_id"] for s in segments if s["row_id"] == record["row_id"]} - {None}
        assert record["themes"] == sorted(own)
    bilingual = [r for r in rows if r["size_fa"] and r["size_en"]]
    assert len(bilingual) >= len(rows) // 2
    for row in rows:
        assert row["label"] and 3 <= len(row["examples"]) <= 5
        assert sum(row["sentiment_mix"].values()) == pytest.approx(1.0, abs=1e-3)
        for word in row["keywords_fa"] + row["keywords_en"]:
            assert len(word.split()) <= 2 and not any(c.isdigit() for c in word)
            assert "[" not in word
        assert not any("@" in example for example in row["examples"])  # redacted quotes
    assert (sample_run_dir / STATE_TENSORS).is_file()
    assert ThemeModel.load(sample_run_dir).theme_ids_ == sorted(ids)
    # The what-hurts view: pain-point segments only, no theme swallowing most of them.
    pain_rows = pq.read_table(sample_run_dir / "pain_themes.parquet").to_pylist()
    assert len(pain_rows) >= 5 and max(r["share"] for r in pain_rows) <= 0.4
    pain_members = {s["segment_id"] for s in segments if s["pain_theme_id"] is not None}
    assert pain_members <= {s["segment_id"] for s in segments if s["is_pain_point"]}


def test_voc_themes_prints_the_table_and_writes_a_curation_file(
        sample_run_dir: Path, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    rows = pq.read_table(sample_run_dir / "themes.parquet").to_pylist()
    template = tmp_path / "themes.yaml"
    result = run_cli("themes", sample_run_dir, "--limit", "3", "--write-curation", template)
    assert result.code == 0, result.stderr
    assert rows[0]["label"][:10] in result.stdout
    assert "unthemed" in result.stdout
    # The sample's greetings and sign-offs are unthemed and said to be (no_content).
    assert "with nothing to theme" in " ".join(result.stdout.split())
    # The template parses as an (empty) curation and lists every theme id.
    assert parse_curation(yaml.safe_load(template.read_text(encoding="utf-8"))).rename == {}
    text = template.read_text(encoding="utf-8")
    assert all(f"# {row['theme_id']}: " in text for row in rows)
    missing = run_cli("themes", tmp_path)
    assert missing.code == 2 and "themes.parquet" in missing.stderr
    if (sample_run_dir / "pain_themes.parquet").is_file():
        pain = run_cli("themes", sample_run_dir, "--pain", "--examples")
        assert pain.code == 0 and "pain-point segments" in pain.stdout


def test_component_adds_both_views_and_state_to_the_run() -> None:
    from voc.pipeline.base import RunState
    from voc.themes.component import ThemesComponent

    vectors, langs, docs, truth = synthetic(6)
    segments = [{"row_id": i // 2, "segment_id": f"{i // 2}-{i % 2}", "text": doc,
                 "lang": lang, "sentiment": "negative" if topic != "price" else "positive",
                 "sentiment_score": -0.5, "emotion": "anger",
                 "is_pain_point": topic != "price", "journey_stage": "delivery"}
                for i, (doc, lang, topic) in enumerate(zip(docs, langs, truth, strict=True))]
    # Two answer rows per respondent (one survey row, two questions).
    records = [{"row_id": r, "date": f"2026-0{1 + r % 5}-01", "source": "s.csv",
                "source_row": r // 2} for r in range(len(segments) // 2)]
    tables = ThemesComponent(ThemesSettings(random_state=7))(
        RunState(records=records, segments=segments, embeddings=vectors))
    # Each view's rows carry their trend over the run's periods (THEMES_SCHEMA trend_*).
    for view in ("themes", "pain_themes"):
        for row in tables.outputs[view].rows:
            assert row["trend_periods"] == ["2026-01", "2026-02", "2026-03", "2026-04",
                                            "2026-05"]
            assert row["trend_direction"] in ("rising", "falling", "stable")
    for row in tables.outputs["themes"].rows:
        rows = {s["row_id"] for s in segments if s["theme_id"] == row["theme_id"]}
        assert (row["records"], row["respondents"]) == (len(rows), len({r // 2 for r in rows}))
        # The theme's pain points in the figures the report shows (it counts none itself).
        pains = {s["row_id"] for s in segments
                 if s["theme_id"] == row["theme_id"] and s["is_pain_point"]}
        assert row["pain_respondents"] == len({r // 2 for r in pains})
        assert row["mean_severity"] == (0.0 if pains else None)
    assert all(s["theme_id"] is not None and s["theme_label"] for s in segments)
    assert records[0]["themes"] == sorted({segments[0]["theme_id"], segments[1]["theme_id"]})
    pain_ids = {s["pain_theme_id"] for s in segments if s["is_pain_point"]}
    assert None not in pain_ids
    assert all(s["pain_theme_id"] is None for s in segments if not s["is_pain_point"])
    pain_rows = tables.outputs["pain_themes"].rows
    assert {r["theme_id"] for r in pain_rows} == pain_ids
    assert sum(r["share"] for r in pain_rows) == pytest.approx(1.0, abs=1e-3)
    assert all(r["pain_points"] == r["size"] and r["stages"] == ["delivery"]
               for r in pain_rows)
    assert set(tables.files) == {"themes_model.safetensors", "pain_themes_model.safetensors"}
    assert tables.stats.themes["themes"]["unthemed_share"] == 0.0


def test_theme_trend_tests_the_latest_period_against_the_earlier_ones() -> None:
    from voc.themes.describe import theme_trends

    # 20 analysed answers a month over 4 months (117 days: months); theme 1 is in 2 a
    # month, then in 10 in April.
    records = [{"row_id": m * 20 + k, "date": f"2026-0{m + 1}-{1 + k:02d}", "status": "ok"}
               for m in range(4) for k in range(20)]
    records.append({"row_id": 999, "date": "2026-04-28", "status": "empty"})
    members = {1: [r for m in range(3) for r in range(m * 20, m * 20 + 2)]
               + list(range(60, 70)),
               2: [0, 20, 40, 60]}
    trends = theme_trends(members, records)
    rising = trends[1]
    assert rising["trend_periods"] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    # The unanalysed answer is in no denominator: 10 of 20 in April, not 10 of 21.
    assert rising["trend_share"] == [0.1, 0.1, 0.1, 0.5]
    assert rising["trend_change"] == pytest.approx(0.4)
    # Pooled 16/80 = 0.2: z = 0.4 / sqrt(0.2 * 0.8 * (1/20 + 1/60)) = 3.873
    assert rising["trend_z"] == pytest.approx(3.873, abs=1e-3)
    assert rising["trend_direction"] == "rising"
    assert trends[2]["trend_direction"] == "stable"
    undated = theme_trends({1: [0]}, [{"row_id": 0, "status": "ok"}])[1]
    assert (undated["trend_periods"], undated["trend_direction"]) == ([], "not enough data")


def test_theme_trend_shares_are_of_respondents_not_answers() -> None:
    from voc.themes.describe import theme_trends

    # Two months; each survey row (source_row) answers two questions, dated alike.
    # January: 3 respondents (6 answers), one of them with both answers in theme 1;
    # February: 2 respondents (4 answers), both in theme 1 with one answer each.
    records = [{"row_id": row_id, "source": "s.csv", "source_row": person,
                "date": month, "status": "ok"}
               for row_id, (person, month) in enumerate(
                   (p, m) for p, m in ((1, "2026-01-05"), (2, "2026-01-06"), (3, "2026-01-07"),
                                       (4, "2026-02-05"), (5, "2026-02-06"))
                   for _ in range(2))]
    trend = theme_trends({1: [0, 1, 6, 8]}, records)[1]
    # 1 of 3 customers in January (by answers 2 of 6, the same), 2 of 2 in February
    # (by answers 2 of 4: half, where every February customer mentions the theme).
    assert trend["trend_share"] == [pytest.approx(1 / 3, abs=1e-6), 1.0]
    assert trend["trend_change"] == pytest.approx(2 / 3, abs=1e-6)


def test_component_rejects_unknown_settings() -> None:
    from voc.pipeline.base import create_component

    with pytest.raises(ConfigError, match=r"unknown key 'themes\.max_fits'"):
        create_component("themes", {"max_fits": 10})


# --------------------------------------------------------------------------- labels


def _returns_and_other_theme() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Theme 0: "refund" in 8 of 10 segments (and in 4 of theme 1's, so its c-TF-IDF is
    damped); "zebra" in just 2 of theme 0's and nowhere else."""
    theme0 = [f"refund please {w}" for w in ("now", "today", "soon", "asap", "fast",
                                             "quickly", "money", "back")]
    theme0 += ["zebra striped shirt", "zebra pattern faded"]
    theme1 = [f"refund {w} checkout" for w in ("coupon", "voucher", "discount", "price")]
    theme1 += [f"checkout page {w}" for w in ("froze", "crashed", "hung", "failed",
                                              "stalled", "broke")]
    documents = theme0 + theme1
    return (documents, np.asarray(["en"] * len(documents), dtype=object),
            np.array([0] * len(theme0) + [1] * len(theme1)))


def test_label_is_the_phrase_most_of_the_theme_shares(tokenizer: ThemeTokenizer) -> None:
    from voc.themes.describe import labels_by_language, phrase_counts

    documents, langs, labels = _returns_and_other_theme()
    counts = phrase_counts(documents, langs, labels, [0, 1], tokenizer)["en"]
    score = dict(zip(counts.vocabulary.tolist(), counts.scores[0], strict=True))
    assert score["zebra"] > score["refund"]  # c-TF-IDF alone would name it "zebra"
    label = labels_by_language(documents, langs, labels, [0, 1], tokenizer)["en"][0]
    assert label.split(", ")[0] == "refund"
    keywords = keywords_by_language(documents, langs, labels, [0, 1], tokenizer)["en"][0]
    assert keywords[0] == "refund" and "zebra" in keywords


def test_label_prefers_a_phrase_nearly_as_common_as_its_word(
        tokenizer: ThemeTokenizer) -> None:
    from voc.themes.describe import labels_by_language

    late = ["late delivery again", "late delivery today", "late delivery sadly",
            "late delivery twice", "courier late", "late delivery box"]
    app = ["app crashes", "app freezes", "app slow", "login app fails", "app update broke",
           "app keeps closing"]
    documents = late + app
    langs = np.asarray(["en"] * len(documents), dtype=object)
    labels = np.array([0] * len(late) + [1] * len(app))
    found = labels_by_language(documents, langs, labels, [0, 1], tokenizer)["en"]
    assert found[0].split(", ")[0] == "late delivery"  # 5 of "late"'s 6 segments
    assert found[1].split(", ")[0] == "app"  # no phrase of "app" is that common


def test_no_label_when_no_phrase_sets_the_theme_apart(tokenizer: ThemeTokenizer) -> None:
    from voc.themes.describe import labels_by_language

    documents = ["order shipping", "order shipping", "order shipping", "order shipping",
                 "order shipping", "order shipping", "order shipping cost", "order shipping",
                 "order shipping", "order shipping", "order shipping", "order shipping"]
    langs = np.asarray(["en"] * len(documents), dtype=object)
    labels = np.array([0] * 6 + [1] * 6)
    found = labels_by_language(documents, langs, labels, [0, 1], tokenizer)
    assert 0 not in found["en"]  # theme_rows falls back to its c-TF-IDF keywords
    assert found["fa"] == {}


def test_labels_and_keywords_do_not_depend_on_segment_order(
        tokenizer: ThemeTokenizer) -> None:
    from voc.themes.describe import labels_by_language

    documents, langs, labels = _returns_and_other_theme()
    order = np.random.default_rng(3).permutation(len(documents))
    shuffled = ([documents[i] for i in order], langs[order], labels[order])
    assert (labels_by_language(documents, langs, labels, [0, 1], tokenizer)
            == labels_by_language(*shuffled, [0, 1], tokenizer))
    assert (keywords_by_language(documents, langs, labels, [0, 1], tokenizer)
            == keywords_by_language(*shuffled, [0, 1], tokenizer))


def test_a_theme_of_short_answers_still_gets_three_quotes() -> None:
    from voc.themes.describe import representative_examples

    texts = ["heyf", "khoob bood.", "vaghan bad bood", "heyf", "bad", "The delivery was late"]
    vectors = np.eye(6, dtype=np.float32)[:, :4] + 0.1
    langs = np.array(["fa", "fa", "fa", "fa", "fa", "en"])
    members = np.arange(5)  # the English text is not a member
    picked = representative_examples(vectors, vectors[:5].mean(axis=0), members, texts, langs)
    assert picked[:2] == ["khoob bood.", "vaghan bad bood"]  # long enough ones first
    assert len(picked) == 3 and len(set(picked)) == 3
    assert "The delivery was late" not in picked


def test_quotes_that_say_the_themes_name_come_first() -> None:
    from voc.themes.describe import representative_examples

    texts = ["The SMS code never came", "Got the wrong item again", "Wrong item, wrong size",
             "پیامک رمز نیامد"]
    vectors = np.array([[1.0, 0], [0.6, 0.8], [0.5, 0.87], [0.99, 0.1]], dtype=np.float32)
    langs = np.array(["en", "en", "en", "fa"])
    picked = representative_examples(vectors, np.array([1.0, 0]), np.arange(4), texts, langs,
                                     names=["Wrong item"])
    # The SMS text is most central, but the heading says "Wrong item".
    assert picked[0] == "Got the wrong item again"
    assert set(picked) == set(texts)


def test_class_tfidf_is_bertopics() -> None:
    """voc computes c-TF-IDF itself (importing BERTopic costs seconds per run): the
    scores must be those of BERTopic's ClassTfidfTransformer(reduce_frequent_words)."""
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy import sparse

    from voc.themes.describe import class_tfidf

    rng = np.random.default_rng(5)
    for themes, phrases in ((2, 3), (7, 40), (25, 300)):
        dense = rng.poisson(0.7, size=(themes, phrases))
        dense[:, dense.sum(axis=0) == 0] = 1  # every phrase occurs somewhere
        counts = sparse.csr_matrix(dense)
        expected = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(
            counts.copy()).toarray()
        np.testing.assert_allclose(class_tfidf(counts), expected, rtol=1e-12, atol=1e-15)


def test_umap_compiles_once_per_machine_not_per_process() -> None:
    """UMAP's numba functions (20 s of a 48 s themes stage) are cached on disk."""
    import importlib

    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    from voc.themes.cluster import _UMAP_MODULES, umap_class

    umap_class()
    dispatchers = [value for name in _UMAP_MODULES
                   for value in vars(importlib.import_module(name)).values()
                   if isinstance(value, Dispatcher)]
    assert len(dispatchers) > 50
    assert not [d for d in dispatchers if isinstance(d._cache, NullCache)]
