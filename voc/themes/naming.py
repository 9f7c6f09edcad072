"""Theme names a reader understands: one short noun phrase per language, from the theme's
own words, chosen KeyBERT-style with the run's own encoder.

Candidates are the phrases of 1-4 words the theme's members use (per script: Persian
candidates from Persian-script segments, English ones from English segments; Finglish
segments count as Persian script through a reading of their words in Persian script,
`read_finglish`, and are never quoted in Latin letters).
A candidate must read as a noun phrase:

- it starts and ends on a content word, and only connectors ("of", «در») sit inside;
- its last word is a noun: for English, in spaCy's lookup tables (WordNet's noun index,
  or a known English word no other word class claims), never a bare verb form ("doing",
  "arrived"); for Persian, a word in hazm's lexicon that is not a verb form (hazm's
  lemmatizer gives verbs a past#present stem; «زده» is the past stem «زد» plus «ه»);
- every word is a known word of its language (no Finglish "poshtibani", no typos and no
  truncated lemmas: candidates are surface words, never the lemmatizer's output).

Candidates in at least a few members (coverage) and more often than in other themes
(lift) are encoded once (phrases only: the segments' embeddings are already there),
centred like the segments, and scored by similarity to the theme's centre, by how much
closer they are to it than to any other theme's centre, and by coverage. In a theme of
complaints the phrase the encoder's own sentiment head reads as negative is preferred, so
the name says what is wrong ("Late delivery", not "Delivery").
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from voc.data import word_list
from voc.language.script import has_persian_letter
from voc.normalize.persian import persian_lemmatizer, persian_word_tokenizer
from voc.themes.cluster import OUTLIER, center_languages
from voc.themes.vectorizer import BOUNDARY, ThemeTokenizer, stop_words

_PERSIAN_WORD = re.compile(r"[\u0600-\u06FF]+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")
MAX_WORDS = 4
# A problem name may be longer: a noun phrase, a negation, its verb and a particle
# ("Courier never showed up").
MAX_PROBLEM_WORDS = 5
# Function words allowed inside a name ("delay in refunds", «تأخیر در ارسال»).
CONNECTORS = {"en": frozenset({"of", "in", "on", "for", "with", "to", "and"}),
              "fa": frozenset({"در", "از", "به", "با", "و", "برای"})}
# English verbs whose -ing form is no topic ("doing", "getting"), though WordNet lists it.
_LIGHT_VERBS = word_list("voc.themes", "light_verbs")
# English verbs that alone name no theme, though WordNet lists them as nouns too ("want").
_VERBS_NOT_NAMES = word_list("voc.themes", "verbs_not_names")
_NOT_NAMES_ALONE = word_list("voc.themes", "not_names_alone")
# Past stems of auxiliary and light verbs, never a noun at the end of a name.
_AUXILIARY_STEMS = frozenset({"داشت", "بود", "کرد", "شد", "گشت", "گرفت", "داد", "زد"})
# Forms of شدن and کردن: a phrase of several words before one is a fragment.
_PERSIAN_LIGHT_VERBS = word_list("voc.themes", "persian_light_verbs")
# Persian nouns shaped like a past participle («بسته»: the package).
_PARTICIPLE_NOUNS = word_list("voc.themes", "persian_participle_nouns")
# English auxiliaries dropped between a noun and its predicate ("refund was not received"
# names "Refund not received"); the n't forms negate it.
_AUXILIARIES = word_list("voc.themes", "english_auxiliaries")
# Particles that may end a phrasal verb in a name ("courier never showed up").
_PARTICLES = word_list("voc.themes", "english_particles")
# Copulas: "the item was faulty" names "Faulty item"; «کالا معیوب بود» «کالای معیوب».
_COPULAS = frozenset({"is", "was", "are", "were", "بود", "است", "هست", "بودن"})
# Words that may sit between a copula and its adjective ("prices are too high").
_INTENSIFIERS = frozenset({"very", "so", "too", "really", "extremely", "always"})
# Persian ones sit between the subject and its adjective («غذا خیلی سرد بود»); after one,
# the copula may be dropped, as reviews do («بسته‌بندی بسیار ضعیف.»).
_PERSIAN_INTENSIFIERS = frozenset({
    "خیلی", "بسیار", "واقعا", "واقعاً", "واقعن", "کاملا", "کاملاً", "کاملن", "اصلا", "اصلاً",
    "بشدت", "شدیدا", "شدیداً", "فوق‌العاده", "نسبتا", "نسبتاً", "کمی", "یکم", "زیادی"})
# Words before and after an English noun-verb ("change", "check") that make it a verb
# there ("to change my order"): that use names nothing.
_VERB_CONTEXT = {side: frozenset(w for s, w in (
    line.split() for line in word_list("voc.themes", "english_verb_context")) if s == side)
    for side in ("before", "after")}
# Negations kept in an English problem name.
_NEGATIONS = frozenset({"not", "never"})
# Words whose scope inverts a phrase: English ones before it (and n't forms), Persian
# negated copulas after it. A phrase in that scope is not a candidate name.
_NEGATION_SCOPE = {side: frozenset(w for s, w in (
    line.split() for line in word_list("voc.themes", "negation_scope")) if s == side)
    for side in ("before", "after")}
# Words that may stand between an English negator and what it negates ("not very good").
_SCOPE_GAP = frozenset({"very", "so", "too", "really", "that", "any", "a", "an", "the"})
# Persian light-verb forms -> the infinitive that names the compound verb (a problem
# «تماس قطع میشه» is named «قطع شدن تماس»).
_LIGHT_VERB_INFINITIVE = {form: infinitive for form, infinitive in (
    line.split() for line in word_list("voc.themes", "persian_light_verb_infinitives"))}
# Colloquial and present forms of simple verbs -> the infinitive that names them («پیک
# نیومد» -> «نیامدن پیک»); positive forms only after «دیر» (late).
_SIMPLE_VERB_INFINITIVE = {form: infinitive for form, infinitive in (
    line.split() for line in word_list("voc.themes", "persian_simple_verb_forms"))}
_LATE = "دیر"
# hazm lists «باز» (again) as a stop word; before a light verb it is «باز شدن» (to open:
# «اپلیکیشن باز نمیشه», an app's commonest complaint).
_COMPOUND_VERB_STOP_WORDS = frozenset({"باز"})
# Object markers between a noun and its compound verb («سفارش رو لغو کردن»).
_OBJECT_MARKERS = frozenset({"را", "رو", "رو‌"})
# A phrase must be at least this common among English words (spaCy's lexeme log
# probability) when WordNet does not list it ("app", "login", "checkout").
_MIN_ENGLISH_LOGPROB = -15.0

# Candidates per theme and language that are encoded.
POOL = 20
# A candidate is in at least this share of the theme's segments of its script...
MIN_COVERAGE = 0.05
# A name is a phrase at least this many of the theme's members in that language use: one
# member's phrase is an anecdote ("Floors to pick" named a Persian delivery theme after
# its only English statement in the sample report).
MIN_MEMBERS = 2
# ...and this many times as often as in the other themes' segments.
MIN_LIFT = 1.2
# Score weights: similarity to the centre, margin over the nearest other centre, coverage,
# and (in a complaint theme) the phrase's own negative probability.
W_MARGIN = 1.0
W_COVERAGE = 0.5
W_NEGATIVE = 0.15
# A theme is a theme of complaints when this share of its segments is negative or mixed.
COMPLAINT_SHARE = 0.5
# A phrase names a problem when the sentiment head gives it this probability of negative.
PROBLEM_PROBABILITY = 0.5
# Longer names read worse on a chart axis: a small cost per word beyond two.
W_LENGTH = 0.05
# The weight of a candidate's similarity to the theme's name in its other language.
W_AGREE = 0.2


@lru_cache(maxsize=1)
def naming_version() -> str:
    """A digest of the naming rules (this module, the theme tokenizer and the word lists
    in voc/themes/data): a theme state records it, and a later run keeps the state's
    names only under the same rules, so a new release names kept themes anew."""
    digest = hashlib.sha256()
    package = resources.files("voc.themes")
    for name in ("naming.py", "vectorizer.py"):
        digest.update(package.joinpath(name).read_bytes())
    data = package.joinpath("data")
    for entry in sorted(data.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class PhraseOutputs:
    """The run's encoder on candidate phrases: L2-normalised embeddings and, when the
    classifier has a sentiment head, each phrase's probability of being negative."""

    embeddings: np.ndarray
    negative: np.ndarray | None = None


PhraseModel = Callable[[list[str]], PhraseOutputs]


# ---------------------------------------------------------------- word classes


@dataclass(frozen=True)
class EnglishLexicon:
    lookup: dict[str, str]  # inflected form -> lemma
    index: dict[str, frozenset[str]]  # noun / verb / adj / adv -> lemmas (WordNet)
    logprob: dict[str, float]

    def classes(self, word: str) -> set[str]:
        lemma = self.lookup.get(word, word)
        return {pos for pos, words in self.index.items() if word in words or lemma in words}

    def known(self, word: str) -> bool:
        return bool(self.classes(word)) or self.logprob.get(word, -99.0) >= _MIN_ENGLISH_LOGPROB

    def is_noun(self, word: str) -> bool:
        """Can head a noun phrase: a WordNet noun or a regular plural of one (not a verb
        form: "doing", "arrived", "did"), or a common English word WordNet lacks ("app")."""
        lemma = self.lookup.get(word, word)
        nouns, verbs = self.index["noun"], self.index["verb"]
        if lemma != word and lemma in verbs and word.endswith("ing"):
            # "shipping", "booking", "packaging" are nouns; "doing", "getting" are not.
            return word in nouns and lemma not in _LIGHT_VERBS
        if word in nouns:
            return True
        if lemma != word:
            return lemma in nouns and word.endswith("s")  # "prices", not "did"
        return not self.classes(word) and self.known(word)

    def is_verb_form(self, word: str) -> bool:
        """A past or third-person verb form ("lost", "charged"; not "prices", and not an
        -ing form: `is_noun` judges those)."""
        lemma = self.lookup.get(word, word)
        return lemma != word and lemma in self.index["verb"] and not word.endswith("ing") \
            and not (word.endswith("s") and lemma in self.index["noun"])

    def is_modifier(self, word: str) -> bool:
        """Can stand before the head: a noun or an adjective ("late", "delayed")."""
        return self.is_noun(word) or word in self.index["adj"]

    def is_adjective_only(self, word: str) -> bool:
        """An adjective or adverb that names nothing on its own ("late", "fast")."""
        return word in self.index["adj"] and (word not in self.index["noun"]
                                               or word in self.index["adv"])


@lru_cache(maxsize=1)
def english_lexicon() -> EnglishLexicon:
    """spaCy's English lookup tables (spacy-lookups-data, a dependency): read once."""
    def table(name: str) -> dict:
        data = resources.files("spacy_lookups_data").joinpath("data", f"en_{name}.json.gz")
        with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
            return json.load(text)

    index = {pos: frozenset(words) for pos, words in table("lemma_index").items()}
    return EnglishLexicon(table("lemma_lookup"), index, table("lexeme_prob"))


# Plural and ezafe endings a known Persian noun may carry in a name.
_PERSIAN_NOUN_ENDINGS = ("\u200cهای", "های", "\u200cها", "ها", "ان", "ات", "ی")
# Clitics and colloquial endings on a word («لینکش», «سفارشم», «گرونه»): a form of a known
# word, not a word of the run.
_PERSIAN_CLITICS = ("مون", "تون", "شون", "ش", "م", "ت", "ه", "ن")
# A Persian word hazm lacks is a word of the run's customers when this many of its
# Persian-script segments write it («مرجوعی»); fewer may be a typo.
MIN_RUN_WORD_COUNT = 3
# Personal endings and clitics: on a stop word they make a copula or pronoun form
# («نیستم», «عالیه», «اینم»), not a topic.
_PERSIAN_PERSONAL = ("یم", "ید", "ین", "ند", "م", "ی", "ه", "ن", "ت", "ش")


@dataclass(frozen=True)
class PersianLexicon:
    # hazm's word list: word -> (corpus frequency, coarse tags); the shared tokenizer's.
    words: Mapping[str, tuple[int, tuple[str, ...]]]
    past_stems: frozenset[str]
    present_stems: frozenset[str] = frozenset()

    def tags(self, word: str) -> frozenset[str]:
        """hazm's coarse tags of a word (N, AJ, ADV...; empty when untagged or unknown)."""
        entry = self.words.get(word)
        return frozenset(t for t in entry[1] if t and t != "0") if entry else frozenset()

    def known(self, word: str) -> bool:
        """In hazm's word list, or a plural or ezafe form of a word in it. Not the
        lemmatizer's guess: «لینکش» and «میدم» are clitic and verb forms, not names."""
        return word in self.words or any(
            word.endswith(end) and word[: -len(end)] in self.words
            for end in _PERSIAN_NOUN_ENDINGS)

    def inflected(self, word: str, ezafe: bool = False) -> bool:
        """Whether hazm lists `word` untagged as a tagged noun or adjective with a
        possessive clitic («دستم»: my hand, «قیمتش»: its price) or, with `ezafe`, with the
        ezafe that says a phrase goes on («صدای»): a form of a name, not a name."""
        if self.tags(word):
            return False
        if any(word.endswith(end) and self.tags(word[: -len(end)]) & {"N", "AJ"}
               for end in _PERSIAN_CLITICS[:6]):
            return True
        # The ezafe is written only after a vowel («صدا» -> «صدای», «بسته» -> «بسته‌ی»);
        # after a consonant «ی» makes another word («پشتیبانی»: support, «گوشی»: phone).
        base = word[:-2] if word.endswith("\u200cی") else word[:-1]
        return ezafe and word.endswith("ی") and base.endswith(("ا", "و", "ه")) \
            and bool(self.tags(base) & {"N", "AJ"})

    def is_verb(self, word: str) -> bool:
        if word in _PARTICIPLE_NOUNS:
            return False
        if word.endswith(("\u200cشده", "\u200cنشده")):
            return True  # «تحویل‌شده»: "delivered", a participle of a compound verb
        tags = self.tags(word)
        if word.startswith(("می\u200c", "نمی")) or (
                word.startswith("می") and not tags & {"N", "AJ"}):
            return True
        if "#" in persian_lemmatizer().lemmatize(word):
            return True
        # Imperatives and subjunctives: «بزن», «بخر» are «ب» and a present stem.
        if word.startswith("ب") and word[1:] in self.present_stems and not tags & {"N", "AJ"}:
            return True
        # Past participles and infinitives, negated or not («زده», «نرسیده», «گفتن»).
        for form in (word, word[1:] if word.startswith("ن") else ""):
            if form.endswith(("ه", "ن")) and form[:-1] in self.past_stems:
                return True
        stops = stop_words()
        return any(word.endswith(end) and word[: -len(end)] in stops
                   for end in _PERSIAN_PERSONAL)


@lru_cache(maxsize=1)
def persian_lexicon() -> PersianLexicon:
    """hazm's word list (with its coarse tags) and verb stems (hazm/data, a dependency)."""
    data = resources.files("hazm").joinpath("data")
    words = persian_word_tokenizer().words  # last line wins for a word listed twice
    stems: set[str] = set()
    present: set[str] = set()
    for line in data.joinpath("verbs.dat").read_text(encoding="utf-8").splitlines():
        past, _, rest = line.partition("#")
        if past.strip():
            stems.add(past.strip())
        if rest.strip():
            present.add(rest.strip())
    return PersianLexicon(words, frozenset(stems), frozenset(present))


# ---------------------------------------------------------------- candidates


def script_of(text: str, lang: str) -> str | None:
    """The language a segment's words can name a theme in: Persian script, English; None
    for Finglish (Persian in Latin letters), mixed and other segments."""
    if lang == "fa" and has_persian_letter(text):
        return "fa"
    if lang == "en" and not has_persian_letter(text):
        return "en"
    return None


def persian_vocabulary(documents: Sequence[str], scripts: Sequence[str | None]
                       ) -> Counter[str]:
    """How often the run's Persian-script segments write each Persian word."""
    return Counter(word for doc, script in zip(documents, scripts, strict=True)
                   if script == "fa" for word in _PERSIAN_WORD.findall(doc))


def run_words(vocabulary: Counter[str]) -> frozenset[str]:
    """Persian words hazm's lexicon lacks that the run writes often enough to be words of
    its customers («مرجوعی», brand names), not typos; a known word with a clitic
    («لینکش»: its link) is a form, not a word of its own."""
    persian = persian_lexicon()
    return frozenset(
        word for word, count in vocabulary.items()
        if count >= MIN_RUN_WORD_COUNT and len(word) >= 3 and word not in persian.words
        and not any(word.endswith(end) and word[: -len(end)] in persian.words
                    for end in _PERSIAN_CLITICS))


def read_finglish(documents: Sequence[str], langs: Sequence[str], scripts: list[str | None],
                  vocabulary: Counter[str]) -> list[str]:
    """The segments with Finglish ones read in Persian script (voc.language.finglish), the
    run's own Persian words first; their `scripts` set to "fa" where a word was read. A
    theme of "pool marjooi" answers is named from «پول مرجوعی», never in Latin letters."""
    documents = list(documents)
    finglish = [i for i, (doc, lang, script) in enumerate(zip(documents, langs, scripts,
                                                                strict=True))
                if script is None and lang == "fa" and _LATIN_LETTER.search(doc)]
    if not finglish:
        return documents
    from voc.language.finglish import FinglishReader

    reader = FinglishReader(vocabulary)
    for i in finglish:
        documents[i] = reader.text(documents[i])
        scripts[i] = "fa" if has_persian_letter(documents[i]) else None
    return documents


def readable(words: Sequence[str], lang: str, tokenizer: ThemeTokenizer,
             known: frozenset[str] = frozenset()) -> bool:
    """Whether a run of surface words reads as a noun phrase in `lang` (module docstring);
    `known` are Persian words of the run that count as known words (`run_words`)."""
    if not words or len(words) > MAX_PROBLEM_WORDS:
        return False
    if lang == "en" and len(words) > 1 and english_problem(words, tokenizer):
        return True
    if len(words) > MAX_WORDS:
        return False
    if not (tokenizer.is_content(words[0]) and tokenizer.is_content(words[-1])):
        return False
    if any(not tokenizer.is_content(w) and w not in CONNECTORS[lang] for w in words[1:-1]):
        return False
    if len(set(words)) < len(words):
        return False
    if len(words) == 1 and (words[0] in _NOT_NAMES_ALONE or (
            lang == "en" and english_lexicon().lookup.get(words[0], words[0])
            in _NOT_NAMES_ALONE)):
        return False  # "Weeks", «هفته»: how long, not what
    if _modified_non_name(words, lang):
        return False  # "Last week", «هفته دیرتر» (a week later), "big problem": still no name
    content = [w for w in words if tokenizer.is_content(w)]
    if lang == "en":
        english = english_lexicon()
        stops = stop_words()
        if any(has_persian_letter(w) or not english.known(w)
               or english.lookup.get(w, w) in stops for w in content):
            return False  # "times" is "time", a stop word
        if _VERBS_NOT_NAMES.intersection(words) or (len(words) == 1 and (
                english.is_adjective_only(words[0]) or english.is_verb_form(words[0]))):
            return False  # "want to cancel", "clickbait ads make", "lost", "late"
        # "trying to pay": a verb and its infinitive, not a name.
        if any(w == "to" and (words[i - 1].endswith("ing")
                              or english.is_verb_form(words[i - 1]))
               for i, w in enumerate(words) if i):
            return False
        # "stop sending", "keep asking": a verb and its -ing complement, not a name.
        if len(words) > 1 and words[1].endswith("ing") and \
                english.lookup.get(words[0], words[0]) in english.index["verb"]:
            return False
        return english.is_noun(words[-1]) and all(english.is_modifier(w)
                                                  for w in content[:-1])
    persian = persian_lexicon()
    if any(not has_persian_letter(w) or not (persian.known(w) or w in known)
           or persian.is_verb(w) for w in content):
        return False
    last = words[-1]
    # An ezafe ending («فروشگاه‌های», «غذای», «صدای») says the phrase goes on; a clitic
    # («امروز به دستم») makes a fragment of it.
    if last.endswith("های") or (last.endswith("ی") and last not in persian.words
                                and last not in known) or persian.inflected(last, ezafe=True) \
            or any(persian.inflected(w) for w in content[:-1]):
        return False
    if len(words) > 1 and (
            # A bare past stem ends a clause («مبلغ برگشت»), not a name; unless hazm knows
            # it as a noun too («درگاه پرداخت», «سبد خرید») and it is no auxiliary («داشت»).
            (last in persian.past_stems
             and ("N" not in persian.tags(last) or last in _AUXILIARY_STEMS))
            # A plural without ezafe («ایمیل‌ها جواب») ends its noun phrase.
            or any(w.endswith("ها") for w in words[:-1])):
        return False
    tags = persian.tags(words[0])
    if len(words) == 1 and "ADV" in tags:
        return False  # an adjective that is also an adverb («سریع», «دیر») names nothing
    # Persian heads come first («تأخیر در ارسال»): the first word is a noun or adjective
    # as far as hazm's tags say (untagged words count), not an adverb or preposition.
    return not tags or bool(tags & {"N", "AJ", "PL"})


def _modified_non_name(words: Sequence[str], lang: str) -> bool:
    """Whether a phrase is a noun that names nothing alone (`_NOT_NAMES_ALONE`: time,
    "problem", "customer") with only words that say which or how much of it: "last
    week", «هفته دیرتر», "big problem". A noun beside it makes a name ("minutes on hold",
    «ساعت تحویل», "payment problem")."""
    if len(words) < 2:
        return False
    if lang == "en":
        english = english_lexicon()
        head, rest = english.lookup.get(words[-1], words[-1]), words[:-1]
        return head in _NOT_NAMES_ALONE and all(
            w in english.index["adj"] or w in english.index["adv"] for w in rest)
    persian = persian_lexicon()
    # Persian heads come first; hazm tags most words as nouns too, so a word counts as a
    # modifier when it can be an adverb («گذشته», «بعد») or is untagged («دیرتر»); «ساعت
    # تحویل» (delivery time) names a thing.
    return words[0] in _NOT_NAMES_ALONE and all(
        not persian.tags(w) or "ADV" in persian.tags(w) for w in words[1:])


def english_problem(words: Sequence[str], tokenizer: ThemeTokenizer) -> bool:
    """Whether English words name a problem the way a headline or an issue tracker does: a
    noun phrase of one or two words, "not" or "never" (or "keeps" before an -ing form), a
    participle or -ing form, and at most a particle ("Refund not received", "Courier never
    showed up", "App keeps crashing", "Order cancelled"). Without a negation the verb must
    say a state: an -ing form or a participle WordNet also lists as an adjective
    ("cancelled", "damaged"); a bare past tense ("courier showed") is a fragment."""
    english = english_lexicon()
    words = list(words)
    if words[-1] in _PARTICLES:
        words = words[:-1]
    if len(words) < 2:
        return False
    verb, rest = words[-1], words[:-1]
    negated = rest[-1] in _NEGATIONS
    if negated:
        rest = rest[:-1]
    keeps = bool(rest) and rest[-1] in ("keeps", "kept") and verb.endswith("ing")
    if keeps:
        rest = rest[:-1]
    if not 1 <= len(rest) <= 2 or has_persian_letter(verb):
        return False
    lemma = english.lookup.get(verb, verb)
    if lemma not in english.index["verb"] or {verb, lemma} & _VERBS_NOT_NAMES:
        return False
    ing = verb.endswith("ing") and verb != lemma
    if not (ing or english.is_verb_form(verb)):
        return False
    if not (negated or keeps) and (lemma in _LIGHT_VERBS
                                   or not (ing or verb in english.index["adj"])):
        return False
    head = english.lookup.get(rest[-1], rest[-1])
    if ing and not negated and head in english.index["verb"]:
        return False  # "help deleting", "stop sending": a verb and its -ing complement
    # The subject is a noun phrase by the rules below (never itself a problem name).
    return len(rest) <= MAX_WORDS and readable(rest, "en", tokenizer) and \
        not (len(rest) > 1 and english_problem(rest, tokenizer))


def _verb_use(tokens: Sequence[str], start: int, end: int) -> bool:
    """Whether the window's first word follows a word that puts a verb after it ("to
    change", "please check"), or its last word precedes one that starts a verb's object
    ("change my", "report a"), and that word is a verb in WordNet."""
    english = english_lexicon()

    def verb(word: str) -> bool:
        return english.lookup.get(word, word) in english.index["verb"]

    return bool((start and tokens[start - 1] in _VERB_CONTEXT["before"]
                 and verb(tokens[start]))
                or (end < len(tokens) and tokens[end] in _VERB_CONTEXT["after"]
                    and verb(tokens[end - 1])))


@lru_cache(maxsize=100_000)  # asked of every word before a candidate, for each size
def _inside_phrase(previous: str, lang: str, tokenizer: ThemeTokenizer) -> bool:
    """Whether a word after `previous` is inside a phrase, not the start of a subject:
    after a preposition (the object of «با تأخیر ارسال شد» is no subject) or after a noun
    or adjective it belongs with ("return pickup", «سبد خرید»)."""
    if previous in CONNECTORS[lang] or previous in ("بی", "تا", "of", "from", "by"):
        return True
    if not tokenizer.is_content(previous) or not _LETTER.search(previous):
        return False
    if lang == "en":
        return english_lexicon().is_modifier(previous)
    tags = persian_lexicon().tags(previous)
    return bool(tags & {"N", "AJ"}) and "ADV" not in tags and \
        not persian_lexicon().is_verb(previous)


def _predicate_adjective(tokens: Sequence[str], at: int) -> str | None:
    """The adjective a copula puts after its subject ("was faulty", "are too high"), past
    an intensifier, when it ends the clause: an adjective WordNet lists, no verb form."""
    english = english_lexicon()
    if at < len(tokens) and tokens[at] in _INTENSIFIERS:
        at += 1
    if at >= len(tokens):
        return None
    word = tokens[at]
    following = tokens[at + 1] if at + 1 < len(tokens) else BOUNDARY
    if word in english.index["adj"] and not _LETTER.search(following) \
            and not english.is_verb_form(word) and not word.endswith("ing") \
            and english.known(word) and word not in stop_words():
        return word
    return None


def ezafe(noun: str) -> str:
    """A Persian noun with the ezafe its adjective needs, as written: «ی» after a long
    vowel («کالای»), «‌ی» after a silent «ه» («بسته‌ی»), nothing otherwise («جنس»)."""
    if noun.endswith(("ا", "و")):
        return noun + "ی"
    if noun.endswith("ه"):
        return noun + "\u200cی"
    return noun


def _noun_phrases_at(tokens: Sequence[str], start: int, lang: str, tokenizer: ThemeTokenizer,
                     known: frozenset[str]) -> list[list[str]]:
    """The noun phrases of one or two words starting at `start` (a subject)."""
    found = []
    for size in (1, 2):
        words = list(tokens[start: start + size])
        if len(words) == size and BOUNDARY not in words and \
                _readable_cached(tuple(words), lang, tokenizer, known):
            found.append(words)
    if lang == "fa" and not found and start < len(tokens):
        # A possessive clitic on the subject («سفارشم نرسیده»: my order) is not named.
        word = tokens[start]
        for clitic in _PERSIAN_CLITICS[:5]:
            base = word[: -len(clitic)]
            if word.endswith(clitic) and len(base) >= 3 and word not in persian_lexicon().words \
                    and "N" in persian_lexicon().tags(base) \
                    and _readable_cached((base,), lang, tokenizer, known):
                return [[base]]
    return found


def problem_phrases(tokens: Sequence[str], lang: str, tokenizer: ThemeTokenizer,
                    known: frozenset[str] = frozenset()) -> set[str]:
    """Names of a problem a segment states, from its own words: a noun and its failing
    predicate. English drops the auxiliaries a headline drops ("my refund was not
    received" -> "refund not received"; `english_problem` judges the result). Persian
    names a compound verb by its infinitive before the noun it is about («تماس قطع میشه»
    -> «قطع شدن تماس», «پشتیبانی جواب نمیده» -> «جواب ندادن پشتیبانی»), and a negated
    simple verb the same way («سفارش نرسید» -> «نرسیدن سفارش»)."""
    found: set[str] = set()
    persian = persian_lexicon() if lang == "fa" else None
    if lang == "en":
        english = english_lexicon()
        for before, word in itertools.pairwise(tokens):
            # "not happy at all" -> "not happy": the negated adjective is the complaint
            # (alone, "happy" says the opposite, and `_negated` keeps it from naming).
            if before == "not" and word in english.index["adj"] \
                    and tokenizer.is_content(word) and not english.is_noun(word):
                found.add(f"not {word}")
    if persian is not None:
        for word, after in itertools.pairwise(tokens):
            # «راضی نیستم» -> «راضی نبودن»: an adjective under a negated copula names the
            # problem by its infinitive, as «ثبت نشدن» does (alone, «راضی» says the opposite).
            if after in _NEGATION_SCOPE["after"] and "AJ" in persian.tags(word) \
                    and tokenizer.is_content(word) and not persian.is_verb(word):
                found.add(f"{word} نبودن")
    for start in range(len(tokens)):
        if start and _inside_phrase(tokens[start - 1], lang, tokenizer):
            continue  # «[سبد] خرید خالی شد», "[return] pickup never showed up": not a subject
        for subject in _noun_phrases_at(tokens, start, lang, tokenizer, known):
            at = start + len(subject)
            if lang == "en":
                negation: list[str] = []
                copula = False
                while at < len(tokens) and tokens[at] in _AUXILIARIES:
                    if tokens[at].endswith("n't"):
                        negation = ["not"]
                    copula = copula or tokens[at] in _COPULAS
                    at += 1
                adjective = _predicate_adjective(tokens, at) if copula and not negation \
                    else None
                if adjective and len(subject) == 1:
                    # "the item was faulty" -> "faulty item", as a name says it.
                    found.add(f"{adjective} {subject[0]}")
                if at < len(tokens) and tokens[at] in _NEGATIONS | {"keeps", "kept"}:
                    negation = [tokens[at]]
                    at += 1
                if at >= len(tokens):
                    continue
                words = [*subject, *negation, tokens[at]]
                if at + 1 < len(tokens) and tokens[at + 1] in _PARTICLES:
                    words.append(tokens[at + 1])
                # A phrasal verb keeps its particle: "never showed up", not "never showed".
                if english_problem(words, tokenizer):
                    found.add(" ".join(words))
                continue
            assert persian is not None
            if at < len(tokens) and tokens[at] in _OBJECT_MARKERS:
                at += 1
            if at >= len(tokens):
                continue
            word = tokens[at]
            adjective_at = at
            while adjective_at < len(tokens) and tokens[adjective_at] in _PERSIAN_INTENSIFIERS:
                adjective_at += 1
            adjective = tokens[adjective_at] if adjective_at < len(tokens) else BOUNDARY
            after = tokens[adjective_at + 1] if adjective_at + 1 < len(tokens) else BOUNDARY
            # The clause ends on the adjective: a copula, or after an intensifier the end of
            # the clause or «و» («غذا بسیار سرد و ...»).
            clause_ends = after in _COPULAS or (adjective_at > at and (
                after == "و" or not _LETTER.search(after)))
            if len(subject) == 1 and clause_ends and adjective not in subject \
                    and "AJ" in persian.tags(adjective) and tokenizer.is_content(adjective) \
                    and not persian.is_verb(adjective):
                # «کالا معیوب بود» -> «کالای معیوب», the noun with its adjective (ezafe).
                found.add(f"{ezafe(subject[0])} {adjective}")
                continue
            # A negated simple verb, past or perfect («نرسید», «نرسیده»), not an auxiliary.
            stem = word[1:-1] if word.endswith("ه") else word[1:]
            if word.startswith("ن") and stem in persian.past_stems \
                    and stem not in _AUXILIARY_STEMS and len(stem) >= 3:
                found.add(f"ن{stem}ن {' '.join(subject)}")
                continue
            # Colloquial and present forms («نیومد», «نمیاد»), and a verb that came late.
            simple = _SIMPLE_VERB_INFINITIVE.get(word)
            if simple and simple.startswith("ن"):
                found.add(f"{simple} {' '.join(subject)}")
                continue
            late = _SIMPLE_VERB_INFINITIVE.get(tokens[at + 1]) \
                if word == _LATE and at + 1 < len(tokens) else None
            if late and not late.startswith("ن"):
                found.add(f"{_LATE} {late} {' '.join(subject)}")
                continue
            infinitive = _LIGHT_VERB_INFINITIVE.get(tokens[at + 1]) \
                if at + 1 < len(tokens) else None
            # The compound verb's noun or adjective («قطع», «پاک», «دیر»: an adverb too).
            tags = persian.tags(word)
            if infinitive and word not in subject \
                    and (tokenizer.is_content(word) or word in _COMPOUND_VERB_STOP_WORDS) \
                    and (persian.known(word) or word in known) \
                    and (not tags or tags & {"N", "AJ"}) and not persian.is_verb(word):
                found.add(f"{word} {infinitive} {' '.join(subject)}")
    return found


def candidate_phrases(text: str, lang: str, tokenizer: ThemeTokenizer,
                      known: frozenset[str] = frozenset()) -> set[str]:
    """The noun phrases of up to MAX_WORDS words a segment contains, as written."""
    tokens = tokenizer.surface_tokens(text)
    return _noun_phrases(tokens, lang, tokenizer, known) | problem_phrases(
        tokens, lang, tokenizer, known)


def _phrases_and_problems(text: str, lang: str, tokenizer: ThemeTokenizer,
                          known: frozenset[str]) -> tuple[set[str], set[str]]:
    """`candidate_phrases` of a segment, and those of them that name a problem, from one
    tokenization (Persian's problem phrases computed once, not once in each)."""
    tokens = tokenizer.surface_tokens(text)
    problems = problem_phrases(tokens, lang, tokenizer, known)
    found = _noun_phrases(tokens, lang, tokenizer, known) | problems
    if lang != "fa":
        problems = {p for p in found if " " in p and english_problem(p.split(), tokenizer)}
    return found, problems


def _noun_phrases(tokens: Sequence[str], lang: str, tokenizer: ThemeTokenizer,
                  known: frozenset[str]) -> set[str]:
    found = set()
    for start in range(len(tokens)):
        for size in range(1, MAX_WORDS + 1):
            words = tokens[start: start + size]
            if len(words) < size or BOUNDARY in words or not all(
                    _LETTER.search(w) for w in words):
                break
            if size > 1 and lang == "fa" and start + size < len(tokens) \
                    and (tokens[start + size] in _PERSIAN_LIGHT_VERBS
                         or tokens[start + size] in _LIGHT_VERB_INFINITIVE):
                continue  # «سفارش ثبت» [نشد]: the noun of a compound verb ends it
            if _negated(tokens, start, start + size, lang):
                continue  # "nothing [special]", «[راضی] نیستم»: it says the opposite
            if lang == "en" and _verb_use(tokens, start, start + size):
                continue  # "[to] change", "check [the] bill": a verb here, not a noun
            if lang == "en" and size > 1 and (
                    (start + size < len(tokens) and tokens[start + size] in _PARTICLES)
                    or (start and _inside_phrase(tokens[start - 1], lang, tokenizer))) \
                    and english_problem(words, tokenizer):  # the costly test last
                # "courier never showed" [up]: the particle belongs to the verb; [return]
                # "pickup never showed up": the subject starts before.
                continue
            if lang == "fa" and size > 1 and start \
                    and tokens[start - 1] not in CONNECTORS[lang] \
                    and _inside_phrase(tokens[start - 1], lang, tokenizer):
                # «صفحه [محصول نادرست]»: the phrase goes on from the word before (after a
                # preposition it starts: «با [ارسال سریع]»).
                continue
            if _readable_cached(tuple(words), lang, tokenizer, known):
                found.add(" ".join(words))
    return found


def _negated(tokens: Sequence[str], start: int, end: int, lang: str) -> bool:
    """Whether tokens[start:end] stand in a negation's scope: after an English negator (a
    few intensifiers or determiners between), or before a Persian negated copula."""
    if lang == "fa":
        return end < len(tokens) and tokens[end] in _NEGATION_SCOPE["after"]
    at = start - 1
    while at >= 0 and tokens[at] in _SCOPE_GAP:
        at -= 1
    return at >= 0 and (tokens[at] in _NEGATION_SCOPE["before"] or tokens[at].endswith("n't"))


def mostly_affirmed(phrase: str, texts: Sequence[str], lang: str,
                    tokenizer: ThemeTokenizer) -> bool:
    """Whether most of the occurrences of `phrase` in `texts` stand outside a negation's
    scope (`_negated`): a fallback label from keywords is checked with it, as candidate
    phrases are, so "nothing special" does not name a theme "Special"."""
    words = phrase.casefold().split()
    affirmed = negated = 0
    for text in texts:
        tokens = tokenizer.surface_tokens(text)
        for start in range(len(tokens) - len(words) + 1):
            if tokens[start: start + len(words)] == words:
                if _negated(tokens, start, start + len(words), lang):
                    negated += 1
                else:
                    affirmed += 1
    return affirmed >= negated


_READABLE: dict[tuple[tuple[str, ...], str, frozenset[str]], bool] = {}


def _readable_cached(words: tuple[str, ...], lang: str, tokenizer: ThemeTokenizer,
                     known: frozenset[str]) -> bool:
    key = (words, lang, known.intersection(words))
    if key not in _READABLE:
        if len(_READABLE) > 500_000:  # a bound, not a policy: texts repeat words a lot
            _READABLE.clear()
        _READABLE[key] = readable(words, lang, tokenizer, known)
    return _READABLE[key]


# ---------------------------------------------------------------- choosing


@dataclass(frozen=True)
class ThemeName:
    theme_id: int
    lang: str
    name: str
    coverage: float
    similarity: float
    margin: float


def display(phrase: str, lang: str) -> str:
    """A name as a heading: English sentence case; Persian as written."""
    return phrase[:1].upper() + phrase[1:] if lang == "en" else phrase


def name_themes(documents: Sequence[str], langs: Sequence[str], labels: np.ndarray,
                ids: Sequence[int], centres: np.ndarray, means: dict[str, np.ndarray],
                model: PhraseModel | None, complaint_share: Sequence[float],
                tokenizer: ThemeTokenizer) -> dict[str, dict[int, ThemeName]]:
    """Per language, the name of each theme that has members in that language's script.

    `centres` are the themes' centres in the language-centred space (rows in `ids` order),
    `means` the language means that space was centred with; `complaint_share` per theme
    the share of its segments that are negative or mixed. Without a `model` (no encoder
    at hand) candidates are ranked by coverage and lift alone.
    """
    row_of = {theme_id: row for row, theme_id in enumerate(ids)}
    scripts = [script_of(doc, str(lang)) for doc, lang in zip(documents, langs, strict=True)]
    documents = read_finglish(documents, langs, scripts, persian_vocabulary(documents, scripts))
    # Words Finglish answers were read as count: "marjooi" three times is a word.
    known = run_words(persian_vocabulary(documents, scripts))
    # Per script: per theme, segments of that script, and per phrase, segments per theme.
    sizes: dict[str, Counter[int]] = defaultdict(Counter)
    # Per script, the candidates that name a problem: a noun and its failing predicate.
    problem_forms: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    phrases_of: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for doc, script, label in zip(documents, scripts, labels.tolist(), strict=True):
        if script is None or label == OUTLIER or label not in row_of:
            continue
        sizes[script][label] += 1
        # Customers repeat themselves ("خیلی خوب بود", "fast delivery"): a text's phrases
        # are found once per run.
        if (doc, script) not in phrases_of:
            phrases_of[doc, script] = _phrases_and_problems(doc, script, tokenizer, known)
        found, problems = phrases_of[doc, script]
        for phrase in found:
            counts[script][phrase][label] += 1
        problem_forms[script] |= problems
    pools: dict[str, dict[int, list[tuple[str, float, bool]]]] = {}
    for script, by_phrase in counts.items():
        total = sum(sizes[script].values())
        pools[script] = {}
        for theme_id, size in sizes[script].items():
            minimum = max(MIN_MEMBERS, math.ceil(MIN_COVERAGE * size))
            rest_size = total - size
            scored = []
            for phrase, per_theme in by_phrase.items():
                count = per_theme.get(theme_id, 0)
                if count < MIN_MEMBERS:
                    continue
                coverage = count / size
                lift = (coverage / ((sum(per_theme.values()) - count + 1) / (rest_size + 1))
                        if rest_size else 2.0)
                if lift >= MIN_LIFT:
                    scored.append((phrase, coverage, coverage * math.log(lift),
                                   count < minimum))
            scored.sort(key=lambda x: (-x[2], -len(x[0].split()), x[0]))
            # Phrases fewer members share are a reserve: a theme whose own phrases all
            # name better-fitting themes is named from them, not given another's name.
            pools[script][theme_id] = [
                (p, c, reserve) for want in (False, True)
                for p, c, _, reserve in [x for x in scored if x[3] == want][:POOL]]
    return _choose({script: _scored(script, pool, ids, centres, means, model, complaint_share,
                                    problem_forms[script])
                    for script, pool in pools.items()})


@dataclass(frozen=True)
class _Scored:
    score: float
    name: ThemeName
    vector: np.ndarray | None  # the phrase, language-centred and normalised
    reserve: bool = False  # fewer members share it than a name needs (MIN_COVERAGE)


def _scored(lang: str, pool: dict[int, list[tuple[str, float, bool]]], ids: Sequence[int],
            centres: np.ndarray, means: dict[str, np.ndarray], model: PhraseModel | None,
            complaint_share: Sequence[float], problem_forms: set[str] | frozenset[str] = frozenset()
            ) -> dict[int, list[_Scored]]:
    """Per theme, its candidates with their scores, best first (module docstring);
    `problem_forms` are the candidates that name a problem (`problem_phrases`)."""
    phrases = sorted({p for candidates in pool.values() for p, _, _ in candidates})
    if not phrases:
        return {}
    similarity = negative = vectors = None
    if model is not None:
        outputs = model(phrases)
        embeddings = np.asarray(outputs.embeddings, dtype=np.float32)
        # An encoder other than the segments' (a test's stand-in) cannot be compared.
        if embeddings.ndim == 2 and embeddings.shape[1] == centres.shape[1]:
            # Centred like the segments, so phrase and centre live in one space.
            vectors = center_languages(embeddings, [lang] * len(phrases), means)
            similarity = vectors @ centres.T  # phrases x themes
            negative = outputs.negative
    position = {p: i for i, p in enumerate(phrases)}
    result: dict[int, list[_Scored]] = {}
    for theme_id, candidates in pool.items():
        row = list(ids).index(theme_id)
        complaint = negative is not None and complaint_share[row] >= COMPLAINT_SHARE
        if complaint:
            assert negative is not None
            # A theme of complaints is named by what is wrong: phrases the sentiment head
            # reads as negative go first when there are any ("Refund delay", not "Refund").
            # A lone negative word names a problem when it is this theme's («تاخیر»: closer
            # to its centre than to any other); "Issue", "Error" are every complaint's.
            # So must a phrase of several words: «گیج شدن آدم» (a person getting confused)
            # reads negative but fits other themes better than the chatbot theme it was in.
            problems = [(p, c, r) for p, c, r in candidates
                        if negative[position[p]] >= PROBLEM_PROBABILITY
                        and _margin(similarity, position[p], row) > 0]
            # A problem phrase half as many members share still says more than a bare
            # noun ("Courier never showed up" over "Courier"); fewer, and it is an anecdote.
            half = [(p, c, r) for p, c, r in problems if not r or (
                p.casefold() in problem_forms and c >= MIN_COVERAGE / 2 * (1 - 1e-9))]
            if half:
                named = {p for p, _, _ in half}
                candidates = [(p, c, False) for p, c, _ in half] + [
                    (p, c, True) for p, c, _ in candidates if p not in named]
        scored = []
        for phrase, coverage, reserve in candidates:
            words = len(phrase.split())
            own = margin = 0.0
            score = W_COVERAGE * coverage - W_LENGTH * max(words - 2, 0)
            if similarity is not None:
                sims = similarity[position[phrase]]
                own = float(sims[row])
                other = np.delete(sims, row)
                margin = own - float(other.max()) if len(other) else 0.0
                score += own + W_MARGIN * margin
            if complaint:
                assert negative is not None
                score += W_NEGATIVE * float(negative[position[phrase]])
            name = ThemeName(theme_id, lang, display(phrase, lang), round(coverage, 4),
                             round(own, 4), round(margin, 4))
            # A phrase another theme's centre is closer to names that theme better: it
            # goes to the reserve, so a phrase of this theme's that fewer members share
            # names it first ("Quick and friendly", not "Courier", for a theme of praise
            # whose couriers are another theme's).
            scored.append(_Scored(score, name,
                                  None if vectors is None else vectors[position[phrase]],
                                  reserve or (similarity is not None and margin < 0)))
        # Stable: on a tie the pool's order (coverage times log-lift, longer first) holds.
        scored.sort(key=lambda x: -x.score)
        if scored:
            result[theme_id] = scored
    return result


def _margin(similarity: np.ndarray | None, phrase: int, row: int) -> float:
    """How much closer a phrase is to theme `row`'s centre than to any other's."""
    if similarity is None:
        return 0.0
    others = np.delete(similarity[phrase], row)
    return float(similarity[phrase, row] - others.max()) if len(others) else 1.0


def name_key(name: str, lang: str) -> str:
    """What two names share when they are the same name ("Item" and "Items",
    «فروشگاه» and «فروشگاه‌ها»)."""
    words = name.casefold().split()
    if lang == "en":
        lookup = english_lexicon().lookup
        return " ".join(lookup.get(w, w) for w in words)
    return " ".join(w.removesuffix("\u200cها").removesuffix("ها") if len(w) > 4 else w
                    for w in words)


def _agreement(candidate: _Scored, other: _Scored | None) -> float:
    """How alike a candidate and the theme's name in the other language are (cosine of
    their language-centred vectors; 0 without vectors)."""
    if other is None or candidate.vector is None or other.vector is None:
        return 0.0
    norms = float(np.linalg.norm(candidate.vector) * np.linalg.norm(other.vector))
    return float(candidate.vector @ other.vector) / norms if norms else 0.0


def _pick(scored: dict[int, list[_Scored]], other: dict[int, _Scored], lang: str
          ) -> dict[int, _Scored]:
    """One name per theme, no two themes the same name: greedily over all (theme,
    candidate) pairs, best score first, so of two themes that want one name the one it
    fits better gets it and the other its next best. A candidate close to the theme's
    name in the other language (`other`) scores more, so both name one thing."""
    pairs = sorted(((c.score + W_AGREE * _agreement(c, other.get(theme_id)), theme_id, rank, c)
                    for theme_id, candidates in scored.items()
                    for rank, c in enumerate(candidates)),
                   key=lambda x: (x[3].reserve, -x[0], x[1], x[2]))
    chosen: dict[int, _Scored] = {}
    used: set[str] = set()
    for _, theme_id, _, candidate in pairs:
        key = name_key(candidate.name.name, lang)
        if theme_id in chosen or key in used:
            continue
        chosen[theme_id] = candidate
        used.add(key)
    return chosen


def _choose(scored: dict[str, dict[int, list[_Scored]]]) -> dict[str, dict[int, ThemeName]]:
    """Names in each language: first on their own, then again with the other language's
    first choice as the agreement to reach."""
    first = {lang: _pick(by_theme, {}, lang) for lang, by_theme in scored.items()}
    result: dict[str, dict[int, ThemeName]] = {}
    for lang, by_theme in scored.items():
        others = [first[o] for o in first if o != lang]
        chosen = _pick(by_theme, others[0] if others else {}, lang)
        result[lang] = {theme_id: c.name for theme_id, c in chosen.items()}
    return result
