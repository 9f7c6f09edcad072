"""Benchmark: per-record stages (language, redaction, normalization, segmentation).

Goal (foundation issue): >= 5,000 rows/s for 100k mixed Persian/English rows on 2 cores.
Run: `.venv/bin/python bench/normalize_throughput.py [--rows 100000] [--out FILE]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine_info
from synthetic import synthetic_answers

from voc.pipeline.base import RunState
from voc.pipeline.config import DEFAULT_CONFIG
from voc.pipeline.executor import default_workers, run_pipeline
from voc.pipeline.run import build_components


def _records(texts: list[str]) -> list[dict]:
    return [{"row_id": i, "text": t, "status": "ok", "status_detail": None}
            for i, t in enumerate(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="rows to process")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="worker processes (default: one per core)")
    args = parser.parse_args()

    texts = synthetic_answers(args.rows)
    components = build_components(DEFAULT_CONFIG)
    run_pipeline(components, RunState(records=_records(texts[:200])))  # warm caches

    started = time.perf_counter()
    tables = run_pipeline(components, RunState(records=_records(texts)), workers=args.workers)
    seconds = time.perf_counter() - started
    result = {
        "rows": args.rows,
        "segments": len(tables.segments),
        "seconds": round(seconds, 2),
        "rows_per_s": round(args.rows / seconds),
        "stage_seconds": tables.stats.timings_s,
        "goal_rows_per_s": 5000,
        "workers": args.workers,
        **machine_info(),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
