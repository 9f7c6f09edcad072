"""Near-duplicate groups of texts, so no held-out text has a twin in training.

Review and tweet sets repeat themselves: scrapes that ran twice, retweets, the same review
under two products, templated answers ("Nothing", "All good"). A split that puts one copy
in training and another in the held-out part overstates accuracy. ``near_duplicate_groups``
gives every text a group id: texts with the same normalized form, or whose character
n-gram sets overlap by at least ``threshold`` (Jaccard), share a group. Candidates are found
with MinHash and banding (locality-sensitive hashing), then checked exactly, so the cost
stays about linear in the number of texts.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voc.heads.lexical import lexical_text

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_PRIME = (1 << 61) - 1
# Each bucket is checked against at most this many of its first members: a bucket of
# thousands means thousands of copies of one short text, already grouped by that check.
_BUCKET_CHECKS = 20


def normalize_for_dedup(text: str) -> str:
    """Unified letters, case-folded, punctuation and spacing collapsed: "Good!!" == "good".
    The Persian half-space is dropped, as writers use it or not for the same word. A text
    of symbols only (emoji) keeps its own form rather than collapse to ""."""
    folded = lexical_text(text.replace("\u200c", ""))
    return _NON_WORD.sub(" ", folded).strip() or text.strip()


def _shingles(text: str, n: int) -> frozenset[int]:
    if len(text) <= n:
        return frozenset((zlib.crc32(text.encode()),))
    return frozenset(zlib.crc32(text[i : i + n].encode()) for i in range(len(text) - n + 1))


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class NearDuplicates:
    """Finds near-duplicate groups (scikit-learn style: parameters here, work in ``groups``).

    ``threshold`` is the Jaccard overlap of character ``ngram`` sets above which two texts
    are twins; ``bands`` x ``rows`` MinHash values decide which pairs are checked (with 8 x 4,
    a pair at 0.8 overlap is checked with probability 0.98, one at 0.5 with 0.40).
    """

    threshold: float = 0.8
    ngram: int = 5
    bands: int = 8
    rows: int = 4
    seed: int = 13

    def groups(self, texts: Sequence[str]) -> np.ndarray:
        """A group id per text (the index of the group's first text)."""
        normalized = [normalize_for_dedup(t) for t in texts]
        first: dict[str, int] = {}
        exact = np.array([first.setdefault(t, i) for i, t in enumerate(normalized)])
        unique = sorted(first.values())
        shingles = [_shingles(normalized[i], self.ngram) for i in unique]
        rng = np.random.default_rng(self.seed)
        size = self.bands * self.rows
        a = rng.integers(1, _PRIME, size=size, dtype=np.uint64)
        b = rng.integers(0, _PRIME, size=size, dtype=np.uint64)
        buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
        for k, items in enumerate(shingles):
            values = np.fromiter(items, dtype=np.uint64, count=len(items))
            # (a * x + b) mod p per permutation; uint64 wraps, which keeps it a fixed hash.
            signature = ((values[None, :] * a[:, None] + b[:, None]) % _PRIME).min(axis=1)
            for band in range(self.bands):
                key = signature[band * self.rows : (band + 1) * self.rows].tobytes()
                buckets[(band, key)].append(k)
        found = _UnionFind(len(unique))
        for members in buckets.values():
            for j in members[1:]:
                for i in members[:_BUCKET_CHECKS]:
                    if i >= j:
                        break
                    if found.find(i) != found.find(j) and self._similar(shingles[i],
                                                                          shingles[j]):
                        found.union(i, j)
        root = np.array([unique[found.find(k)] for k in range(len(unique))])
        position = {index: k for k, index in enumerate(unique)}
        return np.array([root[position[e]] for e in exact], dtype=np.int64)

    def _similar(self, left: frozenset[int], right: frozenset[int]) -> bool:
        union = len(left | right)
        return union > 0 and len(left & right) / union >= self.threshold


def first_of_each_group(groups: np.ndarray) -> np.ndarray:
    """Indices of the first text of every group, in order (the rest are twins)."""
    _, first = np.unique(groups, return_index=True)
    return np.sort(first)
