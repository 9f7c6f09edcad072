"""What a wheel carries (issue #19): every shipped file is package data, found without a
checkout. `.ci/check_wheel` builds the wheel and runs it outside the repository; these
checks catch the usual slip (a new data file no package-data pattern names) in seconds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO
from voc.data import shipped
from voc.heads.predict import DEFAULT_HEADS_PATH
from voc.journey.maps import built_in_journeys

PACKAGE_DATA = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"]["setuptools"]["package-data"]
# Folders whose every file must ship; nothing else under voc/ is data.
DATA_FOLDERS = ("voc/data", "voc/language/data", "voc/privacy/data", "voc/report/templates")


def _shipped_files() -> set[Path]:
    files: set[Path] = set()
    for package, patterns in PACKAGE_DATA.items():
        folder = REPO / package.replace(".", "/")
        for pattern in patterns:
            matched = {p for p in folder.glob(pattern) if p.is_file()}
            assert matched, f"package-data pattern {package}: {pattern!r} names no file"
            files |= matched
    return files


def test_every_data_file_is_package_data() -> None:
    data = {p for folder in DATA_FOLDERS for p in (REPO / folder).rglob("*")
            if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts}
    assert data - _shipped_files() == set()


@pytest.mark.parametrize("path", [
    DEFAULT_HEADS_PATH, shipped("heads", "MODEL_CARD.md"), shipped("heads", "metrics.json"),
    shipped("default.yaml"), *built_in_journeys().values(),
])
def test_runtime_files_are_found_in_the_package(path: Path) -> None:
    assert path.is_file()
    assert path.resolve().is_relative_to((REPO / "voc").resolve())
    assert path.resolve() in {p.resolve() for p in _shipped_files()}


def test_built_in_journeys_are_the_four_shipped_maps() -> None:
    assert sorted(built_in_journeys()) == ["banking", "ecommerce", "food_delivery", "telecom"]
