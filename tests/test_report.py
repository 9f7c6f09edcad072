"""The report: same numbers in HTML and Markdown, and inert with hostile feedback."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import write_csv
from voc.report.data import RunData
from voc.report.render import md_quote, render_report

HOSTILE = [
    "<script>alert('xss')</script> the courier was late and rude",
    '<img src=x onerror="alert(1)"> refund never came back',
    "\u202eevil override\u202c the app crashed at payment",
    "**bold** [link](http://evil.example) | pipe # heading",
    "long complaint " * 400,
]


def _records(texts: list[str]) -> list[dict]:
    return [{"row_id": i, "source": "s.csv", "id": str(i), "question": "q", "text": t,
             "lang": "en", "status": "ok", "date": f"2026-07-0{1 + i % 2}",
             "channel": "app" if i % 2 else "web", "nps": float(i * 2 % 11),
             "sentiment": "negative", "sentiment_score": -0.8, "emotion": "anger",
             "finglish": False}
            for i, t in enumerate(texts)]


def _segments(texts: list[str]) -> list[dict]:
    return [{"row_id": i, "segment_id": f"{i}-0", "text": t, "lang": "en",
             "sentiment": "negative", "sentiment_score": -0.9 + i / 100, "emotion": "anger"}
            for i, t in enumerate(texts)]


def _render(texts: list[str]) -> tuple[str, str]:
    manifest = {"run_id": "r1", "finished_at": "now", "redactions": {"PHONE": 2},
                "models": {"heads": "x"}, "inputs": [], "versions": {"voc": "0"}}
    return render_report(RunData(_records(texts), _segments(texts), manifest))


class _Elements(HTMLParser):
    """Collect the real elements and attributes of a page (escaped text is not one)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_hostile_feedback_is_escaped_in_html() -> None:
    html, _ = _render(HOSTILE)
    elements = _Elements()
    elements.feed(html)
    assert not {"script", "img", "iframe", "a"} & elements.tags
    assert not [a for a in elements.attributes if a.startswith("on")]
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert 'http-equiv="Content-Security-Policy"' in html
    assert "default-src 'none'" in html


def test_report_is_self_contained() -> None:
    html, _ = _render(HOSTILE[:2])
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<link" not in html
    assert 'dir="auto"' in html


def test_markdown_quotes_are_inert_single_lines() -> None:
    assert md_quote("**bold** [x](http://e) <b>\nnext") == \
        r"\*\*bold\*\* \[x\]\(http://e\) &lt;b&gt; next"
    _, markdown = _render(HOSTILE)
    assert "<script>" not in markdown
    assert "[link](" not in markdown


def test_html_and_markdown_show_the_same_numbers() -> None:
    html, markdown = _render(["late delivery again", "rude courier today", "wrong item sent"])
    nps = re.search(r"\| NPS \| (-?[\d.]+)", markdown).group(1)
    assert f"{float(nps):+.0f}" in html


def test_analyze_writes_the_report_and_voc_report_rerenders_it(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["comment", "nps"], ["The courier was rude", "2"],
                                          ["<script>alert(1)</script> slow app", "9"]])
    out = tmp_path / "out"
    assert run_cli("analyze", path, "--out", out, "-q").code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert (out / "report.md").exists()
    (out / "report.html").unlink()
    result = run_cli("report", out, "--previous", out)
    assert result.code == 0
    assert "Changes since the previous run" in (out / "report.md").read_text(encoding="utf-8")
    assert run_cli("report", tmp_path / "nothing").code == 2


def _write_run(directory: Path, texts: list[str], outputs: list[str]) -> Path:
    from voc.io.schema import RECORDS_SCHEMA, SEGMENTS_SCHEMA
    from voc.io.writers import rows_to_table, write_json, write_parquet

    directory.mkdir()
    write_parquet(directory / "records.parquet", rows_to_table(_records(texts), RECORDS_SCHEMA))
    write_parquet(directory / "segments.parquet",
                  rows_to_table(_segments(texts), SEGMENTS_SCHEMA))
    write_json(directory / "run.json", {"run_id": "r1", "outputs": outputs})
    return directory


def test_load_run_data_reads_only_this_runs_optional_outputs(tmp_path: Path) -> None:
    from voc.report.data import load_run_data

    run_dir = _write_run(tmp_path / "run", ["late", "rude"],
                         ["records.parquet", "segments.parquet", "drivers.parquet",
                          "changes.json"])
    (run_dir / "themes.parquet").write_bytes(b"left over from an older run")
    (run_dir / "drivers.parquet").write_bytes(b"truncated")
    (run_dir / "changes.json").write_text('{"themes": []}', encoding="utf-8")
    run = load_run_data(run_dir)
    assert [r["text"] for r in run.records] == ["late", "rude"]
    assert run.themes is None  # not listed in run.json: another run's file
    assert run.drivers is None and any("drivers.parquet" in p for p in run.problems)
    assert run.changes == {"themes": []}
    assert run.journey is None and run.kpis is None
