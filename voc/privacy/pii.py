"""Offline PII detection and redaction for Persian + English customer feedback.

Detects e-mail addresses, URLs, phone numbers (Iranian mobile/landline and international),
bank card numbers (Luhn), Iranian IBANs (mod-97), Iranian national codes (checksum) and,
through a pluggable callable, person names. Digits may be ASCII, Persian (۰-۹) or
Arabic-Indic (٠-٩), mixed: detection runs on a digit-folded copy of the text, and because
folding is a 1:1 character map every offset also points into the original text.

Design decisions worth knowing:

* Checksums are mandatory. CARD needs Luhn (and a 2-6 leading digit, the only ranges real
  networks use), IBAN needs mod-97, NATIONAL_ID needs the official check digit. This is what
  keeps order numbers, tracking codes and prices from being redacted.
* Context cues. Numbers that are only weakly structured (national codes, international
  numbers) are *not* redacted when the nearest cue word before them (or, if there is none,
  right after them) is an order/tracking cue (سفارش, پیگیری, رهگیری, فاکتور, order,
  tracking, invoice, ticket, ``#``) or a price cue (قیمت, مبلغ, price, ...), or when the
  number is followed by a currency (تومان, ریال, $ ...). The nearest cue wins, and a cue
  only reaches the next number: in "price was 200$ my id ..." the price is the 200.
  «شماره»/"number" on its own is a phone cue and "id" a national-id cue, but directly after
  another cue they only qualify it: «سفارش شماره ...» / "order id ..." are order numbers.
* Strongly structured values are always redacted, whatever the cue: e-mails, URLs, Iranian
  mobiles (also dotted, ``0912.123.4567``), landlines with their area code, IR-prefixed
  IBANs and Luhn-valid card numbers. Refund complaints put cards right next to money and
  order words («مبلغ رو به ... برگردونید», "order 4512 - refund to ..."), so a cue must not
  veto them: privacy wins over the rare order number that passes Luhn. A 16-digit number
  right after a card cue («شماره کارت», "card number") is a card even when a typo breaks
  its checksum.
* Bare 8-digit local landlines (and mobiles without the trunk 0, ``912 123 4567``) are only
  phones next to a phone cue (تلفن, تماس, شماره, phone, tel, call, زنگ ...); a bare 24-digit
  IBAN only next to «شبا»/IBAN. Service numbers (1500) and short codes are never phones.
* ``name_finder`` receives the original text; it must return valid ``(start, end)`` spans
  (a bad span raises ``ValueError``). Without it NAME is never produced.
* Bare domains are URLs only with a path (``digikala.com/product/1``): a shop name such as
  ``digikala.com`` is useful for analysis and is not personal data. URL bodies are ASCII
  (browsers copy non-ASCII paths percent-encoded), which keeps Persian text glued to a URL
  out of the match.
* Overlaps: the longer match wins, ties go to the more specific kind, so digits inside an
  e-mail or URL never become a phone. Kinds disabled through ``kinds`` still take part in
  overlap resolution (so enabling only PHONE does not redact digits inside an e-mail).
* A match never starts or ends inside a longer digit run, nor inside a decimal, date or
  thousands-grouped number (``1,250,000``, ``1402/05/12``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from voc.io.values import fold_digits

__all__ = ["PII_KINDS", "PII_KIND_DESCRIPTIONS", "PiiMatch", "PiiRedactor", "RedactionResult",
           "fold_digits"]

PII_KINDS: tuple[str, ...] = ("EMAIL", "URL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "NAME")
# What each kind covers, in the words a report reader needs to judge what may remain.
PII_KIND_DESCRIPTIONS: dict[str, str] = {
    "EMAIL": "e-mail addresses",
    "URL": "web links",
    "PHONE": "phone numbers",
    "CARD": "bank card numbers",
    "IBAN": "IBANs (Sheba)",
    "NATIONAL_ID": "Iranian national ids",
    "NAME": "person names found from name lists and context (titles, introductions, "
            "signatures, a first name with a surname); other names can remain",
}

NameFinder = Callable[[str], list[tuple[int, int]]]


@dataclass(frozen=True)
class PiiMatch:
    """One detected PII span; ``start``/``end`` index the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class RedactionResult:
    """Redacted text plus how many spans of each kind were replaced."""

    text: str
    counts: dict[str, int]


# --------------------------------------------------------------------------- patterns
# Everything below runs on folded text, so digit classes are plain [0-9]. Python's \d and \w
# are avoided on purpose: they match Persian letters/digits and would glue matches to the
# surrounding Persian text.

_SP = r"[\x20\u00a0]"
_DASH = r"[\-\u2010-\u2013\u2212]"
# One separator between digit groups: a space, or a dash optionally padded by spaces.
_SEP = rf"(?:{_SP}?{_DASH}{_SP}?|{_SP})"
_SEPQ = rf"{_SEP}?"
# Not inside a digit run, nor continuing a decimal / date / thousands-grouped number.
_NUM_L = r"(?<![0-9])(?<![0-9][.,/:\u066b\u066c])"
_NUM_R = r"(?![0-9])(?![.,/:\u066b\u066c][0-9])"
# For fixed groupings (cards, local numbers): not a slice of a longer space/dash-grouped run.
_GRP_L = r"(?<![0-9][\x20\u00a0\-\u2010-\u2013\u2212])"
_GRP_R = r"(?![\x20\u00a0\-\u2010-\u2013\u2212][0-9])"

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z])"
)

_URL_BODY = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
# Lower-case only for bare domains so that "ASP.NET/C#" or "Node.JS/x" are not URLs.
_BARE_TLDS = (
    "com|net|org|ir|io|me|co|info|biz|app|dev|ai|xyz|shop|store|online|site|tech|blog|edu|"
    "gov|uk|de|fr|ru|tr|ae|ca|us|eu|in|tv|ly|gl|gg|link|page|cloud|to|news|live|pro"
)
_URL_RE = re.compile(
    rf"(?<![A-Za-z])(?i:https?|ftp)://{_URL_BODY}+"
    rf"|(?<![A-Za-z0-9@._%+\-])(?:"
    rf"(?i:www)\.{_HOST}[A-Za-z]{{2,24}}(?![A-Za-z0-9\-])(?::[0-9]{{1,5}})?"
    rf"(?:[/?#]{_URL_BODY}*)?"
    rf"|{_HOST}(?:{_BARE_TLDS})(?::[0-9]{{1,5}})?/{_URL_BODY}*"
    rf")"
)
_URL_TRAIL = frozenset(".,;:!?'\"*")
_URL_CLOSERS = {")": "(", "]": "["}

_MOBILE = (
    rf"\(0?9[0-9]{{2}}\)"
    rf"|(?:\((?:\+98|0098)\){_SEPQ}|(?:\+98|0098|98){_SEPQ}(?:\(0\){_SEPQ})?)"
    rf"(?:\(9[0-9]{{2}}\)|9{_SEPQ}[0-9]{_SEPQ}[0-9])"
    rf"|0{_SEPQ}9{_SEPQ}[0-9]{_SEPQ}[0-9]"
)
_LANDLINE = (
    rf"(?:\(0[1-8][0-9]\)|0[1-8][0-9]|(?:\+98|0098){_SEPQ}\(?[1-8][0-9]\)?)"
    rf"{_SEPQ}[2-9](?:{_SEPQ}[0-9]){{7}}"
)
# E.164: '+', country code not starting with 0, 8-15 digits in total.
_INTL = r"(?<![0-9A-Za-z+])\+[1-9](?:[\x20\u00a0]?[\-.()\u2013]?[\x20\u00a0]?[0-9]){7,14}"
_PHONE_RE = re.compile(
    rf"{_NUM_L}(?:(?:{_MOBILE})(?:{_SEPQ}[0-9]){{7}}|(?P<land>{_LANDLINE})|(?P<intl>{_INTL}))"
    rf"{_NUM_R}"
)
# Dots between digit groups only when every gap is a dot: a decimal has one dot, and a
# dotted date is too short to start like a mobile or a landline.
_DOTTED_PHONE_RE = re.compile(
    rf"{_NUM_L}(?:(?:\+98|0098)\.?9|09)[0-9]{{2}}\.[0-9]{{3}}\.[0-9]{{2}}\.?[0-9]{{2}}{_NUM_R}"
    rf"|{_NUM_L}0[1-8][0-9]\.[2-9][0-9]{{3}}\.?[0-9]{{4}}{_NUM_R}"
)
# Cue-only phones: 8-digit local numbers (never starting with 0 or 1, which also rules out
# years such as 1399-1402) and mobiles written without the trunk 0 (912 123 4567).
_LOCAL_RE = re.compile(
    rf"{_NUM_L}{_GRP_L}(?:[2-9][0-9]{{7}}|[2-9][0-9]{{3}}{_SEP}[0-9]{{4}}"
    rf"|[2-9][0-9]{_SEP}[0-9]{{2}}{_SEP}[0-9]{{2}}{_SEP}[0-9]{{2}}"
    rf"|9[0-9]{{2}}(?:{_SEPQ}[0-9]){{7}}){_NUM_R}{_GRP_R}"
)
_YEAR_RANGE_RE = re.compile(r"(?:19|20)[0-9]{2}\D+(?:19|20)[0-9]{2}")

_CARD_RE = re.compile(
    rf"{_NUM_L}(?:{_GRP_L}[2-6][0-9]{{3}}(?:{_SEP}[0-9]{{4}}){{3}}(?:{_SEP}[0-9]{{1,3}})?{_GRP_R}"
    rf"|3[47][0-9]{{2}}{_SEP}[0-9]{{6}}{_SEP}[0-9]{{5}}"
    rf"|[2-6][0-9]{{12,18}}){_NUM_R}"
)
_NID_RE = re.compile(rf"{_NUM_L}(?:[0-9]{{10}}|[0-9]{{3}}{_DASH}[0-9]{{6}}{_DASH}[0-9]){_NUM_R}")
_IBAN_RE = re.compile(rf"(?<![A-Za-z0-9])[Ii][Rr]{_SEPQ}[0-9]{{2}}(?:{_SEPQ}[0-9]){{22}}{_NUM_R}")
_SHEBA_RE = re.compile(rf"{_NUM_L}[0-9]{{2}}(?:{_SEPQ}[0-9]){{22}}{_NUM_R}")

# Every numeric kind has >= 8 digits joined only by these gap characters, so one scan for such
# chunks replaces running six patterns over the whole text; the patterns then only run on the
# chunk (+ a few chars of prefix such as "+", "IR", "(" and 2 chars of look-ahead).
_CHUNK_RE = re.compile(r"[0-9](?:[\x20\u00a0\-\u2010-\u2013\u2212().]{0,5}[0-9]){7,}")
_CHUNK_PREFIX = 6
_CHUNK_SUFFIX = 2
# Bare-domain URLs need ".tld/"; starting with a literal lets the engine skip ahead quickly.
_BARE_URL_GATE = re.compile(r"\.[a-z]{2,6}(?::[0-9]{1,5})?/")
_NON_DIGIT = re.compile(r"[^0-9]")

# Cue words. The *nearest* cue decides, so «شماره کارت» reads as card, «شماره سفارش» as order.
# «شماره»/"number" alone means a phone number, but it only qualifies a cue right next to it
# («سفارش شماره ...», "order number ..."). "stop" ends the look-back at a sentence boundary;
# Latin phone cues swallow a trailing dot so that "Tel. 88776655" still works.
_CUE_RE = re.compile(
    r"(?P<order>سفارش|پیگیری|رهگیری|فاکتور|مرسوله|تیکت"
    r"|(?<![A-Za-z])(?:order|track|invoice|ticket)|#)"
    r"|(?P<price>قیمت|مبلغ|هزینه|(?<![A-Za-z])(?:price|cost|amount|total))"
    r"|(?P<number>شماره|(?<![A-Za-z])number)"
    r"|(?P<ident>(?<![A-Za-z])id(?![A-Za-z]))"
    r"|(?P<phone>تلفن|تماس|موبایل|زنگ|واتساپ"
    r"|(?<![A-Za-z])(?:phone|tel|call|mobile|cell|fax|whatsapp)[a-z]*\.?)"
    r"|(?P<card>کارت|(?<![A-Za-z])card)"
    r"|(?P<nid>ملی|(?<![A-Za-z])national)"
    r"|(?P<iban>شبا|(?<![A-Za-z])(?:iban|sheba|shaba))"
    r"|(?P<stop>[!?؟\n]|\.(?=\s))",
    re.IGNORECASE,
)
_CUE_BEFORE = 32
_CUE_AFTER = 24
_CURRENCY_AFTER_RE = re.compile(
    r"[\x20\u00a0]*(?:تومان|تومن|ریال|هزار|میلیون|﷼|[$€£]"
    r"|(?i:toman|rial|irr|irt|usd|eur|dollar)(?![A-Za-z]))"
)
_VETO_CUES = frozenset({"order", "price"})

# Equal-length ties go to the more specific kind.
_TIER: dict[str, int] = {
    "IBAN": 0,
    "CARD": 1,
    "NATIONAL_ID": 2,
    "EMAIL": 3,
    "URL": 4,
    "PHONE": 5,
    "NAME": 6,
}
_TOKENS: dict[str, str] = {kind: f"[{kind}]" for kind in PII_KINDS}

_Span = tuple[int, int, str]


# --------------------------------------------------------------------------- validators


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i & 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _national_id_ok(digits: str) -> bool:
    if digits == digits[0] * 10:
        return False
    s = sum((ord(digits[i]) - 48) * (10 - i) for i in range(9)) % 11
    check = ord(digits[9]) - 48
    return check == s if s < 2 else check == 11 - s


def _iban_ir_ok(digits: str) -> bool:
    # ISO 13616: move "IR" + check digits to the end, letters as numbers (I=18, R=27).
    return int(digits[2:] + "1827" + digits[:2]) % 97 == 1


# --------------------------------------------------------------------------- context


# Qualifier cues name a kind on their own, but right after another cue they only qualify it.
_QUALIFIER_DEFAULT = {"number": "phone", "ident": "nid"}
_DIGIT = re.compile(r"[0-9]")


def _qualify(cue: re.Match[str], neighbour: re.Match[str] | None, gap: int) -> str | None:
    kind = cue.lastgroup
    if kind == "stop" or kind is None:
        return None
    if kind not in _QUALIFIER_DEFAULT:
        return kind
    if (neighbour is not None and gap <= 3
            and neighbour.lastgroup not in ("stop", *_QUALIFIER_DEFAULT)):
        return neighbour.lastgroup
    return _QUALIFIER_DEFAULT[kind]


def _cue(text: str, start: int, end: int) -> str | None:
    """Nearest cue before the span (same sentence), else the first one right after it.

    A cue describes the number next to it, so the look-back stops at the previous digit and
    the look-ahead at the next one: in "order 4512, refund to <card>" the order is 4512.
    """
    lo = max(0, start - _CUE_BEFORE)
    for digit in _DIGIT.finditer(text, lo, start):
        lo = digit.end()
    prev: re.Match[str] | None = None
    last: re.Match[str] | None = None
    for m in _CUE_RE.finditer(text, lo, start):
        prev, last = last, m
    if last is not None:
        return _qualify(last, prev, last.start() - prev.end() if prev is not None else 0)
    hi = min(len(text), end + _CUE_AFTER)
    next_digit = _DIGIT.search(text, end, hi)
    after = _CUE_RE.finditer(text, end, next_digit.start() if next_digit else hi)
    first = next(after, None)
    if first is None:
        return None
    following = next(after, None)
    return _qualify(first, following, following.start() - first.end() if following else 0)


def _is_money(text: str, start: int, end: int) -> bool:
    if _CURRENCY_AFTER_RE.match(text, end) is not None:
        return True
    before = text[max(0, start - 2) : start].strip()
    return before[-1:] in ("$", "€", "£")


def _vetoed(text: str, start: int, end: int) -> bool:
    return _cue(text, start, end) in _VETO_CUES or _is_money(text, start, end)


def _url_end(text: str, start: int, end: int) -> int:
    """Drop trailing punctuation that belongs to the sentence, not the URL."""
    while end > start:
        ch = text[end - 1]
        opener = _URL_CLOSERS.get(ch)
        # A closing bracket stays only when it balances one inside the URL (wiki-style paths).
        unbalanced = opener is not None and text.count(opener, start, end) < text.count(
            ch, start, end
        )
        if ch not in _URL_TRAIL and not unbalanced:
            break
        end -= 1
    return end


# --------------------------------------------------------------------------- detectors


def _find_emails(t: str, out: list[_Span]) -> None:
    for m in _EMAIL_RE.finditer(t):
        out.append((m.start(), m.end(), "EMAIL"))


def _find_urls(t: str, out: list[_Span]) -> None:
    for m in _URL_RE.finditer(t):
        start = m.start()
        end = _url_end(t, start, m.end())
        if not t.endswith("//", start, end):
            out.append((start, end, "URL"))


def _find_numbers(t: str, out: list[_Span]) -> None:
    n = len(t)
    for chunk in _CHUNK_RE.finditer(t):
        cs, ce = chunk.span()
        pos = max(0, cs - _CHUNK_PREFIX)
        endpos = min(n, ce + _CHUNK_SUFFIX)
        ndigits = len(_NON_DIGIT.sub("", chunk.group()))
        for m in _PHONE_RE.finditer(t, pos, endpos):
            s, e = m.span()
            if m.group("intl") is not None and _vetoed(t, s, e):
                continue
            out.append((s, e, "PHONE"))
        for m in _DOTTED_PHONE_RE.finditer(t, pos, endpos):
            out.append((m.start(), m.end(), "PHONE"))
        for m in _LOCAL_RE.finditer(t, pos, endpos):
            s, e = m.span()
            if (
                _cue(t, s, e) == "phone"
                and not _is_money(t, s, e)
                and _YEAR_RANGE_RE.fullmatch(m.group()) is None
            ):
                out.append((s, e, "PHONE"))
        if ndigits < 10:
            continue
        for m in _NID_RE.finditer(t, pos, endpos):
            s, e = m.span()
            if _national_id_ok(_NON_DIGIT.sub("", m.group())) and not _vetoed(t, s, e):
                out.append((s, e, "NATIONAL_ID"))
        if ndigits < 13:
            continue
        for m in _CARD_RE.finditer(t, pos, endpos):
            s, e = m.span()
            digits = _NON_DIGIT.sub("", m.group())
            if _luhn_ok(digits) or (len(digits) == 16 and _cue(t, s, e) == "card"):
                out.append((s, e, "CARD"))
        if ndigits < 24:
            continue
        for m in _IBAN_RE.finditer(t, pos, endpos):
            if _iban_ir_ok(_NON_DIGIT.sub("", m.group())):
                out.append((m.start(), m.end(), "IBAN"))
        for m in _SHEBA_RE.finditer(t, pos, endpos):
            s, e = m.span()
            if _iban_ir_ok(_NON_DIGIT.sub("", m.group())) and _cue(t, s, e) == "iban":
                out.append((s, e, "IBAN"))


def _resolve(cands: list[_Span]) -> list[_Span]:
    """Greedy non-overlapping selection: longest first, then most specific, then leftmost."""
    if len(cands) < 2:
        return cands
    cands.sort(key=lambda c: (c[0] - c[1], _TIER[c[2]], c[0]))
    chosen: list[_Span] = []
    for cand in cands:
        s, e = cand[0], cand[1]
        if all(e <= cs or s >= ce for cs, ce, _ in chosen):
            chosen.append(cand)
    chosen.sort()
    return chosen


# --------------------------------------------------------------------------- public API


class PiiRedactor:
    """Find and redact PII. Construct once and reuse: all patterns are module-level."""

    def __init__(
        self,
        kinds: Iterable[str] | None = None,
        name_finder: NameFinder | None = None,
    ) -> None:
        if kinds is None:
            enabled = frozenset(PII_KINDS)
        else:
            # A bare string is one kind, not an iterable of one-letter kinds.
            enabled = frozenset([kinds] if isinstance(kinds, str) else kinds)
            unknown = sorted(enabled.difference(PII_KINDS))
            if unknown:
                raise ValueError(
                    f"unknown PII kind(s) {unknown}; valid kinds are {', '.join(PII_KINDS)}"
                )
        self._kinds = enabled
        self._name_finder = name_finder if "NAME" in enabled else None
        # Fast path when everything is enabled: no per-span filtering needed.
        self._filter = enabled != frozenset(PII_KINDS)

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds this redactor reports and replaces."""
        return self._kinds

    def _spans(self, text: str) -> list[_Span]:
        cands: list[_Span] = []
        t = fold_digits(text)
        # Substring tests are far cheaper than any regex; most records stop here.
        if "@" in t:
            _find_emails(t, cands)
        if (
            "ww" in t
            or "WW" in t
            or ("/" in t and ("://" in t or _BARE_URL_GATE.search(t) is not None))
        ):
            _find_urls(t, cands)
        _find_numbers(t, cands)
        if self._name_finder is not None:
            n = len(text)
            for s, e in self._name_finder(text):
                if not 0 <= s < e <= n:
                    raise ValueError(
                        f"name_finder returned invalid span ({s}, {e}) for text of length {n}"
                    )
                cands.append((s, e, "NAME"))
        if not cands:
            return cands
        spans = _resolve(cands)
        if self._filter:
            kinds = self._kinds
            spans = [sp for sp in spans if sp[2] in kinds]
        return spans

    def find(self, text: str) -> list[PiiMatch]:
        """Non-overlapping matches sorted by start, with offsets into ``text``."""
        return [PiiMatch(k, s, e) for s, e, k in self._spans(text)]

    def redact(self, text: str) -> RedactionResult:
        """Replace every match with ``[KIND]``; text without PII is returned as is."""
        spans = self._spans(text)
        if not spans:
            return RedactionResult(text, {})
        parts: list[str] = []
        counts: dict[str, int] = {}
        pos = 0
        for s, e, k in spans:
            parts.append(text[pos:s])
            parts.append(_TOKENS[k])
            counts[k] = counts.get(k, 0) + 1
            pos = e
        parts.append(text[pos:])
        return RedactionResult("".join(parts), counts)

    def redact_many(self, texts: Iterable[str]) -> tuple[list[str], Counter[str]]:
        """Redact a batch; returns the texts in order and the summed counts per kind."""
        out: list[str] = []
        totals: Counter[str] = Counter()
        spans_of = self._spans
        tokens = _TOKENS
        for text in texts:
            spans = spans_of(text)
            if not spans:
                out.append(text)
                continue
            parts: list[str] = []
            pos = 0
            for s, e, k in spans:
                parts.append(text[pos:s])
                parts.append(tokens[k])
                totals[k] += 1
                pos = e
            parts.append(text[pos:])
            out.append("".join(parts))
        return out, totals
