"""Theme words: Persian-aware tokens, stop words and 1-2 word phrases for c-TF-IDF.

BERTopic's default CountVectorizer splits «می‌خواهم» and «بسته‌بندی» at the half-space
(ZWNJ) and keeps stop words, numbers and redaction placeholders, so Persian themes come
out as word fragments. Here Persian is tokenized by one shared hazm WordTokenizer (which
keeps half-space compounds whole), plural and comparative nouns are lemmatized with hazm
where the lemma is a plain word, English is lower-cased (segments already carry spaCy
lemmas in `terms`), and phrases are pairs of *adjacent* content words, so a bigram never
jumps over a removed stop word or from one segment into the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import hazm
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from voc.data import word_list
from voc.language.script import has_persian_letter
from voc.normalize.persian import persian_lemmatizer, persian_word_tokenizer

# Redaction placeholders ("[PHONE]") are not the customer's words.
PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
# Ends a phrase: the tokenizer emits it between documents BERTopic joins per topic.
BOUNDARY = "||"
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"[\d\u06F0-\u06F9\u0660-\u0669]")
# Latin words, and any other non-space character as its own token (it ends a phrase).
_LATIN_TOKEN = re.compile(r"[a-z][a-z'\-]*[a-z]|[^\sa-z]|[a-z]")
_ZWNJ = "\u200c"
# "doesn't", "i'm", "we've" are grammar, not topics; "kalano's" is "kalano".
_CONTRACTION = re.compile(r"n't$|'(m|re|ve|ll|d)$")
_CLITIC = re.compile(r"'s$")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Persian (hazm's list plus colloquial forms), English (scikit-learn's) and Finglish
    stop words, and courtesies (greetings, thanks, sign-offs): ``voc/themes/data/``."""
    persian = {word.replace("_", " ") for word in hazm.stopwords_list()}
    extra = (word_list("voc.themes", name) for name in (
        "stop_persian", "stop_english", "stop_finglish", "courtesy"))
    return frozenset(persian.union(ENGLISH_STOP_WORDS, *extra))


@lru_cache(maxsize=1)
def courtesy_phrases() -> re.Pattern[str]:
    """The courtesies of several words (``voc/themes/data/courtesy.txt``: «وقت بخیر», "best
    regards"), longest first, as whole words of a lower-cased text."""
    phrases = sorted((p for p in word_list("voc.themes", "courtesy") if " " in p),
                     key=lambda p: (-len(p), p))
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, phrases)) + r")(?!\w)")


class ThemeTokenizer:
    """Text -> content tokens, with BOUNDARY where a phrase must not continue.

    hazm's WordTokenizer and Lemmatizer are built once per process and shared by every
    instance (building them per call is what makes `hazm.word_tokenize` slow in a loop).
    """

    def __init__(self, lemmatize: bool = True) -> None:
        self._persian = persian_word_tokenizer()
        self._lemmatizer = persian_lemmatizer() if lemmatize else None
        self._stop = stop_words()
        self._lemma_cache: dict[str, str] = {}

    def __reduce__(self) -> tuple[type[ThemeTokenizer], tuple[bool]]:
        # A copy sent to another process (a fitted ThemeModel to a Ray worker) uses that
        # process's shared hazm objects instead of carrying them over.
        return ThemeTokenizer, (self._lemmatizer is not None,)

    def _lemma(self, token: str) -> str:
        if self._lemmatizer is None or (
                _ZWNJ not in token and not token.endswith(("ها", "ان", "تر", "ترین"))):
            return token
        cached = self._lemma_cache.get(token)
        if cached is None:
            lemma = self._lemmatizer.lemmatize(token)
            # Verb lemmas come back as "past#present" stems: not a word a reader knows.
            cached = token if "#" in lemma or len(lemma) < 2 else lemma
            self._lemma_cache[token] = cached
        return cached

    def _keep(self, token: str) -> bool:
        return (len(token) > 1 and token not in self._stop and _LETTER.search(token) is not None
                and _DIGIT.search(token) is None and not _CONTRACTION.search(token))

    def surface_tokens(self, text: str) -> list[str]:
        """Words as written (lower-cased, clitics off), stop words included; BOUNDARY marks
        a placeholder or a line break. Punctuation stays a token of its own."""
        out: list[str] = []
        for chunk in PLACEHOLDER.split(text.replace(BOUNDARY, "\n")):
            for line in chunk.split("\n"):
                if has_persian_letter(line):
                    raw = self._persian.tokenize(line)
                else:
                    raw = _LATIN_TOKEN.findall(line.lower())
                out.extend(_CLITIC.sub("", token.strip(_ZWNJ).lower()) for token in raw)
                out.append(BOUNDARY)
            out.append(BOUNDARY)
        return out

    def is_content(self, token: str) -> bool:
        """A word that can carry a topic: not a stop word, number, letter or grammar."""
        return token != BOUNDARY and self._keep(token)

    def content_words(self, text: str) -> list[str]:
        """The words a theme could be about, as written: courtesies (greetings, thanks,
        sign-offs), stop words, numbers and grammar left out."""
        words = self.surface_tokens(courtesy_phrases().sub(" ", text.casefold()))
        return [t for t in words if self.is_content(t)]

    def tokens(self, text: str) -> list[str]:
        """Content tokens in order; BOUNDARY marks a removed word, a placeholder or a break."""
        out: list[str] = []
        for token in self.surface_tokens(text):
            if token != BOUNDARY and has_persian_letter(token):
                token = self._lemma(token)
            out.append(token if token != BOUNDARY and self._keep(token) else BOUNDARY)
        return out

    def phrases(self, text: str, ngram_max: int = 2) -> list[str]:
        """Unigrams and phrases of up to `ngram_max` adjacent content words."""
        tokens = self.tokens(text)
        grams = [t for t in tokens if t != BOUNDARY]
        for n in range(2, ngram_max + 1):
            for start in range(len(tokens) - n + 1):
                window = tokens[start: start + n]
                # "تحویل تحویل" or "late late" is repetition, not a phrase.
                if BOUNDARY not in window and len(set(window)) == n:
                    grams.append(" ".join(window))
        return grams


def theme_analyzer(tokenizer: ThemeTokenizer | None = None,
                   ngram_max: int = 2) -> Callable[[str], list[str]]:
    """A CountVectorizer `analyzer`: document -> its words and phrases."""
    shared = tokenizer or ThemeTokenizer()
    return lambda text: shared.phrases(text, ngram_max)


def theme_vectorizer(tokenizer: ThemeTokenizer | None = None, *, ngram_max: int = 2,
                     min_df: int = 1) -> CountVectorizer:
    """The vectorizer BERTopic's c-TF-IDF uses for theme keywords."""
    return CountVectorizer(analyzer=theme_analyzer(tokenizer, ngram_max), min_df=min_df)


def join_documents(texts: Iterable[str]) -> str:
    """Concatenate texts so that no phrase spans two of them."""
    return f" {BOUNDARY} ".join(texts)
