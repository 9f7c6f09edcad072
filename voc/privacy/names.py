"""Person names in Persian and English text, without an NER model.

A name list alone redacts too much (Persian «امید», «بهار»; English "Will", "Hope" are
everyday words) and too little (surnames are scarce in the lists). So names are found from
the lists *and* context:

* a title or form of address: «آقای», «خانم», «جناب», «سرکار», «دکتر», Mr, Ms, Mrs, Dr;
* an introduction: "my name is ...", "this is ... from support", «اسمم ... است»,
  «من ... هستم»;
* a signature: "Thanks, Sarah", "Regards,\\nSarah Johnson", «با تشکر، مریم احمدی»;
* a first name followed by a surname: a listed one, a capitalised word (English) or a
  first or place name plus a surname suffix («رضا» -> «رضایی», «محمد» -> «محمدپور»);
* a listed first name on its own, unless it is also an everyday word (``*_common`` in the
  lists; English ones must also be capitalised).

The lists are package data built by bench/build_name_lists.py (sources and licences in the
files' headers). ``find_names`` has the ``NameFinder`` signature of voc.privacy.pii.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["NameLists", "find_names", "fold_persian", "looks_like_person_name", "name_lists"]

# Arabic-script variants typed on Arabic keyboards; a 1:1 map so offsets stay valid.
_PERSIAN_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "ه", "ة": "ه", "أ": "ا",
                               "إ": "ا"})
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[\u0621-\u063a\u0641-\u064a\u0671-\u06d3]"
                   r"(?:[\u0621-\u063a\u0641-\u064a\u0671-\u06d3\u200c]*"
                   r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3])?")
_LATIN = re.compile(r"[A-Za-z]")
# Between the words of one name only spaces (a line break ends a signature's name).
_NAME_GAP = re.compile(r"[ \t\u00a0]+")
# Abbreviated titles take a dot ("Dr. Karimi"); after any other word a dot ends the sentence.
_TITLE_GAP = re.compile(r"\.?[ \t\u00a0]*")
_ABBREVIATED_TITLES = frozenset({"mr", "mrs", "ms", "dr"})
_MAX_NAME_WORDS = 3

_TITLES_FA = frozenset({"آقای", "آقا", "خانم", "جناب", "سرکار", "دکتر", "مهندس", "استاد",
                        "حاج", "حاجی", "سرکارخانم", "جنابعالی"})
_TITLES_EN = frozenset({"mr", "mrs", "ms", "miss", "mister", "dr", "doctor", "madam",
                        "sir", "dear", "agent", "officer"})
# Phrases after which the next words are the writer's (or an agent's) name.
_INTRO_EN = (("my", "name", "is"), ("name", "is"), ("this", "is"), ("i", "am"), ("i'm",),
             ("im",), ("called",), ("named",), ("name",))
_INTRO_FA = (("اسمم",), ("اسم", "من"), ("نام", "من"), ("نامم",), ("اینجانب",),
             ("بنده",))
_WEAK_INTROS = frozenset({"this", "i", "i'm", "im", "name", "بنده"})
_SIGN_OFF_EN = (("thanks",), ("thank", "you"), ("regards",), ("best",), ("cheers",),
                ("sincerely",), ("thx",), ("br",))
_SIGN_OFF_FA = (("با", "تشکر"), ("با", "سپاس"), ("تشکر",), ("ممنون",), ("سپاس",),
                ("ارادتمند",), ("قربان", "شما"), ("مخلص",))
# Words that follow an introduction but are not names (the name is missing or elsewhere).
_NOT_NAMES_FA = frozenset({"است", "هست", "هستم", "رو", "را", "که", "و", "از", "به", "با",
                           "در", "چیه", "خیلی", "هم", "یه", "یک", "این", "اون", "آن", "من",
                           "شما", "ما", "برای", "تو", "چی", "چه", "نه"})


@dataclass(frozen=True)
class NameLists:
    """Folded names by kind; see voc/privacy/data/names_*.txt."""

    first: frozenset[str]
    first_common: frozenset[str]
    last: frozenset[str]
    last_common: frozenset[str]
    suffixes: tuple[str, ...]

    def listed(self, key: str) -> bool:
        return (key in self.first or key in self.first_common or key in self.last
                or key in self.last_common)

    def first_name(self, key: str) -> bool:
        return key in self.first or key in self.first_common


def fold_persian(text: str) -> str:
    """Persian letters in one spelling (Arabic ي/ك typed for ی/ک); same length."""
    return text.translate(_PERSIAN_FOLD)


def _read(filename: str) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    text = resources.files("voc.privacy").joinpath("data", filename).read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            kind, _, name = line.partition("\t")
            kinds.setdefault(kind, set()).add(name)
    return kinds


@cache
def name_lists(script: str) -> NameLists:
    """The lists for 'fa' (keys folded Persian) or 'en' (keys lower-case)."""
    raw = _read("names_fa.txt" if script == "fa" else "names_en.txt")

    def keys(kind: str) -> frozenset[str]:
        names = raw.get(kind, set())
        return frozenset(n.lower() for n in names) if script == "en" else frozenset(names)

    # Longest suffix first, so «زاده» is tried before «ه».
    suffixes = tuple(sorted({s.strip() for s in raw.get("suffix", ())} - {""},
                            key=len, reverse=True))
    return NameLists(first=keys("first"), first_common=keys("first_common"),
                     last=keys("last"), last_common=keys("last_common"), suffixes=suffixes)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    key: str  # folded Persian, or lower-case Latin
    latin: bool
    capitalised: bool


def _tokens(text: str) -> list[_Token]:
    folded = fold_persian(text)
    out = []
    for m in _WORD.finditer(folded):
        word = m.group()
        latin = _LATIN.match(word) is not None
        out.append(_Token(m.start(), m.end(), word.lower() if latin else word, latin,
                          latin and word[0].isupper() and not word.isupper()))
    return out


def _surname_shaped(key: str, fa: NameLists) -> bool:
    """«رضایی», «محمدپور», «حسین‌زاده»: a listed first name plus a surname suffix."""
    if key in fa.last or key in fa.last_common:
        return True
    plain = key.replace("\u200c", "")
    for suffix in fa.suffixes:
        stem = plain[: -len(suffix)]
        # Only stems that are unambiguous names: «خوب» + «ی» is "goodness", not a surname.
        # «رضا» + «یی»: a stem ending in a vowel takes an extra ی.
        if plain.endswith(suffix) and len(stem) >= 3 and (
                stem in fa.first or (stem.endswith("ی") and stem[:-1] in fa.first)):
            return True
    return False


def _strict_surname(token: _Token) -> bool:
    """A surname that makes even an everyday first name a name ("Will Smith", «امید رضایی»);
    another first name is not enough («امام علی», «و حسین»)."""
    if token.latin:
        return token.capitalised and token.key in name_lists("en").last
    return token.key not in _NOT_NAMES_FA and _surname_shaped(token.key, name_lists("fa"))


def _common_surname_shaped(key: str, fa: NameLists) -> bool:
    """«مرادی», «امیدی»: an everyday first name («مراد», «امید») plus a surname suffix. Such
    words are as often everyday words («آزادی», «پیروزی»), so they only complete a name
    that is a line of its own, a signature («شیرین مرادی» under a message went unredacted
    into a theme label)."""
    plain = key.replace("\u200c", "")
    return any(plain.endswith(suffix) and len(plain) - len(suffix) >= 3
               and plain[: -len(suffix)] in fa.first_common for suffix in fa.suffixes)


def _name_word(token: _Token, *, strong: bool) -> bool:
    """Can this word be part of a name? `strong` context (a title, "my name is") also
    accepts everyday words that are names and, in English, any capitalised word."""
    if token.key in _TITLES_EN or token.key in _TITLES_FA:
        return False  # "Dr" in "dear Dr. Karimi" is the next title, not part of the name
    if token.latin:
        en = name_lists("en")
        if strong and token.capitalised:
            return True
        if token.key in en.first or token.key in en.last:
            return token.capitalised or strong
        return strong and en.listed(token.key)
    if token.key in _NOT_NAMES_FA:
        return False
    fa = name_lists("fa")
    if fa.first_name(token.key) or token.key in fa.last:
        return strong or token.key in fa.first or token.key in fa.last
    return strong and (token.key in fa.last_common or _surname_shaped(token.key, fa))


def _surname(token: _Token) -> bool:
    """A word right after a first name that makes the pair a full name."""
    if token.latin:
        en = name_lists("en")
        # "Mark Will" is not a name, "Michael Brown" is (brown is also an everyday word).
        return token.capitalised and (token.key in en.last or token.key in en.last_common
                                      or token.key not in en.first_common)
    if token.key in _NOT_NAMES_FA:
        return False
    fa = name_lists("fa")
    return token.key in fa.first or _surname_shaped(token.key, fa)


def _joined(text: str, left: _Token, right: _Token) -> bool:
    gap = text[left.end : right.start]
    return _NAME_GAP.fullmatch(gap) is not None and left.latin == right.latin


def _title_gap(text: str, title: _Token, name: _Token) -> bool:
    gap = text[title.end : name.start]
    pattern = _TITLE_GAP if title.key in _ABBREVIATED_TITLES else _NAME_GAP
    return pattern.fullmatch(gap) is not None


def _run(text: str, tokens: list[_Token], i: int, *, strong: bool) -> int:
    """End index (exclusive) of the name starting at token i, or i when there is none."""
    if i >= len(tokens) or not _name_word(tokens[i], strong=strong):
        return i
    j = i + 1
    while (j < len(tokens) and j - i < _MAX_NAME_WORDS and _joined(text, tokens[j - 1], tokens[j])
           and (_name_word(tokens[j], strong=strong) or _surname(tokens[j]))):
        j += 1
    return j


_PHRASE_HEADS = frozenset(p[0] for p in (*_INTRO_EN, *_INTRO_FA, *_SIGN_OFF_EN, *_SIGN_OFF_FA))


def _phrase_at(tokens: list[_Token], i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    """Length of the phrase from `phrases` starting at token i (0 if none)."""
    if tokens[i].key not in _PHRASE_HEADS:  # the common case, checked once
        return 0
    for phrase in phrases:
        if tuple(t.key for t in tokens[i : i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _ends_line(text: str, end: int) -> bool:
    rest = text[end : end + 2].lstrip(" \t\u00a0")
    return not rest or rest[0] in "\n\r.!،,;:؛)"


@cache
def _triggers() -> frozenset[str]:
    """Every word that can start a name or its context (a listed name, a title, an
    introduction or sign-off, «من»): any other word is passed over at once, which keeps
    name finding cheap on the ~99% of words that are none of these."""
    words: set[str] = {"من", *_TITLES_EN, *_TITLES_FA, *_PHRASE_HEADS}
    for script in ("en", "fa"):
        lists = name_lists(script)
        words |= lists.first | lists.first_common | lists.last
    return frozenset(words)


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of person names in `text` (Persian and English), from lists and context."""
    triggers = _triggers()
    # Most answers hold no word that could start a name: found with one C-level pass
    # before any token objects are built.
    if triggers.isdisjoint(_WORD.findall(fold_persian(text).lower())):
        return []
    tokens = _tokens(text)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.key not in triggers:
            i += 1
            continue
        end = i
        titles = _TITLES_EN if token.latin else _TITLES_FA
        if token.key in titles and i + 1 < len(tokens) and _title_gap(text, token, tokens[i + 1]):
            end = _run(text, tokens, i + 1, strong=True)
            # «خانم» is also "a woman", Dr only a title: the next word must still look
            # like a name; _run's strong mode accepts listed and surname-shaped words.
            start = i + 1
        elif n := _phrase_at(tokens, i, _INTRO_EN if token.latin else _INTRO_FA):
            start = i + n
            end = _run(text, tokens, start, strong=True)
            # "this is great", "I am happy", «بنده خیلی ...»: only a listed first name.
            if (end > start and token.key in _WEAK_INTROS
                    and not name_lists("en" if token.latin else "fa")
                    .first_name(tokens[start].key)):
                end = start
        elif n := _phrase_at(tokens, i, _SIGN_OFF_EN if token.latin else _SIGN_OFF_FA):
            start = i + n
            end = _run(text, tokens, start, strong=True)
            # A signature is the last thing on its line: "Thanks for nothing" is not one.
            if end > start and not _ends_line(text, tokens[end - 1].end):
                end = start
            if end > start and not (name_lists("en" if tokens[start].latin else "fa")
                                    .first_name(tokens[start].key)):
                end = start
        elif token.key == "من" and not token.latin:
            # «من مریم احمدی هستم»: a listed first name, then «هستم».
            start = i + 1
            end = _run(text, tokens, start, strong=True)
            listed = end > start and name_lists("fa").first_name(tokens[start].key)
            if not (listed and end < len(tokens) and tokens[end].key == "هستم"):
                end = start
        else:
            start = i
            end = _run(text, tokens, i, strong=False)
            if end == i + 1 and not token.latin and token.key not in name_lists("fa").first:
                end = i  # a bare surname-shaped word («عالی», «ایرانی») is not a name
            elif end == i and i + 1 < len(tokens) and _common_first(token) \
                    and _joined(text, token, tokens[i + 1]) and (
                        _strict_surname(tokens[i + 1]) or _signature_line(text, tokens, i)):
                # "Will Smith", «امید رضایی»: an everyday first name with a surname.
                end = i + 2
        if end > start:
            spans.append((tokens[start].start, tokens[end - 1].end))
            i = end
        else:
            i += 1
    return spans


def _signature_line(text: str, tokens: list[_Token], i: int) -> bool:
    """Tokens i, i+1 are a Persian first name and a surname shaped from an everyday word
    («شیرین مرادی») and nothing else is on their line."""
    first, second = tokens[i], tokens[i + 1]
    line_start = text.rfind("\n", 0, first.start) + 1
    return (not second.latin and _common_surname_shaped(second.key, name_lists("fa"))
            and not text[line_start:first.start].strip(" \t\u00a0-–—،,")
            and _ends_line(text, second.end))


def _common_first(token: _Token) -> bool:
    if len(token.key) < 3:
        return False  # «و», «به», "Al": too short to stand for a name by themselves
    if token.latin:
        return token.capitalised and token.key in name_lists("en").first_common
    return token.key in name_lists("fa").first_common and token.key not in _NOT_NAMES_FA


def looks_like_person_name(value: str) -> bool:
    """A short value made of a person's name (a CRM "name" column): «علی رضایی», "Sarah J"."""
    tokens = _tokens(value)
    if not 1 <= len(tokens) <= 4 or len(value) > 60 or any(ch.isdigit() for ch in value):
        return False
    head = tokens[0]
    lists = name_lists("en" if head.latin else "fa")
    if len(tokens) == 1:  # «امید» alone is as likely a word as a name
        return head.key in lists.first or head.key in lists.last
    return lists.first_name(head.key) and any(_surname(t) or _name_word(t, strong=True)
                                              for t in tokens[1:])
