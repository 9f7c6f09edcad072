"""`voc themes DIR`: the theme table of a finished run, and a curation file to start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pyarrow.parquet as pq
import typer
import yaml
from rich.console import Console
from rich.table import Table

from voc.errors import ConfigError, InputError
from voc.io.writers import atomic_write

# Piped output (a file, a scheduled job's log) is not wrapped at 80 columns.
_PIPED_WIDTH = 160


def load_themes(run_dir: Path, view: str = "themes",
                ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Theme rows (largest first) and the run's theme summary for `view` (themes or
    pain_themes)."""
    path = run_dir / f"{view}.parquet"
    if not run_dir.is_dir():
        raise InputError(f"{run_dir} is not a directory; pass the --out directory of "
                         "'voc analyze'")
    if not path.is_file():
        raise InputError(f"{run_dir} has no {view}.parquet: run 'voc analyze' with the "
                         "themes component in the pipeline"
                         + (" after journey (pain points)" if view != "themes" else ""))
    rows = pq.read_table(path).to_pylist()
    summary_path = run_dir / f"{view}.json"
    summary = (json.loads(summary_path.read_text(encoding="utf-8"))
               if summary_path.is_file() else {})
    summary.pop("themes", None)
    return rows, summary


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def theme_table(rows: list[dict[str, Any]], keywords: int = 4) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for name, justify in (("id", "right"), ("theme", "left"), ("size", "right"),
                          ("share", "right"), ("fa/en", "right"), ("neg/neu/pos", "right"),
                          ("emotion", "left"), ("keywords fa", "left"),
                          ("keywords en", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        mix = row.get("sentiment_mix") or {}
        table.add_row(
            str(row["theme_id"]),
            row["label"] + ("" if row.get("origin") == "discovered" else f" ({row['origin']})"),
            str(row["size"]),
            _percent(row.get("share")),
            f"{row.get('size_fa') or 0}/{row.get('size_en') or 0}",
            "/".join(_percent(mix.get(k)) for k in ("negative", "neutral", "positive")),
            row.get("top_emotion") or "",
            "، ".join((row.get("keywords_fa") or [])[:keywords]),
            ", ".join((row.get("keywords_en") or [])[:keywords]),
        )
    return table


def curation_template(rows: list[dict[str, Any]]) -> str:
    """A themes.yaml listing this run's themes, every edit commented out, ready to edit."""
    lines = ["# Theme curation for 'voc analyze --themes THIS_FILE --previous-themes RUN_DIR'.",
             "# Ids are this run's; uncomment and edit what you want changed.", "rename:"]
    for row in rows:
        label = yaml.safe_dump({"en": row.get("label_en") or row["label"],
                                "fa": row.get("label_fa") or row["label"]},
                               allow_unicode=True, default_flow_style=True).strip()
        lines.append(f"  # {row['theme_id']}: {label}   # {row['size']} segments")
    lines += ["merge:", "  # - [KEEP_ID, OTHER_ID]", "split:",
              "  # - theme: ID", "  #   into:", "  #     - name: short_name",
              "  #       label: {en: ..., fa: ...}", "  #       keywords: [word, واژه]",
              "pin: []", ""]
    return "\n".join(lines)


def themes(
    run_dir: Annotated[Path, typer.Argument(help="Output directory of a finished 'voc analyze'.")],
    limit: Annotated[int, typer.Option(
        "--limit", "-n", min=1, help="Show at most this many themes (largest first).")] = 50,
    examples: Annotated[bool, typer.Option(
        "--examples", help="Also print each theme's representative (redacted) quotes.")
    ] = False,
    pain: Annotated[bool, typer.Option(
        "--pain", help="Show the what-hurts view: themes among pain-point segments only.")
    ] = False,
    write_curation: Annotated[Path | None, typer.Option(
        "--write-curation", help="Write a themes.yaml to edit (rename, merge, split, pin) "
        "and pass back with 'voc analyze --themes'.")] = None,
) -> None:
    """Print the theme table of a finished run."""
    if pain and write_curation is not None:
        raise ConfigError("curation edits the main themes' ids: leave out --pain with "
                          "--write-curation")
    rows, summary = load_themes(run_dir, "pain_themes" if pain else "themes")
    console = Console()
    if not console.is_terminal:
        console.width = _PIPED_WIDTH
    shown = rows[:limit]
    console.print(theme_table(shown))
    if summary:
        console.print(f"{summary.get('n_themes', len(rows))} themes over "
                       f"{summary.get('segments', 0)} {'pain-point ' if pain else ''}"
                       "segments; unthemed "
                       f"{_percent(summary.get('unthemed_share'))} ({summary.get('method')})"
                       + (f", {summary['no_content']} of them greetings or other answers "
                          "with nothing to theme" if summary.get("no_content") else ""))
    if examples:
        for row in shown:
            console.print(f"\n[bold]{row['theme_id']} {row['label']}[/bold]")
            for quote in row.get("examples") or []:
                console.print(f"  - {quote}", markup=False)
    if write_curation is not None:
        # Atomic: the user may be rewriting the curation file a later run reads.
        template = curation_template(rows).encode("utf-8")
        atomic_write(write_curation, lambda stream: stream.write(template))
        console.print(f"wrote {write_curation}")
