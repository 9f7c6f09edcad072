"""Theme names (issue #17, requirements 1 and 3): are they the theme's, do they say its
category, and do Persian and English feedback about one aspect share a theme?

Names (requirement 1), on labelled English sets fitted with `ThemeModel` and named with
`theme_rows` exactly as `voc analyze` does (the run's encoder and sentiment head):

- ``nearest_own_centre``: share of themes whose English name, encoded and language-
  centred like the segments, is closer to its own theme's centre than to any other.
- ``category_agreement``: share of themes (weighted by size) whose name, encoded, is
  closest to the name of the theme's majority gold category (SemEval: food, service,
  price, ambience, "anecdotes"; Bitext: its 11 categories, e.g. "refund") among the
  set's category names. The rule was fixed before any figure was seen; the encoder is
  the judge, so the same figure for the keyword labels (``baseline``) is the comparison.
- ``bad_names``: names that are not noun phrases by the rules of voc.themes.naming
  (counted on the baseline too): Finglish, placeholders, bare verbs.

Persian names are measured the same way on two Persian sets tagged by the keyword rules
below (SnappFood comments: price, service, food; Digikala sentences: the products set's
five aspects), each aspect judged by a Persian category name (``SNAPPFOOD_NAMES``,
``DIGIKALA_NAMES``, written before any Persian name figure was seen).

Cross-lingual (requirement 3), on a bilingual set assembled here: SemEval-2014
restaurant sentences with exactly one of the categories food, price, service, and
SnappFood (Persian food-delivery) comments tagged by the keyword rules in
``PERSIAN_ASPECTS`` (written before any result was seen; a comment matching exactly one
aspect is kept). "service" is waiting staff in English and courier/support in Persian:
the same aspect to a restaurant (how the order reached the customer). Up to 300 per
aspect and language. Rates are over all pairs: same aspect within a language, same aspect
across languages, different aspects.

A second bilingual set, ``products``, so that a cross-lingual setting is chosen on one
set and reported on the other: sentences of English Amazon electronics and kitchen
reviews (Blitzer et al.) and of Persian Digikala reviews (three of the Digikala files),
each tagged by the keyword rules in ``PRODUCT_ASPECTS`` (price, delivery and packaging,
battery and charging, sound, breaking down), written before any result on this set was
seen; a sentence of 4-40 words matching exactly one aspect is kept, up to 300 per aspect
and language. ``--choose`` sweeps the cross-lingual settings on the products set and
reports the restaurant set only with the setting chosen there
(``bench/results/cross_lingual_choice.json``), each setting at UMAP seeds 42-44.

Usage::

    PYTHONPATH=. .venv/bin/python bench/theme_names_eval.py
    PYTHONPATH=. .venv/bin/python bench/theme_names_eval.py --choose
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import machine_info  # noqa: E402
from voc.themes.cluster import OUTLIER, center_languages  # noqa: E402
from voc.themes.describe import theme_rows  # noqa: E402
from voc.themes.model import ThemeModel  # noqa: E402
from voc.themes.naming import PhraseOutputs, readable  # noqa: E402
from voc.themes.vectorizer import ThemeTokenizer  # noqa: E402

DATASETS = Path("/work/shared/datasets")
PER_ASPECT = 300
PERSIAN_ASPECTS = {
    "price": r"قیمت|گرون|گران|ارزون|ارزان|هزینه|تخفیف",
    "service": r"پیک|ارسال|تحویل|تاخیر|تأخیر|دیر رسید|زود رسید|برخورد|پشتیبانی",
    "food": r"کیفیت|طعم|خوشمزه|بدمزه|مزه|پخت|تازه نبود|سرد بود|سرد رسید",
}
SEMEVAL_ASPECTS = {"food": "food", "price": "price", "service": "service"}
# The products set's rules (English, Persian), fixed before any result on it was seen.
PRODUCT_ASPECTS = {
    "price": (r"\b(?:prices?|priced|pricey|cheap|cheaper|cheaply|expensive|overpriced|"
              r"affordable|money|bargain|costs?|costly|bucks|dollars?)\b|\$\d",
              r"قیمت|گرون|گران|ارزون|ارزان|هزینه|تخفیف|به صرفه|بصرفه|تومن|تومان"),
    "delivery": (r"\b(?:ship|shipped|shipping|shipment|deliver|delivered|delivery|arrive|"
                 r"arrived|arrival|packaging|packaged)\b",
                 r"ارسال|تحویل|بسته ?بندی|بسته\u200cبندی|دیر رسید|به دستم رسید|زود رسید"),
    "battery": (r"\b(?:battery|batteries|charge|charges|charged|charger|charging|"
                r"recharge|rechargeable)\b",
                r"باتری|شارژ"),
    "sound": (r"\b(?:sound|sounds|audio|volume|speakers?|bass|loud|louder|noise|noisy)\b",
              r"صدا|بلندگو|اسپیکر|هندزفری"),
    "breakdown": (r"\b(?:broke|broken|breaks|stopped working|quit working|died|dies|"
                  r"fell apart|cracked|lasted|durable|durability)\b",
                  r"خراب|شکست|شکسته|دوام|ترک خورد|از کار افتاد"),
}
# The set's own 11 categories. Until 2026-12 four of these names were not the set's
# ("CANCEL", "INVOICE", "REFUND", "SUBSCRIPTION" for CANCELLATION_FEE, INVOICES, REFUNDS,
# NEWSLETTER): themes of those categories could never agree, for names and keyword labels
# alike.
BITEXT_NAMES = {c: c.lower().replace("_", " ") for c in (
    "ACCOUNT", "CANCELLATION_FEE", "CONTACT", "DELIVERY", "FEEDBACK", "INVOICES", "ORDER",
    "PAYMENT", "REFUNDS", "SHIPPING", "NEWSLETTER")}
SEMEVAL_NAMES = {"food": "food", "service": "service", "price": "price",
                 "ambience": "ambience", "anecdotes/miscellaneous": "anecdotes"}
# Persian names of the keyword-tagged aspects, so Persian theme names are judged the same
# way (written 2026-12-03, before any Persian name figure was seen).
SNAPPFOOD_NAMES = {"price": "قیمت", "service": "ارسال و پیک و پشتیبانی",
                   "food": "کیفیت و طعم غذا"}
DIGIKALA_NAMES = {"price": "قیمت", "delivery": "ارسال و بسته‌بندی", "battery": "باتری و شارژ",
                  "sound": "صدا", "breakdown": "خرابی و دوام"}


def classifier() -> Any:
    from voc.pipeline.resources import feedback_classifier

    return feedback_classifier(None, None)


def embed(texts: Sequence[str]) -> np.ndarray:
    return np.asarray(classifier().run(list(texts)).embeddings, dtype=np.float32)


def phrase_model(phrases: list[str]) -> PhraseOutputs:
    predictions = classifier().run(phrases)
    negative = list(predictions.sentiment_labels).index("negative")
    return PhraseOutputs(np.asarray(predictions.embeddings),
                         np.asarray(predictions.sentiment_probs)[:, negative])


# ---------------------------------------------------------------- sets


def semeval(categories: set[str] | None = None) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    path = DATASETS / "en_semeval_absa_restaurants/semeval2014_restaurants_train.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        found = {c["category"] for c in row["aspect_categories"]}
        if len(found) == 1 and (categories is None or found <= categories):
            texts.append(row["text"])
            labels.append(found.pop())
    return texts, labels


def bitext(n: int = 3000) -> tuple[list[str], list[str]]:
    path = DATASETS / "en_bitext_customer_support/bitext_customer_support_20k.csv"
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    pick = np.random.default_rng(0).choice(len(rows), size=min(n, len(rows)), replace=False)
    return [rows[i]["utterance"] for i in sorted(pick)], [rows[i]["category"]
                                                          for i in sorted(pick)]


def snappfood() -> tuple[list[str], list[str]]:
    path = DATASETS / "fa_snappfood_sentiment/train.csv"
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    patterns = {aspect: re.compile(rule) for aspect, rule in PERSIAN_ASPECTS.items()}
    texts, labels = [], []
    for row in rows:
        text = (row.get("comment") or row.get("text") or "").strip()
        hits = [aspect for aspect, pattern in patterns.items() if pattern.search(text)]
        if len(hits) == 1:
            texts.append(text)
            labels.append(hits[0])
    return texts, labels


def sentences(text: str, lang: str) -> list[str]:
    """A review's sentences of 4-40 words."""
    parts = re.split(r"(?<=[.!?])\s+|\n+" if lang == "en" else r"[.!?؟\n]+", text)
    return [p.strip() for p in parts if 4 <= len(p.split()) <= 40]


def tag_sentences(texts: Sequence[str], lang: str) -> tuple[list[str], list[str]]:
    """Sentences matching exactly one of PRODUCT_ASPECTS' rules, with that aspect."""
    column = 0 if lang == "en" else 1
    patterns = {aspect: re.compile(rules[column], re.IGNORECASE)
                for aspect, rules in PRODUCT_ASPECTS.items()}
    found, labels, seen = [], [], set()
    for text in texts:
        if lang == "fa":
            text = text.replace("ي", "ی").replace("ك", "ک")
        for sentence in sentences(text, lang):
            hits = [aspect for aspect, pattern in patterns.items() if pattern.search(sentence)]
            if len(hits) == 1 and sentence not in seen:
                seen.add(sentence)
                found.append(sentence)
                labels.append(hits[0])
    return found, labels


def amazon_products() -> tuple[list[str], list[str]]:
    path = (DATASETS / "en_amazon_multidomain_electronics_kitchen"
            / "amazon_electronics_kitchen_reviews.csv")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return tag_sentences([row["text"] for row in csv.DictReader(stream)], "en")


def digikala_products() -> tuple[list[str], list[str]]:
    folder = DATASETS / "fa_digikala_reviews"
    texts = []
    for name, column in (("quera_digikala_train.csv", "comment"),
                         ("radeai_digikala_comments_tiny.csv", "body"),
                         ("zhpinkman_digikala_comments.csv", "Text")):
        with (folder / name).open(encoding="utf-8-sig", newline="") as stream:
            texts.extend(row[column] or "" for row in csv.DictReader(stream))
    return tag_sentences(texts, "fa")


def balanced(texts: list[str], labels: list[str], per_label: int,
             seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for label in sorted(set(labels)):
        members = [i for i, x in enumerate(labels) if x == label]
        keep.extend(rng.choice(members, size=min(per_label, len(members)), replace=False))
    keep.sort()
    return [texts[i] for i in keep], [labels[i] for i in keep]


# ---------------------------------------------------------------- measures


def fitted(texts: Sequence[str], langs: Sequence[str], **kwargs: Any
           ) -> tuple[ThemeModel, np.ndarray]:
    """The model fitted on `texts` (`kwargs`: ThemeModel's parameters), and the texts'
    embeddings."""
    embeddings = embed(texts)
    return ThemeModel(**kwargs).fit(embeddings, list(langs), list(texts)), embeddings


def segments_of(texts: Sequence[str], langs: Sequence[str], embeddings: np.ndarray
                ) -> list[dict[str, Any]]:
    predictions = classifier().run(list(texts))
    sentiment = predictions.sentiment()
    return [{"row_id": i, "text": t, "lang": lang, "sentiment": s}
            for i, (t, lang, s) in enumerate(zip(texts, langs, sentiment, strict=True))]


def name_figures(name: str, texts: list[str], truth: list[str],
                 category_names: dict[str, str], lang: str = "en") -> dict[str, Any]:
    """The figures of the module docstring for the names in `lang` of themes fitted on
    `texts` (all in `lang`)."""
    langs = [lang] * len(texts)
    fit, embeddings = fitted(texts, langs)
    segments = segments_of(texts, langs, embeddings)
    tokenizer = ThemeTokenizer()
    started = time.perf_counter()
    vectors = fit.centred(embeddings, langs)
    named = theme_rows(fit, vectors, segments, texts, tokenizer, phrase_model=phrase_model)
    seconds = time.perf_counter() - started
    keyword = theme_rows(fit, vectors, segments, texts, tokenizer)  # no encoder: keyword labels
    ids, centres = fit.theme_ids_, fit.centres_
    categories = sorted(category_names)
    category_vectors = center_languages(embed([category_names[c] for c in categories]),
                                        [lang] * len(categories), fit.language_means_)
    result: dict[str, Any] = {"set": name, "lang": lang, "segments": len(texts),
                              "themes": len(ids), "naming_seconds": round(seconds, 1)}
    for variant, rows in (("names", named), ("baseline_keyword_labels", keyword)):
        labels = {r["theme_id"]: r[f"label_{lang}"] for r in rows}
        sizes = {r["theme_id"]: r["size"] for r in rows}
        present = [i for i in ids if labels.get(i)]
        vectors = center_languages(embed([labels[i] for i in present]), [lang] * len(present),
                                   fit.language_means_)
        nearest = (vectors @ centres.T).argmax(axis=1)
        own = [ids.index(i) for i in present]
        judged = (vectors @ category_vectors.T).argmax(axis=1)
        def majority_of(theme_id: int) -> str:
            members = (truth[j] for j in np.flatnonzero(fit.labels_ == theme_id))
            return Counter(members).most_common(1)[0][0]

        agree = weight = 0
        for k, theme_id in enumerate(present):
            agree += sizes[theme_id] * (categories[judged[k]] == majority_of(theme_id))
            weight += sizes[theme_id]
        bad = [labels[i] for i in present
               if not readable(labels[i].casefold().replace(",", "").replace("،", "").split(),
                               lang, tokenizer)]
        result[variant] = {
            "named_themes": len(present),
            "nearest_own_centre": round(float(np.mean(nearest == np.array(own))), 3)
            if present else None,
            "category_agreement": round(agree / weight, 3) if weight else None,
            "not_noun_phrases": len(bad),
            "examples": [f"{labels[i]} ({majority_of(i)})"
                         for i in sorted(present, key=lambda i: -sizes[i])[:12]],
        }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def pair_rates(labels: np.ndarray, langs: Sequence[str], aspects: Sequence[str]
               ) -> dict[str, float]:
    """P(same theme) over pairs: same aspect within a language, same aspect across
    languages, different aspects. Outliers share a theme with nobody."""
    groups = sorted({(a, lang) for a, lang in zip(aspects, langs, strict=True)})
    counts = {g: Counter() for g in groups}
    for label, lang, aspect in zip(labels.tolist(), langs, aspects, strict=True):
        counts[(aspect, lang)][label] += 1
    sizes = {g: sum(c.values()) for g, c in counts.items()}

    def shared(a: tuple[str, str], b: tuple[str, str]) -> tuple[int, int]:
        if a == b:
            same = sum(n * (n - 1) // 2 for t, n in counts[a].items() if t != OUTLIER)
            return same, sizes[a] * (sizes[a] - 1) // 2
        same = sum(n * counts[b][t] for t, n in counts[a].items() if t != OUTLIER)
        return same, sizes[a] * sizes[b]

    tally = {"within": [0, 0], "across": [0, 0], "different_aspect": [0, 0]}
    for i, a in enumerate(groups):
        for b in groups[i:]:
            kind = ("different_aspect" if a[0] != b[0] else
                    "within" if a[1] == b[1] else "across")
            same, total = shared(a, b)
            tally[kind][0] += same
            tally[kind][1] += total
    rates = {k: round(v[0] / v[1], 3) if v[1] else 0.0 for k, v in tally.items()}
    rates["ratio"] = round(rates["across"] / rates["within"], 3) if rates["within"] else 0.0
    return rates


def bilingual_set(name: str) -> tuple[list[str], list[str], list[str]]:
    """Texts, languages and aspects of a bilingual set: ``restaurants`` or ``products``."""
    if name == "restaurants":
        en_texts, en_labels = semeval(set(SEMEVAL_ASPECTS))
        en_texts, en_labels = balanced(en_texts, [SEMEVAL_ASPECTS[x] for x in en_labels],
                                       PER_ASPECT)
        fa_texts, fa_labels = balanced(*snappfood(), PER_ASPECT)
    elif name == "products":
        en_texts, en_labels = balanced(*amazon_products(), PER_ASPECT)
        fa_texts, fa_labels = balanced(*digikala_products(), PER_ASPECT)
    else:
        raise ValueError(name)
    return (en_texts + fa_texts, ["en"] * len(en_texts) + ["fa"] * len(fa_texts),
            en_labels + fa_labels)


def cross_lingual_figures(name: str = "restaurants", **fit_kwargs: Any) -> dict[str, Any]:
    texts, langs, aspects = bilingual_set(name)
    fit, _ = fitted(texts, langs, **fit_kwargs)
    rates = pair_rates(fit.labels_, langs, aspects)
    segments = {lang: dict(sorted(Counter(a for a, x in zip(aspects, langs, strict=True)
                                          if x == lang).items())) for lang in ("en", "fa")}
    result = {"set": name, "segments": segments, "themes": len(fit.themes_),
              "outlier_share": round(float((fit.labels_ == OUTLIER).mean()), 3), **rates}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def theme_settings(neighbors: int, merge: float, random_state: int = 42) -> Any:
    from voc.themes.cluster import ClusterSettings
    from voc.themes.model import ThemeSettings

    return ThemeSettings(cluster=ClusterSettings(cross_lingual_neighbors=neighbors,
                                                 random_state=random_state),
                         cross_lingual_merge=merge)


CHOICE_NEIGHBORS = (0, 2, 4, 8)
CHOICE_MERGE = (0.6, 0.5, 0.4)
CHOICE_SEEDS = (42, 43, 44)
FIGURES = ("within", "across", "different_aspect", "ratio", "outlier_share", "themes")


def over_seeds(name: str, neighbors: int, merge: float) -> dict[str, Any]:
    """The set's figures at each UMAP seed, and their means."""
    runs = [cross_lingual_figures(name, settings=theme_settings(neighbors, merge, seed))
            for seed in CHOICE_SEEDS]
    return {"cross_lingual_neighbors": neighbors, "cross_lingual_merge": merge,
            **{f: round(float(np.mean([r[f] for r in runs])), 3) for f in FIGURES},
            "ratio_per_seed": [r["ratio"] for r in runs],
            "different_aspect_per_seed": [r["different_aspect"] for r in runs]}


# A setting may cost the choice set's within-language same-aspect rate this much (means
# over seeds 42-44): linking languages must not break up the themes within a language.
WITHIN_TOLERANCE = 0.01


def choose(choice_set: str = "products", report_set: str = "restaurants") -> dict[str, Any]:
    """Sweep cross-language neighbours x merge threshold on `choice_set` (UMAP seeds
    42-44); take the setting with the highest mean across/within ratio among those whose
    different-aspect rate stays <= 0.25 at every seed and whose within-language same-aspect
    rate stays within WITHIN_TOLERANCE of the old setting's, fewest neighbours and highest
    merge threshold on ties; report `report_set` with the old setting and the chosen one.
    Real feedback only: the project's own sample is never a guard (an earlier rule guarded
    on its theme purity and shipped 2 neighbours, 0.495 held out)."""
    sweep = [over_seeds(choice_set, n, m) for n in CHOICE_NEIGHBORS for m in CHOICE_MERGE]
    old = next(r for r in sweep
               if (r["cross_lingual_neighbors"], r["cross_lingual_merge"]) == (0, 0.6))
    allowed = [r for r in sweep if max(r["different_aspect_per_seed"]) <= 0.25
               and r["within"] >= old["within"] - WITHIN_TOLERANCE]
    best = max(allowed, key=lambda r: (r["ratio"], -r["cross_lingual_neighbors"],
                                       r["cross_lingual_merge"]))
    chosen = {"cross_lingual_neighbors": best["cross_lingual_neighbors"],
              "cross_lingual_merge": best["cross_lingual_merge"]}
    held_out = {"before (0 neighbours, merge 0.6)": over_seeds(report_set, 0, 0.6),
                "chosen": over_seeds(report_set, best["cross_lingual_neighbors"],
                                     best["cross_lingual_merge"])}
    return {"choice_set": choice_set, "report_set": report_set, "seeds": list(CHOICE_SEEDS),
            "rule": "highest mean ratio with different_aspect <= 0.25 at every seed and the "
                    f"within-language same-aspect rate within {WITHIN_TOLERANCE} of the old "
                    "setting's (means over seeds); fewest neighbours, then highest merge "
                    "threshold, on ties",
            "chosen": chosen, "held_out": held_out, "sweep": sweep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--choose", action="store_true",
                        help="Sweep the cross-lingual settings on the products set, report "
                             "the restaurant set (bench/results/cross_lingual_choice.json).")
    args = parser.parse_args()
    if args.choose:
        out = args.out or REPO / "bench/results/cross_lingual_choice.json"
        results: dict[str, Any] = {"machine_before": machine_info(), **choose(),
                                   "goals": {"ratio": ">= 0.5", "different_aspect": "<= 0.25"},
                                   "machine_after": machine_info()}
    else:
        out = args.out or REPO / "bench/results/theme_names.json"
        results = {"machine_before": machine_info(), "names": []}
        results["cross_lingual"] = cross_lingual_figures("restaurants")
        results["cross_lingual_products"] = cross_lingual_figures("products")
        results["names"].append(name_figures("semeval2014_restaurants (aspect category)",
                                             *semeval(), SEMEVAL_NAMES))
        results["names"].append(name_figures(
            "bitext_customer_support 3k (category; synthetic)", *bitext(), BITEXT_NAMES))
        results["names"].append(name_figures(
            "snappfood (keyword aspect; 600 per aspect)", *balanced(*snappfood(), 600),
            SNAPPFOOD_NAMES, lang="fa"))
        results["names"].append(name_figures(
            "digikala sentences (keyword aspect; 300 per aspect)",
            *balanced(*digikala_products(), 300), DIGIKALA_NAMES, lang="fa"))
        results["goals"] = {"nearest_own_centre": "higher than the keyword labels",
                            "category_agreement": "higher than the keyword labels",
                            "cross_lingual_ratio": ">= 0.5", "different_aspect": "<= 0.25"}
        results["machine_after"] = machine_info()
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
