"""Shared test helpers: run the CLI in-process and write small input files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from voc.cli.app import main

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_feedback"


# Fixtures that build the encoder or analyse the sample data end to end: a test that asks
# for one is slow whatever it checks, so `make test-fast` (-m "not slow") leaves it out.
_SLOW_FIXTURES = frozenset({"model_dir", "sample_run_dir"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `voc ARGS...` in this process; return exit code and captured output."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        code = exit_info.value.code
        return CliResult(code if isinstance(code, int) else 0, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The default encoder from the user's (or CI's) voc cache, built there when missing:
    rebuilding it per test would cost many seconds each time."""
    from voc.encoder.cache import ensure_default_model

    return ensure_default_model()


@pytest.fixture(scope="session")
def sample_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample data analysed once per test session (all outputs, CSV too).

    Tests only read this directory; a test that needs to change a run copies it first.
    """
    from voc.analysis import AnalyzeOptions, analyze

    out = tmp_path_factory.mktemp("sample_run")
    analyze(AnalyzeOptions(inputs=[SAMPLES], out=out, formats=("parquet", "csv")))
    return out


def read_outputs(out: Path) -> tuple[list[dict], list[dict], dict]:
    records = pq.read_table(out / "records.parquet").to_pylist()
    segments = pq.read_table(out / "segments.parquet").to_pylist()
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return records, segments, manifest


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    import csv
    import io

    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
