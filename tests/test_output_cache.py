"""The persistent encoder-output cache: round trips, corruption, and use by the classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voc.encoder.output_cache import OutputCache, text_key

SHAPES = [(4,), (2,)]


def _rows(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, *shape)).astype(np.float32) for shape in SHAPES]


def test_round_trip_and_partial_hits(tmp_path: Path) -> None:
    cache = OutputCache(tmp_path / "c.sqlite", SHAPES)
    keys = [text_key("query: ", t) for t in ("a", "b", "c")]
    outputs = _rows(3, 0)
    cache.put(keys[:2], [out[:2] for out in outputs])
    cache.close()
    again = OutputCache(tmp_path / "c.sqlite", SHAPES)
    found = again.get(keys)
    assert set(found) == set(keys[:2])
    for i in range(2):
        for position, out in enumerate(outputs):
            np.testing.assert_array_equal(found[keys[i]][position], out[i])


def test_prefix_is_part_of_the_key() -> None:
    assert text_key("query: ", "x") != text_key("passage: ", "x")


@pytest.mark.parametrize("damage", ["garbage", "other_shapes"])
def test_unusable_cache_is_rebuilt_not_fatal(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "c.sqlite"
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    else:
        OutputCache(path, [(3,)]).put([b"k"], [np.ones((1, 3), np.float32)])
    cache = OutputCache(path, SHAPES)
    assert cache.get([b"k"]) == {}
    cache.put([b"k"], [out[:1] for out in _rows(1, 1)])
    assert set(cache.get([b"k"])) == {b"k"}


def test_classifier_reuses_cached_outputs(model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from voc.heads.model import BranchedEncoder
    from voc.heads.predict import FeedbackClassifier
    from voc.heads.predict import default_heads_path as shipped

    if not shipped().is_file():
        pytest.skip("no shipped heads")
    model = BranchedEncoder.from_paths(model_dir, shipped())
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))

    def build() -> FeedbackClassifier:
        return FeedbackClassifier(model, tokenizer, backend="torch", cache_key="test",
                                  output_cache_dir=tmp_path)

    texts = ["ارسال خیلی دیر بود", "Great support, thanks!", "ارسال خیلی دیر بود"]
    first = build()
    reference = first.run(texts)
    assert (first.last_unique, first.last_cache_hits) == (2, 0)
    second = build()
    more = ["The app crashes at checkout", *texts]
    got = second.run(more)
    assert (second.last_unique, second.last_cache_hits) == (3, 2)
    np.testing.assert_array_equal(got.embeddings[1:], reference.embeddings)
    np.testing.assert_array_equal(got.sentiment_probs[1:], reference.sentiment_probs)
    np.testing.assert_array_equal(got.emotion_probs[1:], reference.emotion_probs)
    uncached = FeedbackClassifier(model, tokenizer, backend="torch").run(more[:1])
    np.testing.assert_allclose(got.embeddings[0], uncached.embeddings[0], atol=1e-6)
