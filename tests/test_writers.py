"""Output paths the system cannot hold are one-line errors, found before the analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_csv
from voc.errors import EXIT_USAGE, OutputError
from voc.io.writers import atomic_write, prepare_output_dir


def _nested_path(base: Path, total_length: int) -> Path:
    """A directory path of about `total_length` characters in 200-character parts."""
    path = base
    while len(str(path)) + 201 < total_length:
        path = path / ("d" * 200)
    return path / ("e" * (total_length - len(str(path)) - 1))


@pytest.mark.parametrize("layout", ["one long name", "near the path limit"])
def test_an_output_path_too_long_for_the_system_is_an_output_error(
    tmp_path: Path, layout: str
) -> None:
    out = (tmp_path / ("x" * 4000) if layout == "one long name"
           else _nested_path(tmp_path, 4085))
    with pytest.raises(OutputError, match=r"choose .*--out") as info:
        prepare_output_dir(out)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300


def test_atomic_write_turns_an_unwritable_name_into_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        atomic_write(tmp_path / ("n" * 300), lambda stream: stream.write(b"x"))


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    import os

    path = tmp_path / "out.json"
    atomic_write(path, lambda stream: stream.write(b"old"))
    # Written with the umask's permissions, not mkstemp's private 0600.
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask

    def fail(stream):  # type: ignore[no-untyped-def]
        stream.write(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_training_outputs_are_written_atomically(tmp_path: Path) -> None:
    from voc.training.data import write_labelled_jsonl
    from voc.training.train import write_metrics

    write_labelled_jsonl(tmp_path / "held.jsonl", [("دیر رسید", "negative")])
    assert (tmp_path / "held.jsonl").read_text(encoding="utf-8") == \
        '{"text": "دیر رسید", "label": "negative"}\n'
    write_metrics(tmp_path / "m" / "metrics.json", {"f1": 0.5, "nan": float("nan")})
    # Strict JSON: a NaN metric is written as null, not as a bare NaN.
    assert (tmp_path / "m" / "metrics.json").read_text(encoding="utf-8") == \
        '{\n  "f1": 0.5,\n  "nan": null\n}\n'
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["held.jsonl", "m", "metrics.json"]


def test_cli_exits_2_with_one_line_for_a_4000_character_out_path(
    tmp_path: Path, run_cli  # type: ignore[no-untyped-def]
) -> None:
    source = write_csv(tmp_path / "survey.csv", [["id", "comment"], ["1", "late delivery"]])
    result = run_cli("analyze", source, "--out", _nested_path(tmp_path, 4085))
    assert result.code == EXIT_USAGE
    assert result.stderr.strip().count("\n") == 0 and "--out" in result.stderr


def test_json_outputs_hold_no_nan_and_no_surrogate(tmp_path: Path) -> None:
    """A group of one has no interval (NaN) and a file name that is not UTF-8 reaches the
    manifest with surrogate escapes: both once failed or broke JSON outputs."""
    import json

    from voc.io.writers import write_json

    path = tmp_path / "run.json"
    write_json(path, {"inputs": [{"path": "/data/r\udce9sum\u00e9.csv"}],
                      "nps": {"low": float("nan"), "high": float("inf"), "value": 12.5}})
    document = json.loads(path.read_bytes().decode("utf-8"))
    assert document["nps"] == {"low": None, "high": None, "value": 12.5}
    assert document["inputs"][0]["path"] == "/data/r?sumé.csv"
