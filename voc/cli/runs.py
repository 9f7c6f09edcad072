"""`voc runs list|show|diff` and `voc query`: read a store without changing it."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from voc.errors import ConfigError

runs_app = typer.Typer(help="List, show and compare the runs kept in a store.",
                       no_args_is_help=True)
_stdout = Console()
if not _stdout.is_terminal:  # piped into a file or a scheduler's log: never wrap cells
    _stdout = Console(width=200)

StoreOption = Annotated[str, typer.Option(
    "--store", help="The DuckDB store (path or duckdb: URL) that 'voc analyze --store' wrote.")]


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


_LIST_COLUMNS = ("run_id", "status", "started_at", "engine", "records_total", "records_new",
                 "records_changed", "records_analyzed", "records_reused", "fingerprint")


def _open(store: str):  # type: ignore[no-untyped-def]
    from voc.store.store import Store

    return Store.open(store, read_only=True)


def _print_table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None
                 ) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    _stdout.print(table)


@runs_app.command("list")
def list_runs(
    store: StoreOption,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per run.")] = False,
) -> None:
    """Every run in the store, oldest first."""
    with _open(store) as opened:
        runs = [{c: r.get(c) for c in _LIST_COLUMNS} for r in opened.runs()]
    if as_json:
        for run in runs:
            typer.echo(json.dumps(run, default=str, ensure_ascii=False))
        return
    for run in runs:
        if run["started_at"] is not None:
            run["started_at"] = f"{run['started_at']:%Y-%m-%d %H:%M}"
    _print_table(runs, [c for c in _LIST_COLUMNS if c != "fingerprint"])


@runs_app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, 'latest' or "
                                               "'previous'.")],
    store: StoreOption,
) -> None:
    """One run's manifest (inputs, counts, models, config, timings) as JSON."""
    with _open(store) as opened:
        run = opened.run(run_id)
    manifest = json.loads(run["manifest"]) if run.get("manifest") else None
    summary = {k: v for k, v in run.items()
               if k not in ("manifest", "config", "fingerprint_description", "inputs",
                            "models")}
    summary["models"] = json.loads(run["models"]) if run.get("models") else None
    typer.echo(json.dumps({"run": summary, "manifest": manifest}, default=str,
                          ensure_ascii=False, indent=2))


@runs_app.command("diff")
def diff_runs(
    old: Annotated[str, typer.Argument(help="The earlier run (id, prefix, 'previous').")],
    new: Annotated[str, typer.Argument(help="The later run (id, prefix, 'latest').")],
    store: StoreOption,
    as_json: Annotated[bool, typer.Option("--json", help="The changes document as JSON.")
                       ] = False,
) -> None:
    """What changed between two runs: records added/removed/edited, config and models,
    and significant shifts in sentiment, NPS and theme share."""
    from voc.alerts.changes import compare

    with _open(store) as opened:
        before, after = opened.run(old), opened.run(new)
        members_before = {m["record_key"]: m["content_hash"]
                          for m in opened.run_members(before["run_id"])}
        members_after = {m["record_key"]: m["content_hash"]
                         for m in opened.run_members(after["run_id"])}
        changes = compare(after["run_id"], opened.run_groups(after["run_id"]),
                          opened.run_groups(before["run_id"]), before)
    records = {
        "added": len(members_after.keys() - members_before.keys()),
        "removed": len(members_before.keys() - members_after.keys()),
        "edited": sum(1 for k, h in members_after.items()
                      if k in members_before and members_before[k] != h),
    }
    document = {
        "old": before["run_id"], "new": after["run_id"], "records": records,
        "config_changed": before["config_hash"] != after["config_hash"],
        "fingerprint_changed": before["fingerprint"] != after["fingerprint"],
        "emerging_themes": changes["emerging_themes"], "shifts": changes["shifts"],
        "new_pain_points": changes["new_pain_points"],
    }
    if as_json:
        typer.echo(json.dumps(document, default=str, ensure_ascii=False, indent=2))
        return
    _stdout.print(f"{before['run_id']} -> {after['run_id']}: {records['added']} records "
                  f"added, {records['removed']} removed, {records['edited']} edited")
    if document["fingerprint_changed"]:
        _stdout.print("row-local settings or models changed: records were re-analysed")
    elif document["config_changed"]:
        _stdout.print("pipeline config changed (corpus-level stages only)")
    rows = [{"what": f"{s['dimension']} {s['label']}", "metric": s["metric"],
             "before": (s["previous"] or {}).get(s["metric"]),
             "after": s["current"].get(s["metric"]), "q": s["q"]}
            for s in changes["shifts"]]
    rows += [{"what": f"theme {t['label']}", "metric": f"share ({t['status']})",
              "before": (t["previous"] or {}).get("share"), "after": t["current"]["share"],
              "q": t.get("q")} for t in changes["emerging_themes"]]
    rows += [{"what": f"pain point {p['label']}", "metric": "new pain point",
              "before": 0, "after": p["current"]["pain_points"], "q": None}
             for p in changes["new_pain_points"]]
    if rows:
        _print_table(rows, ["what", "metric", "before", "after", "q"],
                     title="significant changes")
    else:
        _stdout.print("no significant shifts")


def query(
    sql: Annotated[str, typer.Argument(help="A SQL query over the store's tables (runs, "
                                            "records, segments, run_records, run_groups).")],
    store: StoreOption,
    output: Annotated[QueryFormat, typer.Option("--format", help="Output format.")
                      ] = QueryFormat.table,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Rows to print at most in "
                                                               "table format (0: all).")] = 50,
) -> None:
    """Run a read-only SQL query over a store (DuckDB SQL) and print the result."""
    import duckdb

    with _open(store) as opened:
        try:
            result = opened.query(sql)
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            if "read-only" in message.lower():
                raise ConfigError("voc query is read-only; use SELECT (or open the store "
                                  "with duckdb yourself to change it)") from exc
            raise ConfigError(f"query failed: {message}") from exc
    rows = result.to_pylist()
    if output == QueryFormat.json:
        for row in rows:
            typer.echo(json.dumps(row, default=str, ensure_ascii=False))
    elif output == QueryFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.column_names)
        for row in rows:
            writer.writerow(row.values())
    else:
        shown = rows if limit == 0 else rows[:limit]
        _print_table(shown, result.column_names)
        if len(shown) < len(rows):
            _stdout.print(f"{len(rows) - len(shown)} more rows; --limit 0 shows all")
