"""Theme rows a researcher reads: labels and keywords per language, quotes and the mix.

Keywords are c-TF-IDF per language (BERTopic's ClassTfidfTransformer): a theme's English
words are scored among English segments only, so a theme that is 90% Persian still gets
English words from its English members, and a frequent Persian word cannot crowd them
out. Counts are segments containing a phrase, not occurrences, so one rant repeating a
word does not name a theme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from voc.heads.labels import SENTIMENT_LABELS
from voc.themes.cluster import OUTLIER
from voc.themes.curation import Label
from voc.themes.model import ThemeFit
from voc.themes.vectorizer import ThemeTokenizer, theme_vectorizer

UNASSIGNED = "unassigned"
N_KEYWORDS = 8
N_EXAMPLES = 5
# An emotion names a theme when this share of its segments shows it.
EMOTION_SHARE = 0.15
_SEPARATOR = {"fa": "، ", "en": ", "}


def keywords_by_language(documents: Sequence[str], langs: np.ndarray, labels: np.ndarray,
                         theme_ids: Sequence[int], tokenizer: ThemeTokenizer,
                         n: int = N_KEYWORDS) -> dict[str, dict[int, list[str]]]:
    """Top c-TF-IDF phrases of each theme among its segments in each language."""
    from bertopic.vectorizers import ClassTfidfTransformer

    result: dict[str, dict[int, list[str]]] = {"fa": {}, "en": {}}
    for lang in ("fa", "en"):
        members = np.flatnonzero((langs == lang) & (labels != OUTLIER))
        if not len(members):
            continue
        vectorizer = theme_vectorizer(tokenizer)
        try:
            presence = vectorizer.fit_transform([documents[i] for i in members])
        except ValueError:  # nothing but stop words in this language
            continue
        presence.data[:] = 1
        order = {theme_id: row for row, theme_id in enumerate(theme_ids)}
        rows = np.array([order[t] for t in labels[members]])
        membership = sparse.csr_matrix(
            (np.ones(len(members)), (rows, np.arange(len(members)))),
            shape=(len(theme_ids), len(members)))
        counts = (membership @ presence).tocsr()
        dense_counts = counts.toarray()
        # The transformer L1-normalises its input in place: give it a copy. It cannot
        # weigh a one-word vocabulary; counts rank that single word just as well.
        scores = (ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(
            counts.copy()).toarray() if counts.shape[1] > 1 else dense_counts.astype(float))
        vocabulary = vectorizer.get_feature_names_out()
        for row, theme_id in enumerate(theme_ids):
            size = int(membership[row].sum())
            if not size:
                continue
            # With a handful of segments, any word once is noise; ask for two.
            minimum = 2 if size >= 5 else 1
            candidates = np.flatnonzero(dense_counts[row] >= minimum)
            ranked = candidates[np.lexsort((vocabulary[candidates],
                                            -scores[row, candidates]))]
            result[lang][theme_id] = _without_redundant([str(vocabulary[i]) for i in ranked], n)
    return result


def _without_redundant(ranked: list[str], n: int) -> list[str]:
    """Drop a word already inside a better-ranked phrase, and vice versa keep order."""
    chosen: list[str] = []
    for phrase in ranked:
        words = set(phrase.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not (len(c.split()) == 1 and c in words)]
        chosen.append(phrase)
        if len(chosen) == n:
            break
    return chosen


def label_from_keywords(keywords: Sequence[str], lang: str) -> str | None:
    """The two best phrases: short enough for a chart axis, specific enough to tell apart."""
    return _SEPARATOR[lang].join(keywords[:2]) if keywords else None


def representative_examples(vectors: np.ndarray, centre: np.ndarray, members: np.ndarray,
                            texts: Sequence[str], langs: np.ndarray,
                            n: int = N_EXAMPLES) -> list[str]:
    """Distinct member texts closest to the theme centre, alternating languages."""
    order = members[np.argsort(-(vectors[members] @ centre), kind="stable")]
    queues: dict[str, list[int]] = {}
    for index in order:
        queues.setdefault(str(langs[index]), []).append(int(index))
    picked: list[str] = []
    seen: set[str] = set()
    language_order = sorted(queues, key=lambda lang: -len(queues[lang]))
    while len(picked) < n and any(queues.values()):
        for lang in language_order:
            while queues[lang]:
                text = texts[queues[lang].pop(0)].strip()
                key = text.casefold()
                if key and key not in seen and len(text) >= 8:
                    seen.add(key)
                    picked.append(text)
                    break
            if len(picked) == n:
                break
    return picked


def _top(values: Iterable[Any], n: int = 3) -> list[str]:
    # "unassigned" is the journey stage of segments linked to none: not a place it hurts.
    counts = Counter(str(v) for v in values if v and v != UNASSIGNED)
    return [value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def theme_rows(fit: ThemeFit, segments: Sequence[dict[str, Any]], documents: Sequence[str],
               tokenizer: ThemeTokenizer, total: int | None = None) -> list[dict[str, Any]]:
    """One row per theme (THEMES_SCHEMA), largest first; `share` is of `total` segments
    (default: the segments given)."""
    labels = fit.labels
    langs = np.asarray([str(s.get("lang")) for s in segments], dtype=object)
    ids, centres = fit.centres()
    keywords = keywords_by_language(documents, langs, labels, ids, tokenizer)
    total = len(segments) if total is None else total
    has_pain = any("is_pain_point" in s for s in segments)
    rows = []
    for theme_id, centre in zip(ids, centres, strict=True):
        theme = fit.themes[theme_id]
        members = np.flatnonzero(labels == theme_id)
        member_segments = [segments[i] for i in members]
        words = {lang: _seeded_first(theme.keywords, keywords[lang].get(theme_id, []), lang)
                 for lang in ("fa", "en")}
        size_fa = int((langs[members] == "fa").sum())
        size_en = int((langs[members] == "en").sum())
        label_fa = theme.label.fa or label_from_keywords(words["fa"], "fa")
        label_en = theme.label.en or label_from_keywords(words["en"], "en")
        dominant = [label_fa, label_en] if size_fa >= size_en else [label_en, label_fa]
        label = theme.label.text or next((x for x in dominant if x), None) \
            or f"theme {theme_id}"
        sentiments = Counter(s.get("sentiment") for s in member_segments)
        emotions = Counter(s.get("emotion") for s in member_segments
                           if s.get("emotion") and s.get("emotion") != "neutral")
        top_emotion = "neutral"
        if emotions:
            emotion, count = min(emotions.items(), key=lambda kv: (-kv[1], kv[0]))
            if count >= EMOTION_SHARE * len(members):
                top_emotion = emotion
        scores = [s["sentiment_score"] for s in member_segments
                  if s.get("sentiment_score") is not None]
        rows.append({
            "theme_id": theme_id,
            "label": label,
            "label_fa": label_fa,
            "label_en": label_en,
            "keywords_fa": words["fa"],
            "keywords_en": words["en"],
            "size": len(members),
            "share": round(len(members) / total, 4) if total else 0.0,
            "sentiment_mix": {label_: round(sentiments.get(label_, 0) / len(members), 4)
                              for label_ in SENTIMENT_LABELS},
            "top_emotion": top_emotion,
            "examples": representative_examples(fit.vectors, centre, members,
                                                [s["text"] for s in segments], langs),
            "origin": theme.origin,
            "records": len({s["row_id"] for s in member_segments}),
            "size_fa": size_fa,
            "size_en": size_en,
            "sentiment_score": round(float(np.mean(scores)), 4) if scores else None,
            "pain_points": (sum(bool(s.get("is_pain_point")) for s in member_segments)
                            if has_pain else None),
            "stages": _top(s.get("journey_stage") for s in member_segments),
            "touchpoints": _top(s.get("touchpoint") for s in member_segments),
        })
    rows.sort(key=lambda r: (-r["size"], r["theme_id"]))
    return rows


def _seeded_first(seed_keywords: Sequence[str], found: list[str], lang: str) -> list[str]:
    """A seeded theme shows its own keywords of this language before the discovered ones."""
    persian = lang == "fa"
    own = [k for k in seed_keywords
           if any("\u0600" <= ch <= "\u06ff" for ch in k) == persian]
    return list(dict.fromkeys([*own, *found]))[:N_KEYWORDS]


def labels_for_state(rows: Sequence[dict[str, Any]]) -> dict[int, Label]:
    return {r["theme_id"]: Label(r["label"], r["label_fa"], r["label_en"]) for r in rows}
