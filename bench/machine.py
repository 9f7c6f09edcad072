"""Describe the machine a benchmark ran on, so figures are compared like with like."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine_info() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    info: dict[str, object] = {"cpu": model, "cores": os.cpu_count(),
                               "python": platform.python_version()}
    if hasattr(os, "getloadavg"):
        # Other work on the machine slows a benchmark down; the load says how much.
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return info
