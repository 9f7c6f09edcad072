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
    # (see cosine_knn). The default is the config's.
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


# Below this many points the similarities are computed in float64, as UMAP's own exact
# small-data path does (all pairwise distances, through scikit-learn with its numba
# metric as a Python callable: 11 s for 1,600 segments; one matrix product here). Above
# it in float32, at half the cost: the neighbours stay exact up to near-ties.
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


def _most_similar(similarity: Any, count: int, spare: int = 16) -> Any:
    """Each row's `count` largest similarities' columns; of equal values at the cut, the
    lowest columns, as a stable sort keeps them (duplicate texts tie exactly, and which
    of them is kept must not depend on the top-k kernel). Ties are settled among the
    `spare` next candidates; a row with a longer run of ties is settled over all of it."""
    import torch

    spare = min(spare, similarity.shape[1] - count)
    values, columns = torch.topk(similarity, count + spare, dim=1, sorted=True)
    if not spare:
        return columns
    cut = values[:, count - 1, None]
    columns = _in_order(similarity, columns)[:, :count]  # ties within the candidates
    longer = values[:, -1] == cut[:, 0]  # the run of ties may go on past them
    if bool(longer.any()):
        rows = similarity[longer]
        above = rows > cut[longer]
        at_cut = rows == cut[longer]
        needed = count - above.sum(dim=1, keepdim=True)
        keep = above | (at_cut & (at_cut.cumsum(dim=1) <= needed))
        columns[longer] = _in_order(rows, keep.nonzero()[:, 1].view(-1, count))
    return columns


def cosine_knn(vectors: np.ndarray, k: int, groups: Sequence[str] | np.ndarray | None = None,
               cross: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `k` nearest rows by cosine distance (itself first), exactly, sorted by
    distance with ties in index order, as UMAP's exact small-data path finds them.

    With language `groups` and `cross` > 0, each row also keeps its `cross` nearest rows
    of other languages (see `cross_language_width`), so rows have k + cross neighbours,
    sorted by distance: the other-language ones it already had among its k nearest are
    made up by its next nearest rows. Even language-centred, a segment's nearest
    neighbours are nearly all in its own language (an English sentence about price has
    English sentences about food nearer than Persian ones about price), so UMAP's graph
    has almost no edge between languages and HDBSCAN finds one theme per language and
    topic; the guaranteed edges let same-topic segments of both languages meet.

    Exact at every size, so UMAP never runs its NN-descent: that compiled ~18 s of numba
    code in every process (numba cannot cache it), for ~2 s of search, while these
    blocked matrix products take ~4 s for 19,442 segments and ~25 s for the largest
    fit (themes.max_fit, 50,000) on 2 cores."""
    import torch

    n = len(vectors)
    cross = cross_language_width(groups, cross)
    width = min(k + cross, n)
    dtype = torch.float64 if n < EXACT_KNN_LIMIT else torch.float32
    data = torch.from_numpy(np.ascontiguousarray(vectors)).to(dtype)
    unit = data / data.norm(dim=1, keepdim=True).clamp_min(1e-12)
    codes = (torch.from_numpy(np.unique(np.asarray(groups), return_inverse=True)[1])
             if cross else None)
    indices = np.empty((n, width), dtype=np.int32)
    distances = np.empty((n, width), dtype=np.float32)
    block = int(np.clip(2 ** 25 // max(n, 1), 64, 2048))  # ~128 MB of float32 at a time
    with torch.inference_mode():
        for start in range(0, n, block):
            stop = min(start + block, n)
            rows = torch.arange(stop - start)
            # Chosen and ordered on float32 similarities: duplicate texts then tie exactly
            # (in float64 the product's last bits depend on a column's place in the BLAS
            # kernel) and the tie goes to the lower index, on any machine. Above 1 is
            # rounding: distance 0, as UMAP clips it.
            similar = (unit[start:stop] @ unit.T).to(torch.float32).clamp_(max=1.0)
            similar[rows, start + rows] = 2.0  # itself first, at distance 0
            chosen = _most_similar(similar, width)
            if codes is not None:
                across = _most_similar(similar.masked_fill(
                    codes[None, :] == codes[start:stop, None], -float("inf")), cross)
                # The other-language ones, then the nearest rows not among them, in
                # distance order (index order on ties), up to `width`.
                ordinary = _in_order(similar, chosen)
                repeated = (ordinary[:, :, None] == across[:, None, :]).any(dim=2)
                priority = torch.where(repeated, n + width,
                                       torch.arange(width)[None, :].expand_as(ordinary))
                keep = torch.sort(priority, dim=1, stable=True).indices[:, :width - cross]
                chosen = torch.cat([across, ordinary.gather(1, keep)], dim=1)
            chosen = _in_order(similar, chosen)
            indices[start:stop] = chosen.numpy()
            distances[start:stop] = (1.0 - similar.gather(1, chosen)).clamp_(0.0, 2.0).numpy()
    return indices, distances


def _in_order(similarity: Any, columns: Any) -> Any:
    """`columns` of each row, most similar first, equal similarities in column order."""
    import torch

    by_column = torch.sort(columns, dim=1).values
    order = torch.sort(similarity.gather(1, by_column), dim=1, descending=True,
                       stable=True).indices
    return by_column.gather(1, order)


# UMAP's numba functions, compiled on first use in every process (20 s of a 48 s themes
# stage on the sample data) and not cached on disk by UMAP itself. NN-descent's are not
# among them: UMAP always gets its neighbours from cosine_knn, so it never runs.
_UMAP_MODULES = ("umap.umap_", "umap.layouts", "umap.utils", "umap.distances",
                 "umap.sparse", "umap.spectral")


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
    # folder is fixed when it is made).
    # numba's config sets its settings (CACHE_DIR among them) at run time, out of its
    # type information's sight.
    config: Any = numba.config
    before = config.CACHE_DIR
    if not os.environ.get("NUMBA_CACHE_DIR"):
        config.CACHE_DIR = str(cache_root() / "numba")
    try:
        for name in _UMAP_MODULES:
            module = importlib.import_module(name)
            for value in vars(module).values():
                if (isinstance(value, Dispatcher)
                        # set in Dispatcher.__init__, which numba's stubs do not describe
                        and isinstance(value._cache, NullCache)):  # type: ignore[attr-defined]
                    value.enable_caching()
    finally:
        config.CACHE_DIR = before
    return UMAP


def bertopic_clusters(vectors: np.ndarray, documents: Sequence[str],
                      settings: ClusterSettings, strata: Sequence[str] | None = None,
                      ) -> tuple[np.ndarray, float]:
    """UMAP + HDBSCAN through BERTopic on precomputed vectors (no encoder is loaded), with
    outliers re-assigned; returns labels and the similarity threshold that re-assigned them.
    `strata` are the segments' languages (for cross-language neighbours)."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from hdbscan import HDBSCAN

    from voc.themes.ctfidf import topic_word_models

    umap_type = umap_class()

    n = len(vectors)
    size = settings.min_cluster_size or min_cluster_size(n)
    neighbors = min(settings.umap_neighbors, n - 1)
    knn = cosine_knn(vectors, neighbors, strata, settings.cross_lingual_neighbors)
    neighbors = knn[0].shape[1]  # with the cross-language ones
    reducer: Any = umap_type(
        n_neighbors=neighbors, n_components=settings.umap_components, min_dist=0.0,
        metric="cosine", random_state=settings.random_state, n_jobs=1, low_memory=True,
        precomputed_knn=(*knn, None))
    with warnings.catch_warnings():
        # "no search index: transform unavailable": voc never transforms new data with
        # this model (later segments are assigned to theme centres).
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        reduced = reducer.fit_transform(vectors)
    # BERTopic clusters the reduced vectors as they are (its own "skip this step" model):
    # the reduction is run once here, so the retry with another HDBSCAN selection below
    # does not run it again.
    # HDBSCAN's default "excess of mass" selection can keep one cluster holding most of a
    # homogeneous set (all pain points: 87% in one theme on the sample data); "leaf"
    # selection then splits it into the topics inside.
    for selection in ("eom", "leaf"):
        hdbscan_model = HDBSCAN(min_cluster_size=size, min_samples=max(2, size // 3),
                                metric="euclidean", cluster_selection_method=selection,
                                prediction_data=False)
        # embedding_model=None with embeddings passed: BERTopic never loads a model.
        topic_model = BERTopic(embedding_model=None,
                               umap_model=BaseDimensionalityReduction(),
                               hdbscan_model=hdbscan_model,
                               # Its topic words (unused: voc names themes itself)
                               # from the segments' own words.
                               **topic_word_models(),
                               language="multilingual",
                               calculate_probabilities=False, low_memory=True, verbose=False)
        topics, _ = topic_model.fit_transform(list(documents), embeddings=reduced)
        counts = np.bincount(np.asarray([t for t in topics if t != OUTLIER], dtype=np.int64))
        if not len(counts) or counts.max() <= settings.max_theme_share * n:
            break
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
