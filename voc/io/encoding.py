"""Decode the bytes of a text export into str, telling which encoding it was.

Persian exports arrive as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8"), UTF-16 (Excel's
"Unicode text") or Windows-1256 (older Excel and Windows tools). Windows-1256 maps every
byte to some character, so "it decoded" proves nothing: a decoding is accepted only when
the non-ASCII characters it yields are overwhelmingly Persian/Arabic letters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from voc.errors import InputError
from voc.language.script import has_persian_letter

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Magic numbers of files people rename or export by mistake; naming the real format
# tells the user exactly what to do instead of "bad encoding".
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP/XLSX workbook; give it a .xlsx extension or export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook; save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document; export the data as CSV or XLSX"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PAR1", "a Parquet file; give it a .parquet extension"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
)

_TYPOGRAPHIC = frozenset("\u200c\u200d\u200e\u200f«»–—…‘’“”•€")

# Tolerate a handful of broken bytes in an otherwise UTF-8 file (a truncated copy-paste)
# rather than refusing the whole export; the manifest reports the repair.
_MAX_BAD_UTF8_BYTES = 8
_MIN_CP1256_PLAUSIBILITY = 0.85
_MIN_UTF16_PLAUSIBILITY = 0.95
# Up to this many NUL bytes (and at most 1 % of the file) are stray bytes in a text file,
# wherever they are; the readers drop them and flag the rows that held them.
_MAX_STRAY_NULS = 16


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    replaced_bytes: int = 0


def _is_persian_or_typographic(char: str) -> bool:
    return char in _TYPOGRAPHIC or has_persian_letter(char)


def _cp1256_plausibility(text: str) -> float:
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 1.0
    return sum(_is_persian_or_typographic(c) for c in non_ascii) / len(non_ascii)


def _text_plausibility(text: str) -> float:
    """Share of characters that ordinary ASCII or Persian text is made of."""
    if not text:
        return 0.0
    usual = sum(
        (" " <= c <= "~") or c in "\t\r\n" or _is_persian_or_typographic(c) for c in text
    )
    return usual / len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 byte order from where the zero bytes fall.

    ASCII characters put their zero byte in one lane (odd offsets for little-endian); in
    mostly-Persian text the other byte of a letter is 0x06, so that lane may hold few
    zeros, but the other lane then holds none and the decoded text reads as Persian.
    """
    sample = data[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) / 2
    for order, zeros, other_zeros in (("utf-16-le", odd_zeros, even_zeros),
                                      ("utf-16-be", even_zeros, odd_zeros)):
        if zeros > 0.3 * half and other_zeros < 0.05 * half:
            return order
        if zeros >= 2 and other_zeros == 0:
            decoded = sample.decode(order, errors="replace")
            if _text_plausibility(decoded) >= _MIN_UTF16_PLAUSIBILITY:
                return order
    return None


def _few_stray_nuls(data: bytes) -> bool:
    """A handful of NUL bytes in a text file (a copy-paste artefact), not a binary file."""
    nuls = data.count(0)
    return nuls <= _MAX_STRAY_NULS and nuls <= len(data) / 100


def sniff_binary(data: bytes) -> str | None:
    """Describe the binary format `data` starts with, or None if it may be text."""
    for magic, description in _BINARY_SIGNATURES:
        if data.startswith(magic):
            return description
    return None


def decode_bytes(data: bytes, source: str, encoding: str | None = None) -> DecodedText:
    """Decode an export, detecting UTF-8/UTF-8-BOM/UTF-16/Windows-1256 unless told."""
    if encoding:
        try:
            return DecodedText(data.decode(encoding), encoding)
        except LookupError as exc:
            raise InputError(f"unknown encoding '{encoding}' given with --encoding") from exc
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{source} is not valid {encoding} (byte {exc.start}); "
                "check --encoding or leave it out to auto-detect"
            ) from exc

    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(name), name)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source} starts with a {name} byte-order mark but is not valid {name}; "
                    "re-save it as UTF-8"
                ) from exc

    binary = sniff_binary(data)
    if binary:
        raise InputError(f"{source} is not a text file: it looks like {binary}")

    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16:
            try:
                return DecodedText(data.decode(utf16), utf16)
            except UnicodeDecodeError:
                pass
        if not _few_stray_nuls(data):
            raise InputError(
                f"{source} looks like a binary file, not CSV/TSV text; if it is UTF-16 text "
                "without a byte-order mark, pass --encoding utf-16-le (or utf-16-be)"
            )

    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass

    repaired = data.decode("utf-8", errors="replace")
    bad = repaired.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if 0 < bad <= _MAX_BAD_UTF8_BYTES and bad < len(data) / 1000:
        return DecodedText(repaired, "utf-8", replaced_bytes=bad)

    as_cp1256 = data.decode("cp1256")
    if _cp1256_plausibility(as_cp1256) >= _MIN_CP1256_PLAUSIBILITY:
        return DecodedText(as_cp1256, "cp1256")

    raise InputError(
        f"could not tell the text encoding of {source} (it is not UTF-8, UTF-16 or "
        "Windows-1256); re-save it as UTF-8 or pass --encoding NAME"
    )


# NUL bytes and lone UTF-16 surrogates (half an emoji, cut by a JavaScript exporter and
# written as "\ud83d" in JSON) are valid in a Python str but not in UTF-8 or Parquet.
_UNSAFE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def repair_unsafe_characters(text: str) -> tuple[str, str | None]:
    """Drop NUL bytes and replace lone surrogates with U+FFFD; say what was repaired."""
    if _UNSAFE_CHARACTERS.search(text) is None:
        return text, None
    nuls = text.count("\x00")
    text = text.replace("\x00", "")
    text, surrogates = re.subn("[\ud800-\udfff]", "\ufffd", text)
    repairs = []
    if nuls:
        repairs.append(f"removed {nuls} NUL byte{'s' if nuls > 1 else ''}")
    if surrogates:
        repairs.append(f"replaced {surrogates} broken character{'s' if surrogates > 1 else ''} "
                       "(lone UTF-16 surrogates) with U+FFFD")
    return text, "; ".join(repairs)


def physical_lines(text: str) -> list[str]:
    """The lines of a line-oriented file (JSONL, TSV), split at ``\\n`` and ``\\r\\n`` only.

    ``str.splitlines()`` also splits at U+2028, U+2029, U+0085 and form feeds, which JSON
    strings may hold unescaped (``json.dumps(..., ensure_ascii=False)`` writes them so): a
    record pasted from the web would break into invalid rows.
    """
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
