"""Describe the machine a benchmark ran on, so figures are compared like with like."""

from __future__ import annotations

import os
import platform
from pathlib import Path

# The CPU features that decide which encoder path is fast (README, "Benchmarks").
_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile")


def machine_class(flags: set[str]) -> str:
    """The README's machine classes: AMX (native bf16 matrix tiles, e.g. Sapphire Rapids),
    AVX-512, AVX2 (e.g. the 2-core AMD EPYCs), or other."""
    if "amx_bf16" in flags:
        return "amx"
    if "avx512f" in flags:
        return "avx512"
    return "avx2" if "avx2" in flags else "other"


def machine_info() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    flags: set[str] = set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        # The first processor's lines: every core of these machines is alike.
        text = cpuinfo.read_text(encoding="utf-8", errors="replace").split("\n\n")[0]
        for line in text.splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    info: dict[str, object] = {"cpu": model, "cores": os.cpu_count(),
                               "machine_class": machine_class(flags),
                               "cpu_features": [f for f in _FEATURES if f in flags],
                               "python": platform.python_version()}
    if hasattr(os, "getloadavg"):
        # Other work on the machine slows a benchmark down; the load says how much.
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return info
