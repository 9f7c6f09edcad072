"""Theme rows a researcher reads: labels and keywords per language, quotes and the mix.

Keywords are c-TF-IDF per language (BERTopic's ClassTfidfTransformer): a theme's English
words are scored among English segments only, so a theme that is 90% Persian still gets
English words from its English members, and a frequent Persian word cannot crowd them
out. Counts are segments containing a phrase, not occurrences, so one rant repeating a
word does not name a theme.

Labels are names (voc.themes.naming): a noun phrase per language from the theme's own
text, scored against the theme's centre with the run's encoder. Without an encoder, or
where no phrase reads as a name, the keyword label below is the fallback: c-TF-IDF
favours rare, discriminative phrases (a name, a typo only this theme has), which read as
noise on a chart axis, so a label phrase must be in a good share of the theme's segments
(coverage) and clearly more often than in the other themes (lift); it is scored by
coverage times log-lift, so the phrase most members share wins over one a few members
use exclusively.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from voc.heads.labels import SENTIMENT_LABELS
from voc.io.records import ANALYZED_STATUSES, STATUS_OK
from voc.kpi.periods import direction, latest_change, period_grid
from voc.kpi.scores import respondent_key
from voc.language.script import has_persian_letter
from voc.themes.cluster import OUTLIER
from voc.themes.curation import Label
from voc.themes.model import ThemeModel
from voc.themes.naming import (
    PhraseModel,
    display,
    mostly_affirmed,
    name_themes,
    readable,
    script_of,
)
from voc.themes.vectorizer import ThemeTokenizer, theme_vectorizer

UNASSIGNED = "unassigned"
_SEPARATOR = {"fa": "، ", "en": ", "}
N_KEYWORDS = 8
N_EXAMPLES = 5
MIN_EXAMPLES = 3
# A theme named by a quote (no phrase reads as a name) quotes at most this many words.
QUOTE_WORDS = 6
# An emotion names a theme when this share of its segments shows it.
EMOTION_SHARE = 0.15
# A theme is a complaint ("what hurts") theme when at least this share of its statements
# are pain points. A big praise theme holds a few pain points too, and ranked by its
# impact on the score it would head the list of what hurts (issue 16: the sample report
# listed praise there).
PAIN_THEME_SHARE = 0.5
# A label phrase is in at least this share of the theme's segments (of one language)...
LABEL_MIN_COVERAGE = 0.1
# ...and at least this many times as often as in the other themes' segments.
LABEL_MIN_LIFT = 1.5
# A two-word phrase in this share of the segments that contain one of its words says more
# than that word alone ("late delivery" over "late"), so it takes the word's place. 0.6,
# not higher: a light verb such as «زدم» lives in several phrases («زنگ زدم», «تیکت زدم»).
PHRASE_SHARE = 0.6
LABEL_PHRASES = 2
LANGUAGES = ("fa", "en")


@dataclass(frozen=True)
class PhraseCounts:
    """Of one language's themed segments: which phrases each theme's segments contain."""

    vocabulary: np.ndarray  # phrases, vectorizer order
    counts: np.ndarray  # themes x phrases: segments containing the phrase
    sizes: np.ndarray  # segments per theme
    scores: np.ndarray  # themes x phrases: c-TF-IDF

    def keywords(self, row: int, n: int = N_KEYWORDS,
                 first: Sequence[str] = ()) -> list[str]:
        """The theme's top c-TF-IDF phrases (and `first`, its label phrases), most
        widely used first."""
        size = int(self.sizes[row])
        if not size:
            return []
        # With a handful of segments, any word once is noise; ask for two.
        minimum = 2 if size >= 5 else 1
        candidates = np.flatnonzero(self.counts[row] >= minimum)
        ranked = candidates[np.lexsort((self.vocabulary[candidates],
                                        -self.scores[row, candidates]))]
        chosen = _without_redundant([*first, *(str(self.vocabulary[i]) for i in ranked)],
                                    n, keep=len(first))
        index = {str(p): i for i, p in enumerate(self.vocabulary)}
        label = set(first)
        return sorted(chosen, key=lambda p: (p not in label, -self.counts[row, index[p]],
                                             -self.scores[row, index[p]], p))

    def label_phrases(self, row: int, n: int = LABEL_PHRASES) -> list[str]:
        """Up to `n` phrases with no word in common that most of the theme's segments
        share and the other themes' segments rarely use; none when nothing qualifies."""
        size = int(self.sizes[row])
        if not size:
            return []
        counts = self.counts[row].astype(float)
        coverage = counts / size
        rest = self.counts.sum(axis=0) - counts
        rest_size = int(self.sizes.sum()) - size
        if rest_size:
            # Add-one on the rest: a phrase absent elsewhere gets a large, finite lift.
            lift = coverage / ((rest + 1.0) / (rest_size + 1.0))
            qualifies = lift >= LABEL_MIN_LIFT
            score = coverage * np.log(np.maximum(lift, 1.0))
        else:  # the only theme in this language: nothing to contrast it with
            qualifies = np.ones_like(coverage, dtype=bool)
            score = coverage.copy()
        minimum = max(2 if size >= 5 else 1, math.ceil(LABEL_MIN_COVERAGE * size))
        qualifies &= counts >= minimum
        phrases = [str(p) for p in self.vocabulary]
        index = {p: i for i, p in enumerate(phrases)}
        effective = np.where(qualifies, score, -np.inf)
        for i in np.flatnonzero(qualifies).tolist():
            words = phrases[i].split()
            if len(words) < 2:
                continue
            for word in words:
                j = index.get(word)
                if j is not None and qualifies[j] and counts[i] >= PHRASE_SHARE * counts[j]:
                    effective[i] = max(effective[i], score[j])
        ranked = sorted(np.flatnonzero(qualifies).tolist(),
                        key=lambda i: (-effective[i], -len(phrases[i].split()), phrases[i]))
        chosen: list[str] = []
        for i in ranked:
            words = phrases[i].split()
            if any(set(words) & set(c.split()) for c in chosen):
                continue
            # Two words that also make a phrase of their own read better as that phrase.
            pair = next((j for c in chosen if len(words) == len(c.split()) == 1
                         for j in (index.get(f"{c} {words[0]}"), index.get(f"{words[0]} {c}"))
                         if j is not None and qualifies[j]), None)
            if pair is not None:
                chosen = [c for c in chosen if c not in phrases[pair].split()]
                chosen.append(phrases[pair])
            else:
                chosen.append(phrases[i])
            if len(chosen) == n:
                break
        return chosen


def class_tfidf(counts: sparse.spmatrix) -> np.ndarray:
    """BERTopic's c-TF-IDF with `reduce_frequent_words` (ClassTfidfTransformer): each
    theme's L1-normalised, square-rooted phrase counts times log(1 + average phrases per
    theme / the phrase's count over all themes). Written out because importing BERTopic
    costs seconds (it pulls in transformers' pipelines and plotly), and a run that assigns
    themes to an earlier fit needs nothing else of it."""
    from sklearn.preprocessing import normalize

    counts = sparse.csr_matrix(counts, dtype=np.float64)
    totals = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log(int(counts.sum(axis=1).mean()) / totals + 1)
    frequencies = normalize(counts, axis=1, norm="l1")
    frequencies.data = np.sqrt(frequencies.data)
    return (frequencies @ sparse.diags(idf)).toarray()


def phrase_counts(documents: Sequence[str], langs: np.ndarray, labels: np.ndarray,
                  theme_ids: Sequence[int], tokenizer: ThemeTokenizer,
                  ) -> dict[str, PhraseCounts]:
    """Per language, the phrases of each theme's segments (rows in `theme_ids` order)."""
    result: dict[str, PhraseCounts] = {}
    for lang in LANGUAGES:
        members = np.flatnonzero((langs == lang) & (labels != OUTLIER))
        if not len(members):
            continue
        vectorizer = theme_vectorizer(tokenizer)
        try:
            presence = vectorizer.fit_transform([documents[i] for i in members.tolist()])
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
        # c-TF-IDF cannot weigh a one-word vocabulary; counts rank that word just as well.
        scores = (class_tfidf(counts) if counts.shape[1] > 1
                  else dense_counts.astype(float))
        result[lang] = PhraseCounts(
            vocabulary=vectorizer.get_feature_names_out(), counts=dense_counts,
            sizes=np.asarray(membership.sum(axis=1)).ravel().astype(int), scores=scores)
    return result


def keywords_by_language(documents: Sequence[str], langs: np.ndarray, labels: np.ndarray,
                         theme_ids: Sequence[int], tokenizer: ThemeTokenizer,
                         n: int = N_KEYWORDS) -> dict[str, dict[int, list[str]]]:
    """Top c-TF-IDF phrases of each theme among its segments in each language, the
    label phrases first and then the most widely used."""
    result: dict[str, dict[int, list[str]]] = {lang: {} for lang in LANGUAGES}
    for lang, phrases in phrase_counts(documents, langs, labels, theme_ids, tokenizer).items():
        for row, theme_id in enumerate(theme_ids):
            if phrases.sizes[row]:
                result[lang][theme_id] = phrases.keywords(row, n, phrases.label_phrases(row))
    return result


def labels_by_language(documents: Sequence[str], langs: np.ndarray, labels: np.ndarray,
                       theme_ids: Sequence[int], tokenizer: ThemeTokenizer,
                       ) -> dict[str, dict[int, str]]:
    """Each theme's label in each language where its segments share a distinctive phrase."""
    result: dict[str, dict[int, str]] = {lang: {} for lang in LANGUAGES}
    for lang, phrases in phrase_counts(documents, langs, labels, theme_ids, tokenizer).items():
        for row, theme_id in enumerate(theme_ids):
            chosen = phrases.label_phrases(row)
            if chosen:
                result[lang][theme_id] = _SEPARATOR[lang].join(chosen)
    return result


def _without_redundant(ranked: list[str], n: int, keep: int = 0) -> list[str]:
    """Drop a phrase whose words a better-ranked phrase already has, and a single word
    that a later phrase contains (the phrase says more), except the first `keep`."""
    chosen: list[str] = []
    for phrase in ranked:
        words = set(phrase.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        chosen = [c for position, c in enumerate(chosen)
                  if position < keep or not (len(c.split()) == 1 and c in words)]
        chosen.append(phrase)
        if len(chosen) == n:
            break
    return chosen


def _label(best: Sequence[str], keywords: Sequence[str], lang: str,
           tokenizer: ThemeTokenizer, texts: Sequence[str] = ()) -> str | None:
    """Without a chosen name (no encoder, tiny themes): the first phrase most of the theme
    shares, else its first keyword, that reads as a name by `naming.readable` and that the
    members' `texts` mostly do not negate ("nothing special" names no theme "Special").
    Never a pair of keywords or a bare verb ("tomans, paid" named a theme of amounts)."""
    for phrase in (*best, *keywords):
        if readable(phrase.casefold().split(), lang, tokenizer) and mostly_affirmed(
                phrase, texts, lang, tokenizer):
            return display(phrase, lang)
    return None


def quoted_label(examples: Sequence[str], max_words: int = QUOTE_WORDS) -> str | None:
    """The last resort for a theme no phrase names: its most central quote, cut to
    `max_words` words, in quotation marks; the theme's own words, never "theme 7"."""
    if not examples:
        return None
    words = examples[0].split()
    text = " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")
    return f"“{text}”"


def representative_examples(vectors: np.ndarray, centre: np.ndarray, members: np.ndarray,
                            texts: Sequence[str], langs: np.ndarray,
                            n: int = N_EXAMPLES, names: Sequence[str] = ()) -> list[str]:
    """Distinct member texts closest to the theme centre, alternating languages.

    Texts that contain one of the theme's `names` come first: the report heads a theme with
    its first quote, and a quote that says something else than the name beside it ("Wrong
    item" over a quote about a missing SMS) costs the reader's trust. Texts of at least 8
    characters first (a quote should say something); a theme of short answers ("heyf",
    "khoob bood") is still quoted, with its short texts, up to `MIN_EXAMPLES`.
    """
    order = members[np.argsort(-(vectors[members] @ centre), kind="stable")]
    name_keys = [name.casefold() for name in names if name]
    if name_keys:
        says_name = np.array([any(k in texts[i].casefold() for k in name_keys)
                              for i in order.tolist()], dtype=bool)
        order = np.concatenate([order[says_name], order[~says_name]])
    picked: list[str] = []
    seen: set[str] = set()
    for min_length, wanted in ((8, n), (1, min(MIN_EXAMPLES, n))):
        queues: dict[str, list[int]] = {}
        for index in order:
            queues.setdefault(str(langs[index]), []).append(int(index))
        language_order = sorted(queues, key=lambda lang: -len(queues[lang]))
        while len(picked) < wanted and any(queues.values()):
            for lang in language_order:
                while queues[lang]:
                    text = texts[queues[lang].pop(0)].strip()
                    key = text.casefold()
                    if key and key not in seen and len(text) >= min_length:
                        seen.add(key)
                        picked.append(text)
                        break
                if len(picked) == wanted:
                    break
    return picked


def _top(values: Iterable[Any], n: int = 3) -> list[str]:
    # "unassigned" is the journey stage of segments linked to none: not a place it hurts.
    counts = Counter(str(v) for v in values if v and v != UNASSIGNED)
    return [value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _pain_figures(members: Sequence[Mapping[str, Any]], who: Mapping[int, Any],
                  has_pain: bool) -> dict[str, Any]:
    """The theme's pain points: the distinct respondents who reported them (each answer
    row its own without `who`) and their mean severity (null without pain points; both
    null when pain points were not detected)."""
    pains = [s for s in members if s.get("is_pain_point")]
    return {"pain_respondents": len({who.get(s["row_id"], s["row_id"]) for s in pains})
            if has_pain else None,
            "mean_severity": round(sum(s.get("severity") or 0.0 for s in pains) / len(pains), 6)
            if pains else None}


def theme_rows(model: ThemeModel, vectors: np.ndarray, segments: Sequence[dict[str, Any]],
               documents: Sequence[str], tokenizer: ThemeTokenizer, total: int | None = None,
               phrase_model: PhraseModel | None = None,
               stage_names: Mapping[str, str] | None = None,
               respondent_of: Mapping[int, Any] | None = None) -> list[dict[str, Any]]:
    """One row per theme of a fitted `model` (voc.themes.component.THEMES_SCHEMA),
    largest first, for the segments it was fitted on (`vectors`: theirs as
    `model.centred` gives them); `share` is of `total` segments (default: the segments
    given). `phrase_model` (the run's encoder) names themes; `stage_names` (journey
    stage id -> name) words the description; `respondent_of` (row id ->
    voc.kpi.scores.respondent_key) counts the theme's customers, each answer row its own
    respondent without it."""
    who = respondent_of or {}
    labels = model.labels_
    langs = np.asarray([str(s.get("lang")) for s in segments], dtype=object)
    ids, centres = model.theme_ids_, model.centres_
    complaint = [float(np.mean([segments[i].get("sentiment") in ("negative", "mixed")
                                for i in np.flatnonzero(labels == theme_id).tolist()]))
                 for theme_id in ids]
    kept = [model.themes_[theme_id].names for theme_id in ids]
    names: dict[str, dict[int, str]]
    if model.mode_ == "assigned" and all(kept):
        # A run that assigns under an earlier fit (same naming rules) keeps its themes'
        # names: a scheduled job's theme keeps its name from week to week, and naming (a
        # third of such a re-run's theme stage) is not done again.
        names = {lang: {theme_id: name for theme_id, label in zip(ids, kept, strict=True)
                        if label and (name := getattr(label, lang))} for lang in LANGUAGES}
    else:
        names = {lang: {theme_id: chosen.name for theme_id, chosen in by_theme.items()}
                 for lang, by_theme in name_themes(
                     documents, langs.tolist(), labels, ids, centres, model.language_means_,
                     phrase_model, complaint, tokenizer).items()}
    phrases = phrase_counts(documents, langs, labels, ids, tokenizer)
    found: dict[str, dict[int, tuple[list[str], list[str]]]] = {lang: {} for lang in LANGUAGES}
    for lang, counts in phrases.items():
        for row, theme_id in enumerate(ids):
            if counts.sizes[row]:
                phrases_found = counts.label_phrases(row)
                found[lang][theme_id] = (phrases_found,
                                         counts.keywords(row, first=phrases_found))
    total = len(segments) if total is None else total
    has_pain = any("is_pain_point" in s for s in segments)
    rows: list[dict[str, Any]] = []
    for theme_id, centre in zip(ids, centres, strict=True):
        theme = model.themes_[theme_id]
        members = np.flatnonzero(labels == theme_id)
        member_segments = [segments[i] for i in members.tolist()]
        best = {lang: found[lang].get(theme_id, ([], []))[0] for lang in LANGUAGES}
        words = {lang: _seeded_first(theme.keywords, found[lang].get(theme_id, ([], []))[1],
                                     lang) for lang in LANGUAGES}
        size_fa = int((langs[members] == "fa").sum())
        size_en = int((langs[members] == "en").sum())
        named = {lang: names[lang][theme_id] for lang in LANGUAGES
                 if theme_id in names.get(lang, {})}
        # A keyword label only where the script's members exist but no phrase reads as a
        # name (no encoder, tiny themes); never from Finglish members' Latin words.
        scripts = Counter(script_of(documents[i], str(langs[i])) for i in members.tolist())
        persian = [w for w in words["fa"] if has_persian_letter(w)]
        texts = [documents[i] for i in members.tolist()]
        label_fa = theme.label.fa or named.get("fa") or (
            _label([w for w in best["fa"] if has_persian_letter(w)], persian, "fa",
                   tokenizer, texts) if scripts["fa"] else None)
        label_en = theme.label.en or named.get("en") or (
            _label(best["en"], words["en"], "en", tokenizer, texts) if scripts["en"]
            else None)
        dominant = [label_fa, label_en] if size_fa >= size_en else [label_en, label_fa]
        examples = representative_examples(vectors, centre, members,
                                           [s["text"] for s in segments], langs,
                                           names=[x for x in (label_fa, label_en) if x])
        label = theme.label.text or next((x for x in dominant if x), None) \
            or quoted_label(examples) or f"theme {theme_id}"
        sentiments = Counter(s.get("sentiment") for s in member_segments)
        emotions = Counter(e for s in member_segments
                           if (e := s.get("emotion")) and e != "neutral")
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
            "examples": examples,
            "origin": theme.origin,
            "records": len({s["row_id"] for s in member_segments}),
            "respondents": len({who.get(s["row_id"], s["row_id"]) for s in member_segments}),
            "size_fa": size_fa,
            "size_en": size_en,
            "sentiment_score": round(float(np.mean(scores)), 4) if scores else None,
            "pain_points": (sum(bool(s.get("is_pain_point")) for s in member_segments)
                            if has_pain else None),
            "stages": _top(s.get("journey_stage") for s in member_segments),
            "touchpoints": _top(s.get("touchpoint") for s in member_segments),
            **_pain_figures(member_segments, who, has_pain),
        })
        rows[-1]["description"] = describe(rows[-1], stage_names or {})
    rows.sort(key=lambda r: (-r["size"], r["theme_id"]))
    return rows


def theme_trends(theme_rows_of: Mapping[int, Iterable[int]],
                 records: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each theme's share of the respondents with an analysed answer, per period
    (voc.kpi.periods' grid, over every dated record), and the test of its latest period
    against all earlier ones together: the fields THEMES_SCHEMA's `trend_*` columns hold,
    by theme id.

    `theme_rows_of` maps a theme id to the row ids of its segments. The share is of
    respondents (voc.kpi.scores.respondent_key), the report's "customers": one person's
    two answers in a theme count once, as in the theme's `respondents`. A respondent is
    in the period of each of their answers' dates (the answers of one input row share
    it). A record without a status (built by hand, not read) counts as analysed, as its
    segments are there."""
    grid = period_grid(records)
    who = {r["row_id"]: respondent_key(r) for r in records}
    analysed = Counter(period for period, _ in {
        (grid.of_row[r["row_id"]], who[r["row_id"]]) for r in records
        if r.get("status", STATUS_OK) in ANALYZED_STATUSES and r["row_id"] in grid.of_row})
    trends: dict[int, dict[str, Any]] = {}
    for theme_id, row_ids in theme_rows_of.items():
        counts = Counter(period for period, _ in {
            (grid.of_row[r], who.get(r, r)) for r in set(row_ids) if r in grid.of_row})
        change, z = latest_change(counts, analysed, grid.periods)
        trends[theme_id] = {
            "trend_periods": list(grid.periods),
            "trend_share": [round(counts[p] / analysed[p], 6) if analysed[p] else None
                            for p in grid.periods],
            "trend_change": round(change, 6),
            "trend_z": None if z is None else round(z, 4),
            "trend_direction": direction(z, change),
        }
    return trends


def is_pain_theme(pain_points: int | None, size: int) -> bool:
    """Whether a theme of ``size`` statements, ``pain_points`` of them pain points, is
    about a problem (see PAIN_THEME_SHARE)."""
    if not pain_points or size <= 0:
        return False
    return pain_points >= PAIN_THEME_SHARE * size


def describe(row: Mapping[str, Any], stage_names: Mapping[str, str]) -> str:
    """One line a reader forwards: how many customers, how they feel, what they mention
    besides the name, and where in the journey. Built from the row's own fields."""
    mix = row.get("sentiment_mix") or {}
    negative = (mix.get("negative") or 0) + (mix.get("mixed") or 0)
    tone = ("mostly negative" if negative >= 0.6 else
            "mostly positive" if (mix.get("positive") or 0) >= 0.6 else "mixed feelings")
    # Customers are respondents: a survey answering two questions is one customer.
    customers = row.get("respondents") or row["records"]
    line = (f"{customers} customer{'s' if customers != 1 else ''} ({row['size']} "
            f"statement{'s' if row['size'] != 1 else ''}), {tone}")
    name_words = {w.casefold() for lang in LANGUAGES
                  for w in (row.get(f"label_{lang}") or "").split()}
    dominant = ("fa", "en") if row["size_fa"] >= row["size_en"] else ("en", "fa")
    tokenizer = ThemeTokenizer(lemmatize=False)
    # Only keywords that read as words of their language: no Finglish, no bare verbs.
    mentions = [k for lang in dominant for k in (row.get(f"keywords_{lang}") or [])[:6]
                if not set(k.casefold().split()) & name_words
                and readable(k.casefold().split(), lang, tokenizer)][:4]
    if mentions:
        line += "; they mention " + ", ".join(mentions)
    stages = [stage_names.get(s, s.replace("_", " ")) for s in row.get("stages") or []][:2]
    if stages:
        line += "; mostly at " + " and ".join(stages)
    return line + "."


def _seeded_first(seed_keywords: Sequence[str], found: list[str], lang: str) -> list[str]:
    """A seeded theme shows its own keywords of this language before the discovered ones."""
    persian = lang == "fa"
    own = [k for k in seed_keywords if has_persian_letter(k) == persian]
    return list(dict.fromkeys([*own, *found]))[:N_KEYWORDS]


def labels_for_state(rows: Sequence[dict[str, Any]]) -> dict[int, Label]:
    return {r["theme_id"]: Label(r["label"], r["label_fa"], r["label_en"]) for r in rows}
