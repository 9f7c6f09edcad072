"""Precision and recall of name redaction (voc.privacy.names.find_names).

    PYTHONPATH=. python bench/name_redaction_eval.py --out bench/results/name_redaction.json

Persian: ParsTwiNER (fa_ner_parstwiner, MIT), PER entities of the dev and test splits (the
train split was used to build the name lists, see bench/build_name_lists.py). Sentences are
the tokens joined by spaces; a gold name is a maximal B-PER/I-PER run. Reported:

* entity level: a predicted span counts when it equals a gold name exactly;
* token level (what matters for privacy): a gold name token is covered when a predicted span
  covers it (recall); a predicted token is right when it is part of a gold name (precision).

English: no labelled English NER data is available offline, so there is no English recall
figure. Instead the script counts how often real English feedback (the UCI sentences, CC BY
4.0, and Banking77, CC BY 4.0; people's names are rare there) gets a name redacted, and lists
those spans for a human to judge: an over-redaction check, not a precision measurement.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

from voc.privacy.names import find_names

_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def _persian(datasets: Path, splits: tuple[str, ...]) -> dict[str, object]:
    tp_ent = pred_ent = gold_ent = 0
    tp_tok = pred_tok = gold_tok = 0
    sentences = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    with (datasets / "fa_ner_parstwiner" / "parstwiner.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["split"] not in splits:
                continue
            sentences += 1
            tokens, tags = row["tokens"], row["tags"]
            starts, pos = [], 0
            for token in tokens:
                starts.append(pos)
                pos += len(token) + 1
            text = " ".join(tokens)
            gold: set[tuple[int, int]] = set()
            i = 0
            while i < len(tags):
                if tags[i].endswith("-PER"):
                    j = i + 1
                    while j < len(tags) and tags[j] == "I-PER":
                        j += 1
                    gold.add((i, j))
                    i = j
                else:
                    i += 1
            gold_tokens = {k for s, e in gold for k in range(s, e)}
            predicted: set[tuple[int, int]] = set()
            for s, e in find_names(text):
                covered = [k for k, start in enumerate(starts)
                           if start < e and start + len(tokens[k]) > s]
                if covered:
                    predicted.add((covered[0], covered[-1] + 1))
            pred_tokens = {k for s, e in predicted for k in range(s, e)}
            tp_ent += len(gold & predicted)
            pred_ent += len(predicted)
            gold_ent += len(gold)
            tp_tok += len(gold_tokens & pred_tokens)
            pred_tok += len(pred_tokens)
            gold_tok += len(gold_tokens)
            for s, e in sorted(predicted - gold):
                if len(false_alarms) < 40 and not set(range(s, e)) & gold_tokens:
                    false_alarms.append(" ".join(tokens[s:e]))
            for s, e in sorted(gold - predicted):
                if len(misses) < 40:
                    misses.append(" ".join(tokens[s:e]))

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "data": "fa_ner_parstwiner (MIT), splits " + "+".join(splits),
        "sentences": sentences, "gold_names": gold_ent, "gold_name_tokens": gold_tok,
        "entity": {"precision": ratio(tp_ent, pred_ent), "recall": ratio(tp_ent, gold_ent)},
        "token": {"precision": ratio(tp_tok, pred_tok), "recall": ratio(tp_tok, gold_tok)},
        "examples_missed": misses, "examples_false_alarms": false_alarms,
    }


def _english(datasets: Path) -> dict[str, object]:
    texts: list[str] = []
    for path in (datasets / "en_uci_sentences" / "all.csv",
                 datasets / "en_banking77" / "train.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            texts.extend(row["text"] or "" for row in csv.DictReader(f))
    redacted: list[str] = []
    with_name = 0
    for text in texts:
        spans = find_names(text)
        with_name += bool(spans)
        redacted.extend(text[s:e] for s, e in spans)
    return {
        "data": "en_uci_sentences + en_banking77 (CC BY 4.0): real feedback, no name labels",
        "texts": len(texts), "texts_with_a_redacted_name": with_name,
        "per_1000_texts": round(1000 * with_name / len(texts), 2),
        "redacted_spans_for_review": sorted(set(redacted))[:80],
        "note": "no labelled English NER data is available offline: no precision/recall",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=_DATASETS)
    parser.add_argument("--splits", default="dev,test")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    result = {"persian": _persian(args.datasets, tuple(args.splits.split(","))),
              "english": _english(args.datasets)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
