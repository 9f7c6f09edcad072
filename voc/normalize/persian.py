"""Persian normalization with hazm.

hazm fixes what Persian keyboards and apps get wrong: Arabic ي/ك instead of Persian ی/ک,
missing or doubled half-spaces (ZWNJ) in «می‌خواهم» and «بسته‌بندی», letters stretched
for emphasis («خیییلی»), diacritics and presentation forms. Digits are folded to ASCII
rather than hazm's Persian digits so that scores, prices and redaction placeholders read
the same in both languages.

Colloquial forms («اومد», «میخوام») can be mapped to the written language in two ways:
`lexicon` (default) replaces the ~350 colloquial words of hazm's informal lexicon, a
dictionary lookup per word; `full` runs hazm's InformalNormalizer, which also rewrites
colloquial verb conjugations but takes seconds to build and handles ~1,500 texts/s, so
it is built only when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from importlib import resources
from types import ModuleType, SimpleNamespace
from typing import Any, Literal

import hazm
import hazm.lemmatizer
import hazm.normalizer
import hazm.word_tokenizer
from hazm.constants import TRANSLATION_DST, TRANSLATION_SRC
from hazm.utils import default_verbs, default_words, maketrans

from voc.io.values import fold_digits
from voc.language.lexicon import hazm_word_rows
from voc.normalize.unicode import clean_unicode

InformalMode = Literal["off", "lexicon", "full"]
INFORMAL_MODES: tuple[InformalMode, ...] = ("off", "lexicon", "full")

_PERSIAN_WORD = re.compile(r"[\u0600-\u06FF\u200c]+")
# hazm.Normalizer.normalize rebuilds this character table on every call, a third of its
# time; building it once and running hazm's steps ourselves keeps hazm's behaviour.
_HAZM_TRANSLATION = maketrans(TRANSLATION_SRC, TRANSLATION_DST)


# hazm's classes build their own parts: a Normalizer its own WordTokenizer and Lemmatizer,
# a Lemmatizer its own WordTokenizer, each WordTokenizer reads words.dat again (a process
# built them 4 times, about 4 s). The ones below are built once per process and hand
# hazm the shared parts while it builds the next, so each is hazm's own construction.


@contextmanager
def _hazm_given(module: ModuleType, name: str, call: tuple[tuple[Any, ...], dict[str, Any]],
                part: Callable[[], Any]) -> Iterator[None]:
    """While hazm builds an object, `module.name(*args, **kwargs)` (`call`) returns
    `part()`, the shared one, instead of building another. Any other call fails: a hazm
    release that builds its parts differently must not silently get the wrong one."""
    original = getattr(module, name)

    def given(*args: Any, **kwargs: Any) -> Any:
        if (args, kwargs) != call:
            raise RuntimeError(f"hazm called {module.__name__}.{name}(*{args}, **{kwargs}); "
                               f"voc shares the one built with {call}")
        return part()

    setattr(module, name, given)
    try:
        yield
    finally:
        setattr(module, name, original)


def _build_word_tokenizer(join_verb_parts: bool) -> hazm.WordTokenizer:
    with _hazm_given(hazm.word_tokenizer, "words_list", ((default_words,), {}),
                     hazm_word_rows):
        return hazm.WordTokenizer(join_verb_parts=join_verb_parts)


@lru_cache(maxsize=1)
def persian_word_tokenizer() -> hazm.WordTokenizer:
    """hazm's WordTokenizer without verb-part joining: one per process, shared by the
    segmenter's `terms`, journey linking, theme phrases and the normalizer (`tokenize`
    keeps no state)."""
    return _build_word_tokenizer(join_verb_parts=False)


@lru_cache(maxsize=1)
def _verb_joining_tokenizer() -> hazm.WordTokenizer:
    """The WordTokenizer hazm's Lemmatizer builds (it reads the verb tables from it)."""
    return _build_word_tokenizer(join_verb_parts=True)


@lru_cache(maxsize=1)
def persian_lemmatizer() -> hazm.Lemmatizer:
    """hazm's Lemmatizer (its verb conjugation tables): one per process, shared by theme
    words, theme naming and the normalizer."""
    with _hazm_given(hazm.lemmatizer, "WordTokenizer",
                     ((), {"words_file": default_words, "verbs_file": default_verbs}),
                     _verb_joining_tokenizer):
        return hazm.Lemmatizer()


def _unjoined_verbs() -> SimpleNamespace:
    """What hazm's Normalizer reads of its `Lemmatizer(joined_verb_parts=False)`: the
    verbs table without the joined multi-word forms, which are the keys with "_" (the
    conjugations have none; tests/test_normalize.py checks it against hazm's own)."""
    verbs = persian_lemmatizer().verbs
    return SimpleNamespace(verbs={form: verb for form, verb in verbs.items() if "_" not in form})


@lru_cache(maxsize=1)
def hazm_normalizer() -> hazm.Normalizer:
    """hazm's Normalizer (without Persian digits) on the shared tokenizer and verbs."""
    with _hazm_given(hazm.normalizer, "WordTokenizer", ((), {"join_verb_parts": False}),
                     persian_word_tokenizer), \
            _hazm_given(hazm.normalizer, "Lemmatizer", ((), {"joined_verb_parts": False}),
                        _unjoined_verbs):
        return hazm.Normalizer(persian_numbers=False)


def _load_informal_lexicon() -> dict[str, str]:
    """hazm's colloquial -> written word list, keeping only one-word replacements."""
    lexicon: dict[str, str] = {}
    text = resources.files("hazm").joinpath("data/iwords.dat").read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split()
        # Lines whose written form is several words ("اونم" -> "آن هم") stay colloquial:
        # a multi-word rewrite changes token counts that offsets and keywords rely on.
        if len(parts) == 2 and parts[0] != parts[1]:
            lexicon[parts[0]] = parts[1]
    return lexicon


class PersianNormalizer:
    """Normalize Persian text; one instance is reused for a whole run."""

    def __init__(self, informal: InformalMode = "lexicon") -> None:
        if informal not in INFORMAL_MODES:
            raise ValueError(f"informal must be one of {INFORMAL_MODES}, not {informal!r}")
        self.informal = informal
        self._hazm = hazm_normalizer()
        self._lexicon = _load_informal_lexicon() if informal == "lexicon" else {}

    @cached_property
    def _informal_normalizer(self) -> hazm.InformalNormalizer:
        return hazm.InformalNormalizer()

    def _formalize_words(self, text: str) -> str:
        lexicon = self._lexicon
        return _PERSIAN_WORD.sub(lambda m: lexicon.get(m.group(0), m.group(0)), text)

    def _formalize_full(self, text: str) -> str:
        sentences = self._informal_normalizer.normalize(text)
        # Each token comes with candidate rewrites; the first is hazm's best guess.
        return " ".join(
            candidates[0] for sentence in sentences for candidates in sentence if candidates
        )

    def _hazm_normalize(self, text: str) -> str:
        """hazm.Normalizer.normalize's steps, in its order, without Persian digits."""
        steps = self._hazm
        text = text.translate(_HAZM_TRANSLATION)
        text = steps.persian_style(text)
        text = steps.remove_diacritics(text)
        text = steps.correct_spacing(text)
        text = steps.unicodes_replacement(text)
        text = steps.remove_specials_chars(text)
        text = steps.decrease_repeated_chars(text)
        return steps.seperate_mi(text)

    def normalize(self, text: str) -> str:
        text = clean_unicode(text)
        if not text:
            return text
        text = self._hazm_normalize(text)
        if self.informal == "lexicon":
            text = self._formalize_words(text)
        elif self.informal == "full":
            text = "\n".join(self._formalize_full(line) for line in text.split("\n"))
        return fold_digits(text)
