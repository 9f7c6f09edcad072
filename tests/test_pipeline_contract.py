"""Stage declarations (voc.pipeline.fields): every stage says what it requires, reads and
assigns; the order is checked from them before any input is read; the store's reuse key
covers exactly the fields the row stages read; `voc pipeline show` prints them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import pytest

import voc.pipeline.run  # noqa: F401  (registers every stage)
from voc.errors import ConfigError
from voc.io.records import RECORD_INPUT_FIELDS
from voc.pipeline.base import (
    RunState,
    check_pipeline,
    create_component,
    declaration,
    registered_components,
)
from voc.pipeline.config import DEFAULT_CONFIG
from voc.pipeline.fields import (
    IN_MEMORY,
    RECORD,
    SEGMENT,
    Declares,
    Kind,
    arrow_type,
    column,
    record_fields,
)
from voc.store.keys import analysis_inputs, content_hash, fingerprint

from .conftest import write_csv

ROW_STAGES = ["language", "redact", "normalize", "segment"]
TEXTS = ["Delivery was late, but the courier was kind. Call me at 0912 345 6789.",
         "ارسال خیلی دیر بود ولی پشتیبانی خوب بود",
         "app kheili kond bood", "   ", "n/a", "Ok.",
         # Finglish: normalized by the English rules only because its script is read.
         "Man ye ketab mikham ke 100% khoob bashe!!"]


def _records() -> list[dict[str, Any]]:
    return [{"row_id": i, "source": "t.csv", "source_row": i + 2, "question": "q",
             "id": f"t.csv:{i + 2}", "date": None, "channel": "app", "nps": 3.0,
             "csat": None, "ces": None, "meta": None, "text": text, "status": "ok",
             "status_detail": None} for i, text in enumerate(TEXTS)]


def test_every_registered_stage_declares_its_kind_reads_and_writes() -> None:
    for name in registered_components():
        declares = declaration(name)  # also checks every field against the contract
        assert isinstance(declares, Declares) and isinstance(declares.kind, Kind)
        assert declares.requires, f"{name} requires nothing"
        if declares.kind is not Kind.AGGREGATE:
            assert declares.assigns, f"{name} assigns nothing"
        for field in (*declares.reads(), *declares.assigns):
            assert field.split(".")[0] in (RECORD, SEGMENT)
            assert arrow_type(field) is not None or field in IN_MEMORY


def test_declared_types_are_the_output_contracts() -> None:
    from voc.io.schema import RECORDS_SCHEMA, SEGMENTS_SCHEMA

    assert arrow_type("record.pii_found") == RECORDS_SCHEMA.field("pii_found").type
    assert arrow_type("segment.emotion_scores") == SEGMENTS_SCHEMA.field("emotion_scores").type
    assert arrow_type("segment.embedding") is None


def test_a_declaration_naming_an_unknown_field_fails() -> None:
    with pytest.raises(ValueError, match=r"record\.sentimant"):
        Declares(Kind.ROW, requires=record_fields("sentimant")).check("typo")


def test_the_reader_gives_exactly_the_declared_input_fields(tmp_path: Path) -> None:
    from voc.io.columns import ColumnOverrides, detect_columns
    from voc.io.readers import read_table
    from voc.io.records import ValueProblems, iter_records

    path = write_csv(tmp_path / "in.csv", [["id", "comment", "nps"], ["1", "slow", "3"]])
    table = read_table(path)
    records = list(iter_records(table, detect_columns(table, ColumnOverrides()), 0,
                                ValueProblems()))
    assert set(records[0]) == set(RECORD_INPUT_FIELDS)


def test_the_default_pipeline_is_in_a_valid_order() -> None:
    check_pipeline(DEFAULT_CONFIG["pipeline"])


@pytest.mark.parametrize(("pipeline", "stage", "field"), [
    (["language", "normalize", "redact", "segment"], "normalize", "record.text_redacted"),
    (["language", "redact", "normalize", "segment", "journey", "classify"], "journey",
     "segment.embedding"),
    (["language", "redact", "normalize", "classify"], "classify", "segment.row_id"),
])
def test_a_misordered_pipeline_names_the_stage_and_the_field(
        pipeline: list[str], stage: str, field: str) -> None:
    with pytest.raises(ConfigError) as error:
        check_pipeline(pipeline)
    message = str(error.value)
    assert "\n" not in message
    assert f"stage '{stage}'" in message and field in message


def test_a_misordered_config_fails_before_any_input_is_read(
        run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import voc.analysis

    def never(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("input was read")

    monkeypatch.setattr(voc.analysis, "read_records", never)
    config = tmp_path / "pipeline.yaml"
    config.write_text("pipeline: [language, normalize, redact, segment]\n", encoding="utf-8")
    data = write_csv(tmp_path / "in.csv", [["comment"], ["slow delivery"]])
    result = run_cli("analyze", data, "--out", tmp_path / "out", "--config", config)
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "stage 'normalize'" in lines[0] and "record.text_redacted" in lines[0]


def test_row_stages_read_nothing_they_do_not_declare() -> None:
    """Each row stage given only the fields it declares reading gives the same output as
    given the whole record: the store's reuse key (built from these declarations) then
    covers everything the output depends on."""
    tables = RunState(records=_records())
    for name in ROW_STAGES:
        component = create_component(name, DEFAULT_CONFIG.get(name))
        declares = declaration(name)
        reads = [column(f) for f in declares.reads() if f.startswith(f"{RECORD}.")]
        full = component(copy.deepcopy(tables))
        partial = component(RunState(records=[{k: r[k] for k in reads if k in r}
                                            for r in copy.deepcopy(tables.records)],
                                   segments=copy.deepcopy(tables.segments)))
        assigned = [column(f) for f in declares.assigns if f.startswith(f"{RECORD}.")]
        for given, whole, part in zip(tables.records, full.records, partial.records,
                                      strict=True):
            # A field the stage left alone keeps the value it was given.
            assert {k: whole.get(k) for k in assigned} == \
                {k: part.get(k, given.get(k)) for k in assigned}, name
            assert part.get("status") != "error", (name, part)
        assert partial.segments == full.segments
        tables = full


def test_row_stages_assign_nothing_they_do_not_declare() -> None:
    tables = RunState(records=_records())
    for name in ROW_STAGES:
        before = copy.deepcopy(tables)
        tables = create_component(name, DEFAULT_CONFIG.get(name))(tables)
        declares = declaration(name)
        records_assigned = {column(f) for f in declares.assigns if f.startswith(f"{RECORD}.")}
        for old, new in zip(before.records, tables.records, strict=True):
            changed = {k for k in new if k not in old or new[k] != old[k]}
            assert changed <= records_assigned, (name, changed - records_assigned)
        if tables.segments != before.segments:
            segment_assigned = {column(f) for f in declares.assigns
                                if f.startswith(f"{SEGMENT}.")}
            assert {k for s in tables.segments for k in s} <= segment_assigned, name


class _Fake:
    """A row stage whose declaration a test sets."""

    name: ClassVar[str] = "language"
    declares: ClassVar[Declares]

    def __init__(self, settings: Any = None) -> None:
        pass

    def __call__(self, tables: RunState) -> RunState:
        return tables


def _stage(*required: str) -> _Fake:
    class Stage(_Fake):
        declares = Declares(Kind.ROW, requires=record_fields(*required),
                            assigns=record_fields("lang"))

    return Stage()


def test_the_store_fingerprint_follows_the_declared_reads() -> None:
    config = copy.deepcopy(DEFAULT_CONFIG)
    text_only = [_stage("text")]
    with_channel = [_stage("text", "channel")]
    assert fingerprint(text_only, config)[0] != fingerprint(with_channel, config)[0]
    assert analysis_inputs(with_channel) == ("channel", "text")

    record = _records()[0]
    moved = {**record, "channel": "web"}
    assert content_hash(record, analysis_inputs(text_only)) == \
        content_hash(moved, analysis_inputs(text_only))
    assert content_hash(record, analysis_inputs(with_channel)) != \
        content_hash(moved, analysis_inputs(with_channel))


def test_the_default_row_stages_key_on_what_they_read() -> None:
    from voc.pipeline.base import _REGISTRY

    stages = [_REGISTRY[name] for name in [*ROW_STAGES, "classify"]]
    inputs = analysis_inputs(stages)  # type: ignore[arg-type]  # classes carry the ClassVars
    assert "text" in inputs and "status" in inputs
    # Scores, ids and the row number are taken fresh from each export, never keyed on.
    assert not {"nps", "id", "row_id", "date"} & set(inputs)
    record = _records()[0]
    assert content_hash(record, inputs) != content_hash({**record, "text": "other"}, inputs)
    assert content_hash(record, inputs) == content_hash({**record, "nps": 10.0, "row_id": 9},
                                                        inputs)


def test_pipeline_show_names_every_default_stage(run_cli) -> None:
    result = run_cli("pipeline", "show")
    assert result.code == 0, result.stderr
    for position, name in enumerate(DEFAULT_CONFIG["pipeline"], start=1):
        declares = declaration(name)
        parallel = ", parallel" if declares.parallel else ""
        assert f"{position}. {name} ({declares.kind}{parallel})" in result.stdout
    assert "segment.embedding" in result.stdout and "record.text_redacted" in result.stdout
    assert "max_chars" in result.stdout  # settings too


def test_pipeline_show_rejects_a_misordered_config(run_cli, tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("pipeline: [language, redact, normalize, segment, themes, classify]\n",
                      encoding="utf-8")
    result = run_cli("pipeline", "show", "--config", config)
    assert result.code == 2
    assert "stage 'themes'" in result.stderr and "segment.embedding" in result.stderr
