"""Theme quality against labels, cross-lingual mixing, outliers, and fit time/memory at scale.

Sets (all embedded once per text with voc's own classifier, as `voc analyze` does):

- ``sample``: the bilingual sample feedback, records with one journey stage in the truth
  file; labels = that stage. Also measures cross-lingual mixing, and the same fit with
  the language signal left in (one language group) as the baseline.
- ``semeval``: SemEval-2014 restaurant sentences with exactly one aspect category
  (food, service, price, ambience, anecdotes/miscellaneous).
- ``bitext``: Bitext customer-support utterances (synthetic) with their 11 categories;
  a stratified 10,000 sample is also the 10k timing.
- scale: the bitext embeddings resampled with small noise to 100,000 segments, fitted in
  a fresh process so its peak RSS is the fit's own (documented as resampled: real 100k
  texts take too long to encode on this machine).

Usage::

    PYTHONPATH=. .venv/bin/python bench/themes_eval.py --out bench/results/themes_eval.json
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import machine_info  # noqa: E402
from voc.themes.cluster import OUTLIER, ClusterSettings  # noqa: E402
from voc.themes.model import ThemeModel, ThemeSettings  # noqa: E402

DATASETS = Path("/work/shared/datasets")


def embed(texts: Sequence[str]) -> np.ndarray:
    from voc.pipeline.resources import feedback_classifier

    return feedback_classifier(None, None).run(list(texts)).embeddings


def purity(labels: np.ndarray, truth: Sequence[str]) -> float:
    """Share of themed items whose theme's majority label is their own."""
    themed = labels != OUTLIER
    hits = 0
    for theme in set(labels[themed].tolist()):
        members = [truth[i] for i in np.flatnonzero(labels == theme)]
        hits += Counter(members).most_common(1)[0][1]
    return hits / max(int(themed.sum()), 1)


def cross_lingual(labels: np.ndarray, langs: Sequence[str], truth: Sequence[str],
                  minimum: int = 3) -> dict[str, Any]:
    """Bilingual themes, and whether their Persian and English members agree on the label."""
    themes = sorted(set(labels.tolist()) - {OUTLIER})
    bilingual, agree = 0, 0
    for theme in themes:
        members = np.flatnonzero(labels == theme)
        by_lang = {lang: [truth[i] for i in members if langs[i] == lang] for lang in ("fa", "en")}
        if min(len(by_lang["fa"]), len(by_lang["en"])) < minimum:
            continue
        bilingual += 1
        majority = {k: Counter(v).most_common(1)[0][0] for k, v in by_lang.items()}
        agree += majority["fa"] == majority["en"]
    return {"themes": len(themes), "bilingual_themes": bilingual,
            "bilingual_share": round(bilingual / max(len(themes), 1), 3),
            "bilingual_agreeing": agree,
            "agreeing_share_of_bilingual": round(agree / max(bilingual, 1), 3)}


def evaluate(name: str, embeddings: np.ndarray, langs: Sequence[str], texts: Sequence[str],
             truth: Sequence[str], baseline: bool = False,
             finer: Sequence[str] | None = None,
             settings: ThemeSettings | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    fit = ThemeModel(settings).fit(embeddings, langs, texts)
    seconds = time.perf_counter() - started
    themed = fit.labels_ != OUTLIER
    result: dict[str, Any] = {
        "set": name, "segments": len(texts), "labels": len(set(truth)), "method": fit.method_,
        "themes": len(fit.themes_), "outlier_share": round(float((~themed).mean()), 4),
        "purity": round(purity(fit.labels_, truth), 4),
        "ari": round(float(adjusted_rand_score(np.asarray(truth)[themed],
                                               fit.labels_[themed])), 4),
        "fit_seconds": round(seconds, 1),
    }
    if finer is not None:
        # Labels one level finer (Bitext intents within categories).
        result["finer_labels"] = len(set(finer))
        result["purity_finer"] = round(purity(fit.labels_, finer), 4)
        result["ari_finer"] = round(float(adjusted_rand_score(np.asarray(finer)[themed],
                                                              fit.labels_[themed])), 4)
    if len(set(langs)) > 1:
        result["cross_lingual"] = cross_lingual(fit.labels_, langs, truth)
        if baseline:
            # The same fit with every segment in one language group: no language removal.
            raw = ThemeModel(settings).fit(embeddings, ["all"] * len(langs), texts)
            result["without_language_centering"] = {
                "themes": len(raw.themes_),
                "purity": round(purity(raw.labels_, truth), 4),
                "cross_lingual": cross_lingual(raw.labels_, langs, truth)}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def sample_set() -> tuple[list[str], list[str], list[str]]:
    from voc.analysis import AnalyzeOptions, read_records

    records, *_ = read_records(AnalyzeOptions(inputs=[REPO / "sample_feedback"],
                                              out=Path(tempfile.gettempdir())))
    truth = {}
    for line in (REPO / "tests/data/sample_feedback_truth.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("kind") == "text" and row["lang"] in ("fa", "en") and \
                len(set(row.get("stages") or [])) == 1:
            truth[(row["file"], row["id"], row["question"])] = (row["stages"][0], row["lang"])
    texts, langs, labels = [], [], []
    for record in records:
        key = (Path(record["source"]).name, record["id"], record["question"])
        if key in truth and (record.get("text") or "").strip():
            texts.append(record["text"])
            labels.append(truth[key][0])
            langs.append(truth[key][1])
    return texts, langs, labels


def semeval_set() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    path = DATASETS / "en_semeval_absa_restaurants/semeval2014_restaurants_train.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        categories = {c["category"] for c in row["aspect_categories"]}
        if len(categories) == 1:
            texts.append(row["text"])
            labels.append(categories.pop())
    return texts, labels


def bitext_set() -> tuple[list[str], list[str], list[str]]:
    path = DATASETS / "en_bitext_customer_support/bitext_customer_support_20k.csv"
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return ([r["utterance"] for r in rows], [r["category"] for r in rows],
            [r["intent"] for r in rows])


def fit_only(path: Path) -> None:
    """Child process: fit on saved embeddings, print seconds and this process's peak RSS."""
    data = np.load(path, allow_pickle=True)  # our own file: texts are stored as objects
    embeddings, texts = data["embeddings"], [str(t) for t in data["texts"]]
    langs = ["en"] * len(texts)
    started = time.perf_counter()
    fit = ThemeModel().fit(embeddings, langs, texts)
    print(json.dumps({
        "segments": len(texts), "method": fit.method_, "themes": len(fit.themes_),
        "outlier_share": round(float((fit.labels_ == OUTLIER).mean()), 4),
        "fit_seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


def timed_fit(embeddings: np.ndarray, texts: Sequence[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fit.npz"
        np.savez(path, embeddings=embeddings, texts=np.asarray(texts, dtype=object))
        done = subprocess.run([sys.executable, __file__, "--fit-only", str(path)],
                              capture_output=True, text=True, check=True, cwd=REPO)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/themes_eval.json")
    parser.add_argument("--scale", type=int, nargs="*", default=[10_000, 100_000],
                        help="Segment counts to time (bitext embeddings, resampled).")
    parser.add_argument("--fit-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sets", nargs="*", default=["sample", "semeval", "bitext"],
                        help="Labelled sets to fit (bitext also feeds --scale).")
    parser.add_argument("--cross-lingual-neighbors", type=int, default=None,
                        help="themes.cross_lingual_neighbors (default: the config's).")
    parser.add_argument("--cross-lingual-merge", type=float, default=None,
                        help="themes.cross_lingual_merge (default: the config's).")
    args = parser.parse_args()
    if args.fit_only:
        fit_only(args.fit_only)
        return
    settings = ThemeSettings()
    if args.cross_lingual_neighbors is not None:
        settings = replace(settings, cluster=ClusterSettings(
            cross_lingual_neighbors=args.cross_lingual_neighbors))
    if args.cross_lingual_merge is not None:
        settings = replace(settings, cross_lingual_merge=args.cross_lingual_merge)
    results: dict[str, Any] = {"machine_before": machine_info(), "sets": [], "scale": [],
                               "settings": {"cross_lingual_neighbors":
                                            settings.cluster.cross_lingual_neighbors,
                                            "cross_lingual_merge": settings.cross_lingual_merge}}
    if "sample" in args.sets:
        texts, langs, labels = sample_set()
        results["sets"].append(evaluate("sample_feedback (stage)", embed(texts), langs, texts,
                                        labels, baseline=True, settings=settings))
    if "semeval" in args.sets:
        texts, labels = semeval_set()
        results["sets"].append(evaluate("semeval2014_restaurants (aspect category)",
                                        embed(texts), ["en"] * len(texts), texts, labels,
                                        settings=settings))
    if "bitext" not in args.sets:
        results["machine_after"] = machine_info()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
        print(f"wrote {args.out}")
        return
    texts, labels, intents = bitext_set()
    bitext_embeddings = embed(texts)
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(texts), size=min(10_000, len(texts)), replace=False))
    results["sets"].append(evaluate("bitext_customer_support 10k (category; intent finer)",
                                    bitext_embeddings[pick], ["en"] * len(pick),
                                    [texts[i] for i in pick], [labels[i] for i in pick],
                                    finer=[intents[i] for i in pick], settings=settings))
    for size in args.scale:
        index = rng.choice(len(texts), size=size, replace=size > len(texts))
        noisy = bitext_embeddings[index] + rng.normal(scale=0.01, size=(size,
                                                                        bitext_embeddings.shape[1]))
        noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
        results["scale"].append({"resampled_from": "bitext 20k embeddings + N(0, 0.01) noise",
                                 **timed_fit(noisy, [texts[i] for i in index])})
    results["machine_after"] = machine_info()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
