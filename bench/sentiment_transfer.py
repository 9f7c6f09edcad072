"""Benchmark: how sentiment transfers to customer feedback from sources never trained on.

Leave-one-source-out (voc.training.transfer): for every customer source S of the default
recipe, a logistic regression on frozen e5 embeddings is trained on the other sources
(minus S's near-duplicates) and scored on S. Several recipe variants are compared: what
3-star reviews become, whether and how GoEmotions' sentence groups take part, how much
each source weighs, and the neutral decision offset. The heads named by ``--heads`` are
scored on every source too ("shipped"; on the sources they trained on that figure is
in-split, and is flagged so).

The rows are exactly those ``voc train`` uses (voc.training.train.prepare_data: near-
duplicates removed before any split): each source's training pool is the embedding
expert's sample of its training rows (``--rows-per-source``), and it is scored on its own
held-out rows. Star-rated sources are scored on 1-2 vs 4-5 stars (sign agreement, as the
issue's app-store target), sources with a neutral class on all three, complaint tweets on
negative vs rest. Lower-layer states go through ``voc train``'s per-text cache
(``--cache-dir``, outside the repository), so a ``voc train`` run afterwards, and reruns
with new variants, cost little.

Run: `.venv/bin/python bench/sentiment_transfer.py [--variants a,b]
[--out bench/results/sentiment_transfer.json]`
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# This checkout's voc, not whichever one the virtual environment installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import machine_info

from voc.heads.embedding_expert import FrozenLR
from voc.heads.labels import SENTIMENT_LABELS
from voc.training.dedup import NearDuplicates
from voc.training.evaluate import gold_for_mode, predict_labels, score
from voc.training.recipes import (
    DEFAULT_SOURCES,
    GOEMOTIONS_GROUP_TRAINING,
    DataSource,
    EvalMode,
    Recipe,
    customer_sources,
    default_data_root,
)
from voc.training.train import (
    EVAL_MAX_LENGTH,
    TASK_INDEX,
    LowerStates,
    TrainOptions,
    _expert_rows,
    _original_embeddings,
    _tokenize,
    lower_states,
    predict_probs,
    prepare_data,
)
from voc.training.transfer import row_weights, summarize

logger = logging.getLogger("sentiment_transfer")

ENGLISH_TWEETS = ("en_sanders_tweets", "en_sxsw_tweets", "en_apple_tweets")
GOEMOTIONS = "en_goemotions_group"


@dataclass(frozen=True)
class Variant:
    """One recipe choice scored by LOSO."""

    three_stars: str = "drop"  # "drop" or "neutral"
    goemotions: str = "none"  # "none", "all", "no_neutral"
    goemotions_weight: float = 1.0
    balance: float = 0.5  # source-size power (voc.training.transfer.row_weights)
    c: float = 1.0
    neutral_offset: float = 0.0


VARIANTS: dict[str, Variant] = {
    "customer_drop3": Variant(),
    "customer_3neutral": Variant(three_stars="neutral"),
    "customer_drop3_nobalance": Variant(balance=0.0),
    "goemotions_all": Variant(goemotions="all"),
    "goemotions_no_neutral": Variant(goemotions="no_neutral"),
    "goemotions_all_w0.2": Variant(goemotions="all", goemotions_weight=0.2),
}


@dataclass
class Source:
    spec: DataSource
    texts: list[str]
    labels: list[str]
    stars: bool  # labels come from star ratings: neutral rows are 3 stars
    trained_by_heads: bool


def _is_star(spec: DataSource) -> bool:
    mapping = spec.label_map if isinstance(spec.label_map, dict) else {}
    return any(key in mapping for key in ("3..3", "3"))


def bench_recipe(root: Path) -> Recipe:
    """The default recipe's sentiment sources, 3-star reviews kept as neutral so that the
    variants can drop them."""
    customer = {s.name: s for s in customer_sources(three="neutral")}
    # The default recipe only scores GoEmotions' groups; the variants may train on them.
    customer[GOEMOTIONS_GROUP_TRAINING.name] = GOEMOTIONS_GROUP_TRAINING
    specs = tuple(customer.get(s.name, s) for s in DEFAULT_SOURCES if s.task == "sentiment")
    return Recipe(name="bench", sources=specs, data_root=root)


def load_rows(recipe: Recipe, per_source: int, heads_sources: set[str], seed: int
              ) -> tuple[list[Source], list[Source]]:
    """(training pools, held-out sets) per source, exactly as ``voc train`` splits them:
    the embedding expert's sample of the training rows, and each source's held-out rows."""
    data = prepare_data(recipe, seed)
    slot = TASK_INDEX["sentiment"]
    rows = _expert_rows(data.train, per_source, seed)
    pools = []
    for number, spec in enumerate(recipe.sources):
        mine = [r for r in rows if data.train.sources[r][slot] == number]
        pools.append(Source(spec, [data.train.texts[r] for r in mine],
                            [SENTIMENT_LABELS[data.train.labels[r][slot]] for r in mine],
                            _is_star(spec), spec.name in heads_sources))
    held = {h.source.name: h for h in data.heldout}
    tests = [Source(spec, held[spec.name].texts, held[spec.name].gold, _is_star(spec),
                    spec.name in heads_sources) if spec.name in held
             else Source(spec, [], [], _is_star(spec), False) for spec in recipe.sources]
    return pools, tests


def encode(pools: list[Source], tests: list[Source], heads: Path, cache_dir: Path
           ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """e5 embeddings of every pool and test text, and the heads' sentiment probabilities
    (tuned layer mixed with n-grams, as in ``voc train``'s report) of the test texts.

    Lower-layer states go through ``voc train``'s per-text cache (``cache_dir``), with its
    tokenization (training texts cut at 128 tokens, held-out at 512), so a ``voc train
    --cache-dir`` run over the same recipe reuses them.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    from voc.encoder.cache import ensure_default_model
    from voc.heads.lexical import LexicalModel
    from voc.heads.model import base_model_sha256, load_tuned_top, read_heads_file

    options = TrainOptions()
    model_dir = ensure_default_model()
    base = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    tensors, metadata = read_heads_file(heads)
    top = load_tuned_top(base, tensors, metadata, heads)
    lexical = (LexicalModel.from_tensors(tensors, metadata.lexical)
               if metadata.lexical is not None else None)
    split = metadata.split_layer
    pool_texts = [t for s in pools for t in s.texts]
    test_texts = [t for s in tests for t in s.texts]
    ids = (_tokenize(tokenizer, pool_texts, options.max_length, options.prefix)
           + _tokenize(tokenizer, test_texts, EVAL_MAX_LENGTH, options.prefix))
    started = time.perf_counter()
    states = lower_states(base, ids, split, model_sha=base_model_sha256(model_dir),
                          cache_dir=cache_dir, batch_size=options.encode_batch_size)
    logger.info("lower states of %d texts in %.0fs", len(ids), time.perf_counter() - started)
    emb = _original_embeddings(base, states, split)
    test_states = LowerStates(states.states[len(pool_texts):])
    sentiment, emotion = predict_probs(base, top, test_states)
    if lexical is not None:
        sentiment = lexical.mix({"sentiment": sentiment, "emotion": emotion},
                                test_texts)["sentiment"]
    cut = np.cumsum([0, *[len(s.texts) for s in pools]])
    pool_emb = [emb[a:b] for a, b in itertools.pairwise(cut)]
    cut = np.cumsum([0, *[len(s.texts) for s in tests]])
    test_emb = [emb[len(pool_texts) + a : len(pool_texts) + b]
                for a, b in itertools.pairwise(cut)]
    return pool_emb, test_emb, [sentiment[a:b] for a, b in itertools.pairwise(cut)]


def _scored_rows(source: Source) -> tuple[np.ndarray, list[str], EvalMode]:
    """Rows scored and how: star sources on 1-2 vs 4-5 stars, complaints negative vs rest."""
    labels = source.labels
    if source.stars or source.spec.eval_mode == "binary":
        keep = np.array([g != "neutral" for g in labels])
        return keep, [g for g in labels if g != "neutral"], "binary"
    return np.ones(len(labels), dtype=bool), labels, source.spec.eval_mode


def score_probs(source: Source, probs: np.ndarray) -> dict[str, Any]:
    keep, gold, mode = _scored_rows(source)
    predicted, labels = predict_labels(probs[keep], SENTIMENT_LABELS, mode)
    result = score(gold_for_mode(gold, mode), predicted, labels)
    return {"mode": mode, "n": result["n"], "accuracy": round(result["accuracy"], 4),
            "macro_f1": round(result["macro_f1"], 4)}


def run_variant(variant: Variant, pools: list[Source], tests: list[Source],
                pool_emb: list[np.ndarray], test_emb: list[np.ndarray]
                ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """LOSO over every customer source under one recipe variant: scores and probabilities
    per held-out source."""
    neutral = SENTIMENT_LABELS.index("neutral")
    x = np.concatenate(pool_emb)
    y = np.array([SENTIMENT_LABELS.index(g) for s in pools for g in s.labels])
    source_ids = np.concatenate([np.full(len(s.texts), i) for i, s in enumerate(pools)])
    trainable = np.ones(len(y), dtype=bool)
    goemo = next(i for i, s in enumerate(pools) if s.spec.name == GOEMOTIONS)
    star = np.array([pools[s].stars for s in source_ids])
    if variant.three_stars == "drop":
        trainable &= ~(star & (y == neutral))
    if variant.goemotions == "none":
        trainable &= source_ids != goemo
    elif variant.goemotions == "no_neutral":
        trainable &= ~((source_ids == goemo) & (y == neutral))
    weights = row_weights(source_ids, variant.balance, {goemo: variant.goemotions_weight})
    # Groups over pool and test texts together: a test text's twin never trains.
    all_texts = [t for s in pools for t in s.texts] + [t for s in tests for t in s.texts]
    groups = NearDuplicates().groups(all_texts)
    pool_groups, test_groups = groups[: len(y)], groups[len(y):]
    test_ids = np.concatenate([np.full(len(s.texts), i) for i, s in enumerate(tests)])
    results: dict[str, Any] = {}
    probs: dict[str, np.ndarray] = {}
    for held, source in enumerate(tests):
        if not source.spec.customer or not source.texts:
            continue
        twins = np.isin(pool_groups, test_groups[test_ids == held])
        mask = trainable & (source_ids != held) & ~twins
        model = FrozenLR(c=variant.c, neutral_offset=variant.neutral_offset)
        model.fit(x[mask], y[mask], weights[mask])
        probs[source.spec.name] = model.predict_proba(test_emb[held])
        results[source.spec.name] = {**score_probs(source, probs[source.spec.name]),
                                     "train_rows": int(mask.sum())}
    return results, probs


MIX_WEIGHTS = (0.0, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0)
NEUTRAL_OFFSETS = (-1.0, -0.5, 0.0, 0.5)


def mix_sweep(tests: list[Source], shipped: list[np.ndarray], loso: dict[str, np.ndarray]
              ) -> dict[str, Any]:
    """The embedding expert's share of the sentiment mix and its neutral offset, chosen by
    transfer: the heads' probabilities mixed with the LOSO expert's, scored on the sources
    neither trained on (for the heads, those outside their recipe)."""
    from voc.heads.embedding_expert import apply_neutral_offset
    from voc.heads.lexical import mix_probs

    unseen = [(s, p) for s, p in zip(tests, shipped, strict=True)
              if s.spec.name in loso and not s.trained_by_heads]
    grid: dict[str, dict[str, float]] = {}
    for offset in NEUTRAL_OFFSETS:
        for weight in MIX_WEIGHTS:
            scores = {s.spec.name: score_probs(s, mix_probs(
                p, apply_neutral_offset(loso[s.spec.name], offset), weight))["accuracy"]
                for s, p in unseen}
            grid[f"{offset}/{weight}"] = {
                lang: round(float(np.mean([v for n, v in scores.items()
                                           if n.startswith(lang + "_")])), 4)
                for lang in ("en", "fa")}
    # One offset for both scripts (the expert has one), a share per script.
    best_offset = max(NEUTRAL_OFFSETS, key=lambda o: max(
        grid[f"{o}/{w}"]["en"] for w in MIX_WEIGHTS) + max(
        grid[f"{o}/{w}"]["fa"] for w in MIX_WEIGHTS))
    chosen = {lang: max(MIX_WEIGHTS, key=lambda w: grid[f"{best_offset}/{w}"][lang])
              for lang in ("en", "fa")}
    return {"sources": [s.spec.name for s, _ in unseen], "grid_offset/weight": grid,
            "chosen": {"neutral_offset": best_offset, "weight_latin": chosen["en"],
                       "weight_persian": chosen["fa"],
                       "accuracy": {lang: grid[f"{best_offset}/{chosen[lang]}"][lang]
                                    for lang in ("en", "fa")}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument("--heads", type=Path, default=None,
                        help="heads file scored as 'shipped' (default: the repository's)")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/voc-train-cache"),
                        help="voc train's lower-state cache (shared with 'voc train "
                        "--cache-dir')")
    parser.add_argument("--rows-per-source", type=int,
                        default=TrainOptions().embedding_rows_per_source)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--mix-variant", default="customer_drop3",
                        help="the variant whose LOSO expert the mix sweep uses")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "results"
                        / "sentiment_transfer.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    from voc.heads.model import read_heads_file
    from voc.heads.predict import default_heads_path

    heads = args.heads or default_heads_path()
    _, metadata = read_heads_file(heads)
    heads_sources = {s["name"] for s in metadata.training.get("sources", [])
                     if s.get("role") == "train"}
    recipe = bench_recipe(args.data_root or default_data_root())
    started = time.perf_counter()
    pools, tests = load_rows(recipe, args.rows_per_source, heads_sources, args.seed)
    pool_emb, test_emb, shipped = encode(pools, tests, heads, args.cache_dir)
    encode_seconds = time.perf_counter() - started

    shipped_scores = {
        s.spec.name: {**score_probs(s, p), "in_split": s.trained_by_heads}
        for s, p in zip(tests, shipped, strict=True) if s.spec.customer and s.texts
    }
    variants: dict[str, Any] = {}
    loso_probs: dict[str, dict[str, np.ndarray]] = {}
    for name in args.variants.split(","):
        t0 = time.perf_counter()
        per_source, probs = run_variant(VARIANTS[name], pools, tests, pool_emb, test_emb)
        loso_probs[name] = probs
        variants[name] = {"variant": VARIANTS[name].__dict__, "per_source": per_source,
                          **_summary(per_source, tests), "seconds":
                          round(time.perf_counter() - t0, 1)}
        logger.info("%s: %s", name, {k: v for k, v in variants[name].items()
                                    if k.startswith("mean")})
    result = {
        "benchmark": "sentiment_transfer (leave-one-source-out, frozen e5 + LR)",
        "machine": machine_info(),
        "heads": {"file": heads.name, "trained_on": sorted(heads_sources)},
        "rows": {p.spec.name: {"train_pool": len(p.texts), "scored": len(t.texts),
                               "language": p.spec.language, "role": p.spec.role,
                               "stars": p.stars}
                 for p, t in zip(pools, tests, strict=True)},
        "rows_per_source": args.rows_per_source,
        "encode_and_dedup_seconds": round(encode_seconds, 1),
        "shipped": {"per_source": shipped_scores, **_summary(shipped_scores, tests)},
        "variants": variants,
        "mix": {"variant": args.mix_variant,
                **mix_sweep(tests, shipped, loso_probs[args.mix_variant])}
        if args.mix_variant in loso_probs else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: {m: v for m, v in r.items() if m.startswith("mean")}
                      for k, r in [("shipped", result["shipped"]), *variants.items()]},
                     indent=1))
    if result["mix"] is not None:
        print(json.dumps(result["mix"]["chosen"]))
    return 0


def _summary(per_source: dict[str, Any], sources: list[Source]) -> dict[str, float]:
    names = {lang: [s.spec.name for s in sources if s.spec.customer and s.spec.language == lang]
             for lang in ("en", "fa")}
    return {
        "mean_en": round(summarize(per_source, names["en"]), 4),
        "mean_fa": round(summarize(per_source, names["fa"]), 4),
        "mean_en_tweets_3class": round(summarize(per_source, ENGLISH_TWEETS), 4),
        "mean_complaints": round(summarize(per_source, ["en_complaints_social_media"]), 4),
    }


if __name__ == "__main__":
    raise SystemExit(main())

