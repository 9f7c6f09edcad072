"""Regenerate the name lists in voc/privacy/data/ from ../shared/datasets.

    PYTHONPATH=. python bench/build_name_lists.py [--datasets ../shared/datasets]

Sources (both MIT, see their READMEs; the file whose licence is not stated is not read):
  names_persian/persian_names_permissive.csv  (joke2k/faker fa_IR, armanyazdi, nabidam)
  names_english/english_names_faker.csv       (joke2k/faker en_US + en)

A name that is also an everyday word (Persian «امید», «بهار»; English "Will", "Hope") is
written as `first_common`/`last_common`: voc redacts it only where context marks a name
(a title, "my name is", a signature, a surname after it). Which names are everyday words is
decided from permissively licensed text. Persian: the *train* split of ParsTwiNER (MIT;
bench/name_redaction_eval.py measures on its dev and test splits only) says how often a
listed name is tagged as a person vs as an ordinary word, and VOD comments
(fa_sentipersian_vod_comments, MIT) flag very frequent words. English: lower-case occurrences
in GoEmotions (Apache-2.0; its names are already replaced by [NAME]), Banking77 and the UCI
sentences (CC BY 4.0). No text of those corpora is written out, only the flag.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from voc.privacy.names import fold_persian

OUT = Path(__file__).resolve().parents[1] / "voc" / "privacy" / "data"
# A Persian name is an everyday word when ParsTwiNER's train split has it mostly outside
# person entities (at least FA_MIN_SEEN times), or when VOD comments use it this often (per
# million words; the comments also name actors, so only very frequent words count).
FA_MIN_SEEN = 3
FA_MAX_PERSON_SHARE = 0.5
FA_COMMON_PER_MILLION = 500.0
EN_COMMON_LOWERCASE = 3
# Everyday words the corpora are too small to flag for sure; issue #15 names the first ones.
_FA_ALWAYS_COMMON = (
    "امید مهر نور بهار صبا باران آرزو شادی دریا گل ماه ستاره آسمان نسیم آفتاب مهتاب شیرین "
    "ناز سحر صدف پاییز بهشت نگین آرام آزاد روشن سپید نیک پاک فرشته عزیز امیر شاه خان "
    "پیروز بهروز جهان ایران سرور یاس نرگس لاله مریم‌گلی وفا صفا رحمت نعمت عدالت"
)
FA_ALWAYS_COMMON = _FA_ALWAYS_COMMON.split()
_EN_ALWAYS_COMMON = (
    "will may grace bill mark hope joy faith rose june april august art bob sue pat frank "
    "gene guy jack ray rich sky summer autumn dawn eve ivy lily penny ruby amber crystal "
    "page chase drew dusty rusty sandy honey melody destiny harmony trinity unique precious "
    "miracle justice royal king prince duke major rocky cliff glen dale lane brook forest "
    "river stone hunter chance chip don dean sal van jean tom jan else"
)
EN_ALWAYS_COMMON = _EN_ALWAYS_COMMON.split()
_FA_WORD = re.compile(r"[\u0621-\u063a\u0641-\u064a\u0671-\u06d3\u200c]+")
_EN_WORD = re.compile(r"[A-Za-z]+")


def _persian_counts(datasets: Path) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    path = datasets / "fa_sentipersian_vod_comments" / "sentipersian_comments.csv"
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            counts.update(fold_persian(w) for w in _FA_WORD.findall(row["text"] or ""))
    return counts, sum(counts.values())


def _parstwiner_train_counts(datasets: Path) -> tuple[Counter[str], Counter[str]]:
    """How often each word is part of a person entity, and how often it is not."""
    person: Counter[str] = Counter()
    other: Counter[str] = Counter()
    with (datasets / "fa_ner_parstwiner" / "parstwiner.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["split"] != "train":
                continue
            for token, tag in zip(row["tokens"], row["tags"], strict=True):
                for word in _FA_WORD.findall(fold_persian(token)):
                    (person if tag.endswith("-PER") else other)[word] += 1
    return person, other


def _english_lowercase_counts(datasets: Path) -> Counter[str]:
    texts: list[str] = []
    for split in ("train", "dev"):
        path = datasets / "en_goemotions" / "original" / f"{split}.tsv"
        with path.open(encoding="utf-8") as f:
            texts.extend(line.split("\t", 1)[0] for line in f)
    for path, column in ((datasets / "en_banking77" / "train.csv", "text"),
                         (datasets / "en_uci_sentences" / "all.csv", "text")):
        with path.open(encoding="utf-8", newline="") as f:
            texts.extend(row[column] or "" for row in csv.DictReader(f))
    # Only lower-case uses count: "will" is a word, "Will" at a sentence start may be a name.
    return Counter(w for text in texts for w in _EN_WORD.findall(text) if w.islower())


def _write(path: Path, header: Iterable[str], rows: Iterable[tuple[str, str]]) -> None:
    lines = [f"# {line}" for line in header]
    lines += [f"{kind}\t{name}" for kind, name in sorted(set(rows))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path}: {len(lines)} lines, {path.stat().st_size:,} bytes")


def build_persian(datasets: Path) -> list[tuple[str, str]]:
    counts, total = _persian_counts(datasets)
    limit = FA_COMMON_PER_MILLION * total / 1e6
    always = {fold_persian(w) for w in FA_ALWAYS_COMMON}
    person, other = _parstwiner_train_counts(datasets)

    def common(word: str) -> bool:
        seen = person[word] + other[word]
        return (len(word) <= 2 or word in always or counts[word] >= limit
                or (seen >= FA_MIN_SEEN and person[word] / seen < FA_MAX_PERSON_SHARE))

    rows: list[tuple[str, str]] = []
    path = datasets / "names_persian" / "persian_names_permissive.csv"
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["script"] != "Arabic/Persian":
                continue
            kind = {"first": "first", "last": "last", "surname_suffix": "suffix",
                    "surname_prefix": "prefix"}.get(row["kind"])
            if kind is None:
                continue
            for part in fold_persian(row["name"]).replace("\u200c", " ").split():
                if kind in ("suffix", "prefix"):
                    rows.append((kind, part))
                    continue
                rows.append((f"{kind}_common" if common(part) else kind, part))
    return rows


def build_english(datasets: Path) -> list[tuple[str, str]]:
    lowercase = _english_lowercase_counts(datasets)
    always = set(EN_ALWAYS_COMMON)
    rows: list[tuple[str, str]] = []

    def add(kind: str, name: str) -> None:
        for part in re.split(r"[\s\-]+", name.strip()):
            if not part.isalpha():
                continue
            key = part.lower()
            common = len(key) <= 2 or key in always or lowercase[key] >= EN_COMMON_LOWERCASE
            rows.append((f"{kind}_common" if common else kind, part.capitalize()))

    with (datasets / "names_english" / "english_names_faker.csv").open(
            encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            add("last" if row["kind"] == "last" else "first", row["name"])
    # Transliterated Persian first names (armanyazdi, MIT): "Ahmad Karimi" in English text.
    with (datasets / "names_persian" / "persian_names_permissive.csv").open(
            encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["script"] == "Latin" and row["kind"] == "first":
                add("first", row["name"])
    # A name listed as both a first name and a surname keeps both rows; the finder reads
    # them as a set per kind.
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "datasets")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    header = ["kind<TAB>name; kinds: first, last (redacted alone or with a surname), "
              "*_common (everyday words: only with context), prefix/suffix (surname parts).",
              "Generated by bench/build_name_lists.py; do not edit by hand."]
    _write(OUT / "names_fa.txt",
           ["Persian person names from names_persian/persian_names_permissive.csv:",
            "joke2k/faker fa_IR, armanyazdi/persian-names, nabidam/persian-names; "
            "MIT licence.", *header],
           build_persian(args.datasets))
    _write(OUT / "names_en.txt",
           ["English person names from joke2k/faker en_US + en (MIT licence) and "
            "transliterated Persian first names from armanyazdi/persian-names (MIT licence).",
            *header],
           build_english(args.datasets))


if __name__ == "__main__":
    main()
