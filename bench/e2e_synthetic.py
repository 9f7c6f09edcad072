"""Synthetic bilingual survey exports for end-to-end benchmarks.

Answers combine the clauses of `synthetic.py` with varying details (order numbers,
amounts, days, products, cities), so nearly every segment text is distinct and the
encoder cannot skip work by de-duplicating, as with real feedback. Deterministic per
seed; `--grow` writes a second export holding every row of the first plus new ones, as
a nightly export that grew.

Run: `.venv/bin/python bench/e2e_synthetic.py --rows 10000 --out export.csv
      [--grow 0.01 --grown-out export_grown.csv]`
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_answers

PRODUCTS_FA = ["گوشی", "هدفون", "کفش", "یخچال", "کتاب", "لپ‌تاپ", "ساعت", "کیف"]
PRODUCTS_EN = ["phone", "headphones", "shoes", "fridge", "book", "laptop", "watch", "bag"]
CITIES_FA = ["تهران", "شیراز", "تبریز", "مشهد", "اصفهان", "رشت"]
CITIES_EN = ["Tehran", "Shiraz", "Tabriz", "Mashhad", "Isfahan", "Rasht"]
# Connectives and sentence ends where the segmenter cuts an answer into clauses.
_CLAUSE_BREAK = re.compile(r"( ولی | اما | و | but | and | however, | vali |[.!] )")
CHANNELS = ["app", "web", "call_center", "email", "store"]


def _detail(rng: random.Random, persian: bool) -> str:
    kind = rng.randrange(5)
    number = rng.randint(2, 40)
    if kind == 0:
        return f"{'سفارش' if persian else 'order'} {rng.randint(10000, 99999)}"
    if kind == 1:
        if persian:
            return f"{rng.choice(PRODUCTS_FA)} رو {number} روز پیش خریدم"
        return f"bought the {rng.choice(PRODUCTS_EN)} {number} days ago"
    if kind == 2:
        return f"توی {rng.choice(CITIES_FA)}" if persian else f"in {rng.choice(CITIES_EN)}"
    if kind == 3:
        return f"{number * 25} هزار تومن" if persian else f"${number * 7}"
    return f"برای بار {number}م" if persian else f"for the {number}th time"


def varied_answer(base: str, rng: random.Random) -> str:
    """`base` with a detail added to each clause, in the clause's script."""
    parts = _CLAUSE_BREAK.split(base)
    out = []
    for index, part in enumerate(parts):
        if index % 2 or not part.strip():  # a connective, kept as it was
            out.append(part)
            continue
        persian = any("\u0600" <= ch <= "\u06ff" for ch in part)
        out.append(f"{part.rstrip('.!')} {_detail(rng, persian)}")
    return "".join(out)


def synthetic_rows(count: int, seed: int = 13, first_id: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    start = dt.date(2024, 1, 1)
    rows = []
    for index, base in enumerate(synthetic_answers(count, seed)):
        rows.append({
            "response_id": f"S{first_id + index:07d}",
            "date": (start + dt.timedelta(days=rng.randrange(365))).isoformat(),
            "channel": rng.choice(CHANNELS),
            "nps": str(rng.choice([0, 2, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10])),
            "comment": varied_answer(base, rng),
        })
    return rows


def write_export(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the export")
    parser.add_argument("--seed", type=int, default=13, help="random seed")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--grow", type=float, default=0.0,
                        help="also write a grown export with this fraction of new rows")
    parser.add_argument("--grown-out", type=Path, help="where the grown export goes")
    args = parser.parse_args()
    rows = synthetic_rows(args.rows, args.seed)
    write_export(args.out, rows)
    if args.grow:
        if args.grown_out is None:
            parser.error("--grow needs --grown-out")
        extra = synthetic_rows(max(1, round(args.rows * args.grow)), args.seed + 1,
                               first_id=args.rows)
        write_export(args.grown_out, rows + extra)


if __name__ == "__main__":
    main()
