"""Files shipped inside the package: the default heads, the journey maps, the default config.

They are package data, so a wheel installed anywhere finds them; nothing points into a
checkout. setuptools installs a wheel as plain files, so each resource is a real path that
safetensors, ONNX export caches and `voc journeys show` can open directly.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped(*parts: str) -> Path:
    """The path of a file or folder under `voc/data/`, e.g. `shipped("journeys")`."""
    return Path(str(resources.files(__name__).joinpath(*parts)))


def word_list(package: str, name: str) -> frozenset[str]:
    """The words of ``<package>/data/<name>.txt``: one a line; ``#`` lines are comments.

    Word lists are data, edited without touching the rules that use them; each file's
    header says what belongs in it and what was left out on purpose.
    """
    text = resources.files(package).joinpath("data", f"{name}.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
