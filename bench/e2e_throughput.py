"""Benchmark: `voc analyze` end to end on synthetic bilingual exports.

Goals (scale issue): 10k rows end to end (themes and report included) in <= 60 s on 2
cores, with the row-local stages at >= 50% of the encoder-only throughput; 100k rows in
<= 15 min under 6 GB; a re-run after 1% new rows costs <= 10% of the full run; Ray
local mode vs the default engine (overhead ratio).

Each run is a fresh `voc analyze` process (model loading included, as in a cron job).
Peak memory is the largest resident size of the process and its workers. The encoder
share is the classify stage's time over the row-local stages' time: the classify stage
is the encoder pass plus two small heads, so per-record throughput over the encoder-only
throughput equals that share.

Run: `.venv/bin/python bench/e2e_throughput.py --rows 10000 [--ray] [--out FILE]`
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_synthetic import synthetic_rows, write_export
from machine import machine_info

VOC = str(Path(sys.executable).with_name("voc"))
ROW_LOCAL = ("language", "redact", "normalize", "segment", "classify", "journey")


def _peak_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cold_cache(work: Path) -> dict[str, str]:
    """Environment for runs with the converted model, ONNX graphs and calibration of the
    user's voc cache but an empty encoder output cache, so no text's encoding is reused from an
    earlier run (the store, not that cache, is what this benchmark measures)."""
    from voc.encoder.cache import cache_root

    root = work / "cache"
    root.mkdir(parents=True)
    for name in ("models", "engine", "onnx"):
        if (cache_root() / name).exists():
            (root / name).symlink_to(cache_root() / name)
    return {**os.environ, "VOC_CACHE_DIR": str(root)}


def timed_run(args: list[str], out: Path, env: dict[str, str] | None = None
              ) -> dict[str, object]:
    """Run `voc analyze ARGS --out OUT`; wall time, peak memory and run.json facts."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.run([VOC, "analyze", *args, "--out", str(out), "--quiet"],
                             capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1) or not (out / "run.json").exists():
        raise SystemExit(f"voc analyze failed ({process.returncode}): {process.stderr}")
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    timings = manifest["timings_s"]
    records = manifest["counts"]["records_out"]
    row_local = sum(v for k, v in timings.items()
                    if k in ROW_LOCAL or k == "per_record_stages")
    return {
        "wall_s": round(wall, 1),
        "rows_per_s": round(records / wall, 1),
        "records": records,
        "segments": manifest["counts"]["segments"],
        # RUSAGE_CHILDREN keeps the maximum over finished children: a lower bound when
        # an earlier run was bigger, so each figure is read right after its run.
        "peak_rss_mb_so_far": round(_peak_children_mb(), 0),
        "timings_s": timings,
        "encoder_share_of_row_local": round(timings.get("classify", 0) / row_local, 3)
        if row_local else None,
        "store": manifest.get("store"),
        "load_avg_1m_before": round(load_before, 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the export")
    parser.add_argument("--grow", type=float, default=0.01, help="new rows for the re-run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ray", action="store_true", help="also run with --engine ray")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--warm-cache", action="store_true",
                        help="let runs reuse encoder outputs cached by earlier runs")
    args = parser.parse_args()

    results: dict[str, object] = {"machine": machine_info(), "rows": args.rows,
                                  "workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="voc-e2e-") as folder:
        work = Path(folder)
        rows = synthetic_rows(args.rows)
        export = write_export(work / "export.csv", rows)
        extra = synthetic_rows(max(1, round(args.rows * args.grow)), 14, first_id=args.rows)
        grown = write_export(work / "export_grown.csv", rows + extra)
        store = work / "voc.duckdb"
        common = ["--workers", str(args.workers)]
        env = None if args.warm_cache else cold_cache(work)
        results["encoder_output_cache"] = "warm" if args.warm_cache else "cold"
        results["full"] = full = timed_run([str(export), "--store", str(store), *common],
                                           work / "full", env)
        print(json.dumps({"full": full}, indent=1), flush=True)
        results["incremental"] = again = timed_run(
            [str(grown), "--store", str(store), *common], work / "grown", env)
        again["cost_vs_full"] = round(float(again["wall_s"]) / float(full["wall_s"]), 3)
        print(json.dumps({"incremental": again}, indent=1), flush=True)
        if args.ray:
            # A second cold cache: the default engine's run must not feed the Ray run.
            ray_env = None if args.warm_cache else cold_cache(work / "ray_cache")
            results["ray"] = ray = timed_run([str(export), "--engine", "ray", *common],
                                             work / "ray", ray_env)
            ray["overhead_vs_default"] = round(float(ray["wall_s"]) / float(full["wall_s"]), 3)
            print(json.dumps({"ray": ray}, indent=1), flush=True)
    results["machine_after"] = machine_info()
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
