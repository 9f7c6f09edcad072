"""Trial: does OpenVINO earn a place among the encoder backends? (issue 14, req. 4)

OpenVINO (PyPI ``openvino``) has bf16 kernels for AVX512-BF16/AMX and int8 kernels for
VNNI and AVX2. It is not a voc dependency; this trial installs nothing and is skipped
where ``import openvino`` fails (``pip install openvino`` into the venv, or
``--openvino-path DIR`` for a ``pip install --target DIR openvino``).

It runs the same e5 encoder, the same texts (bench/encoder_throughput.py's generator),
the same batching (EncoderEngine: dedup, length-sorted token-budget batches) and the same
threads on:

* voc's backends: torch fp32, torch-bf16, onnx (ORT fp32), onnx-int8 (ORT dynamic int8);
* OpenVINO compiling voc's exported fp32 ONNX graph with ``INFERENCE_PRECISION_HINT``
  f32 and bf16, and compiling voc's ORT int8 graph (OpenVINO runs its
  DynamicQuantizeLinear/MatInteger ops).

Rounds are interleaved (every engine once per round) and each figure is the median over
rounds, so load from other jobs shifts every engine alike; the ratio to onnx-int8 (what
``auto`` picks on AVX2 machines) is the comparison. Cosine is against torch fp32.

Run: `.venv/bin/python bench/openvino_trial.py [--texts 2000] [--rounds 5]`
Writes bench/results/openvino_trial.json with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from encoder_throughput import feedback_texts
from machine import machine_info

VOC_BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")
BASELINE = "onnx-int8"


def _openvino_runner(core: Any, graph: Path, precision: str,
                     threads: int) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]:
    compiled = core.compile_model(str(graph), "CPU", {
        "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": precision})
    request = compiled.create_infer_request()

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        result = request.infer({"input_ids": ids, "attention_mask": mask})
        return tuple(np.asarray(result[out], dtype=np.float32) for out in compiled.outputs)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--openvino-path", type=Path, default=None,
                        help="a folder holding the openvino package (pip install --target)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent
                        / "results" / "openvino_trial.json")
    args = parser.parse_args(argv)
    if args.openvino_path:
        sys.path.insert(0, str(args.openvino_path))
    try:
        import openvino
    except ImportError:
        print("openvino is not installed: nothing to compare (see the module docstring)")
        return 0
    from voc.encoder.cache import cache_root, ensure_default_model
    from voc.encoder.engine import EncoderEngine, _ModelDirSource, default_threads

    threads = default_threads()
    texts = feedback_texts(args.texts)
    model_dir = ensure_default_model()
    source = _ModelDirSource(model_dir, cache_root())
    machine_before = machine_info()
    engines: dict[str, EncoderEngine] = {
        name: EncoderEngine.from_model_dir(model_dir, backend=name, threads=threads)
        for name in VOC_BACKENDS}
    core = openvino.Core()
    for name, graph, precision in (
            ("openvino-f32", source.onnx_path(int8=False), "f32"),
            ("openvino-bf16", source.onnx_path(int8=False), "bf16"),
            ("openvino-on-ort-int8", source.onnx_path(int8=True), "f32")):
        engines[name] = EncoderEngine(_openvino_runner(core, graph, precision, threads),
                                      source.tokenizer, backend=name, pad_id=source.pad_id)
    reference = engines["torch"].encode(texts)
    rates: dict[str, list[float]] = {name: [] for name in engines}
    cosine: dict[str, float] = {}
    for round_index in range(args.rounds):
        for name, engine in engines.items():
            started = time.perf_counter()
            out = engine.encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
            if round_index == 0:
                cosine[name] = round(float(np.min(np.sum(out * reference, axis=1))), 5)
        print(f"round {round_index + 1}: " + ", ".join(
            f"{n} {r[-1]:.0f}" for n, r in rates.items()), flush=True)
    median = {name: statistics.median(r) for name, r in rates.items()}
    result = {
        "benchmark": "openvino_trial",
        "machine_before": machine_before,
        "machine_after": machine_info(),
        "openvino": openvino.__version__,
        "threads": threads,
        "texts": len(texts),
        "rounds": args.rounds,
        "engines": {name: {"texts_per_s_median": round(median[name], 1),
                           "texts_per_s_rounds": [round(x, 1) for x in rates[name]],
                           "vs_onnx_int8": round(median[name] / median[BASELINE], 3),
                           "min_cosine_to_fp32": cosine[name]} for name in engines},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["engines"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
