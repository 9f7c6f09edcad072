"""Clustering segment embeddings into themes: language-neutral, deterministic, any size.

Multilingual encoders place a Persian and an English complaint about late delivery
closer to other texts *in the same language* than to each other: BERTopic on the raw
embeddings of the sample data made 47 topics of which 9 held both languages. Subtracting
each language's mean embedding (and re-normalising) removes that shared language
direction and leaves the topic: on the same data 57 of 65 topics then held both.

Sizes: HDBSCAN needs a few hundred points to find density; below `small_input` segments
Ward clustering with about sqrt(n/2) clusters is used instead. Above `max_fit` segments
the model is fitted on a stratified sample and the rest assigned to the nearest theme.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from voc.pipeline.settings import ThemesSettings

log = logging.getLogger(__name__)

OUTLIER = -1
# A language needs this many segments for its own mean; rarer ones ("mixed", "other")
# are centred on the average of the frequent languages' means.
MIN_LANGUAGE_GROUP = 20


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def language_means(embeddings: np.ndarray, langs: Sequence[str] | np.ndarray,
                   ) -> dict[str, np.ndarray]:
    """Mean embedding per language with enough segments (the language signal)."""
    langs_array = np.asarray(langs)
    means = {}
    for lang in sorted(set(langs_array.tolist())):
        mask = langs_array == lang
        if mask.sum() >= MIN_LANGUAGE_GROUP:
            means[lang] = embeddings[mask].mean(axis=0)
    if not means and len(embeddings):
        means["*"] = embeddings.mean(axis=0)
    return means


def center_languages(embeddings: np.ndarray, langs: Sequence[str] | np.ndarray,
                     means: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Embeddings minus their language's mean, L2-normalised: topic without language."""
    if not len(embeddings):
        return embeddings.astype(np.float32)
    means = means if means is not None else language_means(embeddings, langs)
    fallback = np.mean(np.stack(list(means.values())), axis=0)
    centred = embeddings.astype(np.float32, copy=True)
    langs_array = np.asarray(langs)
    for lang in sorted(set(langs_array.tolist())):
        centred[langs_array == lang] -= means.get(lang, fallback)
    return normalize_rows(centred).astype(np.float32)


def centroids(vectors: np.ndarray, labels: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """L2-normalised mean vector of each cluster in `ids` order."""
    return normalize_rows(np.stack([vectors[labels == i].mean(axis=0) for i in ids])) \
        if len(ids) else np.zeros((0, vectors.shape[1]), dtype=np.float32)


def stratified_sample(strata: Sequence[str], size: int, seed: int,
                      minimum: int = 1) -> np.ndarray:
    """Sorted indices of a proportional sample of `size`, every stratum represented by at
    least `minimum` members (all of a smaller one)."""
    strata_array = np.asarray(strata)
    rng = np.random.default_rng(seed)
    total = len(strata_array)
    chosen = []
    for stratum in sorted(set(strata_array.tolist())):
        members = np.flatnonzero(strata_array == stratum)
        take = max(minimum, round(size * len(members) / total))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def min_cluster_size(n: int) -> int:
    """HDBSCAN's smallest theme: ~10 at 500 segments, ~50 at 10k, ~110 at 50k."""
    return max(8, round(0.5 * n ** 0.5))


@dataclass(frozen=True)
class ClusterSettings:
    # The knobs the config always sets take their defaults from it (ThemesSettings); the
    # ones it leaves unset (None) are defined here only.
    random_state: int = ThemesSettings.model_fields["random_state"].default
    small_input: int = 300
    max_fit: int = ThemesSettings.model_fields["max_fit"].default
    min_cluster_size: int | None = None
    umap_neighbors: int = 15
    umap_components: int = 5
    # Each segment's nearest segments of other languages, added to its umap_neighbors
    # (see exact_cosine_knn, approximate_cosine_knn). The default is the config's.
    cross_lingual_neighbors: int = ThemesSettings.model_fields["cross_lingual_neighbors"].default
    # Outliers join their nearest theme when at least this similar to its centre...
    outlier_similarity: float = 0.35
    # ...and the threshold is lowered, down to `outlier_floor`, until at most this share
    # of segments stays unthemed.
    max_outlier_share: float = ThemesSettings.model_fields["max_outlier_share"].default
    outlier_floor: float = 0.1
    # A theme larger than this share of the segments is split by re-selecting clusters.
    max_theme_share: float = 0.4


def ward_clusters(vectors: np.ndarray) -> np.ndarray:
    """Small inputs: Ward clustering into ~sqrt(n/2) themes (no outliers)."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(vectors)
    if n < 4:
        return np.zeros(n, dtype=np.int64)
    k = int(np.clip(round((n / 2) ** 0.5), 2, 12))
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(vectors) \
        .astype(np.int64)


# Below this many points UMAP computes all pairwise distances itself, through scikit-learn
# with its numba metric as a Python callable (one call per pair: 11 s for 1,600 segments);
# the same exact neighbours come from one matrix product here. Above it UMAP's NN-descent
# is used as before.
EXACT_KNN_LIMIT = 4096


def cross_language_width(groups: Sequence[str] | np.ndarray | None, wanted: int) -> int:
    """How many other-language neighbours each segment gets: `wanted`, fewer when some
    language has fewer segments outside it, none in a run of one language."""
    if groups is None or wanted <= 0:
        return 0
    group_array = np.asarray(groups)
    names, counts = np.unique(group_array, return_counts=True)
    if len(names) < 2:
        return 0
    return min(wanted, len(group_array) - int(counts.max()))


def exact_cosine_knn(vectors: np.ndarray, k: int,
                     groups: Sequence[str] | np.ndarray | None = None, cross: int = 0,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `k` nearest rows by cosine distance (itself first), as UMAP's exact
    small-data path finds them: distances in float64, ties kept in index order.

    With language `groups` and `cross` > 0, each row also keeps its `cross` nearest rows
    of other languages (see `cross_language_width`), so rows have k + cross neighbours,
    sorted by distance: the other-language ones it already had among its k nearest are
    made up by its next nearest rows. Even language-centred, a segment's nearest
    neighbours are nearly all in its own language (an English sentence about price has
    English sentences about food nearer than Persian ones about price), so UMAP's graph
    has almost no edge between languages and HDBSCAN finds one theme per language and
    topic; the guaranteed edges let same-topic segments of both languages meet."""
    cross = cross_language_width(groups, cross)
    width = min(k + cross, len(vectors))
    data = vectors.astype(np.float64)
    norms = np.linalg.norm(data, axis=1)
    unit = data / np.where(norms > 0, norms, 1.0)[:, None]
    codes = np.unique(np.asarray(groups), return_inverse=True)[1] if cross else None
    indices = np.empty((len(data), width), dtype=np.int32)
    distances = np.empty((len(data), width), dtype=np.float32)
    for start in range(0, len(data), 1024):  # bounded memory: 1024 x n at a time
        block = np.clip(1.0 - unit[start: start + 1024] @ unit.T, 0.0, 2.0)
        rows = np.arange(len(block))
        block[rows, start + rows] = 0.0
        order = np.argsort(block, axis=1, kind="stable")
        if codes is None:
            nearest = order[:, :k]
        else:
            # In distance order: the first `cross` other-language rows come first, then
            # the nearest rows; the `width` chosen go back into distance order.
            other = codes[order] != codes[start + rows][:, None]
            priority = np.where(other & (np.cumsum(other, axis=1) <= cross), -1,
                                np.arange(len(data))[None, :])
            chosen = np.sort(np.argsort(priority, axis=1, kind="stable")[:, :width], axis=1)
            nearest = np.take_along_axis(order, chosen, axis=1)
        indices[start: start + 1024] = nearest
        distances[start: start + 1024] = np.take_along_axis(block, nearest, axis=1)
    return indices, distances


def other_language_neighbors(vectors: np.ndarray, groups: Sequence[str] | np.ndarray,
                             cross: int, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `cross` nearest rows of other languages, exactly, with their cosine
    distances, nearest first (ties: lower index first): per language, blocks of its rows
    times the rest."""
    unit = normalize_rows(vectors.astype(np.float32))
    codes = np.unique(np.asarray(groups), return_inverse=True)[1]
    indices = np.empty((len(unit), cross), dtype=np.int32)
    distances = np.empty((len(unit), cross), dtype=np.float32)
    for code in np.unique(codes):
        own, others = np.flatnonzero(codes == code), np.flatnonzero(codes != code)
        pool = unit[others]
        for start in range(0, len(own), block):
            rows = own[start: start + block]
            similarity = unit[rows] @ pool.T
            # A few neighbours: successive maxima beat a partition of the whole row.
            part = np.empty((len(rows), cross), dtype=np.int64)
            best = np.empty((len(rows), cross), dtype=np.float32)
            for column in range(cross):
                part[:, column] = similarity.argmax(axis=1)
                best[:, column] = similarity[np.arange(len(rows)), part[:, column]]
                similarity[np.arange(len(rows)), part[:, column]] = -np.inf
            indices[rows] = others[part]
            distances[rows] = np.clip(1.0 - best, 0.0, 2.0)
    return indices, distances


def approximate_cosine_knn(vectors: np.ndarray, k: int, groups: Sequence[str] | np.ndarray,
                           cross: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """exact_cosine_knn for inputs too large for it: the ordinary neighbours from UMAP's
    own NN-descent (as UMAP finds them without help, k + cross of them, so there are rows
    to make up the other-language ones already among the k nearest), the other-language
    ones exact (other_language_neighbors)."""
    from sklearn.utils import check_random_state
    from umap.umap_ import nearest_neighbors

    cross = cross_language_width(groups, cross)
    width = min(k + cross, len(vectors))
    ordinary, ordinary_distances, _ = nearest_neighbors(
        vectors, width, "cosine", {}, True, check_random_state(random_state),
        low_memory=True, use_pynndescent=True, n_jobs=1)
    if not cross:
        return ordinary[:, :k].astype(np.int32), ordinary_distances[:, :k].astype(np.float32)
    across, across_distances = other_language_neighbors(vectors, groups, cross)
    # Candidates in priority order: the other-language ones, then the ordinary ones in
    # distance order, each row's duplicates (and NN-descent's -1 gaps) last.
    candidates = np.concatenate([across, ordinary], axis=1)
    candidate_distances = np.concatenate([across_distances, ordinary_distances], axis=1)
    repeated = (ordinary[:, :, None] == across[:, None, :]).any(axis=2) | (ordinary < 0)
    priority = np.concatenate([np.full(across.shape, -1),
                               np.where(repeated, len(vectors) + width,
                                        np.arange(width)[None, :])], axis=1)
    chosen = np.argsort(priority, axis=1, kind="stable")[:, :width]
    chosen = np.take_along_axis(chosen, np.argsort(
        np.take_along_axis(candidate_distances, chosen, axis=1), axis=1, kind="stable"),
        axis=1)
    return (np.take_along_axis(candidates, chosen, axis=1).astype(np.int32),
            np.take_along_axis(candidate_distances, chosen, axis=1).astype(np.float32))


# UMAP's and NN-descent's numba functions that are compiled on first use in every process
# (UMAP's: 20 s of a 48 s themes stage on the sample data; NN-descent's, used from 4,096
# segments: 35 s of an 80 s stage on 19,442 segments, for 1.3 s of search), and that
# neither package caches on disk itself.
_UMAP_MODULES = ("umap.umap_", "umap.layouts", "umap.utils", "umap.distances",
                 "umap.sparse", "umap.spectral", "pynndescent.pynndescent_",
                 "pynndescent.utils", "pynndescent.graph_utils", "pynndescent.rp_trees",
                 "pynndescent.distances", "pynndescent.sparse", "pynndescent.sparse_nndescent")
# numba cannot cache these (they use dynamic globals); asked to, it warns on every compile.
_UNCACHEABLE = frozenset({"nn_descent", "nn_descent_internal"})


@lru_cache(maxsize=1)
def umap_class() -> type:
    """UMAP, with its numba functions' machine code cached under voc's cache root
    (`$NUMBA_CACHE_DIR` when set), so only the first process pays for compiling them.
    numba checks each cached entry against its source file and the CPU, so an upgraded
    UMAP or another machine compiles afresh."""
    import importlib

    import numba
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher
    from umap import UMAP

    from voc.encoder.cache import cache_root

    # Only functions without a cache of their own are pointed at voc's folder (a cache's
    # folder is fixed when it is made); pynndescent's cached ones keep theirs.
    # numba's config sets its settings (CACHE_DIR among them) at run time, out of its
    # type information's sight.
    config: Any = numba.config
    before = config.CACHE_DIR
    if not os.environ.get("NUMBA_CACHE_DIR"):
        config.CACHE_DIR = str(cache_root() / "numba")
    try:
        for name in _UMAP_MODULES:
            module = importlib.import_module(name)
            for key, value in vars(module).items():
                if (isinstance(value, Dispatcher) and key not in _UNCACHEABLE
                        # set in Dispatcher.__init__, which numba's stubs do not describe
                        and isinstance(value._cache, NullCache)):  # type: ignore[attr-defined]
                    value.enable_caching()
    finally:
        config.CACHE_DIR = before
    return UMAP


class FittedReduction:
    """A dimensionality reduction already computed, in the form BERTopic calls."""

    def __init__(self, embedding: np.ndarray) -> None:
        self.embedding_ = embedding

    def fit(self, vectors: np.ndarray, y: Any = None) -> FittedReduction:
        return self

    def fit_transform(self, vectors: np.ndarray, y: Any = None) -> np.ndarray:
        return self.embedding_

    def transform(self, vectors: np.ndarray) -> np.ndarray:
        return self.embedding_


def bertopic_clusters(vectors: np.ndarray, documents: Sequence[str],
                      settings: ClusterSettings, strata: Sequence[str] | None = None,
                      ) -> tuple[np.ndarray, float]:
    """UMAP + HDBSCAN through BERTopic on precomputed vectors (no encoder is loaded), with
    outliers re-assigned; returns labels and the similarity threshold that re-assigned them.
    `strata` are the segments' languages (for cross-language neighbours)."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    from voc.themes.ctfidf import topic_word_models

    umap_type = umap_class()

    n = len(vectors)
    size = settings.min_cluster_size or min_cluster_size(n)
    neighbors = min(settings.umap_neighbors, n - 1)
    knn: tuple[np.ndarray, np.ndarray] | None = None
    if n < EXACT_KNN_LIMIT:
        knn = exact_cosine_knn(vectors, neighbors, strata, settings.cross_lingual_neighbors)
    elif cross_language_width(strata, settings.cross_lingual_neighbors):
        # Larger inputs: UMAP's NN-descent finds the ordinary neighbours as it would on its
        # own; a run of one language leaves it all to UMAP as before.
        knn = approximate_cosine_knn(vectors, neighbors, strata or [],
                                     settings.cross_lingual_neighbors, settings.random_state)
    if knn is not None:
        neighbors = knn[0].shape[1]  # with the cross-language ones
    # HDBSCAN's default "excess of mass" selection can keep one cluster holding most of a
    # homogeneous set (all pain points: 87% in one theme on the sample data); "leaf"
    # selection then splits it into the topics inside.
    umap_model: Any = umap_type(
        n_neighbors=neighbors, n_components=settings.umap_components, min_dist=0.0,
        metric="cosine", random_state=settings.random_state, n_jobs=1, low_memory=True,
        precomputed_knn=(*knn, None) if knn else (None, None, None))
    for selection in ("eom", "leaf"):
        hdbscan_model = HDBSCAN(min_cluster_size=size, min_samples=max(2, size // 3),
                                metric="euclidean", cluster_selection_method=selection,
                                prediction_data=False)
        # embedding_model=None with embeddings passed: BERTopic never loads a model.
        topic_model = BERTopic(embedding_model=None, umap_model=umap_model,
                               hdbscan_model=hdbscan_model,
                               # Its topic words (unused: voc names themes itself)
                               # from the segments' own words.
                               **topic_word_models(),
                               language="multilingual",
                               calculate_probabilities=False, low_memory=True, verbose=False)
        with warnings.catch_warnings():
            # "no search index: transform unavailable": voc never transforms new data
            # with this model (later segments are assigned to theme centres).
            warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
            topics, _ = topic_model.fit_transform(list(documents), embeddings=vectors)
        counts = np.bincount(np.asarray([t for t in topics if t != OUTLIER], dtype=np.int64))
        if not len(counts) or counts.max() <= settings.max_theme_share * n:
            break
        # Same input, same seed: the retry would get the same UMAP output, so reuse it.
        umap_model = FittedReduction(umap_model.embedding_)
    labels = np.asarray(topics, dtype=np.int64)
    threshold = settings.outlier_similarity
    if (labels == OUTLIER).any() and (labels != OUTLIER).any():
        threshold = outlier_threshold(vectors, labels, settings)
        # The same centres and similarity the threshold was computed from (BERTopic's
        # reduce_outliers compares with its own topic embeddings, so its count of
        # re-assigned outliers missed the target by a few segments).
        ids = sorted(set(labels.tolist()) - {OUTLIER})
        outliers = labels == OUTLIER
        labels[outliers] = assign_nearest(vectors[outliers], centroids(vectors, labels, ids),
                                          ids, threshold)
    return labels, threshold


def outlier_threshold(vectors: np.ndarray, labels: np.ndarray,
                      settings: ClusterSettings) -> float:
    """The similarity above which an outlier joins its nearest theme (see ClusterSettings)."""
    ids = sorted(set(labels.tolist()) - {OUTLIER})
    outliers = labels == OUTLIER
    best = (vectors[outliers] @ centroids(vectors, labels, ids).T).max(axis=1)
    allowed = int(settings.max_outlier_share * len(labels))
    if outliers.sum() <= allowed:
        return settings.outlier_similarity
    # The similarity of the outlier that must be re-assigned last to meet the target.
    needed = np.sort(best)[::-1][outliers.sum() - allowed - 1]
    return float(max(settings.outlier_floor, min(settings.outlier_similarity, needed)))


def assignment_threshold(best: np.ndarray, settings: ClusterSettings) -> float:
    """outlier_threshold for segments that all start unthemed: `best` is each one's
    similarity to its nearest theme centre."""
    allowed = int(settings.max_outlier_share * len(best))
    below = int((best < settings.outlier_similarity).sum())
    if below <= allowed:
        return settings.outlier_similarity
    needed = np.sort(best)[::-1][len(best) - allowed - 1]
    return float(max(settings.outlier_floor, min(settings.outlier_similarity, needed)))


def assign_nearest(vectors: np.ndarray, centres: np.ndarray, ids: Sequence[int],
                   threshold: float) -> np.ndarray:
    """Each vector's nearest centre's id, or OUTLIER when less similar than `threshold`."""
    if not len(ids):
        return np.full(len(vectors), OUTLIER, dtype=np.int64)
    labels = np.empty(len(vectors), dtype=np.int64)
    id_array = np.asarray(ids, dtype=np.int64)
    for start in range(0, len(vectors), 8192):  # bounded memory for 100k x themes
        similarity = vectors[start: start + 8192] @ centres.T
        best = similarity.argmax(axis=1)
        labels[start: start + 8192] = np.where(
            similarity[np.arange(len(best)), best] >= threshold, id_array[best], OUTLIER)
    return labels


def cluster(vectors: np.ndarray, documents: Sequence[str], strata: Sequence[str],
            settings: ClusterSettings) -> tuple[np.ndarray, str]:
    """Cluster labels (0..k-1, OUTLIER) for language-centred vectors, and the method used."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64), "none"
    if n < settings.small_input:
        return ward_clusters(vectors), "ward"
    if n <= settings.max_fit:
        return bertopic_clusters(vectors, documents, settings, strata)[0], "bertopic"
    sample = stratified_sample(strata, settings.max_fit, settings.random_state)
    sample_labels, _ = bertopic_clusters(vectors[sample], [documents[i] for i in sample],
                                         settings, [strata[i] for i in sample])
    ids = sorted(set(sample_labels.tolist()) - {OUTLIER})
    centres = centroids(vectors[sample], sample_labels, ids)
    labels = np.full(n, OUTLIER, dtype=np.int64)
    labels[sample] = sample_labels
    # The rest all start unthemed, unlike the sample's members whom HDBSCAN placed: the
    # sample's threshold (for its few outliers) left half of them unthemed.
    rest = np.setdiff1d(np.arange(n), sample)
    if ids and len(rest):
        best = np.concatenate([(vectors[rest[i: i + 8192]] @ centres.T).max(axis=1)
                               for i in range(0, len(rest), 8192)])
        labels[rest] = assign_nearest(vectors[rest], centres, ids,
                                      assignment_threshold(best, settings))
    return labels, "bertopic-sampled"
