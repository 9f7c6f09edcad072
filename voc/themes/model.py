"""Themes as one estimator, `ThemeModel`: fitted on segment embeddings (seeds first,
discovery for the rest, then stable ids and the researcher's curation), it labels
segments, and saves and loads its fitted state. Plain arrays in, plain arrays and theme
facts out; the functions here are its steps.

Theme ids are what a researcher's curation file and a report's trend refer to, so they
must survive a re-run: the fitted state (theme centres in the language-centred space, and
which ids came from seeds, splits and pins) is saved with safetensors + JSON, and the next
run gives a new theme the id of the previous theme whose centre it is closest to.

Re-fitting UMAP + HDBSCAN is most of a nightly run's cost, while a growing export adds a
few percent of new segments a night. So the state also records which segments the fit
covered (an 8-byte hash of each segment's language group and text, with its theme id) and
the setup it was fitted under (`setup`: encoder, theme settings, seeds, view). When that
setup is unchanged and at most `refit_fraction` of the segments are not covered by the
fit, `ThemeModel.fit(..., refit_fraction=...)` assigns instead of fitting (see
`ThemeModel.assign`); the state then keeps the fit's coverage, so a run of small nights
still refits once enough has changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ConfigError
from voc.language.script import has_persian_letter
from voc.themes.cluster import (
    MIN_LANGUAGE_GROUP,
    OUTLIER,
    ClusterSettings,
    assign_nearest,
    assignment_threshold,
    center_languages,
    centroids,
    cluster,
    language_means,
    normalize_rows,
)
from voc.themes.curation import Curation, Label, SeedTheme
from voc.themes.naming import naming_version
from voc.themes.vectorizer import ThemeTokenizer

log = logging.getLogger(__name__)

# Texts -> L2-normalised embeddings from the encoder the segments' embeddings came from.
Encoder = Callable[[list[str]], np.ndarray]

STATE_FORMAT = "voc-themes/1"
STATE_JSON = "themes_model.json"
STATE_TENSORS = "themes_model.safetensors"
PAIN_VIEW = "pain_themes"


@dataclass(frozen=True)
class ThemeSettings:
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    # A segment joins a seed when as similar to its centre as this quantile of the seed's
    # keyword-matched segments, and never below `seed_similarity` (also the bar for
    # themes pinned in an earlier run).
    seed_quantile: float = 0.25
    seed_similarity: float = 0.3
    # Discovered themes whose centres are this similar are one theme in two languages
    # (0.6 before the choice described at voc.pipeline.settings.cross_lingual_neighbors).
    cross_lingual_merge: float = 0.4
    # A new theme takes a previous theme's id when its centre is this similar.
    match_similarity: float = 0.6
    # More discovered themes than this are merged, closest centres first: a reader can
    # take in a few dozen themes, not a hundred.
    max_themes: int = 40


@dataclass
class Theme:
    theme_id: int
    origin: str  # discovered | seeded | curated
    key: str | None = None  # seed:NAME / split:NAME: ids of named themes survive re-runs
    label: Label = field(default_factory=Label)
    pinned: bool = False
    keywords: tuple[str, ...] = ()  # from a seed or split: shown first among keywords
    # The names an earlier run showed (voc.themes.naming), loaded with its state when the
    # naming rules are the same: a run that assigns under that state keeps them.
    names: Label | None = None


def segment_keys(documents: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """An 8-byte hash per segment of what its centred vector depends on (language group
    and text, which determines the embedding under one encoder)."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(f"{lang}\x1f{doc}".encode(), digest_size=8).digest(),
                        "little") for doc, lang in zip(documents, langs, strict=True)),
        dtype=np.uint64, count=len(documents))


def without_content(documents: Sequence[str], tokenizer: ThemeTokenizer) -> np.ndarray:
    """Per segment, whether it has no word a theme could be about: greetings, thanks,
    sign-offs and "nothing to add" answers («سلام وقت بخیر.», "با تشکر، [NAME]", "Nothing,
    keep it up!"). On the sample they formed themes of their own ("وقت بخیر", named after
    a greeting) that crowded out real ones; they stay unthemed instead. The words BERTopic
    describes its topics with are these (voc.themes.ctfidf): every segment it clusters has
    one."""
    verdict: dict[str, bool] = {}
    for doc in documents:
        if doc not in verdict:
            verdict[doc] = not tokenizer.content_words(doc)
    return np.fromiter((verdict[doc] for doc in documents), dtype=bool, count=len(documents))


# ---------------------------------------------------------------- seeds and phrases


def _phrase_sets(documents: Sequence[str], tokenizer: ThemeTokenizer) -> list[set[str]]:
    return [set(tokenizer.phrases(doc, ngram_max=3)) for doc in documents]


def keyword_matches(seed: SeedTheme, phrase_sets: Sequence[set[str]],
                    documents: Sequence[str], tokenizer: ThemeTokenizer) -> np.ndarray:
    """Segments that contain one of the seed's keywords (tokenized like the documents, so
    «بسته‌بندی‌ها» matches «بسته‌بندی») or one of its examples verbatim."""
    wanted = {" ".join(t for t in tokenizer.tokens(k) if t != "||") for k in seed.keywords}
    wanted.discard("")
    examples = [e.casefold() for e in seed.examples]
    return np.array([bool(wanted & phrases) or any(e in doc.casefold() for e in examples)
                     for phrases, doc in zip(phrase_sets, documents, strict=True)], dtype=bool)


def _seed_assign(vectors: np.ndarray, anchors: list[np.ndarray], centres: np.ndarray,
                 floor: float, quantile: float) -> np.ndarray:
    """Index of the seed each segment joins (-1: none): anchored segments to their seed,
    others to the most similar seed when at least as similar as most of its anchors.

    The bar is relative because similarities in the language-centred space depend on how
    tight a topic is: a seed's own keyword matches show what "about this" looks like.
    """
    n = len(vectors)
    if not len(centres):
        return np.full(n, -1, dtype=np.int64)
    similarity = vectors @ centres.T
    thresholds = np.array([
        max(floor, float(np.quantile(similarity[anchor, index], quantile)))
        if anchor.any() else floor
        for index, anchor in enumerate(anchors)])
    margin = similarity - thresholds
    for index, anchor in enumerate(anchors):
        margin[anchor, index] += 1.0  # a keyword match outranks similarity alone
    best = margin.argmax(axis=1)
    return np.where(margin[np.arange(n), best] >= 0, best, -1)


def _described_centre(seed: SeedTheme, encode: Encoder | None,
                      means: dict[str, np.ndarray]) -> np.ndarray | None:
    """The centre of a seed's examples and labels, encoded and language-centred like the
    segments (a handful of texts, once per run)."""
    texts = [*seed.examples, *(t for t in (seed.label.fa, seed.label.en, seed.label.text) if t)]
    if encode is None or not texts:
        return None
    langs = ["fa" if has_persian_letter(text) else "en" for text in texts]
    vectors = center_languages(np.asarray(encode(texts), dtype=np.float32), langs, means)
    return normalize_rows(vectors.mean(axis=0, keepdims=True))[0]


# ---------------------------------------------------------------- cross-lingual merging


def merge_across_languages(vectors: np.ndarray, labels: np.ndarray, langs: np.ndarray,
                           threshold: float) -> np.ndarray:
    """Merge a mostly-Persian and a mostly-English cluster whose centres agree."""
    ids = sorted(set(labels.tolist()) - {OUTLIER})
    if len(ids) < 2:
        return labels
    centres = centroids(vectors, labels, ids)
    dominant = []
    for i in ids:
        members = langs[labels == i]
        fa, en = (members == "fa").mean(), (members == "en").mean()
        dominant.append("fa" if fa >= 0.7 else "en" if en >= 0.7 else "both")
    similarity = centres @ centres.T
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    pairs = [(similarity[a, b], a, b) for a in range(len(ids)) for b in range(a + 1, len(ids))
             if {dominant[a], dominant[b]} == {"fa", "en"} and similarity[a, b] >= threshold]
    merged = labels.copy()
    # Best pairs first; each cluster joins at most one partner in the other language.
    used: set[int] = set()
    for _, a, b in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if a in used or b in used:
            continue
        used.update((a, b))
        parent[root(b)] = root(a)
    for index, theme in enumerate(ids):
        merged[labels == theme] = ids[root(index)]
    return merged


def limit_themes(vectors: np.ndarray, labels: np.ndarray, max_themes: int) -> np.ndarray:
    """Merge clusters (average linkage on their centres) until at most `max_themes`."""
    from sklearn.cluster import AgglomerativeClustering

    ids = sorted(set(labels.tolist()) - {OUTLIER})
    if len(ids) <= max(max_themes, 1):
        return labels
    groups = AgglomerativeClustering(n_clusters=max_themes, metric="cosine",
                                     linkage="average").fit_predict(
        centroids(vectors, labels, ids))
    merged = labels.copy()
    for group in range(max_themes):
        members = [ids[i] for i in np.flatnonzero(groups == group)]
        # The group keeps its largest cluster's label, so nothing depends on group order.
        keep = max(members, key=lambda c: ((labels == c).sum(), -c))
        merged[np.isin(labels, members)] = keep
    return merged


# ---------------------------------------------------------------- ids


def _match_previous(centres: np.ndarray, previous: ThemeModel | None,
                    claimed: set[int], threshold: float) -> list[int | None]:
    """Previous id for each new centre (None: new theme). Several new clusters may take one
    previous id: a theme that fell apart in this run is kept whole, so ids stay meaningful."""
    if previous is None or not len(previous.theme_ids_) or not len(centres):
        return [None] * len(centres)
    free = [k for k, i in enumerate(previous.theme_ids_) if i not in claimed]
    if not free:
        return [None] * len(centres)
    similarity = centres @ previous.centres_[free].T
    best = similarity.argmax(axis=1)
    return [previous.theme_ids_[free[b]] if similarity[row, b] >= threshold else None
            for row, b in enumerate(best)]



# ---------------------------------------------------------------- seeds in a fit


def _phrase_sets_if_needed(documents: Sequence[str], tokenizer: ThemeTokenizer,
                           seeds: Sequence[SeedTheme], curation: Curation) -> list[set[str]]:
    # Keyword matching needs every segment's phrases: only tokenize when something asks.
    needs_keywords = bool(seeds or curation.seeds or curation.split)
    return _phrase_sets(documents, tokenizer) if needs_keywords else []


def _seed_step(vectors: np.ndarray, documents: Sequence[str], phrase_sets: list[set[str]],
               tokenizer: ThemeTokenizer, seeds: Sequence[SeedTheme], curation: Curation,
               previous: ThemeModel | None, means: dict[str, np.ndarray],
               encode: Encoder | None, settings: ThemeSettings,
               ) -> tuple[list[Theme], np.ndarray]:
    """Seed themes (config, curation file, pinned earlier) and per segment the index of
    the seed it joins (-1: none)."""
    n = len(vectors)
    all_seeds = [*seeds, *(s for s in curation.seeds if s.name not in {x.name for x in seeds})]
    seed_themes: list[Theme] = []
    anchors, seed_centres = [], []
    for seed in all_seeds:
        anchor = keyword_matches(seed, phrase_sets, documents, tokenizer)
        described = _described_centre(seed, encode, means)
        if not anchor.any() and described is None:
            log.warning("seeded theme '%s' matches no segment; its keywords may need "
                        "other forms", seed.name)
            continue
        parts = [p for p in (normalize_rows(vectors[anchor].mean(axis=0, keepdims=True))[0]
                             if anchor.any() else None, described) if p is not None]
        anchors.append(anchor)
        seed_centres.append(np.mean(parts, axis=0))
        seed_themes.append(Theme(-1, "seeded", f"seed:{seed.name}", seed.label,
                                 keywords=seed.keywords))
    if previous is not None:
        for index, theme_id in enumerate(previous.theme_ids_):
            theme = previous.themes_[theme_id]
            if theme.pinned and theme.key not in {t.key for t in seed_themes}:
                anchors.append(np.zeros(n, dtype=bool))
                seed_centres.append(previous.centres_[index])
                seed_themes.append(replace(theme, origin="curated"))
    centres = (np.stack(seed_centres) / np.linalg.norm(np.stack(seed_centres), axis=1,
                                                       keepdims=True)
               if seed_centres else np.zeros((0, vectors.shape[1]), dtype=np.float32))
    seeded = _seed_assign(vectors, anchors, centres, settings.seed_similarity,
                          settings.seed_quantile)
    return seed_themes, seeded


def _place_seeds(seed_themes: list[Theme], seeded: np.ndarray,
                 previous: ThemeModel | None, next_id: int, themes: dict[int, Theme],
                 labels: np.ndarray) -> int:
    """Give seed themes their ids (a named theme keeps its earlier id) and their segments
    (where `seeded` says); returns the next free id."""
    known_keys = {t.key: i for i, t in (previous.themes_.items() if previous else ())
                  if t.key}
    for index, theme in enumerate(seed_themes):
        if theme.theme_id < 0:
            theme_id = known_keys.get(theme.key) if theme.key else None
            if theme_id is None:
                theme_id, next_id = next_id, next_id + 1
            theme.theme_id = theme_id
        themes[theme.theme_id] = theme
        labels[seeded == index] = theme.theme_id
    return next_id


# ---------------------------------------------------------------- incremental runs


def reuse_decision(previous: ThemeModel | None, dim: int, langs: Sequence[str],
                   keys: np.ndarray, setup: str, refit_fraction: float) -> tuple[bool, str]:
    """Whether the previous fit can be reused (its themes assigned rather than fitted
    again), and why or why not, in words for the run summary."""
    if previous is None:
        return False, "no previous theme state"
    if previous.segment_keys_ is None or previous.covered_ is None or not previous.setup_:
        return False, "the previous theme state does not record which segments it covered"
    if previous.setup_ != setup:
        return False, "encoder, theme settings, seeds or view changed since the previous fit"
    if previous.n_features_in_ != dim:
        return False, f"embedding size changed ({previous.n_features_in_} -> {dim})"
    if not len(previous.theme_ids_):
        return False, "the previous fit found no themes"
    groups, counts = np.unique(np.asarray(langs, dtype=object).astype(str),
                               return_counts=True)
    unseen = [str(g) for g, c in zip(groups, counts, strict=True)
              if c >= MIN_LANGUAGE_GROUP and str(g) not in previous.language_means_]
    if unseen:
        return False, f"language group '{unseen[0]}' has no centring mean in the previous fit"
    n = len(keys)
    uncovered = int((~np.isin(keys, previous.segment_keys_[previous.covered_])).sum())
    share = uncovered / n if n else 0.0
    words = (f"{uncovered} of {n} segments ({share:.1%}) not covered by the previous fit; "
             f"refit_fraction {refit_fraction:g}")
    return share <= refit_fraction, words


# ---------------------------------------------------------------- state files


def state_names(view: str = "themes") -> tuple[str, str]:
    """File names of a view's saved state: (JSON, safetensors)."""
    return f"{view}_model.json", f"{view}_model.safetensors"


def _label_dict(label: Label) -> dict[str, str] | None:
    values = {k: v for k, v in (("text", label.text), ("fa", label.fa), ("en", label.en)) if v}
    return values or None


def _language_groups(langs: Sequence[str] | np.ndarray) -> np.ndarray:
    return np.asarray(langs, dtype=object).astype(str)


# ---------------------------------------------------------------- the estimator


class ThemeModel:
    """Themes as one estimator, scikit-learn style: what shapes a fit is given once, to the
    constructor (settings, seeds, curation, the tokenizer for keyword matching, the
    encoder for seeds' examples, the view); `fit` sets the fitted attributes, `assign`
    labels other segments under them, `save(dir)` / `ThemeModel.load(dir)` keep them
    between runs. A fitted or loaded model is also the `previous` a later fit keeps its
    theme ids from (and may assign under, see `fit`).

    Fitted attributes (absent before `fit` or `load`):
    - `labels_`: each fitted segment's theme id (OUTLIER: unthemed);
    - `themes_`, `theme_ids_`, `centres_`: the themes with segments, their ids in order
      and their centres in the language-centred space;
    - `language_means_`: the mean embedding removed from each language group
      (`centred` applies them), `n_features_in_`: the embedding size;
    - `next_id_`, `aliases_` (merged-away id -> kept id): what keeps ids stable;
    - `segment_keys_`, `covered_`: per segment its hash (segment_keys) and whether the
      fit this state descends from covered it (None in states saved before they existed);
    - `method_` (ward, bertopic...), `setup_` (what the fit depends on besides the
      segments), `mode_` (fitted | assigned | loaded) and `reason_` (why), and
      `no_content_`: segments with nothing a theme could be about (`without_content`),
      always unthemed and outside the share `max_outlier_share` bounds.
    """

    labels_: np.ndarray
    themes_: dict[int, Theme]
    theme_ids_: list[int]
    centres_: np.ndarray
    language_means_: dict[str, np.ndarray]
    n_features_in_: int
    next_id_: int
    aliases_: dict[int, int]
    segment_keys_: np.ndarray | None
    covered_: np.ndarray | None
    method_: str
    setup_: str
    mode_: str
    reason_: str
    no_content_: int

    def __init__(self, settings: ThemeSettings | None = None, *,
                 seeds: Sequence[SeedTheme] = (), curation: Curation | None = None,
                 tokenizer: ThemeTokenizer | None = None, encode: Encoder | None = None,
                 view: str = "themes") -> None:
        self.settings = settings or ThemeSettings()
        self.seeds = tuple(seeds)
        self.curation = curation
        self.tokenizer = tokenizer or ThemeTokenizer()
        # `encode` (the run's own encoder) embeds seeds' examples and labels, so a seed
        # also finds segments that share none of its keywords; without it seeds are
        # keyword-anchored.
        self.encode = encode
        self.view = view

    # ------------------------------------------------------------ public API

    def fit(self, embeddings: np.ndarray, langs: Sequence[str], documents: Sequence[str], *,
            previous: ThemeModel | None = None, setup: str = "",
            refit_fraction: float | None = None) -> ThemeModel:
        """Fit themes on these segments (their encoder embeddings, language groups and
        texts); with `previous` (a fitted or loaded model) keep its theme ids. With
        `refit_fraction`, assign under `previous` instead when its fit covers all but
        that share of the segments under the same `setup` (reuse_decision); `mode_` and
        `reason_` say which and why."""
        if previous is not None:
            previous._check_fitted()
            if previous is self:  # its attributes are about to be replaced
                previous = copy.copy(self)
        vectors = np.asarray(embeddings, dtype=np.float32)
        groups = _language_groups(langs)
        keys = segment_keys(documents, groups.tolist())
        reuse, reason = False, ""
        if refit_fraction is not None:
            reuse, reason = reuse_decision(previous, int(vectors.shape[1]), langs, keys,
                                           setup, refit_fraction)
        if reuse:
            assert previous is not None  # reuse_decision says no without one
            self._assign_under(previous, vectors, groups, documents, keys)
        else:
            self._discover(vectors, groups, documents, keys, previous)
        self.reason_, self.setup_ = reason, setup
        return self

    def assign(self, embeddings: np.ndarray, langs: Sequence[str],
               documents: Sequence[str]) -> np.ndarray:
        """Theme ids for segments under the fitted state, without fitting: each segment the
        fit saw keeps its theme id; a new one joins a seed as in a fit, else its nearest
        discovered theme, by the rule a fit re-assigns outliers with; curation applies.
        The model's fitted attributes are left as they are."""
        self._check_fitted()
        vectors = np.asarray(embeddings, dtype=np.float32)
        groups = _language_groups(langs)
        other = self._unfitted_copy()
        other._assign_under(self, vectors, groups, documents,
                            segment_keys(documents, groups.tolist()))
        return other.labels_

    def centred(self, embeddings: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        """Segment embeddings in the space the theme centres live in: minus the fit's mean
        of their language group, L2-normalised (what `fit` clustered)."""
        self._check_fitted()
        return center_languages(np.asarray(embeddings, dtype=np.float32),
                                _language_groups(langs), self.language_means_)

    def state_files(self, labels_text: dict[int, Label]) -> tuple[bytes, dict[str, Any]]:
        """The fitted state as the run directory holds it: safetensors bytes (theme
        centres, language means, the segments' keys) and JSON; `labels_text` are the
        themes' shown names (voc.themes.describe.labels_for_state)."""
        from safetensors.numpy import save

        self._check_fitted()
        ids, centres = self.theme_ids_, self.centres_
        languages = sorted(self.language_means_)
        tensors = {
            "centroids": np.ascontiguousarray(centres, dtype=np.float32),
            "language_means": np.ascontiguousarray(
                np.stack([self.language_means_[lang] for lang in languages]) if languages
                else np.zeros((0, centres.shape[1] if centres.ndim == 2 else 0)),
                dtype=np.float32),
        }
        if self.segment_keys_ is not None and self.covered_ is not None:
            tensors["segment_keys"] = np.ascontiguousarray(self.segment_keys_, dtype=np.uint64)
            tensors["segment_labels"] = np.ascontiguousarray(self.labels_, dtype=np.int64)
            tensors["segment_fitted"] = np.ascontiguousarray(self.covered_, dtype=np.uint8)
        document = {
            "format": STATE_FORMAT,
            "dim": self.n_features_in_,
            "method": self.method_,
            "setup": self.setup_,
            # How many of the segments the fit this state descends from covered: the next
            # run assigns rather than fits while few segments lie outside it.
            "n_fitted": int(self.covered_.sum()) if self.covered_ is not None else None,
            "n_segments": len(self.labels_),
            "next_id": self.next_id_,
            "languages": languages,
            "aliases": {str(k): v for k, v in sorted(self.aliases_.items())},
            # The naming rules the labels below were chosen by (a later run keeps them only
            # under the same rules).
            "naming": naming_version(),
            "themes": [
                {"theme_id": i, "origin": self.themes_[i].origin, "key": self.themes_[i].key,
                 "pinned": self.themes_[i].pinned, "keywords": list(self.themes_[i].keywords),
                 "label": labels_text[i].text, "label_fa": labels_text[i].fa,
                 "label_en": labels_text[i].en,
                 "curated_label": _label_dict(self.themes_[i].label)}
                for i in ids
            ],
        }
        return save(tensors), document

    def save(self, directory: str | Path, labels_text: dict[int, Label] | None = None
             ) -> tuple[Path, Path]:
        """Write the state (this view's JSON and safetensors) into `directory`; labels are
        the themes' shown names (voc.themes.describe.labels_for_state), else none."""
        from voc.io.writers import atomic_write, write_json

        self._check_fitted()
        folder = Path(directory).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        labels = labels_text or {}
        tensors, document = self.state_files({i: labels.get(i, Label()) for i in self.themes_})
        json_name, tensor_name = state_names(self.view)
        atomic_write(folder / tensor_name, lambda stream: stream.write(tensors))
        write_json(folder / json_name, document)
        return folder / json_name, folder / tensor_name

    @classmethod
    def load(cls, path: str | Path, view: str = "themes",
             settings: ThemeSettings | None = None, **params: Any) -> ThemeModel:
        """A model holding the state an earlier run (or `save`) wrote for `view` (`path`:
        its directory or the state's JSON file), ready to `assign` or to keep ids stable
        as the `previous` of a later fit. States saved before segment coverage was
        recorded load without it (`segment_keys_` None): they keep ids, never assign."""
        from safetensors.numpy import load_file

        json_name, tensor_name = state_names(view)
        path = Path(path).expanduser()
        json_path = path / json_name if path.is_dir() else path
        tensor_path = json_path.with_name(tensor_name)
        if not json_path.is_file() or not tensor_path.is_file():
            raise ConfigError(f"no saved themes at {path}: expected {json_name} and "
                              f"{tensor_name} from an earlier 'voc analyze' run")
        try:
            document = json.loads(json_path.read_text(encoding="utf-8"))
            tensors = load_file(str(tensor_path))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"saved themes at {path} cannot be read: {exc}") from exc
        if document.get("format") != STATE_FORMAT:
            raise ConfigError(f"{json_path} is not a voc themes state ({STATE_FORMAT})")
        themes = {}
        same_naming = document.get("naming") == naming_version()
        for entry in document["themes"]:
            curated = entry.get("curated_label") or {}
            shown = Label(entry.get("label"), entry.get("label_fa"), entry.get("label_en"))
            themes[entry["theme_id"]] = Theme(
                entry["theme_id"], entry["origin"], entry.get("key"),
                Label(curated.get("text"), curated.get("fa"), curated.get("en")),
                bool(entry.get("pinned")), tuple(entry.get("keywords") or ()),
                shown if same_naming and (shown.fa or shown.en) else None)
        centres = tensors["centroids"]
        if len(themes) != len(centres):
            raise ConfigError(f"saved themes at {path} are inconsistent: "
                              f"{len(themes)} themes, {len(centres)} centres")
        languages = list(document.get("languages") or [])
        means = tensors.get("language_means")
        keys = tensors.get("segment_keys")
        labels = tensors.get("segment_labels")
        covered = tensors.get("segment_fitted")
        complete = (keys is not None and labels is not None and covered is not None
                    and len(keys) == len(labels) == len(covered)
                    and means is not None and len(means) == len(languages))
        model = cls(settings, view=view, **params)
        model.theme_ids_ = [e["theme_id"] for e in document["themes"]]
        model.centres_ = centres
        model.themes_ = themes
        model.next_id_ = int(document["next_id"])
        model.aliases_ = {int(k): int(v) for k, v in document["aliases"].items()}
        # (`complete` includes `means is not None`; restated for mypy)
        model.language_means_ = (dict(zip(languages, means, strict=True))
                                 if complete and means is not None else {})
        model.n_features_in_ = int(document.get("dim") or 0)
        model.method_ = str(document.get("method") or "")
        model.setup_ = str(document.get("setup") or "") if complete else ""
        model.segment_keys_ = keys if complete else None
        model.labels_ = labels if complete and labels is not None \
            else np.zeros(0, dtype=np.int64)
        model.covered_ = covered.astype(bool) if complete and covered is not None else None
        model.mode_, model.reason_, model.no_content_ = "loaded", f"loaded from {path}", 0
        return model

    def extended(self, documents: Sequence[str], langs: Sequence[str],
                 labels: np.ndarray) -> ThemeModel:
        """A copy of this model whose segments are these, with theme ids assigned under it
        elsewhere (the Ray engine's batches): what a later fit keeps, while `covered_`
        still says which of them the fit itself saw."""
        self._check_fitted()
        assert self.segment_keys_ is not None and self.covered_ is not None
        keys = segment_keys(documents, _language_groups(langs).tolist())
        other = copy.copy(self)
        other.segment_keys_, other.labels_ = keys, np.asarray(labels, dtype=np.int64)
        other.covered_ = np.isin(keys, self.segment_keys_[self.covered_])
        return other

    # ------------------------------------------------------------ internals

    def _check_fitted(self) -> None:
        if not hasattr(self, "theme_ids_"):
            raise ValueError("this ThemeModel is not fitted yet: call fit() or load() first")

    def _unfitted_copy(self) -> ThemeModel:
        """The same parameters, no fitted attributes (scikit-learn's clone)."""
        return ThemeModel(self.settings, seeds=self.seeds, curation=self.curation,
                          tokenizer=self.tokenizer, encode=self.encode, view=self.view)

    def _seeds_under(self, embeddings: np.ndarray, groups: np.ndarray,
                     documents: Sequence[str], means: dict[str, np.ndarray], curation: Curation,
                     previous: ThemeModel | None) -> tuple[np.ndarray, Any, Any, np.ndarray]:
        """The vectors centred with `means`, the phrase sets seeds need, and the seed step's
        themes and per-segment seed (a fit and an assignment start the same way)."""
        vectors = center_languages(embeddings, groups, means)
        phrase_sets = _phrase_sets_if_needed(documents, self.tokenizer, self.seeds, curation)
        seed_themes, seeded = _seed_step(vectors, documents, phrase_sets, self.tokenizer,
                                         self.seeds, curation, previous, means, self.encode,
                                         self.settings)
        return vectors, phrase_sets, seed_themes, seeded

    def _discover(self, embeddings: np.ndarray, groups: np.ndarray, documents: Sequence[str],
                  keys: np.ndarray, previous: ThemeModel | None) -> None:
        """A fit: seeds first, discovery for the rest, then ids and curation."""
        settings, curation = self.settings, self.curation or Curation()
        means = language_means(embeddings, groups)
        # 1. Seeds from the config and curation file, and themes pinned in an earlier run.
        vectors, phrase_sets, seed_themes, seeded = self._seeds_under(
            embeddings, groups, documents, means, curation, previous)
        n = len(vectors)

        # 2. Discovery on everything no seed claimed that has something to be about.
        empty = without_content(documents, self.tokenizer)
        rest = np.flatnonzero((seeded < 0) & ~empty)
        local, method = cluster(vectors[rest], [documents[i] for i in rest.tolist()],
                                [str(x) for x in groups[rest]], settings.cluster)
        local = merge_across_languages(vectors[rest], local, groups[rest],
                                       settings.cross_lingual_merge)
        local = limit_themes(vectors[rest], local, settings.max_themes)

        # 3. Ids: named themes by name, discovered ones by their closest previous theme.
        next_id = previous.next_id_ if previous else 0
        themes: dict[int, Theme] = {}
        labels = np.full(n, OUTLIER, dtype=np.int64)
        next_id = _place_seeds(seed_themes, seeded, previous, next_id, themes, labels)
        cluster_ids = sorted(set(local.tolist()) - {OUTLIER},
                             key=lambda c: (-(local == c).sum(), int(np.argmax(local == c))))
        matches = _match_previous(centroids(vectors[rest], local, cluster_ids), previous,
                                  set(themes), settings.match_similarity)
        for cluster_id, match in zip(cluster_ids, matches, strict=True):
            if match is None:
                match, next_id = next_id, next_id + 1
                themes[match] = Theme(match, "discovered")
            elif match not in themes:
                old = previous.themes_[match] if previous else Theme(match, "discovered")
                themes[match] = replace(old, origin="discovered" if old.origin != "curated"
                                        else "curated")
            labels[rest[local == cluster_id]] = match

        self.labels_, self.themes_, self.next_id_ = labels, themes, next_id
        self.aliases_ = dict(previous.aliases_) if previous else {}
        self.language_means_, self.method_ = means, method
        self.segment_keys_, self.covered_ = keys, np.ones(n, dtype=bool)
        self.mode_, self.no_content_ = "fitted", int(empty.sum())
        self._curate(curation, documents, phrase_sets)
        self._keep_themes_with_segments(vectors)

    def _assign_under(self, previous: ThemeModel, embeddings: np.ndarray, groups: np.ndarray,
                      documents: Sequence[str], keys: np.ndarray) -> None:
        """Themes without fitting, under `previous`: each segment it saw keeps its theme id;
        a new one joins a seed as in a fit, else its nearest previous discovered theme, by
        the rule a fit re-assigns outliers with (`outlier_similarity`, lowered towards
        `outlier_floor` until at most `max_outlier_share` of the new segments stay
        unthemed). Vectors are centred with the previous fit's language means, the space
        its centres live in."""
        if previous.segment_keys_ is None or previous.covered_ is None:
            raise ValueError("this theme state does not record the segments its fit saw "
                             "(saved by an older voc): fit again to assign under it")
        settings, curation = self.settings, self.curation or Curation()
        means = previous.language_means_
        vectors, phrase_sets, seed_themes, seeded = self._seeds_under(
            embeddings, groups, documents, means, curation, previous)
        n = len(vectors)

        themes: dict[int, Theme] = {}
        labels = np.full(n, OUTLIER, dtype=np.int64)
        next_id = _place_seeds(seed_themes, seeded, previous, previous.next_id_, themes,
                               labels)
        # Segments seen before keep their ids, whatever the seeds say this time.
        seen = dict(zip(previous.segment_keys_.tolist(), previous.labels_.tolist(),
                        strict=True))
        known = np.fromiter((k in seen for k in keys.tolist()), dtype=bool, count=n)
        labels[known] = [seen[k] for k in keys[known].tolist()]
        # New segments no seed claimed: nearest discovered theme (seeds, pins and splits
        # are placed by their own rules above and in _curate).
        candidates = [k for k, i in enumerate(previous.theme_ids_)
                      if not previous.themes_[i].pinned
                      and not (previous.themes_[i].key or "").startswith(("seed:", "split:"))]
        empty = without_content(documents, self.tokenizer)
        rest = np.flatnonzero(~known & (seeded < 0) & ~empty)
        if len(rest) and candidates:
            centres = previous.centres_[candidates]
            best = (vectors[rest] @ centres.T).max(axis=1)
            threshold = assignment_threshold(best, settings.cluster)
            labels[rest] = assign_nearest(vectors[rest], centres,
                                          [previous.theme_ids_[k] for k in candidates],
                                          threshold)
        for theme_id in sorted(set(labels.tolist()) - {OUTLIER} - set(themes)):
            themes[theme_id] = replace(previous.themes_.get(theme_id,
                                                            Theme(theme_id, "discovered")))

        self.labels_, self.themes_, self.next_id_ = labels, themes, next_id
        self.aliases_ = dict(previous.aliases_)
        self.language_means_, self.method_ = dict(means), previous.method_
        self.segment_keys_ = keys
        self.covered_ = np.isin(keys, previous.segment_keys_[previous.covered_])
        self.mode_, self.no_content_ = "assigned", int(empty.sum())
        self._curate(curation, documents, phrase_sets)
        self._keep_themes_with_segments(vectors)

    def _curate(self, curation: Curation, documents: Sequence[str],
                phrase_sets: Sequence[set[str]]) -> None:
        """Merge, split, rename and pin themes as the researcher's file says, in that
        order."""
        labels, themes, aliases = self.labels_, self.themes_, self.aliases_

        def resolve(theme_id: int) -> int:
            while theme_id in aliases:
                theme_id = aliases[theme_id]
            return theme_id

        for group in curation.merge:
            keep = resolve(group[0])
            for other in (resolve(t) for t in group[1:]):
                if other == keep or other not in themes:
                    continue
                labels[labels == other] = keep
                aliases[other] = keep
                del themes[other]
                if keep in themes:
                    themes[keep].origin = "curated"
        known_keys = {t.key: i for i, t in themes.items() if t.key}
        for split in curation.split:
            source = resolve(split.theme)
            members = np.flatnonzero(labels == source)
            for part in split.into:
                key = f"split:{part.name}"
                hit = keyword_matches(part, [phrase_sets[i] for i in members.tolist()],
                                      [documents[i] for i in members.tolist()],
                                      self.tokenizer)
                theme_id = known_keys.get(key)
                if theme_id is None:
                    theme_id, self.next_id_ = self.next_id_, self.next_id_ + 1
                themes[theme_id] = Theme(theme_id, "curated", key, part.label,
                                         keywords=part.keywords)
                labels[members[hit]] = theme_id
                members = members[~hit]
        for theme_id, label in curation.rename.items():
            theme = themes.get(resolve(theme_id))
            if theme is None:
                log.warning("themes curation renames theme %d, which this run does not have",
                            theme_id)
                continue
            theme.label, theme.origin = label, "curated"
        for theme_id in curation.pin:
            theme = themes.get(resolve(theme_id))
            if theme is not None:
                theme.pinned, theme.origin = True, "curated"

    def _keep_themes_with_segments(self, vectors: np.ndarray) -> None:
        """Themes emptied by merges and splits (or seeds nobody matched) are not themes;
        the rest get their centres, in id order."""
        ids = [i for i in sorted(self.themes_) if (self.labels_ == i).any()]
        self.theme_ids_ = ids
        self.themes_ = {i: self.themes_[i] for i in ids}
        self.centres_ = centroids(vectors, self.labels_, ids)
        self.n_features_in_ = int(vectors.shape[1]) if vectors.ndim == 2 else 0
