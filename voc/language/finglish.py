"""Finglish (Persian typed in Latin letters) back into Persian script, word by word.

Theme names must never be Finglish (issue 17): a theme whose members are mostly Finglish
("poshtibani javab nemide") is named through a Persian-script reading of their words
(«پشتیبانی جواب نمیده»). There is no one spelling of Finglish, and Persian script leaves
short vowels unwritten, so the reading is a lookup, not a rule:

1. every word of the run's own Persian-script text (with its count) and of hazm's lexicon
   (with its corpus frequency) is indexed by its consonant skeleton: letters mapped to
   sound classes (ت/ط -> t, س/ص/ث -> s, ق/غ -> gh, ...), the letters that also write
   vowels (ا آ و ی ه ع) left out;
2. a Finglish word's skeleton is read the same way (kh/sh/ch/gh/zh digraphs, x = kh,
   q = gh; vowels and y/v/w/h left out);
3. among the lexicon words with that skeleton, the ones whose every letter the Finglish
   spelling accounts for, in order (ا as a/aa, ی as i/y/ee/ei, و as v/o/oo/u, a final ه
   as e/eh/a, unwritten short vowels anywhere) are kept, and the most frequent wins when it
   is clearly the most frequent, the run's own words before hazm's. Anything unsure gives
   no reading.

hazm's lexicon is indexed once per process, and only when a run has Finglish to read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache

from voc.language.lexicon import hazm_word_rows
from voc.privacy.names import name_lists

# Persian letter -> its sound class in the consonant skeleton ("" = may write a vowel).
_CLASS = {
    "ب": "b", "پ": "p", "ت": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ج": "j",
    "چ": "C", "ح": "", "خ": "K", "د": "d", "ذ": "z", "ز": "z", "ض": "z", "ظ": "z", "ر": "r",
    "ژ": "Z", "ش": "S", "ع": "", "غ": "G", "ق": "G", "ف": "f", "ک": "k", "گ": "g", "ل": "l",
    "م": "m", "ن": "n", "و": "", "ه": "", "ی": "", "ا": "", "آ": "", "ء": "", "ئ": "",
    "أ": "", "ؤ": "",
}
# How Finglish writes each letter (regular-expression alternatives). ح and ه are "h",
# left out of skeletons because a final ه writes a vowel; ح is always written ("oomad" is
# not «احمد»).
_LATIN = {
    "ب": "b", "پ": "p", "ت": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ج": "j",
    "چ": "ch", "ح": "h", "خ": "kh|x", "د": "d", "ذ": "z", "ز": "z", "ض": "z", "ظ": "z",
    "ر": "r", "ژ": "zh", "ش": "sh", "ع": "'?", "غ": "gh|q", "ق": "gh|q", "ف": "f",
    "ک": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n", "و": "v|w|oo|ou|o|u",
    "ه": "h", "ی": "y|i|ee|ei|ey|e", "ا": "aa|a|â", "آ": "aa|a|â", "ء": "'?", "ئ": "'?|y?",
    "أ": "a", "ؤ": "o",
}
_SHORT_VOWEL = "[aeo]?"
_DIGRAPHS = (("kh", "K"), ("sh", "S"), ("ch", "C"), ("gh", "G"), ("zh", "Z"))
_SINGLE = {"x": "K", "q": "G", "c": "k"}
_LATIN_WORD = re.compile(r"[a-z']+")
# Words this short have too many readings («بد» bad, «بود» bood, «باد» baad...).
MIN_LETTERS = 3
# The most frequent reading must be this many times as frequent as the next one.
CLEAR_MARGIN = 3.0


def latin_skeleton(word: str) -> str:
    """A Finglish word's consonant skeleton, in the sound classes of ``_CLASS``."""
    word = word.casefold().replace("'", "")
    out = []
    i = 0
    while i < len(word):
        pair = word[i:i + 2]
        digraph = next((code for latin, code in _DIGRAPHS if pair == latin), None)
        if digraph:
            out.append(digraph)
            i += 2
            continue
        char = word[i]
        i += 1
        if char in "aeiouyvwhâ":
            continue
        out.append(_SINGLE.get(char, char))
    # Doubled consonants (Persian writes them once: "motasefam", "mottasefam").
    return "".join(c for k, c in enumerate(out) if k == 0 or c != out[k - 1])


_SKELETON_TABLE = str.maketrans({letter: code or None for letter, code in _CLASS.items()})
_DOUBLED = re.compile(r"(.)\1+")


def persian_skeleton(word: str) -> str:
    """A Persian word's consonant skeleton (letters outside ``_CLASS`` kept as they are:
    such a word never matches a Finglish skeleton)."""
    return _DOUBLED.sub(r"\1", word.translate(_SKELETON_TABLE))


@lru_cache(maxsize=65_536)
def _spelling_pattern(word: str) -> re.Pattern[str]:
    """The Finglish spellings a Persian word accounts for, as one regular expression."""
    parts = []
    for position, letter in enumerate(word):
        options = _LATIN.get(letter)
        if options is None:
            return re.compile(r"(?!)")  # a letter outside the table: never matches
        if letter == "ه" and position == len(word) - 1:
            options = "eh|e|a|h"  # a final silent he writes the vowel e
        elif letter == "ا" and position == 0:
            options = "aa|a|e|o|â"  # an initial alef carries any vowel
        # Any letter may be written doubled ("ersaal", "mottasefam").
        parts.append(f"(?:{options})+" if letter in "بپتسجدرزشفکگلمن" else f"(?:{options})")
    # No unwritten vowel after the last letter: "shobe" is «شعبه», not «شب».
    return re.compile("^" + _SHORT_VOWEL + _SHORT_VOWEL.join(parts) + "$")


SkeletonIndex = dict[str, list[tuple[int, str]]]


def skeleton_index(counts: Iterable[tuple[str, int]]) -> SkeletonIndex:
    """Words by consonant skeleton, most frequent first (words with a ZWNJ or a space, and
    words outside the letter table, are left out)."""
    by_skeleton: SkeletonIndex = defaultdict(list)
    for word, count in counts:
        if "\u200c" in word or " " in word or not all(ch in _CLASS for ch in word):
            continue
        by_skeleton[persian_skeleton(word)].append((count, word))
    for words in by_skeleton.values():
        words.sort(key=lambda x: (-x[0], x[1]))
    return dict(by_skeleton)


@lru_cache(maxsize=1)
def _hazm_index() -> SkeletonIndex:
    """hazm's words by skeleton. Words hazm counted none of (most of its list, among them
    «پشتیبانی» and «خیلی») count 1; person names are left out, so a Finglish word never
    reads as a name («عماد» for "oomad")."""
    names = name_lists("fa")
    people = names.first | names.last
    return skeleton_index((word, max(frequency, 1)) for word, frequency, _ in hazm_word_rows()
                          if word not in people)


class FinglishReader:
    """Finglish words in Persian script, the run's own Persian words first.

    `vocabulary` (Persian-script word -> count, e.g. from the run's Persian segments)
    decides between readings before hazm's corpus frequencies do: a theme's "poshtibani"
    is read as the «پشتیبانی» its other members write.
    """

    def __init__(self, vocabulary: Mapping[str, int] | None = None) -> None:
        self.vocabulary = dict(vocabulary or {})
        self._own = skeleton_index(self.vocabulary.items())
        self._cache: dict[str, str | None] = {}

    def word(self, word: str) -> str | None:
        """The Persian-script word a Finglish word most likely spells; None when unsure."""
        word = word.casefold()
        if word not in self._cache:
            self._cache[word] = self._read(word)
        return self._cache[word]

    def _read(self, word: str) -> str | None:
        if len(word) < MIN_LETTERS or not _LATIN_WORD.fullmatch(word):
            return None
        spelled = word.replace("'", "")
        skeleton = latin_skeleton(word)
        for index in (self._own, _hazm_index()):
            found = [(count, persian) for count, persian in index.get(skeleton, [])
                     if _spelling_pattern(persian).match(spelled)]
            if not found:
                continue
            if len(found) > 1 and found[0][0] < CLEAR_MARGIN * found[1][0]:
                return None  # two readings about as likely: no guess
            return found[0][1]
        return None

    def text(self, text: str) -> str:
        """`text` with each Finglish word in Persian script; a word without a clear reading
        becomes a line break, so no phrase spans the gap it leaves."""
        return _LATIN_WORD.sub(lambda m: self.word(m.group()) or "\n", text.casefold())
