"""Bilingual keyword matching over normalized tokens.

Segments already carry `terms`: English lemmas from spaCy, Persian tokens from one hazm
WordTokenizer over hazm-normalized text. A journey map's keywords go through the same
normalization once per map, so "delivered" meets "delivery" and «ارسالش» meets «ارسال».
Matching is token by token with a short-suffix allowance (English endings, Persian
suffixes and clitics) instead of stemming; multi-word keywords match consecutive tokens.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A token matches a keyword token that it extends (or that extends it) by at most this
# many characters: "crashes"/"crash", «پرداختم»/«پرداخت», "deliver"/"delivery".
MAX_SUFFIX = 3
# Shorter keyword tokens must match exactly: "ad" must not match "address".
MIN_PREFIX = 4
_WORD = re.compile(r"[^\W\d_][\w\u200c']*")

Tokenize = Callable[[str, str], tuple[str, ...]]


def simple_tokens(text: str) -> tuple[str, ...]:
    """Lower-cased words: the fallback when a segment comes without `terms`."""
    return tuple(w.lower() for w in _WORD.findall(text))


@dataclass(frozen=True)
class Keyword:
    item: int  # index of the stage or touchpoint it belongs to
    text: str  # as written in the map
    tokens: tuple[str, ...]


class KeywordMatcher:
    """Finds which items' keywords occur in a token sequence."""

    def __init__(self, keywords: Sequence[Keyword]) -> None:
        self.keywords = [k for k in keywords if k.tokens]
        # Map order: the last tie-break between equally good keywords (see _better).
        self._order: dict[Keyword, int] = {}
        for index, keyword in enumerate(self.keywords):
            self._order.setdefault(keyword, index)
        self._by_first: dict[str, list[Keyword]] = defaultdict(list)
        vocabulary: set[str] = set()
        for keyword in self.keywords:
            self._by_first[keyword.tokens[0]].append(keyword)
            vocabulary.update(keyword.tokens)
        # Keyword tokens reachable from a text token by cutting its suffix, and from a
        # shorter text token that the keyword token extends.
        self._exact = vocabulary
        self._by_stub: dict[str, set[str]] = defaultdict(set)
        for token in vocabulary:
            for cut in range(1, MAX_SUFFIX + 1):
                if len(token) - cut >= MIN_PREFIX:
                    self._by_stub[token[:-cut]].add(token)
        self._cache: dict[str, frozenset[str]] = {}

    def _token_matches(self, term: str) -> frozenset[str]:
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        found = set()
        if term in self._exact:
            found.add(term)
        # +1: a Persian suffix often comes after a half-space («بسته‌ها»), not counted.
        for cut in range(1, MAX_SUFFIX + 2):
            if len(term[-cut:].replace("\u200c", "")) > MAX_SUFFIX:
                break
            stub = term[:-cut].rstrip("\u200c")
            if len(stub) >= MIN_PREFIX and stub in self._exact:
                found.add(stub)
        if len(term) >= MIN_PREFIX:
            found.update(self._by_stub.get(term, ()))
        result = frozenset(found)
        self._cache[term] = result
        return result

    def match(self, terms: Sequence[str]) -> list[Keyword]:
        """Keywords occurring in `terms`: per item and start position only the longest,
        so one word never counts twice for an item («مرجوع» and «مرجوعی» on «مرجوع»)."""
        return [keyword for keyword, _ in self.match_positions(terms)]

    def match_positions(self, terms: Sequence[str]) -> list[tuple[Keyword, int]]:
        """As `match`, each keyword with the token position of its first occurrence."""
        matched: dict[tuple[int, int], Keyword] = {}
        per_position = [self._token_matches(t) for t in terms]
        for start, candidates in enumerate(per_position):
            # Sorted: a set's order changes with the interpreter's hash seed, and the
            # keyword reported (link_evidence) must not.
            for first in sorted(candidates):
                for keyword in self._by_first.get(first, ()):
                    end = start + len(keyword.tokens)
                    if end <= len(terms) and all(
                        token in per_position[start + offset]
                        for offset, token in enumerate(keyword.tokens[1:], start=1)
                    ):
                        key = (keyword.item, start)
                        if key not in matched or self._better(keyword, matched[key], terms,
                                                              start):
                            matched[key] = keyword
        unique: dict[tuple[int, str], tuple[Keyword, int]] = {}
        # In text order, then map order of the items at one position.
        for (_, start), keyword in sorted(matched.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            unique.setdefault((keyword.item, keyword.text), (keyword, start))
        return list(unique.values())

    def _better(self, keyword: Keyword, than: Keyword, terms: Sequence[str], start: int
                ) -> bool:
        """Of two keywords of one item matching at `start`: the longer, then the one closer
        to the words written ("delivery" over "deliver" on "delivery"), then map order."""
        def rank(candidate: Keyword) -> tuple[int, int, int]:
            distance = sum(abs(len(terms[start + offset].replace("\u200c", "")) - len(token))
                           for offset, token in enumerate(candidate.tokens))
            return -len(candidate.tokens), distance, self._order.get(candidate, 0)

        return rank(keyword) < rank(than)
