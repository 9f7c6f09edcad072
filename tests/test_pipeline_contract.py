"""Stage declarations (voc.pipeline.fields): every stage says what it requires, reads and
assigns; the order is checked from them before any input is read; the store's reuse key
covers exactly the fields the row stages read; `voc pipeline show` prints them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pytest

import voc.pipeline.run  # noqa: F401  (registers every stage)
from voc.errors import ConfigError
from voc.io.records import RECORD_INPUT_FIELDS
from voc.pipeline.base import (
    RunState,
    check_pipeline,
    create_component,
    declaration,
    declared_fields,
    registered_components,
)
from voc.pipeline.config import DEFAULT_CONFIG
from voc.pipeline.fields import (
    RECORD,
    SEGMENT,
    Declares,
    Kind,
    column,
    record_field,
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
    known = declared_fields()
    for name in registered_components():
        declares = declaration(name)  # also checks that someone produces what it reads
        assert isinstance(declares, Declares) and isinstance(declares.kind, Kind)
        assert declares.requires, f"{name} requires nothing"
        if declares.kind is not Kind.AGGREGATE:
            assert declares.assigns, f"{name} assigns nothing"
        else:
            assert declares.tables, f"{name} writes nothing"
        for key in (*declares.reads(), *declares.assigned()):
            assert key.split(".")[0] in (RECORD, SEGMENT) and key in known
        for field in declares.assigns:
            assert field.doc, f"{name}: {field.key} says nothing about what it holds"


def test_the_declared_types_are_the_output_files() -> None:
    from voc.io.schema import records_schema, segments_schema

    known = declared_fields()
    assert known["record.pii_found"].type == records_schema().field("pii_found").type
    assert known["segment.emotion_scores"].type == \
        segments_schema().field("emotion_scores").type
    # Held in memory, never written.
    assert known["segment.embedding"].type is None
    assert "embedding" not in segments_schema().names


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The stage registry, restored after the test: it may register stages of its own."""
    import voc.pipeline.base as base

    scratch = dict(base._REGISTRY)
    monkeypatch.setattr(base, "_REGISTRY", scratch)
    return scratch


def _registered(name: str, declares: Declares) -> type:
    from voc.pipeline.base import register

    return register(name)(type(f"Stage_{name}", (_Fake,), {"declares": declares}))


def test_a_stage_reading_a_field_nobody_assigns_fails(registry: dict[str, Any]) -> None:
    _registered("typo", Declares(Kind.ROW, requires=record_fields("sentimant")))
    with pytest.raises(ValueError, match=r"'typo' reads 'record\.sentimant'"):
        declaration("typo")
    with pytest.raises(ValueError, match=r"record\.sentimant"):
        check_pipeline([*DEFAULT_CONFIG["pipeline"], "typo"])


def test_two_stages_declaring_one_field_with_two_types_fail_at_registration(
        registry: dict[str, Any]) -> None:
    _registered("first", Declares(Kind.ROW, requires=record_fields("text"),
                                  assigns=(record_field("mood", pa.string(), "a label"),)))
    with pytest.raises(ValueError, match=r"record\.mood.*'first'"):
        _registered("second", Declares(Kind.ROW, requires=record_fields("text"),
                                       assigns=(record_field("mood", pa.float64()),)))
    assert "second" not in registry
    # Against the reader's declarations too: the status is a string.
    with pytest.raises(ValueError, match=r"record\.status.*'reader'"):
        _registered("third", Declares(Kind.ROW, requires=record_fields("text"),
                                      assigns=(record_field("status", pa.int32()),)))
    # One type, declared again: fine (the first declaration's description is kept).
    _registered("fourth", Declares(Kind.ROW, requires=record_fields("text"),
                                   assigns=(record_field("mood", pa.string()),)))
    assert declared_fields()["record.mood"].doc == "a label"


def test_two_stages_writing_one_table_fail_at_registration(registry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"'themes'"):
        _registered("rival", Declares(Kind.AGGREGATE, requires=record_fields("text"),
                                      tables={"themes": pa.schema([("x", pa.int64())])}))


def test_an_extra_stage_of_a_custom_pipeline_adds_its_fields_after_the_contract(
        registry: dict[str, Any]) -> None:
    from voc.io.schema import output_schemas, records_schema

    _registered("urgency", Declares(
        Kind.ROW, requires=record_fields("text"),
        assigns=(record_field("urgency", pa.float64(), "how urgent, 0..1"),),
        tables={"urgent": pa.schema([("row_id", pa.int64())])}))
    pipeline = [*DEFAULT_CONFIG["pipeline"], "urgency"]
    contract = records_schema()
    extended = records_schema(pipeline)
    assert extended.names == [*contract.names, "urgency"]
    assert extended.field("urgency").type == pa.float64()
    schemas = output_schemas(pipeline)
    assert schemas["urgent"] == pa.schema([("row_id", pa.int64())])
    # A pipeline without the stages that write tables writes only records and segments,
    # with every column of the contract.
    assert output_schemas(["language", "redact", "normalize", "segment"]) == {
        "records": contract, "segments": output_schemas()["segments"]}


def test_the_reader_gives_exactly_the_declared_input_fields(tmp_path: Path) -> None:
    from voc.io.columns import ColumnOverrides, detect_columns
    from voc.io.readers import read_table
    from voc.io.records import ValueProblems, iter_records

    path = write_csv(tmp_path / "in.csv", [["id", "comment", "nps"], ["1", "slow", "3"]])
    table = read_table(path)
    records = list(iter_records(table, detect_columns(table, ColumnOverrides()), 0,
                                ValueProblems()))
    assert set(records[0]) == {field.name for field in RECORD_INPUT_FIELDS}


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
        assigned = [f.name for f in declares.assigns if f.table == RECORD]
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
        records_assigned = {f.name for f in declares.assigns if f.table == RECORD}
        for old, new in zip(before.records, tables.records, strict=True):
            changed = {k for k in new if k not in old or new[k] != old[k]}
            assert changed <= records_assigned, (name, changed - records_assigned)
        if tables.segments != before.segments:
            segment_assigned = {f.name for f in declares.assigns if f.table == SEGMENT}
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
                            assigns=(record_field("lang", pa.string()),))

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
